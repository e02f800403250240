#include "runtime/instance.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <future>
#include <random>
#include <utility>

#include "client/admin.h"
#include "client/client_config.h"
#include "client/rdkafka_util.h"
#include "common/log.h"
#include "group/group_config.h"
#include "runtime/changelog_topics.h"
#include "runtime/internal_topics.h"

namespace brook::runtime {
namespace {

using client::ErrorPtr;
using ListPtr = client::PartitionListPtr;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr size_t kPollBatch = 500;    // messages taken from a thread's queue at once
constexpr int kProcessPerTask = 200;  // records a task processes before the next task
// How long an interactive query waits for the work gate (held by a rebalance or commit).
constexpr std::chrono::milliseconds kQueryGateWait{2000};

thread_local bool tl_stream_thread = false;  // set on the instance's stream threads

}  // namespace

std::string_view InstanceStateName(InstanceState s) {
  switch (s) {
    case InstanceState::kCreated:
      return "CREATED";
    case InstanceState::kRebalancing:
      return "REBALANCING";
    case InstanceState::kRunning:
      return "RUNNING";
    case InstanceState::kPendingShutdown:
      return "PENDING_SHUTDOWN";
    case InstanceState::kNotRunning:
      return "NOT_RUNNING";
    case InstanceState::kError:
      return "ERROR";
  }
  return "?";
}

std::string_view TaskRoleName(TaskRole r) {
  switch (r) {
    case TaskRole::kActive:
      return "active";
    case TaskRole::kStandby:
      return "standby";
    case TaskRole::kWarmup:
      return "warmup";
  }
  return "?";
}

void DefineInstanceKeys(ConfigSchema& schema) {
  client::DefineClientKeys(schema);
  group::DefineGroupKeys(schema);
  DefineRuntimeKeys(schema);
}

// One source partition of an active task, assigned to the consumer.
struct PartitionHandle {
  group::TopicPartition tp;
  rd_kafka_queue_t* queue = nullptr;  // the partition's queue, forwarded to the thread's
  // Metrics (owning stream thread).
  uint64_t consumed = 0;        // records fetched
  int64_t end_offset = -1;      // high watermark the consumer last saw; -1 unknown
  metrics::StallTracker stall;  // records waiting without progress
  size_t buffered_before = 0;   // scratch: buffered at the start of the current turn
};

struct Instance::ActiveTask {
  TaskId id;
  std::unique_ptr<TaskStateManager> state;
  std::unique_ptr<StreamTask> task;
  size_t thread = 0;
  bool restoring = false;
  // Wall ms: the task was created needing a restore / finished it and started (-1: not yet).
  int64_t restore_started_ms = -1;
  int64_t restore_finished_ms = -1;
  bool assigned = false;  // source partitions are in the consumer's assignment
  std::map<group::TopicPartition, int64_t> start_offsets;  // committed (or reset) positions
  std::vector<PartitionHandle> partitions;
  // Progress tracking (owning thread).
  int64_t last_progress_ms = 0;
  int64_t max_stall_ms = 0;
  bool had_backlog = false;
  int64_t busy_ns = 0;    // processing and punctuating it
  uint64_t consumed = 0;  // records fetched into it
  // Held by the owning stream thread while it processes (or finishes restoring) the task,
  // and by interactive queries while they read its stores (WithActiveTask).
  std::mutex query_mu;
  std::vector<state::ChangelogPartition> changelogs;
};

struct Instance::StandbyTask {
  TaskId id;
  std::unique_ptr<TaskStateManager> state;
  bool warmup = false;
};

struct Instance::StreamThread {
  size_t index = 0;
  std::thread thread;
  rd_kafka_queue_t* queue = nullptr;
  std::vector<TaskId> tasks;  // guarded by the gate (exclusive to change)
  std::mutex inbox_mu;
  std::vector<TaskId> restored;  // guarded by inbox_mu: tasks whose restore completed
  std::map<group::TopicPartition, ActiveTask*> routes;  // guarded by the gate
  // Liveness and work, written by the thread, read by status().
  std::atomic<bool> alive{false};
  std::atomic<int64_t> last_loop_ms{0};
  std::atomic<int64_t> busy_ns{0};
  std::atomic<int> task_count{0};
  int64_t last_watermark_ms = 0;  // the thread's last read of its partitions' watermarks
};

struct Instance::RestoreCommand {
  std::function<Status(ChangelogReader&)> fn;
  std::promise<Status> done;
};

Instance::Instance(Config config, RuntimeOptions options,
                   std::shared_ptr<const ProcessorTopology> topology,
                   state::StateDirectory state_dir)
    : config_(std::move(config)),
      options_(std::move(options)),
      topology_(std::move(topology)),
      state_dir_(std::move(state_dir)),
      metrics_(std::make_unique<metrics::InstanceMetrics>()),
      process_start_ms_(WallMs()) {
  op_timeout_ms_.store(options_.shutdown_timeout.count());
}

Result<std::unique_ptr<Instance>> Instance::Create(const Topology& topology, const Config& config) {
  BROOK_ASSIGN_OR_RETURN(RuntimeOptions options, RuntimeOptionsFromConfig(config));
  BROOK_ASSIGN_OR_RETURN(group::GroupOptions group_options, group::GroupOptionsFromConfig(config));
  BROOK_ASSIGN_OR_RETURN(ProcessorTopology pt,
                         ProcessorTopology::Build(topology, options.application_id));
  auto shared = std::make_shared<const ProcessorTopology>(std::move(pt));
  BROOK_ASSIGN_OR_RETURN(state::StateDirectory dir,
                         state::StateDirectory::Open(options.state_dir, options.application_id));
  std::unique_ptr<Instance> inst(new Instance(config, std::move(options), shared, std::move(dir)));
  group_options.topology = shared->ToGroupTopology();
  if (group_options.process_id.empty() && !group_options.group_instance_id) {
    // The member would pick a random one; pick it here so metrics and status name it too.
    std::random_device rd;
    std::uniform_int_distribution<uint64_t> d;
    group_options.process_id = fmt::format("process-{:016x}", d(rd));
  }
  inst->group_options_ = std::move(group_options);
  {
    const RuntimeOptions& o = inst->options_;
    metrics::ScalingOptions so;
    so.model.min_replicas = o.scaling_min_replicas;
    so.model.max_replicas = o.scaling_max_replicas;
    so.model.target_utilisation = o.scaling_target_utilisation;
    so.model.catch_up_target_seconds = o.scaling_catch_up_target_seconds;
    so.window = o.scaling_window;
    Result<metrics::ScalingSignal> signal = metrics::ScalingSignal::Create(so);
    if (!signal.ok()) return signal.status().WithContext("scaling.* configuration");
    inst->scaling_.emplace(std::move(signal).value());
  }
  BROOK_RETURN_IF_ERROR(inst->SetUpQueries());
  return inst;
}

Instance::~Instance() {
  const Status s = Close(options_.shutdown_timeout);
  if (!s.ok()) Logger().warn("closing the instance: {}", s.ToString());
}

int64_t Instance::NowMs() const {
  return WallMs();
}

void Instance::SetState(InstanceState s) {
  InstanceState cur = state_.load();
  // kError and kNotRunning are final, except kError -> kNotRunning on close.
  while (true) {
    if (cur == InstanceState::kNotRunning) return;
    if (cur == InstanceState::kError && s != InstanceState::kNotRunning) return;
    if (state_.compare_exchange_weak(cur, s)) break;
  }
  std::lock_guard lock(snap_mu_);
  snap_cv_.notify_all();
}

// ---------------------------------------------------------------------------------------
// Start-up

Status Instance::CreateClients() {
  const bool eos = options_.guarantee == ProcessingGuarantee::kExactlyOnceV2;
  CollectorOptions co;
  co.guarantee = options_.guarantee;
  const std::string instance_id =
      group_options_.group_instance_id.value_or(group_options_.process_id);
  co.transactional_id =
      options_.application_id + "-" + (instance_id.empty() ? std::string("instance") : instance_id);
  co.production_errors = options_.production_errors;
  co.dead_letter_topic = options_.dead_letter_topic;
  BROOK_ASSIGN_OR_RETURN(collector_, KafkaCollector::Create(config_, co));
  if (eos) {
    BROOK_RETURN_IF_ERROR(collector_->InitTransactions(
        std::chrono::milliseconds(config_.GetInt("request.timeout.ms"))));
    BROOK_RETURN_IF_ERROR(collector_->BeginTransaction());
  }

  BROOK_ASSIGN_OR_RETURN(auto conf,
                         client::BuildRdKafkaConf(config_, client::ClientRole::kConsumer));
  std::array<char, 512> err{};
  const std::map<std::string, std::string> required = {
      // librdkafka wants a group.id for a consumer; brook never joins it (manual assign).
      {"group.id", options_.application_id + "-brook-data"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      {"isolation.level", eos ? "read_committed" : "read_uncommitted"},
  };
  for (const auto& [k, v] : required) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err.data(), err.size()) !=
        RD_KAFKA_CONF_OK) {
      return Status::InvalidArgument("consumer " + k + ": " + err.data());
    }
  }
  BROOK_ASSIGN_OR_RETURN(consumer_, client::KafkaHandle::Create(
                                        config_, client::ClientRole::kConsumer, std::move(conf)));
  BROOK_RETURN_IF_ERROR(consumer_->CheckReachable());

  ChangelogReaderOptions ro;
  ro.read_committed = eos;
  BROOK_ASSIGN_OR_RETURN(reader_, ChangelogReader::Create(config_, ro));
  return Status::Ok();
}

