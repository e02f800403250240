#include "metrics/exposition.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "scaling/metrics.h"

namespace brook::metrics {
namespace {

using prometheus::Labels;

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
}
std::vector<double> LongBuckets() {
  return {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800};
}

MetricDef C(std::string name, std::vector<std::string> labels, std::string help) {
  return MetricDef{std::move(name), MetricType::kCounter, std::move(labels), std::move(help), {}};
}
MetricDef G(std::string name, std::vector<std::string> labels, std::string help) {
  return MetricDef{std::move(name), MetricType::kGauge, std::move(labels), std::move(help), {}};
}
MetricDef H(std::string name, std::string help, std::vector<double> buckets) {
  return MetricDef{
      std::move(name), MetricType::kHistogram, {}, std::move(help), std::move(buckets)};
}

std::vector<MetricDef> BuildCatalog() {
  const std::vector<std::string> none;
  const std::vector<std::string> task = {"task"};
  const std::vector<std::string> task_role = {"task", "role"};
  const std::vector<std::string> part = {"task", "topic", "partition"};
  const std::vector<std::string> thread = {"thread"};
  return {
      // Instance.
      G("brook_instance_info", {"application_id", "instance"},
        "Always 1; the labels name the application and this instance"),
      G("brook_instance_state", {"state"}, "1 for the instance's current state, 0 for the others"),
      G("brook_instance_live", none, "1 when /healthz answers 200 (threads alive, not failed)"),
      G("brook_instance_ready", none,
        "1 when /readyz answers 200 (assigned, every active task running)"),
      G("brook_instance_generation", none, "Group generation of the instance's assignment"),
      G("brook_process_start_time_seconds", none,
        "When the instance was created, seconds since the Unix epoch"),
      G("brook_process_resident_memory_bytes", none, "Resident set size of the process"),
      G("brook_stream_threads", none, "Stream threads of the instance"),
      G("brook_tasks", {"role"}, "Tasks on this instance by role (active, standby, warmup)"),
      C("brook_consumed_records_total", none, "Records fetched into the instance's active tasks"),
      C("brook_processed_records_total", none,
        "Records the instance's active tasks processed (including skipped bad records)"),
      C("brook_busy_seconds_total", none,
        "Time the stream threads spent processing, punctuating and committing (not waiting "
        "for records), summed over threads"),
      G("brook_consumed_records_per_second", none,
        "Records fetched per second over the last window"),
      G("brook_processed_records_per_second", none,
        "Records processed per second over the last window"),
      G("brook_busy_ratio", none,
        "Busy time of the stream threads over the last window / (window x threads), in [0, 1]"),
      C("brook_restored_records_total", none,
        "Changelog records applied by restore and standby replicas"),
      C("brook_skipped_records_total", none,
        "Records skipped by the deserialization handler (log-and-continue)"),
      C("brook_dropped_records_total", none,
        "Records processors dropped on purpose (late, null key, ...)"),
      C("brook_dead_lettered_records_total", none, "Records sent to the dead-letter topic"),
      C("brook_commits_total", none, "Completed commits (every task of the instance at once)"),
      C("brook_rebalances_total", none, "Completed rebalances (JoinGroup and SyncGroup rounds)"),
      H("brook_rebalance_duration_seconds",
        "From the start of a rebalance (join, or tasks revoked or lost) until every active task "
        "of the new assignment runs (restored)",
        LongBuckets()),
      H("brook_commit_latency_seconds",
        "Duration of a commit: producer flush, checkpoints, offset commit or transaction commit",
        LatencyBuckets()),
      H("brook_punctuate_latency_seconds", "Duration of one punctuator call", LatencyBuckets()),
      H("brook_processing_stall_seconds",
        "Stalls of a partition: time its records waited without progress, observed when "
        "progress resumed, for stalls of 0.1 s or more",
        LongBuckets()),
      G("brook_max_processing_stall_seconds", none,
        "Longest partition stall (records waiting, no progress) of the tasks on this instance, "
        "ongoing ones included"),
      // Threads.
      G("brook_thread_alive", thread, "1 while the thread's loop runs"),
      C("brook_thread_busy_seconds_total", thread,
        "Time the thread spent working (stream: processing, punctuating, committing; restore: "
        "applying changelog records)"),
      G("brook_thread_busy_ratio", thread, "Busy time over the last window / window, in [0, 1]"),
      G("brook_thread_last_loop_age_seconds", thread,
        "Time since the thread last started a loop iteration"),
      // Active tasks.
      C("brook_task_consumed_records_total", task, "Records fetched into the task"),
      C("brook_task_processed_records_total", task,
        "Records the task processed (including skipped bad records)"),
      C("brook_task_skipped_records_total", task,
        "Records of the task skipped by the deserialization handler"),
      C("brook_task_dropped_records_total", task, "Records the task's processors dropped"),
      C("brook_task_busy_seconds_total", task,
        "Time its stream thread spent processing and punctuating the task"),
      C("brook_task_punctuations_total", task, "Punctuator calls of the task"),
      G("brook_task_consumed_records_per_second", task,
        "Records fetched per second over the last window"),
      G("brook_task_processed_records_per_second", task,
        "Records processed per second over the last window"),
      G("brook_task_busy_ratio", task, "Busy time of the task over the last window / window"),
      G("brook_task_lag_records", task,
        "Input lag of the task: sum over its partitions of log end offset - position"),
      G("brook_task_restoring", task, "1 while the active task restores its state"),
      // Tasks, every role.
      C("brook_task_restored_records_total", task_role,
        "Changelog records applied to the task's stores since it started here"),
      G("brook_task_restore_remaining_records", task_role,
        "Changelog offsets still to read (active: to the restore target; standby, warmup: to "
        "the changelog end)"),
      G("brook_task_restore_total_records", task_role,
        "Changelog offsets to read since the restore started (an upper bound of the records)"),
      G("brook_task_restore_eta_seconds", task_role,
        "Estimated time to the end of an active task's restore at the rate so far"),
      G("brook_task_state_bytes", task_role, "Bytes of the task's local state on disk"),
      // Source partitions of active tasks.
      C("brook_partition_consumed_records_total", part, "Records fetched from the partition"),
      G("brook_partition_position", part, "Next offset of the partition the task processes"),
      G("brook_partition_end_offset", part, "Log end offset (high watermark) of the partition"),
      G("brook_partition_lag_records", part, "Log end offset - position"),
      G("brook_partition_buffered_records", part, "Fetched records waiting to be processed"),
      G("brook_partition_stall_seconds", part,
        "How long the partition's records have waited without progress (0 when progressing)"),
      G("brook_partition_max_stall_seconds", part, "Longest such wait since the task started here"),
      // The group, as the observer thread reads it (inputs of the scaling signal).
      G("brook_group_members", none, "Members of the application's consumer group"),
      G("brook_group_tasks", none, "Tasks of the topology (partitions of each sub-topology)"),
      G("brook_group_source_partitions", none, "Partitions of every source topic"),
      G("brook_group_source_end_offsets", none,
        "Sum of the end offsets of every source partition (its growth is the input rate)"),
      G("brook_group_lag_records", none,
        "Sum over source partitions of end offset - position (this instance's own position "
        "for its partitions, the committed offset for the others)"),
  };
}

template <typename M>
struct Synced {
  prometheus::Family<M>* family = nullptr;
  std::map<Labels, M*> live;
  std::set<Labels> touched;

