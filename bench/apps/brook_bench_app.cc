// brook's benchmark application: the four topologies of issue 7 (passthrough, count, window,
// join) in brook's DSL, with the command line and the stats JSON lines of its Kafka Streams
// peer (bench/kstreams-peer), so the harness drives both runtimes identically
// (bench/README.md describes the flags and every stats line).
//
//   brook_bench_app --topology count --bootstrap 127.0.0.1:9092 --application-id X
//       --input T --output T2 [--table T3] --threads N --commit-interval-ms M
//       --cache-bytes B --state-dir D --instance-id ID [--expected-records N]
//       [--stats-file F] [--exit-when-idle-ms M] [--stats-interval-ms M] [--set key=value]
//       [--leave-group-on-close] [--drain-on-sigterm [--drain-timeout-ms M]]
//
// Contract: runs until SIGTERM/SIGINT, or (with --exit-when-idle-ms) until it processed
// --expected-records records (when given) and then saw no record for that long (without any
// record: counted from the first RUNNING state);
// then closes the instance (bounded by --close-timeout-ms), writes the "end" line and exits
// 0 (1: bad arguments or start error, 3: the instance failed, 4: the close could not
// commit). --leave-group-on-close leaves the group on close even as a static member.
// --drain-on-sigterm: the first SIGTERM/SIGINT marks the instance draining
// (Streams::SetDraining: its tasks move to the other instances, it gets no new ones) and the
// close (which then leaves the group) waits until it holds no active task or
// --drain-timeout-ms passed ("drain" line); a second signal closes at once. --cache-bytes is
// accepted for symmetry and reported with cache_applied=false: brook has no record cache in front
// of its stores.
//
// Thread-safety: the Meter is updated by the stream threads (a partition is processed by one
// thread at a time; its counters are relaxed atomics) and read by the main thread, which
// alone polls the instance and writes the stats lines.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "brook/dsl.h"
#include "brook/status.h"
#include "brook/streams.h"

namespace {

using Json = nlohmann::ordered_json;

struct Options {
  std::string topology;
  std::string bootstrap = "127.0.0.1:9092";
  std::string application_id;
  std::string input;
  std::string output;
  std::string table;
  int threads = 1;
  int64_t commit_interval_ms = 30000;
  int64_t cache_bytes = 0;
  std::string state_dir = "/tmp/brook-bench-app";
  std::string instance_id;
  int64_t expected_records = 0;
  std::string stats_file;
  int64_t exit_when_idle_ms = 0;
  int64_t stats_interval_ms = 1000;
  int64_t close_timeout_ms = 30000;
  bool leave_group_on_close = false;
  bool drain_on_sigterm = false;
  int64_t drain_timeout_ms = 120000;
  std::vector<std::string> sets;  // extra brook keys, key=value
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// When the kernel started this process (wall clock, ms): /proc/self/stat's starttime (clock
// ticks since boot) plus the boot time of /proc/stat. -1 when unreadable.
int64_t ProcessStartMs() {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  // Fields after "(comm)" start at 3 (state); starttime is field 22.
  for (int i = 3; i <= 22 && (fields >> field); ++i) {
  }
  const int64_t start_ticks = std::stoll(field);
  // starttime counts clock ticks since boot (CLOCK_BOOTTIME). The boot time in wall-clock
  // ms is now(REALTIME) - now(BOOTTIME): /proc/stat's btime has whole seconds only, which
  // put up to a second (here ~280 ms) of error into every start-up figure.
  timespec real{};
  timespec boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  const int64_t boot_ms = ((static_cast<int64_t>(real.tv_sec) - boot.tv_sec) * 1000) +
                          ((static_cast<int64_t>(real.tv_nsec) - boot.tv_nsec) / 1000000);
  const int64_t hz = sysconf(_SC_CLK_TCK);
  if (hz <= 0) return -1;
  return boot_ms + (start_ticks * 1000 / hz);
}

// VmHWM of /proc/self/status in KiB; -1 when unreadable.
int64_t PeakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stoll(line.substr(6));
  }
  return -1;
}

int64_t CpuMs() {
  timespec ts{};
  if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) return -1;
  return (static_cast<int64_t>(ts.tv_sec) * 1000) + (ts.tv_nsec / 1'000'000);
}

