// TopologyTestDriver (brook/test_driver.h): StreamTasks over in-memory topics.
#include "brook/test_driver.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <set>
#include <utility>

#include "common/log.h"
#include "runtime/instance.h"
#include "runtime/processor_topology.h"
#include "runtime/record_collector.h"
#include "runtime/stream_task.h"
#include "runtime/task_state.h"
#include "state/change_logging_store.h"
#include "state/in_memory_key_value_store.h"
#include "state/rocksdb_key_value_store.h"
#include "state/rocksdb_session_store.h"
#include "state/rocksdb_window_store.h"

namespace brook {
namespace {

constexpr std::string_view kAppIdKey = "application.id";
constexpr std::string_view kStateDirKey = "state.dir";
constexpr std::string_view kHandlerKey = "deserialization.exception.handler";

[[noreturn]] void Throw(const Status& s) {
  throw Error(s.code(), s.message());
}

void ThrowIfError(const Status& s) {
  if (!s.ok()) Throw(s);
}

int64_t SystemMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct TopologyTestDriver::Impl final : runtime::RecordCollector {
  // Feeds a changelogging store's writes into the driver's topics.
  class LogSink final : public state::ChangelogSink {
   public:
    LogSink(Impl& impl, std::string topic) : impl_(impl), topic_(std::move(topic)) {}
    void Log(std::string_view key, std::optional<std::string_view> value,
             int64_t timestamp_ms) override {
      ProducedRecord r{.topic = topic_, .key = std::string(key), .timestamp_ms = timestamp_ms};
      if (value) r.value = std::string(*value);
      const Status s = impl_.Produce(std::move(r));
      if (!s.ok()) Logger().error("TopologyTestDriver: changelog write: {}", s.ToString());
    }

   private:
    Impl& impl_;
    std::string topic_;
  };

  struct Store {
    StoreSpec spec;
    std::unique_ptr<LogSink> sink;  // declared before the stores: they log into it
    std::unique_ptr<state::KeyValueBytesStore> kv;
    std::unique_ptr<state::WindowBytesStore> window;
    std::unique_ptr<state::SessionBytesStore> session;
  };

  // One sub-topology's task and its stores.
  struct Slot final : runtime::TaskStateAccess {
    std::vector<Store> stores;
    std::unique_ptr<runtime::StreamTask> task;

    Store* Find(std::string_view name) {
      for (Store& s : stores) {
        if (s.spec.name == name) return &s;
      }
      return nullptr;
    }
    state::KeyValueBytesStore* KeyValueStore(std::string_view name) override {
      Store* s = Find(name);
      return s != nullptr ? s->kv.get() : nullptr;
    }
    state::WindowBytesStore* WindowStore(std::string_view name) override {
      Store* s = Find(name);
      return s != nullptr ? s->window.get() : nullptr;
    }
    state::SessionBytesStore* SessionStore(std::string_view name) override {
      Store* s = Find(name);
      return s != nullptr ? s->session.get() : nullptr;
    }
  };

  Status Send(const runtime::OutgoingRecord& record) override {
    ProducedRecord r{.topic = std::string(record.topic),
                     .partition = std::max(record.partition, 0),
                     .timestamp_ms = record.timestamp_ms};
    if (record.key) r.key = std::string(*record.key);
    if (record.value) r.value = std::string(*record.value);
    if (record.headers != nullptr) r.headers = *record.headers;
    return Produce(std::move(r));
  }

  // Keeps the record for readers and feeds it to the sub-topology reading its topic.
  Status Produce(ProducedRecord record) {
    const int64_t offset = next_offset[record.topic]++;
    const runtime::SubtopologySpec* sub = topology->ForSourceTopic(record.topic);
    if (sub != nullptr) {
      runtime::ConsumedRecord in{.topic = record.topic,
                                 .partition = 0,
                                 .offset = offset,
                                 .timestamp_ms = record.timestamp_ms,
                                 .key = record.key,
                                 .value = record.value,
                                 .headers = record.headers};
      std::vector<runtime::ConsumedRecord> batch;
      batch.push_back(std::move(in));
      BROOK_RETURN_IF_ERROR(slots[static_cast<size_t>(sub->id)]->task->AddRecords(
          {record.topic, 0}, std::move(batch)));
    }
    std::string topic = record.topic;
    outputs[topic].push_back(std::move(record));
    return Status::Ok();
  }

  // Processes until no task has buffered records.
  void Drain() {
    bool progress = true;
    while (progress) {
      progress = false;
      for (const std::unique_ptr<Slot>& slot : slots) {
        for (;;) {
          Result<bool> r = slot->task->Process();
          if (!r.ok()) Throw(r.status());
          if (!*r) break;
          progress = true;
        }
      }
    }
  }

  Status OpenStores(Slot& slot, const runtime::SubtopologySpec& sub, const TaskId& task) {
    const std::filesystem::path task_dir = state_dir / application_id / task.ToString();
    state::RocksDbStoreOptions rocksdb;
    rocksdb.block_cache_bytes = size_t{1} << 20;
    rocksdb.write_buffer_bytes = size_t{1} << 20;
    for (const StoreSpec& spec : sub.stores) {
      Store store;
      store.spec = spec;
      if (spec.logging) {
        store.sink = std::make_unique<LogSink>(*this, spec.ChangelogTopic(application_id));
      }
      Slot* slot_ptr = &slot;
      state::TimestampSource timestamps = [slot_ptr] {
        return slot_ptr->task ? slot_ptr->task->current_timestamp_ms() : -1;
      };
      switch (spec.kind) {
        case StoreKind::kKeyValue: {
          std::unique_ptr<state::KeyValueBytesStore> kv;
          if (spec.backend == StoreBackend::kInMemory) {
            kv = std::make_unique<state::InMemoryKeyValueStore>(spec.name);
          } else {
            BROOK_ASSIGN_OR_RETURN(kv, state::RocksDbKeyValueStore::Open(
                                           spec.name, task_dir / "rocksdb" / spec.name, rocksdb));
          }
          if (store.sink) {
            kv = std::make_unique<state::ChangeLoggingKeyValueStore>(std::move(kv), *store.sink,
                                                                     timestamps);
          }
          store.kv = std::move(kv);
          break;
        }
        case StoreKind::kWindow: {
          const state::WindowStoreOptions options{.retention_ms = spec.retention_ms,
                                                  .segment_interval_ms = spec.segment_interval_ms,
                                                  .rocksdb = rocksdb};
          BROOK_ASSIGN_OR_RETURN(
              std::unique_ptr<state::WindowBytesStore> window,
              state::RocksDbWindowStore::Open(spec.name, task_dir / spec.name, options));
          if (store.sink) {
            window = std::make_unique<state::ChangeLoggingWindowStore>(std::move(window),
                                                                       *store.sink, timestamps);
          }
          store.window = std::move(window);
          break;
        }
        case StoreKind::kSession: {
          const state::SessionStoreOptions options{.retention_ms = spec.retention_ms,
                                                   .segment_interval_ms = spec.segment_interval_ms,
                                                   .rocksdb = rocksdb};
          BROOK_ASSIGN_OR_RETURN(
              std::unique_ptr<state::SessionBytesStore> session,
              state::RocksDbSessionStore::Open(spec.name, task_dir / spec.name, options));
          if (store.sink) {
            session = std::make_unique<state::ChangeLoggingSessionStore>(std::move(session),
                                                                         *store.sink, timestamps);
          }
          store.session = std::move(session);
          break;
        }
      }
      slot.stores.push_back(std::move(store));
    }
    return Status::Ok();
  }

  // Stops the tasks and closes the stores; errors are logged (destructor path).
  void Shutdown() {
    for (const std::unique_ptr<Slot>& slot : slots) {
      if (slot->task) {
        Status s = slot->task->Suspend();
        if (s.ok()) s = slot->task->Close();
        if (!s.ok()) Logger().warn("TopologyTestDriver: {}", s.ToString());
        slot->task.reset();
      }
      for (Store& store : slot->stores) {
        Status s;
        if (store.kv) s = store.kv->Close();
        if (store.window) s = store.window->Close();
        if (store.session) s = store.session->Close();
        if (!s.ok()) Logger().warn("TopologyTestDriver: closing store: {}", s.ToString());
      }
      slot->stores.clear();
    }
    slots.clear();
    std::error_code ec;
    std::filesystem::remove_all(owns_state_dir ? state_dir : state_dir / application_id, ec);
  }

  template <typename T>
  T& FindStore(std::string_view name, std::string_view kind, T* (Slot::*get)(std::string_view)) {
    std::string known;
    for (const std::unique_ptr<Slot>& slot : slots) {
      if (T* s = ((*slot).*get)(name)) return *s;
      for (const Store& st : slot->stores) known += (known.empty() ? "" : ", ") + st.spec.name;
    }
    Throw(Status::NotFound("TopologyTestDriver: no " + std::string(kind) + " store named '" +
                           std::string(name) + "' (stores: [" + known + "])"));
  }

  std::string application_id = "brook-test-driver";
  std::filesystem::path state_dir;
  bool owns_state_dir = false;
  bool continue_on_deserialization_error = false;
  uint64_t skipped = 0;
  int64_t wall_clock_ms = 0;
  std::shared_ptr<const runtime::ProcessorTopology> topology;
  std::vector<std::unique_ptr<Slot>> slots;  // by sub-topology id
  std::map<std::string, std::deque<ProducedRecord>> outputs;
  std::map<std::string, int64_t> next_offset;
};

TopologyTestDriver::TopologyTestDriver(const Topology& topology,
                                       const std::map<std::string, std::string>& config,
                                       std::optional<int64_t> initial_wall_clock_ms)
    : impl_(std::make_unique<Impl>()) {
  Impl& impl = *impl_;
  // The application's own configuration is accepted as is: validated against the
  // instance's schema (an unknown key or a bad value throws, naming it); the driver reads
  // application.id, state.dir and deserialization.exception.handler and ignores the rest
  // (it has no Kafka clients, threads or group).
  {
    ConfigSchema schema;
    runtime::DefineInstanceKeys(schema);
    Result<Config> loaded = Config::Load(schema, runtime::SourcesFromProperties(config));
    if (!loaded.ok()) Throw(loaded.status().WithContext("TopologyTestDriver"));
    const Config& c = *loaded;
    if (config.count(std::string(kAppIdKey)) != 0) {
      impl.application_id = c.GetString(kAppIdKey);
      if (impl.application_id.empty()) {
        Throw(Status::InvalidArgument("TopologyTestDriver: empty application.id"));
      }
    }
    if (config.count(std::string(kStateDirKey)) != 0) impl.state_dir = c.GetString(kStateDirKey);
    const std::string& handler = c.GetString(kHandlerKey);
    if (handler == "dead-letter") {
      Throw(Status::InvalidArgument(
          fmt::format("TopologyTestDriver: {} must be fail or log-and-continue, got '{}'",
                      kHandlerKey, handler)));
    }
    impl.continue_on_deserialization_error = handler == "log-and-continue";
  }
  impl.wall_clock_ms = initial_wall_clock_ms.value_or(SystemMs());
  if (impl.state_dir.empty()) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "brook-test-driver-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      Throw(Status::IoError("TopologyTestDriver: cannot create a temporary state directory"));
    }
    impl.state_dir = tmpl;
    impl.owns_state_dir = true;
  }

