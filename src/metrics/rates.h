// The snapshot math of an instance's metrics, pure so that it is tested without a broker:
//
//  * Rates over a window: what the cumulative counters of brook::StreamsStatus say per second
//    between two statuses taken some seconds apart — records consumed and processed per
//    second per task, and how busy each task and thread was (busy seconds / wall seconds).
//    The runtime takes a status every scaling.interval.ms on its observer thread and exports
//    the rates of the last window (brook_*_per_second, brook_*_busy_ratio).
//  * StallTracker: the per-partition stall of a stream thread's task (the longest gap without
//    progress while records were waiting), advanced once per processing turn.
//  * CompletePartition: a partition's lag and ongoing stall at the moment a status is taken.
//
// Contract: ComputeRates' window is after.now_ms - before.now_ms; none (<= 0) gives nullopt.
// A task or thread missing from `before`, or whose counter went backwards (it was re-created
// on this instance), counts from zero. Busy ratios are clamped to [0, 1] (clock granularity
// can make busy time exceed wall time slightly). Only active tasks of `after` get task rates.
//
// Thread-safety: free functions over values; a StallTracker belongs to one thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "brook/ids.h"
#include "brook/streams.h"

namespace brook::metrics {

struct TaskRates {
  double consumed_per_second = 0.0;
  double processed_per_second = 0.0;
  double busy_ratio = 0.0;  // in [0, 1]
};

struct Rates {
  double window_seconds = 0.0;
  double consumed_per_second = 0.0;   // every task of the instance
  double processed_per_second = 0.0;  // every task of the instance
  double busy_ratio = 0.0;  // stream threads: busy seconds / (window x threads), in [0, 1]
  std::map<TaskId, TaskRates> tasks;      // active tasks of `after`
  std::map<std::string, double> threads;  // busy ratio by thread name, in [0, 1]
};

[[nodiscard]] std::optional<Rates> ComputeRates(const StreamsStatus& before,
                                                const StreamsStatus& after);

// The delta of a cumulative counter, counting from zero when it went backwards.
[[nodiscard]] double CounterDelta(double before, double after);

// The stall of one partition. A turn is one processing pass of the partition's task: the
// partition made progress when fewer of its records are buffered after the turn than before
// it. While records wait (some were buffered at the end of the previous turn), the gap since
// the last progress grows; the max stall is the longest such gap, ongoing ones included.
struct StallTracker {
  int64_t last_progress_ms = 0;  // last turn with progress, or with nothing buffered
  int64_t max_stall_ms = 0;
  bool waiting = false;  // records were buffered at the end of the last turn

  // Starts tracking at now_ms (the partition was just assigned).
  void Reset(int64_t now_ms);
  // One turn at now_ms; returns the length of a stall that just ended (progress after
  // waiting), else 0.
  int64_t Turn(size_t buffered_before, size_t buffered_after, int64_t now_ms);
  // Since when records wait without progress, -1 when they do not.
  [[nodiscard]] int64_t waiting_since_ms() const { return waiting ? last_progress_ms : -1; }
};

// Completes a published partition at now_ms: end_offset becomes the newer of the consumer's
// cached high watermark and `read_end_offset` (the observer thread's read; -1 none), lag =
// end_offset - position (>= 0) when both are known else -1, stall_ms = now - waiting_since
// (0 when not waiting), and max_stall_ms includes the ongoing stall.
void CompletePartition(StreamsPartitionInfo& partition, int64_t read_end_offset,
                       int64_t waiting_since_ms, int64_t now_ms);

// Sum of the partitions' lag; -1 when there is none or any is unknown.
[[nodiscard]] int64_t InputLag(const std::vector<StreamsPartitionInfo>& partitions);

}  // namespace brook::metrics
