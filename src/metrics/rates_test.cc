#include "metrics/rates.h"

#include <gtest/gtest.h>

#include "metrics/test_status.h"

namespace brook::metrics {
namespace {

using testing::FakeStatus;

TEST(MetricsRates, PerSecondAndBusyRatiosOverTheWindow) {
  const StreamsStatus before = FakeStatus(1'700'000'010'000);
  StreamsStatus after = FakeStatus(1'700'000'015'000);  // 5 s later
  after.consumed += 500;
  after.processed += 400;
  after.tasks[0].consumed += 500;
  after.tasks[0].processed += 400;
  after.tasks[0].busy_seconds += 2.5;
  after.threads[0].busy_seconds += 4.0;  // stream-0: 80 %
  after.threads[1].busy_seconds += 9.0;  // stream-1: more than wall: clamped
  after.threads[2].busy_seconds += 1.0;  // restore: 20 %, not a stream thread
  std::optional<Rates> r = ComputeRates(before, after);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->window_seconds, 5);
  EXPECT_EQ(r->consumed_per_second, 100);
  EXPECT_EQ(r->processed_per_second, 80);
  ASSERT_EQ(r->tasks.size(), 2u);  // the active ones: 0_0 and the restoring 0_1
  EXPECT_EQ(r->tasks.at(TaskId{0, 0}).consumed_per_second, 100);
  EXPECT_EQ(r->tasks.at(TaskId{0, 0}).processed_per_second, 80);
  EXPECT_EQ(r->tasks.at(TaskId{0, 0}).busy_ratio, 0.5);
  EXPECT_EQ(r->tasks.at(TaskId{0, 1}).processed_per_second, 0);
  EXPECT_EQ(r->threads.at("stream-0"), 0.8);
  EXPECT_EQ(r->threads.at("stream-1"), 1.0);
  EXPECT_EQ(r->threads.at("restore"), 0.2);
  EXPECT_EQ(r->busy_ratio, 1.0);  // (4 + 9) / (5 x 2), clamped
}

TEST(MetricsRates, NewAndRecreatedTasksCountFromZero) {
  StreamsStatus before = FakeStatus(1'000'000);
  StreamsStatus after = FakeStatus(1'010'000);  // 10 s
  before.tasks.erase(before.tasks.begin());     // 0_0 is new in `after`
  before.tasks[0].processed = 500;              // 0_1 had processed 500, then was re-created
  after.tasks[1].processed = 20;                // and has processed 20 since
  std::optional<Rates> r = ComputeRates(before, after);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->tasks.at(TaskId{0, 0}).processed_per_second, 100);  // 1000 / 10 from zero
  EXPECT_EQ(r->tasks.at(TaskId{0, 1}).processed_per_second, 2);    // 20 / 10 from zero
  EXPECT_EQ(CounterDelta(10, 15), 5);
  EXPECT_EQ(CounterDelta(10, 4), 4);
}

TEST(MetricsRates, NoWindowNoRates) {
  EXPECT_FALSE(ComputeRates(FakeStatus(5000), FakeStatus(5000)).has_value());
  EXPECT_FALSE(ComputeRates(FakeStatus(6000), FakeStatus(5000)).has_value());
}

TEST(MetricsStall, GapsWhileRecordsWaitAreStalls) {
  StallTracker t;
  t.Reset(1000);
  EXPECT_EQ(t.Turn(0, 0, 1010), 0);  // idle: no stall
  EXPECT_EQ(t.waiting_since_ms(), -1);
  // Records arrived, none processed in this turn: they wait since the partition was last
  // seen empty.
  EXPECT_EQ(t.Turn(50, 50, 1020), 0);
  EXPECT_EQ(t.waiting_since_ms(), 1010);
  EXPECT_EQ(t.Turn(50, 10, 1030), 20);  // progress after waiting 20 ms
  EXPECT_EQ(t.Turn(10, 10, 1530), 0);   // held: no progress for 500 ms
  EXPECT_EQ(t.max_stall_ms, 500);
  EXPECT_EQ(t.waiting_since_ms(), 1030);
  EXPECT_EQ(t.Turn(10, 10, 2030), 0);
  EXPECT_EQ(t.max_stall_ms, 1000);
  EXPECT_EQ(t.Turn(10, 0, 2040), 1010);  // the stop-the-world ends
  EXPECT_EQ(t.max_stall_ms, 1010);
  EXPECT_EQ(t.waiting_since_ms(), -1);
  EXPECT_EQ(t.Turn(0, 0, 9000), 0);  // a long idle gap is no stall
  EXPECT_EQ(t.max_stall_ms, 1010);
}

TEST(MetricsStall, CompletePartitionComputesLagAndOngoingStall) {
  StreamsPartitionInfo p{.topic = "in", .position = 90, .end_offset = 95, .max_stall_ms = 30};
  CompletePartition(p, 100, 4000, 5000);
  EXPECT_EQ(p.end_offset, 100);  // the newer of the watermark and the group read
  EXPECT_EQ(p.lag, 10);
  EXPECT_EQ(p.stall_ms, 1000);
  EXPECT_EQ(p.max_stall_ms, 1000);

  StreamsPartitionInfo q{.position = 90, .end_offset = 120};
  CompletePartition(q, -1, -1, 5000);
  EXPECT_EQ(q.end_offset, 120);
  EXPECT_EQ(q.lag, 30);
  EXPECT_EQ(q.stall_ms, 0);

  StreamsPartitionInfo unknown{.position = -1, .end_offset = 10};
  CompletePartition(unknown, -1, -1, 5000);
  EXPECT_EQ(unknown.lag, -1);
  StreamsPartitionInfo ahead{.position = 12, .end_offset = 10};  // watermark not caught up
  CompletePartition(ahead, -1, -1, 5000);
  EXPECT_EQ(ahead.lag, 0);

  EXPECT_EQ(InputLag({p, q}), 40);
  EXPECT_EQ(InputLag({p, unknown}), -1);
  EXPECT_EQ(InputLag({}), -1);
}

}  // namespace
}  // namespace brook::metrics
