// Instance: one brook process running a topology — Kafka Streams' KafkaStreams client. It
// is one member of the application's consumer group (group/member.h), runs its active tasks
// on num.stream.threads stream threads, restores state and follows standbys on a restore
// thread (ChangelogReader), reads input with one librdkafka consumer in manual incremental-
// assign mode and writes everything through one producer (KafkaCollector). The threading
// model, task lifecycle and commit protocol are described in src/runtime/README.md.
//
// Contract:
//   - Create() validates the configuration and the topology (errors name the key or node).
//     Start() checks the broker, the source topics (NotFound naming a missing one), the
//     internal (repartition) topics and the changelog topics (both created when missing; a
//     partition-count mismatch names the topic; see internal_topics.h), then joins the
//     group. Under exactly_once_v2 it initializes transactions first, which fences an older
//     producer with the same transactional.id.
//   - A kept task never pauses in a cooperative rebalance; a revoked one is committed, then
//     closed with a checkpoint; a lost one is closed without committing.
//   - Commits (commit.interval.ms, on revoke, on Close) are instance-wide: the stream threads
//     hold still between two batches while the commit runs. at_least_once: flush producer ->
//     flush stores + checkpoint -> commit offsets (generation-checked). exactly_once_v2:
//     flush producer -> send offsets with the member's generation -> commit transaction ->
//     begin the next; checkpoints only on a clean close (local state of a crashed EOS
//     instance is restored from scratch).
//   - A fatal error (processing, deserialization under "fail", a fenced producer, a store
//     I/O error) stops processing at once without committing the failing work; state()
//     becomes kError and error() says what and where. Close() still releases everything.
//   - Close(timeout): stop processing, commit, checkpoint, leave (dynamic members; static
//     ones only with leave=true or when draining), within the timeout where the broker
//     allows.
//   - Observability (src/metrics/README.md): with http.listen set, the HTTP server also
//     serves /metrics, /healthz, /readyz and /status. Stream threads time their work and
//     publish per-task and per-partition counters once per batch; an observer thread reads
//     the group every scaling.interval.ms (source end offsets, committed offsets, members:
//     admin requests, never on a stream thread), computes the rates of the last window and
//     the scaling signal (brook_desired_replicas).
//
// Thread-safety: every public method is thread-safe.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "brook/config.h"
#include "brook/ids.h"
#include "brook/status.h"
#include "brook/streams.h"
#include "brook/topology.h"
#include "client/admin.h"
#include "client/kafka_handle.h"
#include "group/member.h"
#include "metrics/exposition.h"
#include "metrics/scaling_signal.h"
#include "runtime/changelog_reader.h"
#include "runtime/interactive_queries.h"
#include "runtime/kafka_collector.h"
#include "runtime/processor_topology.h"
#include "runtime/runtime_config.h"
#include "runtime/state_manager.h"
#include "runtime/stream_task.h"
#include "runtime/work_gate.h"
#include "state/state_directory.h"