  M& Get(const Labels& labels) {
    touched.insert(labels);
    auto it = live.find(labels);
    if (it == live.end()) it = live.emplace(labels, &family->Add(labels)).first;
    return *it->second;
  }
  M& Recreate(const Labels& labels) {
    auto it = live.find(labels);
    if (it != live.end()) {
      family->Remove(it->second);
      live.erase(it);
    }
    return Get(labels);
  }
  void Sweep() {
    for (auto it = live.begin(); it != live.end();) {
      if (touched.contains(it->first)) {
        ++it;
      } else {
        family->Remove(it->second);
        it = live.erase(it);
      }
    }
    touched.clear();
  }
};

double Ms(int64_t ms) {
  return static_cast<double>(ms) / 1000.0;
}
double D(uint64_t v) {
  return static_cast<double>(v);
}
double D(int64_t v) {
  return static_cast<double>(v);
}

}  // namespace

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "?";
}

const std::vector<MetricDef>& Catalog() {
  static const std::vector<MetricDef> catalog = BuildCatalog();
  return catalog;
}

struct InstanceMetrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  std::map<std::string, Synced<prometheus::Counter>, std::less<>> counters;
  std::map<std::string, Synced<prometheus::Gauge>, std::less<>> gauges;
  std::map<std::string, prometheus::Histogram*, std::less<>> histograms;
  std::mutex expose_mu;

  Impl() {
    for (const MetricDef& d : Catalog()) {
      switch (d.type) {
        case MetricType::kCounter:
          counters[d.name].family =
              &prometheus::BuildCounter().Name(d.name).Help(d.help).Register(*registry);
          break;
        case MetricType::kGauge:
          gauges[d.name].family =
              &prometheus::BuildGauge().Name(d.name).Help(d.help).Register(*registry);
          break;
        case MetricType::kHistogram:
          histograms[d.name] =
              &prometheus::BuildHistogram().Name(d.name).Help(d.help).Register(*registry).Add(
                  {}, d.buckets);
          break;
      }
    }
  }

  void Counter(std::string_view name, const Labels& labels, double value) {
    Synced<prometheus::Counter>& s = counters.find(name)->second;
    prometheus::Counter* c = &s.Get(labels);
    if (value < c->Value()) c = &s.Recreate(labels);  // its source restarted
    c->Increment(value - c->Value());
  }
  void Gauge(std::string_view name, const Labels& labels, double value) {
    gauges.find(name)->second.Get(labels).Set(value);
  }
  void Observe(std::string_view name, double seconds) {
    histograms.find(name)->second->Observe(seconds);
  }

  void Fill(const ExpositionInput& in);
};

