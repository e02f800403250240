// StreamTask: the active task for one TaskId (Kafka Streams' StreamTask): the nodes of one
// sub-topology instantiated for one partition, a record buffer per source partition, stream
// time, punctuation, and the offsets to commit. The stream thread feeds it consumed records
// and calls Process(); output goes through a RecordCollector, stores through a
// TaskStateAccess.
//
// Contract:
//  * States: Created -> Restoring -> Running -> Suspended -> Closed, plus Created ->
//    Suspended, Restoring -> Suspended and Suspended -> Restoring (resume). Any other
//    transition is kFailedPrecondition naming the task and both states. The processors exist
//    only while Running: CompleteRestoration() creates them from their suppliers and calls
//    Init() (parents before children); Suspend() calls Close() on each and drops them along
//    with their punctuation schedules AND the buffered records (their offsets were never
//    processed: seek the partitions to CommittableOffsets() / the committed offsets before
//    buffering again after a resume).
//  * Records: AddRecords() takes owned copies for one source partition (Created, Restoring
//    or Running). Each record's timestamp is extracted on arrival (the source's
//    TimestampExtractor, default the record's own); a negative timestamp or a throwing
//    extractor marks the record bad. Process() (Running only) takes ONE record: the head of
//    the partition whose head has the smallest timestamp (bad records first; ties: the
//    first partition in topic order) — Kafka's PartitionGroup with max.task.idle.ms = 0.
//    It returns false when nothing is buffered.
//  * Deserialization errors and bad timestamps go to the DeserializationHandler: kContinue
//    skips the record (counted in skipped_records(); its offset becomes committable);
//    kFail makes Process() return the error, naming task, source, topic, partition and
//    offset. Without a handler every such error fails.
//  * Processing errors: an exception from a processor (or punctuator), a failed Send, a
//    serde that throws in a sink: Process()/MaybePunctuateWallClock() return a Status
//    naming the task, the innermost node that failed and the record's topic, partition and
//    offset (or the punctuation). The record's offset is not committable. The caller then
//    fails the task (Suspend(), Close()); the task must not be used to process again.
//  * Stream time = the largest timestamp of the records processed (-1 before the first);
//    it never goes back. Stream-time punctuators run inside Process(), after the record
//    that reached their schedule point; wall-clock ones in MaybePunctuateWallClock(now).
//    Firing rule: processor.h.
//  * Commit: CommittableOffsets() gives per source partition the next offset to consume
//    (last processed or skipped + 1), for partitions that made progress. commit_needed()
//    is set by progress or RequestCommit(); commit_requested() only by RequestCommit();
//    MarkCommitted() clears both after the caller committed.
//  * Dropped records: processors report records they drop on purpose
//    (ProcessingContext::RecordDropped); dropped_records() counts them, dropped_by_reason()
//    per reason. Deserialization errors skipped by the handler are skipped_records() only.
//  * Forwarded records keep the input record's timestamp and headers unless a processor
//    changes them; sinks send headers. current_timestamp_ms() is the timestamp of the
//    record being processed by the current node (the punctuation time inside a
//    punctuation): the timestamp for changelog records.
//
// Thread-safety: one thread at a time (the stream thread owning the task). The collector
// and the state access are used from that thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brook/ids.h"
#include "brook/internal/node.h"
#include "brook/record.h"
#include "brook/status.h"
#include "group/topology.h"
#include "runtime/processor_topology.h"
#include "runtime/record_collector.h"
#include "runtime/task_state.h"

namespace brook::runtime {

// One consumed record, owned.
struct ConsumedRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;
  int64_t timestamp_ms = -1;         // the Kafka record's timestamp
  std::optional<std::string> key;    // nullopt: null key
  std::optional<std::string> value;  // nullopt: null value
  Headers headers;
};

