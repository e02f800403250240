#include "runtime/stream_task.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <unordered_map>
#include <utility>

namespace brook::runtime {

using internal::NodeFailure;
using internal::NodeInstance;
using internal::NodeKindName;

std::string_view TaskStateName(TaskState state) {
  switch (state) {
    case TaskState::kCreated:
      return "Created";
    case TaskState::kRestoring:
      return "Restoring";
    case TaskState::kRunning:
      return "Running";
    case TaskState::kSuspended:
      return "Suspended";
    case TaskState::kClosed:
      return "Closed";
  }
  return "Unknown";
}

// What the nodes see of the task.
class StreamTask::Services final : public internal::TaskServices {
 public:
  explicit Services(StreamTask& task) : task_(task) {}

  [[nodiscard]] const std::string& application_id() const override {
    return task_.options_.application_id;
  }
  [[nodiscard]] TaskId task_id() const override { return task_.id_; }
  [[nodiscard]] int64_t system_time_ms() const override { return task_.Now(); }
  Cancellable Schedule(NodeInstance& node, int64_t interval_ms, PunctuationType type,
                       Punctuator fn) override {
    auto entry = std::make_unique<ScheduleEntry>();
    entry->state = std::make_shared<internal::ScheduleState>();
    entry->node = &node;
    entry->type = type;
    entry->interval_ms = interval_ms;
    // Stream time: points are multiples of the interval from 0, so the first record fires
    // it. Wall clock: one interval after now.
    entry->next_ms = type == PunctuationType::kStreamTime ? 0 : task_.Now() + interval_ms;
    entry->fn = std::move(fn);
    Cancellable handle(entry->state);
    task_.schedules_.push_back(std::move(entry));
    return handle;
  }
  void RequestCommit() override {
    task_.commit_requested_ = true;
    task_.commit_needed_ = true;
  }
  [[nodiscard]] state::KeyValueBytesStore* KeyValueStore(std::string_view name) override {
    return task_.state_access_.KeyValueStore(name);
  }
  [[nodiscard]] state::WindowBytesStore* WindowStore(std::string_view name) override {
    return task_.state_access_.WindowStore(name);
  }
  [[nodiscard]] state::SessionBytesStore* SessionStore(std::string_view name) override {
    return task_.state_access_.SessionStore(name);
  }
  [[nodiscard]] Status Send(const internal::SinkRecord& record) override {
    const OutgoingRecord out{.topic = record.topic,
                             .partition = record.partition,
                             .key = record.key,
                             .value = record.value,
                             .timestamp_ms = record.timestamp_ms,
                             .headers = record.headers};
    return task_.collector_.Send(out);
  }
  [[nodiscard]] Result<int32_t> PartitionCount(std::string_view topic) override {
    if (auto it = partition_counts_.find(topic); it != partition_counts_.end()) return it->second;
    if (!task_.options_.partition_count) {
      return Status::FailedPrecondition("the partition count of topic '" + std::string(topic) +
                                        "' is unknown to the task");
    }
    BROOK_ASSIGN_OR_RETURN(const int32_t count, task_.options_.partition_count(topic));
    partition_counts_.emplace(std::string(topic), count);
    return count;
  }
  void RecordDropped(std::string_view reason) override {
    ++task_.dropped_;
    auto it = task_.dropped_by_reason_.find(reason);
    if (it == task_.dropped_by_reason_.end()) {
      it = task_.dropped_by_reason_.emplace(std::string(reason), 0).first;
    }
    ++it->second;
  }

