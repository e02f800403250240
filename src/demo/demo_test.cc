// The elastic demo's pure parts: the load profile, observations -> table rows, the table,
// shell quoting, and child processes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "demo/elastic_demo.h"
#include "demo/observe.h"
#include "demo/profile.h"
#include "demo/subprocess.h"

namespace brook::demo {
namespace {

using ::testing::HasSubstr;

TEST(ProfileTest, ParsesPhasesAndFormatsThemBack) {
  auto p = ParseProfile("low:1500:60,high:6000.5:120,low:0:0.5");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->size(), 3U);
  EXPECT_EQ((*p)[1], (Phase{.name = "high", .rate = 6000.5, .seconds = 120}));
  EXPECT_EQ(FormatProfile(*p), "low:1500:60,high:6000.5:120,low:0:0.5");
  EXPECT_DOUBLE_EQ(ProfileSeconds(*p), 180.5);
  EXPECT_TRUE(ParseProfile(kDefaultProfile).ok());
}

TEST(ProfileTest, ErrorsNameTheItemAndWhatIsWrong) {
  auto bad = [](std::string_view text) { return ParseProfile(text).status().ToString(); };
  EXPECT_THAT(bad("low:1:1,high:x:5"), HasSubstr("item 2 'high:x:5': the rate 'x'"));
  EXPECT_THAT(bad("low:1:0"), HasSubstr("item 1 'low:1:0': the duration '0'"));
  EXPECT_THAT(bad("low:-1:5"), HasSubstr("the rate '-1'"));
  EXPECT_THAT(bad("low:1"), HasSubstr("expected name:rate:seconds"));
  EXPECT_THAT(bad(""), HasSubstr("item 1"));
  EXPECT_THAT(bad("lo w:1:1"), HasSubstr("the name must be"));
  EXPECT_THAT(bad("low:1:1,"), HasSubstr("item 2"));
}

TEST(ProfileTest, PhaseAtAndRecordsBy) {
  const auto p = ParseProfile("low:100:10,high:400:20,low:100:10").value();
  EXPECT_EQ(PhaseAt(p, -1), 0U);
  EXPECT_EQ(PhaseAt(p, 9.9), 0U);
  EXPECT_EQ(PhaseAt(p, 10), 1U);
  EXPECT_EQ(PhaseAt(p, 29.9), 1U);
  EXPECT_EQ(PhaseAt(p, 35), 2U);
  EXPECT_EQ(PhaseAt(p, 1000), 2U);
  EXPECT_DOUBLE_EQ(RecordsBy(p, 0), 0);
  EXPECT_DOUBLE_EQ(RecordsBy(p, 5), 500);
  EXPECT_DOUBLE_EQ(RecordsBy(p, 15), 1000 + 2000);
  EXPECT_DOUBLE_EQ(RecordsBy(p, 40), 1000 + 8000 + 1000);
  EXPECT_DOUBLE_EQ(RecordsBy(p, 100), 10000);
}

std::string StatusJson(const std::string& state, int64_t start, int64_t processed, int64_t gen,
                       const std::string& tasks, const std::string& desired = "2") {
  return R"({"state":")" + state + R"(","error":"","member_id":"m","generation":)" +
         std::to_string(gen) + R"(,"rebalances":1,"processed":)" + std::to_string(processed) +
         R"(,"tasks":[)" + tasks + R"(],"process_start_ms":)" + std::to_string(start) +
         R"(,"assigned":true,"scaling":{"desired_replicas":)" + desired + "}}";
}

std::string Task(const std::string& id, int64_t max_stall, int64_t stall = 0,
                 bool restoring = false, const std::string& role = "active") {
  return R"({"id":")" + id + R"(","role":")" + role + R"(","restoring":)" +
         (restoring ? "true" : "false") + R"(,"max_stall_ms":)" + std::to_string(max_stall) +
         R"(,"partitions":[{"topic":"in","partition":0,"stall_ms":)" + std::to_string(stall) +
         "}]}";
}

TEST(ObserveTest, ParsesAnInstanceStatus) {
  auto v = ParseInstanceStatus(2, StatusJson("RUNNING", 100, 5000, 7,
                                             Task("0_1", 40, 0) + "," + Task("0_2", 900, 300) +
                                                 "," + Task("0_3", 5000, 0, false, "standby")));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->ordinal, 2);
  EXPECT_TRUE(v->ready);
  EXPECT_EQ(v->active_tasks, 2);
  EXPECT_EQ(v->processed, 5000);
  EXPECT_EQ(v->generation, 7);
  EXPECT_EQ(v->desired, 2);
  EXPECT_EQ(v->ongoing_stall_ms, 300);
  EXPECT_EQ(v->task_max_stall_ms.size(), 2U);  // standby tasks are not processing
  EXPECT_EQ(v->task_max_stall_ms.at("0_2"), 900);

