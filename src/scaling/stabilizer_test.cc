// Unit tests of the stabilizer (stabilizer.h): the scale-up and scale-down windows, the
// whole-window rule after a start, step limits, the cooldown, odd input and config validation.
#include "scaling/stabilizer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace brook::scaling {
namespace {

Millis S(int64_t seconds) {
  return Millis{seconds * 1000};
}

Stabilizer Make(const StabilizerConfig& c) {
  return Stabilizer::Create(c).ValueOrThrow();
}

StabilizerConfig NoCooldown() {
  StabilizerConfig c;
  c.cooldown = Millis{0};
  return c;
}

TEST(ScalingStabilizer, ScalesUpAtOnceByDefault) {
  Stabilizer s = Make({});
  StabilizerDecision d = s.Observe(S(0), 2, 2);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.replicas, 2);
  EXPECT_EQ(d.reason, "hold at 2: recommendation 2");
  d = s.Observe(S(30), 9, 2);
  EXPECT_EQ(d.action, Action::kScaleUp);
  EXPECT_EQ(d.replicas, 9);
  EXPECT_EQ(d.stabilized, 9);
  EXPECT_EQ(d.up_recommendation, 9);
  EXPECT_EQ(d.down_recommendation, 9);
  EXPECT_EQ(d.reason, "scale up 2 -> 9: recommendation 9");
}

TEST(ScalingStabilizer, ScaleUpTakesTheMinOverTheUpWindow) {
  StabilizerConfig c = NoCooldown();
  c.scale_up_window = S(60);
  Stabilizer s = Make(c);
  EXPECT_EQ(s.Observe(S(0), 2, 2).action, Action::kNone);
  StabilizerDecision d = s.Observe(S(30), 9, 2);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.up_recommendation, 2);
  EXPECT_EQ(d.reason,
            "hold at 2: recommendation 9, but the min over the 60 s scale-up window is 2");
  // The sample at t=0 is out of (0, 60]: min(9, 7) = 7.
  d = s.Observe(S(60), 7, 2);
  EXPECT_EQ(d.action, Action::kScaleUp);
  EXPECT_EQ(d.replicas, 7);
  EXPECT_EQ(d.reason, "scale up 2 -> 7: recommendation 7, min over the 60 s scale-up window 7");
}

TEST(ScalingStabilizer, OneOutlierDoesNotScaleUpWithAnUpWindow) {
  StabilizerConfig c = NoCooldown();
  c.scale_up_window = S(60);
  Stabilizer s = Make(c);
  const std::vector<int> recommendations = {2, 2, 9, 2, 2, 2, 2};
  for (size_t i = 0; i < recommendations.size(); ++i) {
    const StabilizerDecision d = s.Observe(S(30 * static_cast<int64_t>(i)), recommendations[i], 2);
    EXPECT_EQ(d.action, Action::kNone) << i << ": " << d.reason;
  }
}

TEST(ScalingStabilizer, ScaleDownOnlyAfterTheDownWindow) {
  // Recommendations 8 up to t=120, then 3. The max over (t-300, t] includes the 8 of t=120
  // until t=420: the scale-down happens exactly then.
  Stabilizer s = Make({});
  int actions = 0;
  for (int64_t t = 0; t <= 600; t += 30) {
    const int current = actions == 0 ? 8 : 3;
    const StabilizerDecision d = s.Observe(S(t), t <= 120 ? 8 : 3, current);
    if (t < 420) {
      EXPECT_EQ(d.action, Action::kNone) << t << ": " << d.reason;
      if (t > 120) {
        EXPECT_EQ(d.down_recommendation, 8) << t;
        EXPECT_EQ(d.reason,
                  "hold at 8: recommendation 3, but the max over the 300 s scale-down window is 8");
      }
    } else if (t == 420) {
      EXPECT_EQ(d.action, Action::kScaleDown) << d.reason;
      EXPECT_EQ(d.replicas, 3);
      EXPECT_EQ(d.reason,
                "scale down 8 -> 3: recommendation 3, max over the 300 s scale-down window 3");
    } else {
      EXPECT_EQ(d.action, Action::kNone) << t << ": " << d.reason;
    }
    if (d.action != Action::kNone) ++actions;
  }
  EXPECT_EQ(actions, 1);
}