namespace brook::runtime {

enum class InstanceState {
  kCreated,
  kRebalancing,
  kRunning,
  kPendingShutdown,
  kNotRunning,
  kError
};
std::string_view InstanceStateName(InstanceState s);

enum class TaskRole { kActive, kStandby, kWarmup };
std::string_view TaskRoleName(TaskRole r);

struct TaskStatus {
  TaskId id;
  TaskRole role = TaskRole::kActive;
  bool restoring = false;        // active: still restoring its state
  uint64_t processed = 0;        // records processed since the task was created here
  uint64_t dropped = 0;          // records its processors dropped on purpose (RecordDropped)
  uint64_t restored = 0;         // changelog records applied since it was created here
  int64_t lag = 0;               // standby/warmup/restoring: changelog offsets behind
  int64_t max_stall_ms = 0;      // longest time records waited without progress
  int64_t last_progress_ms = 0;  // wall clock of the last processed record (or idle check)
  // Active tasks, published by the owning stream thread once per batch.
  uint64_t consumed = 0;    // records fetched into the task
  uint64_t skipped = 0;     // deserialization errors skipped
  double busy_seconds = 0;  // processing and punctuating it
  uint64_t punctuations = 0;
  std::vector<StreamsPartitionInfo> partitions;  // its source partitions once assigned
  // Parallel to partitions: wall ms since which its records wait without progress, -1 when
  // not waiting; status() turns it into stall_ms (an ongoing stall counts as it grows).
  std::vector<int64_t> waiting_since_ms;
  int64_t input_lag = -1;  // status(): sum of the partitions' lag, -1 unknown
  // Restore progress (restore thread): changelog offsets to read since registration, read
  // so far, and the ETA of an active restore (-1 unknown).
  int64_t restore_total = 0;
  int64_t restore_done = 0;
  double restore_eta_seconds = -1;
  // Active tasks: wall ms when it was created needing a restore and when the restore
  // finished (it started processing); -1 not applicable / not yet.
  int64_t restore_started_ms = -1;
  int64_t restore_finished_ms = -1;
  int64_t state_bytes = -1;  // on-disk bytes of its task directory (observer thread)
};

struct InstanceStatus {
  InstanceState state = InstanceState::kCreated;
  std::string error;  // set in kError
  std::string member_id;
  int32_t generation = -1;
  int rebalances = 0;
  std::vector<TaskStatus> tasks;  // sorted by id, then role
  uint64_t processed = 0;         // all tasks, since start
  uint64_t restored = 0;          // all changelog records applied, since start
  uint64_t skipped = 0;           // deserialization errors skipped (log-and-continue)
  uint64_t dropped = 0;           // records processors dropped on purpose, since start
  uint64_t dead_lettered = 0;     // records sent to the dead-letter topic
  uint64_t commits = 0;
  std::string application_id;
  std::string instance_id;                 // group.instance.id, else the group's process id
  int64_t process_start_ms = 0;            // when the instance was created
  int64_t now_ms = 0;                      // when this status was taken
  bool assigned = false;                   // holds an assignment of the current generation
  uint64_t consumed = 0;                   // records fetched, every task, since start
  double busy_seconds = 0;                 // every stream thread, since start
  std::vector<StreamsThreadInfo> threads;  // stream threads, then "restore"
  std::vector<StreamsRebalanceInfo> recent_rebalances;  // oldest first, at most 10
  StreamsScalingInfo scaling;                           // the last scaling decision
};

// The public view of a status (brook::Streams::status(), /status). Defined in streams.cc.
[[nodiscard]] StreamsStatus ToStreamsStatus(const InstanceStatus& status);

class Instance final : public group::GroupListener, public QueryBackend {
 public:
  // `config` must be loaded with DefineInstanceKeys.
  [[nodiscard]] static Result<std::unique_ptr<Instance>> Create(const Topology& topology,
                                                                const Config& config);
  ~Instance() override;
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  [[nodiscard]] Status Start();
  // Idempotent. leave: send LeaveGroup even as a static member (scale-down). A draining
  // instance always leaves: it is being scaled away.
  [[nodiscard]] Status Close(std::chrono::milliseconds timeout, bool leave = false);
  // Marks the instance draining (its tasks move away; it gets no new ones; Close() leaves).
  void SetDraining(bool draining);

  [[nodiscard]] InstanceState state() const { return state_.load(); }
  [[nodiscard]] InstanceStatus status() const;
  bool WaitFor(const std::function<bool(const InstanceStatus&)>& pred,
               std::chrono::milliseconds timeout) const;

  // GroupListener (called on the group thread).
  group::LocalState GetLocalState() override;
  void OnTasksRevoked(const std::set<TaskId>& tasks) override;
  void OnTasksLost(const std::set<TaskId>& tasks) override;
  void OnAssignment(const group::GroupAssignment& assignment) override;
  void OnFatalError(const Status& error) override;

