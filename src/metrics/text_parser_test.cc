#include "metrics/text_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace brook::metrics {
namespace {

TEST(TextParser, ParsesEveryPartOfTheFormat) {
  const std::string text =
      "# HELP requests_total Requests \\\\ served\\nsince start\n"
      "# TYPE requests_total counter\n"
      "requests_total{method=\"GET\",path=\"/a \\\"b\\\"\\\\c\\nd\"} 12 1700000000000\n"
      "requests_total{method=\"POST\",} 3e2\n"
      "# a plain comment\n"
      "\n"
      "# TYPE temperature gauge\n"
      "temperature NaN\n"
      "# TYPE up gauge\n"
      "up{x=\"1\"} +Inf\n"
      "up{x=\"2\"} -Inf\n"
      "up{x=\"3\"} -1.5\n"
      "# TYPE latency_seconds histogram\n"
      "# HELP latency_seconds Latency\n"
      "latency_seconds_bucket{le=\"0.1\"} 1\n"
      "latency_seconds_bucket{le=\"1\"} 3\n"
      "latency_seconds_bucket{le=\"+Inf\"} 4\n"
      "latency_seconds_sum 7.5\n"
      "latency_seconds_count 4\n";
  Result<std::vector<ParsedFamily>> r = ParseTextFormat(text);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  const ParsedFamily* req = FindFamily(*r, "requests_total");
  ASSERT_NE(req, nullptr);
  EXPECT_EQ(req->type, "counter");
  EXPECT_EQ(req->help, "Requests \\ served\nsince start");
  ASSERT_EQ(req->samples.size(), 2u);
  EXPECT_EQ(req->samples[0].labels.at("path"), "/a \"b\"\\c\nd");
  EXPECT_EQ(req->samples[0].value, 12);
  EXPECT_EQ(req->samples[0].timestamp_ms, 1700000000000);
  EXPECT_EQ(req->samples[1].value, 300);
  EXPECT_TRUE(std::isnan(FindFamily(*r, "temperature")->samples[0].value));
  const ParsedFamily* up = FindFamily(*r, "up");
  EXPECT_TRUE(std::isinf(up->samples[0].value) && up->samples[0].value > 0);
  EXPECT_TRUE(std::isinf(up->samples[1].value) && up->samples[1].value < 0);
  const ParsedFamily* lat = FindFamily(*r, "latency_seconds");
  EXPECT_EQ(lat->help, "Latency");
  EXPECT_EQ(FindSamples(*lat, "latency_seconds_bucket").size(), 3u);
  EXPECT_EQ(FindSamples(*lat, "latency_seconds_bucket", {{"le", "1"}}).at(0)->value, 3);
}

struct Bad {
  std::string text;
  std::string error;  // part of the message
};

TEST(TextParser, RejectsWhatTheFormatDoesNotAllow) {
  const std::vector<Bad> cases = {
      {"x 1\n", "sample without a TYPE line"},
      {"# TYPE x gauge\n# TYPE x gauge\nx 1\n", "second TYPE"},
      {"# HELP x a\n# HELP x b\n# TYPE x gauge\n", "second HELP"},
      {"# TYPE x meter\n", "unknown type"},
      {"# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx{a=\"1\"} 2\n", "not contiguous"},
      {"# TYPE 1x gauge\n", "missing metric name"},
      {"# TYPE x gauge\nx{1a=\"1\"} 1\n", "bad label name"},
      {"# TYPE x gauge\nx{a=\"1\",a=\"2\"} 1\n", "repeated label"},
      {"# TYPE x gauge\nx{a=\"\\t\"} 1\n", "bad escape"},
      {"# TYPE x gauge\nx{a=\"1} 1\n", "unterminated"},
      {"# TYPE x gauge\nx{a=1} 1\n", "expected '\"'"},
      {"# TYPE x gauge\nx{a=\"1\" b=\"2\"} 1\n", "expected ',' or '}'"},
      {"# TYPE x gauge\nx one\n", "bad value"},
      {"# TYPE x gauge\nx 0x10\n", "bad value"},
      {"# TYPE x gauge\nx\n", "expected a space"},
      {"# TYPE x gauge\nx 1 soon\n", "bad timestamp"},
      {"# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n", "duplicate series"},
      {"# TYPE x_total counter\nx_total -1\n", "counter value must be >= 0"},
      {"# TYPE x_total counter\nx_total NaN\n", "counter value must be >= 0"},
      {"# TYPE h histogram\nh 1\n", "sample without a TYPE"},
      {"# TYPE h histogram\nh_bucket 1\n", "bucket without le"},
      {"# TYPE h histogram\nh_bucket{le=\"x\"} 1\n", "bad le"},
      {"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "no +Inf bucket"},
      {"# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"0.5\"} 1\n"
       "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
       "do not increase"},
      {"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
       "counts decrease"},
      {"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n", "differs from _count"},
      {"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n", "missing _count or _sum"},
  };
  for (const Bad& c : cases) {
    Result<std::vector<ParsedFamily>> r = ParseTextFormat(c.text);
    ASSERT_FALSE(r.ok()) << "accepted:\n" << c.text;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos)
        << "expected '" << c.error << "' in: " << r.status().ToString();
  }
}

TEST(TextParser, ErrorsNameTheLine) {
  Result<std::vector<ParsedFamily>> r = ParseTextFormat("# TYPE x gauge\nx 1\nx{ 2\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 3"), std::string::npos) << r.status().ToString();
}

}  // namespace
}  // namespace brook::metrics