 private:
  StreamTask& task_;
  // Answers of options_.partition_count, asked once per topic.
  std::map<std::string, int32_t, std::less<>> partition_counts_;
};

Result<std::unique_ptr<StreamTask>> StreamTask::Create(
    TaskId id, std::shared_ptr<const ProcessorTopology> topology, RecordCollector& collector,
    TaskStateAccess& state, StreamTaskOptions options) {
  if (!topology) return Status::InvalidArgument("task " + id.ToString() + ": no topology");
  const SubtopologySpec* sub = topology->Find(id.subtopology);
  if (sub == nullptr) {
    return Status::InvalidArgument("task " + id.ToString() + ": the topology has no sub-topology " +
                                   std::to_string(id.subtopology));
  }
  if (id.partition < 0) {
    return Status::InvalidArgument("task " + id.ToString() + ": negative partition");
  }
  // Sinks name internal topics with the application id the processors see.
  if (options.application_id.empty()) options.application_id = topology->application_id();
  if (options.application_id != topology->application_id()) {
    return Status::InvalidArgument("task " + id.ToString() + ": application id '" +
                                   options.application_id + "' differs from the topology's '" +
                                   topology->application_id() + "'");
  }
  return std::unique_ptr<StreamTask>(
      new StreamTask(id, std::move(topology), *sub, collector, state, std::move(options)));
}

StreamTask::StreamTask(TaskId id, std::shared_ptr<const ProcessorTopology> topology,
                       const SubtopologySpec& sub, RecordCollector& collector,
                       TaskStateAccess& state, StreamTaskOptions options)
    : id_(id),
      topology_(std::move(topology)),
      sub_(&sub),
      collector_(collector),
      state_access_(state),
      options_(std::move(options)),
      services_(std::make_unique<Services>(*this)),
      id_string_("task " + id.ToString()),
      queues_(sub.source_topics.size()) {  // not resized later: a deque is not nothrow-movable
  for (size_t i = 0; i < sub.source_topics.size(); ++i) {  // sorted
    const std::string& topic = sub.source_topics[i];
    partitions_.push_back({topic, id.partition});
    queues_[i].tp = partitions_.back();
    queues_[i].source_spec = sub.SourceFor(topic);
  }
}

int64_t StreamTask::stream_time_ms() const {
  return services_->stream_time_ms;
}

int64_t StreamTask::current_timestamp_ms() const {
  return services_->current_timestamp_ms;
}

StreamTask::~StreamTask() {
  if (!nodes_.empty()) (void)CloseNodes();
  DropNodes();
}

int64_t StreamTask::Now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string StreamTask::Where(const RecordMetadata& md) const {
  return "topic '" + std::string(md.topic) + "' partition " + std::to_string(md.partition) +
         " offset " + std::to_string(md.offset);
}

Status StreamTask::NodeFailed(const Status& status, internal::NodeKind kind,
                              const std::string& node, const std::string& context) const {
  return {status.code(), id_string_ + ": " + std::string(NodeKindName(kind)) + " '" + node +
                             "' failed " + context + ": " + status.message()};
}

Status StreamTask::Transition(TaskState to, std::initializer_list<TaskState> from) {
  if (std::find(from.begin(), from.end(), state_) == from.end()) {
    return Status::FailedPrecondition(id_string_ + ": illegal state transition " +
                                      std::string(TaskStateName(state_)) + " -> " +
                                      std::string(TaskStateName(to)));
  }
  state_ = to;
  return Status::Ok();
}

Status StreamTask::StartRestoring() {
  return Transition(TaskState::kRestoring, {TaskState::kCreated, TaskState::kSuspended});
}

Status StreamTask::CompleteRestoration() {
  if (state_ != TaskState::kRestoring) {
    return Transition(TaskState::kRunning, {TaskState::kRestoring});  // the error
  }
  std::unordered_map<std::string_view, NodeInstance*> by_name;
  for (const internal::NodeSpec* spec : sub_->nodes) {
    try {
      nodes_.push_back(spec->make());
    } catch (...) {
      const Status s = internal::CurrentExceptionStatus();
      DropNodes();
      return NodeFailed(s, spec->kind, spec->name, "to be created");
    }
    by_name.emplace(spec->name, nodes_.back().get());
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const internal::NodeSpec* spec = sub_->nodes[i];
    std::vector<NodeInstance*> children;
    children.reserve(spec->children.size());
    for (const std::string& c : spec->children) children.push_back(by_name.at(c));
    nodes_[i]->Bind(*services_, std::move(children), spec->stores);
  }
  for (PartitionQueue& q : queues_) {
    q.source = static_cast<internal::SourceNodeBase*>(by_name.at(q.source_spec->name));
  }
  services_->metadata = nullptr;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    try {
      nodes_[i]->Init();
    } catch (const NodeFailure& f) {
      for (size_t j = 0; j < i; ++j) {
        try {
          nodes_[j]->Close();
        } catch (const NodeFailure&) {  // reported: the Init failure
        }
      }
      DropNodes();
      return NodeFailed(f.status, f.kind, f.node, "in Init");
    }
  }
  state_ = TaskState::kRunning;
  return Status::Ok();
}

Status StreamTask::CloseNodes() {
  Status first;
  for (const std::unique_ptr<NodeInstance>& node : nodes_) {
    try {
      node->Close();
    } catch (const NodeFailure& f) {
      if (first.ok()) first = NodeFailed(f.status, f.kind, f.node, "in Close");
    }
  }
  return first;
}

void StreamTask::DropNodes() {
  for (const std::unique_ptr<ScheduleEntry>& s : schedules_) s->state->cancelled = true;
  schedules_.clear();
  for (PartitionQueue& q : queues_) q.source = nullptr;
  nodes_.clear();
}

