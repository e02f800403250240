// The model and the stabilizer together on synthetic traces (simulator.h): a simulated group
// of instances with a true capacity of 1000 records/s each (2 threads), a 5 s rebalance pause
// after every change, driven every 15 s by the loop `brook autoscale` runs, with the default
// configs (target utilisation 0.8, catch-up target 120 s, scale-up window 0, scale-down window
// 300 s, cooldown 60 s). Expected counts are computed by hand from the formula
//   desired = ceil((input + backlog / 120) / (1000 × 0.8))
// in each test. Failure messages carry the trace's actions (Trace::Summary).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "scaling/simulator.h"

namespace brook::scaling::sim {
namespace {

constexpr int kInterval = 15;
constexpr double kCapacityPerReplica = 1000.0 * 0.8;  // true rate x target utilisation

// Replicas needed for an input rate with no backlog: ceil(rate / 800).
int Needed(double rate) {
  return static_cast<int>(std::ceil(rate / kCapacityPerReplica - 1e-9));
}

Trace RunTrace(SimulatedGroup& group, int duration_seconds, const ModelConfig& model = {},
               const StabilizerConfig& stabilizer = {}) {
  return RunAutoscaler(group, model, stabilizer,
                       {.interval_seconds = kInterval, .duration_seconds = duration_seconds});
}

const Round& RoundAt(const Trace& trace, int t) {
  for (const Round& r : trace.rounds) {
    if (r.t == t) return r;
  }
  throw std::out_of_range("no decision at t=" + std::to_string(t));
}

std::vector<const Round*> Actions(const Trace& trace) {
  std::vector<const Round*> out;
  for (const Round& r : trace.rounds) {
    if (r.stabilizer.action != Action::kNone) out.push_back(&r);
  }
  return out;
}

// Number of direction reversals among the actions (up then down, or down then up).
int Reversals(const Trace& trace) {
  int reversals = 0;
  Action last = Action::kNone;
  for (const Round* r : Actions(trace)) {
    if (last != Action::kNone && r->stabilizer.action != last) ++reversals;
    last = r->stabilizer.action;
  }
  return reversals;
}

TEST(ScalingTrace, StepTimesFourReachesTheCountInOneDecision) {
  // 1500/s needs ceil(1500 / 800) = 2 replicas. At t=600 the input steps to 6000/s. The first
  // window after the step, [600, 615], sees 6000/s in and 2 x 1000 = 2000/s processed: the
  // backlog at t=615 is (6000 - 2000) x 15 = 60000, so
  //   desired = ceil((6000 + 60000 / 120) / 800) = ceil(8.125) = 9,
  // acted on at once. Once the backlog is gone the model says ceil(6000 / 800) = 8, and the
  // stabilizer scales down to it 300 s after the last recommendation of 9.
  SimulatedGroup group({.initial_replicas = 2}, Step(1500, 6000, 600));
  const Trace trace = RunTrace(group, 1800);
  const std::string summary = trace.Summary();

  const Round& first = RoundAt(trace, 615);
  EXPECT_EQ(first.model.basis, Basis::kModel);
  EXPECT_DOUBLE_EQ(first.model.input_rate.value(), 6000.0);
  EXPECT_EQ(first.model.backlog_records, 60000);
  EXPECT_DOUBLE_EQ(first.model.true_rate_per_instance.value(), 1000.0);
  EXPECT_EQ(first.model.desired, 9);
  EXPECT_EQ(first.stabilizer.action, Action::kScaleUp);
  EXPECT_EQ(first.stabilizer.replicas, 9);

  const std::vector<const Round*> actions = Actions(trace);
  ASSERT_EQ(actions.size(), 2U) << summary;
  EXPECT_EQ(actions[0]->t, 615) << summary;
  EXPECT_EQ(trace.scale_ups, 1) << summary;
  // The last recommendation of 9 decides when the scale-down to 8 may happen.
  int last_nine = 0;
  for (const Round& r : trace.rounds) {
    if (r.model.desired == 9) last_nine = r.t;
  }
  EXPECT_EQ(last_nine, 630) << summary;
  EXPECT_EQ(actions[1]->stabilizer.action, Action::kScaleDown) << summary;
  EXPECT_EQ(actions[1]->t, last_nine + 300) << summary;
  EXPECT_EQ(actions[1]->stabilizer.replicas, Needed(6000)) << summary;
  EXPECT_EQ(Needed(6000), 8);
  EXPECT_EQ(group.replicas(), 8);
}

TEST(ScalingTrace, StepTimesFourWithNoiseStillOneDecision) {
  // 5% noise a second: the first window after the step still gives 9 (8.125 +- ~0.1), and
  // there is exactly one scale-up.
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SimulatedGroup group({.initial_replicas = 2, .noise = 0.05, .seed = seed},
                         Step(1500, 6000, 600));
    const Trace trace = RunTrace(group, 1800);
    const Round& first = RoundAt(trace, 615);
    EXPECT_EQ(first.stabilizer.action, Action::kScaleUp) << "seed " << seed;
    EXPECT_EQ(first.stabilizer.replicas, 9) << "seed " << seed << "\n" << trace.Summary();
    EXPECT_EQ(trace.scale_ups, 1) << "seed " << seed << "\n" << trace.Summary();
    EXPECT_EQ(group.replicas(), 8) << "seed " << seed << "\n" << trace.Summary();
  }
}

TEST(ScalingTrace, RampIsFollowedWithoutOvershoot) {
  // 1000/s to 9000/s over 20 min (t=300..1500), 16 tasks. At no second does the group run
  // more than Needed(input) + 1 replicas, nor fewer than Needed(input) - 1; it only ever
  // scales up, and ends at Needed(9000) = ceil(11.25) = 12. Without noise each step is +1:
  // 2 -> 12 in 10 actions.
  for (uint64_t seed = 0; seed <= 5; ++seed) {
    SimulatedGroup group(
        {.tasks = 16, .initial_replicas = 2, .noise = seed == 0 ? 0.0 : 0.02, .seed = seed},
        Ramp(1000, 9000, 300, 1500));
    const Trace trace = RunTrace(group, 2100);
    const std::string summary = trace.Summary();
    int max_over = -100;
    int max_under = -100;
    for (const Second& s : trace.seconds) {
      max_over = std::max(max_over, s.replicas - Needed(s.input_rate));
      max_under = std::max(max_under, Needed(s.input_rate) - s.replicas);
    }
    EXPECT_LE(max_over, 1) << "seed " << seed << "\n" << summary;
    EXPECT_LE(max_under, 1) << "seed " << seed << "\n" << summary;
    EXPECT_EQ(trace.scale_downs, 0) << "seed " << seed << "\n" << summary;
    EXPECT_EQ(group.replicas(), 12) << "seed " << seed << "\n" << summary;
    if (seed == 0) {
      EXPECT_EQ(max_over, 0) << summary;
      EXPECT_EQ(trace.scale_ups, 10) << summary;
      for (const Round* r : Actions(trace)) {
        EXPECT_EQ(r->stabilizer.replicas, r->stabilizer.current_replicas + 1) << summary;
      }
    }
  }
}

TEST(ScalingTrace, SinusoidShorterThanTheDownWindowDoesNotFlap) {
  // 4000 +- 2000/s with a 4 min period (shorter than the 5 min scale-down window), 5% noise,
  // 30 min, starting at Needed(4000) = 5. The group scales up to the peak's count, at most
  // twice (the cooldown splits the rise), to 8 = ceil((6000 + a small backlog) / 800), and
  // never down: every scale-down window holds a peak.
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SimulatedGroup group({.tasks = 16, .initial_replicas = 5, .noise = 0.05, .seed = seed},
                         Sinusoid(4000, 2000, 240));
    const Trace trace = RunTrace(group, 1800);
    const std::string summary = trace.Summary();
    EXPECT_GE(trace.scale_ups, 1) << "seed " << seed << "\n" << summary;
    EXPECT_LE(trace.scale_ups, 2) << "seed " << seed << "\n" << summary;
    EXPECT_EQ(trace.scale_downs, 0) << "seed " << seed << "\n" << summary;
    EXPECT_EQ(Reversals(trace), 0) << "seed " << seed << "\n" << summary;
    EXPECT_EQ(group.replicas(), 8) << "seed " << seed << "\n" << summary;
    // All actions happen during the first rise.
    for (const Round* r : Actions(trace)) {
      EXPECT_LE(r->t, 120) << "seed " << seed;
    }
  }
}

