// Unit tests of the scaling model (model.h): the formula computed by hand, the bounds, every
// edge case of the observations with its defined answer, config validation, and
// ObservationBetween.
#include "scaling/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace brook::scaling {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// An instance that processed `processed` records in `busy` busy thread-seconds over a
// `wall`-second window, from counters that were already running.
InstanceWindow Inst(std::string id, int64_t processed, double busy, double wall = 30.0,
                    int threads = 2) {
  InstanceWindow w;
  w.instance = std::move(id);
  w.start = {.records_processed = 50000, .busy_seconds = 100.0, .process_start_ms = 42};
  w.end = {
      .records_processed = 50000 + processed, .busy_seconds = 100.0 + busy, .process_start_ms = 42};
  w.wall_seconds = wall;
  w.threads = threads;
  return w;
}

// A group at `current` replicas of `tasks` tasks; `input` records arrived in `window` s.
Observation Obs(int current, int tasks, double window, int64_t input, int64_t backlog,
                std::vector<InstanceWindow> instances) {
  Observation o;
  o.current_replicas = current;
  o.tasks = tasks;
  o.window_seconds = window;
  o.source_end_offsets_start = 1000000;
  o.source_end_offsets_end = 1000000 + input;
  o.backlog_records = backlog;
  o.instances = std::move(instances);
  return o;
}

// Two fully busy 2-thread instances at 1000 records/s each (500 per busy thread-second).
std::vector<InstanceWindow> TwoFullyBusy() {
  return {Inst("pod-0", 30000, 60.0), Inst("pod-1", 30000, 60.0)};
}

Decision MustDecide(const Observation& o, const ModelConfig& c = {}) {
  Result<Decision> r = Decide(o, c);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : Decision{};
}

TEST(ScalingModel, FormulaByHand) {
  // 6000 records/s in (180000 in 30 s), backlog 120000: 120000 / 120 s = 1000/s more.
  // True rate: 60000 records / 120 busy thread-s = 500/thread-s, x 2 threads = 1000/s.
  // ceil((6000 + 1000) / (1000 x 0.8)) = ceil(8.75) = 9.
  const Decision d = MustDecide(Obs(2, 12, 30.0, 180000, 120000, TwoFullyBusy()));
  EXPECT_EQ(d.basis, Basis::kModel);
  EXPECT_EQ(d.instances_used, 2);
  EXPECT_EQ(d.processed_records, 60000);
  EXPECT_DOUBLE_EQ(d.busy_seconds, 120.0);
  EXPECT_DOUBLE_EQ(d.true_rate_per_thread.value(), 500.0);
  EXPECT_DOUBLE_EQ(d.true_rate_per_instance.value(), 1000.0);
  EXPECT_DOUBLE_EQ(d.input_rate.value(), 6000.0);
  EXPECT_DOUBLE_EQ(d.backlog_rate, 1000.0);
  EXPECT_DOUBLE_EQ(d.demand_rate, 7000.0);
  EXPECT_DOUBLE_EQ(d.capacity_per_replica.value(), 800.0);
  EXPECT_DOUBLE_EQ(d.raw_desired.value(), 8.75);
  EXPECT_EQ(d.unclamped_desired.value(), 9);
  EXPECT_EQ(d.desired, 9);
  EXPECT_EQ(d.lower_bound, 1);
  EXPECT_EQ(d.upper_bound, 12);
  EXPECT_EQ(d.current_replicas, 2);
  EXPECT_EQ(d.reason,
            "9 replicas = ceil((6000 input/s + 120000 backlog / 120 s) / (1000/s per instance "
            "x 0.8)) = ceil(8.750)");
  ASSERT_EQ(d.instances.size(), 2U);
  EXPECT_EQ(d.instances[0].exclusion, Exclusion::kNone);
  EXPECT_DOUBLE_EQ(d.instances[0].busy_fraction, 1.0);
  EXPECT_DOUBLE_EQ(d.instances[0].true_rate_per_thread, 500.0);
  EXPECT_DOUBLE_EQ(d.instances[0].true_rate, 1000.0);
}

TEST(ScalingModel, ConfigChangesTheAnswer) {
  // Same observation, utilisation 0.5 and catch-up 60 s: ceil((6000 + 2000) / 500) = 16,
  // capped at the 12 tasks.
  ModelConfig c;
  c.target_utilisation = 0.5;
  c.catch_up_target_seconds = 60.0;
  const Decision d = MustDecide(Obs(2, 12, 30.0, 180000, 120000, TwoFullyBusy()), c);
  EXPECT_DOUBLE_EQ(d.raw_desired.value(), 16.0);
  EXPECT_EQ(d.unclamped_desired.value(), 16);
  EXPECT_EQ(d.desired, 12);
  EXPECT_NE(d.reason.find("capped at 12 (the number of tasks)"), std::string::npos) << d.reason;
}

