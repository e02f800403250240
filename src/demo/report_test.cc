#include "demo/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace brook::demo {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

demo::Run SampleRun() {
  demo::Run run;
  run.title = "brook demo: word counts";
  run.started_at = "2026-11-25T21:30:00Z";
  run.profile = {{"low", 2000, 40}, {"step x4", 8000, 60}, {"low", 2000, 40}};
  for (int i = 0; i < 5; ++i) {
    Sample s;
    s.t = 2.0 * i + 0.25;
    s.phase = i < 3 ? "low" : "step x4";
    s.replicas = i < 4 ? 1 : 3;
    s.running = 1;
    if (i > 0) s.desired = i < 3 ? 1 : 3;
    s.input_rate = i < 3 ? 2000.5 : 7999.25;
    s.processed_rate = 1998.125;
    s.lag = 1000LL * i * i;
    s.rebalances = i / 2;
    s.max_stall_ms = int64_t{120} * i;
    run.samples.push_back(s);
  }
  run.events = {{7.5, "scale 1 -> 3"}, {9.0, "drain brook-demo-2"}};
  run.summary = {{"peak lag", "16,000 records"}, {"rebalances", "2"}, {"a", "b"}};
  return run;
}

nlohmann::json SampleJson() {
  return nlohmann::json::parse(ToJson(SampleRun()));
}

std::string ParseError(const nlohmann::json& j) {
  Result<demo::Run> r = RunFromJson(j.dump());
  EXPECT_FALSE(r.ok()) << j.dump();
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(ReportJson, RoundTrip) {
  const demo::Run run = SampleRun();
  Result<demo::Run> back = RunFromJson(ToJson(run));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, run);
  EXPECT_FALSE(back->samples[0].desired.has_value());
  EXPECT_EQ(back->samples[4].desired, 3);
  // The summary keeps its order.
  EXPECT_EQ(back->summary[0].first, "peak lag");
  EXPECT_EQ(back->summary[2].first, "a");
}

TEST(ReportJson, RoundTripEmptyRun) {
  Result<demo::Run> back = RunFromJson(ToJson(demo::Run{}));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, demo::Run{});
}

TEST(ReportJson, Format) {
  const nlohmann::json j = SampleJson();
  EXPECT_TRUE(j["samples"][0]["desired"].is_null());
  EXPECT_EQ(j["samples"][1]["desired"], 1);
  EXPECT_EQ(j["samples"][4]["lag"], 16000);
  EXPECT_EQ(j["summary"][0]["key"], "peak lag");
  EXPECT_EQ(j["summary"][0]["value"], "16,000 records");
  EXPECT_EQ(j["profile"][1]["name"], "step x4");
  EXPECT_EQ(j["events"][1]["text"], "drain brook-demo-2");
}

TEST(ReportJson, DesiredMayBeAbsent) {
  nlohmann::json j = SampleJson();
  j["samples"][2].erase("desired");
  Result<demo::Run> r = RunFromJson(j.dump());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->samples[2].desired.has_value());
}

TEST(ReportJson, IntegralDoublesAccepted) {
  nlohmann::json j = SampleJson();
  j["samples"][1]["t"] = 2;  // an integer where a number is expected
  j["profile"][0]["rate"] = 2000;
  EXPECT_TRUE(RunFromJson(j.dump()).ok());
}

TEST(ReportJson, NotJson) {
  Result<demo::Run> r = RunFromJson("{\"title\": ");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("run JSON"));
  EXPECT_FALSE(RunFromJson("").ok());
  EXPECT_THAT(ParseError(nlohmann::json::array()), HasSubstr("run: expected an object"));
}