// JSON lines to stdout and, when given, appended to the stats file.
class Stats {
 public:
  explicit Stats(const std::string& path) {
    if (!path.empty()) file_.open(path, std::ios::app);
  }
  [[nodiscard]] bool ok() const { return !file_.fail(); }

  static Json Event(std::string_view name) {
    Json e;
    e["event"] = name;
    e["ts_ms"] = NowMs();
    return e;
  }
  void Emit(const Json& event) {
    const std::string line = event.dump();
    std::cout << line << std::endl;
    if (file_.is_open()) file_ << line << std::endl;
  }

 private:
  std::ofstream file_;
};

// Records processed, first and last record, and per input partition: records, the wall clock
// of the first and of the last one, the longest gap between two of them, and the longest gap
// that ended since the previous PartitionsJson(/*reset_recent=*/true) (a progress line).
class Meter {
 public:
  static constexpr int kMaxPartitions = 4096;

  explicit Meter(int64_t expected) : expected_(expected) {}

  void Record(int32_t partition) {
    const int64_t now = NowMs();
    const int64_t n = processed_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n == 1) {
      int64_t none = -1;
      first_ms_.compare_exchange_strong(none, now, std::memory_order_relaxed);
    }
    if (n == expected_) expected_reached_ms_.store(now, std::memory_order_relaxed);
    last_ms_.store(now, std::memory_order_relaxed);
    if (partition < 0 || partition >= kMaxPartitions) return;
    Partition& p = partitions_[static_cast<size_t>(partition)];
    const int64_t prev = p.last_ms.load(std::memory_order_relaxed);
    if (prev == 0) p.first_ms.store(now, std::memory_order_relaxed);
    if (prev > 0 && now - prev > p.max_gap_ms.load(std::memory_order_relaxed)) {
      p.max_gap_ms.store(now - prev, std::memory_order_relaxed);
    }
    // The reader resets it (exchange), so raise it with a CAS loop.
    int64_t recent = p.recent_max_gap_ms.load(std::memory_order_relaxed);
    while (
        prev > 0 && now - prev > recent &&
        !p.recent_max_gap_ms.compare_exchange_weak(recent, now - prev, std::memory_order_relaxed)) {
    }
    p.last_ms.store(now, std::memory_order_relaxed);
    p.count.fetch_add(1, std::memory_order_relaxed);
  }

  [[nodiscard]] int64_t processed() const { return processed_.load(std::memory_order_relaxed); }
  [[nodiscard]] int64_t first_ms() const { return first_ms_.load(std::memory_order_relaxed); }
  [[nodiscard]] int64_t last_ms() const { return last_ms_.load(std::memory_order_relaxed); }
  [[nodiscard]] int64_t expected_reached_ms() const {
    return expected_reached_ms_.load(std::memory_order_relaxed);
  }

  // Every partition with a record; reset_recent: restart recent_max_gap_ms (progress lines).
  [[nodiscard]] Json PartitionsJson(bool reset_recent) {
    Json out = Json::array();
    for (size_t i = 0; i < partitions_.size(); ++i) {
      Partition& p = partitions_[i];
      const int64_t count = p.count.load(std::memory_order_relaxed);
      if (count == 0) continue;
      Json m;
      m["partition"] = i;
      m["processed"] = count;
      m["first_ms"] = p.first_ms.load(std::memory_order_relaxed);
      m["last_progress_ms"] = p.last_ms.load(std::memory_order_relaxed);
      m["max_gap_ms"] = p.max_gap_ms.load(std::memory_order_relaxed);
      m["recent_max_gap_ms"] = reset_recent
                                   ? p.recent_max_gap_ms.exchange(0, std::memory_order_relaxed)
                                   : p.recent_max_gap_ms.load(std::memory_order_relaxed);
      out.push_back(std::move(m));
    }
    return out;
  }

 private:
  struct Partition {
    std::atomic<int64_t> count{0};
    std::atomic<int64_t> first_ms{0};
    std::atomic<int64_t> last_ms{0};
    std::atomic<int64_t> max_gap_ms{0};
    std::atomic<int64_t> recent_max_gap_ms{0};
  };
  const int64_t expected_;
  std::atomic<int64_t> processed_{0};
  std::atomic<int64_t> first_ms_{-1};
  std::atomic<int64_t> last_ms_{-1};
  std::atomic<int64_t> expected_reached_ms_{-1};
  std::array<Partition, kMaxPartitions> partitions_{};
};