TEST(ScalingTrace, SinusoidWithoutStabilisationWouldFlap) {
  // The same load with a 0 s scale-down window and no cooldown: the stabilizer is what
  // prevents flapping (this guards the test above against passing for another reason).
  SimulatedGroup group({.tasks = 16, .initial_replicas = 5, .noise = 0.05, .seed = 1},
                       Sinusoid(4000, 2000, 240));
  const Trace trace =
      RunTrace(group, 1800, {}, {.scale_down_window = Millis{0}, .cooldown = Millis{0}});
  EXPECT_GT(trace.scale_downs, 10);
  EXPECT_GT(Reversals(trace), 10);
}

TEST(ScalingTrace, NeverAboveTheTaskCountNorBelowMin) {
  // x20 step on 12 tasks: 1500 -> 30000/s needs ceil(30000 / 800) = 38 > 12: capped at 12.
  // Then the input stops: the model says the lower bound (min_replicas 2), reached after the
  // scale-down window.
  SimulatedGroup group({.tasks = 12, .initial_replicas = 2},
                       [](double t) { return t < 300 ? 1500.0 : (t < 900 ? 30000.0 : 0.0); });
  const Trace trace = RunTrace(group, 2400, {.min_replicas = 2});
  const std::string summary = trace.Summary();
  int max_replicas = 0;
  int min_replicas = 1000;
  for (const Second& s : trace.seconds) {
    max_replicas = std::max(max_replicas, s.replicas);
    min_replicas = std::min(min_replicas, s.replicas);
  }
  EXPECT_EQ(max_replicas, 12) << summary;
  EXPECT_EQ(min_replicas, 2) << summary;
  const Round& capped = RoundAt(trace, 315);
  EXPECT_GT(capped.model.unclamped_desired.value(), 12);
  EXPECT_EQ(capped.model.desired, 12);
  EXPECT_NE(capped.model.reason.find("capped at 12 (the number of tasks)"), std::string::npos)
      << capped.model.reason;
  EXPECT_EQ(capped.stabilizer.replicas, 12);
  for (const Round& r : trace.rounds) {
    EXPECT_LE(r.model.desired, 12) << r.t;
    EXPECT_GE(r.model.desired, 2) << r.t;
  }
  // No input, and the backlog of the capped period drained: idle, at the lower bound.
  const Round& idle = trace.rounds.back();
  EXPECT_EQ(idle.model.basis, Basis::kIdle) << summary;
  EXPECT_EQ(idle.model.desired, 2);
  EXPECT_EQ(group.replicas(), 2) << summary;
}

