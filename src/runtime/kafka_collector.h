// KafkaCollector: the instance's one producer (librdkafka), shared by every stream thread,
// carrying sink output, changelog writes and dead letters. Under exactly_once_v2 it is
// transactional (transactional.id = "<application.id>-<instance id>") and the instance
// commits input offsets inside the transaction (KIP-447, with the member's generation).
//
// Contract:
//   - Send() copies the record and returns once librdkafka queued it; a full local queue
//     blocks (serving delivery reports) for at most request.timeout.ms. It returns an error
//     only when the task must stop: a production error under the "fail" handler (sticky:
//     every later Send/Flush returns it), or a fatal producer error (fenced).
//   - Delivery errors go to the production-error handler: fail (sticky error naming topic and
//     partition), log-and-continue (counted, logged at most once a second), or dead-letter
//     (the record's bytes to the dead-letter topic with error headers). Under exactly-once
//     any delivery error makes the transaction abortable and is reported as fail.
//   - Flush() waits for every queued record; afterwards AckedOffsets() covers them all.
//   - AckedOffsets(): per topic-partition, the offset after the last acknowledged record —
//     what a changelog checkpoint may claim once the stores are flushed.
//
// Thread-safety: Send, SendDeadLetter, Poll, Flush and the getters may be called from any
// thread. The transaction calls must be serialized by the caller (the instance's commit
// holds every stream thread still while it runs them).
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "brook/config.h"
#include "brook/status.h"
#include "client/kafka_handle.h"
#include "group/topology.h"
#include "runtime/record_collector.h"
#include "runtime/runtime_config.h"

namespace brook::runtime {

// Header names of a dead-lettered record.
inline constexpr std::string_view kDlqErrorHeader = "brook.error";
inline constexpr std::string_view kDlqTopicHeader = "brook.error.topic";
inline constexpr std::string_view kDlqPartitionHeader = "brook.error.partition";
inline constexpr std::string_view kDlqOffsetHeader = "brook.error.offset";
inline constexpr std::string_view kDlqStageHeader =
    "brook.error.stage";  // deserialization|production

struct CollectorOptions {
  // Default: kAtLeastOnce
  ProcessingGuarantee guarantee = ProcessingGuarantee::kAtLeastOnce;
  // Required under exactly_once_v2.
  std::string transactional_id;
  // Default: kFail
  ErrorHandling production_errors = ErrorHandling::kFail;
  // Required for ErrorHandling::kDeadLetter (either handler).
  std::string dead_letter_topic;
};

struct CollectorStats {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t failed = 0;         // delivery errors, whatever the handler did
  uint64_t skipped = 0;        // failures skipped by log-and-continue
  uint64_t dead_lettered = 0;  // records sent to the dead-letter topic
};

// Where a dead letter came from.
struct DeadLetter {
  std::string_view topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  int64_t timestamp_ms = -1;
  const std::vector<RawHeader>* headers = nullptr;
  std::string_view stage;  // "deserialization" or "production"
  std::string_view error;
};

// The group identity under which offsets are committed in a transaction.
struct TxnGroup {
  std::string group_id;
  int32_t generation = -1;
  std::string member_id;
  std::string group_instance_id;  // empty for dynamic members
};

class KafkaCollector final : public RecordCollector {
 public:
  [[nodiscard]] static Result<std::unique_ptr<KafkaCollector>> Create(const Config& config,
                                                                      CollectorOptions options);
  ~KafkaCollector() override;
  KafkaCollector(const KafkaCollector&) = delete;
  KafkaCollector& operator=(const KafkaCollector&) = delete;

  [[nodiscard]] Status Send(const OutgoingRecord& record) override;
  // Sends a copy of a failed record with error headers to the dead-letter topic.
  [[nodiscard]] Status SendDeadLetter(const DeadLetter& letter);
  void Poll();  // serves delivery reports without blocking
  [[nodiscard]] Status Flush(std::chrono::milliseconds timeout);
  [[nodiscard]] std::map<group::TopicPartition, int64_t> AckedOffsets() const;
  // The sticky error (OK if none).
  [[nodiscard]] Status error() const;
  [[nodiscard]] CollectorStats stats() const;

  // Exactly-once. InitTransactions once at start (fences an older producer with the same
  // transactional.id), then Begin; Commit sends the offsets with the group identity and
  // commits; Abort discards everything since Begin. Errors name the step; a fenced producer
  // is kFailedPrecondition (the instance must stop).
  [[nodiscard]] Status InitTransactions(std::chrono::milliseconds timeout);
  [[nodiscard]] Status BeginTransaction();
  [[nodiscard]] Status CommitTransaction(const std::map<group::TopicPartition, int64_t>& offsets,
                                         const TxnGroup& group, std::chrono::milliseconds timeout);
  [[nodiscard]] Status AbortTransaction(std::chrono::milliseconds timeout);
  [[nodiscard]] bool transactional() const {
    return options_.guarantee == ProcessingGuarantee::kExactlyOnceV2;
  }
  // Forgets a non-fatal sticky error (after an aborted transaction was handled). Acked
  // offsets stay: aborted records below later ones are skipped by read_committed restores.
  void ResetAfterAbort();

 private:
  // One topic produced to: its librdkafka handle (held until the producer is destroyed) and
  // its acknowledged offsets. The per-message opaque of every record points here, so a
  // delivery report finds its topic without building or comparing the topic name.
  struct TopicState {
    KafkaCollector* owner = nullptr;
    std::string name;
    rd_kafka_topic_t* rkt = nullptr;
    std::vector<int64_t> acked;  // by partition: offset after the last acknowledged; -1 none
  };
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  explicit KafkaCollector(CollectorOptions options) : options_(std::move(options)) {}
  static void DeliveryCallback(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  void OnDelivery(TopicState& topic, const rd_kafka_message_t* msg);
  // The topic's state, created (with its librdkafka handle) on first use.
  [[nodiscard]] Result<TopicState*> Topic(std::string_view name);
  [[nodiscard]] Status Produce(std::string_view topic, int32_t partition,
                               std::optional<std::string_view> key,
                               std::optional<std::string_view> value, int64_t timestamp_ms,
                               rd_kafka_headers_t* headers, bool blocking);
  void SetError(Status s);

  CollectorOptions options_;
  std::unique_ptr<client::KafkaHandle> handle_;
  std::chrono::milliseconds request_timeout_{30000};
  // Topic states are created under topics_mu_ (exclusive) and never removed before the
  // producer is destroyed; their acked vectors are guarded by mu_.
  mutable std::shared_mutex topics_mu_;
  std::unordered_map<std::string, std::unique_ptr<TopicState>, NameHash, std::equal_to<>>
      topics_;  // guarded by topics_mu_
  mutable std::mutex mu_;
  Status error_;  // guarded by mu_
  // error_ is not OK: lets Send skip mu_ on the common path.
  std::atomic<bool> has_error_{false};
  std::chrono::steady_clock::time_point last_skip_log_;  // guarded by mu_
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> dead_lettered_{0};
};

}  // namespace brook::runtime