// Counts each input record (and its partition) as it enters the topology: a terminal branch
// of the source, as in the peer, so nothing downstream sees a changed key.
class MeterProcessor : public brook::ContextualProcessor<std::string, std::string> {
 public:
  explicit MeterProcessor(Meter* meter) : meter_(meter) {}
  void Process(const brook::Record<std::string, std::string>& /*record*/) override {
    const brook::RecordMetadata* metadata = context().record_metadata();
    meter_->Record(metadata != nullptr ? metadata->partition : -1);
  }

 private:
  Meter* meter_;
};

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// The store of each stateful topology (its changelog is "<application.id>-<store>-changelog").
std::string StoreOf(const std::string& topology) {
  if (topology == "count") return "counts";
  if (topology == "window") return "window-counts";
  if (topology == "join") return "table";
  return "";
}

brook::Topology Build(const Options& o, Meter* meter) {
  using brook::state::Int64Serde;
  using brook::state::StringSerde;
  brook::StreamsBuilder builder;
  auto in = builder.Stream<std::string, std::string>(o.input);
  in.Process([meter] { return std::make_unique<MeterProcessor>(meter); });
  if (o.topology == "passthrough") {
    // Values are never null here (V is std::string): the filter keeps the peer's shape.
    in.MapValues([](const std::string& v) { return Upper(v); })
        .Filter([](const std::string& /*k*/, const std::string& v) { return !v.empty(); })
        .To(o.output);
  } else if (o.topology == "count") {
    in.GroupByKey()
        .Count(brook::Materialized<StringSerde, Int64Serde>{.store_name = StoreOf(o.topology)})
        .ToStream()
        .To(o.output, brook::Produced<StringSerde, Int64Serde>{});
  } else if (o.topology == "window") {
    in.GroupByKey()
        .WindowedBy(brook::TimeWindows::OfSizeWithNoGrace(std::chrono::minutes(1)))
        .Count(brook::Materialized<StringSerde, Int64Serde>{.store_name = StoreOf(o.topology)})
        .ToStream()
        .Map([](const brook::Windowed<std::string>& wk, const std::optional<int64_t>& n) {
          return std::pair<std::string, std::optional<int64_t>>(
              wk.key + "@" + std::to_string(wk.window.start_ms), n);
        })
        .To(o.output, brook::Produced<StringSerde, Int64Serde>{});
  } else {
    auto table = builder.Table<std::string, std::string>(
        o.table, brook::Consumed<StringSerde, StringSerde>{},
        brook::Materialized<StringSerde, StringSerde>{.store_name = StoreOf(o.topology)});
    in.Join(table, [](const std::string& v, const std::string& t) {
        return v + "|" + t;
      }).To(o.output);
  }
  return builder.Build();
}

// Follows the instance by polling: state changes, completed rebalances (brook's own record
// of them) and restores (the runtime's per-task restore start/finish stamps).
class InstanceWatcher {
 public:
  InstanceWatcher(Stats* stats, std::string application_id, std::string store)
      : stats_(stats), application_id_(std::move(application_id)), store_(std::move(store)) {}