  // Interactive queries (interactive_queries.h): store lookups for brook::Streams and, with
  // http.listen set, the HTTP server's /stores routes (server started by Start(), stopped
  // first thing in Close()).
  [[nodiscard]] InteractiveQueries& queries() { return *queries_; }
  // The HTTP server's bound port (the chosen one for port 0); 0 without a server.
  [[nodiscard]] int http_port() const;
  // The Prometheus text exposition served at /metrics (src/metrics/README.md).
  [[nodiscard]] std::string MetricsText();
  // QueryBackend, called from HTTP server threads and brook::Streams callers. Must not be
  // called from a stream thread (a processor or punctuator): WithActiveTask refuses that
  // with kFailedPrecondition. A task is read under the work gate (shared, given up after
  // 2 s of a rebalance or commit) and the task's own mutex, which its stream thread holds
  // while it processes a batch: a read never overlaps processing, restore or closing.
  [[nodiscard]] QueryRouting Routing() const override;
  [[nodiscard]] Status WithActiveTask(const TaskId& task,
                                      const std::function<Status(TaskStateAccess&)>& fn) override;
  [[nodiscard]] Result<int32_t> TopicPartitions(const std::string& topic) override;

 private:
  using Clock = std::chrono::steady_clock;
  struct ActiveTask;
  struct StandbyTask;
  struct StreamThread;
  struct RestoreCommand;

  Instance(Config config, RuntimeOptions options, std::shared_ptr<const ProcessorTopology> topology,
           state::StateDirectory state_dir);

  // Start-up.
  [[nodiscard]] Status SetUpQueries();  // Create(): queries_, http_ and its routes
  [[nodiscard]] Status CreateClients();
  [[nodiscard]] Status CheckTopics();

  // Stream threads.
  void RunStreamThread(StreamThread& thread);
  // Takes what the thread's queue has (waiting at most `timeout`) into the tasks. The time
  // since busy_mark counts as busy; the wait does not; busy_mark is reset after it.
  [[nodiscard]] Status PollInto(StreamThread& thread, std::chrono::milliseconds timeout,
                                Clock::time_point& busy_mark);
  [[nodiscard]] Status ProcessTasks(StreamThread& thread);
  void TakeRestored(StreamThread& thread);
  void UpdateThreadStats(StreamThread& thread);
  // Per-partition progress after a task's turn: stalls, the stall histogram.
  void TrackPartitionProgress(ActiveTask& t, int64_t now_ms);

  // Control paths; the caller holds the gate exclusively.
  // Commits every task with records since its last commit (`all`: every task, also one whose
  // last interval commit was queued and may have failed). With `deferred`, the
  // at-least-once offset commit is not sent but returned there (the caller sends it after
  // releasing the gate).
  [[nodiscard]] Status CommitAllLocked(std::string_view why,
                                       std::map<group::TopicPartition, int64_t>* deferred = nullptr,
                                       bool all = false);
  // Commits when the interval elapsed or a task asked; the commit's time counts as busy
  // time of `thread`.
  void MaybeCommit(bool requested, StreamThread& thread);
  void ObserveCommit(Clock::time_point started);
  void CloseActiveLocked(const TaskId& id, bool clean);
  // The changelog offsets a checkpoint of `t` may claim: acknowledged writes, never behind
  // the task's current positions.
  [[nodiscard]] state::CheckpointOffsets WrittenOffsets(
      const ActiveTask& t, const std::map<group::TopicPartition, int64_t>& acked) const;
  void CloseAllActiveLocked(bool clean);
  // A task whose state needs a restore is appended to `to_register`: the caller registers
  // them with the restore thread in one call (one round trip for the whole assignment, not
  // one restore-thread poll per task).
  [[nodiscard]] Status CreateActiveLocked(
      const TaskId& id, const std::map<group::TopicPartition, int64_t>& committed,
      std::vector<std::pair<TaskId, TaskStateManager*>>* to_register);
  [[nodiscard]] Status AssignPartitionsLocked(ActiveTask& task);
  void UnassignPartitionsLocked(ActiveTask& task);
  void UpdateStandbysLocked(const std::set<TaskId>& standby, const std::set<TaskId>& warmup);
  void FailLocked(const Status& error);
  void Fail(const Status& error);

