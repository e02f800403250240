#include "scaling/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

namespace brook::scaling {
namespace {

// ceil() of a quotient computed in floating point: 4 × 800 / 800 may come out as
// 4.000000000000001, which must give 4, not 5.
constexpr double kCeilTolerance = 1e-9;

bool Finite(double v) {
  return std::isfinite(v);
}

Status FieldError(std::string_view field, std::string_view rule, const std::string& got) {
  return Status::InvalidArgument(
      fmt::format("scaling config {} must be {}, got {}", field, rule, got));
}

std::string Num(double v) {
  return fmt::format("{:g}", v);
}

// Fills everything about one instance; exclusion says whether it is usable.
InstanceEstimate Estimate(const InstanceWindow& w, const ModelConfig& config) {
  InstanceEstimate e;
  e.instance = w.instance;
  e.wall_seconds = w.wall_seconds;
  e.threads = w.threads;
  // Counters are >= 0; checking that first also keeps end - start from overflowing.
  const bool counters_sane = w.start.records_processed >= 0 && w.end.records_processed >= 0;
  e.processed_records = counters_sane ? w.end.records_processed - w.start.records_processed : 0;
  e.busy_seconds = w.end.busy_seconds - w.start.busy_seconds;

  const bool restarted = w.start.process_start_ms != 0 && w.end.process_start_ms != 0 &&
                         w.start.process_start_ms != w.end.process_start_ms;
  if (!counters_sane || !Finite(w.start.busy_seconds) || !Finite(w.end.busy_seconds) ||
      w.start.busy_seconds < 0 || w.end.busy_seconds < 0 || !Finite(w.wall_seconds) ||
      w.wall_seconds <= 0 || w.threads < 1) {
    e.exclusion = Exclusion::kInvalid;
    return e;
  }
  e.busy_fraction = e.busy_seconds / (w.wall_seconds * w.threads);
  if (restarted || e.processed_records < 0 || e.busy_seconds < 0) {
    e.exclusion = Exclusion::kRestarted;
    e.busy_fraction = 0.0;
    return e;
  }
  if (e.processed_records == 0) {
    e.exclusion = Exclusion::kNoRecords;
    return e;
  }
  if (e.busy_seconds <= 0) {
    e.exclusion = Exclusion::kNoBusyTime;
    return e;
  }
  e.true_rate_per_thread = static_cast<double>(e.processed_records) / e.busy_seconds;
  e.true_rate = e.true_rate_per_thread * w.threads;
  if (e.busy_fraction > config.max_busy_fraction) e.exclusion = Exclusion::kBusyExceedsWall;
  return e;
}

// "0 of 2 instances usable (pod-0: no_records; pod-1: restarted)".
std::string UsableSummary(const Decision& d) {
  std::string s = fmt::format("{} of {} instances usable", d.instances_used, d.instances.size());
  std::string excluded;
  for (const InstanceEstimate& e : d.instances) {
    if (e.exclusion == Exclusion::kNone) continue;
    if (!excluded.empty()) excluded += "; ";
    excluded += e.instance + ": " + std::string(ExclusionName(e.exclusion));
  }
  if (!excluded.empty()) s += " (" + excluded + ")";
  return s;
}

void Hold(Decision& d, Basis basis, const std::string& why) {
  d.basis = basis;
  d.desired = std::clamp(d.current_replicas, d.lower_bound, d.upper_bound);
  d.reason = fmt::format("hold at {} replicas: {}", d.desired, why);
  if (d.desired != d.current_replicas) {
    d.reason += fmt::format(" (current {} moved into [{}, {}])", d.current_replicas, d.lower_bound,
                            d.upper_bound);
  }
}

}  // namespace

std::string_view ExclusionName(Exclusion e) {
  switch (e) {
    case Exclusion::kNone:
      return "none";
    case Exclusion::kRestarted:
      return "restarted";
    case Exclusion::kInvalid:
      return "invalid";
    case Exclusion::kNoRecords:
      return "no_records";
    case Exclusion::kNoBusyTime:
      return "no_busy_time";
    case Exclusion::kBusyExceedsWall:
      return "busy_exceeds_wall";
  }
  return "unknown";
}

std::string_view BasisName(Basis b) {
  switch (b) {
    case Basis::kModel:
      return "model";
    case Basis::kIdle:
      return "idle";
    case Basis::kHoldNoRate:
      return "hold_no_rate";
    case Basis::kHoldNoInputRate:
      return "hold_no_input_rate";
    case Basis::kHoldBadBacklog:
      return "hold_bad_backlog";
  }
  return "unknown";
}

Status Validate(const ModelConfig& c) {
  if (c.min_replicas < 1) return FieldError("min_replicas", ">= 1", std::to_string(c.min_replicas));
  if (c.max_replicas < 0 || (c.max_replicas > 0 && c.max_replicas < c.min_replicas)) {
    return FieldError(
        "max_replicas",
        "0 (the number of tasks) or >= min_replicas (" + std::to_string(c.min_replicas) + ")",
        std::to_string(c.max_replicas));
  }
  if (!Finite(c.target_utilisation) || c.target_utilisation <= 0 || c.target_utilisation > 1) {
    return FieldError("target_utilisation", "in (0, 1]", Num(c.target_utilisation));
  }
  if (!Finite(c.catch_up_target_seconds) || c.catch_up_target_seconds <= 0) {
    return FieldError("catch_up_target_seconds", "finite and > 0", Num(c.catch_up_target_seconds));
  }
  if (!Finite(c.min_busy_seconds) || c.min_busy_seconds < 0) {
    return FieldError("min_busy_seconds", "finite and >= 0", Num(c.min_busy_seconds));
  }
  if (c.min_processed_records < 0) {
    return FieldError("min_processed_records", ">= 0", std::to_string(c.min_processed_records));
  }
  if (!Finite(c.max_busy_fraction) || c.max_busy_fraction < 1) {
    return FieldError("max_busy_fraction", "finite and >= 1", Num(c.max_busy_fraction));
  }
  if (!Finite(c.min_window_seconds) || c.min_window_seconds <= 0) {
    return FieldError("min_window_seconds", "finite and > 0", Num(c.min_window_seconds));
  }
  return Status::Ok();
}

Result<Decision> Decide(const Observation& o, const ModelConfig& config) {
  BROOK_RETURN_IF_ERROR(Validate(config));
  if (o.current_replicas < 0) {
    return Status::InvalidArgument("scaling observation current_replicas must be >= 0, got " +
                                   std::to_string(o.current_replicas));
  }
  if (o.tasks < 1) {
    return Status::InvalidArgument("scaling observation tasks must be >= 1, got " +
                                   std::to_string(o.tasks));
  }

  Decision d;
  d.current_replicas = o.current_replicas;
  d.tasks = o.tasks;
  d.window_seconds = o.window_seconds;
  d.source_end_offsets_start = o.source_end_offsets_start;
  d.source_end_offsets_end = o.source_end_offsets_end;
  d.backlog_records = o.backlog_records;
  d.target_utilisation = config.target_utilisation;
  d.catch_up_target_seconds = config.catch_up_target_seconds;
  d.upper_bound = config.max_replicas > 0 ? std::min(o.tasks, config.max_replicas) : o.tasks;
  d.lower_bound = std::min(config.min_replicas, d.upper_bound);

  // Rate estimate.
  double threads_sum = 0.0;
  d.instances.reserve(o.instances.size());
  for (const InstanceWindow& w : o.instances) {
    d.instances.push_back(Estimate(w, config));
    const InstanceEstimate& e = d.instances.back();
    if (e.exclusion != Exclusion::kNone) continue;
    ++d.instances_used;
    d.processed_records += e.processed_records;
    d.busy_seconds += e.busy_seconds;
    threads_sum += e.threads;
  }
  const bool rate_known = d.instances_used > 0 && d.busy_seconds > 0 &&
                          d.busy_seconds >= config.min_busy_seconds &&
                          d.processed_records >= config.min_processed_records;
  if (rate_known) {
    d.true_rate_per_thread = static_cast<double>(d.processed_records) / d.busy_seconds;
    d.true_rate_per_instance = *d.true_rate_per_thread * threads_sum / d.instances_used;
  }

  // Demand.
  const bool window_ok = Finite(o.window_seconds) && o.window_seconds >= config.min_window_seconds;
  const bool offsets_ok = o.source_end_offsets_start >= 0 && o.source_end_offsets_end >= 0 &&
                          o.source_end_offsets_end >= o.source_end_offsets_start;
  if (window_ok && offsets_ok) {
    d.input_rate = static_cast<double>(o.source_end_offsets_end - o.source_end_offsets_start) /
                   o.window_seconds;
  }
  if (o.backlog_records >= 0) {
    d.backlog_rate = static_cast<double>(o.backlog_records) / config.catch_up_target_seconds;
  }
  d.demand_rate = d.input_rate.value_or(0.0) + d.backlog_rate;

  if (!window_ok) {
    Hold(d, Basis::kHoldNoInputRate,
         fmt::format("no input rate: window of {} s (min_window_seconds {})", Num(o.window_seconds),
                     Num(config.min_window_seconds)));
    return d;
  }
  if (!offsets_ok) {
    Hold(d, Basis::kHoldNoInputRate,
         fmt::format("no input rate: source end offsets {} -> {} (negative or went backwards: "
                     "topic deleted or recreated?)",
                     o.source_end_offsets_start, o.source_end_offsets_end));
    return d;
  }
  if (o.backlog_records < 0) {
    Hold(d, Basis::kHoldBadBacklog, fmt::format("backlog {} is negative", o.backlog_records));
    return d;
  }
  if (*d.input_rate == 0.0 && o.backlog_records == 0) {
    d.basis = Basis::kIdle;
    d.desired = d.lower_bound;
    d.reason = fmt::format("{} replicas: no input and no backlog (the lower bound)", d.desired);
    return d;
  }
  if (!rate_known) {
    std::string why;
    if (d.instances_used == 0) {
      why = "no rate estimate: " + UsableSummary(d);
    } else {
      why = fmt::format(
          "no rate estimate: {} busy s and {} records (min_busy_seconds {}, "
          "min_processed_records {}); {}",
          Num(d.busy_seconds), d.processed_records, Num(config.min_busy_seconds),
          config.min_processed_records, UsableSummary(d));
    }
    Hold(d, Basis::kHoldNoRate, why);
    return d;
  }

  // The formula.
  d.basis = Basis::kModel;
  d.capacity_per_replica = *d.true_rate_per_instance * config.target_utilisation;
  d.raw_desired = d.demand_rate / *d.capacity_per_replica;
  constexpr auto kMaxInt = static_cast<double>(std::numeric_limits<int32_t>::max());
  const double ceiled = std::ceil(*d.raw_desired * (1.0 - kCeilTolerance));
  d.unclamped_desired = static_cast<int64_t>(std::min(ceiled, kMaxInt));
  d.desired =
      static_cast<int>(std::clamp<int64_t>(*d.unclamped_desired, d.lower_bound, d.upper_bound));
  d.reason = fmt::format(
      "{} replicas = ceil(({} input/s + {} backlog / {} s) / ({}/s per instance x {})) = "
      "ceil({})",
      d.desired, Num(*d.input_rate), o.backlog_records, Num(config.catch_up_target_seconds),
      Num(*d.true_rate_per_instance), Num(config.target_utilisation),
      fmt::format("{:.3f}", *d.raw_desired));
  if (*d.unclamped_desired > d.upper_bound) {
    d.reason += fmt::format(", capped at {}", d.upper_bound);
    d.reason += d.upper_bound == o.tasks ? " (the number of tasks)" : " (max_replicas)";
  } else if (*d.unclamped_desired < d.lower_bound) {
    d.reason += fmt::format(", raised to {} (min_replicas)", d.lower_bound);
  }
  if (d.instances_used < static_cast<int>(d.instances.size())) {
    d.reason += "; rate from " + UsableSummary(d);
  }
  return d;
}

Observation ObservationBetween(const GroupReading& before, const GroupReading& after,
                               int current_replicas, int tasks) {
  Observation o;
  o.current_replicas = current_replicas;
  o.tasks = tasks;
  o.window_seconds = after.at_seconds - before.at_seconds;
  o.source_end_offsets_start = before.source_end_offsets;
  o.source_end_offsets_end = after.source_end_offsets;
  o.backlog_records = after.backlog_records;
  std::map<std::string, const InstanceReading*> previous;
  for (const InstanceReading& r : before.instances) previous[r.instance] = &r;
  o.instances.reserve(after.instances.size());
  for (const InstanceReading& r : after.instances) {
    InstanceWindow w;
    w.instance = r.instance;
    w.end = r.counters;
    w.wall_seconds = o.window_seconds;
    w.threads = r.threads;
    if (auto it = previous.find(r.instance); it != previous.end()) {
      w.start = it->second->counters;
    } else {
      w.start.process_start_ms = r.counters.process_start_ms;  // a new instance: from zero
    }
    o.instances.push_back(std::move(w));
  }
  return o;
}

}  // namespace brook::scaling
