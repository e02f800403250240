#include "runtime/changelog_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

#include "common/log.h"

namespace brook::runtime {
namespace {

std::string PartitionText(const state::ChangelogPartition& p) {
  return fmt::format("'{}' partition {}", p.topic, p.partition);
}

std::string_view ModeName(RestoreMode mode) {
  return mode == RestoreMode::kRestoreActive ? "restore" : "standby";
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

Result<std::unique_ptr<ChangelogReader>> ChangelogReader::Create(const Config& client_config,
                                                                 ChangelogReaderOptions options) {
  const std::map<std::string, std::string> required = {
      // Positions are the restore positions; a position the broker no longer has is reported
      // (and handled by a reset of the store), never silently skipped.
      {"auto.offset.reset", "error"},
      {"enable.partition.eof", "true"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"isolation.level", options.read_committed ? "read_committed" : "read_uncommitted"},
      // Register() asks the broker for watermarks (ListOffsets) on this consumer's connection,
      // where the broker answers requests in order: behind a long-poll Fetch (librdkafka's
      // default waits up to 500 ms) every registration of a standby, warmup or restoring
      // task took up to that long, one after the other, while the rebalance callback held
      // the work gate: kept tasks stalled 0.5 s per task added. Fetches of this consumer
      // return within the restore thread's poll (50 ms) instead.
      {"fetch.wait.max.ms", "50"},
  };
  BROOK_ASSIGN_OR_RETURN(auto consumer, client::Consumer::Create(client_config, required));
  options.max_poll_records = std::max<size_t>(options.max_poll_records, 1);
  return std::unique_ptr<ChangelogReader>(
      new ChangelogReader(std::move(consumer), options,
                          std::chrono::milliseconds(client_config.GetInt("request.timeout.ms"))));
}

ChangelogReader::ChangelogReader(std::unique_ptr<client::Consumer> consumer,
                                 ChangelogReaderOptions options,
                                 std::chrono::milliseconds request_timeout)
    : consumer_(std::move(consumer)), options_(options), request_timeout_(request_timeout) {}

ChangelogReader::~ChangelogReader() {
  batch_.Clear();  // release the messages before the consumer goes
}

size_t ChangelogReader::assigned_partitions() const {
  return static_cast<size_t>(std::count_if(partitions_.begin(), partitions_.end(),
                                           [](const auto& e) { return e.second.assigned; }));
}

Status ChangelogReader::Assign(const std::vector<state::ChangelogPartition>& partitions,
                               const TaskStateManager& state,
                               const state::CheckpointOffsets& log_starts) {
  std::vector<client::PartitionOffset> list;
  for (const state::ChangelogPartition& tp : partitions) {
    BROOK_ASSIGN_OR_RETURN(int64_t offset, state.RestorePosition(tp));
    if (offset == 0) {
      // From the log start. Explicitly where known: librdkafka resolves BEGINNING from the
      // log start it cached at an earlier assignment of the partition, which may be stale.
      const auto it = log_starts.find(tp);
      offset = it != log_starts.end() && it->second >= 0 ? it->second : client::kOffsetBeginning;
    }
    list.push_back({.topic = tp.topic, .partition = tp.partition, .offset = offset});
  }
  return consumer_->IncrementalAssign(list);
}

Status ChangelogReader::Register(TaskId task, TaskStateManager* state, RestoreMode mode) {
  if (state == nullptr || state->closed()) {
    return Status::FailedPrecondition(
        fmt::format("changelog reader: task {}: state is not open", task.ToString()));
  }
  if (state->task() != task) {
    return Status::InvalidArgument(fmt::format("changelog reader: task {} given the state of {}",
                                               task.ToString(), state->task().ToString()));
  }
  if (tasks_.count(task) != 0) {
    return Status::FailedPrecondition(
        fmt::format("changelog reader: task {} is registered already", task.ToString()));
  }
  const std::vector<state::ChangelogPartition> partitions = state->ChangelogPartitions();
  for (const state::ChangelogPartition& tp : partitions) {
    if (auto it = partitions_.find(tp); it != partitions_.end()) {
      return Status::FailedPrecondition(
          fmt::format("changelog reader: task {}: changelog {} is read for task {} already",
                      task.ToString(), PartitionText(tp), it->second.task.ToString()));
    }
  }

  state::CheckpointOffsets ends;
  state::CheckpointOffsets lows;
  for (const state::ChangelogPartition& tp : partitions) {
    if (auto pre = prefetched_.find(tp); pre != prefetched_.end()) {
      ends[tp] = pre->second.high;
      lows[tp] = pre->second.low;
      prefetched_.erase(pre);
      continue;
    }
    Result<client::Watermarks> w =
        consumer_->QueryWatermarks(tp.topic, tp.partition, request_timeout_);
    if (!w.ok()) {
      return w.status().WithContext(fmt::format("changelog reader: task {}", task.ToString()));
    }
    ends[tp] = w->high;
    lows[tp] = w->low;
  }
  BROOK_ASSIGN_OR_RETURN(const std::vector<state::ChangelogPartition> reset,
                         state->ValidateCheckpoint(ends));
  for (const state::ChangelogPartition& tp : partitions) {
    BROOK_ASSIGN_OR_RETURN(const int64_t position, state->RestorePosition(tp));
    if (position > 0 && position < lows[tp]) {
      Logger().warn(
          "task {}: position {} of changelog {} is below its log start offset {} (deleted by "
          "retention)",
          task.ToString(), position, PartitionText(tp), lows[tp]);
      BROOK_RETURN_IF_ERROR(state->ResetPartition(tp));
    }
  }

  std::vector<state::ChangelogPartition> to_assign;
  int64_t start_sum = 0;
  int64_t lag = 0;
  for (const state::ChangelogPartition& tp : partitions) {
    BROOK_ASSIGN_OR_RETURN(const int64_t position, state->RestorePosition(tp));
    start_sum += position;
    lag += std::max<int64_t>(0, ends[tp] - position);
    if (mode == RestoreMode::kStandby || position < ends[tp]) to_assign.push_back(tp);
  }
  BROOK_RETURN_IF_ERROR(Assign(to_assign, *state, lows));

  for (const state::ChangelogPartition& tp : partitions) {
    const bool assigned = std::find(to_assign.begin(), to_assign.end(), tp) != to_assign.end();
    partitions_[tp] = Partition{.task = task, .end = ends[tp], .assigned = assigned};
  }
  const Clock::time_point now = Clock::now();
  tasks_[task] = Task{.state = state,
                      .mode = mode,
                      .partitions = partitions,
                      .start_sum = start_sum,
                      .restored_at_start = state->records_restored(),
                      .registered = now,
                      .last_progress_log = now,
                      .last_end_refresh = now,
                      .last_checkpoint = now};
  Logger().info(
      "task {}: {} from {} changelog partition(s), {} offsets behind{}", task.ToString(),
      ModeName(mode), partitions.size(), lag,
      reset.empty() ? "" : fmt::format(" ({} reset: position beyond the end)", reset.size()));
  PublishProgress();
  return Status::Ok();
}

void ChangelogReader::PrefetchWatermarks(const std::vector<TaskStateManager*>& states) {
  prefetched_.clear();
  std::vector<client::PartitionOffset> list;
  for (const TaskStateManager* state : states) {
    if (state == nullptr || state->closed()) continue;
    for (const state::ChangelogPartition& tp : state->ChangelogPartitions()) {
      list.push_back({.topic = tp.topic, .partition = tp.partition});
    }
  }
  if (list.size() < 2) return;  // nothing to batch
  auto answer = consumer_->QueryWatermarks(list, request_timeout_);
  if (!answer.ok()) {
    Logger().debug("changelog reader: batched watermark query: {} (asking per partition)",
                   answer.status().ToString());
    return;
  }
  for (auto& [tp, w] : *answer) {
    if (w.low >= 0 && w.high >= 0) prefetched_[state::ChangelogPartition{tp.first, tp.second}] = w;
  }
}

Status ChangelogReader::RemoveTask(const TaskId& task) {
  auto it = tasks_.find(task);
  if (it == tasks_.end()) return Status::Ok();
  std::vector<client::PartitionOffset> unassign;
  for (const state::ChangelogPartition& tp : it->second.partitions) {
    auto p = partitions_.find(tp);
    if (p == partitions_.end()) continue;
    if (p->second.assigned) unassign.push_back({.topic = tp.topic, .partition = tp.partition});
    partitions_.erase(p);
  }
  tasks_.erase(it);
  return consumer_->IncrementalUnassign(unassign);
}

Status ChangelogReader::Unregister(const TaskId& task) {
  Status s = RemoveTask(task);
  PublishProgress();
  return s;
}

void ChangelogReader::Fail(const TaskId& task, Status status, ChangelogPollResult& result) {
  Logger().error("task {}: restore failed: {}", task.ToString(), status.ToString());
  const Status removed = RemoveTask(task);
  if (!removed.ok()) {
    Logger().warn("task {}: unassigning its changelogs: {}", task.ToString(), removed.ToString());
  }
  result.failed.emplace_back(task, std::move(status));
}

Status ChangelogReader::ApplyBatch(ChangelogPollResult& result) {
  // Group the records per partition, keeping their order; drop those of partitions no
  // longer registered and those below the position (already applied).
  struct Group {
    const state::ChangelogPartition* tp = nullptr;
    TaskId task;
    std::vector<state::ChangelogRecord> records;
  };
  std::vector<Group> groups;
  std::map<const state::ChangelogPartition*, size_t> group_of;
  std::string_view current_topic;
  int32_t current_partition = -1;
  size_t current = 0;  // index into groups, valid when current_known
  int64_t current_min = 0;
  bool current_known = false;
  for (const client::RecordView& r : batch_.records()) {
    if (r.topic != current_topic || r.partition != current_partition) {
      current_topic = r.topic;
      current_partition = r.partition;
      current_known = false;
      auto p = partitions_.find(state::ChangelogPartition{std::string(r.topic), r.partition});
      if (p != partitions_.end()) {
        auto t = tasks_.find(p->second.task);
        if (t != tasks_.end()) {
          auto [g, inserted] = group_of.try_emplace(&p->first, groups.size());
          if (inserted) groups.push_back({.tp = &p->first, .task = p->second.task});
          current = g->second;
          Result<int64_t> position = t->second.state->RestorePosition(p->first);
          current_min = position.ok() ? *position : 0;
          current_known = true;
        }
      }
    }
    if (!current_known || r.offset < current_min) continue;
    groups[current].records.push_back(
        {.key = r.key,
         .value = r.value_is_null ? std::nullopt : std::optional<std::string_view>(r.value),
         .offset = r.offset});
  }

  for (Group& g : groups) {
    auto t = tasks_.find(g.task);
    if (t == tasks_.end() || g.records.empty()) continue;  // failed meanwhile
    const Status s = t->second.state->ApplyRestoreBatch(*g.tp, g.records);
    if (!s.ok()) {
      Fail(g.task, s, result);
      continue;
    }
    result.records += g.records.size();
    total_restored_.fetch_add(g.records.size(), std::memory_order_relaxed);
    t->second.dirty = true;
  }

  for (const client::ConsumedBatch::PartitionEnd& e : batch_.ends()) {
    auto p = partitions_.find(state::ChangelogPartition{std::string(e.topic), e.partition});
    if (p == partitions_.end()) continue;
    auto t = tasks_.find(p->second.task);
    if (t == tasks_.end()) continue;
    Result<int64_t> before = t->second.state->RestorePosition(p->first);
    const Status s = t->second.state->AdvancePosition(p->first, e.offset);
    if (!s.ok()) {
      Fail(p->second.task, s, result);
      continue;
    }
    if (before.ok() && *before < e.offset) t->second.dirty = true;
    if (t->second.mode == RestoreMode::kStandby) p->second.end = std::max(p->second.end, e.offset);
  }
  return Status::Ok();
}

void ChangelogReader::HandleErrors(ChangelogPollResult& result) {
  for (const client::ConsumedBatch::PartitionError& e : batch_.errors()) {
    if (e.topic.empty()) {
      Logger().warn("changelog reader: {} ({})", e.message, client::RdKafkaErrorString(e.code));
      continue;
    }
    const state::ChangelogPartition tp{std::string(e.topic), e.partition};
    auto p = partitions_.find(tp);
    if (p == partitions_.end()) continue;
    const TaskId task = p->second.task;
    auto t = tasks_.find(task);
    if (t == tasks_.end()) continue;
    switch (e.code) {
      case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET: {
        // The position is gone from the log (retention or truncation): restore from scratch.
        Logger().warn("task {}: changelog {} offset {} is out of range ({})", task.ToString(),
                      PartitionText(tp), e.offset, e.message);
        Status s = t->second.state->ResetPartition(tp);
        if (s.ok()) {
          s = consumer_->IncrementalUnassign({{.topic = tp.topic, .partition = tp.partition}});
        }
        state::CheckpointOffsets log_starts;
        if (Result<client::Watermarks> w =
                consumer_->QueryWatermarks(tp.topic, tp.partition, request_timeout_);
            w.ok()) {
          log_starts[tp] = w->low;
        }
        if (s.ok()) s = Assign({tp}, *t->second.state, log_starts);
        if (!s.ok()) Fail(task, s, result);
        break;
      }
      case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        Fail(task, Status::NotFound(fmt::format("changelog {}: {}", PartitionText(tp), e.message)),
             result);
        break;
      case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        Fail(task,
             Status::FailedPrecondition(
                 fmt::format("changelog {}: {}", PartitionText(tp), e.message)),
             result);
        break;
      default:
        // Transient (leader moves, broker restarts): librdkafka retries the fetch.
        Logger().warn("task {}: changelog {}: {} ({})", task.ToString(), PartitionText(tp),
                      e.message, client::RdKafkaErrorString(e.code));
        break;
    }
  }
}

void ChangelogReader::FinishCaughtUp(ChangelogPollResult& result) {
  std::vector<TaskId> done;
  for (const auto& [id, task] : tasks_) {
    if (task.mode != RestoreMode::kRestoreActive) continue;
    bool caught_up = true;
    for (const state::ChangelogPartition& tp : task.partitions) {
      Result<int64_t> position = task.state->RestorePosition(tp);
      if (!position.ok() || *position < partitions_.at(tp).end) {
        caught_up = false;
        break;
      }
    }
    if (caught_up) done.push_back(id);
  }
  for (const TaskId& id : done) {
    Task& task = tasks_.at(id);
    const Status finished = task.state->FinishRestore();
    if (!finished.ok()) {
      Fail(id, finished, result);
      continue;
    }
    const uint64_t records = task.state->records_restored() - task.restored_at_start;
    const double secs = Seconds(Clock::now() - task.registered);
    Logger().info("task {}: restored {} records from {} changelog partition(s) in {:.1f} s",
                  id.ToString(), records, task.partitions.size(), secs);
    const Status removed = RemoveTask(id);
    if (!removed.ok()) {
      Fail(id, removed, result);
      continue;
    }
    result.restored.push_back(id);
  }
}

void ChangelogReader::StandbyHousekeeping(ChangelogPollResult& result) {
  const Clock::time_point now = Clock::now();
  std::vector<std::pair<TaskId, Status>> failures;
  for (auto& [id, task] : tasks_) {
    if (task.mode != RestoreMode::kStandby) continue;
    if (now - task.last_end_refresh >= options_.standby_end_refresh) {
      task.last_end_refresh = now;
      for (const state::ChangelogPartition& tp : task.partitions) {
        if (auto w = consumer_->CachedWatermarks(tp.topic, tp.partition)) {
          Partition& p = partitions_.at(tp);
          p.end = std::max(p.end, w->high);
        }
      }
    }
    if (task.dirty && now - task.last_checkpoint >= options_.standby_checkpoint_interval) {
      task.last_checkpoint = now;
      task.dirty = false;
      const Status s = task.state->Checkpoint();
      if (!s.ok()) failures.emplace_back(id, s);
    }
  }
  for (auto& [id, status] : failures) Fail(id, std::move(status), result);
}

RestoreProgress ChangelogReader::ComputeProgress(const TaskId& id, const Task& task) const {
  RestoreProgress p{.task = id, .mode = task.mode};
  p.records_restored = task.state->records_restored() - task.restored_at_start;
  int64_t position_sum = 0;
  int64_t end_sum = 0;
  for (const state::ChangelogPartition& tp : task.partitions) {
    Result<int64_t> position = task.state->RestorePosition(tp);
    const int64_t pos = position.ok() ? *position : 0;
    const int64_t end = partitions_.at(tp).end;
    position_sum += pos;
    end_sum += end;
    p.lag += std::max<int64_t>(0, end - pos);
  }
  p.offsets_done = std::max<int64_t>(0, position_sum - task.start_sum);
  p.offsets_total = task.mode == RestoreMode::kRestoreActive
                        ? std::max<int64_t>(0, end_sum - task.start_sum)
                        : p.offsets_done + p.lag;
  const double secs = Seconds(Clock::now() - task.registered);
  if (secs > 0) {
    p.records_per_second = static_cast<double>(p.records_restored) / secs;
    if (task.mode == RestoreMode::kRestoreActive && p.offsets_done > 0) {
      p.eta_seconds = static_cast<double>(p.lag) / (static_cast<double>(p.offsets_done) / secs);
    }
  }
  return p;
}

void ChangelogReader::LogProgress() {
  const Clock::time_point now = Clock::now();
  for (auto& [id, task] : tasks_) {
    if (task.mode != RestoreMode::kRestoreActive ||
        now - task.last_progress_log < options_.progress_interval) {
      continue;
    }
    task.last_progress_log = now;
    const RestoreProgress p = ComputeProgress(id, task);
    const double pct = p.offsets_total > 0 ? 100.0 * static_cast<double>(p.offsets_done) /
                                                 static_cast<double>(p.offsets_total)
                                           : 100.0;
    Logger().info(
        "task {}: restoring: {}/{} changelog offsets ({:.1f}%), {} records, {:.0f} records/s, "
        "ETA {}",
        id.ToString(), p.offsets_done, p.offsets_total, pct, p.records_restored,
        p.records_per_second,
        p.eta_seconds ? fmt::format("{:.1f} s", *p.eta_seconds) : std::string("unknown"));
  }
}

void ChangelogReader::PublishProgress() {
  std::map<TaskId, RestoreProgress> snapshot;
  for (const auto& [id, task] : tasks_) snapshot.emplace(id, ComputeProgress(id, task));
  const std::lock_guard<std::mutex> lock(progress_mu_);
  progress_ = std::move(snapshot);
}

std::optional<RestoreProgress> ChangelogReader::Progress(const TaskId& task) const {
  const std::lock_guard<std::mutex> lock(progress_mu_);
  auto it = progress_.find(task);
  if (it == progress_.end()) return std::nullopt;
  return it->second;
}

std::vector<RestoreProgress> ChangelogReader::AllProgress() const {
  const std::lock_guard<std::mutex> lock(progress_mu_);
  std::vector<RestoreProgress> out;
  out.reserve(progress_.size());
  for (const auto& [id, p] : progress_) out.push_back(p);
  return out;
}

Result<ChangelogPollResult> ChangelogReader::Poll(std::chrono::milliseconds timeout) {
  ChangelogPollResult result;
  if (assigned_partitions() > 0) {
    BROOK_RETURN_IF_ERROR(consumer_->PollBatch(timeout, options_.max_poll_records, batch_));
    const Status applied = ApplyBatch(result);
    HandleErrors(result);
    batch_.Clear();
    BROOK_RETURN_IF_ERROR(applied);
  }
  FinishCaughtUp(result);
  StandbyHousekeeping(result);
  LogProgress();
  PublishProgress();
  if (assigned_partitions() == 0 && !tasks_.empty() && result.restored.empty() &&
      result.failed.empty()) {
    // Only tasks without anything to read (e.g. standbys of stores without changelogs):
    // wait like a consumer poll would, so that a polling loop does not spin.
    std::this_thread::sleep_for(timeout);
  }
  return result;
}

}  // namespace brook::runtime
