#include "brook/streams.h"

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

std::string StatusToJson(const StreamsStatus& s) {
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
      << ",\"dropped\":" << t.dropped << '}';
  }
  o << "]}";
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
  const runtime::InstanceStatus in = impl_->status();
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
  for (const runtime::TaskStatus& t : in.tasks) {
    s.tasks.push_back(StreamsTaskInfo{.id = t.id,
                                      .role = std::string(runtime::TaskRoleName(t.role)),
                                      .restoring = t.restoring,
                                      .processed = t.processed,
                                      .dropped = t.dropped,
                                      .restored = t.restored,
                                      .lag = t.lag,
                                      .max_stall_ms = t.max_stall_ms,
                                      .last_progress_ms = t.last_progress_ms});
  }
  return s;
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