  try {
    Result<runtime::ProcessorTopology> built =
        runtime::ProcessorTopology::Build(topology, impl.application_id);
    if (!built.ok()) Throw(built.status());
    impl.topology = std::make_shared<const runtime::ProcessorTopology>(std::move(built).value());

    runtime::StreamTaskOptions options;
    options.application_id = impl.application_id;
    options.clock = [&impl] { return impl.wall_clock_ms; };
    options.partition_count = [](std::string_view) -> Result<int32_t> { return 1; };
    options.deserialization_handler = [&impl](const runtime::ConsumedRecord& record,
                                              const Status& error) {
      if (!impl.continue_on_deserialization_error) return runtime::HandlerDecision::kFail;
      ++impl.skipped;
      Logger().warn("TopologyTestDriver: skipping record {}-{}@{}: {}", record.topic,
                    record.partition, record.offset, error.message());
      return runtime::HandlerDecision::kContinue;
    };
    for (const runtime::SubtopologySpec& sub : impl.topology->subtopologies()) {
      const TaskId id{sub.id, 0};
      impl.slots.push_back(std::make_unique<Impl::Slot>());
      Impl::Slot& slot = *impl.slots.back();
      ThrowIfError(impl.OpenStores(slot, sub, id));
      Result<std::unique_ptr<runtime::StreamTask>> task =
          runtime::StreamTask::Create(id, impl.topology, impl, slot, options);
      if (!task.ok()) Throw(task.status());
      slot.task = std::move(task).value();
    }
    for (const std::unique_ptr<Impl::Slot>& slot : impl.slots) {
      ThrowIfError(slot->task->StartRestoring());
      ThrowIfError(slot->task->CompleteRestoration());
    }
  } catch (...) {
    impl.Shutdown();
    throw;
  }
}