  // Restore thread.
  void RunRestoreThread();
  [[nodiscard]] Status RestoreCall(std::function<Status(ChangelogReader&)> fn);
  void OnRestored(const ChangelogPollResult& result);
  // Register on the restore thread; a retriable failure is retried later (see .cc).
  [[nodiscard]] Status RegisterOrDefer(ChangelogReader& reader, const TaskId& id,
                                       TaskStateManager* state, RestoreMode mode);
  // RegisterOrDefer for many tasks with one batched watermark query (restore thread);
  // returns each task's status, in order.
  [[nodiscard]] std::vector<Status> RegisterAllOrDefer(
      ChangelogReader& reader, const std::vector<std::pair<TaskId, TaskStateManager*>>& tasks,
      RestoreMode mode);
  void RetryPendingRegistrations();
  void PublishRestoreStats();

  // Observer thread (scaling.interval.ms): the group read, state sizes, rates and the
  // scaling signal.
  void RunObserverThread();
  void ObserveOnce();
  [[nodiscard]] Result<metrics::GroupSample> ReadGroup(const InstanceStatus& status);

  // Rebalance history (any thread; rebalance_mu_).
  void BeginRebalance();
  void NoteRebalanceMoves(const std::set<TaskId>& added, const std::set<TaskId>& removed);
  void MaybeFinishRebalance();

  void SetState(InstanceState s);
  // Timeout of commits and flushes: shutdown.timeout.ms, or Close()'s grace period.
  [[nodiscard]] std::chrono::milliseconds OpTimeout() const;
  [[nodiscard]] int64_t NowMs() const;

  const Config config_;
  const RuntimeOptions options_;
  const std::shared_ptr<const ProcessorTopology> topology_;
  const state::StateDirectory state_dir_;
  group::GroupOptions group_options_;

  std::unique_ptr<KafkaCollector> collector_;
  std::unique_ptr<client::KafkaHandle> consumer_;
  std::unique_ptr<ChangelogReader> reader_;
  std::unique_ptr<group::GroupMember> member_;

  WorkGate gate_;
  // Guarded by gate_ (exclusive to change; the owning thread reads its tasks when shared).
  std::map<TaskId, std::unique_ptr<ActiveTask>> active_;
  std::map<TaskId, std::unique_ptr<StandbyTask>> standbys_;
  std::vector<std::unique_ptr<StreamThread>> threads_;
  int32_t generation_ = -1;
  std::string member_id_;
  std::set<TaskId> warmups_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> closed_{false};
  std::atomic<bool> draining_{false};  // SetDraining(); Close() then leaves the group
  std::atomic<InstanceState> state_{InstanceState::kCreated};
  Clock::time_point last_commit_;
  std::atomic<uint64_t> commits_{0};
  std::atomic<int64_t> op_timeout_ms_{30000};

  // Interactive queries. queries_ and http_ are set by Create(); http_ is null without
  // http.listen. Close() stops the server before anything is torn down.
  std::unique_ptr<InteractiveQueries> queries_;
  mutable std::mutex routing_mu_;
  QueryRouting routing_;  // guarded by routing_mu_; the last assignment's view
  // The leader's partition-count lookup, copied here once CheckTopics() set it up.
  std::function<Result<std::map<std::string, int32_t>>(const std::vector<std::string>&)>
      query_partition_counts_;  // guarded by routing_mu_
  std::unique_ptr<http::HttpServer> http_;

