#include "metrics/scaling_signal.h"

#include <gtest/gtest.h>

namespace brook::metrics {
namespace {

ScalingReading Reading(double at, int64_t ends, int64_t backlog, int64_t processed, double busy,
                       int members = 2) {
  return ScalingReading{
      .group = GroupSample{.at_seconds = at,
                           .source_end_offsets = ends,
                           .backlog_records = backlog,
                           .members = members,
                           .tasks = 8,
                           .source_partitions = 8},
      .self = scaling::InstanceReading{.instance = "pod-0",
                                       .counters = {.records_processed = processed,
                                                    .busy_seconds = busy,
                                                    .process_start_ms = 42},
                                       .threads = 2}};
}

TEST(ScalingSignal, FirstReadingHoldsThenTheModelDecides) {
  ScalingSignal s = ScalingSignal::Create({}).value();
  Result<scaling::Decision> first = s.Update(Reading(100, 0, 0, 0, 0));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->basis, scaling::Basis::kHoldNoInputRate);
  EXPECT_EQ(first->desired, 2);  // the current count
  // 10 s later: input 6000/s, this instance processed 10000 records in 5 busy thread-seconds
  // (2000/s per thread, 4000/s with its 2 threads), backlog 12000:
  // ceil((6000 + 12000 / 120) / (4000 x 0.8)) = ceil(1.90625) = 2; with more input, more.
  Result<scaling::Decision> d = s.Update(Reading(110, 60000, 12000, 10000, 5));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->basis, scaling::Basis::kModel) << d->reason;
  EXPECT_EQ(d->window_seconds, 10);
  EXPECT_EQ(*d->input_rate, 6000);
  EXPECT_EQ(*d->true_rate_per_instance, 4000);
  EXPECT_EQ(d->desired, 2);
  Result<scaling::Decision> more = s.Update(Reading(120, 260000, 12000, 20000, 10));
  ASSERT_TRUE(more.ok());
  // Over [100, 120]: input 13000/s, rate 4000/s per instance: ceil(13100 / 3200) = 5.
  EXPECT_EQ(more->window_seconds, 20);
  EXPECT_EQ(more->desired, 5) << more->reason;
}

TEST(ScalingSignal, TheWindowSlides) {
  ScalingSignal s =
      ScalingSignal::Create({.model = {}, .window = std::chrono::seconds(30)}).value();
  for (int i = 0; i <= 10; ++i) {
    Result<scaling::Decision> d =
        s.Update(Reading(5.0 * i, int64_t{1000} * i, 0, int64_t{1000} * i, 0.5 * i));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->window_seconds, std::min(30.0, 5.0 * i)) << "reading " << i;
  }
}

TEST(ScalingSignal, UnknownMembersCountAsOneAndTheClockGoingBackStartsOver) {
  ScalingSignal s = ScalingSignal::Create({}).value();
  ASSERT_TRUE(s.Update(Reading(100, 0, 0, 0, 0, -1)).ok());
  Result<scaling::Decision> d = s.Update(Reading(90, 0, 0, 0, 0, -1));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->current_replicas, 1);
  EXPECT_EQ(d->window_seconds, 0);  // history dropped
}

TEST(ScalingSignal, InvalidOptionsNameTheField) {
  Result<ScalingSignal> bad = ScalingSignal::Create({.model = {.target_utilisation = 1.5}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("target_utilisation"), std::string::npos);
  EXPECT_FALSE(ScalingSignal::Create({.model = {}, .window = std::chrono::milliseconds(0)}).ok());
}

}  // namespace
}  // namespace brook::metrics