Status Instance::CheckTopics() {
  BROOK_ASSIGN_OR_RETURN(auto admin, client::Admin::Create(config_));
  // External source topics must exist; internal (repartition) topics are created here, before
  // the changelogs, whose partition counts may derive from them.
  BROOK_ASSIGN_OR_RETURN(const auto source_counts, PrepareSourceTopics(*admin, *topology_));
  std::vector<SubtopologyStores> stores;
  for (const SubtopologySpec& sub : topology_->subtopologies()) {
    int32_t partitions = -1;
    std::string first;
    for (const std::string& topic : sub.source_topics) {
      const int32_t count = source_counts.at(topic);
      if (partitions >= 0 && count != partitions) {
        std::string msg = "source topics of sub-topology " + std::to_string(sub.id);
        msg += " are not co-partitioned: '" + first + "' has " + std::to_string(partitions);
        msg += " partitions, '" + topic + "' has " + std::to_string(count);
        return Status::InvalidArgument(std::move(msg));
      }
      partitions = count;
      first = topic;
    }
    bool logged = false;
    for (const StoreSpec& s : sub.stores) logged = logged || s.logging;
    if (logged)
      stores.push_back({.subtopology = sub.id, .partitions = partitions, .stores = sub.stores});
  }
  BROOK_RETURN_IF_ERROR(EnsureChangelogTopics(*admin, options_.application_id, stores));
  if (options_.deserialization_errors == ErrorHandling::kDeadLetter ||
      options_.production_errors == ErrorHandling::kDeadLetter) {
    Result<client::TopicInfo> dlq = admin->DescribeTopic(options_.dead_letter_topic);
    if (!dlq.ok() && dlq.status().code() == StatusCode::kNotFound) {
      const Status s = admin->CreateTopic({.name = options_.dead_letter_topic, .partitions = 1});
      if (!s.ok() && s.code() != StatusCode::kAlreadyExists) {
        return s.WithContext("creating the dead-letter topic");
      }
    } else if (!dlq.ok()) {
      return dlq.status().WithContext("dead-letter topic");
    }
  }
  // The group leader asks for partition counts through this.
  auto admin_shared = std::shared_ptr<client::Admin>(std::move(admin));
  admin_ = admin_shared;  // the observer thread reads the group through it
  group_options_.partition_counts =
      [admin_shared](
          const std::vector<std::string>& topics) -> Result<std::map<std::string, int32_t>> {
    std::map<std::string, int32_t> counts;
    for (const std::string& t : topics) {
      BROOK_ASSIGN_OR_RETURN(client::TopicInfo info, admin_shared->DescribeTopic(t));
      counts[t] = info.partitions;
    }
    return counts;
  };
  return Status::Ok();
}