  void Poll(const brook::Streams& streams) {
    const brook::StreamsStatus status = streams.status();
    if (status.state != state_) {
      Json e = Stats::Event("state");
      e["from"] = brook::StreamsStateName(state_);
      e["to"] = brook::StreamsStateName(status.state);
      stats_->Emit(e);
      state_ = status.state;
    }
    for (const brook::StreamsRebalanceInfo& r : status.recent_rebalances) {
      if (r.finished_ms < 0 || r.started_ms <= last_rebalance_started_ms_) continue;
      last_rebalance_started_ms_ = r.started_ms;
      ++rebalances_;
      Json e = Stats::Event("rebalance");
      e["started_ms"] = r.started_ms;
      e["finished_ms"] = r.finished_ms;
      e["duration_ms"] = r.duration_ms;
      e["generation"] = r.generation;
      e["added"] = r.added.size();
      e["removed"] = r.removed.size();
      stats_->Emit(e);
    }
    restored_ = std::max(restored_, status.restored);
    std::map<std::string, bool> seen;
    active_tasks_ = 0;
    for (const brook::StreamsTaskInfo& t : status.tasks) {
      if (t.role != "active") continue;
      ++active_tasks_;
      const std::string id = t.id.ToString();
      // A task that needed a restore: the runtime stamps when it was created restoring and
      // when it started processing, so even a restore shorter than a poll is reported with
      // exact times (one report per task incarnation: its restore_started_ms).
      if (t.restore_started_ms < 0) continue;
      const std::string key = id + "@" + std::to_string(t.restore_started_ms);
      if (reported_.contains(key)) continue;
      if (!restoring_.contains(key)) {
        restoring_[key] = Restore{.started_ms = t.restore_started_ms, .partition = t.id.partition};
        Json e = Stats::Event("restore_start");
        e["store"] = store_;
        e["topic"] = Changelog();
        e["partition"] = t.id.partition;
        e["start_offset"] = nullptr;
        e["end_offset"] = nullptr;
        e["task"] = id;
        stats_->Emit(e);
      }
      if (t.restore_finished_ms >= 0) {
        reported_.insert(key);
        EmitRestore(key, id, t.restored, t.restore_finished_ms);
      }
      seen[key] = true;
    }
    // A task that went away while restoring (revoked).
    for (auto it = restoring_.begin(); it != restoring_.end();) {
      const std::string key = (it++)->first;
      if (!seen.contains(key)) {
        reported_.insert(key);
        EmitRestore(key, key.substr(0, key.find('@')), 0, status.now_ms);
      }
    }
  }

  [[nodiscard]] brook::StreamsState state() const { return state_; }
  [[nodiscard]] int rebalances() const { return rebalances_; }
  // Active tasks at the last Poll.
  [[nodiscard]] int active_tasks() const { return active_tasks_; }
  // Records restored: the instance's own total, or the sum of the restore events when larger
  // (the instance's total covers its current tasks only).
  [[nodiscard]] uint64_t restored() const { return std::max(restored_, restored_events_); }

 private:
  struct Restore {
    int64_t started_ms = 0;
    int32_t partition = 0;
  };
  [[nodiscard]] std::string Changelog() const {
    return application_id_ + "-" + store_ + "-changelog";
  }
  void EmitRestore(const std::string& key, const std::string& id, uint64_t records,
                   int64_t finished_ms) {
    const Restore r = restoring_[key];
    restoring_.erase(key);
    Json e = Stats::Event("restore");
    e["store"] = store_;
    e["topic"] = Changelog();
    e["partition"] = r.partition;
    e["records"] = records;
    restored_events_ += records;
    e["started_ms"] = r.started_ms;
    e["duration_ms"] = finished_ms - r.started_ms;
    e["task"] = id;
    stats_->Emit(e);
  }

  Stats* stats_;
  std::string application_id_;
  std::string store_;
  brook::StreamsState state_ = brook::StreamsState::kCreated;
  int64_t last_rebalance_started_ms_ = -1;
  int rebalances_ = 0;
  int active_tasks_ = 0;
  uint64_t restored_ = 0;
  uint64_t restored_events_ = 0;
  std::map<std::string, Restore> restoring_;  // by "<task>@<restore_started_ms>"
  std::set<std::string> reported_;
};

// Waits up to `timeout_ms` for SIGTERM or SIGINT (blocked by brook::BlockShutdownSignals);
// true when one arrived.
bool ShutdownSignalled(int64_t timeout_ms) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  const timespec ts{.tv_sec = timeout_ms / 1000, .tv_nsec = (timeout_ms % 1000) * 1'000'000};
  return sigtimedwait(&set, nullptr, &ts) > 0;
}

