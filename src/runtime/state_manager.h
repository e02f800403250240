// TaskStateManager: the state of one task (active, standby or warmup) — its task directory
// lock, its stores, their changelog positions and the checkpoint file (Kafka Streams'
// ProcessorStateManager). It implements TaskStateAccess for the task's processors.
//
// Contract:
//  * Open() locks <state.dir>/<app>/<task>/ (kFailedPrecondition naming the .lock path when
//    another owner holds it), reads .checkpoint, and opens every store of the task: RocksDB
//    key-value, window and session stores in <task dir>/rocksdb/<store>/, in-memory
//    key-value stores in memory. Each store is decorated metered -> change-logging (logged
//    stores) -> backend. A corrupt or unreadable checkpoint is logged as a warning naming
//    the file; the task directory is wiped and every changelog restored from offset 0. A
//    persistent logged store whose directory exists but has no checkpoint entry holds state
//    of unknown provenance (a crash before the first checkpoint): it is wiped and restored
//    from 0. An in-memory store always restores its changelog from 0.
//  * Positions: per changelog partition (topic "<app>-<store>-changelog", partition = the
//    task's partition), the next changelog offset the local state does not reflect yet.
//    Restore advances it (ApplyRestoreBatch, AdvancePosition); for an active task the caller
//    passes the offsets its changelog writes reached (Checkpoint). The checkpoint file holds
//    the positions of persistent logged stores; stores without logging and in-memory stores
//    are never in it.
//  * Consistency: ValidateCheckpoint() compares the positions with the changelog end
//    offsets; a position beyond the end (the topic was recreated or truncated) resets that
//    store (wiped, reopened empty, position 0). Stale state is never served silently.
//  * Change logging: a logged store's writes are sent through the RecordCollector with the
//    TimestampSource's timestamp. The first failed Send (or a write to a store of a task
//    without a collector: standby/warmup) is kept in send_status(); Checkpoint() and
//    Close(true) return it, and the caller fails the task.
//  * Any RocksDB or file-system error is returned as the Status of the call; the caller then
//    fails the task (Close(false) or Wipe()).
//  * Store pointers returned by the TaskStateAccess getters stay valid until Close(),
//    Wipe() or a reset of that store (ResetPartition/ValidateCheckpoint, restore time only).
//
// Thread-safety: one thread at a time (the restore thread while restoring, then the stream
// thread); the caller's hand-over must synchronize. records_restored() and the StoreMetrics
// may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "brook/ids.h"
#include "brook/state/key_value_store.h"
#include "brook/status.h"
#include "brook/stores.h"
#include "runtime/record_collector.h"
#include "runtime/task_state.h"
#include "state/change_logging_store.h"
#include "state/checkpoint.h"
#include "state/metered_store.h"
#include "state/rocksdb_options.h"
#include "state/state_directory.h"

namespace brook::runtime {

struct TaskStateOptions {
  // Receives the changelog records of logged stores (active tasks). nullptr for standby and
  // warmup tasks, whose stores only restore writes (SetCollector() on promotion).
  // Default: nullptr
  RecordCollector* collector = nullptr;
  // Timestamp of logged changelog records (the runtime passes the current record's).
  // Default: state::WallClockMs
  state::TimestampSource timestamps = state::WallClockMs;
  // Options of every RocksDB-backed store; put one shared block cache here to cap memory.
  // Default: state::RocksDbStoreOptions{}
  state::RocksDbStoreOptions rocksdb;
};

class TaskStateManager final : public TaskStateAccess {
 public:
  // Locks the task directory, reads the checkpoint and opens the stores (see above).
  // kInvalidArgument for a bad spec (duplicate or unusable name, a window or session store
  // declared in-memory); kFailedPrecondition when the lock is held elsewhere; kIoError or
  // kCorruption from RocksDB.
  [[nodiscard]] static Result<std::unique_ptr<TaskStateManager>> Open(
      TaskId task, std::vector<StoreSpec> stores, std::string application_id,
      const state::StateDirectory& state_dir, TaskStateOptions options = {});
  ~TaskStateManager() override;  // Close(false) if still open
  TaskStateManager(const TaskStateManager&) = delete;
  TaskStateManager& operator=(const TaskStateManager&) = delete;

  [[nodiscard]] const TaskId& task() const { return task_; }
  [[nodiscard]] const std::filesystem::path& task_dir() const { return task_dir_; }
  [[nodiscard]] bool closed() const { return closed_; }
  // True when the task logs its writes (it has a collector).
  [[nodiscard]] bool active() const { return collector_ != nullptr; }
  // Sets (or clears) the collector, e.g. when a standby is promoted to active.
  void SetCollector(RecordCollector* collector) { collector_ = collector; }

  // TaskStateAccess: the outermost (metered) layer, or nullptr (no such store, or closed).
  [[nodiscard]] state::KeyValueBytesStore* KeyValueStore(std::string_view name) override;
  [[nodiscard]] state::WindowBytesStore* WindowStore(std::string_view name) override;
  [[nodiscard]] state::SessionBytesStore* SessionStore(std::string_view name) override;

  // The metrics of a store (the same object across resets), or nullptr for an unknown name.
  [[nodiscard]] std::shared_ptr<state::StoreMetrics> Metrics(std::string_view store) const;

