// InstanceMetrics: the Prometheus metrics of one brook instance, built on prometheus-cpp
// (core: a Registry, counters, gauges, histograms, and its TextSerializer) and served at
// /metrics by the instance's own HTTP server. Every name, type, label and meaning is listed
// in src/metrics/README.md and in Catalog().
//
// How values get here, and why the record path stays cheap: stream threads keep plain
// per-task and per-partition counters they own and publish them into the instance's status
// once per batch (never a lock or a map lookup per record). At each scrape, Expose() takes
// that status (plus the rates of the last window, the group sample and the scaling decision
// the observer thread computed) and copies it into the registry's counters and gauges: series
// of tasks and partitions that went away are removed, a counter whose source went backwards
// (a task re-created on this instance) restarts its series. Histograms (commit and punctuate
// latency, rebalance duration, processing stalls) are observed directly by the threads that
// time them (prometheus-cpp histograms lock per observation: commits, punctuations,
// rebalances and stalls of kStallThresholdSeconds or more, never records).
//
// Thread-safety: the Observe*() methods may be called from any thread. Expose() may be
// called from any thread; calls are serialized internally.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brook/streams.h"
#include "metrics/health.h"
#include "metrics/rates.h"
#include "metrics/scaling_signal.h"
#include "scaling/model.h"

namespace brook::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };
std::string_view MetricTypeName(MetricType type);  // "counter", "gauge", "histogram"

struct MetricDef {
  std::string name;
  MetricType type = MetricType::kGauge;
  std::vector<std::string> labels;  // in order; histograms add `le`
  std::string help;
  std::vector<double> buckets;  // histograms: upper bounds (seconds)
};

// Every metric InstanceMetrics exports, in exposition order, except the scaling gauges
// (brook_desired_replicas and brook_scaling_*, from scaling::DecisionGauges) that follow them.
[[nodiscard]] const std::vector<MetricDef>& Catalog();

// A partition stall (records waiting, no progress) is observed in the
// brook_processing_stall_seconds histogram when it lasted at least this long.
inline constexpr double kStallThresholdSeconds = 0.1;

// What one exposition is made of.
struct ExpositionInput {
  StreamsStatus status;
  std::optional<Rates> rates;                 // of the last window; none before the second
  std::optional<GroupSample> group;           // the last read of the group
  std::optional<scaling::Decision> decision;  // the last scaling decision
  int64_t resident_bytes = -1;                // RSS; -1 unknown
  HealthOptions health;                       // for brook_instance_live
};

class InstanceMetrics {
 public:
  InstanceMetrics();
  ~InstanceMetrics();
  InstanceMetrics(const InstanceMetrics&) = delete;
  InstanceMetrics& operator=(const InstanceMetrics&) = delete;

  void ObserveCommit(double seconds);
  void ObservePunctuation(double seconds);
  void ObserveRebalance(double seconds);
  void ObserveStall(double seconds);

  // Updates every series from `input` and returns the text exposition (version 0.0.4).
  [[nodiscard]] std::string Expose(const ExpositionInput& input);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Resident set size of this process in bytes (/proc/self/statm), -1 when unreadable.
[[nodiscard]] int64_t ResidentMemoryBytes();

}  // namespace brook::metrics