Status Instance::Start() {
  if (started_.exchange(true))
    return Status::FailedPrecondition("the instance was started already");
  BROOK_RETURN_IF_ERROR(CreateClients());
  BROOK_RETURN_IF_ERROR(CheckTopics());
  {
    // Tasks with local state from an earlier run: their offset sums make the assignor give
    // them back to this instance (state-aware placement).
    Result<std::map<TaskId, int64_t>> sums = LocalTaskOffsetSums(state_dir_);
    if (sums.ok()) {
      std::lock_guard lock(snap_mu_);
      offset_sums_ = std::move(sums).value();
    } else {
      Logger().warn("reading local state offsets: {}", sums.status().ToString());
    }
  }
  for (int i = 0; i < options_.num_stream_threads; ++i) {
    auto t = std::make_unique<StreamThread>();
    t->index = static_cast<size_t>(i);
    t->queue = rd_kafka_queue_new(consumer_->get());
    threads_.push_back(std::move(t));
  }
  {
    std::lock_guard lock(routing_mu_);
    query_partition_counts_ = group_options_.partition_counts;
  }
  if (http_) BROOK_RETURN_IF_ERROR(http_->Start().WithContext("http.listen"));
  last_commit_ = Clock::now();
  // The member exists before any thread that calls it; it joins only after they run.
  BROOK_ASSIGN_OR_RETURN(member_, group::GroupMember::Create(group_options_, this));
  restore_alive_.store(true);
  restore_thread_ = std::thread([this] { RunRestoreThread(); });
  for (auto& t : threads_) {
    StreamThread* raw = t.get();
    t->alive.store(true);
    t->thread = std::thread([this, raw] { RunStreamThread(*raw); });
  }
  if (options_.scaling_interval.count() > 0) {
    observer_thread_ = std::thread([this] { RunObserverThread(); });
  }
  threads_started_.store(true);
  SetState(InstanceState::kRebalancing);
  BROOK_RETURN_IF_ERROR(member_->Start());
  Logger().info("instance of '{}' started: {} stream thread(s), {}, state in {}",
                options_.application_id, options_.num_stream_threads,
                options_.guarantee == ProcessingGuarantee::kExactlyOnceV2 ? "exactly_once_v2"
                                                                          : "at_least_once",
                state_dir_.app_dir().string());
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------
// Restore thread

Status Instance::RestoreCall(std::function<Status(ChangelogReader&)> fn) {
  auto cmd = std::make_shared<RestoreCommand>();
  cmd->fn = std::move(fn);
  std::future<Status> done = cmd->done.get_future();
  {
    std::lock_guard lock(restore_mu_);
    if (restore_stop_ || !restore_thread_.joinable()) {
      // Not running: run inline (start-up/shutdown paths hold no restore-thread state).
      return reader_ ? cmd->fn(*reader_) : Status::Ok();
    }
    restore_commands_.push_back(cmd);
  }
  restore_cv_.notify_all();
  return done.get();
}

void Instance::RunRestoreThread() {
  struct Exit {
    std::atomic<bool>& alive;
    explicit Exit(std::atomic<bool>& a) : alive(a) {}
    Exit(const Exit&) = delete;
    Exit& operator=(const Exit&) = delete;
    ~Exit() { alive.store(false); }
  } exit{restore_alive_};
  while (true) {
    restore_last_loop_ms_.store(WallMs(), std::memory_order_relaxed);
    std::deque<std::shared_ptr<RestoreCommand>> commands;
    {
      std::unique_lock lock(restore_mu_);
      if (reader_->empty()) {
        restore_cv_.wait_for(lock, std::chrono::milliseconds(100),
                             [&] { return restore_stop_ || !restore_commands_.empty(); });
      }
      commands.swap(restore_commands_);
      if (restore_stop_ && commands.empty()) break;
    }
    for (auto& c : commands) c->done.set_value(c->fn(*reader_));
    RetryPendingRegistrations();
    if (!reader_->empty()) {
      const auto started = Clock::now();
      Result<ChangelogPollResult> r = reader_->Poll(std::chrono::milliseconds(50));
      if (!r.ok()) {
        Fail(r.status().WithContext("restore consumer"));
      } else {
        // Busy: polls that applied records (an empty poll mostly waited).
        if (r->records > 0) {
          restore_busy_ns_.fetch_add((Clock::now() - started).count(), std::memory_order_relaxed);
        }
        OnRestored(*r);
      }
    }
    PublishRestoreStats();
  }
}

namespace {
bool Retriable(const Status& s) {
  return s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kTimedOut;
}
}  // namespace

Status Instance::RegisterOrDefer(ChangelogReader& reader, const TaskId& id, TaskStateManager* state,
                                 RestoreMode mode) {
  Status s = reader.Register(id, state, mode);  // not const: returned (moved)
  if (s.ok()) {
    if (mode == RestoreMode::kStandby) restoring_states_[id] = state;
    return s;
  }
  if (!Retriable(s)) return s;
  // E.g. a changelog topic created a moment ago whose leader is not known yet: retry from
  // the restore thread instead of blocking the group thread (and its heartbeats).
  Logger().warn("task {}: restore registration will be retried: {}", id.ToString(), s.ToString());
  const auto now = Clock::now();
  pending_registrations_.push_back(PendingRegistration{.id = id,
                                                       .state = state,
                                                       .mode = mode,
                                                       .next = now + std::chrono::milliseconds(200),
                                                       .deadline = now + std::chrono::seconds(60),
                                                       .backoff = std::chrono::milliseconds(200)});
  return Status::Ok();
}

std::vector<Status> Instance::RegisterAllOrDefer(
    ChangelogReader& reader, const std::vector<std::pair<TaskId, TaskStateManager*>>& tasks,
    RestoreMode mode) {
  std::vector<TaskStateManager*> states;
  states.reserve(tasks.size());
  for (const auto& [id, st] : tasks) states.push_back(st);
  reader.PrefetchWatermarks(states);  // one query for all of them, not one per task
  std::vector<Status> out;
  out.reserve(tasks.size());
  for (const auto& [id, st] : tasks) out.push_back(RegisterOrDefer(reader, id, st, mode));
  reader.ClearPrefetched();
  return out;
}

void Instance::RetryPendingRegistrations() {
  const auto now = Clock::now();
  std::vector<PendingRegistration> keep;
  for (PendingRegistration& p : pending_registrations_) {
    if (now < p.next) {
      keep.push_back(p);
      continue;
    }
    const Status s = reader_->Register(p.id, p.state, p.mode);
    if (s.ok()) {
      if (p.mode == RestoreMode::kStandby) restoring_states_[p.id] = p.state;
      continue;
    }
    if (Retriable(s) && now < p.deadline) {
      p.backoff = std::min<std::chrono::milliseconds>(p.backoff * 2, std::chrono::seconds(2));
      p.next = now + p.backoff;
      keep.push_back(p);
      continue;
    }
    if (p.mode == RestoreMode::kRestoreActive) {
      Fail(s.WithContext("registering task " + p.id.ToString() + " for restore"));
    } else {
      Logger().warn("standby {} not started: {}", p.id.ToString(), s.ToString());
    }
  }
  pending_registrations_ = std::move(keep);
}

void Instance::OnRestored(const ChangelogPollResult& result) {
  for (const auto& [task, status] : result.failed) {
    if (restoring_states_.erase(task) > 0) {
      // A standby that cannot follow its changelog is dropped; the active copy is unaffected.
      Logger().warn("standby {} stopped: {}", task.ToString(), status.ToString());
      continue;
    }
    Fail(status.WithContext("restoring task " + task.ToString()));
  }
  // Hand restored active tasks to their stream threads. The task map may only be read under
  // the gate; the thread index is stable while the task exists, and the thread ignores ids
  // it no longer owns.
  for (const TaskId& id : result.restored) {
    for (auto& t : threads_) {
      std::lock_guard lock(t->inbox_mu);
      t->restored.push_back(id);
    }
  }
}

void Instance::PublishRestoreStats() {
  std::vector<RestoreProgress> progress = reader_->AllProgress();
  restore_tasks_.store(static_cast<int>(progress.size()), std::memory_order_relaxed);
  std::lock_guard lock(snap_mu_);
  for (const auto& [id, st] : restoring_states_) offset_sums_[id] = st->OffsetSum();
  std::erase_if(warmup_rejoin_requested_, [&](const TaskId& id) {
    auto it = standby_status_.find(id);
    return it == standby_status_.end() || it->second.role != TaskRole::kWarmup;
  });
  for (const RestoreProgress& p : progress) {
    auto& statuses = p.mode == RestoreMode::kStandby ? standby_status_ : task_status_;
    auto it = statuses.find(p.task);
    if (it != statuses.end()) {
      it->second.lag = p.lag;
      it->second.restored = p.records_restored;
      it->second.restore_total = p.offsets_total;
      it->second.restore_done = p.offsets_done;
      it->second.restore_eta_seconds = p.eta_seconds.value_or(-1);
    }
  }
  // A warmup that caught up asks for the follow-up rebalance that promotes it.
  const int64_t acceptable = group_options_.assignor.acceptable_recovery_lag;
  for (const RestoreProgress& p : progress) {
    auto it = standby_status_.find(p.task);
    if (it == standby_status_.end() || it->second.role != TaskRole::kWarmup) continue;
    if (p.lag <= acceptable && !warmup_rejoin_requested_.contains(p.task) && member_) {
      warmup_rejoin_requested_.insert(p.task);
      member_->RequestRejoin("warmup " + p.task.ToString() + " caught up (lag " +
                             std::to_string(p.lag) + ")");
    }
  }
}

// ---------------------------------------------------------------------------------------
// Stream threads

void Instance::RunStreamThread(StreamThread& thread) {
  tl_stream_thread = true;
  struct Exit {
    std::atomic<bool>& alive;
    explicit Exit(std::atomic<bool>& a) : alive(a) {}
    Exit(const Exit&) = delete;
    Exit& operator=(const Exit&) = delete;
    ~Exit() { alive.store(false); }
  } exit{thread.alive};
  auto last_notify = Clock::now() - std::chrono::seconds(1);
  while (!stopping_.load()) {
    thread.last_loop_ms.store(NowMs(), std::memory_order_relaxed);
    bool busy = false;
    {
      SharedEntry entry(gate_);
      if (stopping_.load()) break;
      // Busy time: from here to the end of the batch, minus the wait for records in PollInto.
      Clock::time_point mark = Clock::now();
      TakeRestored(thread);
      // Back-pressure at the thread: records are taken from the thread's queue only while
      // its tasks buffer fewer than buffered.records.per.partition per source partition on
      // average; beyond that librdkafka keeps what it fetched (bounded by its own queue
      // limits) until the tasks catch up. Pausing partitions instead made librdkafka drop
      // what it had prefetched for them and fetch it again after the resume: a stall of up
      // to a second per cycle, a third of the throughput.
      size_t buffered = 0;
      size_t partitions = 0;
      for (const TaskId& id : thread.tasks) {
        auto it = active_.find(id);
        if (it != active_.end() && it->second->task) {
          buffered += it->second->task->buffered_records();
          partitions += it->second->partitions.size();
        }
      }
      const bool full = std::cmp_greater_equal(
          buffered, options_.buffered_records_per_partition *
                        static_cast<int64_t>(std::max<size_t>(partitions, 1)));
      const auto wait = buffered > 0 ? std::chrono::milliseconds(0) : options_.poll_interval;
      Status s =
          full ? Status::Ok()
               : PollInto(thread, thread.tasks.empty() ? std::chrono::milliseconds(0) : wait, mark);
      if (s.ok()) s = ProcessTasks(thread);
      if (!s.ok()) {
        Fail(s);
      } else {
        for (const TaskId& id : thread.tasks) {
          auto it = active_.find(id);
          if (it != active_.end() && it->second->task->buffered_records() > 0) busy = true;
        }
      }
      collector_->Poll();
      if (thread.index == 0) rd_kafka_poll(consumer_->get(), 0);  // consumer errors, logs
      UpdateThreadStats(thread);
      thread.busy_ns.fetch_add((Clock::now() - mark).count(), std::memory_order_relaxed);
    }
    if (state_.load() == InstanceState::kError) break;
    if (thread.index == 0 && member_) {
      const auto now = Clock::now();
      if (now - last_notify > std::chrono::milliseconds(200)) {
        member_->NotifyPollProgress();
        last_notify = now;
      }
    }
    bool requested = false;
    if (thread.index == 0) {
      SharedEntry entry(gate_);
      for (auto& [id, t] : active_)
        requested = requested || (t->task && t->task->commit_requested());
    }
    MaybeCommit(requested, thread);
    if (thread.tasks.empty() && !busy) std::this_thread::sleep_for(options_.poll_interval);
  }
}

void Instance::TakeRestored(StreamThread& thread) {
  std::vector<TaskId> ids;
  {
    std::lock_guard lock(thread.inbox_mu);
    ids.swap(thread.restored);
  }
  for (const TaskId& id : ids) {
    auto it = active_.find(id);
    if (it == active_.end() || it->second->thread != thread.index || !it->second->restoring) {
      continue;
    }
    ActiveTask& t = *it->second;
    std::lock_guard query_lock(t.query_mu);  // queries see it restoring or running, never between
    Status s = t.task->CompleteRestoration();
    if (s.ok() && options_.guarantee == ProcessingGuarantee::kExactlyOnceV2) {
      // Under exactly-once the local state runs ahead of what is committed until the next
      // commit: without a checkpoint a crash restores it from the changelog (read_committed).
      std::error_code ec;
      std::filesystem::remove(t.state->task_dir() / std::string(state::kCheckpointFileName), ec);
    }
    if (s.ok()) s = AssignPartitionsLocked(t);
    if (!s.ok()) {
      Fail(s.WithContext("starting task " + id.ToString()));
      continue;
    }
    t.restoring = false;
    restoring_count_.fetch_sub(1);
    t.last_progress_ms = NowMs();
    t.restore_finished_ms = t.last_progress_ms;
    Logger().info("task {} restored ({} records) and running", id.ToString(),
                  t.state->records_restored());
    MaybeFinishRebalance();
  }
}

Status Instance::PollInto(StreamThread& thread, std::chrono::milliseconds timeout,
                          Clock::time_point& busy_mark) {
  std::array<rd_kafka_message_t*, kPollBatch> msgs{};
  // Waiting for records is not busy time.
  thread.busy_ns.fetch_add((Clock::now() - busy_mark).count(), std::memory_order_relaxed);
  const ssize_t n = rd_kafka_consume_batch_queue(thread.queue, static_cast<int>(timeout.count()),
                                                 msgs.data(), msgs.size());
  busy_mark = Clock::now();
  if (n < 0) {
    return Status::Internal("consume from the thread queue: " +
                            client::RdKafkaErrorString(rd_kafka_last_error()));
  }
  // Records grouped by partition, in order. Messages come in runs of one partition: the route
  // is looked up (building the topic name) once per run, not per record.
  struct Batch {
    ActiveTask* task = nullptr;
    group::TopicPartition tp;
    std::vector<ConsumedRecord> records;
  };
  std::vector<Batch> batches;
  const rd_kafka_topic_t* run_rkt = nullptr;
  int32_t run_partition = -1;
  Batch* run = nullptr;  // nullptr: the run's partition is not this thread's
  for (ssize_t i = 0; i < n; ++i) {
    rd_kafka_message_t* m = msgs[static_cast<size_t>(i)];
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        Logger().warn("consumer: topic '{}' partition {}: {}",
                      m->rkt ? rd_kafka_topic_name(m->rkt) : "?", m->partition,
                      rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    if (i == 0 || m->rkt != run_rkt || m->partition != run_partition) {
      run_rkt = m->rkt;
      run_partition = m->partition;
      group::TopicPartition tp{rd_kafka_topic_name(m->rkt), m->partition};
      auto route = thread.routes.find(tp);
      run = nullptr;
      if (route != thread.routes.end()) {
        auto b = std::find_if(batches.begin(), batches.end(),
                              [&](const Batch& x) { return x.tp == tp; });
        if (b == batches.end()) {
          // Reserved up front: run must stay valid while later batches are added.
          if (batches.empty()) batches.reserve(thread.routes.size());
          batches.push_back(Batch{.task = route->second, .tp = std::move(tp), .records = {}});
          b = std::prev(batches.end());
          b->records.reserve(static_cast<size_t>(n - i));  // at most the rest of the poll
        }
        run = &*b;
      }
    }
    if (run == nullptr) {  // a partition this thread no longer owns
      rd_kafka_message_destroy(m);
      continue;
    }
    ConsumedRecord r;
    r.topic = run->tp.topic;
    r.partition = run->tp.partition;
    r.offset = m->offset;
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    r.timestamp_ms = rd_kafka_message_timestamp(m, &type);
    if (m->key != nullptr) r.key.emplace(static_cast<const char*>(m->key), m->key_len);
    if (m->payload != nullptr) r.value.emplace(static_cast<const char*>(m->payload), m->len);
    r.headers = client::MessageHeaders(m);
    run->records.push_back(std::move(r));
    rd_kafka_message_destroy(m);
  }
  for (Batch& b : batches) {
    const size_t count = b.records.size();
    BROOK_RETURN_IF_ERROR(b.task->task->AddRecords(b.tp, std::move(b.records)));
    b.task->consumed += count;
    consumed_.fetch_add(count, std::memory_order_relaxed);
    for (PartitionHandle& ph : b.task->partitions) {
      if (ph.tp == b.tp) ph.consumed += count;
    }
  }
  return Status::Ok();
}

Status Instance::ProcessTasks(StreamThread& thread) {
  const int64_t now = NowMs();
  for (const TaskId& id : thread.tasks) {
    auto it = active_.find(id);
    if (it == active_.end()) continue;
    ActiveTask& t = *it->second;
    if (t.restoring || t.task->state() != TaskState::kRunning) continue;
    std::lock_guard query_lock(t.query_mu);  // queries read the stores between batches
    const auto started = Clock::now();
    for (PartitionHandle& ph : t.partitions) ph.buffered_before = t.task->BufferedRecords(ph.tp);
    const uint64_t before = t.task->processed_records() + t.task->skipped_records();
    const uint64_t dropped_before = t.task->dropped_records();
    for (int i = 0; i < kProcessPerTask; ++i) {
      BROOK_ASSIGN_OR_RETURN(bool did, t.task->Process());
      if (!did) break;
    }
    BROOK_ASSIGN_OR_RETURN(bool punctuated, t.task->MaybePunctuateWallClock(now));
    (void)punctuated;
    const uint64_t after = t.task->processed_records() + t.task->skipped_records();
    processed_.fetch_add(after - before);
    if (const uint64_t d = t.task->dropped_records() - dropped_before; d != 0) {
      dropped_.fetch_add(d, std::memory_order_relaxed);
    }
    // A stall: records were waiting (the task ended its last turn with a backlog) and no
    // progress was made since — e.g. the thread was held by a commit or a rebalance.
    if (t.had_backlog) t.max_stall_ms = std::max(t.max_stall_ms, now - t.last_progress_ms);
    if (after != before || t.task->buffered_records() == 0) t.last_progress_ms = now;
    t.had_backlog = t.task->buffered_records() > 0;
    TrackPartitionProgress(t, now);
    t.busy_ns += (Clock::now() - started).count();
  }
  return Status::Ok();
}

void Instance::TrackPartitionProgress(ActiveTask& t, int64_t now_ms) {
  for (PartitionHandle& ph : t.partitions) {
    const int64_t ended = ph.stall.Turn(ph.buffered_before, t.task->BufferedRecords(ph.tp), now_ms);
    if (static_cast<double>(ended) >= metrics::kStallThresholdSeconds * 1000) {
      metrics_->ObserveStall(static_cast<double>(ended) / 1000.0);
    }
  }
}

void Instance::UpdateThreadStats(StreamThread& thread) {
  // The consumer's cached high watermarks (updated by each fetch), read at most every 100 ms.
  const int64_t now = NowMs();
  const bool read_watermarks = now - thread.last_watermark_ms >= 100;
  if (read_watermarks) {
    thread.last_watermark_ms = now;
    for (const TaskId& id : thread.tasks) {
      auto it = active_.find(id);
      if (it == active_.end()) continue;
      for (PartitionHandle& ph : it->second->partitions) {
        int64_t low = 0;
        int64_t high = 0;
        if (rd_kafka_get_watermark_offsets(consumer_->get(), ph.tp.topic.c_str(), ph.tp.partition,
                                           &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            high >= 0) {
          ph.end_offset = high;
        }
      }
    }
  }
  thread.task_count.store(static_cast<int>(thread.tasks.size()), std::memory_order_relaxed);
  std::lock_guard lock(snap_mu_);
  for (const TaskId& id : thread.tasks) {
    auto it = active_.find(id);
    if (it == active_.end()) continue;
    const ActiveTask& t = *it->second;
    TaskStatus& s = task_status_[id];
    s.id = id;
    s.role = TaskRole::kActive;
    s.restoring = t.restoring;
    s.restore_started_ms = t.restore_started_ms;
    s.restore_finished_ms = t.restore_finished_ms;
    // The restore thread publishes progress periodically; a restore shorter than that
    // period would show 0 (records_restored() is atomic).
    s.restored = std::max<uint64_t>(s.restored, t.state->records_restored());
    s.processed = t.task->processed_records();
    s.dropped = t.task->dropped_records();
    s.max_stall_ms = t.max_stall_ms;
    s.last_progress_ms = t.last_progress_ms;
    s.consumed = t.consumed;
    s.skipped = t.task->skipped_records();
    s.busy_seconds = static_cast<double>(t.busy_ns) / 1e9;
    s.punctuations = t.task->punctuations();
    if (!t.restoring) {
      s.lag = 0;
      s.restore_eta_seconds = -1;
    }
    // Resized in place: no allocation once the partitions are known.
    s.partitions.resize(t.partitions.size());
    s.waiting_since_ms.resize(t.partitions.size());
    for (size_t i = 0; i < t.partitions.size(); ++i) {
      const PartitionHandle& ph = t.partitions[i];
      StreamsPartitionInfo& p = s.partitions[i];
      if (p.topic != ph.tp.topic) p.topic = ph.tp.topic;
      p.partition = ph.tp.partition;
      p.consumed = ph.consumed;
      p.position = t.task->Position(ph.tp);
      if (p.position < 0) {
        auto start = t.start_offsets.find(ph.tp);
        if (start != t.start_offsets.end()) p.position = start->second;
      }
      p.end_offset = ph.end_offset;
      p.buffered = t.task->BufferedRecords(ph.tp);
      p.max_stall_ms = ph.stall.max_stall_ms;
      s.waiting_since_ms[i] = ph.stall.waiting_since_ms();
    }
  }
}

// ---------------------------------------------------------------------------------------
// Commits

void Instance::ObserveCommit(Clock::time_point started) {
  metrics_->ObserveCommit(std::chrono::duration<double>(Clock::now() - started).count());
}

void Instance::MaybeCommit(bool requested, StreamThread& thread) {
  if (!requested && Clock::now() - last_commit_ < options_.commit_interval) return;
  std::map<group::TopicPartition, int64_t> offsets;
  Clock::time_point started;
  {
    ExclusiveEntry entry(gate_);
    if (stopping_.load() || state_.load() == InstanceState::kError) return;
    if (!requested && Clock::now() - last_commit_ < options_.commit_interval) return;
    started = Clock::now();
    const Status s = CommitAllLocked("interval", &offsets);
    if (!s.ok()) Logger().warn("commit failed: {}", s.ToString());
  }
  // The offset commit goes through the group thread, which may be waiting for the gate in a
  // rebalance callback or for a JoinGroup/SyncGroup answer (seconds, while the other members
  // rejoin): queue it and go on processing (the member never lets an offset go back, so a
  // callback's newer commit in between is not undone). A commit that fails (stale
  // generation) is repaired by the next one, the revocation's or the shutdown's, which
  // commit every task (CommitAllLocked with all=true); until then a crash replays more.
  if (!offsets.empty() && member_) {
    member_->CommitOffsetsAsync(offsets, OpTimeout(), [](const Status& s) {
      if (!s.ok()) Logger().warn("offset commit (interval) failed: {}", s.ToString());
    });
  }
  thread.busy_ns.fetch_add((Clock::now() - started).count(), std::memory_order_relaxed);
  ObserveCommit(started);
}

Status Instance::CommitAllLocked(std::string_view why,
                                 std::map<group::TopicPartition, int64_t>* deferred, bool all) {
  last_commit_ = Clock::now();
  if (state_.load() == InstanceState::kError) {
    return Status::FailedPrecondition("not committing: the instance failed");
  }
  const bool eos = options_.guarantee == ProcessingGuarantee::kExactlyOnceV2;
  std::map<group::TopicPartition, int64_t> offsets;
  std::vector<ActiveTask*> committed;
  for (auto& [id, t] : active_) {
    if (t->restoring || !t->task) continue;
    if (!t->task->commit_needed() && !eos && !all) continue;
    for (const auto& [tp, off] : t->task->CommittableOffsets()) offsets[tp] = off;
    committed.push_back(t.get());
  }
  Status flushed = collector_->Flush(OpTimeout());
  if (!flushed.ok()) {
    FailLocked(flushed.WithContext("flushing the producer before a commit"));
    return flushed;
  }
  if (eos) {
    group::MemberStatus ms = member_ ? member_->status() : group::MemberStatus{};
    TxnGroup g{.group_id = options_.application_id,
               .generation = ms.generation,
               .member_id = ms.member_id,
               .group_instance_id = group_options_.group_instance_id.value_or("")};
    Status s = collector_->CommitTransaction(offsets, g, OpTimeout());
    if (!s.ok()) {
      if (s.code() == StatusCode::kFailedPrecondition) {
        FailLocked(s);
        return s;
      }
      // Abortable (e.g. a stale generation): nothing of this transaction becomes visible.
      Logger().warn("exactly-once commit failed, aborting the transaction: {}", s.ToString());
      Status a = collector_->AbortTransaction(OpTimeout());
      collector_->ResetAfterAbort();
      CloseAllActiveLocked(/*clean=*/false);
      if (!a.ok()) {
        FailLocked(a);
        return a;
      }
      if (Status b = collector_->BeginTransaction(); !b.ok()) {
        FailLocked(b);
        return b;
      }
      if (member_) member_->RequestRejoin("exactly-once commit aborted");
      return s;
    }
    if (Status b = collector_->BeginTransaction(); !b.ok()) {
      FailLocked(b);
      return b;
    }
  } else {
    const auto acked = collector_->AckedOffsets();
    for (ActiveTask* t : committed) {
      Status s = t->state->Checkpoint(WrittenOffsets(*t, acked));
      if (!s.ok()) {
        FailLocked(s.WithContext("checkpointing task " + t->id.ToString()));
        return s;
      }
    }
    if (deferred != nullptr) {
      *deferred = offsets;
    } else if (!offsets.empty() && member_) {
      Status s = member_->CommitOffsets(offsets, OpTimeout());
      if (!s.ok()) {
        // A stale generation: the tasks will be reported lost; nothing more to do here.
        Logger().warn("offset commit ({}) failed: {}", why, s.ToString());
        return s;
      }
    }
  }
  {
    std::lock_guard lock(snap_mu_);
    for (ActiveTask* t : committed) offset_sums_[t->id] = t->state->OffsetSum();
  }
  for (ActiveTask* t : committed) t->task->MarkCommitted();
  commits_.fetch_add(1);
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------
// Task management (gate held exclusively)

state::CheckpointOffsets Instance::WrittenOffsets(
    const ActiveTask& t, const std::map<group::TopicPartition, int64_t>& acked) const {
  // The producer's acknowledgements cover this process's lifetime: after the task moved away
  // and came back they can be older than what was restored since, so never go back.
  const state::CheckpointOffsets positions = t.state->Positions();
  state::CheckpointOffsets written;
  for (const auto& cp : t.changelogs) {
    auto a = acked.find(group::TopicPartition{cp.topic, cp.partition});
    if (a == acked.end()) continue;
    auto p = positions.find(cp);
    written[cp] = p == positions.end() ? a->second : std::max(a->second, p->second);
  }
  return written;
}

Status Instance::AssignPartitionsLocked(ActiveTask& t) {
  StreamThread& thread = *threads_.at(t.thread);
  ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(t.task->partitions().size())));
  for (const group::TopicPartition& tp : t.task->partitions()) {
    PartitionHandle ph;
    ph.tp = tp;
    ph.stall.Reset(NowMs());
    ph.queue = rd_kafka_queue_get_partition(consumer_->get(), tp.topic.c_str(), tp.partition);
    if (ph.queue == nullptr) {
      return Status::Internal("no queue for topic '" + tp.topic + "' partition " +
                              std::to_string(tp.partition));
    }
    rd_kafka_queue_forward(ph.queue, thread.queue);
    auto it = t.start_offsets.find(tp);
    // Internal topics hold only this application's records: never skip any of them.
    const bool earliest =
        options_.reset_to_earliest || topology_->FindInternalTopic(tp.topic) != nullptr;
    int64_t offset = earliest ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    if (it != t.start_offsets.end()) offset = it->second;
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
    t.partitions.push_back(ph);
    thread.routes[tp] = &t;
  }
  ErrorPtr e(rd_kafka_incremental_assign(consumer_->get(), list.get()));
  if (e) {
    return Status::Internal(std::string("assigning the partitions of task ") + t.id.ToString() +
                            ": " + rd_kafka_error_string(e.get()));
  }
  t.assigned = true;
  return Status::Ok();
}

void Instance::UnassignPartitionsLocked(ActiveTask& t) {
  StreamThread& thread = *threads_.at(t.thread);
  if (t.assigned) {
    ListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(t.partitions.size())));
    for (const PartitionHandle& ph : t.partitions) {
      rd_kafka_topic_partition_list_add(list.get(), ph.tp.topic.c_str(), ph.tp.partition);
    }
    ErrorPtr e(rd_kafka_incremental_unassign(consumer_->get(), list.get()));
    if (e)
      Logger().warn("unassigning task {}: {}", t.id.ToString(), rd_kafka_error_string(e.get()));
  }
  for (PartitionHandle& ph : t.partitions) {
    if (ph.queue != nullptr) {
      rd_kafka_queue_forward(ph.queue, nullptr);
      rd_kafka_queue_destroy(ph.queue);
    }
    thread.routes.erase(ph.tp);
  }
  t.partitions.clear();
  t.assigned = false;
}

