// ScalingSignal: one instance's estimate of how many replicas its application needs, the DS2
// model of src/scaling computed locally so that every instance can export
// `brook_desired_replicas` with the inputs that produced it. Each reading pairs what the
// instance saw of the whole group (the source topics' end offsets, the group's lag, its
// member count; read by the runtime on a background thread) with the instance's own
// cumulative counters (records processed, busy seconds of its stream threads, process start).
// An instance knows only its own rate, so the model's per-instance true rate is this
// instance's: the autoscaler (or the HPA/KEDA query) aggregates over instances, e.g. the
// median of their brook_desired_replicas (src/metrics/README.md).
//
// Contract: Update() keeps the readings of the last `window` and decides over the span from
// the oldest of them to the new one (scaling::ObservationBetween + scaling::Decide). The first
// reading (no span yet) holds at the current count (basis hold_no_input_rate). Time is passed
// in (any monotonic clock, in seconds); a reading older than the previous one drops the
// history. Invalid model options are reported by Create(), naming the field.
//
// Thread-safety: not synchronized; one thread (the runtime's observer thread) calls Update().
#pragma once

#include <chrono>
#include <deque>
#include <string>

#include "brook/status.h"
#include "scaling/model.h"

namespace brook::metrics {

// The group as the instance read it at one moment.
struct GroupSample {
  double at_seconds = 0.0;         // monotonic clock
  int64_t source_end_offsets = 0;  // sum of the end offsets of every source partition
  // Sum over source partitions of max(0, end - position), position = this instance's
  // processing position for its own partitions, else the group's committed offset (else the
  // log start offset).
  int64_t backlog_records = 0;
  int members = -1;           // members of the consumer group; -1 unknown
  int tasks = 0;              // tasks of the topology (partitions of each sub-topology)
  int source_partitions = 0;  // partitions of every source topic
};

struct ScalingReading {
  GroupSample group;
  scaling::InstanceReading self;  // this instance: id, cumulative counters, stream threads
};

struct ScalingOptions {
  scaling::ModelConfig model;
  // Span of the observation: the decision compares the newest reading with the oldest one
  // not older than this. Default: 30 s
  std::chrono::milliseconds window{30000};
};

class ScalingSignal {
 public:
  // kInvalidArgument naming the model field or a window <= 0.
  [[nodiscard]] static Result<ScalingSignal> Create(ScalingOptions options);

  // Records `reading` and decides over the window ending at it. current replicas = the
  // group's members (at least 1: this instance), tasks = reading.group.tasks (at least 1).
  [[nodiscard]] Result<scaling::Decision> Update(const ScalingReading& reading);

  [[nodiscard]] const ScalingOptions& options() const { return options_; }

 private:
  explicit ScalingSignal(const ScalingOptions& options) : options_(options) {}
  ScalingOptions options_;
  std::deque<ScalingReading> history_;  // oldest first, within the window
};

}  // namespace brook::metrics