TEST(ScalingModel, TrueRateUsesBusyTimeNotWallTime) {
  // 10% busy: 3000 records in 30 s wall is 100/s, but in 6 busy thread-s it is 500 per
  // thread-s: the instance could do 1000/s. 600/s input needs ceil(600 / 800) = 1 replica.
  const Decision d = MustDecide(Obs(3, 12, 30.0, 18000, 0, {Inst("pod-0", 3000, 6.0)}));
  EXPECT_EQ(d.basis, Basis::kModel);
  EXPECT_DOUBLE_EQ(d.instances[0].busy_fraction, 0.1);
  EXPECT_DOUBLE_EQ(d.instances[0].true_rate_per_thread, 500.0);
  EXPECT_DOUBLE_EQ(d.instances[0].true_rate, 1000.0);
  EXPECT_DOUBLE_EQ(d.true_rate_per_instance.value(), 1000.0);
  EXPECT_DOUBLE_EQ(d.raw_desired.value(), 0.75);
  EXPECT_EQ(d.desired, 1);
}

TEST(ScalingModel, AggregateIsBusyWeightedTimesMeanThreads) {
  // pod-0: 1000 records / 1 busy s (1 thread); pod-1: 90000 / 100 busy s (3 threads).
  // Per thread: 91000 / 101; per instance: that x mean threads 2.
  const Decision d =
      MustDecide(Obs(2, 12, 60.0, 60000, 0,
                     {Inst("pod-0", 1000, 1.0, 60.0, 1), Inst("pod-1", 90000, 100.0, 60.0, 3)}));
  EXPECT_DOUBLE_EQ(d.true_rate_per_thread.value(), 91000.0 / 101.0);
  EXPECT_DOUBLE_EQ(d.true_rate_per_instance.value(), 91000.0 / 101.0 * 2.0);
  EXPECT_DOUBLE_EQ(d.instances[0].true_rate, 1000.0);
  EXPECT_DOUBLE_EQ(d.instances[1].true_rate, 2700.0);
}

TEST(ScalingModel, AnExactQuotientIsNotRoundedUp) {
  // 700/s per instance x 0.7 is 489.99999999999994 in doubles, and 1960 / that is
  // 4.000000000000001: still 4 replicas.
  ModelConfig c;
  c.target_utilisation = 0.7;
  const Decision d =
      MustDecide(Obs(1, 12, 10.0, 19600, 0, {Inst("pod-0", 7000, 10.0, 10.0, 1)}), c);
  EXPECT_GT(d.raw_desired.value(), 4.0);
  EXPECT_EQ(d.desired, 4);
}

TEST(ScalingModel, BoundsMaxReplicasAndMin) {
  ModelConfig c;
  c.max_replicas = 5;
  Decision d = MustDecide(Obs(2, 12, 30.0, 180000, 120000, TwoFullyBusy()), c);
  EXPECT_EQ(d.upper_bound, 5);
  EXPECT_EQ(d.desired, 5);
  EXPECT_NE(d.reason.find("capped at 5 (max_replicas)"), std::string::npos) << d.reason;

  // 600/s needs 1; min_replicas 3 raises it.
  c = {};
  c.min_replicas = 3;
  d = MustDecide(Obs(3, 12, 30.0, 18000, 0, {Inst("pod-0", 3000, 6.0)}), c);
  EXPECT_EQ(d.unclamped_desired.value(), 1);
  EXPECT_EQ(d.desired, 3);
  EXPECT_NE(d.reason.find("raised to 3 (min_replicas)"), std::string::npos) << d.reason;
}

TEST(ScalingModel, MinReplicasAboveTasksGivesTheTaskCount) {
  ModelConfig c;
  c.min_replicas = 5;
  const Decision d = MustDecide(Obs(5, 3, 30.0, 18000, 0, {Inst("pod-0", 3000, 6.0)}), c);
  EXPECT_EQ(d.lower_bound, 3);
  EXPECT_EQ(d.upper_bound, 3);
  EXPECT_EQ(d.desired, 3);
}

