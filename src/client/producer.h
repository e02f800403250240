// Producer: brook's one producer per process, a thin owner of a librdkafka producer.
//
// Contract: Create() runs the reachability check. Send() enqueues one record (copied); when
// librdkafka's queue is full it serves delivery reports and retries, so Send blocks
// (back-pressure) rather than dropping — for at most request.timeout.ms, then TimedOut.
// A record is "accepted" once Send returns OK; Flush() waits for every accepted record to
// be acknowledged and returns the first delivery error (naming topic and partition), so a
// caller that sees OK from Flush knows nothing it accepted was lost.
//
// Thread-safety: Send and Flush may be called from several threads; stats are atomic.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "brook/config.h"
#include "brook/status.h"
#include "client/kafka_handle.h"

namespace brook::client {

inline constexpr int32_t kAnyPartition = -1;  // let the partitioner choose (murmur2 of key)

class Producer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Producer>> Create(const Config& config);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // A null key (key_is_null) makes the partitioner pick a random partition.
  [[nodiscard]] Status Send(const std::string& topic, std::string_view key,
                            std::string_view value, int32_t partition = kAnyPartition,
                            bool key_is_null = false);
  // Serves delivery reports without blocking. Call regularly when sending in a loop.
  void Poll();
  // Waits for all outstanding records (at most request.timeout.ms).
  [[nodiscard]] Status Flush();

  [[nodiscard]] uint64_t delivered() const { return delivered_.load(); }
  [[nodiscard]] uint64_t failed() const { return failed_.load(); }
  [[nodiscard]] KafkaHandle& handle() { return *handle_; }

 private:
  Producer() = default;
  static void DeliveryCallback(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  rd_kafka_topic_t* Topic(const std::string& name);

  std::unique_ptr<KafkaHandle> handle_;
  std::chrono::milliseconds request_timeout_{30000};
  std::mutex topics_mu_;
  std::map<std::string, rd_kafka_topic_t*, std::less<>> topics_;  // guarded by topics_mu_
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> failed_{0};
  std::mutex error_mu_;
  std::string first_error_;  // guarded by error_mu_
};

}  // namespace brook::client