TopologyTestDriver::~TopologyTestDriver() {
  impl_->Shutdown();
}

void TopologyTestDriver::PipeRaw(const std::string& topic, std::optional<std::string> key,
                                 std::optional<std::string> value, int64_t timestamp_ms,
                                 Headers headers) {
  Impl& impl = *impl_;
  const runtime::SubtopologySpec* sub = impl.topology->ForSourceTopic(topic);
  if (sub == nullptr) {
    for (const runtime::InternalTopicInfo& t : impl.topology->internal_topics()) {
      if (t.name == topic && t.reader >= 0) {
        Throw(Status::NotFound("TopologyTestDriver: '" + topic +
                               "' is an internal topic; pipe to '" + t.full_name + "'"));
      }
    }
    std::string sources;
    for (const runtime::SubtopologySpec& s : impl.topology->subtopologies()) {
      for (const std::string& t : s.source_topics) sources += (sources.empty() ? "" : ", ") + t;
    }
    Throw(Status::NotFound("TopologyTestDriver: no source reads topic '" + topic +
                           "' (source topics: [" + sources + "])"));
  }
  std::vector<runtime::ConsumedRecord> batch;
  batch.push_back({.topic = topic,
                   .partition = 0,
                   .offset = impl.next_offset[topic]++,
                   .timestamp_ms = timestamp_ms,
                   .key = std::move(key),
                   .value = std::move(value),
                   .headers = std::move(headers)});
  ThrowIfError(
      impl.slots[static_cast<size_t>(sub->id)]->task->AddRecords({topic, 0}, std::move(batch)));
  impl.Drain();
}