TEST(ReportJson, WrongTypeNamesFieldAndIndex) {
  nlohmann::json j = SampleJson();
  j["samples"][3]["lag"] = "lots";
  EXPECT_EQ(ParseError(j), "samples[3].lag: expected an integer, got string");

  j = SampleJson();
  j["samples"][2]["replicas"] = 1.5;
  EXPECT_EQ(ParseError(j), "samples[2].replicas: expected an integer, got a fractional number");

  j = SampleJson();
  j["samples"][1]["desired"] = "3";
  EXPECT_EQ(ParseError(j), "samples[1].desired: expected an integer, got string");

  j = SampleJson();
  j["samples"][0]["input_rate"] = nullptr;  // what ToJson writes for NaN
  EXPECT_EQ(ParseError(j), "samples[0].input_rate: expected a number, got null");

  j = SampleJson();
  j["profile"][2]["rate"] = true;
  EXPECT_EQ(ParseError(j), "profile[2].rate: expected a number, got boolean");

  j = SampleJson();
  j["events"][1]["text"] = 7;
  EXPECT_EQ(ParseError(j), "events[1].text: expected a string, got number");

  j = SampleJson();
  j["summary"][1] = nlohmann::json::array({"k", "v"});
  EXPECT_EQ(ParseError(j), "summary[1]: expected an object, got array");

  j = SampleJson();
  j["title"] = nlohmann::json::object();
  EXPECT_EQ(ParseError(j), "title: expected a string, got object");

  j = SampleJson();
  j["samples"] = nlohmann::json::object();
  EXPECT_EQ(ParseError(j), "samples: expected an array, got object");
}

TEST(ReportJson, MissingAndUnknownFields) {
  nlohmann::json j = SampleJson();
  j["samples"][4].erase("max_stall_ms");
  EXPECT_EQ(ParseError(j), "samples[4]: missing field \"max_stall_ms\"");

  j = SampleJson();
  j.erase("events");
  EXPECT_EQ(ParseError(j), "run: missing field \"events\"");

  j = SampleJson();
  j["profile"][0]["rte"] = 1;
  EXPECT_EQ(ParseError(j), "profile[0]: unknown field \"rte\"");

  j = SampleJson();
  j["extra"] = 1;
  EXPECT_EQ(ParseError(j), "run: unknown field \"extra\"");
}

TEST(ReportJson, RangesAndOrder) {
  nlohmann::json j = SampleJson();
  j["samples"][2]["running"] = -1;
  EXPECT_THAT(ParseError(j), HasSubstr("samples[2].running: -1 is out of range"));

  j = SampleJson();
  j["samples"][2]["replicas"] = 5'000'000'000LL;
  EXPECT_THAT(ParseError(j), HasSubstr("samples[2].replicas: 5000000000 is out of range"));

  j = SampleJson();
  j["samples"][0]["lag"] = 18'446'744'073'709'551'615ULL;
  EXPECT_EQ(ParseError(j), "samples[0].lag: integer out of range");

  j = SampleJson();
  j["events"][0]["t"] = -1.0;
  EXPECT_THAT(ParseError(j), HasSubstr("events[0].t: -1 is below the minimum 0"));

  j = SampleJson();
  j["samples"][3]["t"] = 1.0;
  EXPECT_THAT(ParseError(j), HasSubstr("samples[3].t: 1 is before samples[2].t"));

  // Lag may be negative (end offsets read before the commit); rates any finite number.
  j = SampleJson();
  j["samples"][3]["lag"] = -5;
  j["samples"][3]["processed_rate"] = -1.5;
  EXPECT_TRUE(RunFromJson(j.dump()).ok());
}

TEST(ReportJson, NonFiniteWrittenAsNullAndRejected) {
  demo::Run run = SampleRun();
  run.samples[1].processed_rate = std::numeric_limits<double>::quiet_NaN();
  const std::string text = ToJson(run);
  Result<demo::Run> r = RunFromJson(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "samples[1].processed_rate: expected a number, got null");
}

