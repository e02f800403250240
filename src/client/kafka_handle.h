// KafkaHandle: an owned librdkafka client (rd_kafka_t) with brook's logging and error
// capture wired in, and the start-up reachability check every brook command runs first.
//
// Contract: Create() fails with InvalidArgument on a bad configuration. CheckReachable()
// returns Unavailable naming bootstrap.servers (and the last transport error librdkafka
// saw) when no broker answered within bootstrap.timeout.ms — it never waits longer.
//
// Thread-safety: librdkafka handles are thread-safe; last_error() is guarded internally.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "brook/config.h"
#include "brook/status.h"
#include "client/client_config.h"

namespace brook::client {

class KafkaHandle {
 public:
  // `conf` must be a configuration from BuildRdKafkaConf; ownership passes to the handle.
  [[nodiscard]] static Result<std::unique_ptr<KafkaHandle>> Create(const Config& config,
                                                                   ClientRole role,
                                                                   RdConfPtr conf);
  ~KafkaHandle();
  KafkaHandle(const KafkaHandle&) = delete;
  KafkaHandle& operator=(const KafkaHandle&) = delete;

  [[nodiscard]] rd_kafka_t* get() const { return rk_; }
  [[nodiscard]] const std::string& bootstrap_servers() const { return bootstrap_; }
  [[nodiscard]] std::chrono::milliseconds bootstrap_timeout() const { return bootstrap_timeout_; }

  // Waits (at most bootstrap.timeout.ms) for a metadata response from any broker.
  [[nodiscard]] Status CheckReachable();

  // The last error librdkafka reported through its error callback, or "".
  [[nodiscard]] std::string last_error() const;

 private:
  KafkaHandle() = default;
  static void ErrorCallback(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static void LogCallback(const rd_kafka_t* rk, int level, const char* fac, const char* buf);

  rd_kafka_t* rk_ = nullptr;
  std::string bootstrap_;
  std::chrono::milliseconds bootstrap_timeout_{10000};
  mutable std::mutex mu_;
  std::string last_error_;  // guarded by mu_
};

// Formats a librdkafka error code as "<name>: <description>".
std::string RdKafkaErrorString(rd_kafka_resp_err_t err);

}  // namespace brook::client
