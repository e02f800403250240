#include <gtest/gtest.h>

#include <set>

#include "loadgen/generator.h"
#include "loadgen/rate_limiter.h"

namespace brook::loadgen {
namespace {

TEST(RecordGenerator, DeterministicAndSeedDependent) {
  RecordGenerator a({.seed = 1, .key_cardinality = 100, .value_size = 50});
  RecordGenerator b({.seed = 1, .key_cardinality = 100, .value_size = 50});
  RecordGenerator c({.seed = 2, .key_cardinality = 100, .value_size = 50});
  int same_as_other_seed = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(a.Key(i), b.Key(i));
    EXPECT_EQ(a.Value(i), b.Value(i));
    same_as_other_seed += a.Value(i) == c.Value(i) ? 1 : 0;
  }
  EXPECT_EQ(same_as_other_seed, 0);
}

TEST(RecordGenerator, KeyCardinalityIsUsedFully) {
  RecordGenerator g({.seed = 7, .key_cardinality = 50, .value_size = 10});
  std::set<std::string> keys;
  for (uint64_t i = 0; i < 5000; ++i) keys.insert(g.Key(i));
  EXPECT_EQ(keys.size(), 50U);
  EXPECT_EQ(g.Key(0).size(), std::string("key-00000000").size());
}

TEST(RecordGenerator, ValueHasExactSizeAndEncodesIndex) {
  for (uint32_t size : {0U, 1U, 3U, 100U, 1000U}) {
    RecordGenerator g({.seed = 3, .key_cardinality = 10, .value_size = size});
    for (uint64_t i : {0ULL, 9ULL, 123456ULL}) {
      const std::string v = g.Value(i);
      EXPECT_EQ(v.size(), size);
      if (size >= 8) {
        EXPECT_EQ(RecordGenerator::IndexOf(v), static_cast<int64_t>(i));
      }
    }
  }
  EXPECT_EQ(RecordGenerator::IndexOf("nope"), -1);
  EXPECT_EQ(RecordGenerator::IndexOf("|x"), -1);
  EXPECT_EQ(RecordGenerator::IndexOf("12a|x"), -1);
}

TEST(RateLimiter, PacesWithoutDrift) {
  const auto t0 = RateLimiter::Clock::now();
  RateLimiter r(1000.0, t0);  // one event per ms
  EXPECT_EQ(r.WaitBefore(0, t0), RateLimiter::Clock::duration::zero());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(r.WaitBefore(500, t0)).count(), 500);
  // Late: no wait, and no catch-up penalty beyond the schedule.
  EXPECT_EQ(r.WaitBefore(10, t0 + std::chrono::seconds(1)), RateLimiter::Clock::duration::zero());
  RateLimiter unlimited(0, t0);
  EXPECT_EQ(unlimited.WaitBefore(1000000, t0), RateLimiter::Clock::duration::zero());
}

}  // namespace
}  // namespace brook::loadgen