Status StreamTask::Suspend() {
  const TaskState before = state_;
  BROOK_RETURN_IF_ERROR(Transition(
      TaskState::kSuspended, {TaskState::kCreated, TaskState::kRestoring, TaskState::kRunning}));
  Status closed;
  if (before == TaskState::kRunning) closed = CloseNodes();
  DropNodes();
  for (PartitionQueue& q : queues_) q.records.clear();
  buffered_ = 0;
  return closed;
}

Status StreamTask::Close() {
  return Transition(TaskState::kClosed, {TaskState::kSuspended});
}

StreamTask::Entry StreamTask::Extract(ConsumedRecord record, PartitionQueue& queue) const {
  Entry e;
  e.record = std::move(record);
  const TimestampExtractor& extractor = queue.source_spec->timestamp_extractor;
  int64_t ts = e.record.timestamp_ms;
  if (extractor) {
    const RecordMetadata md{queue.tp.topic, queue.tp.partition, e.record.offset};
    std::optional<std::string_view> value;
    if (e.record.value) value = *e.record.value;
    try {
      ts = extractor(md, e.record.timestamp_ms, value, queue.partition_time_ms);
    } catch (...) {
      e.error = std::make_unique<Status>(internal::CurrentExceptionStatus().WithContext(
          "source '" + queue.source_spec->name + "': the timestamp extractor threw"));
      return e;
    }
  }
  if (ts < 0) {
    e.error = std::make_unique<Status>(Status::InvalidArgument(
        "source '" + queue.source_spec->name + "': invalid (negative) timestamp " +
        std::to_string(ts) +
        (extractor ? " from the timestamp extractor" : " (the record's own timestamp)")));
    return e;
  }
  e.timestamp_ms = ts;
  queue.partition_time_ms = std::max(queue.partition_time_ms, ts);
  return e;
}

Status StreamTask::AddRecords(const group::TopicPartition& partition,
                              std::vector<ConsumedRecord> records) {
  if (state_ == TaskState::kSuspended || state_ == TaskState::kClosed) {
    return Status::FailedPrecondition(id_string_ + " is " + std::string(TaskStateName(state_)) +
                                      ": cannot buffer records of " + partition.ToString());
  }
  auto q = std::find_if(queues_.begin(), queues_.end(),
                        [&](const PartitionQueue& pq) { return pq.tp == partition; });
  if (q == queues_.end()) {
    std::string mine;
    for (const group::TopicPartition& tp : partitions_) {
      if (!mine.empty()) mine += ", ";
      mine += tp.ToString();
    }
    return Status::InvalidArgument(id_string_ + ": " + partition.ToString() +
                                   " is not one of its partitions [" + mine + "]");
  }
  for (const ConsumedRecord& r : records) {
    if (r.partition != partition.partition || r.topic != partition.topic) {
      return Status::InvalidArgument(
          id_string_ + ": a record of " + r.topic + "-" + std::to_string(r.partition) + " offset " +
          std::to_string(r.offset) + " was added as one of " + partition.ToString());
    }
  }
  for (ConsumedRecord& r : records) q->records.push_back(Extract(std::move(r), *q));
  buffered_ += records.size();
  return Status::Ok();
}

size_t StreamTask::BufferedRecords(const group::TopicPartition& partition) const {
  for (const PartitionQueue& q : queues_) {
    if (q.tp == partition) return q.records.size();
  }
  return 0;
}

int64_t StreamTask::Position(const group::TopicPartition& partition) const {
  for (const PartitionQueue& q : queues_) {
    if (q.tp != partition) continue;
    if (q.next_offset >= 0) return q.next_offset;
    return q.records.empty() ? -1 : q.records.front().record.offset;
  }
  return -1;
}

std::map<group::TopicPartition, int64_t> StreamTask::CommittableOffsets() const {
  std::map<group::TopicPartition, int64_t> out;
  for (const PartitionQueue& q : queues_) {
    if (q.next_offset >= 0) out.emplace(q.tp, q.next_offset);
  }
  return out;
}

Status StreamTask::HandleBadRecord(PartitionQueue& queue, const Entry& entry, const Status& error) {
  HandlerDecision decision = HandlerDecision::kFail;
  if (options_.deserialization_handler) {
    try {
      decision = options_.deserialization_handler(entry.record, error);
    } catch (...) {
      decision = HandlerDecision::kFail;
    }
  }
  const RecordMetadata md{queue.tp.topic, queue.tp.partition, entry.record.offset};
  if (decision == HandlerDecision::kFail) {
    return {error.code(),
            id_string_ + ": deserialization error at " + Where(md) + ": " + error.message()};
  }
  ++skipped_;
  queue.next_offset = entry.record.offset + 1;
  commit_needed_ = true;
  return Status::Ok();
}