std::optional<ProducedRecord> TopologyTestDriver::ReadRaw(const std::string& topic) {
  auto it = impl_->outputs.find(topic);
  if (it == impl_->outputs.end() || it->second.empty()) return std::nullopt;
  ProducedRecord r = std::move(it->second.front());
  it->second.pop_front();
  return r;
}

size_t TopologyTestDriver::UnreadCount(const std::string& topic) const {
  auto it = impl_->outputs.find(topic);
  return it == impl_->outputs.end() ? 0 : it->second.size();
}

void TopologyTestDriver::AdvanceWallClockTime(std::chrono::milliseconds by) {
  Impl& impl = *impl_;
  impl.wall_clock_ms += by.count();
  for (const std::unique_ptr<Impl::Slot>& slot : impl.slots) {
    Result<bool> r = slot->task->MaybePunctuateWallClock(impl.wall_clock_ms);
    if (!r.ok()) Throw(r.status());
  }
  impl.Drain();
}

int64_t TopologyTestDriver::wall_clock_ms() const {
  return impl_->wall_clock_ms;
}

state::KeyValueBytesStore& TopologyTestDriver::GetKeyValueBytesStore(std::string_view name) {
  return impl_->FindStore(name, "key-value", &Impl::Slot::KeyValueStore);
}

state::WindowBytesStore& TopologyTestDriver::GetWindowBytesStore(std::string_view name) {
  return impl_->FindStore(name, "window", &Impl::Slot::WindowStore);
}

state::SessionBytesStore& TopologyTestDriver::GetSessionBytesStore(std::string_view name) {
  return impl_->FindStore(name, "session", &Impl::Slot::SessionStore);
}

uint64_t TopologyTestDriver::skipped_records() const {
  return impl_->skipped;
}

uint64_t TopologyTestDriver::DroppedRecords() const {
  uint64_t total = 0;
  for (const std::unique_ptr<Impl::Slot>& slot : impl_->slots) {
    if (slot->task) total += slot->task->dropped_records();
  }
  return total;
}

std::map<std::string, uint64_t> TopologyTestDriver::DroppedRecordsByReason() const {
  std::map<std::string, uint64_t> out;
  for (const std::unique_ptr<Impl::Slot>& slot : impl_->slots) {
    if (!slot->task) continue;
    for (const auto& [reason, count] : slot->task->dropped_by_reason()) out[reason] += count;
  }
  return out;
}

std::vector<std::string> TopologyTestDriver::ProducedTopicNames() const {
  std::vector<std::string> out;
  for (const auto& entry : impl_->outputs) out.push_back(entry.first);
  return out;
}

}  // namespace brook
