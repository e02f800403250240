// The scaling model: how many replicas (instances) a brook application's group needs, DS2
// style. An instance's true processing rate is records processed / busy time (time its stream
// threads spent processing, not wall time), so it is known even when the instance mostly idles;
// the group's input rate is the growth of its source topics' end offsets; and
//
//   desired = ceil((input rate + backlog / catch_up_target_seconds)
//                  / (true rate per instance × target_utilisation))
//
// clamped to [min_replicas, number of tasks (and max_replicas if set)]. The formula, every input
// and how to read the exported values are in src/scaling/README.md.
//
// Contract: Decide() is a pure, deterministic function of its arguments: no I/O, no clock, no
// randomness. Observations are measurements and may be messy: every odd value (no busy time
// yet, zero records, counters that went backwards after a restart, NaN, negative, zero input)
// has a defined answer, given in Decision::basis and Decision::reason, and never an error.
// Only an invalid config or an impossible group shape (negative current replicas, no tasks) is
// a kInvalidArgument Status naming the field. The Decision carries every input and intermediate
// value, so `brook_desired_replicas` can be exported with the inputs that produced it
// (scaling/metrics.h).
//
// Thread-safety: free functions over values; safe to call concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brook/status.h"

namespace brook::scaling {

// Tunables of the model. Validate() lists the valid ranges; Decide() rejects an invalid config
// with a Status naming the field.
struct ModelConfig {
  // Fewest replicas ever recommended; >= 1. When it exceeds the number of tasks, the number
  // of tasks wins (a replica beyond the task count would have nothing to run).
  int min_replicas = 1;  // Default: 1
  // Most replicas ever recommended, in addition to the number of tasks; 0 = the number of
  // tasks only. Otherwise >= min_replicas.
  int max_replicas = 0;  // Default: 0 (the number of tasks)
  // Fraction of an instance's true rate it should run at, in (0, 1]: the headroom that absorbs
  // noise and the rebalance pause of a scaling action.
  double target_utilisation = 0.8;  // Default: 0.8
  // The backlog (total lag) should drain within this many seconds: it adds
  // backlog / catch_up_target_seconds to the input rate. Finite and > 0.
  double catch_up_target_seconds = 120.0;  // Default: 120
  // Guards of the rate estimate: the usable instances together must have been busy at least
  // this many seconds (thread-seconds) and have processed at least this many records in the
  // window, else the model holds the current count. Both finite and >= 0.
  double min_busy_seconds = 1.0;        // Default: 1.0
  int64_t min_processed_records = 100;  // Default: 100
  // An instance whose busy time exceeds wall time × threads × this factor reports
  // inconsistent numbers and is left out of the estimate. Finite and >= 1.
  double max_busy_fraction = 1.1;  // Default: 1.1
  // The source offsets must span at least this many seconds for an input rate; a shorter (or
  // NaN, or negative) window holds the current count. Finite and > 0.
  double min_window_seconds = 1.0;  // Default: 1.0
};

// kInvalidArgument naming the first field out of range, else OK.
[[nodiscard]] Status Validate(const ModelConfig& config);

// Cumulative counters of one instance, as read at one moment (e.g. from its metrics
// endpoint). They start at zero when the process starts.
struct InstanceCounters {
  int64_t records_processed = 0;  // records processed by the instance's tasks since start
  double busy_seconds = 0.0;      // time spent processing since start, summed over threads
  // When the process started (any fixed epoch, e.g. ms since the Unix epoch); 0 = unknown.
  // Two reads with different non-zero values mean the instance restarted in between, even if
  // its counters did not go backwards.
  int64_t process_start_ms = 0;
};

// One instance over one observation window: its counters at the start and at the end.
struct InstanceWindow {
  std::string instance;  // pod or process id; diagnostic only
  InstanceCounters start;
  InstanceCounters end;
  double wall_seconds = 0.0;  // time between the two reads; finite and > 0 to be usable
  int threads = 1;            // stream threads of the instance; >= 1 to be usable
};

// What the model sees of the whole group over one window.
struct Observation {
  int current_replicas = 0;  // replicas the group runs now (the StatefulSet's); >= 0
  int tasks = 0;             // tasks of the topology (the upper bound); >= 1
  // Seconds between the two reads of the source topics' end offsets.
  double window_seconds = 0.0;
  // Sum over every source topic partition of its end offset, at the start and the end of
  // the window. Their growth / window_seconds is the input rate.
  int64_t source_end_offsets_start = 0;
  int64_t source_end_offsets_end = 0;
  // Total lag at the end of the window: sum over source partitions of end offset - committed
  // offset (each partition's lag clamped at 0 by the caller). >= 0.
  int64_t backlog_records = 0;
  std::vector<InstanceWindow> instances;  // one per instance that reported; may be empty
};

// Why an instance was left out of the rate estimate.
enum class Exclusion {
  kNone,             // used
  kRestarted,        // a counter went backwards or process_start_ms changed
  kInvalid,          // NaN, infinite or negative busy time or wall time, or threads < 1
  kNoRecords,        // processed no record in the window (its rate is unknowable)
  kNoBusyTime,       // processed records with no busy time (inconsistent)
  kBusyExceedsWall,  // busy > wall × threads × max_busy_fraction (inconsistent)
};
std::string_view ExclusionName(Exclusion e);

// The model's view of one instance over the window.
struct InstanceEstimate {
  std::string instance;
  int64_t processed_records = 0;  // end - start (may be negative after a restart)
  double busy_seconds = 0.0;      // end - start
  double wall_seconds = 0.0;
  int threads = 0;
  // busy / (wall × threads): how loaded its threads were. 0 when not computable.
  double busy_fraction = 0.0;
  // processed / busy: records per busy thread-second. 0 when not computable.
  double true_rate_per_thread = 0.0;
  // true_rate_per_thread × threads: the instance's rate when fully busy. 0 when not computable.
  double true_rate = 0.0;
  Exclusion exclusion = Exclusion::kNone;
};

// What the recommendation rests on.
enum class Basis {
  kModel,            // the formula
  kIdle,             // zero input and zero backlog: min replicas, whatever the rate
  kHoldNoRate,       // no usable rate estimate (no busy time yet, no records, restarts)
  kHoldNoInputRate,  // the window or the source offsets do not give an input rate
  kHoldBadBacklog,   // negative backlog
};
std::string_view BasisName(Basis b);

// The recommendation with everything that produced it. Rates in records/s.
struct Decision {
  // Inputs, as given.
  int current_replicas = 0;
  int tasks = 0;
  double window_seconds = 0.0;
  int64_t source_end_offsets_start = 0;
  int64_t source_end_offsets_end = 0;
  int64_t backlog_records = 0;
  double target_utilisation = 0.0;
  double catch_up_target_seconds = 0.0;
  // Effective bounds: [min(min_replicas, upper), upper], upper = tasks or max_replicas if lower.
  int lower_bound = 0;
  int upper_bound = 0;

