// The scaling policy over time: turns the model's recommendations (one per decision interval)
// into the replica count to act on, like the Kubernetes HPA's `behavior`. Scale-up goes to
// the MIN of the recommendations over the scale-up window (short: fast, yet one outlier sample
// does not scale up when the window is longer than one interval); scale-down goes to the MAX
// of the recommendations over the scale-down window (long: slow, so a load that dips and comes
// back within the window causes no action). Then an optional maximum step per action, and a
// cooldown after every action. No scale-down before a whole scale-down window of
// recommendations has been seen (an autoscaler that just started knows no history).
//
// Contract: pure and deterministic: time is passed in (`now`, on any monotonic clock, in ms),
// no clock is read, no I/O. Observe() assumes that a returned action is carried out (it starts
// the cooldown); the caller passes the group's actual count every time, so a failed action is
// retried once the cooldown ends. Odd input (time going backwards, a negative recommendation
// or current count) gives a hold with the reason and leaves the state as it was. An invalid
// config is a kInvalidArgument Status naming the field. The rules are in src/scaling/README.md.
//
// Thread-safety: a Stabilizer is a value with state; one owner calls it (no internal locking).
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "brook/status.h"

namespace brook::scaling {

using Millis = std::chrono::milliseconds;

struct StabilizerConfig {
  // Scale up to the min of the recommendations of the last scale_up_window; 0 = act on the
  // newest recommendation at once (the HPA's default). >= 0.
  Millis scale_up_window{0};  // Default: 0
  // Scale down to the max of the recommendations of the last scale_down_window. >= 0.
  Millis scale_down_window{300000};  // Default: 300000 (5 min, the HPA's default)
  // At most this many replicas added (removed) by one action; 0 = no limit. >= 0.
  int max_scale_up_step = 0;    // Default: 0 (no limit)
  int max_scale_down_step = 0;  // Default: 0 (no limit)
  // No action within this long after an action (the group rebalances, its metrics settle).
  // >= 0.
  Millis cooldown{60000};  // Default: 60000 (1 min)
};

// kInvalidArgument naming the first field out of range, else OK.
[[nodiscard]] Status Validate(const StabilizerConfig& config);

enum class Action { kNone, kScaleUp, kScaleDown };
std::string_view ActionName(Action a);

// What to do now, and why.
struct StabilizerDecision {
  Millis now{0};
  int current_replicas = 0;  // as passed in
  int recommendation = 0;    // as passed in (the model's desired)
  // Min of the recommendations over the scale-up window, max over the scale-down window
  // (both include this one).
  int up_recommendation = 0;
  int down_recommendation = 0;
  // current raised to up_recommendation, or lowered to down_recommendation (when a full
  // scale-down window has been seen).
  int stabilized = 0;
  int replicas = 0;  // to act on: stabilized after the step limit, or current in a cooldown
  Action action = Action::kNone;  // replicas vs current_replicas
  Millis cooldown_remaining{0};   // > 0 while in a cooldown
  std::string reason;
};

class Stabilizer {
 public:
  // kInvalidArgument naming the field if the config is invalid.
  [[nodiscard]] static Result<Stabilizer> Create(const StabilizerConfig& config);

  // Feeds the recommendation made at `now` for a group running `current_replicas`; returns the
  // count to act on. `now` must not go backwards (else: hold, nothing recorded).
  [[nodiscard]] StabilizerDecision Observe(Millis now, int recommendation, int current_replicas);

  [[nodiscard]] const StabilizerConfig& config() const { return config_; }

 private:
  explicit Stabilizer(const StabilizerConfig& config) : config_(config) {}

  struct Sample {
    Millis at;
    int recommendation;
  };
  StabilizerConfig config_;
  std::deque<Sample> samples_;  // oldest first; within the longer window of `now`
  std::optional<Millis> first_seen_;
  std::optional<Millis> last_seen_;
  std::optional<Millis> last_action_;
};

}  // namespace brook::scaling