void Instance::CloseActiveLocked(const TaskId& id, bool clean) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  ActiveTask& t = *it->second;
  if (t.restoring) {
    restoring_count_.fetch_sub(1);
    const Status u = RestoreCall([this, id](ChangelogReader& r) {
      restoring_states_.erase(id);
      std::erase_if(pending_registrations_,
                    [&](const PendingRegistration& p) { return p.id == id; });
      return r.Unregister(id);
    });
    if (!u.ok())
      Logger().warn("unregistering task {} from restore: {}", id.ToString(), u.ToString());
  }
  UnassignPartitionsLocked(t);
  if (t.task) {
    if (t.task->state() != TaskState::kSuspended && t.task->state() != TaskState::kClosed) {
      const Status s = t.task->Suspend();
      if (!s.ok()) Logger().warn("suspending task {}: {}", id.ToString(), s.ToString());
    }
    if (t.task->state() == TaskState::kSuspended) {
      const Status s = t.task->Close();
      if (!s.ok()) Logger().warn("closing task {}: {}", id.ToString(), s.ToString());
    }
  }
  if (t.state) {
    // A clean close checkpoints the committed state; a dirty one leaves the last checkpoint
    // (at-least-once: replaying the changelog from there is idempotent). Under exactly-once a
    // dirty close leaves no checkpoint at all (removed when the task started).
    const bool checkpoint = clean && state_.load() != InstanceState::kError;
    if (checkpoint && !t.restoring) {
      const Status c = t.state->Checkpoint(WrittenOffsets(t, collector_->AckedOffsets()));
      if (!c.ok()) Logger().warn("checkpointing task {}: {}", id.ToString(), c.ToString());
    }
    const int64_t sum = t.state->OffsetSum();
    const Status s = t.state->Close(checkpoint && t.restoring);
    if (!s.ok()) Logger().warn("closing the state of task {}: {}", id.ToString(), s.ToString());
    std::lock_guard lock(snap_mu_);
    if (checkpoint) {
      offset_sums_[id] = sum;
    } else {
      offset_sums_.erase(id);
    }
  }
  StreamThread& thread = *threads_.at(t.thread);
  std::erase(thread.tasks, id);
  {
    std::lock_guard lock(snap_mu_);
    task_status_.erase(id);
  }
  active_.erase(it);
}