  // Changelog partitions of the logged stores, in declaration order.
  [[nodiscard]] std::vector<state::ChangelogPartition> ChangelogPartitions() const;
  // Where restore of `partition` starts/continues: the checkpointed or restored position,
  // 0 for in-memory and reset stores. kNotFound for a partition not of this task.
  [[nodiscard]] Result<int64_t> RestorePosition(const state::ChangelogPartition& partition) const;
  // Every logged store's position.
  [[nodiscard]] state::CheckpointOffsets Positions() const;
  // Partitions whose store was wiped by Open (corrupt checkpoint, or state without entry).
  [[nodiscard]] const std::vector<state::ChangelogPartition>& reset_at_open() const {
    return reset_at_open_;
  }

  // Checks the positions against the changelog end offsets (one per changelog partition;
  // kInvalidArgument naming a missing one). A position beyond its end resets that store.
  // Returns the partitions reset.
  [[nodiscard]] Result<std::vector<state::ChangelogPartition>> ValidateCheckpoint(
      const state::CheckpointOffsets& end_offsets);
  // Wipes the store logged to `partition` (closes it, deletes its directory, reopens it
  // empty) and sets its position to 0. Invalidates pointers to that store.
  [[nodiscard]] Status ResetPartition(const state::ChangelogPartition& partition);

  // Applies restored records (in offset order) to the store of `partition` and moves its
  // position to the last offset + 1. kNotFound for an unknown partition.
  [[nodiscard]] Status ApplyRestoreBatch(const state::ChangelogPartition& partition,
                                         std::span<const state::ChangelogRecord> records);
  // Moves the position of `partition` forward to `offset` when larger (the consumer reached
  // the end of the partition there: the offsets in between hold no records to apply).
  [[nodiscard]] Status AdvancePosition(const state::ChangelogPartition& partition, int64_t offset);
  // Records applied by restore since Open: all partitions, or one.
  [[nodiscard]] uint64_t records_restored() const { return records_restored_.load(); }
  [[nodiscard]] uint64_t records_restored(const state::ChangelogPartition& partition) const;

  // End of an active task's restore: FlushAfterRestore() every store, then write the
  // checkpoint with the restore positions.
  [[nodiscard]] Status FinishRestore();
  // Commit: moves the positions to `written_offsets` (last written changelog offset + 1 per
  // partition, from the collector's delivery reports; partitions not named keep theirs),
  // flushes every store (Flush() for an active task, FlushAfterRestore() otherwise), then
  // writes the checkpoint atomically. Returns send_status() first if it is not OK;
  // kInvalidArgument for a partition not of this task.
  [[nodiscard]] Status Checkpoint(const state::CheckpointOffsets& written_offsets = {});
  // Sum of the positions of every logged store (the task's offset sum in the subscription).
  [[nodiscard]] int64_t OffsetSum() const;
  // OK, or the first changelog write that failed (see above).
  [[nodiscard]] const Status& send_status() const { return send_status_; }

  // Optionally Checkpoint(), then closes every store and releases the lock. Idempotent;
  // returns the first error but always closes and unlocks.
  [[nodiscard]] Status Close(bool write_checkpoint);
  // Closes the stores without a checkpoint, deletes the task's state (all but the lock
  // file) and releases the lock. The next owner restores from scratch.
  [[nodiscard]] Status Wipe();

 private:
  struct Store;
  class Sink;

  TaskStateManager(TaskId task, std::string application_id, state::StateDirectory state_dir,
                   TaskStateOptions options);
  [[nodiscard]] Status OpenStore(Store& store);
  [[nodiscard]] Status CloseStore(Store& store);
  [[nodiscard]] Status ResetStore(Store& store, std::string_view reason);
  [[nodiscard]] Status FlushAll(bool after_restore);
  [[nodiscard]] Status WriteCheckpointFile();
  [[nodiscard]] Store* FindStore(std::string_view name) const;
  [[nodiscard]] Store* FindPartition(const state::ChangelogPartition& partition) const;
  void LogChange(const Store& store, std::string_view key, std::optional<std::string_view> value,
                 int64_t timestamp_ms);

  TaskId task_;
  std::string application_id_;
  state::StateDirectory state_dir_;
  std::filesystem::path task_dir_;
  state::TaskDirLock lock_;
  RecordCollector* collector_;
  state::TimestampSource timestamps_;
  state::RocksDbStoreOptions rocksdb_;
  std::vector<std::unique_ptr<Store>> stores_;
  std::vector<state::ChangelogPartition> reset_at_open_;
  std::atomic<uint64_t> records_restored_{0};
  Status send_status_;
  bool closed_ = false;
};

// For the subscription of a starting instance: the offset sum (sum of checkpointed offsets)
// of every task with local state under state_dir. Only directories this call can lock are
// read (each lock is taken and released at once): tasks owned by a running TaskStateManager
// — of this or another process — are skipped, as are directories without a checkpoint or
// with an unreadable one. Must not race with TaskStateManager::Open of the same tasks in this
// process (the short-lived lock would make that Open fail).
[[nodiscard]] Result<std::map<TaskId, int64_t>> LocalTaskOffsetSums(
    const state::StateDirectory& state_dir);

}  // namespace brook::runtime