void InstanceMetrics::Impl::Fill(const ExpositionInput& in) {
  const StreamsStatus& s = in.status;
  Gauge("brook_instance_info", {{"application_id", s.application_id}, {"instance", s.instance_id}},
        1);
  for (StreamsState st :
       {StreamsState::kCreated, StreamsState::kRebalancing, StreamsState::kRunning,
        StreamsState::kPendingShutdown, StreamsState::kNotRunning, StreamsState::kError}) {
    Gauge("brook_instance_state", {{"state", std::string(StreamsStateName(st))}},
          st == s.state ? 1 : 0);
  }
  Gauge("brook_instance_live", {}, Liveness(s, in.health).ok ? 1 : 0);
  Gauge("brook_instance_ready", {}, Readiness(s).ok ? 1 : 0);
  Gauge("brook_instance_generation", {}, s.generation);
  Gauge("brook_process_start_time_seconds", {}, Ms(s.process_start_ms));
  if (in.resident_bytes >= 0)
    Gauge("brook_process_resident_memory_bytes", {}, D(in.resident_bytes));
  std::map<std::string, int> roles = {{"active", 0}, {"standby", 0}, {"warmup", 0}};
  for (const StreamsTaskInfo& t : s.tasks) ++roles[t.role];
  for (const auto& [role, n] : roles) Gauge("brook_tasks", {{"role", role}}, n);
  Counter("brook_consumed_records_total", {}, D(s.consumed));
  Counter("brook_processed_records_total", {}, D(s.processed));
  Counter("brook_busy_seconds_total", {}, s.busy_seconds);
  Counter("brook_restored_records_total", {}, D(s.restored));
  Counter("brook_skipped_records_total", {}, D(s.skipped));
  Counter("brook_dropped_records_total", {}, D(s.dropped));
  Counter("brook_dead_lettered_records_total", {}, D(s.dead_lettered));
  Counter("brook_commits_total", {}, D(s.commits));
  Counter("brook_rebalances_total", {}, s.rebalances);
  if (in.rates) {
    Gauge("brook_consumed_records_per_second", {}, in.rates->consumed_per_second);
    Gauge("brook_processed_records_per_second", {}, in.rates->processed_per_second);
    Gauge("brook_busy_ratio", {}, in.rates->busy_ratio);
  }

  int stream_threads = 0;
  for (const StreamsThreadInfo& t : s.threads) {
    if (t.name != "restore") ++stream_threads;
    const Labels l = {{"thread", t.name}};
    Gauge("brook_thread_alive", l, t.alive ? 1 : 0);
    Counter("brook_thread_busy_seconds_total", l, t.busy_seconds);
    if (t.last_loop_ms > 0) {
      Gauge("brook_thread_last_loop_age_seconds", l, std::max(0.0, Ms(s.now_ms - t.last_loop_ms)));
    }
    if (in.rates) {
      auto r = in.rates->threads.find(t.name);
      if (r != in.rates->threads.end()) Gauge("brook_thread_busy_ratio", l, r->second);
    }
  }
  Gauge("brook_stream_threads", {}, stream_threads);

  int64_t max_stall_ms = 0;
  for (const StreamsTaskInfo& t : s.tasks) {
    const std::string id = t.id.ToString();
    const Labels tr = {{"task", id}, {"role", t.role}};
    Counter("brook_task_restored_records_total", tr, D(t.restored));
    Gauge("brook_task_restore_remaining_records", tr, D(t.lag));
    Gauge("brook_task_restore_total_records", tr, D(t.restore_total));
    if (t.restore_eta_seconds >= 0)
      Gauge("brook_task_restore_eta_seconds", tr, t.restore_eta_seconds);
    if (t.state_bytes >= 0) Gauge("brook_task_state_bytes", tr, D(t.state_bytes));
    if (t.role != "active") continue;
    const Labels l = {{"task", id}};
    Counter("brook_task_consumed_records_total", l, D(t.consumed));
    Counter("brook_task_processed_records_total", l, D(t.processed));
    Counter("brook_task_skipped_records_total", l, D(t.skipped));
    Counter("brook_task_dropped_records_total", l, D(t.dropped));
    Counter("brook_task_busy_seconds_total", l, t.busy_seconds);
    Counter("brook_task_punctuations_total", l, D(t.punctuations));
    Gauge("brook_task_restoring", l, t.restoring ? 1 : 0);
    if (t.input_lag >= 0) Gauge("brook_task_lag_records", l, D(t.input_lag));
    if (in.rates) {
      auto r = in.rates->tasks.find(t.id);
      if (r != in.rates->tasks.end()) {
        Gauge("brook_task_consumed_records_per_second", l, r->second.consumed_per_second);
        Gauge("brook_task_processed_records_per_second", l, r->second.processed_per_second);
        Gauge("brook_task_busy_ratio", l, r->second.busy_ratio);
      }
    }
    max_stall_ms = std::max(max_stall_ms, t.max_stall_ms);
    for (const StreamsPartitionInfo& p : t.partitions) {
      const Labels pl = {
          {"task", id}, {"topic", p.topic}, {"partition", std::to_string(p.partition)}};
      Counter("brook_partition_consumed_records_total", pl, D(p.consumed));
      if (p.position >= 0) Gauge("brook_partition_position", pl, D(p.position));
      if (p.end_offset >= 0) Gauge("brook_partition_end_offset", pl, D(p.end_offset));
      if (p.lag >= 0) Gauge("brook_partition_lag_records", pl, D(p.lag));
      Gauge("brook_partition_buffered_records", pl, D(p.buffered));
      Gauge("brook_partition_stall_seconds", pl, Ms(p.stall_ms));
      Gauge("brook_partition_max_stall_seconds", pl, Ms(p.max_stall_ms));
      max_stall_ms = std::max({max_stall_ms, p.max_stall_ms, p.stall_ms});
    }
  }
  Gauge("brook_max_processing_stall_seconds", {}, Ms(max_stall_ms));

  if (in.group) {
    if (in.group->members >= 0) Gauge("brook_group_members", {}, in.group->members);
    Gauge("brook_group_tasks", {}, in.group->tasks);
    Gauge("brook_group_source_partitions", {}, in.group->source_partitions);
    Gauge("brook_group_source_end_offsets", {}, D(in.group->source_end_offsets));
    Gauge("brook_group_lag_records", {}, D(in.group->backlog_records));
  }
}