  auto restoring = ParseInstanceStatus(0, StatusJson("RUNNING", 1, 0, 1, Task("0_0", 0, 0, true)));
  ASSERT_TRUE(restoring.ok());
  EXPECT_FALSE(restoring->ready);
  auto rebalancing = ParseInstanceStatus(0, StatusJson("REBALANCING", 1, 0, 1, ""));
  ASSERT_TRUE(rebalancing.ok());
  EXPECT_FALSE(rebalancing->ready);
  auto no_signal = ParseInstanceStatus(0, StatusJson("RUNNING", 1, 0, 1, "", "null"));
  ASSERT_TRUE(no_signal.ok());
  EXPECT_EQ(no_signal->desired, std::nullopt);
}

TEST(ObserveTest, MalformedStatusNamesTheField) {
  EXPECT_THAT(ParseInstanceStatus(3, "not json").status().ToString(),
              HasSubstr("status of instance 3: not a JSON object"));
  EXPECT_THAT(ParseInstanceStatus(1, R"({"state":"RUNNING"})").status().ToString(),
              HasSubstr("no field 'process_start_ms'"));
  EXPECT_THAT(
      ParseInstanceStatus(1, StatusJson("RUNNING", 1, 0, 1, R"({"id":"0_0"})")).status().ToString(),
      HasSubstr("task 0: no field 'role'"));
  std::string s = StatusJson("RUNNING", 1, 0, 1, "");
  s.replace(s.find("\"processed\":0"), 13, "\"processed\":\"x\"");
  EXPECT_THAT(ParseInstanceStatus(1, s).status().ToString(),
              HasSubstr("field 'processed' has the wrong type"));
}

InstanceView View(int ordinal, int64_t start, int64_t processed, int64_t gen,
                  std::map<std::string, int64_t> stalls = {}, int64_t ongoing = 0,
                  std::optional<int> desired = std::nullopt) {
  const auto tasks = static_cast<int>(stalls.size());
  return InstanceView{.ordinal = ordinal,
                      .state = "RUNNING",
                      .ready = true,
                      .process_start_ms = start,
                      .processed = processed,
                      .generation = gen,
                      .active_tasks = tasks,
                      .desired = desired,
                      .task_max_stall_ms = std::move(stalls),
                      .ongoing_stall_ms = ongoing};
}

TEST(SampleBuilderTest, RatesLagAndRebalancesFromConsecutiveTicks) {
  SampleBuilder b;
  Sample s0 = b.Add({.t = 0,
                     .phase = "low",
                     .replicas = 1,
                     .instances = {View(0, 100, 1000, 3)},
                     .end_offsets = 5000,
                     .committed = 4000});
  EXPECT_EQ(s0.processed_rate, 0);
  EXPECT_EQ(s0.input_rate, 0);
  EXPECT_EQ(s0.lag, 1000);
  EXPECT_EQ(s0.rebalances, 0);
  EXPECT_EQ(s0.running, 1);
  Sample s1 = b.Add({.t = 2,
                     .phase = "high",
                     .replicas = 2,
                     .instances = {View(0, 100, 3000, 4), View(1, 200, 500, 4)},
                     .end_offsets = 9000,
                     .committed = 8500});
  EXPECT_DOUBLE_EQ(s1.input_rate, 2000);
  // ordinal 0 grew by 2000, ordinal 1 is new: all of its 500 count.
  EXPECT_DOUBLE_EQ(s1.processed_rate, 1250);
  EXPECT_EQ(s1.lag, 500);
  EXPECT_EQ(s1.rebalances, 1);
  EXPECT_EQ(s1.phase, "high");
  EXPECT_EQ(s1.replicas, 2);
  // Instance 0 restarted (a new process): its new count is all new; offsets unreadable:
  // the last lag stays.
  Sample s2 = b.Add({.t = 4,
                     .replicas = 2,
                     .instances = {View(0, 300, 100, 6), View(1, 200, 900, 6)},
                     .end_offsets = std::nullopt,
                     .committed = std::nullopt});
  EXPECT_DOUBLE_EQ(s2.processed_rate, (100 + 400) / 2.0);
  EXPECT_EQ(s2.input_rate, 0);
  EXPECT_EQ(s2.lag, 500);
  EXPECT_EQ(s2.rebalances, 3);
}

TEST(SampleBuilderTest, AnInstanceMissingForATickIsNotCountedTwice) {
  SampleBuilder b;
  (void)b.Add({.t = 0, .instances = {View(0, 1, 1000, 1), View(1, 2, 1000, 1)}});
  (void)b.Add({.t = 1, .instances = {View(0, 1, 2000, 1)}});  // 1 did not answer
  const Sample s = b.Add({.t = 2, .instances = {View(0, 1, 3000, 1), View(1, 2, 3000, 1)}});
  EXPECT_DOUBLE_EQ(s.processed_rate, (1000 + 2000) / 1.0);
}

