#include "runtime/state_manager.h"

#include <fmt/format.h>

#include <set>
#include <system_error>
#include <utility>

#include "common/log.h"
#include "state/in_memory_key_value_store.h"
#include "state/rocksdb_key_value_store.h"
#include "state/rocksdb_session_store.h"
#include "state/rocksdb_window_store.h"

namespace brook::runtime {
namespace {

bool UsableStoreName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string PartitionText(const state::ChangelogPartition& p) {
  return fmt::format("'{}' partition {}", p.topic, p.partition);
}

}  // namespace

struct TaskStateManager::Store {
  StoreSpec spec;
  std::optional<state::ChangelogPartition> changelog;  // set for logged stores
  std::filesystem::path dir;                           // empty for in-memory stores
  std::shared_ptr<state::StoreMetrics> metrics = std::make_shared<state::StoreMetrics>();
  std::unique_ptr<Sink> sink;
  // Exactly one is set while open: the outermost (metered) layer.
  std::unique_ptr<state::KeyValueBytesStore> kv;
  std::unique_ptr<state::WindowBytesStore> window;
  std::unique_ptr<state::SessionBytesStore> session;
  int64_t position = 0;
  uint64_t restored = 0;

  [[nodiscard]] bool persistent() const { return spec.backend == StoreBackend::kRocksDb; }
  // In the checkpoint file: logged and persistent.
  [[nodiscard]] bool checkpointed() const { return changelog.has_value() && persistent(); }
  [[nodiscard]] bool open() const { return kv || window || session; }
};

class TaskStateManager::Sink final : public state::ChangelogSink {
 public:
  Sink(TaskStateManager& owner, const Store& store) : owner_(owner), store_(store) {}
  void Log(std::string_view key, std::optional<std::string_view> value,
           int64_t timestamp_ms) override {
    owner_.LogChange(store_, key, value, timestamp_ms);
  }