void Instance::CloseAllActiveLocked(bool clean) {
  std::vector<TaskId> ids;
  for (const auto& [id, t] : active_) ids.push_back(id);
  for (const TaskId& id : ids) CloseActiveLocked(id, clean);
}

Status Instance::CreateActiveLocked(
    const TaskId& id, const std::map<group::TopicPartition, int64_t>& committed,
    std::vector<std::pair<TaskId, TaskStateManager*>>* to_register) {
  const SubtopologySpec* sub = topology_->Find(id.subtopology);
  if (sub == nullptr)
    return Status::InvalidArgument("unknown sub-topology in task " + id.ToString());
  // A local standby or warmup of the task becomes the active: close it first (checkpoint),
  // then reopen as active; restore continues from its position.
  if (auto sb = standbys_.find(id); sb != standbys_.end()) {
    const Status u = RestoreCall([this, id](ChangelogReader& r) {
      restoring_states_.erase(id);
      std::erase_if(pending_registrations_,
                    [&](const PendingRegistration& p) { return p.id == id; });
      return r.Unregister(id);
    });
    if (!u.ok()) Logger().warn("unregistering standby {}: {}", id.ToString(), u.ToString());
    const Status c = sb->second->state->Close(true);
    if (!c.ok()) Logger().warn("closing standby {}: {}", id.ToString(), c.ToString());
    standbys_.erase(sb);
    std::lock_guard lock(snap_mu_);
    standby_status_.erase(id);
  }
  auto t = std::make_unique<ActiveTask>();
  t->id = id;
  // The least loaded thread.
  size_t best = 0;
  for (size_t i = 1; i < threads_.size(); ++i) {
    if (threads_[i]->tasks.size() < threads_[best]->tasks.size()) best = i;
  }
  t->thread = best;
  TaskStateOptions so;
  so.collector = collector_.get();
  ActiveTask* raw = t.get();
  so.timestamps = [raw]() -> int64_t {
    return raw->task ? std::max<int64_t>(0, raw->task->current_timestamp_ms()) : WallMs();
  };
  BROOK_ASSIGN_OR_RETURN(t->state, TaskStateManager::Open(id, sub->stores, options_.application_id,
                                                          state_dir_, std::move(so)));
  t->changelogs = t->state->ChangelogPartitions();
  StreamTaskOptions to;
  to.application_id = options_.application_id;
  // Sinks with a partitioner: the broker's metadata, asked once per topic and task (also for
  // topics only a TopicNameExtractor names).
  to.partition_count =
      [counts = group_options_.partition_counts](std::string_view topic) -> Result<int32_t> {
    const std::string name(topic);
    BROOK_ASSIGN_OR_RETURN(const auto found, counts({name}));
    auto it = found.find(name);
    if (it == found.end()) return Status::NotFound("topic '" + name + "' has no partition count");
    return it->second;
  };
  const ErrorHandling handling = options_.deserialization_errors;
  KafkaCollector* collector = collector_.get();
  std::atomic<uint64_t>* skipped = &skipped_;
  to.on_punctuation = [m = metrics_.get()](double seconds) { m->ObservePunctuation(seconds); };
  to.deserialization_handler = [handling, collector, skipped](const ConsumedRecord& r,
                                                              const Status& error) {
    switch (handling) {
      case ErrorHandling::kFail:
        return HandlerDecision::kFail;
      case ErrorHandling::kLogAndContinue:
        skipped->fetch_add(1);
        Logger().warn("skipping record topic '{}' partition {} offset {}: {}", r.topic, r.partition,
                      r.offset, error.message());
        return HandlerDecision::kContinue;
      case ErrorHandling::kDeadLetter: {
        const Status s = collector->SendDeadLetter(
            DeadLetter{.topic = r.topic,
                       .partition = r.partition,
                       .offset = r.offset,
                       .key = r.key ? std::optional<std::string_view>(*r.key) : std::nullopt,
                       .value = r.value ? std::optional<std::string_view>(*r.value) : std::nullopt,
                       .timestamp_ms = r.timestamp_ms,
                       .headers = &r.headers,
                       .stage = "deserialization",
                       .error = error.message()});
        if (!s.ok()) {
          Logger().error("dead-lettering topic '{}' partition {} offset {} failed: {}", r.topic,
                         r.partition, r.offset, s.ToString());
          return HandlerDecision::kFail;
        }
        return HandlerDecision::kContinue;
      }
    }
    return HandlerDecision::kFail;
  };
  BROOK_ASSIGN_OR_RETURN(t->task,
                         StreamTask::Create(id, topology_, *collector_, *t->state, std::move(to)));
  for (const group::TopicPartition& tp : t->task->partitions()) {
    auto it = committed.find(tp);
    if (it != committed.end()) t->start_offsets[tp] = it->second;
  }
  threads_[best]->tasks.push_back(id);
  t->last_progress_ms = NowMs();
  const bool needs_restore = !t->changelogs.empty();
  if (needs_restore) t->restore_started_ms = t->last_progress_ms;
  ActiveTask& ref = *t;
  active_.emplace(id, std::move(t));
  {
    std::lock_guard lock(snap_mu_);
    task_status_[id] = TaskStatus{.id = id,
                                  .role = TaskRole::kActive,
                                  .restoring = needs_restore,
                                  .restore_started_ms = ref.restore_started_ms};
  }
  BROOK_RETURN_IF_ERROR(ref.task->StartRestoring());
  if (needs_restore) {
    ref.restoring = true;
    restoring_count_.fetch_add(1);
    to_register->emplace_back(id, ref.state.get());
    return Status::Ok();
  }
  BROOK_RETURN_IF_ERROR(ref.task->CompleteRestoration());
  return AssignPartitionsLocked(ref);
}