  // Restore thread: commands run on it, in order.
  std::thread restore_thread_;
  std::mutex restore_mu_;
  std::condition_variable restore_cv_;
  std::deque<std::shared_ptr<RestoreCommand>> restore_commands_;  // guarded by restore_mu_
  bool restore_stop_ = false;                                     // guarded by restore_mu_
  std::set<TaskId> warmup_rejoin_requested_;                      // restore thread only
  struct PendingRegistration {
    TaskId id;
    TaskStateManager* state = nullptr;
    RestoreMode mode = RestoreMode::kRestoreActive;
    Clock::time_point next;
    Clock::time_point deadline;
    std::chrono::milliseconds backoff{200};
  };
  std::vector<PendingRegistration> pending_registrations_;  // restore thread only
  std::map<TaskId, TaskStateManager*> restoring_states_;    // restore thread only: standbys

  // Snapshots for GetLocalState() and status().
  mutable std::mutex snap_mu_;
  std::map<TaskId, int64_t> offset_sums_;        // guarded by snap_mu_
  std::map<TaskId, TaskStatus> task_status_;     // guarded by snap_mu_ (active)
  std::map<TaskId, TaskStatus> standby_status_;  // guarded by snap_mu_
  Status error_;                                 // guarded by snap_mu_
  mutable std::condition_variable snap_cv_;
  std::atomic<uint64_t> processed_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> restored_active_{0};
  std::atomic<uint64_t> consumed_{0};

  // Observability (src/metrics). metrics_ is set by Create() and lives as long as the
  // instance; histograms are observed from the threads that time the work.
  std::unique_ptr<metrics::InstanceMetrics> metrics_;
  const int64_t process_start_ms_;
  std::atomic<bool> assigned_{false};         // an assignment of the current generation is held
  std::atomic<bool> threads_started_{false};  // Start() made and started every thread
  std::atomic<int> restoring_count_{0};       // active tasks restoring (gate writers change it)
  // Restore thread liveness and work.
  std::atomic<bool> restore_alive_{false};
  std::atomic<int64_t> restore_last_loop_ms_{0};
  std::atomic<int64_t> restore_busy_ns_{0};
  std::atomic<int> restore_tasks_{0};
  // Rebalances as this instance lives them (BeginRebalance .. MaybeFinishRebalance).
  // (No default member initializers: clang's is_constructible of a nested class with them is
  // false inside the enclosing class; BeginRebalance sets every field.)
  struct OpenRebalance {
    StreamsRebalanceInfo info;
    Clock::time_point started;
    bool assigned;  // an assignment arrived in it
  };
  mutable std::mutex rebalance_mu_;
  std::optional<OpenRebalance> open_rebalance_;  // guarded by rebalance_mu_
  std::deque<StreamsRebalanceInfo> rebalances_;  // guarded by rebalance_mu_; last 10
  // Observer thread.
  std::shared_ptr<client::Admin> admin_;  // set by CheckTopics(); thread-safe
  std::thread observer_thread_;
  std::mutex observer_mu_;
  std::condition_variable observer_cv_;
  bool observer_stop_ = false;                     // guarded by observer_mu_
  std::optional<metrics::ScalingSignal> scaling_;  // observer thread only
  std::optional<InstanceStatus> last_sample_;      // observer thread only
  // What the observer thread derived, for status() and scrapes.
  mutable std::mutex observed_mu_;
  std::optional<metrics::Rates> rates_;                          // guarded by observed_mu_
  std::optional<metrics::GroupSample> group_sample_;             // guarded by observed_mu_
  std::optional<scaling::Decision> decision_;                    // guarded by observed_mu_
  std::map<group::TopicPartition, int64_t> probed_end_offsets_;  // guarded by observed_mu_
  std::map<TaskId, int64_t> state_bytes_;                        // guarded by observed_mu_
};

// Defines every key an instance reads (client, group, runtime).
void DefineInstanceKeys(ConfigSchema& schema);

}  // namespace brook::runtime