TEST(ScalingStabilizer, NoScaleDownBeforeAWholeWindowWasSeen) {
  // A freshly started stabilizer knows no history: its first low recommendation must not
  // scale down.
  Stabilizer s = Make({});
  StabilizerDecision d = s.Observe(S(1000), 3, 8);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.down_recommendation, 3);
  EXPECT_EQ(d.reason,
            "hold at 8: recommendation 3, but no scale-down before a whole 300 s scale-down "
            "window has been seen (0 s so far)");
  d = s.Observe(S(1290), 3, 8);
  EXPECT_EQ(d.action, Action::kNone);
  d = s.Observe(S(1300), 3, 8);
  EXPECT_EQ(d.action, Action::kScaleDown) << d.reason;
  EXPECT_EQ(d.replicas, 3);
  // Scale-up needs no history.
  Stabilizer fresh = Make({});
  EXPECT_EQ(fresh.Observe(S(1000), 9, 8).action, Action::kScaleUp);
}

TEST(ScalingStabilizer, RecommendationBetweenWindowsHolds) {
  // The max of the down-window holds 8 while the recommendation dips to 5 and comes back.
  Stabilizer s = Make(NoCooldown());
  const std::vector<int> recommendations = {8, 8, 5, 6, 5, 8, 5, 6, 5, 8, 5, 6};
  for (size_t i = 0; i < recommendations.size(); ++i) {
    const StabilizerDecision d =
        s.Observe(S(60 + 60 * static_cast<int64_t>(i)), recommendations[i], 8);
    EXPECT_EQ(d.action, Action::kNone) << i << ": " << d.reason;
  }
}

TEST(ScalingStabilizer, MaxStepPerAction) {
  StabilizerConfig c = NoCooldown();
  c.max_scale_up_step = 3;
  c.max_scale_down_step = 2;
  c.scale_down_window = Millis{0};
  Stabilizer s = Make(c);
  StabilizerDecision d = s.Observe(S(0), 9, 2);
  EXPECT_EQ(d.stabilized, 9);
  EXPECT_EQ(d.replicas, 5);
  EXPECT_EQ(d.reason, "scale up 2 -> 5: recommendation 9, limited by max_scale_up_step 3");
  EXPECT_EQ(s.Observe(S(15), 9, 5).replicas, 8);
  EXPECT_EQ(s.Observe(S(30), 9, 8).replicas, 9);
  d = s.Observe(S(45), 4, 9);
  EXPECT_EQ(d.action, Action::kScaleDown);
  EXPECT_EQ(d.replicas, 7);
  EXPECT_EQ(d.reason,
            "scale down 9 -> 7: recommendation 4, max over the 0 s scale-down window 4, limited "
            "by max_scale_down_step 2");
  EXPECT_EQ(s.Observe(S(60), 4, 7).replicas, 5);
  EXPECT_EQ(s.Observe(S(75), 4, 5).replicas, 4);
  EXPECT_EQ(s.Observe(S(90), 4, 4).action, Action::kNone);
}

TEST(ScalingStabilizer, CooldownAfterAnAction) {
  Stabilizer s = Make({});  // cooldown 60 s
  EXPECT_EQ(s.Observe(S(0), 5, 2).action, Action::kScaleUp);
  StabilizerDecision d = s.Observe(S(30), 9, 5);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.replicas, 5);
  EXPECT_EQ(d.stabilized, 9);
  EXPECT_EQ(d.cooldown_remaining, S(30));
  EXPECT_EQ(d.reason,
            "hold at 5: would scale to 9, but in the 60 s cooldown after the action at 0 ms "
            "(30 s left)");
  d = s.Observe(S(60), 9, 5);
  EXPECT_EQ(d.action, Action::kScaleUp);
  EXPECT_EQ(d.cooldown_remaining, Millis{0});
  // A hold does not start a cooldown.
  EXPECT_EQ(s.Observe(S(200), 9, 9).action, Action::kNone);
  EXPECT_EQ(s.Observe(S(201), 10, 9).action, Action::kScaleUp);
}