void Instance::UpdateStandbysLocked(const std::set<TaskId>& standby,
                                    const std::set<TaskId>& warmup) {
  std::set<TaskId> wanted = standby;
  wanted.insert(warmup.begin(), warmup.end());
  // Drop standbys no longer assigned (or now active).
  std::vector<TaskId> drop;
  for (const auto& [id, sb] : standbys_) {
    if (!wanted.contains(id) || active_.contains(id)) drop.push_back(id);
  }
  for (const TaskId& id : drop) {
    auto& sb = standbys_.at(id);
    const Status u = RestoreCall([this, id](ChangelogReader& r) {
      restoring_states_.erase(id);
      std::erase_if(pending_registrations_,
                    [&](const PendingRegistration& p) { return p.id == id; });
      return r.Unregister(id);
    });
    if (!u.ok()) Logger().warn("unregistering standby {}: {}", id.ToString(), u.ToString());
    const int64_t sum = sb->state->OffsetSum();
    const Status c = sb->state->Close(true);
    if (!c.ok()) Logger().warn("closing standby {}: {}", id.ToString(), c.ToString());
    standbys_.erase(id);
    std::lock_guard lock(snap_mu_);
    standby_status_.erase(id);
    offset_sums_[id] = sum;
  }
  std::vector<std::unique_ptr<StandbyTask>> opened;  // registered below in one restore call
  for (const TaskId& id : wanted) {
    if (active_.contains(id)) continue;
    auto existing = standbys_.find(id);
    if (existing != standbys_.end()) {
      existing->second->warmup = warmup.contains(id);
      std::lock_guard lock(snap_mu_);
      standby_status_[id].role = warmup.contains(id) ? TaskRole::kWarmup : TaskRole::kStandby;
      continue;
    }
    const SubtopologySpec* sub = topology_->Find(id.subtopology);
    if (sub == nullptr || !sub->stateful()) continue;
    Result<std::unique_ptr<TaskStateManager>> st =
        TaskStateManager::Open(id, sub->stores, options_.application_id, state_dir_, {});
    if (!st.ok()) {
      Logger().warn("opening standby {}: {}", id.ToString(), st.status().ToString());
      continue;
    }
    auto sb = std::make_unique<StandbyTask>();
    sb->id = id;
    sb->state = std::move(st).value();
    sb->warmup = warmup.contains(id);
    opened.push_back(std::move(sb));
  }
  if (opened.empty()) return;
  std::vector<std::pair<TaskId, TaskStateManager*>> tasks;
  tasks.reserve(opened.size());
  for (const std::unique_ptr<StandbyTask>& sb : opened) tasks.emplace_back(sb->id, sb->state.get());
  std::vector<Status> registered;
  (void)RestoreCall([this, &tasks, &registered](ChangelogReader& reader) {
    registered = RegisterAllOrDefer(reader, tasks, RestoreMode::kStandby);
    return Status::Ok();
  });
  for (std::size_t i = 0; i < opened.size(); ++i) {
    std::unique_ptr<StandbyTask>& sb = opened[i];
    const TaskId id = sb->id;
    if (!registered[i].ok()) {
      Logger().warn("starting standby {}: {}", id.ToString(), registered[i].ToString());
      (void)sb->state->Close(false);
      continue;
    }
    {
      std::lock_guard lock(snap_mu_);
      standby_status_[id] =
          TaskStatus{.id = id, .role = sb->warmup ? TaskRole::kWarmup : TaskRole::kStandby};
    }
    standbys_.emplace(id, std::move(sb));
  }
}

// ---------------------------------------------------------------------------------------
// Group callbacks (group thread)

group::LocalState Instance::GetLocalState() {
  BeginRebalance();  // the member is about to join: a rebalance starts
  group::LocalState ls;
  std::lock_guard lock(snap_mu_);
  ls.task_offset_sums = offset_sums_;
  return ls;
}

void Instance::OnTasksRevoked(const std::set<TaskId>& tasks) {
  BeginRebalance();
  NoteRebalanceMoves({}, tasks);
  ExclusiveEntry entry(gate_);
  SetState(InstanceState::kRebalancing);
  if (state_.load() != InstanceState::kError) {
    const auto started = Clock::now();
    const Status s = CommitAllLocked("revocation", nullptr, /*all=*/true);
    ObserveCommit(started);
    if (!s.ok())
      Logger().warn("commit before revoking {}: {}", group::TaskSetString(tasks), s.ToString());
  }
  for (const TaskId& id : tasks) CloseActiveLocked(id, /*clean=*/true);
}

void Instance::OnTasksLost(const std::set<TaskId>& tasks) {
  BeginRebalance();
  NoteRebalanceMoves({}, tasks);
  assigned_.store(false);
  ExclusiveEntry entry(gate_);
  SetState(InstanceState::kRebalancing);
  if (options_.guarantee == ProcessingGuarantee::kExactlyOnceV2) {
    // Everything since the last commit belongs to the open transaction: abort it and rewind
    // every task (they all wrote into it).
    const Status a = collector_->AbortTransaction(OpTimeout());
    collector_->ResetAfterAbort();
    CloseAllActiveLocked(/*clean=*/false);
    if (!a.ok()) {
      FailLocked(a);
      return;
    }
    if (Status b = collector_->BeginTransaction(); !b.ok()) FailLocked(b);
    return;
  }
  for (const TaskId& id : tasks) CloseActiveLocked(id, /*clean=*/false);
}

void Instance::OnAssignment(const group::GroupAssignment& assignment) {
  BeginRebalance();
  ExclusiveEntry entry(gate_);
  if (state_.load() == InstanceState::kError || stopping_.load()) return;
  generation_ = assignment.generation;
  member_id_ = assignment.member_id;
  {
    std::lock_guard lock(routing_mu_);
    routing_.assigned = true;
    routing_.generation = assignment.generation;
    routing_.host_map = assignment.host_map;
    routing_.local_active = assignment.active;
  }
  // Tasks we run that are no longer ours (eager revokes them earlier; this is a safety net).
  std::vector<TaskId> gone;
  for (const auto& [id, t] : active_) {
    if (!assignment.active.contains(id)) gone.push_back(id);
  }
  for (const TaskId& id : gone) CloseActiveLocked(id, /*clean=*/true);
  std::vector<TaskId> fresh;
  for (const TaskId& id : assignment.active) {
    if (!active_.contains(id)) fresh.push_back(id);
  }
  if (!fresh.empty()) {
    std::vector<group::TopicPartition> partitions =
        group::PartitionsOf(group_options_.topology, std::set<TaskId>(fresh.begin(), fresh.end()));
    Result<std::map<group::TopicPartition, int64_t>> committed =
        member_->FetchCommittedOffsets(partitions, OpTimeout());
    if (!committed.ok()) {
      // Without the committed offsets the tasks cannot start correctly; rejoin and retry.
      Logger().warn("fetching committed offsets: {}", committed.status().ToString());
      member_->RequestRejoin("offset fetch failed");
      return;
    }
    std::vector<std::pair<TaskId, TaskStateManager*>> to_register;
    for (const TaskId& id : fresh) {
      Status s = CreateActiveLocked(id, *committed, &to_register);
      if (!s.ok()) {
        FailLocked(s.WithContext("creating task " + id.ToString()));
        return;
      }
    }
    if (!to_register.empty()) {
      const Status s = RestoreCall([this, &to_register](ChangelogReader& r) {
        const std::vector<Status> registered =
            RegisterAllOrDefer(r, to_register, RestoreMode::kRestoreActive);
        for (size_t i = 0; i < registered.size(); ++i) {
          if (!registered[i].ok()) {
            return registered[i].WithContext("registering task " + to_register[i].first.ToString());
          }
        }
        return Status::Ok();
      });
      if (!s.ok()) {
        FailLocked(s.WithContext("starting restores"));
        return;
      }
    }
  }
  warmups_ = assignment.warmup;
  UpdateStandbysLocked(assignment.standby, assignment.warmup);
  assigned_.store(true);
  {
    std::lock_guard lock(rebalance_mu_);
    if (open_rebalance_) {
      open_rebalance_->assigned = true;
      open_rebalance_->info.generation = assignment.generation;
      open_rebalance_->info.active = static_cast<int>(active_.size());
    }
  }
  NoteRebalanceMoves(std::set<TaskId>(fresh.begin(), fresh.end()),
                     std::set<TaskId>(gone.begin(), gone.end()));
  MaybeFinishRebalance();
  // Warmups that are promoted or dropped may ask again next time.
  SetState(InstanceState::kRunning);
  Logger().info("generation {}: active {} standby {} warmup {}", assignment.generation,
                group::TaskSetString(assignment.active), group::TaskSetString(assignment.standby),
                group::TaskSetString(assignment.warmup));
}

void Instance::OnFatalError(const Status& error) {
  Fail(error.WithContext("group membership"));
}

// ---------------------------------------------------------------------------------------
// Failure, status, shutdown

void Instance::FailLocked(const Status& error) {
  Fail(error);
}

void Instance::Fail(const Status& error) {
  {
    std::lock_guard lock(snap_mu_);
    if (!error_.ok()) return;
    error_ = error;
  }
  Logger().error("instance failed: {}", error.ToString());
  SetState(InstanceState::kError);
}