TEST(ScalingModel, HugeDemandSaturatesWithoutOverflow) {
  // 100 records in 1e6 busy s: 1e-4 per thread-s; 1e9 input/s needs ~6e12 replicas.
  const Decision d = MustDecide(Obs(2, 64, 1.0, 1000000000, 0, {Inst("pod-0", 100, 1e6, 1e6, 1)}));
  EXPECT_EQ(d.basis, Basis::kModel);
  EXPECT_EQ(d.unclamped_desired.value(), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(d.desired, 64);
}

TEST(ScalingModel, NoBusyTimeYetHolds) {
  // Fresh instances: counters did not move.
  const Decision d =
      MustDecide(Obs(4, 12, 30.0, 180000, 5000, {Inst("pod-0", 0, 0.0), Inst("pod-1", 0, 0.0)}));
  EXPECT_EQ(d.basis, Basis::kHoldNoRate);
  EXPECT_EQ(d.desired, 4);
  EXPECT_FALSE(d.true_rate_per_instance.has_value());
  EXPECT_FALSE(d.raw_desired.has_value());
  EXPECT_DOUBLE_EQ(d.input_rate.value(), 6000.0);  // still reported
  EXPECT_EQ(d.instances[0].exclusion, Exclusion::kNoRecords);
  EXPECT_EQ(d.reason,
            "hold at 4 replicas: no rate estimate: 0 of 2 instances usable (pod-0: no_records; "
            "pod-1: no_records)");
}

TEST(ScalingModel, NoInstancesHolds) {
  const Decision d = MustDecide(Obs(3, 12, 30.0, 180000, 0, {}));
  EXPECT_EQ(d.basis, Basis::kHoldNoRate);
  EXPECT_EQ(d.desired, 3);
  EXPECT_EQ(d.reason, "hold at 3 replicas: no rate estimate: 0 of 0 instances usable");
}

TEST(ScalingModel, BusyWithoutRecordsAndRecordsWithoutBusy) {
  const Decision d =
      MustDecide(Obs(2, 12, 30.0, 180000, 0, {Inst("pod-0", 0, 30.0), Inst("pod-1", 5000, 0.0)}));
  EXPECT_EQ(d.basis, Basis::kHoldNoRate);
  EXPECT_EQ(d.desired, 2);
  EXPECT_EQ(d.instances[0].exclusion, Exclusion::kNoRecords);
  EXPECT_EQ(d.instances[1].exclusion, Exclusion::kNoBusyTime);
}

TEST(ScalingModel, RestartedInstanceIsLeftOut) {
  // pod-1's counters went backwards: it restarted. The rate comes from pod-0 alone.
  InstanceWindow restarted = Inst("pod-1", 0, 0.0);
  restarted.end = {.records_processed = 700, .busy_seconds = 1.0, .process_start_ms = 42};
  const Decision d =
      MustDecide(Obs(2, 12, 30.0, 180000, 120000, {Inst("pod-0", 30000, 60.0), restarted}));
  EXPECT_EQ(d.basis, Basis::kModel);
  EXPECT_EQ(d.instances[1].exclusion, Exclusion::kRestarted);
  EXPECT_EQ(d.instances[1].processed_records, 700 - 50000);
  EXPECT_EQ(d.instances_used, 1);
  EXPECT_DOUBLE_EQ(d.true_rate_per_instance.value(), 1000.0);
  EXPECT_EQ(d.desired, 9);
  EXPECT_NE(d.reason.find("; rate from 1 of 2 instances usable (pod-1: restarted)"),
            std::string::npos)
      << d.reason;
}

TEST(ScalingModel, NewProcessStartIsARestartEvenIfCountersGrew) {
  InstanceWindow w = Inst("pod-0", 30000, 60.0);
  w.end.process_start_ms = 43;
  const Decision d = MustDecide(Obs(2, 12, 30.0, 180000, 0, {w}));
  EXPECT_EQ(d.instances[0].exclusion, Exclusion::kRestarted);
  EXPECT_EQ(d.basis, Basis::kHoldNoRate);
  EXPECT_EQ(d.desired, 2);
  // An unknown start time (0) on either side is no evidence of a restart.
  w.start.process_start_ms = 0;
  EXPECT_EQ(MustDecide(Obs(2, 12, 30.0, 180000, 0, {w})).instances[0].exclusion, Exclusion::kNone);
}

TEST(ScalingModel, InvalidInstanceNumbersAreLeftOut) {
  std::vector<InstanceWindow> bad;
  InstanceWindow nan_busy = Inst("nan-busy", 30000, 60.0);
  nan_busy.end.busy_seconds = kNaN;
  bad.push_back(nan_busy);
  InstanceWindow inf_busy = Inst("inf-busy", 30000, 60.0);
  inf_busy.end.busy_seconds = kInf;
  bad.push_back(inf_busy);
  InstanceWindow negative_busy = Inst("negative-busy", 30000, 60.0);
  negative_busy.start.busy_seconds = -1.0;
  bad.push_back(negative_busy);
  bad.push_back(Inst("negative-wall", 30000, 60.0, -30.0));
  bad.push_back(Inst("zero-wall", 30000, 60.0, 0.0));
  bad.push_back(Inst("nan-wall", 30000, 60.0, kNaN));
  bad.push_back(Inst("no-threads", 30000, 60.0, 30.0, 0));
  InstanceWindow negative_counter = Inst("negative-counter", 30000, 60.0);
  negative_counter.start.records_processed = std::numeric_limits<int64_t>::min();
  bad.push_back(negative_counter);
  const Decision d = MustDecide(Obs(2, 12, 30.0, 180000, 0, bad));
  for (const InstanceEstimate& e : d.instances) {
    EXPECT_EQ(e.exclusion, Exclusion::kInvalid) << e.instance;
  }
  EXPECT_EQ(d.basis, Basis::kHoldNoRate);
  EXPECT_EQ(d.desired, 2);
}

TEST(ScalingModel, BusyBeyondWallIsLeftOut) {
  // 2 threads x 30 s = 60 thread-s at most; 67 > 60 x 1.1.
  const Decision d = MustDecide(
      Obs(2, 12, 30.0, 180000, 0, {Inst("pod-0", 30000, 67.0), Inst("pod-1", 30000, 60.0)}));
  EXPECT_EQ(d.instances[0].exclusion, Exclusion::kBusyExceedsWall);
  EXPECT_EQ(d.instances[1].exclusion, Exclusion::kNone);
  EXPECT_EQ(d.instances_used, 1);
  // 66 <= 66 is tolerated.
  EXPECT_EQ(
      MustDecide(Obs(2, 12, 30.0, 180000, 0, {Inst("pod-0", 30000, 66.0)})).instances[0].exclusion,
      Exclusion::kNone);
}

TEST(ScalingModel, TooLittleBusyTimeOrRecordsHolds) {
  // 0.5 busy thread-s < min_busy_seconds 1.
  Decision d = MustDecide(Obs(2, 12, 30.0, 180000, 0, {Inst("pod-0", 500, 0.5)}));
  EXPECT_EQ(d.basis, Basis::kHoldNoRate);
  EXPECT_EQ(d.desired, 2);
  EXPECT_EQ(d.reason,
            "hold at 2 replicas: no rate estimate: 0.5 busy s and 500 records "
            "(min_busy_seconds 1, min_processed_records 100); 1 of 1 instances usable");
  // 99 records < min_processed_records 100.
  d = MustDecide(Obs(2, 12, 30.0, 180000, 0, {Inst("pod-0", 99, 5.0)}));
  EXPECT_EQ(d.basis, Basis::kHoldNoRate);
  // With both guards at 0, any busy time gives a rate.
  ModelConfig c;
  c.min_busy_seconds = 0;
  c.min_processed_records = 0;
  d = MustDecide(Obs(2, 12, 30.0, 180000, 0, {Inst("pod-0", 5, 0.01)}), c);
  EXPECT_EQ(d.basis, Basis::kModel);
}

TEST(ScalingModel, ZeroInputAndZeroBacklogGoesToTheLowerBound) {
  // Even with no rate estimate: nothing to process needs no capacity.
  ModelConfig c;
  c.min_replicas = 2;
  Decision d = MustDecide(Obs(6, 12, 30.0, 0, 0, {Inst("pod-0", 0, 0.0)}), c);
  EXPECT_EQ(d.basis, Basis::kIdle);
  EXPECT_EQ(d.desired, 2);
  EXPECT_DOUBLE_EQ(d.input_rate.value(), 0.0);
  EXPECT_EQ(d.reason, "2 replicas: no input and no backlog (the lower bound)");
  d = MustDecide(Obs(6, 12, 30.0, 0, 0, TwoFullyBusy()), c);
  EXPECT_EQ(d.basis, Basis::kIdle);
  EXPECT_EQ(d.desired, 2);
}

TEST(ScalingModel, ZeroInputWithBacklogDrainsIt) {
  // 240000 / 120 s = 2000/s; 2000 / 800 = 2.5 -> 3.
  const Decision d = MustDecide(Obs(1, 12, 30.0, 0, 240000, TwoFullyBusy()));
  EXPECT_EQ(d.basis, Basis::kModel);
  EXPECT_DOUBLE_EQ(d.demand_rate, 2000.0);
  EXPECT_EQ(d.desired, 3);
}

TEST(ScalingModel, EndOffsetsBackwardsHolds) {
  Observation o = Obs(3, 12, 30.0, 0, 0, TwoFullyBusy());
  o.source_end_offsets_end = o.source_end_offsets_start - 1;
  Decision d = MustDecide(o);
  EXPECT_EQ(d.basis, Basis::kHoldNoInputRate);
  EXPECT_FALSE(d.input_rate.has_value());
  EXPECT_EQ(d.desired, 3);
  EXPECT_EQ(d.reason,
            "hold at 3 replicas: no input rate: source end offsets 1000000 -> 999999 (negative "
            "or went backwards: topic deleted or recreated?)");
  o.source_end_offsets_start = -5;
  o.source_end_offsets_end = 10;
  d = MustDecide(o);
  EXPECT_EQ(d.basis, Basis::kHoldNoInputRate);
}

TEST(ScalingModel, BadWindowHolds) {
  for (double window : {kNaN, kInf, -30.0, 0.0, 0.5}) {
    const Decision d = MustDecide(Obs(3, 12, window, 180000, 0, TwoFullyBusy()));
    EXPECT_EQ(d.basis, Basis::kHoldNoInputRate) << window;
    EXPECT_FALSE(d.input_rate.has_value()) << window;
    EXPECT_EQ(d.desired, 3) << window;
  }
  EXPECT_EQ(MustDecide(Obs(3, 12, 30.0, 180000, 0, TwoFullyBusy())).basis, Basis::kModel);
}

TEST(ScalingModel, NegativeBacklogHolds) {
  const Decision d = MustDecide(Obs(3, 12, 30.0, 180000, -1, TwoFullyBusy()));
  EXPECT_EQ(d.basis, Basis::kHoldBadBacklog);
  EXPECT_EQ(d.desired, 3);
  EXPECT_DOUBLE_EQ(d.backlog_rate, 0.0);
  EXPECT_EQ(d.reason, "hold at 3 replicas: backlog -1 is negative");
}

TEST(ScalingModel, HoldMovesCurrentIntoTheBounds) {
  Decision d = MustDecide(Obs(20, 12, 30.0, 180000, 0, {}));
  EXPECT_EQ(d.desired, 12);
  EXPECT_EQ(d.reason,
            "hold at 12 replicas: no rate estimate: 0 of 0 instances usable (current 20 moved "
            "into [1, 12])");
  d = MustDecide(Obs(0, 12, 30.0, 180000, 0, {}));
  EXPECT_EQ(d.desired, 1);
}

TEST(ScalingModel, InvalidConfigNamesTheField) {
  const std::vector<std::pair<std::string, std::function<void(ModelConfig&)>>> cases = {
      {"min_replicas", [](ModelConfig& c) { c.min_replicas = 0; }},
      {"max_replicas", [](ModelConfig& c) { c.max_replicas = -1; }},
      {"max_replicas",
       [](ModelConfig& c) {
         c.min_replicas = 4;
         c.max_replicas = 3;
       }},
      {"target_utilisation", [](ModelConfig& c) { c.target_utilisation = 0.0; }},
      {"target_utilisation", [](ModelConfig& c) { c.target_utilisation = 1.01; }},
      {"target_utilisation", [](ModelConfig& c) { c.target_utilisation = kNaN; }},
      {"catch_up_target_seconds", [](ModelConfig& c) { c.catch_up_target_seconds = 0.0; }},
      {"catch_up_target_seconds", [](ModelConfig& c) { c.catch_up_target_seconds = kInf; }},
      {"min_busy_seconds", [](ModelConfig& c) { c.min_busy_seconds = -1.0; }},
      {"min_processed_records", [](ModelConfig& c) { c.min_processed_records = -1; }},
      {"max_busy_fraction", [](ModelConfig& c) { c.max_busy_fraction = 0.9; }},
      {"min_window_seconds", [](ModelConfig& c) { c.min_window_seconds = 0.0; }},
  };
  for (const auto& [field, mutate] : cases) {
    ModelConfig c;
    mutate(c);
    const Status s = Validate(c);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << field;
    EXPECT_EQ(s.message().rfind("scaling config " + field + " must be", 0), 0U) << s.message();
    const Result<Decision> r = Decide(Obs(2, 12, 30.0, 180000, 0, TwoFullyBusy()), c);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << field;
  }
  EXPECT_TRUE(Validate(ModelConfig{}).ok());
  ModelConfig edge;
  edge.target_utilisation = 1.0;
  edge.max_replicas = 1;
  EXPECT_TRUE(Validate(edge).ok());
}

TEST(ScalingModel, ImpossibleGroupShapeIsAnError) {
  Result<Decision> r = Decide(Obs(-1, 12, 30.0, 180000, 0, {}), {});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "scaling observation current_replicas must be >= 0, got -1");
  r = Decide(Obs(1, 0, 30.0, 180000, 0, {}), {});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "scaling observation tasks must be >= 1, got 0");
}