TEST(SampleBuilderTest, MaxStallIsWhatHappenedInTheInterval) {
  SampleBuilder b;
  (void)b.Add({.t = 0, .instances = {View(0, 1, 0, 1, {{"0_0", 4000}})}});
  // The old 4 s stall is not repeated; a task whose max grew to 700 ms stalled now.
  Sample s1 = b.Add({.t = 2, .instances = {View(0, 1, 10, 1, {{"0_0", 4000}, {"0_1", 700}})}});
  EXPECT_EQ(s1.max_stall_ms, 700);
  Sample s2 = b.Add({.t = 4, .instances = {View(0, 1, 20, 1, {{"0_0", 4000}, {"0_1", 700}})}});
  EXPECT_EQ(s2.max_stall_ms, 0);
  // An ongoing stall counts as it is.
  Sample s3 =
      b.Add({.t = 6, .instances = {View(0, 1, 30, 1, {{"0_0", 4000}, {"0_1", 700}}, 1500)}});
  EXPECT_EQ(s3.max_stall_ms, 1500);
  // A new instance: everything it reports happened since it started.
  Sample s4 =
      b.Add({.t = 8,
             .instances = {View(0, 1, 40, 2, {{"0_0", 4000}}), View(1, 9, 5, 2, {{"0_1", 2200}})}});
  EXPECT_EQ(s4.max_stall_ms, 2200);
}

TEST(SampleBuilderTest, DesiredIsTheUpperMedian) {
  EXPECT_EQ(UpperMedian({}), std::nullopt);
  EXPECT_EQ(UpperMedian({3}), 3);
  EXPECT_EQ(UpperMedian({1, 4}), 4);
  EXPECT_EQ(UpperMedian({4, 1, 2}), 2);
  SampleBuilder b;
  const Sample s = b.Add({.t = 0,
                          .instances = {View(0, 1, 0, 1, {}, 0, 3), View(1, 1, 0, 1, {}, 0, 1),
                                        View(2, 1, 0, 1, {}, 0, 3)}});
  EXPECT_EQ(s.desired, 3);
}

TEST(TableTest, RowsLineUpWithTheHeader) {
  const std::string h = TableHeader();
  const std::string r = TableRow(Sample{.t = 62,
                                        .phase = "high",
                                        .replicas = 3,
                                        .running = 2,
                                        .desired = 3,
                                        .input_rate = 6012.4,
                                        .processed_rate = 15500,
                                        .lag = 12345,
                                        .rebalances = 2,
                                        .max_stall_ms = 1250});
  EXPECT_EQ(h.size(), r.size()) << h << "\n" << r;
  EXPECT_THAT(r, HasSubstr("2/3"));
  EXPECT_THAT(r, HasSubstr("6012"));
  EXPECT_THAT(r, HasSubstr("15.5k"));
  EXPECT_THAT(r, HasSubstr("12345"));
  EXPECT_THAT(r, HasSubstr("1.2 s"));
  EXPECT_THAT(TableRow(Sample{}), HasSubstr(" - "));
}

TEST(SubprocessTest, ShellQuote) {
  EXPECT_EQ(ShellQuote({"brook", "local", "--state-dir", "/tmp/a b", "it's"}),
            "brook local --state-dir '/tmp/a b' 'it'\\''s'");
  EXPECT_EQ(ShellQuote({"a=b,c:d", ""}), "a=b,c:d ''");
}

TEST(SubprocessTest, StartsLogsAndStopsWithSigterm) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("brook-subprocess-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Subprocess p;
  ASSERT_TRUE(p.Start({"/bin/sh", "-c", "echo hello; exec sleep 30"}, dir / "log").ok());
  EXPECT_TRUE(p.Running());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(p.Stop(std::chrono::seconds(5)), 128 + SIGTERM);
  EXPECT_FALSE(p.Running());
  std::ifstream in(dir / "log");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "hello");

  Subprocess stubborn;  // ignores SIGTERM: killed after the grace period
  ASSERT_TRUE(stubborn.Start({"/bin/sh", "-c", "trap '' TERM; sleep 30"}, dir / "log2").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(stubborn.Stop(std::chrono::milliseconds(300)), 128 + SIGKILL);

  Subprocess quick;
  ASSERT_TRUE(quick.Start({"/bin/sh", "-c", "exit 7"}, dir / "log3").ok());
  while (quick.Running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(quick.exit_code(), 7);

  Subprocess missing;
  EXPECT_THAT(missing.Start({"/nonexistent/prog"}, dir / "log4").ToString(),
              HasSubstr("cannot start '/nonexistent/prog'"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace brook::demo
