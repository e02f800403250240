// The activity topology in the TopologyTestDriver, and the simulated work's average.
#include "activity/activity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "brook/state/serde.h"
#include "brook/test_driver.h"

namespace brook::examples::activity {
namespace {

using ::testing::ElementsAre;

TEST(ActivityTopologyTest, CountsEventsPerUserIntoTheNamedStore) {
  TopologyTestDriver driver(BuildTopology({.input = "in", .output = "out", .work_us = 0}),
                            {{"application.id", "act"}});
  auto in = driver.CreateInputTopic<std::string, std::string>("in");
  auto out = driver.CreateOutputTopic<std::string, int64_t>("out");
  in.PipeInput("user-1", "/a", 1000);
  in.PipeInput("user-2", "/b", 1001);
  in.PipeInput("user-1", "/c", 1002);
  using KV = KeyValue<std::string, int64_t>;
  EXPECT_THAT(out.ReadKeyValuesToList(),
              ElementsAre(KV{"user-1", 1}, KV{"user-2", 1}, KV{"user-1", 2}));
  auto store = driver.GetKeyValueStore<std::string, int64_t>(kCountsStore);
  EXPECT_EQ(store.Get("user-1"), std::optional<int64_t>(2));
  EXPECT_EQ(store.Get("user-3"), std::nullopt);
}

TEST(ActivityTopologyTest, HasNoRepartitionTopic) {
  const std::string d = BuildTopology({}).Describe();
  EXPECT_THAT(d, ::testing::HasSubstr("activity-input"));
  EXPECT_THAT(d, ::testing::HasSubstr("activity-counts"));
  EXPECT_THAT(d, ::testing::Not(::testing::HasSubstr("repartition")));
}

TEST(SimulatedWorkTest, SleepsInBatchesAndKeepsTheAverage) {
  int64_t sleeps = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 400; ++i) {
    if (SimulatedWork(250) > 0) ++sleeps;
  }
  const auto took = std::chrono::steady_clock::now() - start;
  // 400 x 250 us = 100 ms owed, paid in sleeps of >= 1 ms (at most 100 of them).
  EXPECT_GE(took, std::chrono::milliseconds(95));
  EXPECT_LE(sleeps, 100);
  EXPECT_GE(sleeps, 1);
  EXPECT_EQ(SimulatedWork(0), 0);
}

TEST(UserOfTest, SeededSpreadOverTheUsers) {
  std::set<std::string> seen;
  for (int64_t i = 0; i < 2000; ++i) {
    const std::string u = UserOf(42, i, 100);
    EXPECT_EQ(u, UserOf(42, i, 100));
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 100U);
  EXPECT_NE(UserOf(1, 5, 1000000), UserOf(2, 5, 1000000));
}

}  // namespace
}  // namespace brook::examples::activity