InstanceMetrics::InstanceMetrics() : impl_(std::make_unique<Impl>()) {}
InstanceMetrics::~InstanceMetrics() = default;

void InstanceMetrics::ObserveCommit(double seconds) {
  impl_->Observe("brook_commit_latency_seconds", seconds);
}
void InstanceMetrics::ObservePunctuation(double seconds) {
  impl_->Observe("brook_punctuate_latency_seconds", seconds);
}
void InstanceMetrics::ObserveRebalance(double seconds) {
  impl_->Observe("brook_rebalance_duration_seconds", seconds);
}
void InstanceMetrics::ObserveStall(double seconds) {
  impl_->Observe("brook_processing_stall_seconds", seconds);
}

std::string InstanceMetrics::Expose(const ExpositionInput& input) {
  std::lock_guard lock(impl_->expose_mu);
  impl_->Fill(input);
  for (auto& [name, s] : impl_->counters) s.Sweep();
  for (auto& [name, s] : impl_->gauges) s.Sweep();
  std::vector<prometheus::MetricFamily> families = impl_->registry->Collect();
  if (input.decision) {
    // The scaling gauges, grouped by name in order of first appearance.
    std::vector<scaling::Gauge> gauges = scaling::DecisionGauges(*input.decision);
    std::map<std::string, size_t> index;
    for (const scaling::Gauge& g : gauges) {
      auto [it, added] = index.emplace(g.name, families.size());
      if (added) {
        families.push_back(prometheus::MetricFamily{
            .name = g.name, .help = g.help, .type = prometheus::MetricType::Gauge, .metric = {}});
      }
      prometheus::ClientMetric m;
      for (const auto& [k, v] : g.labels) m.label.push_back({k, v});
      m.gauge.value = g.value;
      families[it->second].metric.push_back(std::move(m));
    }
  }
  std::string text = prometheus::TextSerializer().Serialize(families);
  // prometheus-cpp 1.0 writes NaN as "Nan"; the format says "NaN" (Prometheus itself reads
  // either). No timestamps are written, so a value is always the end of its line.
  static constexpr std::string_view kBad = " Nan\n";
  for (size_t pos = text.find(kBad); pos != std::string::npos; pos = text.find(kBad, pos + 1)) {
    text.replace(pos, kBad.size(), " NaN\n");
  }
  return text;
}

int64_t ResidentMemoryBytes() {
  std::ifstream in("/proc/self/statm");
  int64_t size = 0;
  int64_t resident = 0;
  if (!(in >> size >> resident)) return -1;
  const long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? resident * page : -1;
}

}  // namespace brook::metrics
