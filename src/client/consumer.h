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
// Thread-safety: one thread polls; Assign/Poll must not run concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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

class Consumer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Consumer>> Create(const Config& config);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  [[nodiscard]] Status Assign(const std::vector<std::string>& topics, StartFrom from);

  // Waits up to `timeout` for records and calls `fn` for each of at most `max_records`.
  // Returns the number of records handed out.
  [[nodiscard]] Result<size_t> Poll(std::chrono::milliseconds timeout, size_t max_records,
                                    const std::function<void(const RecordView&)>& fn);

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