 private:
  TaskStateManager& owner_;
  const Store& store_;
};

TaskStateManager::TaskStateManager(TaskId task, std::string application_id,
                                   state::StateDirectory state_dir, TaskStateOptions options)
    : task_(task),
      application_id_(std::move(application_id)),
      state_dir_(std::move(state_dir)),
      task_dir_(state_dir_.TaskDir(task)),
      collector_(options.collector),
      timestamps_(std::move(options.timestamps)),
      rocksdb_(std::move(options.rocksdb)) {}

TaskStateManager::~TaskStateManager() {
  if (closed_) return;
  const Status s = Close(false);
  if (!s.ok())
    Logger().warn("task {}: closing state on destruction: {}", task_.ToString(), s.ToString());
}

Result<std::unique_ptr<TaskStateManager>> TaskStateManager::Open(
    TaskId task, std::vector<StoreSpec> stores, std::string application_id,
    const state::StateDirectory& state_dir, TaskStateOptions options) {
  std::set<std::string, std::less<>> names;
  for (const StoreSpec& spec : stores) {
    if (!UsableStoreName(spec.name)) {
      return Status::InvalidArgument(
          fmt::format("task {}: store name '{}' is not usable as a topic and directory name "
                      "([a-zA-Z0-9._-])",
                      task.ToString(), spec.name));
    }
    if (!names.insert(spec.name).second) {
      return Status::InvalidArgument(
          fmt::format("task {}: store '{}' declared twice", task.ToString(), spec.name));
    }
    if (spec.kind != StoreKind::kKeyValue && spec.backend == StoreBackend::kInMemory) {
      return Status::InvalidArgument(
          fmt::format("task {}: store '{}': window and session stores have no in-memory backend",
                      task.ToString(), spec.name));
    }
  }

  std::unique_ptr<TaskStateManager> m(
      new TaskStateManager(task, std::move(application_id), state_dir, std::move(options)));
  BROOK_ASSIGN_OR_RETURN(m->lock_, state_dir.LockTask(task));

  const std::filesystem::path checkpoint_file = m->task_dir_ / state::kCheckpointFileName;
  state::CheckpointOffsets checkpoint;
  bool wiped = false;
  if (Result<state::CheckpointOffsets> read = state::ReadCheckpoint(checkpoint_file); read.ok()) {
    checkpoint = std::move(read).value();
  } else {
    Logger().warn(
        "task {}: checkpoint {} is unreadable ({}); wiping the task's local state and "
        "restoring every changelog from offset 0",
        task.ToString(), checkpoint_file.string(), read.status().ToString());
    BROOK_RETURN_IF_ERROR(state_dir.WipeTask(m->lock_));
    wiped = true;
  }

  for (StoreSpec& spec : stores) {
    auto store = std::make_unique<Store>();
    store->spec = std::move(spec);
    if (store->spec.logging) {
      store->changelog =
          state::ChangelogPartition{store->spec.ChangelogTopic(m->application_id_), task.partition};
    }
    if (store->persistent()) store->dir = m->task_dir_ / "rocksdb" / store->spec.name;
    if (store->checkpointed()) {
      if (auto it = checkpoint.find(*store->changelog); it != checkpoint.end()) {
        store->position = it->second;
      } else {
        std::error_code ec;
        const bool exists = std::filesystem::exists(store->dir, ec);
        if (exists) {
          Logger().warn(
              "task {}: store '{}' has local state in {} but no checkpoint entry for {}; "
              "wiping it and restoring from offset 0",
              task.ToString(), store->spec.name, store->dir.string(),
              PartitionText(*store->changelog));
          std::filesystem::remove_all(store->dir, ec);
          if (ec) {
            return Status::IoError(fmt::format("task {}: cannot remove {}: {}", task.ToString(),
                                               store->dir.string(), ec.message()));
          }
        }
        if (exists || wiped) m->reset_at_open_.push_back(*store->changelog);
      }
    } else if (store->changelog && wiped) {
      m->reset_at_open_.push_back(*store->changelog);
    }
    m->stores_.push_back(std::move(store));
  }
  for (const auto& store : m->stores_) BROOK_RETURN_IF_ERROR(m->OpenStore(*store));
  return m;
}

Status TaskStateManager::OpenStore(Store& store) {
  const StoreSpec& spec = store.spec;
  const std::string context = fmt::format("task {}: open store '{}'", task_.ToString(), spec.name);
  if (store.changelog && !store.sink) store.sink = std::make_unique<Sink>(*this, store);
  switch (spec.kind) {
    case StoreKind::kKeyValue: {
      std::unique_ptr<state::KeyValueBytesStore> s;
      if (spec.backend == StoreBackend::kInMemory) {
        s = std::make_unique<state::InMemoryKeyValueStore>(spec.name);
      } else {
        auto opened = state::RocksDbKeyValueStore::Open(spec.name, store.dir, rocksdb_);
        if (!opened.ok()) return opened.status().WithContext(context);
        s = std::move(opened).value();
      }
      if (store.sink) {
        s = std::make_unique<state::ChangeLoggingKeyValueStore>(std::move(s), *store.sink,
                                                                timestamps_);
      }
      store.kv = std::make_unique<state::MeteredKeyValueStore>(std::move(s), store.metrics);
      break;
    }
    case StoreKind::kWindow: {
      auto opened =
          state::RocksDbWindowStore::Open(spec.name, store.dir,
                                          {.retention_ms = spec.retention_ms,
                                           .segment_interval_ms = spec.segment_interval_ms,
                                           .rocksdb = rocksdb_});
      if (!opened.ok()) return opened.status().WithContext(context);
      std::unique_ptr<state::WindowBytesStore> s = std::move(opened).value();
      if (store.sink) {
        s = std::make_unique<state::ChangeLoggingWindowStore>(std::move(s), *store.sink,
                                                              timestamps_);
      }
      store.window = std::make_unique<state::MeteredWindowStore>(std::move(s), store.metrics);
      break;
    }
    case StoreKind::kSession: {
      auto opened =
          state::RocksDbSessionStore::Open(spec.name, store.dir,
                                           {.retention_ms = spec.retention_ms,
                                            .segment_interval_ms = spec.segment_interval_ms,
                                            .rocksdb = rocksdb_});
      if (!opened.ok()) return opened.status().WithContext(context);
      std::unique_ptr<state::SessionBytesStore> s = std::move(opened).value();
      if (store.sink) {
        s = std::make_unique<state::ChangeLoggingSessionStore>(std::move(s), *store.sink,
                                                               timestamps_);
      }
      store.session = std::make_unique<state::MeteredSessionStore>(std::move(s), store.metrics);
      break;
    }
  }
  return Status::Ok();
}

Status TaskStateManager::CloseStore(Store& store) {
  Status s;
  if (store.kv) s = store.kv->Close();
  if (store.window) s = store.window->Close();
  if (store.session) s = store.session->Close();
  store.kv.reset();
  store.window.reset();
  store.session.reset();
  return s.WithContext(fmt::format("task {}: close store '{}'", task_.ToString(), store.spec.name));
}

Status TaskStateManager::ResetStore(Store& store, std::string_view reason) {
  Logger().warn("task {}: store '{}': {}; wiping it and restoring from offset 0", task_.ToString(),
                store.spec.name, reason);
  BROOK_RETURN_IF_ERROR(CloseStore(store));
  if (!store.dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(store.dir, ec);
    if (ec) {
      return Status::IoError(fmt::format("task {}: cannot remove {}: {}", task_.ToString(),
                                         store.dir.string(), ec.message()));
    }
  }
  store.position = 0;
  return OpenStore(store);
}

void TaskStateManager::LogChange(const Store& store, std::string_view key,
                                 std::optional<std::string_view> value, int64_t timestamp_ms) {
  if (collector_ == nullptr) {
    if (send_status_.ok()) {
      send_status_ = Status::FailedPrecondition(fmt::format(
          "task {}: write to store '{}' of a task without a record collector (standby or "
          "warmup): the change cannot be logged to {}",
          task_.ToString(), store.spec.name, PartitionText(*store.changelog)));
    }
    return;
  }
  const Status s = collector_->Send({.topic = store.changelog->topic,
                                     .partition = store.changelog->partition,
                                     .key = key,
                                     .value = value,
                                     .timestamp_ms = timestamp_ms});
  if (!s.ok() && send_status_.ok()) {
    send_status_ = s.WithContext(
        fmt::format("task {}: changelog write of store '{}'", task_.ToString(), store.spec.name));
  }
}

TaskStateManager::Store* TaskStateManager::FindStore(std::string_view name) const {
  for (const auto& s : stores_) {
    if (s->spec.name == name) return s.get();
  }
  return nullptr;
}

TaskStateManager::Store* TaskStateManager::FindPartition(
    const state::ChangelogPartition& partition) const {
  for (const auto& s : stores_) {
    if (s->changelog && *s->changelog == partition) return s.get();
  }
  return nullptr;
}

state::KeyValueBytesStore* TaskStateManager::KeyValueStore(std::string_view name) {
  Store* s = FindStore(name);
  return s != nullptr ? s->kv.get() : nullptr;
}

state::WindowBytesStore* TaskStateManager::WindowStore(std::string_view name) {
  Store* s = FindStore(name);
  return s != nullptr ? s->window.get() : nullptr;
}

state::SessionBytesStore* TaskStateManager::SessionStore(std::string_view name) {
  Store* s = FindStore(name);
  return s != nullptr ? s->session.get() : nullptr;
}

std::shared_ptr<state::StoreMetrics> TaskStateManager::Metrics(std::string_view store) const {
  Store* s = FindStore(store);
  return s != nullptr ? s->metrics : nullptr;
}

std::vector<state::ChangelogPartition> TaskStateManager::ChangelogPartitions() const {
  std::vector<state::ChangelogPartition> out;
  for (const auto& s : stores_) {
    if (s->changelog) out.push_back(*s->changelog);
  }
  return out;
}

Result<int64_t> TaskStateManager::RestorePosition(
    const state::ChangelogPartition& partition) const {
  const Store* s = FindPartition(partition);
  if (s == nullptr) {
    return Status::NotFound(
        fmt::format("task {}: no store logs to {}", task_.ToString(), PartitionText(partition)));
  }
  return s->position;
}

state::CheckpointOffsets TaskStateManager::Positions() const {
  state::CheckpointOffsets out;
  for (const auto& s : stores_) {
    if (s->changelog) out[*s->changelog] = s->position;
  }
  return out;
}

Result<std::vector<state::ChangelogPartition>> TaskStateManager::ValidateCheckpoint(
    const state::CheckpointOffsets& end_offsets) {
  if (closed_)
    return Status::FailedPrecondition(fmt::format("task {}: state closed", task_.ToString()));
  std::vector<state::ChangelogPartition> reset;
  for (const auto& s : stores_) {
    if (!s->changelog) continue;
    const auto it = end_offsets.find(*s->changelog);
    if (it == end_offsets.end()) {
      return Status::InvalidArgument(fmt::format("task {}: no end offset given for changelog {}",
                                                 task_.ToString(), PartitionText(*s->changelog)));
    }
    if (s->position > it->second) {
      BROOK_RETURN_IF_ERROR(ResetStore(
          *s, fmt::format("position {} is beyond the end offset {} of changelog {} (the topic "
                          "was recreated or truncated)",
                          s->position, it->second, PartitionText(*s->changelog))));
      reset.push_back(*s->changelog);
    }
  }
  return reset;
}

Status TaskStateManager::ResetPartition(const state::ChangelogPartition& partition) {
  if (closed_)
    return Status::FailedPrecondition(fmt::format("task {}: state closed", task_.ToString()));
  Store* s = FindPartition(partition);
  if (s == nullptr) {
    return Status::NotFound(
        fmt::format("task {}: no store logs to {}", task_.ToString(), PartitionText(partition)));
  }
  return ResetStore(*s, fmt::format("reset of changelog {} requested at position {}",
                                    PartitionText(partition), s->position));
}

Status TaskStateManager::ApplyRestoreBatch(const state::ChangelogPartition& partition,
                                           std::span<const state::ChangelogRecord> records) {
  if (closed_)
    return Status::FailedPrecondition(fmt::format("task {}: state closed", task_.ToString()));
  Store* s = FindPartition(partition);
  if (s == nullptr) {
    return Status::NotFound(
        fmt::format("task {}: no store logs to {}", task_.ToString(), PartitionText(partition)));
  }
  if (records.empty()) return Status::Ok();
  Status status;
  if (s->kv) status = s->kv->ApplyRestoreBatch(records);
  if (s->window) status = s->window->ApplyRestoreBatch(records);
  if (s->session) status = s->session->ApplyRestoreBatch(records);
  BROOK_RETURN_IF_ERROR(
      status.WithContext(fmt::format("task {}: restore of store '{}' from {}", task_.ToString(),
                                     s->spec.name, PartitionText(partition))));
  s->position = std::max(s->position, records.back().offset + 1);
  s->restored += records.size();
  records_restored_.fetch_add(records.size(), std::memory_order_relaxed);
  return Status::Ok();
}

Status TaskStateManager::AdvancePosition(const state::ChangelogPartition& partition,
                                         int64_t offset) {
  Store* s = FindPartition(partition);
  if (s == nullptr) {
    return Status::NotFound(
        fmt::format("task {}: no store logs to {}", task_.ToString(), PartitionText(partition)));
  }
  s->position = std::max(s->position, offset);
  return Status::Ok();
}

uint64_t TaskStateManager::records_restored(const state::ChangelogPartition& partition) const {
  const Store* s = FindPartition(partition);
  return s != nullptr ? s->restored : 0;
}

Status TaskStateManager::FlushAll(bool after_restore) {
  for (const auto& s : stores_) {
    Status st;
    if (s->kv) st = after_restore ? s->kv->FlushAfterRestore() : s->kv->Flush();
    if (s->window) st = after_restore ? s->window->FlushAfterRestore() : s->window->Flush();
    if (s->session) st = after_restore ? s->session->FlushAfterRestore() : s->session->Flush();
    BROOK_RETURN_IF_ERROR(st.WithContext(
        fmt::format("task {}: flush of store '{}'", task_.ToString(), s->spec.name)));
  }
  return Status::Ok();
}

Status TaskStateManager::WriteCheckpointFile() {
  state::CheckpointOffsets offsets;
  for (const auto& s : stores_) {
    if (s->checkpointed()) offsets[*s->changelog] = s->position;
  }
  return state::WriteCheckpoint(task_dir_ / state::kCheckpointFileName, offsets)
      .WithContext(fmt::format("task {}", task_.ToString()));
}

Status TaskStateManager::FinishRestore() {
  if (closed_)
    return Status::FailedPrecondition(fmt::format("task {}: state closed", task_.ToString()));
  BROOK_RETURN_IF_ERROR(FlushAll(/*after_restore=*/true));
  return WriteCheckpointFile();
}

Status TaskStateManager::Checkpoint(const state::CheckpointOffsets& written_offsets) {
  if (closed_)
    return Status::FailedPrecondition(fmt::format("task {}: state closed", task_.ToString()));
  BROOK_RETURN_IF_ERROR(send_status_);
  for (const auto& [partition, offset] : written_offsets) {
    if (FindPartition(partition) == nullptr) {
      return Status::InvalidArgument(fmt::format("task {}: checkpoint of {}: no store logs to it",
                                                 task_.ToString(), PartitionText(partition)));
    }
  }
  for (const auto& [partition, offset] : written_offsets) {
    Store* s = FindPartition(partition);
    s->position = std::max(s->position, offset);
  }
  BROOK_RETURN_IF_ERROR(FlushAll(/*after_restore=*/!active()));
  return WriteCheckpointFile();
}

int64_t TaskStateManager::OffsetSum() const {
  int64_t sum = 0;
  for (const auto& s : stores_) {
    if (s->changelog) sum += s->position;
  }
  return sum;
}

Status TaskStateManager::Close(bool write_checkpoint) {
  if (closed_) return Status::Ok();
  Status first;
  if (write_checkpoint) first = Checkpoint();
  for (const auto& s : stores_) {
    const Status st = CloseStore(*s);
    if (first.ok()) first = st;
  }
  lock_.Unlock();
  closed_ = true;
  return first;
}

Status TaskStateManager::Wipe() {
  Status first;
  if (!closed_) {
    for (const auto& s : stores_) {
      const Status st = CloseStore(*s);
      if (first.ok()) first = st;
    }
  }
  if (!lock_.held()) {
    // Closed earlier: take the lock again to delete the state safely.
    auto lock = state_dir_.LockTask(task_);
    if (!lock.ok()) return lock.status();
    lock_ = std::move(lock).value();
  }
  const Status wiped = state_dir_.WipeTask(lock_);
  if (first.ok()) first = wiped;
  for (const auto& s : stores_) s->position = 0;
  lock_.Unlock();
  closed_ = true;
  return first;
}

Result<std::map<TaskId, int64_t>> LocalTaskOffsetSums(const state::StateDirectory& state_dir) {
  BROOK_ASSIGN_OR_RETURN(const std::vector<TaskId> tasks, state_dir.ListTaskDirs());
  std::map<TaskId, int64_t> sums;
  for (const TaskId& task : tasks) {
    Result<state::TaskDirLock> lock = state_dir.LockTask(task);
    if (!lock.ok()) {
      if (lock.status().code() == StatusCode::kFailedPrecondition) continue;  // owned
      return lock.status();
    }
    Result<state::CheckpointOffsets> checkpoint =
        state::ReadCheckpoint(state_dir.TaskDir(task) / state::kCheckpointFileName);
    lock->Unlock();
    if (!checkpoint.ok()) {
      Logger().warn("task {}: ignoring its local state for the subscription: {}", task.ToString(),
                    checkpoint.status().ToString());
      continue;
    }
    if (checkpoint->empty()) continue;
    sums[task] = state::SumOffsets(*checkpoint);
  }
  return sums;
}

}  // namespace brook::runtime