TEST(ScalingModel, ObservationBetweenTwoReads) {
  GroupReading before{.at_seconds = 100.0, .source_end_offsets = 5000, .backlog_records = 7};
  before.instances = {
      {.instance = "pod-0", .counters = {100, 1.5, 11}, .threads = 2},
      {.instance = "pod-1", .counters = {200, 2.5, 12}, .threads = 2},  // gone by `after`
  };
  GroupReading after{.at_seconds = 130.0, .source_end_offsets = 8000, .backlog_records = 9};
  after.instances = {
      {.instance = "pod-2", .counters = {50, 0.5, 13}, .threads = 4},  // new
      {.instance = "pod-0", .counters = {400, 3.5, 11}, .threads = 2},
  };
  const Observation o = ObservationBetween(before, after, 2, 6);
  EXPECT_EQ(o.current_replicas, 2);
  EXPECT_EQ(o.tasks, 6);
  EXPECT_DOUBLE_EQ(o.window_seconds, 30.0);
  EXPECT_EQ(o.source_end_offsets_start, 5000);
  EXPECT_EQ(o.source_end_offsets_end, 8000);
  EXPECT_EQ(o.backlog_records, 9);
  ASSERT_EQ(o.instances.size(), 2U);
  EXPECT_EQ(o.instances[0].instance, "pod-2");
  EXPECT_EQ(o.instances[0].start.records_processed, 0);
  EXPECT_DOUBLE_EQ(o.instances[0].start.busy_seconds, 0.0);
  EXPECT_EQ(o.instances[0].start.process_start_ms, 13);
  EXPECT_EQ(o.instances[0].end.records_processed, 50);
  EXPECT_EQ(o.instances[0].threads, 4);
  EXPECT_DOUBLE_EQ(o.instances[0].wall_seconds, 30.0);
  EXPECT_EQ(o.instances[1].instance, "pod-0");
  EXPECT_EQ(o.instances[1].start.records_processed, 100);
  EXPECT_EQ(o.instances[1].end.records_processed, 400);
  // The new instance is usable from zero: 50 records in 0.5 s.
  const Decision d = MustDecide(o, ModelConfig{.min_busy_seconds = 0, .min_processed_records = 0});
  EXPECT_EQ(d.instances[0].exclusion, Exclusion::kNone);
  EXPECT_DOUBLE_EQ(d.instances[0].true_rate_per_thread, 100.0);
}

TEST(ScalingModel, Names) {
  EXPECT_EQ(BasisName(Basis::kModel), "model");
  EXPECT_EQ(BasisName(Basis::kIdle), "idle");
  EXPECT_EQ(BasisName(Basis::kHoldNoRate), "hold_no_rate");
  EXPECT_EQ(BasisName(Basis::kHoldNoInputRate), "hold_no_input_rate");
  EXPECT_EQ(BasisName(Basis::kHoldBadBacklog), "hold_bad_backlog");
  EXPECT_EQ(ExclusionName(Exclusion::kNone), "none");
  EXPECT_EQ(ExclusionName(Exclusion::kRestarted), "restarted");
  EXPECT_EQ(ExclusionName(Exclusion::kInvalid), "invalid");
  EXPECT_EQ(ExclusionName(Exclusion::kNoRecords), "no_records");
  EXPECT_EQ(ExclusionName(Exclusion::kNoBusyTime), "no_busy_time");
  EXPECT_EQ(ExclusionName(Exclusion::kBusyExceedsWall), "busy_exceeds_wall");
}

}  // namespace
}  // namespace brook::scaling
