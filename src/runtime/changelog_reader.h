// ChangelogReader: restores task state from changelog topics, and keeps standby (and
// warmup) replicas following them (Kafka Streams' StoreChangelogReader). One per instance,
// owning one librdkafka consumer in manual-assign mode (no group; brook's own group
// protocol decides who restores what).
//
// Protocol:
//  * Register(task, state, mode) asks the leaders for each changelog partition's watermarks,
//    hands the end offsets to state->ValidateCheckpoint() (a position beyond the end resets
//    that store), resets a store whose position points below the log start offset (the data
//    in between was deleted by retention), and adds the partitions to the assignment at the
//    state's restore positions (offset 0 = from the log start). For kRestoreActive the high
//    watermarks at registration are the restore target; partitions already there (e.g. an
//    empty changelog) are not consumed at all. PrefetchWatermarks() before registering many
//    tasks asks for all their watermarks in one batch; Register then uses those answers.
//  * Poll(timeout) consumes up to max_poll_records records, groups them per partition into
//    one batch each and applies them (TaskStateManager::ApplyRestoreBatch), and moves a
//    partition's position to the offset of an end-of-partition event (so trailing control
//    records and aborted records count as restored). A kRestoreActive task whose positions
//    all reached their targets gets FinishRestore() (flush + checkpoint), is unregistered,
//    and is returned in `restored`: the caller hands it to processing. A task whose restore
//    fails (a RocksDB error, a missing topic) is unregistered and returned in `failed`.
//    Standbys keep following; their lag uses end offsets refreshed from the fetch responses
//    at most every standby_end_refresh, and they are checkpointed every
//    standby_checkpoint_interval when they applied something.
//  * Offsets out of range while consuming (a position deleted under the reader) reset the
//    store and restore that partition from the log start, as at registration.
//  * read_committed (exactly-once): the consumer uses isolation.level=read_committed, so
//    aborted changelog writes are never applied. librdkafka then queries watermarks with
//    isolation level read_committed: the "high watermark" of the restore target is the last
//    stable offset, and end-of-partition events fire at the last stable offset too. A task
//    is complete when each position reached the target captured at registration, either by
//    a record (offset + 1) or by an end-of-partition event. The cached watermarks used for
//    standby lag are the real high watermark (an upper bound of the lag under
//    read_committed).
//  * Progress: every progress_interval each restoring task logs one INFO line (restored /
//    total changelog offsets, records, rate, ETA); Progress() reports the same numbers.
//
// Lifetime: a registered TaskStateManager must stay open until its task is unregistered
// (by Unregister, or by Poll reporting it restored or failed); the reader never closes it.
// Thread-safety: Register, Unregister and Poll are called by ONE thread (the instance's
// restore thread), never concurrently. Progress(), AllProgress() and
// total_records_restored() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "brook/config.h"
#include "brook/ids.h"
#include "brook/status.h"
#include "client/consumer.h"
#include "runtime/state_manager.h"
#include "state/checkpoint.h"

namespace brook::runtime {

enum class RestoreMode {
  kRestoreActive,  // restore to the end at registration, then hand over to processing
  kStandby,        // follow forever (standby and warmup replicas)
};

struct ChangelogReaderOptions {
  // Restore with isolation.level=read_committed (processing.guarantee exactly_once_v2).
  // Default: false
  bool read_committed = false;
  // Most records one Poll() consumes.
  // Default: 10000
  size_t max_poll_records = 10000;
  // How often a standby's end offsets (its lag) are refreshed.
  // Default: 10 s
  std::chrono::milliseconds standby_end_refresh{10000};
  // How often each restoring task logs its progress at INFO.
  // Default: 5 s
  std::chrono::milliseconds progress_interval{5000};
  // How often a standby that applied records writes its checkpoint.
  // Default: 30 s
  std::chrono::milliseconds standby_checkpoint_interval{30000};
};

// A snapshot of one registered task's restore.
struct RestoreProgress {
  TaskId task;
  RestoreMode mode = RestoreMode::kRestoreActive;
  // Records applied since registration.
  uint64_t records_restored = 0;
  // kRestoreActive: changelog offsets from the start positions to the targets (an upper
  // bound of the records: compaction leaves gaps). kStandby: offsets consumed so far + lag.
  int64_t offsets_total = 0;
  // Changelog offsets consumed since registration (records, gaps and control records).
  int64_t offsets_done = 0;
  // Offsets still to read: sum of (end - position) over the task's partitions.
  int64_t lag = 0;
  // Records applied per second since registration.
  double records_per_second = 0;
  // kRestoreActive: seconds to the target at the offset rate so far; nullopt before any
  // progress or for standbys.
  std::optional<double> eta_seconds;
};

struct ChangelogPollResult {
  // kRestoreActive tasks now caught up, flushed and checkpointed; already unregistered.
  std::vector<TaskId> restored;
  // Tasks whose restore failed; already unregistered. The caller closes their state.
  std::vector<std::pair<TaskId, Status>> failed;
  // Records applied by this Poll.
  size_t records = 0;
};

class ChangelogReader {
 public:
  // Creates the restore consumer from the client configuration (bootstrap.servers,
  // consumer.* pass-through, request.timeout.ms for watermark queries); runs the
  // reachability check.
  [[nodiscard]] static Result<std::unique_ptr<ChangelogReader>> Create(
      const Config& client_config, ChangelogReaderOptions options = {});
  ~ChangelogReader();
  ChangelogReader(const ChangelogReader&) = delete;
  ChangelogReader& operator=(const ChangelogReader&) = delete;