int Run(const Options& o) {
  const int64_t process_start_ms = ProcessStartMs();
  Stats stats(o.stats_file);
  if (!stats.ok()) {
    std::cerr << "error: cannot open --stats-file " << o.stats_file << "\n";
    return 1;
  }
  Meter meter(o.expected_records);

  std::map<std::string, std::string> props = {
      {"application.id", o.application_id},
      {"bootstrap.servers", o.bootstrap},
      {"num.stream.threads", std::to_string(o.threads)},
      {"commit.interval.ms", std::to_string(o.commit_interval_ms)},
      {"state.dir", o.state_dir},
      {"auto.offset.reset", "earliest"},
      {"scaling.interval.ms", "0"},
  };
  if (!o.instance_id.empty()) props["group.instance.id"] = o.instance_id;
  for (const std::string& kv : o.sets) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      std::cerr << "error: --set " << kv << ": expected key=value\n";
      return 1;
    }
    props[kv.substr(0, eq)] = kv.substr(eq + 1);
  }

  Json start = Stats::Event("start");
  start["runtime"] = "brook";
  start["version"] = BROOK_BENCH_VERSION;
  start["topology"] = o.topology;
  start["application_id"] = o.application_id;
  start["instance_id"] = o.instance_id;
  start["pid"] = getpid();
  start["process_start_ms"] = process_start_ms;
  start["threads"] = o.threads;
  start["commit_interval_ms"] = o.commit_interval_ms;
  start["cache_bytes"] = o.cache_bytes;
  start["cache_applied"] = false;
  start["input"] = o.input;
  start["output"] = o.output;
  start["table"] = o.table;
  start["expected_records"] = o.expected_records;
  start["leave_group_on_close"] = o.leave_group_on_close;
  start["drain_on_sigterm"] = o.drain_on_sigterm;
  stats.Emit(start);

  std::unique_ptr<brook::Streams> streams;
  try {
    streams = std::make_unique<brook::Streams>(Build(o, &meter), props, /*use_environment=*/false);
    streams->Start();
  } catch (const std::exception& e) {
    std::cerr << "error: cannot start brook: " << e.what() << "\n";
    return 1;
  }

  InstanceWatcher watcher(&stats, o.application_id, StoreOf(o.topology));
  std::string reason = "signal";
  bool first_reported = false;
  int64_t running_since_ms = -1;
  int64_t last_stats_ms = 0;
  const int64_t tick_ms = std::min<int64_t>(50, o.stats_interval_ms);
  int64_t drain_started_ms = -1;  // --drain-on-sigterm: when the drain began
  while (true) {
    if (ShutdownSignalled(tick_ms)) {
      if (!o.drain_on_sigterm || drain_started_ms >= 0) break;  // a second signal: close now
      drain_started_ms = NowMs();
      streams->SetDraining(true);
      Json e = Stats::Event("drain_start");
      e["active_tasks"] = watcher.active_tasks();
      stats.Emit(e);
    }
    const int64_t now = NowMs();
    watcher.Poll(*streams);
    if (drain_started_ms >= 0) {
      const bool drained = watcher.active_tasks() == 0;
      if (drained || now - drain_started_ms >= o.drain_timeout_ms) {
        Json e = Stats::Event("drain");
        e["started_ms"] = drain_started_ms;
        e["finished_ms"] = now;
        e["duration_ms"] = now - drain_started_ms;
        e["drained"] = drained;
        e["active_tasks"] = watcher.active_tasks();
        stats.Emit(e);
        break;
      }
    }
    if (watcher.state() == brook::StreamsState::kError) {
      std::cerr << "error: " << streams->error() << "\n";
      reason = "error";
      break;
    }
    if (!first_reported && meter.first_ms() >= 0) {
      first_reported = true;
      Json e = Stats::Event("first_record");
      e["first_record_ms"] = meter.first_ms();
      e["since_process_start_ms"] = meter.first_ms() - process_start_ms;
      stats.Emit(e);
    }
    if (now - last_stats_ms >= o.stats_interval_ms) {
      last_stats_ms = now;
      Json e = Stats::Event("progress");
      e["processed"] = meter.processed();
      e["state"] = brook::StreamsStateName(watcher.state());
      e["partitions"] = meter.PartitionsJson(/*reset_recent=*/true);
      stats.Emit(e);
    }
    if (running_since_ms < 0 && watcher.state() == brook::StreamsState::kRunning) {
      running_since_ms = now;
    }
    if (o.exit_when_idle_ms > 0) {
      // Idle since the last record or, before any, since the first RUNNING.
      const int64_t n = meter.processed();
      const int64_t since = meter.last_ms() >= 0 ? meter.last_ms() : running_since_ms;
      const bool enough = o.expected_records <= 0 || n >= o.expected_records;
      if (enough && since >= 0 && now - since >= o.exit_when_idle_ms) {
        reason = "idle";
        break;
      }
    }
  }

  const int64_t close_start_ms = NowMs();
  const bool closed =
      streams->Close(std::chrono::milliseconds(o.close_timeout_ms), o.leave_group_on_close);
  watcher.Poll(*streams);
  const int64_t end_ms = NowMs();
  auto or_null = [](int64_t v) { return v < 0 ? Json(nullptr) : Json(v); };
  Json end = Stats::Event("end");
  end["reason"] = reason;
  end["state"] = brook::StreamsStateName(watcher.state());
  end["processed"] = meter.processed();
  end["first_record_ms"] = or_null(meter.first_ms());
  end["last_record_ms"] = or_null(meter.last_ms());
  end["expected_reached_ms"] = or_null(meter.expected_reached_ms());
  const int64_t first = meter.first_ms();
  const int64_t last = meter.last_ms();
  end["records_per_s"] = first >= 0 && last > first
                             ? Json(static_cast<double>(meter.processed()) * 1000.0 /
                                    static_cast<double>(last - first))
                             : Json(nullptr);
  end["rebalances"] = watcher.rebalances();
  end["restored"] = watcher.restored();
  end["process_start_ms"] = process_start_ms;
  end["wall_ms"] = end_ms - process_start_ms;
  end["close_ms"] = end_ms - close_start_ms;
  end["clean_close"] = closed;
  end["cpu_ms"] = CpuMs();
  end["peak_rss_kb"] = PeakRssKb();
  end["partitions"] = meter.PartitionsJson(/*reset_recent=*/true);
  stats.Emit(end);
  streams.reset();
  if (reason == "error") return 3;
  return closed ? 0 : 4;
}

}  // namespace