TEST(ScalingTrace, ScaleDownOnlyAfterTheStabilisationWindow) {
  // 6000/s on 8 replicas, then 1500/s from t=600. The window [585, 600] is the last to see
  // 6000/s (recommendation 8); from t=615 the model says ceil(1500 / 800) = 2. The group
  // stays at 8 until the window (600, 900] holds only 2s: one scale-down, at t=900, to 2.
  SimulatedGroup group({.initial_replicas = 8}, Step(6000, 1500, 600));
  const Trace trace = RunTrace(group, 1500);
  const std::string summary = trace.Summary();
  EXPECT_EQ(RoundAt(trace, 600).model.desired, 8);
  EXPECT_EQ(RoundAt(trace, 615).model.desired, 2);
  const std::vector<const Round*> actions = Actions(trace);
  ASSERT_EQ(actions.size(), 1U) << summary;
  EXPECT_EQ(actions[0]->t, 900) << summary;
  EXPECT_EQ(actions[0]->stabilizer.action, Action::kScaleDown);
  EXPECT_EQ(actions[0]->stabilizer.replicas, 2);
  for (const Second& s : trace.seconds) {
    if (s.t <= 900) {
      EXPECT_EQ(s.replicas, 8) << s.t;
    }
  }
  // With a 600 s window, the same drop scales down at t=1200.
  SimulatedGroup slower({.initial_replicas = 8}, Step(6000, 1500, 600));
  const Trace slow = RunTrace(slower, 1500, {}, {.scale_down_window = Millis{600000}});
  ASSERT_EQ(Actions(slow).size(), 1U) << slow.Summary();
  EXPECT_EQ(Actions(slow)[0]->t, 1200) << slow.Summary();
}