TEST(ReportJson, InvalidUtf8DoesNotThrow) {
  demo::Run run = SampleRun();
  run.title = "bad \xff\xfe utf8";
  std::string text;
  EXPECT_NO_THROW(text = ToJson(run));
  Result<demo::Run> r = RunFromJson(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->title, HasSubstr("bad "));
  EXPECT_NO_THROW((void)RenderReportHtml(run));
}

// The JSON embedded in the page, as the browser's JSON.parse would see it.
nlohmann::json EmbeddedData(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"brook-data\">";
  const size_t start = html.find(open);
  EXPECT_NE(start, std::string::npos);
  const size_t from = start + open.size();
  const size_t end = html.find("</script>", from);
  EXPECT_NE(end, std::string::npos);
  return nlohmann::json::parse(html.substr(from, end - from));
}

TEST(ReportHtml, SelfContainedWithPlotsAndData) {
  const demo::Run run = SampleRun();
  const std::string html = RenderReportHtml(run);
  EXPECT_THAT(html, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<title>brook demo: word counts</title>"));
  EXPECT_THAT(html, HasSubstr("2026-11-25T21:30:00Z"));
  for (const char* id : {"plot-replicas", "plot-rates", "plot-lag", "plot-stall"}) {
    EXPECT_THAT(html, HasSubstr(std::string("<svg id=\"") + id + "\" class=\"plot\""));
  }
  EXPECT_THAT(html, HasSubstr("<noscript>"));
  EXPECT_THAT(html, HasSubstr("data-rendered"));  // set by the inline script
  // Nothing external.
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("href=")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  // Summary rows in order, profile and events listed.
  const size_t peak = html.find("<th>peak lag</th><td>16,000 records</td>");
  const size_t reb = html.find("<th>rebalances</th><td>2</td>");
  ASSERT_NE(peak, std::string::npos);
  ASSERT_NE(reb, std::string::npos);
  EXPECT_LT(peak, reb);
  EXPECT_THAT(html, HasSubstr("<td>step x4</td><td class=\"num\">8,000</td>"));
  EXPECT_THAT(html, HasSubstr("<td>scale 1 -&gt; 3</td>"));
  // The data embedded is exactly the run.
  const nlohmann::json data = EmbeddedData(html);
  EXPECT_EQ(data, nlohmann::json::parse(ToJson(run)));
  Result<demo::Run> back = RunFromJson(data.dump());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, run);
}

TEST(ReportHtml, TextCannotBreakOut) {
  demo::Run run = SampleRun();
  const std::string evil = "</script><b>x</b><!--<script>alert(1)</script>&amp;\"'";
  run.title = evil;
  run.started_at = evil;
  run.profile[0].name = evil;
  run.samples[0].phase = evil;
  run.events[0].text = evil;
  run.summary[0] = {evil, evil};
  const std::string html = RenderReportHtml(run);
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, Not(HasSubstr("<!--")));
  EXPECT_THAT(html, Not(HasSubstr("alert(1)</script>")));
  EXPECT_THAT(html, HasSubstr("<title>&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;"));
  // Exactly the page's own two script elements close.
  size_t closes = 0;
  for (size_t at = html.find("</script"); at != std::string::npos;
       at = html.find("</script", at + 1)) {
    ++closes;
  }
  EXPECT_EQ(closes, 2U);
  // And the data still decodes to the original text.
  const nlohmann::json data = EmbeddedData(html);
  EXPECT_EQ(data["title"], evil);
  EXPECT_EQ(data["events"][0]["text"], evil);
}

TEST(ReportHtml, EmptyRunRenders) {
  const std::string html = RenderReportHtml(demo::Run{});
  EXPECT_THAT(html, HasSubstr("<title>brook demo</title>"));
  EXPECT_THAT(html, HasSubstr("No events."));
  EXPECT_THAT(html, HasSubstr("no data"));  // the script's empty-plot text
  const nlohmann::json data = EmbeddedData(html);
  EXPECT_TRUE(data["samples"].empty());
}

}  // namespace
}  // namespace brook::demo