Result<bool> StreamTask::Process() {
  if (state_ != TaskState::kRunning) {
    return Status::FailedPrecondition(id_string_ + " is " + std::string(TaskStateName(state_)) +
                                      ", not Running: cannot process");
  }
  PartitionQueue* next = nullptr;
  int64_t next_ts = 0;
  for (PartitionQueue& q : queues_) {
    if (q.records.empty()) continue;
    const Entry& head = q.records.front();
    const int64_t ts = head.error ? std::numeric_limits<int64_t>::min() : head.timestamp_ms;
    if (next == nullptr || ts < next_ts) {
      next = &q;
      next_ts = ts;
    }
  }
  if (next == nullptr) return false;
  Entry entry = std::move(next->records.front());
  next->records.pop_front();
  --buffered_;
  if (entry.error) {
    BROOK_RETURN_IF_ERROR(HandleBadRecord(*next, entry, *entry.error));
    return true;
  }

  ConsumedRecord& rec = entry.record;
  internal::RawRecord raw{.timestamp_ms = entry.timestamp_ms, .headers = &rec.headers};
  if (rec.key) raw.key = *rec.key;
  if (rec.value) raw.value = *rec.value;
  const Status loaded = next->source->Load(raw);
  if (!loaded.ok()) {
    BROOK_RETURN_IF_ERROR(HandleBadRecord(*next, entry, loaded));
    return true;
  }

  const RecordMetadata md{next->tp.topic, next->tp.partition, rec.offset};
  services_->metadata = &md;
  services_->stream_time_ms = std::max(services_->stream_time_ms, entry.timestamp_ms);
  services_->current_timestamp_ms = entry.timestamp_ms;
  try {
    next->source->ForwardLoaded();
  } catch (const NodeFailure& f) {
    services_->metadata = nullptr;
    return NodeFailed(f.status, f.kind, f.node, "on record at " + Where(md));
  } catch (...) {
    services_->metadata = nullptr;
    return NodeFailed(internal::CurrentExceptionStatus(), internal::NodeKind::kSource,
                      next->source->name(), "on record at " + Where(md));
  }
  services_->metadata = nullptr;
  next->next_offset = rec.offset + 1;
  commit_needed_ = true;
  ++processed_;

  Result<bool> punctuated = Punctuate(PunctuationType::kStreamTime, services_->stream_time_ms);
  if (!punctuated.ok()) return std::move(punctuated).status();
  return true;
}

Result<bool> StreamTask::MaybePunctuateWallClock(int64_t now_ms) {
  if (state_ != TaskState::kRunning) return false;
  return Punctuate(PunctuationType::kWallClockTime, now_ms);
}

Result<bool> StreamTask::Punctuate(PunctuationType type, int64_t now_ms) {
  bool ran = false;
  Status failed;
  // Punctuators may schedule more (appended: not run in this round) or cancel any.
  const size_t count = schedules_.size();
  for (size_t i = 0; i < count; ++i) {
    ScheduleEntry& s = *schedules_[i];  // stable: the vector holds pointers
    if (s.type != type || s.state->cancelled || now_ms < s.next_ms) continue;
    const int64_t at = s.next_ms + (now_ms - s.next_ms) / s.interval_ms * s.interval_ms;
    s.next_ms = at + s.interval_ms;
    ran = true;
    const std::string kind = type == PunctuationType::kStreamTime ? "stream-time" : "wall-clock";
    services_->metadata = nullptr;
    services_->current_timestamp_ms = at;
    const auto started = std::chrono::steady_clock::now();
    ++punctuations_;
    try {
      s.fn(at);
    } catch (const NodeFailure& f) {
      failed = NodeFailed(f.status, f.kind, f.node,
                          "in a " + kind + " punctuation of " +
                              std::string(NodeKindName(s.node->kind())) + " '" + s.node->name() +
                              "' at " + std::to_string(at));
    } catch (...) {
      failed = NodeFailed(internal::CurrentExceptionStatus(), s.node->kind(), s.node->name(),
                          "in its " + kind + " punctuator at " + std::to_string(at));
    }
    if (options_.on_punctuation) {
      options_.on_punctuation(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    if (!failed.ok()) break;
  }
  std::erase_if(schedules_,
                [](const std::unique_ptr<ScheduleEntry>& s) { return s->state->cancelled; });
  if (!failed.ok()) return failed;
  return ran;
}

}  // namespace brook::runtime
