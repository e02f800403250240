// The page views topology in the TopologyTestDriver: views land in the right tumbling and
// hopping windows (by their event time), final counts appear only once a window closed,
// late views are dropped.
#include "pageviews/pageviews.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "brook/json_serde.h"
#include "brook/state/serde.h"
#include "brook/test_driver.h"
#include "brook/windowed.h"

namespace brook::examples::pageviews {
namespace {

constexpr int64_t kT0 = 1704067200000;  // 2024-01-01T00:00:00Z, a minute boundary
constexpr int64_t kS = 1000;
constexpr int64_t kM = 60 * kS;

using Counts = std::map<Windowed<std::string>, int64_t>;

Windowed<std::string> W(const std::string& user, int64_t start, int64_t size) {
  return {user, Window{kT0 + start, kT0 + start + size}};
}

class PageViewsTopologyTest : public ::testing::Test {
 protected:
  // Pipes a view with event time kT0 + offset_ms; the record's own timestamp is 0, so
  // windows follow the event time only if the extractor reads it.
  void View(const std::string& user, int64_t offset_ms) {
    in_.PipeInput(user, PageView{.user = user, .page = "/", .ts = kT0 + offset_ms}, 0);
  }
  Counts PerMinute() { return per_minute_.ReadKeyValuesToMap(); }
  Counts Per5Min() { return per_5min_.ReadKeyValuesToMap(); }

  TopologyTestDriver driver_{
      BuildTopology({.input = "views", .per_minute = "per-minute", .per_5min = "per-5min"}),
      {{"application.id", "pv"}}};
  TestInputTopic<std::string, PageView> in_ =
      driver_.CreateInputTopic<std::string, PageView>("views");
  TestOutputTopic<Windowed<std::string>, int64_t, TimeWindowedSerde<std::string>, state::Int64Serde>
      per_minute_ = driver_.CreateOutputTopic<Windowed<std::string>, int64_t>(
          "per-minute", TimeWindowedSerde<std::string>(kM), state::Int64Serde{});
  TestOutputTopic<Windowed<std::string>, int64_t, TimeWindowedSerde<std::string>, state::Int64Serde>
      per_5min_ = driver_.CreateOutputTopic<Windowed<std::string>, int64_t>(
          "per-5min", TimeWindowedSerde<std::string>(5 * kM), state::Int64Serde{});
};

TEST_F(PageViewsTopologyTest, FinalCountsPerWindowOnlyAfterTheWindowCloses) {
  View("a", 30 * kS);
  View("a", 60 * kS - 1);  // the last millisecond of [T0, T0 + 1 min)
  View("a", 60 * kS);      // the first of [T0 + 1 min, T0 + 2 min)
  View("b", 61 * kS);
  // Stream time T0 + 61 s: [T0, T0 + 1 min) closes at T0 + 70 s (end + 10 s grace).
  EXPECT_TRUE(per_minute_.IsEmpty());
  EXPECT_TRUE(per_5min_.IsEmpty());
  // The store already holds the running counts.
  auto store = driver_.GetWindowStore<std::string, int64_t>(kPerMinuteStore);
  EXPECT_EQ(store.Fetch("a", kT0), std::optional<int64_t>(2));
  EXPECT_EQ(store.Fetch("a", kT0 + kM), std::optional<int64_t>(1));

  View("b", 70 * kS);  // stream time T0 + 70 s: the first minute is final
  EXPECT_EQ(PerMinute(), (Counts{{W("a", 0, kM), 2}}));
  // The hopping window [T0 - 4 min, T0 + 1 min) closes at the same time; it holds a's
  // views at 30 s and 59.999 s.
  EXPECT_EQ(Per5Min(), (Counts{{W("a", -4 * kM, 5 * kM), 2}}));

  // Too late for [T0, T0 + 1 min) and [T0 - 4 min, T0 + 1 min): dropped there, counted in
  // the four later hopping windows that are still open.
  View("a", 5 * kS);
  EXPECT_TRUE(per_minute_.IsEmpty());
  EXPECT_TRUE(per_5min_.IsEmpty());
  EXPECT_EQ(driver_.DroppedRecords(), 2U);

  View("c", 10 * kM);  // stream time T0 + 10 min: every window ending by T0 + 9:50 closes
  EXPECT_EQ(PerMinute(), (Counts{{W("a", kM, kM), 1}, {W("b", kM, kM), 2}}));
  EXPECT_EQ(Per5Min(), (Counts{
                           {W("a", -3 * kM, 5 * kM), 4},
                           {W("a", -2 * kM, 5 * kM), 4},
                           {W("a", -1 * kM, 5 * kM), 4},
                           {W("a", 0, 5 * kM), 4},
                           {W("a", kM, 5 * kM), 1},
                           {W("b", -3 * kM, 5 * kM), 2},
                           {W("b", -2 * kM, 5 * kM), 2},
                           {W("b", -1 * kM, 5 * kM), 2},
                           {W("b", 0, 5 * kM), 2},
                           {W("b", kM, 5 * kM), 2},
                       }));
  // c's windows are still open.
  EXPECT_TRUE(per_minute_.IsEmpty());
  EXPECT_TRUE(per_5min_.IsEmpty());
}

TEST_F(PageViewsTopologyTest, EachWindowIsWrittenOnceWithItsFinalCount) {
  for (int i = 0; i < 5; ++i) View("a", 10 * kS + i * kS);
  View("a", 2 * kM);  // closes [T0, T0 + 1 min) (and [T0 - 4 min, T0 + 1 min))
  const auto records = per_minute_.ReadKeyValuesToList();
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].key, W("a", 0, kM));
  EXPECT_EQ(records[0].value, 5);
}

TEST_F(PageViewsTopologyTest, AViewThatIsNotAPageViewFailsTheTask) {
  EXPECT_THROW(driver_.PipeRaw("views", std::string("a"), std::string("{\"user\":1}"), 0),
               brook::Error);
  EXPECT_EQ(EventTime(std::string_view("not json")), -1);
  EXPECT_EQ(EventTime(std::nullopt), -1);
  EXPECT_EQ(EventTime(std::string_view(R"({"user":"a","page":"/","ts":1234})")), 1234);
}

TEST(PageViewGeneratorTest, DeterministicOrderedWithinTheGraceAndClosedByTheClosingViews) {
  PageViewGenerator a(3);
  PageViewGenerator b(3);
  int64_t max_ts = 0;
  std::set<std::string> users;
  for (int i = 0; i < 2000; ++i) {
    const PageView v = a.Next();
    EXPECT_EQ(v, b.Next());
    EXPECT_GE(v.ts, PageViewGenerator::kDefaultStartMs - 5000);
    // Never later than the grace period behind the latest view so far: no view is late.
    EXPECT_GT(v.ts, max_ts - kGrace.count());
    max_ts = std::max(max_ts, v.ts);
    users.insert(v.user);
  }
  EXPECT_EQ(a.max_ts(), max_ts);
  EXPECT_GT(users.size(), 30U);
  const std::vector<PageView> closing = a.ClosingViews();
  ASSERT_EQ(closing.size(), 50U);
  EXPECT_EQ(closing.front().user, "user-00");
  EXPECT_EQ(closing.back().user, "user-49");
  // Past the close time of every hopping window holding a view.
  EXPECT_GE(closing.front().ts, max_ts + kHoppingSize.count() + kGrace.count());
}

}  // namespace
}  // namespace brook::examples::pageviews