TEST(ScalingStabilizer, AFailedActionIsRetriedAfterTheCooldown) {
  Stabilizer s = Make({});
  EXPECT_EQ(s.Observe(S(0), 5, 2).action, Action::kScaleUp);
  // The caller could not scale: the group still runs 2.
  EXPECT_EQ(s.Observe(S(30), 5, 2).action, Action::kNone);
  const StabilizerDecision d = s.Observe(S(60), 5, 2);
  EXPECT_EQ(d.action, Action::kScaleUp);
  EXPECT_EQ(d.replicas, 5);
}

TEST(ScalingStabilizer, TimeGoingBackwardsIsIgnored) {
  StabilizerConfig c = NoCooldown();
  c.scale_up_window = S(60);
  Stabilizer s = Make(c);
  EXPECT_EQ(s.Observe(S(100), 2, 2).action, Action::kNone);
  StabilizerDecision d = s.Observe(S(50), 1, 2);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.replicas, 2);
  EXPECT_EQ(d.reason, "hold at 2: time went backwards (50000 ms after 100000 ms); not recorded");
  // Not recorded: the latest time is still 100 s.
  d = s.Observe(S(99), 1, 2);
  EXPECT_EQ(d.reason, "hold at 2: time went backwards (99000 ms after 100000 ms); not recorded");
  d = s.Observe(S(160), 6, 2);
  EXPECT_EQ(d.up_recommendation, 6);
  EXPECT_EQ(d.action, Action::kScaleUp);
}

TEST(ScalingStabilizer, NegativeInputHolds) {
  Stabilizer s = Make(NoCooldown());
  StabilizerDecision d = s.Observe(S(0), -1, 3);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.replicas, 3);
  EXPECT_EQ(d.reason, "hold at 3: invalid recommendation -1 or current count 3; not recorded");
  d = s.Observe(S(10), 5, -1);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.replicas, -1);
  // Neither was recorded: the history starts at t=20, so no scale-down until t=320.
  EXPECT_EQ(s.Observe(S(20), 1, 3).action, Action::kNone);
  EXPECT_EQ(s.Observe(S(319), 1, 3).action, Action::kNone);
  EXPECT_EQ(s.Observe(S(320), 1, 3).action, Action::kScaleDown);
}

TEST(ScalingStabilizer, InvalidConfigNamesTheField) {
  const std::vector<std::pair<std::string, std::function<void(StabilizerConfig&)>>> cases = {
      {"scale_up_window", [](StabilizerConfig& c) { c.scale_up_window = Millis{-1}; }},
      {"scale_down_window", [](StabilizerConfig& c) { c.scale_down_window = Millis{-1}; }},
      {"max_scale_up_step", [](StabilizerConfig& c) { c.max_scale_up_step = -1; }},
      {"max_scale_down_step", [](StabilizerConfig& c) { c.max_scale_down_step = -1; }},
      {"cooldown", [](StabilizerConfig& c) { c.cooldown = Millis{-1}; }},
  };
  for (const auto& [field, mutate] : cases) {
    StabilizerConfig c;
    mutate(c);
    const Result<Stabilizer> r = Stabilizer::Create(c);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << field;
    EXPECT_EQ(r.status().message().rfind("scaling stabilizer config " + field + " must be >= 0", 0),
              0U)
        << r.status().message();
  }
  EXPECT_TRUE(Validate(StabilizerConfig{}).ok());
  EXPECT_EQ(ActionName(Action::kNone), "none");
  EXPECT_EQ(ActionName(Action::kScaleUp), "scale_up");
  EXPECT_EQ(ActionName(Action::kScaleDown), "scale_down");
}

}  // namespace
}  // namespace brook::scaling