TEST(ScalingTrace, BacklogAfterAnOutageDrainsWithinTheCatchUpTarget) {
  // 3000/s on Needed(3000) = 4 replicas, 16 tasks. Nothing is processed from t=300 to t=600
  // (backlog 900000); at t=600 every instance restarts (counters back to zero).
  //  - during the outage: no records processed, no rate: hold at 4;
  //  - t=615: every instance's counters went backwards (restarted): hold at 4;
  //  - t=630: 4 x 1000 - 3000 = 1000/s drained for 30 s: backlog 870000, so
  //      desired = ceil((3000 + 870000 / 120) / 800) = ceil(12.8125) = 13;
  //  - the backlog is gone within the 120 s catch-up target of that decision;
  //  - then back down to 4 once the scale-down window has passed.
  SimulatedGroup group({.tasks = 16, .initial_replicas = 4}, Constant(3000));
  const Trace trace = RunAutoscaler(
      group, {}, {},
      {.interval_seconds = kInterval, .duration_seconds = 1800, .on_second = [](SimulatedGroup& g) {
         if (g.now() == 300) g.StartOutage(300);
         if (g.now() == 600) g.RestartAll();
       }});
  const std::string summary = trace.Summary();
  for (const Round& r : trace.rounds) {
    if (r.t > 300 && r.t <= 615) {
      EXPECT_EQ(r.model.basis, Basis::kHoldNoRate) << r.t << ": " << r.model.reason;
      EXPECT_EQ(r.stabilizer.replicas, 4) << r.t;
    }
  }
  EXPECT_EQ(RoundAt(trace, 450).model.instances[0].exclusion, Exclusion::kNoRecords);
  EXPECT_EQ(RoundAt(trace, 615).model.instances[0].exclusion, Exclusion::kRestarted);

  const Round& up = RoundAt(trace, 630);
  EXPECT_EQ(up.model.backlog_records, 870000);
  EXPECT_EQ(up.model.desired, 13) << up.model.reason;
  EXPECT_EQ(up.stabilizer.action, Action::kScaleUp);
  EXPECT_EQ(up.stabilizer.replicas, 13);
  EXPECT_EQ(trace.scale_ups, 1) << summary;

  int drained_at = -1;
  int max_replicas = 0;
  for (const Second& s : trace.seconds) {
    if (s.t > 630 && drained_at < 0 && s.lag == 0.0) drained_at = s.t;
    max_replicas = std::max(max_replicas, s.replicas);
  }
  ASSERT_GT(drained_at, 0) << summary;
  EXPECT_LE(drained_at - 630, 120) << summary;
  EXPECT_EQ(max_replicas, 13);
  EXPECT_EQ(group.replicas(), 4) << summary;
  // Every scale-down came after the scale-down window of the decision at t=630 (13).
  for (const Round* r : Actions(trace)) {
    if (r->stabilizer.action == Action::kScaleDown) {
      EXPECT_GE(r->t, 630 + 300) << summary;
    }
  }
}

}  // namespace
}  // namespace brook::scaling::sim