InstanceStatus Instance::status() const {
  InstanceStatus s;
  s.state = state_.load();
  s.now_ms = NowMs();
  s.application_id = options_.application_id;
  s.instance_id = group_options_.group_instance_id.value_or(group_options_.process_id);
  s.process_start_ms = process_start_ms_;
  s.assigned = assigned_.load();
  s.consumed = consumed_.load(std::memory_order_relaxed);
  const size_t threads = threads_started_.load() ? threads_.size() : 0;
  for (size_t i = 0; i < threads; ++i) {
    const StreamThread* t = threads_[i].get();
    StreamsThreadInfo info{
        .name = "stream-" + std::to_string(t->index),
        .alive = t->alive.load(),
        .last_loop_ms = t->last_loop_ms.load(std::memory_order_relaxed),
        .busy_seconds = static_cast<double>(t->busy_ns.load(std::memory_order_relaxed)) / 1e9,
        .tasks = t->task_count.load(std::memory_order_relaxed)};
    s.busy_seconds += info.busy_seconds;
    s.threads.push_back(std::move(info));
  }
  if (threads_started_.load()) {
    s.threads.push_back(StreamsThreadInfo{
        .name = "restore",
        .alive = restore_alive_.load(),
        .last_loop_ms = restore_last_loop_ms_.load(std::memory_order_relaxed),
        .busy_seconds = static_cast<double>(restore_busy_ns_.load(std::memory_order_relaxed)) / 1e9,
        .tasks = restore_tasks_.load(std::memory_order_relaxed)});
  }
  {
    std::lock_guard lock(rebalance_mu_);
    s.recent_rebalances.assign(rebalances_.begin(), rebalances_.end());
    if (open_rebalance_) s.recent_rebalances.push_back(open_rebalance_->info);
  }
  std::map<group::TopicPartition, int64_t> probed;
  std::map<TaskId, int64_t> state_bytes;
  {
    std::lock_guard lock(observed_mu_);
    probed = probed_end_offsets_;
    state_bytes = state_bytes_;
    if (decision_) {
      s.scaling = StreamsScalingInfo{.desired_replicas = decision_->desired,
                                     .current_replicas = decision_->current_replicas,
                                     .basis = std::string(scaling::BasisName(decision_->basis)),
                                     .reason = decision_->reason};
    }
  }
  s.processed = processed_.load();
  s.skipped = skipped_.load();
  s.dropped = dropped_.load();
  s.commits = commits_.load();
  if (collector_) s.dead_lettered = collector_->stats().dead_lettered;
  if (reader_) s.restored = reader_->total_records_restored();
  if (member_) {
    const group::MemberStatus ms = member_->status();
    s.member_id = ms.member_id;
    s.generation = ms.generation;
    s.rebalances = ms.rebalances;
  }
  {
    std::lock_guard lock(snap_mu_);
    if (!error_.ok()) s.error = error_.ToString();
    for (const auto& [id, t] : task_status_) s.tasks.push_back(t);
    for (const auto& [id, t] : standby_status_) s.tasks.push_back(t);
  }
  for (TaskStatus& t : s.tasks) {
    if (auto b = state_bytes.find(t.id); b != state_bytes.end()) t.state_bytes = b->second;
    if (t.role != TaskRole::kActive) continue;
    // Lag = end - position; the end is the newer of the consumer's cached high watermark and
    // the observer thread's read (a partition not fetched for a while has an old watermark).
    for (size_t i = 0; i < t.partitions.size(); ++i) {
      StreamsPartitionInfo& p = t.partitions[i];
      auto probe = probed.find(group::TopicPartition{p.topic, p.partition});
      metrics::CompletePartition(p, probe != probed.end() ? probe->second : -1,
                                 i < t.waiting_since_ms.size() ? t.waiting_since_ms[i] : -1,
                                 s.now_ms);
    }
    t.input_lag = metrics::InputLag(t.partitions);
  }
  std::sort(s.tasks.begin(), s.tasks.end(), [](const TaskStatus& a, const TaskStatus& b) {
    return a.id != b.id ? a.id < b.id : a.role < b.role;
  });
  return s;
}