enum class HandlerDecision {
  kContinue,  // skip the record
  kFail,      // fail the task
};
// Called with the record and the error (deserialization, bad timestamp).
using DeserializationHandler =
    std::function<HandlerDecision(const ConsumedRecord& record, const Status& error)>;

enum class TaskState { kCreated, kRestoring, kRunning, kSuspended, kClosed };
std::string_view TaskStateName(TaskState state);

struct StreamTaskOptions {
  // What processors see; must equal the topology's (ProcessorTopology::application_id()),
  // which names the internal topics sinks write. Create() fails otherwise.
  // Default: "" (the topology's)
  std::string application_id;
  // Default: nullptr (every deserialization error fails the task)
  DeserializationHandler deserialization_handler;
  // Wall-clock ms since the epoch, for current_system_time_ms() and wall-clock schedules.
  // Default: nullptr (the system clock)
  std::function<int64_t()> clock;
  // Partition count of an output topic, for sinks with a partitioner. Asked once per topic
  // and task (the answer is kept); an error fails the record's task.
  // Default: nullptr (such sinks fail with kFailedPrecondition)
  std::function<Result<int32_t>(std::string_view topic)> partition_count;
  // Called after each punctuator call (stream-time or wall-clock) with its duration in
  // seconds, on the thread that drives the task (metrics). Default: nullptr
  std::function<void(double seconds)> on_punctuation;
};

class StreamTask {
 public:
  // The task of sub-topology id.subtopology on partition id.partition. kInvalidArgument
  // for an unknown sub-topology. collector and state must outlive the task.
  [[nodiscard]] static Result<std::unique_ptr<StreamTask>> Create(
      TaskId id, std::shared_ptr<const ProcessorTopology> topology, RecordCollector& collector,
      TaskStateAccess& state, StreamTaskOptions options = {});
  ~StreamTask();  // closes the processors (errors ignored) if still Running
  StreamTask(const StreamTask&) = delete;
  StreamTask& operator=(const StreamTask&) = delete;

  [[nodiscard]] const TaskId& id() const { return id_; }
  [[nodiscard]] TaskState state() const { return state_; }
  [[nodiscard]] const SubtopologySpec& subtopology() const { return *sub_; }
  // The source partitions (each source topic at this task's partition), sorted.
  [[nodiscard]] const std::vector<group::TopicPartition>& partitions() const { return partitions_; }

  // Lifecycle (see the header comment).
  [[nodiscard]] Status StartRestoring();       // Created/Suspended -> Restoring
  [[nodiscard]] Status CompleteRestoration();  // Restoring -> Running: create + Init nodes
  [[nodiscard]] Status Suspend();              // Created/Restoring/Running -> Suspended
  [[nodiscard]] Status Close();                // Suspended -> Closed

  // Buffers records of one source partition, in offset order. kInvalidArgument for a
  // partition not of this task or a record of another partition; kFailedPrecondition when
  // Suspended or Closed.
  [[nodiscard]] Status AddRecords(const group::TopicPartition& partition,
                                  std::vector<ConsumedRecord> records);
  // Processes one record; false when none is buffered. kFailedPrecondition unless Running.
  [[nodiscard]] Result<bool> Process();
  // Runs the wall-clock punctuators whose schedule point is <= now_ms; returns whether
  // any ran. false unless Running.
  [[nodiscard]] Result<bool> MaybePunctuateWallClock(int64_t now_ms);

  [[nodiscard]] std::map<group::TopicPartition, int64_t> CommittableOffsets() const;
  [[nodiscard]] bool commit_needed() const { return commit_needed_; }
  [[nodiscard]] bool commit_requested() const { return commit_requested_; }
  void MarkCommitted() {
    commit_needed_ = false;
    commit_requested_ = false;
  }

  // Buffered (not yet processed) records of one partition (0 for a foreign one), or all.
  [[nodiscard]] size_t BufferedRecords(const group::TopicPartition& partition) const;
  [[nodiscard]] size_t buffered_records() const { return buffered_; }
  // The next offset of `partition` to process: the last processed or skipped record's + 1,
  // else the first buffered record's; -1 when neither is known (or a foreign partition).
  [[nodiscard]] int64_t Position(const group::TopicPartition& partition) const;

