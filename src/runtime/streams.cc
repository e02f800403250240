#include "brook/streams.h"

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <sstream>

#include "runtime/instance.h"

extern char** environ;

namespace brook {
namespace {

StreamsState ToPublic(runtime::InstanceState s) {
  switch (s) {
    case runtime::InstanceState::kCreated:
      return StreamsState::kCreated;
    case runtime::InstanceState::kRebalancing:
      return StreamsState::kRebalancing;
    case runtime::InstanceState::kRunning:
      return StreamsState::kRunning;
    case runtime::InstanceState::kPendingShutdown:
      return StreamsState::kPendingShutdown;
    case runtime::InstanceState::kNotRunning:
      return StreamsState::kNotRunning;
    case runtime::InstanceState::kError:
      return StreamsState::kError;
  }
  return StreamsState::kError;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

namespace {

// A number, or null for an unknown (negative) one.
std::string OrNull(int64_t v) {
  return v < 0 ? "null" : std::to_string(v);
}
std::string OrNull(double v) {
  if (!(v >= 0) || !std::isfinite(v)) return "null";
  std::ostringstream o;
  o << v;
  return o.str();
}
std::string Number(double v) {
  return OrNull(v) == "null" ? "0" : OrNull(v);
}

std::string TaskList(const std::vector<TaskId>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += JsonString(ids[i].ToString());
  }
  return out + "]";
}

}  // namespace

std::string StatusToJson(const StreamsStatus& s) {
  // The leading fields keep their order (tests and tools match on it); newer ones follow.
  std::ostringstream o;
  o << "{\"state\":" << JsonString(StreamsStateName(s.state))
    << ",\"error\":" << JsonString(s.error) << ",\"member_id\":" << JsonString(s.member_id)
    << ",\"generation\":" << s.generation << ",\"rebalances\":" << s.rebalances
    << ",\"processed\":" << s.processed << ",\"restored\":" << s.restored
    << ",\"skipped\":" << s.skipped << ",\"dropped\":" << s.dropped
    << ",\"dead_lettered\":" << s.dead_lettered << ",\"commits\":" << s.commits << ",\"tasks\":[";
  for (size_t i = 0; i < s.tasks.size(); ++i) {
    const StreamsTaskInfo& t = s.tasks[i];
    if (i > 0) o << ',';
    o << "{\"id\":" << JsonString(t.id.ToString()) << ",\"role\":" << JsonString(t.role)
      << ",\"restoring\":" << (t.restoring ? "true" : "false") << ",\"processed\":" << t.processed
      << ",\"restored\":" << t.restored << ",\"lag\":" << t.lag
      << ",\"max_stall_ms\":" << t.max_stall_ms << ",\"last_progress_ms\":" << t.last_progress_ms
      << ",\"dropped\":" << t.dropped << ",\"consumed\":" << t.consumed
      << ",\"skipped\":" << t.skipped << ",\"input_lag\":" << OrNull(t.input_lag)
      << ",\"busy_seconds\":" << Number(t.busy_seconds) << ",\"punctuations\":" << t.punctuations
      << ",\"restore\":{\"total\":" << t.restore_total << ",\"done\":" << t.restore_done
      << ",\"remaining\":" << t.lag << ",\"eta_seconds\":" << OrNull(t.restore_eta_seconds)
      << "},\"state_bytes\":" << OrNull(t.state_bytes) << ",\"partitions\":[";
    for (size_t j = 0; j < t.partitions.size(); ++j) {
      const StreamsPartitionInfo& p = t.partitions[j];
      if (j > 0) o << ',';
      o << "{\"topic\":" << JsonString(p.topic) << ",\"partition\":" << p.partition
        << ",\"consumed\":" << p.consumed << ",\"position\":" << OrNull(p.position)
        << ",\"end_offset\":" << OrNull(p.end_offset) << ",\"lag\":" << OrNull(p.lag)
        << ",\"buffered\":" << p.buffered << ",\"stall_ms\":" << p.stall_ms
        << ",\"max_stall_ms\":" << p.max_stall_ms << '}';
    }
    o << "]}";
  }
  o << "],\"application_id\":" << JsonString(s.application_id)
    << ",\"instance_id\":" << JsonString(s.instance_id)
    << ",\"process_start_ms\":" << s.process_start_ms << ",\"now_ms\":" << s.now_ms
    << ",\"assigned\":" << (s.assigned ? "true" : "false") << ",\"consumed\":" << s.consumed
    << ",\"busy_seconds\":" << Number(s.busy_seconds) << ",\"threads\":[";
  for (size_t i = 0; i < s.threads.size(); ++i) {
    const StreamsThreadInfo& t = s.threads[i];
    if (i > 0) o << ',';
    o << "{\"name\":" << JsonString(t.name) << ",\"alive\":" << (t.alive ? "true" : "false")
      << ",\"last_loop_ms\":" << t.last_loop_ms << ",\"busy_seconds\":" << Number(t.busy_seconds)
      << ",\"tasks\":" << t.tasks << '}';
  }
  o << "],\"recent_rebalances\":[";
  for (size_t i = 0; i < s.recent_rebalances.size(); ++i) {
    const StreamsRebalanceInfo& r = s.recent_rebalances[i];
    if (i > 0) o << ',';
    o << "{\"generation\":" << r.generation << ",\"started_ms\":" << r.started_ms
      << ",\"finished_ms\":" << OrNull(r.finished_ms)
      << ",\"duration_ms\":" << OrNull(r.duration_ms) << ",\"added\":" << TaskList(r.added)
      << ",\"removed\":" << TaskList(r.removed) << ",\"active\":" << r.active << '}';
  }
  o << "],\"scaling\":{\"desired_replicas\":" << OrNull(int64_t{s.scaling.desired_replicas})
    << ",\"current_replicas\":" << OrNull(int64_t{s.scaling.current_replicas})
    << ",\"basis\":" << JsonString(s.scaling.basis)
    << ",\"reason\":" << JsonString(s.scaling.reason) << "}}";
  return o.str();
}

void Streams::DefineKeys(ConfigSchema& schema) {
  runtime::DefineInstanceKeys(schema);
}

Streams::Streams(const Topology& topology, const std::map<std::string, std::string>& properties,
                 bool use_environment) {
  ConfigSchema schema;
  DefineKeys(schema);
  ConfigSources sources = runtime::SourcesFromProperties(properties);
  if (use_environment) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string_view kv(*e);
      const size_t eq = kv.find('=');
      if (eq == std::string_view::npos || !kv.starts_with("BROOK_")) continue;
      sources.env.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
  }
  Config config = Config::Load(schema, sources).ValueOrThrow();
  impl_ = runtime::Instance::Create(topology, config).ValueOrThrow();
}

Streams::Streams(const Topology& topology, const Config& config)
    : impl_(runtime::Instance::Create(topology, config).ValueOrThrow()) {}

Streams::~Streams() = default;

void Streams::Start() {
  impl_->Start().ThrowIfError();
}

bool Streams::Close(std::chrono::milliseconds timeout, bool leave) {
  return impl_->Close(timeout, leave).ok();
}

void Streams::SetDraining(bool draining) {
  impl_->SetDraining(draining);
}

StreamsState Streams::state() const {
  return ToPublic(impl_->state());
}

StreamsStatus Streams::status() const {
  return runtime::ToStreamsStatus(impl_->status());
}

std::string Streams::error() const {
  return impl_->status().error;
}

std::vector<StreamsHostInfo> Streams::HostMap() const {
  std::vector<StreamsHostInfo> out;
  for (runtime::InteractiveQueries::HostInfo& h : impl_->queries().Hosts()) {
    out.push_back(
        StreamsHostInfo{.endpoint = std::move(h.endpoint),
                        .active_tasks = std::vector<TaskId>(h.active.begin(), h.active.end()),
                        .standby_tasks = std::vector<TaskId>(h.standby.begin(), h.standby.end()),
                        .stores = std::vector<std::string>(h.stores.begin(), h.stores.end()),
                        .local = h.local});
  }
  return out;
}

StreamsKeyLocation Streams::LocateKey(std::string_view store, std::string_view key_bytes) const {
  runtime::KeyLocation loc = impl_->queries().Locate(store, key_bytes).ValueOrThrow();
  return StreamsKeyLocation{.task = loc.task,
                            .active_endpoint = std::move(loc.active),
                            .standby_endpoints = std::move(loc.standby),
                            .local = loc.local};
}

std::optional<std::string> Streams::QueryKeyValue(std::string_view store,
                                                  std::string_view key_bytes) const {
  return impl_->queries().GetLocal(store, key_bytes).ValueOrThrow();
}

namespace runtime {

StreamsStatus ToStreamsStatus(const InstanceStatus& in) {
  StreamsStatus s;
  s.state = ToPublic(in.state);
  s.error = in.error;
  s.member_id = in.member_id;
  s.generation = in.generation;
  s.rebalances = in.rebalances;
  s.processed = in.processed;
  s.restored = in.restored;
  s.skipped = in.skipped;
  s.dropped = in.dropped;
  s.dead_lettered = in.dead_lettered;
  s.commits = in.commits;
  s.application_id = in.application_id;
  s.instance_id = in.instance_id;
  s.process_start_ms = in.process_start_ms;
  s.now_ms = in.now_ms;
  s.assigned = in.assigned;
  s.consumed = in.consumed;
  s.busy_seconds = in.busy_seconds;
  s.threads = in.threads;
  s.recent_rebalances = in.recent_rebalances;
  s.scaling = in.scaling;
  for (const TaskStatus& t : in.tasks) {
    s.tasks.push_back(StreamsTaskInfo{.id = t.id,
                                      .role = std::string(TaskRoleName(t.role)),
                                      .restoring = t.restoring,
                                      .processed = t.processed,
                                      .dropped = t.dropped,
                                      .restored = t.restored,
                                      .lag = t.lag,
                                      .max_stall_ms = t.max_stall_ms,
                                      .last_progress_ms = t.last_progress_ms,
                                      .consumed = t.consumed,
                                      .skipped = t.skipped,
                                      .input_lag = t.input_lag,
                                      .busy_seconds = t.busy_seconds,
                                      .punctuations = t.punctuations,
                                      .restore_total = t.restore_total,
                                      .restore_done = t.restore_done,
                                      .restore_eta_seconds = t.restore_eta_seconds,
                                      .restore_started_ms = t.restore_started_ms,
                                      .restore_finished_ms = t.restore_finished_ms,
                                      .state_bytes = t.state_bytes,
                                      .partitions = t.partitions});
  }
  return s;
}

}  // namespace runtime

void BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace brook