  // Rate estimate: every reporting instance, and the sums over the usable ones.
  std::vector<InstanceEstimate> instances;
  int instances_used = 0;
  int64_t processed_records = 0;  // sum over usable instances
  double busy_seconds = 0.0;      // sum over usable instances
  // Aggregated estimate: sum processed / sum busy (busy-time weighted), and that times the
  // mean thread count of the usable instances. Absent without a usable estimate.
  std::optional<double> true_rate_per_thread;
  std::optional<double> true_rate_per_instance;

  // Demand. input_rate absent when the window or the offsets do not give one.
  std::optional<double> input_rate;
  double backlog_rate = 0.0;  // backlog_records / catch_up_target_seconds
  double demand_rate = 0.0;   // input_rate + backlog_rate

  // The formula. Absent unless basis == kModel.
  std::optional<double> capacity_per_replica;  // true_rate_per_instance × target_utilisation
  std::optional<double> raw_desired;           // demand_rate / capacity_per_replica
  std::optional<int64_t> unclamped_desired;    // ceil(raw_desired), saturated at 2^31 - 1

  int desired = 0;  // the recommendation, in [lower_bound, upper_bound]: brook_desired_replicas
  Basis basis = Basis::kHoldNoRate;
  // One line a person can read, e.g. "9 replicas = ceil((6000 input/s + 120000 backlog / 120 s)
  // / (1000/s per instance x 0.8)) = ceil(8.75)".
  std::string reason;
};

// Computes the recommendation for one window. Holding means desired = current_replicas
// clamped to the bounds. In order:
//   1. invalid config, current_replicas < 0 or tasks < 1: kInvalidArgument naming the field;
//   2. no input rate (window NaN or shorter than min_window_seconds, an offset sum negative,
//      or the end offsets went backwards): hold, kHoldNoInputRate;
//   3. negative backlog: hold, kHoldBadBacklog;
//   4. zero input rate and zero backlog: lower_bound, kIdle;
//   5. no usable instance, or the usable ones below min_busy_seconds or
//      min_processed_records: hold, kHoldNoRate;
//   6. else the formula, kModel.
[[nodiscard]] Result<Decision> Decide(const Observation& observation, const ModelConfig& config);

// One read of the group, as `brook autoscale` takes it at every interval: the time, the sum of
// the source topics' end offsets, the total lag, and every instance's cumulative counters.
struct InstanceReading {
  std::string instance;
  InstanceCounters counters;
  int threads = 1;
};
struct GroupReading {
  double at_seconds = 0.0;  // on any fixed clock
  int64_t source_end_offsets = 0;
  int64_t backlog_records = 0;
  std::vector<InstanceReading> instances;
};

// The Observation over the window between two reads. Instances are matched by id; one that is
// not in `before` (new, or its read failed) starts from zero counters with its
// process_start_ms; one that is not in `after` is left out. Wall time is the window for all.
Observation ObservationBetween(const GroupReading& before, const GroupReading& after,
                               int current_replicas, int tasks);

}  // namespace brook::scaling