  // Starts restoring (or following) the task's changelog partitions. kFailedPrecondition
  // if the task is registered already or its state is closed; kNotFound naming a missing
  // changelog topic/partition; errors of the watermark queries and of the state. On error
  // nothing stays registered.
  [[nodiscard]] Status Register(TaskId task, TaskStateManager* state, RestoreMode mode);
  // Asks for the watermarks of every changelog partition of `states` in one batch, for the
  // Register calls that follow: registering many tasks at once (an instance's first
  // assignment) then waits for one answer instead of one per partition, each queued behind
  // the consumer's in-flight fetch (up to its fetch.wait.max.ms). Best effort: on error
  // Register asks per partition as before. Register uses (and drops) an entry;
  // ClearPrefetched() drops what is left, so no stale answer outlives the batch.
  void PrefetchWatermarks(const std::vector<TaskStateManager*>& states);
  void ClearPrefetched() { prefetched_.clear(); }
  // Stops reading the task's partitions (safe mid-restore; records already fetched for it
  // are dropped). Unknown tasks are a no-op. Does not checkpoint: the caller closes state.
  [[nodiscard]] Status Unregister(const TaskId& task);

  // One round: consume (waiting up to `timeout` for max_poll_records records), apply,
  // finish caught-up active tasks. Returns at once when no task is registered or when a
  // task finished or failed without consuming (e.g. empty changelogs); sleeps `timeout`
  // when the registered tasks have nothing to read. Non-OK only when the consumer itself
  // fails; per-task failures are in the result.
  [[nodiscard]] Result<ChangelogPollResult> Poll(std::chrono::milliseconds timeout);

  [[nodiscard]] bool empty() const { return tasks_.empty(); }
  [[nodiscard]] bool IsRegistered(const TaskId& task) const { return tasks_.count(task) != 0; }
  [[nodiscard]] size_t assigned_partitions() const;

  // Thread-safe snapshots, as of the end of the last Register/Unregister/Poll.
  [[nodiscard]] std::optional<RestoreProgress> Progress(const TaskId& task) const;
  [[nodiscard]] std::vector<RestoreProgress> AllProgress() const;
  // Records applied by this reader, all tasks, since creation.
  [[nodiscard]] uint64_t total_records_restored() const { return total_restored_.load(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Partition {
    TaskId task;
    int64_t end = 0;  // kRestoreActive: the target; kStandby: the last known end
    bool assigned = false;
  };
  struct Task {
    TaskStateManager* state = nullptr;
    RestoreMode mode = RestoreMode::kRestoreActive;
    std::vector<state::ChangelogPartition> partitions;
    int64_t start_sum = 0;  // sum of the positions at registration
    uint64_t restored_at_start = 0;
    Clock::time_point registered;
    Clock::time_point last_progress_log;
    Clock::time_point last_end_refresh;
    Clock::time_point last_checkpoint;
    bool dirty = false;  // applied records since the last checkpoint (standby)
  };

  ChangelogReader(std::unique_ptr<client::Consumer> consumer, ChangelogReaderOptions options,
                  std::chrono::milliseconds request_timeout);
  // Assigns at the state's positions; position 0 = the log start in log_starts if given.
  [[nodiscard]] Status Assign(const std::vector<state::ChangelogPartition>& partitions,
                              const TaskStateManager& state,
                              const state::CheckpointOffsets& log_starts);
  [[nodiscard]] Status RemoveTask(const TaskId& task);
  void Fail(const TaskId& task, Status status, ChangelogPollResult& result);
  [[nodiscard]] Status ApplyBatch(ChangelogPollResult& result);
  void HandleErrors(ChangelogPollResult& result);
  void FinishCaughtUp(ChangelogPollResult& result);
  void StandbyHousekeeping(ChangelogPollResult& result);
  [[nodiscard]] RestoreProgress ComputeProgress(const TaskId& id, const Task& task) const;
  void LogProgress();
  void PublishProgress();

  std::unique_ptr<client::Consumer> consumer_;
  ChangelogReaderOptions options_;
  std::chrono::milliseconds request_timeout_;
  std::map<TaskId, Task> tasks_;
  std::map<state::ChangelogPartition, Partition> partitions_;
  std::map<state::ChangelogPartition, client::Watermarks> prefetched_;  // PrefetchWatermarks
  client::ConsumedBatch batch_;
  std::atomic<uint64_t> total_restored_{0};

  mutable std::mutex progress_mu_;
  std::map<TaskId, RestoreProgress> progress_;  // guarded by progress_mu_
};

}  // namespace brook::runtime