int main(int argc, char** argv) {
  brook::BlockShutdownSignals();
  Options o;
  CLI::App cli("brook's benchmark app: the topologies of bench/README.md");
  cli.add_option("--topology", o.topology, "passthrough | count | window | join")
      ->required()
      ->check(CLI::IsMember({"passthrough", "count", "window", "join"}));
  cli.add_option("--bootstrap", o.bootstrap, "bootstrap.servers");
  cli.add_option("--application-id", o.application_id, "application.id")->required();
  cli.add_option("--input", o.input, "input topic")->required();
  cli.add_option("--output", o.output, "output topic")->required();
  cli.add_option("--table", o.table, "table topic (join)");
  cli.add_option("--threads", o.threads, "num.stream.threads")->check(CLI::PositiveNumber);
  cli.add_option("--commit-interval-ms", o.commit_interval_ms, "commit.interval.ms");
  cli.add_option("--cache-bytes", o.cache_bytes, "record cache (not in brook; reported)");
  cli.add_option("--state-dir", o.state_dir, "state.dir");
  cli.add_option("--instance-id", o.instance_id, "group.instance.id (static membership)");
  cli.add_option("--expected-records", o.expected_records, "records of the run (idle exit)");
  cli.add_option("--stats-file", o.stats_file, "append the stats JSON lines here too");
  cli.add_option("--exit-when-idle-ms", o.exit_when_idle_ms, "exit when idle this long");
  cli.add_option("--stats-interval-ms", o.stats_interval_ms, "progress line interval")
      ->check(CLI::PositiveNumber);
  cli.add_option("--close-timeout-ms", o.close_timeout_ms, "bound of the clean close");
  cli.add_option("--set", o.sets, "extra brook configuration key=value (repeatable)");
  cli.add_flag("--leave-group-on-close", o.leave_group_on_close,
               "leave the group on close, even as a static member");
  cli.add_flag("--drain-on-sigterm", o.drain_on_sigterm,
               "on SIGTERM/SIGINT drain first (tasks move away), then close and leave");
  cli.add_option("--drain-timeout-ms", o.drain_timeout_ms, "bound of the drain")
      ->check(CLI::PositiveNumber);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 1;
  }
  if (o.topology == "join" && o.table.empty()) {
    std::cerr << "error: --topology join needs --table\n";
    return 1;
  }
  return Run(o);
}
