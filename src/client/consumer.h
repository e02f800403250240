// Consumer: a librdkafka consumer used with manual assignment only (brook drives group
// membership itself; librdkafka never joins a group here).
//
// Contract: Create() runs the reachability check. Assign() takes every partition of the
// given topics from the requested position (NotFound naming the topic if one is missing).
// Poll() hands out a batch of records through a callback and tracks, per partition,
// whether the consumer has reached the end of the log (AllAtEnd()). A record error from
// the broker is returned as a Status naming topic and partition; nothing is skipped
// silently.
//
// Explicit positions (for restore): IncrementalAssign() adds partitions at explicit offsets
// (kOffsetBeginning/kOffsetEnd or a real offset) to the current assignment and
// IncrementalUnassign() removes some; records of a removed partition still queued are
// discarded by librdkafka. Do not mix them with Assign() on one consumer. PollBatch() keeps
// the fetched messages alive in a ConsumedBatch so that callers can apply large batches
// without copying, and reports end-of-partition events (with the end offset) and partition
// errors instead of failing. QueryWatermarks() asks the partition leader (under
// isolation.level=read_committed the high mark is the last stable offset);
// CachedWatermarks() returns what the last fetch response said, without a request.
// Create() accepts properties brook requires for a particular consumer (e.g. the restore
// consumer's auto.offset.reset=error), applied after the user's settings.
//
// Thread-safety: one thread polls; Assign/Poll must not run concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brook/config.h"
#include "brook/status.h"
#include "client/kafka_handle.h"

namespace brook::client {

// A view of one consumed record, valid only during the callback.
struct RecordView {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = -1;
  std::string_view key;
  std::string_view value;
  bool key_is_null = false;
  bool value_is_null = false;
};

enum class StartFrom { kBeginning, kEnd };

// Logical offsets for PartitionOffset::offset.
inline constexpr int64_t kOffsetBeginning = RD_KAFKA_OFFSET_BEGINNING;
inline constexpr int64_t kOffsetEnd = RD_KAFKA_OFFSET_END;

struct PartitionOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = kOffsetBeginning;  // next offset to fetch, or a logical offset
};

struct Watermarks {
  int64_t low = -1;   // log start offset
  int64_t high = -1;  // high watermark (read_committed queries: last stable offset)
};

// The messages of one PollBatch(): records (views into the messages, valid until the batch
// is cleared, refilled or destroyed), end-of-partition events and partition errors, each in
// the order librdkafka delivered them. Move-only.
class ConsumedBatch {
 public:
  // A partition reached its end: every record below `offset` has been delivered (control
  // records and, under read_committed, aborted records are skipped).
  struct PartitionEnd {
    std::string_view topic;
    int32_t partition = 0;
    int64_t offset = 0;
  };
  // An error librdkafka reported. topic is empty for client-wide errors (e.g. all brokers
  // down), which librdkafka retries by itself.
  struct PartitionError {
    std::string_view topic;
    int32_t partition = -1;
    int64_t offset = -1;
    rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string message;
  };

  ConsumedBatch() = default;
  ~ConsumedBatch() { Clear(); }
  ConsumedBatch(ConsumedBatch&& other) noexcept;
  ConsumedBatch& operator=(ConsumedBatch&& other) noexcept;
  ConsumedBatch(const ConsumedBatch&) = delete;
  ConsumedBatch& operator=(const ConsumedBatch&) = delete;

  [[nodiscard]] const std::vector<RecordView>& records() const { return records_; }
  [[nodiscard]] const std::vector<PartitionEnd>& ends() const { return ends_; }
  [[nodiscard]] const std::vector<PartitionError>& errors() const { return errors_; }
  // Releases the messages (invalidates every view).
  void Clear();

 private:
  friend class Consumer;
  std::vector<rd_kafka_message_t*> messages_;
  std::vector<RecordView> records_;
  std::vector<PartitionEnd> ends_;
  std::vector<PartitionError> errors_;
};

class Consumer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Consumer>> Create(const Config& config);
  // As Create(config), then sets `required` (librdkafka properties) over everything else.
  [[nodiscard]] static Result<std::unique_ptr<Consumer>> Create(
      const Config& config, const std::map<std::string, std::string>& required);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  [[nodiscard]] Status Assign(const std::vector<std::string>& topics, StartFrom from);

  // Waits up to `timeout` for records and calls `fn` for each of at most `max_records`.
  // Returns the number of records handed out.
  [[nodiscard]] Result<size_t> Poll(std::chrono::milliseconds timeout, size_t max_records,
                                    const std::function<void(const RecordView&)>& fn);

  // Adds partitions at explicit positions to the assignment (rd_kafka_incremental_assign).
  // Internal error naming the first partition when librdkafka refuses.
  [[nodiscard]] Status IncrementalAssign(const std::vector<PartitionOffset>& partitions);
  // Removes partitions from the assignment (rd_kafka_incremental_unassign); offsets ignored.
  [[nodiscard]] Status IncrementalUnassign(const std::vector<PartitionOffset>& partitions);

  // Waits up to `timeout` for the first message, then up to `timeout` in all for at most
  // `max_messages` messages (records, end events, errors), and puts them into `batch`
  // (cleared first). Non-OK only when librdkafka's queue itself fails.
  [[nodiscard]] Status PollBatch(std::chrono::milliseconds timeout, size_t max_messages,
                                 ConsumedBatch& batch);

  // Asks the partition leader for the low and high watermarks (blocking, at most timeout).
  // NotFound when the topic or partition does not exist; Unavailable/TimedOut otherwise.
  [[nodiscard]] Result<Watermarks> QueryWatermarks(const std::string& topic, int32_t partition,
                                                   std::chrono::milliseconds timeout);
  // The same for many partitions at once (offsets ignored): one ListOffsets request per
  // leader for the log starts and one for the ends, instead of two per partition. The same
  // errors, naming the first partition that failed; an empty list gives an empty map.
  [[nodiscard]] Result<std::map<std::pair<std::string, int32_t>, Watermarks>> QueryWatermarks(
      const std::vector<PartitionOffset>& partitions, std::chrono::milliseconds timeout);
  // The watermarks of an assigned partition from the last fetch response (no request);
  // nullopt before the first fetch.
  [[nodiscard]] std::optional<Watermarks> CachedWatermarks(const std::string& topic,
                                                           int32_t partition) const;

  // True when every assigned partition has reached its end at least once since it last
  // returned a record.
  [[nodiscard]] bool AllAtEnd() const;
  [[nodiscard]] size_t assigned_partitions() const { return at_end_.size(); }
  [[nodiscard]] KafkaHandle& handle() { return *handle_; }

 private:
  Consumer() = default;
  std::unique_ptr<KafkaHandle> handle_;
  rd_kafka_queue_t* queue_ = nullptr;
  std::chrono::milliseconds request_timeout_{30000};
  std::map<std::pair<std::string, int32_t>, bool> at_end_;
  std::vector<rd_kafka_message_t*> batch_;  // scratch for Poll; owns nothing between calls
};

}  // namespace brook::client
