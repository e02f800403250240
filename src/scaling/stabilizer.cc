#include "scaling/stabilizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

namespace brook::scaling {
namespace {

std::string Secs(Millis ms) {
  return fmt::format("{:g} s", static_cast<double>(ms.count()) / 1000.0);
}

Status FieldError(std::string_view field, const std::string& got) {
  return Status::InvalidArgument(
      fmt::format("scaling stabilizer config {} must be >= 0, got {}", field, got));
}

}  // namespace

std::string_view ActionName(Action a) {
  switch (a) {
    case Action::kNone:
      return "none";
    case Action::kScaleUp:
      return "scale_up";
    case Action::kScaleDown:
      return "scale_down";
  }
  return "unknown";
}

Status Validate(const StabilizerConfig& c) {
  if (c.scale_up_window < Millis{0}) {
    return FieldError("scale_up_window", std::to_string(c.scale_up_window.count()) + " ms");
  }
  if (c.scale_down_window < Millis{0}) {
    return FieldError("scale_down_window", std::to_string(c.scale_down_window.count()) + " ms");
  }
  if (c.max_scale_up_step < 0) {
    return FieldError("max_scale_up_step", std::to_string(c.max_scale_up_step));
  }
  if (c.max_scale_down_step < 0) {
    return FieldError("max_scale_down_step", std::to_string(c.max_scale_down_step));
  }
  if (c.cooldown < Millis{0}) {
    return FieldError("cooldown", std::to_string(c.cooldown.count()) + " ms");
  }
  return Status::Ok();
}

Result<Stabilizer> Stabilizer::Create(const StabilizerConfig& config) {
  BROOK_RETURN_IF_ERROR(Validate(config));
  return Stabilizer(config);
}

StabilizerDecision Stabilizer::Observe(Millis now, int recommendation, int current_replicas) {
  StabilizerDecision d;
  d.now = now;
  d.current_replicas = current_replicas;
  d.recommendation = recommendation;
  d.up_recommendation = recommendation;
  d.down_recommendation = recommendation;
  d.stabilized = current_replicas;
  d.replicas = current_replicas;

  if (last_seen_ && now < *last_seen_) {
    d.reason = fmt::format("hold at {}: time went backwards ({} ms after {} ms); not recorded",
                           current_replicas, now.count(), last_seen_->count());
    return d;
  }
  if (recommendation < 0 || current_replicas < 0) {
    d.reason =
        fmt::format("hold at {}: invalid recommendation {} or current count {}; not recorded",
                    current_replicas, recommendation, current_replicas);
    return d;
  }

  if (!first_seen_) first_seen_ = now;
  last_seen_ = now;
  samples_.push_back({now, recommendation});
  const Millis longest = std::max(config_.scale_up_window, config_.scale_down_window);
  while (samples_.size() > 1 && samples_.front().at <= now - longest) samples_.pop_front();
  for (const Sample& s : samples_) {
    if (s.at > now - config_.scale_up_window) {
      d.up_recommendation = std::min(d.up_recommendation, s.recommendation);
    }
    if (s.at > now - config_.scale_down_window) {
      d.down_recommendation = std::max(d.down_recommendation, s.recommendation);
    }
  }

  // up_recommendation <= recommendation <= down_recommendation: at most one of these applies.
  const Millis seen = now - *first_seen_;
  const bool down_window_seen = seen >= config_.scale_down_window;
  if (current_replicas < d.up_recommendation) d.stabilized = d.up_recommendation;
  if (current_replicas > d.down_recommendation && down_window_seen) {
    d.stabilized = d.down_recommendation;
  }

  d.replicas = d.stabilized;
  std::string step_note;
  // In int64: current + step may not fit an int.
  const int64_t current = current_replicas;
  if (config_.max_scale_up_step > 0 && d.replicas > current + config_.max_scale_up_step) {
    d.replicas = static_cast<int>(current + config_.max_scale_up_step);
    step_note = fmt::format(", limited by max_scale_up_step {}", config_.max_scale_up_step);
  }
  if (config_.max_scale_down_step > 0 && d.replicas < current - config_.max_scale_down_step) {
    d.replicas = static_cast<int>(current - config_.max_scale_down_step);
    step_note = fmt::format(", limited by max_scale_down_step {}", config_.max_scale_down_step);
  }

  if (d.replicas != current_replicas && last_action_ && now < *last_action_ + config_.cooldown) {
    d.cooldown_remaining = *last_action_ + config_.cooldown - now;
    d.reason = fmt::format(
        "hold at {}: would scale to {}, but in the {} cooldown after the "
        "action at {} ms ({} left)",
        current_replicas, d.replicas, Secs(config_.cooldown), last_action_->count(),
        Secs(d.cooldown_remaining));
    d.replicas = current_replicas;
    return d;
  }

  if (d.replicas > current_replicas) {
    d.action = Action::kScaleUp;
    d.reason = fmt::format("scale up {} -> {}: recommendation {}", current_replicas, d.replicas,
                           recommendation);
    if (config_.scale_up_window > Millis{0}) {
      d.reason += fmt::format(", min over the {} scale-up window {}", Secs(config_.scale_up_window),
                              d.up_recommendation);
    }
    d.reason += step_note;
  } else if (d.replicas < current_replicas) {
    d.action = Action::kScaleDown;
    d.reason = fmt::format(
        "scale down {} -> {}: recommendation {}, max over the {} scale-down "
        "window {}",
        current_replicas, d.replicas, recommendation, Secs(config_.scale_down_window),
        d.down_recommendation);
    d.reason += step_note;
  } else if (recommendation == current_replicas) {
    d.reason = fmt::format("hold at {}: recommendation {}", current_replicas, recommendation);
  } else if (recommendation > current_replicas) {
    d.reason = fmt::format(
        "hold at {}: recommendation {}, but the min over the {} scale-up "
        "window is {}",
        current_replicas, recommendation, Secs(config_.scale_up_window), d.up_recommendation);
  } else if (d.down_recommendation >= current_replicas) {
    d.reason = fmt::format(
        "hold at {}: recommendation {}, but the max over the {} scale-down "
        "window is {}",
        current_replicas, recommendation, Secs(config_.scale_down_window), d.down_recommendation);
  } else {
    d.reason = fmt::format(
        "hold at {}: recommendation {}, but no scale-down before a whole {} "
        "scale-down window has been seen ({} so far)",
        current_replicas, recommendation, Secs(config_.scale_down_window), Secs(seen));
  }
  if (d.action != Action::kNone) last_action_ = now;
  return d;
}

}  // namespace brook::scaling