bool Instance::WaitFor(const std::function<bool(const InstanceStatus&)>& pred,
                       std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (pred(status())) return true;
    if (Clock::now() >= deadline) return false;
    std::unique_lock lock(snap_mu_);
    snap_cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

void Instance::SetDraining(bool draining) {
  draining_.store(draining);
  if (member_) member_->SetDraining(draining);
}

std::chrono::milliseconds Instance::OpTimeout() const {
  return std::chrono::milliseconds(op_timeout_ms_.load());
}

Status Instance::Close(std::chrono::milliseconds timeout, bool leave) {
  if (closed_.exchange(true)) return Status::Ok();
  if (http_) http_->Stop();  // no query reads a store from here on
  {
    std::lock_guard lock(observer_mu_);
    observer_stop_ = true;
  }
  observer_cv_.notify_all();
  if (observer_thread_.joinable()) observer_thread_.join();
  // Every commit, flush and transaction step of the shutdown is bounded by the grace period
  // (further bounded by the broker round trips; the member's LeaveGroup has its own timeout).
  op_timeout_ms_.store(std::max<int64_t>(1, timeout.count()));
  if (!started_.load()) {
    SetState(InstanceState::kNotRunning);
    return Status::Ok();
  }
  const bool failed = state_.load() == InstanceState::kError;
  SetState(InstanceState::kPendingShutdown);
  Status result;
  // First the stream threads stop (an interval commit they started, whose OffsetCommit goes
  // out after the gate is released, completes before they exit), then the final commit goes
  // out while the member is still in the group: a static member that stays gets no
  // revocation, and once stopped the member can commit nothing (its tasks' records since the
  // last commit would be processed again after the restart).
  stopping_.store(true);
  for (auto& t : threads_) {
    if (t->thread.joinable()) t->thread.join();
  }
  {
    std::map<group::TopicPartition, int64_t> offsets;
    const auto started = Clock::now();
    {
      ExclusiveEntry entry(gate_);
      if (!active_.empty() && !failed && state_.load() != InstanceState::kError) {
        Status s = CommitAllLocked("shutdown", &offsets, /*all=*/true);
        if (!s.ok()) result = s;
      }
    }
    // As in MaybeCommit: the OffsetCommit goes through the group thread, which may be
    // waiting for the gate in a rebalance callback, so it is sent with the gate released.
    if (!offsets.empty() && member_) {
      Status s = member_->CommitOffsets(offsets, OpTimeout());
      if (!s.ok()) {
        Logger().warn("offset commit (shutdown) failed: {}", s.ToString());
        if (result.ok()) result = s;
      }
    }
    ObserveCommit(started);
  }
  // Leaving the group revokes every active task: the callback commits (nothing new by now)
  // and closes them. A draining instance is being scaled away: it leaves even as a static
  // member. Staying until session.timeout.ms would hold up the group's next rebalance,
  // typically the second phase that hands the tasks it revoked last to their new owner.
  if (member_) {
    member_->Stop(failed ? group::GroupMember::LeaveMode::kDefault
                         : (leave || draining_.load() ? group::GroupMember::LeaveMode::kLeave
                                                      : group::GroupMember::LeaveMode::kDefault));
  }
  {
    ExclusiveEntry entry(gate_);
    CloseAllActiveLocked(/*clean=*/!failed && state_.load() != InstanceState::kError);
    UpdateStandbysLocked({}, {});
  }
  {
    std::lock_guard lock(restore_mu_);
    restore_stop_ = true;
  }
  restore_cv_.notify_all();
  if (restore_thread_.joinable()) restore_thread_.join();
  for (auto& t : threads_) {
    if (t->queue != nullptr) rd_kafka_queue_destroy(t->queue);
    t->queue = nullptr;
  }
  if (collector_) {
    if (collector_->transactional()) {
      const Status a = collector_->AbortTransaction(OpTimeout());  // empty txn
      (void)a;
    }
    const Status f = collector_->Flush(OpTimeout());
    if (!f.ok() && result.ok() && !failed) result = f;
  }
  reader_.reset();
  if (consumer_) rd_kafka_consumer_close(consumer_->get());
  consumer_.reset();
  member_.reset();
  assigned_.store(false);
  SetState(InstanceState::kNotRunning);
  {
    std::lock_guard lock(snap_mu_);
    if (!error_.ok() && result.ok()) result = error_;
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// Interactive queries

Status Instance::SetUpQueries() {
  std::vector<QueryStore> stores;
  for (const SubtopologySpec& sub : topology_->subtopologies()) {
    if (sub.source_topics.empty()) continue;
    for (const StoreSpec& spec : sub.stores) {
      stores.push_back(QueryStore{.name = spec.name,
                                  .kind = spec.kind,
                                  .subtopology = sub.id,
                                  .source_topics = sub.source_topics,
                                  .codec = spec.query_codec});
    }
  }
  queries_ = std::make_unique<InteractiveQueries>(
      std::move(stores), *this, InteractiveQueryOptions{.forward_timeout = options_.query_timeout});
  {
    std::lock_guard lock(routing_mu_);
    routing_.self = group_options_.endpoint;
  }
  if (options_.http_listen.empty()) {
    if (!group_options_.endpoint.empty()) {
      Logger().warn(
          "application.server is {} but http.listen is empty: no brook HTTP server answers "
          "there (fine if the application serves queries itself through brook::Streams)",
          group_options_.endpoint);
    }
    return Status::Ok();
  }
  Result<std::unique_ptr<http::HttpServer>> server =
      http::HttpServer::Create({.listen = options_.http_listen});
  if (!server.ok()) {
    return server.status().WithContext("http.listen (" + config_.Origin("http.listen") + ")");
  }
  http_ = std::move(server).value();
  BROOK_RETURN_IF_ERROR(queries_->RegisterRoutes(*http_));
  // Draining before a scale-down (brook autoscale, src/autoscale): POST /drain?draining=true
  // marks the instance draining (its tasks move away, it gets no new ones); false undoes it.
  BROOK_RETURN_IF_ERROR(http_->Route("POST", "/drain", [this](const http::HttpRequest& r) {
    const std::string v = r.Query("draining").value_or("true");
    if (v != "true" && v != "false") {
      return http::HttpResponse::Error(400, "draining must be true or false", {{"draining", v}});
    }
    if (!threads_started_.load() || closed_.load()) {
      return http::HttpResponse::Error(503, "the instance is not running");
    }
    SetDraining(v == "true");
    return http::HttpResponse::Json(200, {{"draining", v == "true"}});
  }));
  // Observability: /metrics, /healthz, /readyz, /status (src/metrics/README.md).
  return metrics::RegisterEndpoints(
      *http_,
      metrics::EndpointSources{
          .status = [this] { return ToStreamsStatus(status()); },
          .status_json = [](const StreamsStatus& s) { return StatusToJson(s); },
          .metrics = [this] { return MetricsText(); },
          .health = metrics::HealthOptions{.stuck_after = group_options_.max_poll_interval}});
}

int Instance::http_port() const {
  return http_ ? http_->port() : 0;
}

std::string Instance::MetricsText() {
  metrics::ExpositionInput in;
  in.status = ToStreamsStatus(status());
  in.resident_bytes = metrics::ResidentMemoryBytes();
  in.health.stuck_after = group_options_.max_poll_interval;
  {
    std::lock_guard lock(observed_mu_);
    in.rates = rates_;
    in.group = group_sample_;
    in.decision = decision_;
  }
  return metrics_->Expose(in);
}

// ---------------------------------------------------------------------------------------
// Observer thread: the group read, state sizes, rates and the scaling signal

void Instance::RunObserverThread() {
  auto next = Clock::now();
  while (true) {
    {
      std::unique_lock lock(observer_mu_);
      if (observer_cv_.wait_until(lock, next, [this] { return observer_stop_; })) return;
    }
    next = Clock::now() + options_.scaling_interval;
    ObserveOnce();
  }
}

Result<metrics::GroupSample> Instance::ReadGroup(const InstanceStatus& status) {
  if (!admin_) return Status::Unavailable("no admin client yet");
  metrics::GroupSample g;
  // Every source partition of every sub-topology (internal topics too: their records are
  // processed like any other), and the task count.
  std::vector<client::PartitionKey> partitions;
  std::set<std::string> seen;
  for (const SubtopologySpec& sub : topology_->subtopologies()) {
    int32_t count = 0;
    for (const std::string& topic : sub.source_topics) {
      BROOK_ASSIGN_OR_RETURN(client::TopicInfo info, admin_->DescribeTopic(topic));
      count = std::max(count, info.partitions);
      if (!seen.insert(topic).second) continue;
      for (int32_t p = 0; p < info.partitions; ++p) partitions.emplace_back(topic, p);
    }
    g.tasks += count;
  }
  g.source_partitions = static_cast<int>(partitions.size());
  BROOK_ASSIGN_OR_RETURN(auto ends, admin_->ListOffsets(partitions, client::OffsetSpec::kLatest));
  BROOK_ASSIGN_OR_RETURN(auto committed,
                         admin_->ListGroupOffsets(options_.application_id, partitions));
  // This instance's own positions are fresher than its commits.
  std::map<client::PartitionKey, int64_t> positions = std::move(committed);
  for (const TaskStatus& t : status.tasks) {
    if (t.role != TaskRole::kActive) continue;
    for (const StreamsPartitionInfo& p : t.partitions) {
      if (p.position < 0) continue;
      int64_t& pos = positions[client::PartitionKey{p.topic, p.partition}];
      pos = std::max(pos, p.position);
    }
  }
  std::vector<client::PartitionKey> uncommitted;
  for (const client::PartitionKey& k : partitions) {
    if (!positions.contains(k)) uncommitted.push_back(k);
  }
  if (!uncommitted.empty()) {
    // Nothing committed: the group starts at the log start (auto.offset.reset=earliest, and
    // internal topics always), or at the end (latest: no backlog).
    std::map<client::PartitionKey, int64_t> starts;
    const bool earliest = options_.reset_to_earliest;
    if (earliest) {
      BROOK_ASSIGN_OR_RETURN(starts,
                             admin_->ListOffsets(uncommitted, client::OffsetSpec::kEarliest));
    }
    for (const client::PartitionKey& k : uncommitted) {
      const bool internal = topology_->FindInternalTopic(k.first) != nullptr;
      if (earliest || internal) {
        auto it = starts.find(k);
        positions[k] = it != starts.end() ? it->second : 0;
      } else {
        positions[k] = ends.contains(k) ? ends.at(k) : 0;
      }
    }
  }
  std::map<group::TopicPartition, int64_t> probed;
  for (const auto& [k, end] : ends) {
    g.source_end_offsets += end;
    g.backlog_records += std::max<int64_t>(0, end - positions[k]);
    probed[group::TopicPartition{k.first, k.second}] = end;
  }
  {
    std::lock_guard lock(observed_mu_);
    probed_end_offsets_ = std::move(probed);
  }
  Result<client::GroupDescription> group = admin_->DescribeGroup(options_.application_id);
  if (group.ok()) {
    g.members = group->members;
  } else {
    Logger().debug("describing group {}: {}", options_.application_id, group.status().ToString());
  }
  return g;
}

void Instance::ObserveOnce() {
  // State sizes: bytes of each task directory on disk (no store is touched: any thread).
  {
    std::map<TaskId, int64_t> bytes;
    for (const TaskStatus& t : status().tasks) {
      std::error_code ec;
      const std::filesystem::path dir = state_dir_.app_dir() / t.id.ToString();
      int64_t total = 0;
      for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
           !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        std::error_code fec;
        if (it->is_regular_file(fec)) {
          const auto size = it->file_size(fec);
          if (!fec) total += static_cast<int64_t>(size);
        }
      }
      if (!ec) bytes[t.id] = total;
    }
    std::lock_guard lock(observed_mu_);
    state_bytes_ = std::move(bytes);
  }
  const InstanceStatus now = status();
  Result<metrics::GroupSample> group = ReadGroup(now);
  const double at = std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
  std::optional<metrics::Rates> rates;
  if (last_sample_)
    rates = metrics::ComputeRates(ToStreamsStatus(*last_sample_), ToStreamsStatus(now));
  last_sample_ = now;
  std::optional<scaling::Decision> decision;
  if (group.ok()) {
    group->at_seconds = at;
    int threads = 0;
    for (const StreamsThreadInfo& t : now.threads) threads += t.name != "restore" ? 1 : 0;
    metrics::ScalingReading reading{
        .group = *group,
        .self = scaling::InstanceReading{
            .instance = now.instance_id,
            .counters =
                scaling::InstanceCounters{.records_processed = static_cast<int64_t>(now.processed),
                                          .busy_seconds = now.busy_seconds,
                                          .process_start_ms = now.process_start_ms},
            .threads = std::max(1, threads)}};
    Result<scaling::Decision> d = scaling_->Update(reading);
    if (d.ok()) {
      decision = std::move(d).value();
    } else {
      Logger().warn("scaling signal: {}", d.status().ToString());
    }
  } else {
    Logger().warn("reading group {} for the scaling signal: {}", options_.application_id,
                  group.status().ToString());
  }
  std::lock_guard lock(observed_mu_);
  if (rates) rates_ = std::move(rates);
  if (group.ok()) group_sample_ = *group;
  if (decision) decision_ = std::move(decision);
}

// ---------------------------------------------------------------------------------------
// Rebalance history

namespace {
constexpr size_t kRebalanceHistory = 10;
}  // namespace

void Instance::BeginRebalance() {
  std::lock_guard lock(rebalance_mu_);
  if (open_rebalance_) return;
  OpenRebalance r{.info = {}, .started = Clock::now(), .assigned = false};
  r.info.started_ms = NowMs();
  r.info.generation = generation_;
  open_rebalance_ = std::move(r);
}

void Instance::NoteRebalanceMoves(const std::set<TaskId>& added, const std::set<TaskId>& removed) {
  std::lock_guard lock(rebalance_mu_);
  if (!open_rebalance_) return;
  StreamsRebalanceInfo& info = open_rebalance_->info;
  for (const TaskId& id : added) {
    if (std::find(info.added.begin(), info.added.end(), id) == info.added.end())
      info.added.push_back(id);
  }
  for (const TaskId& id : removed) {
    if (std::find(info.removed.begin(), info.removed.end(), id) == info.removed.end())
      info.removed.push_back(id);
  }
  std::sort(info.added.begin(), info.added.end());
  std::sort(info.removed.begin(), info.removed.end());
}

void Instance::MaybeFinishRebalance() {
  std::lock_guard lock(rebalance_mu_);
  if (!open_rebalance_ || !open_rebalance_->assigned || restoring_count_.load() > 0) return;
  const double seconds =
      std::chrono::duration<double>(Clock::now() - open_rebalance_->started).count();
  StreamsRebalanceInfo info = std::move(open_rebalance_->info);
  open_rebalance_.reset();
  info.finished_ms = NowMs();
  info.duration_ms = static_cast<int64_t>(seconds * 1000);
  metrics_->ObserveRebalance(seconds);
  rebalances_.push_back(std::move(info));
  while (rebalances_.size() > kRebalanceHistory) rebalances_.pop_front();
}

QueryRouting Instance::Routing() const {
  QueryRouting r;
  {
    std::lock_guard lock(routing_mu_);
    r = routing_;
  }
  r.state = std::string(InstanceStateName(state_.load()));
  return r;
}

Status Instance::WithActiveTask(const TaskId& task,
                                const std::function<Status(TaskStateAccess&)>& fn) {
  if (tl_stream_thread) {
    return Status::FailedPrecondition(
        "interactive queries cannot be run from a stream thread (a processor or punctuator)");
  }
  if (!started_.load() || closed_.load()) {
    return Status::Unavailable("the instance is not running (" +
                               std::string(InstanceStateName(state_.load())) + ")");
  }
  if (!gate_.TryEnterSharedFor(kQueryGateWait)) {
    return Status::Unavailable("the instance is busy with a rebalance or a commit (waited " +
                               std::to_string(kQueryGateWait.count()) + " ms)");
  }
  struct Exit {
    WorkGate& gate;
    explicit Exit(WorkGate& g) : gate(g) {}
    Exit(const Exit&) = delete;
    Exit& operator=(const Exit&) = delete;
    ~Exit() { gate.ExitShared(); }
  } exit{gate_};
  if (state_.load() == InstanceState::kError) {
    return Status::Unavailable("the instance failed (see its status)");
  }
  auto it = active_.find(task);
  if (it == active_.end()) {
    return Status::NotFound("task " + task.ToString() + " is not active on this instance");
  }
  ActiveTask& t = *it->second;
  std::lock_guard lock(t.query_mu);
  if (t.restoring) {
    return Status::Unavailable("task " + task.ToString() + " is restoring its state (" +
                               std::to_string(t.state->records_restored()) +
                               " changelog records so far)");
  }
  if (!t.task || !t.state || t.task->state() != TaskState::kRunning) {
    return Status::Unavailable("task " + task.ToString() + " is not running");
  }
  return fn(*t.state);
}

Result<int32_t> Instance::TopicPartitions(const std::string& topic) {
  std::function<Result<std::map<std::string, int32_t>>(const std::vector<std::string>&)> counts;
  {
    std::lock_guard lock(routing_mu_);
    counts = query_partition_counts_;
  }
  if (!counts) return Status::Unavailable("the instance has not started yet");
  BROOK_ASSIGN_OR_RETURN(const auto found, counts({topic}));
  auto it = found.find(topic);
  if (it == found.end()) return Status::NotFound("no partition count for topic '" + topic + "'");
  return it->second;
}

}  // namespace brook::runtime