  [[nodiscard]] int64_t stream_time_ms() const;
  [[nodiscard]] int64_t current_timestamp_ms() const;
  [[nodiscard]] uint64_t processed_records() const { return processed_; }
  [[nodiscard]] uint64_t skipped_records() const { return skipped_; }
  [[nodiscard]] uint64_t dropped_records() const { return dropped_; }
  [[nodiscard]] uint64_t punctuations() const { return punctuations_; }  // punctuator calls
  [[nodiscard]] const std::map<std::string, uint64_t, std::less<>>& dropped_by_reason() const {
    return dropped_by_reason_;
  }

 private:
  class Services;
  struct Entry {
    ConsumedRecord record;
    int64_t timestamp_ms = -1;      // extracted
    std::unique_ptr<Status> error;  // non-null: bad timestamp
  };
  struct PartitionQueue {
    group::TopicPartition tp;
    const internal::NodeSpec* source_spec = nullptr;
    internal::SourceNodeBase* source = nullptr;  // while Running
    std::deque<Entry> records;
    int64_t partition_time_ms = -1;  // largest extracted timestamp
    int64_t next_offset = -1;        // committable: last processed or skipped + 1
  };
  struct ScheduleEntry {
    std::shared_ptr<internal::ScheduleState> state;
    internal::NodeInstance* node = nullptr;
    PunctuationType type = PunctuationType::kStreamTime;
    int64_t interval_ms = 1;
    int64_t next_ms = 0;
    Punctuator fn;
  };

  StreamTask(TaskId id, std::shared_ptr<const ProcessorTopology> topology,
             const SubtopologySpec& sub, RecordCollector& collector, TaskStateAccess& state,
             StreamTaskOptions options);

  [[nodiscard]] Status Transition(TaskState to, std::initializer_list<TaskState> from);
  [[nodiscard]] Status CloseNodes();
  void DropNodes();
  [[nodiscard]] Entry Extract(ConsumedRecord record, PartitionQueue& queue) const;
  // Skips or fails on a bad record per the deserialization handler.
  [[nodiscard]] Status HandleBadRecord(PartitionQueue& queue, const Entry& entry,
                                       const Status& error);
  [[nodiscard]] Result<bool> Punctuate(PunctuationType type, int64_t now_ms);
  [[nodiscard]] std::string Where(const RecordMetadata& md) const;
  // "<task>: <kind> '<node>' failed <context>: <status message>", keeping the code.
  [[nodiscard]] Status NodeFailed(const Status& status, internal::NodeKind kind,
                                  const std::string& node, const std::string& context) const;
  [[nodiscard]] int64_t Now() const;

  TaskId id_;
  std::shared_ptr<const ProcessorTopology> topology_;
  const SubtopologySpec* sub_;
  RecordCollector& collector_;
  TaskStateAccess& state_access_;
  StreamTaskOptions options_;
  std::unique_ptr<Services> services_;
  std::string id_string_;  // "task 0_1"

  TaskState state_ = TaskState::kCreated;
  std::vector<group::TopicPartition> partitions_;
  std::vector<PartitionQueue> queues_;  // parallel to partitions_; never resized
  std::vector<std::unique_ptr<internal::NodeInstance>> nodes_;  // while Running
  std::vector<std::unique_ptr<ScheduleEntry>> schedules_;
  size_t buffered_ = 0;
  uint64_t processed_ = 0;
  uint64_t skipped_ = 0;
  uint64_t dropped_ = 0;
  uint64_t punctuations_ = 0;
  std::map<std::string, uint64_t, std::less<>> dropped_by_reason_;
  bool commit_needed_ = false;
  bool commit_requested_ = false;
};

}  // namespace brook::runtime
