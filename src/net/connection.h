// KafkaConnection: one connection to one Kafka broker speaking Kafka's framing (a 4-byte
// big-endian size, then the message), with correlation ids, per-request deadlines and
// pipelining. It knows nothing of message contents beyond the correlation id, which is the
// first 4 bytes of every request header after api key and version, and of every response.
//
// Contract: single-threaded and event-driven. Send() queues a request and returns its
// correlation id; Poll() does the I/O and runs callbacks (always from inside Poll, never
// from Send). Every request's callback runs exactly once: with the response bytes (response
// header included), or with an error — TimedOut when its deadline passes, Unavailable when
// the connection fails or is closed. A request timeout, an oversized or malformed frame or a
// response with an unknown correlation id closes the connection and fails every pending
// request (the stream can no longer be trusted), as Kafka's clients do. The owner reconnects.
//
// Thread-safety: not thread-safe; owned and driven by one thread (the group thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "brook/status.h"
#include "net/transport.h"

namespace brook::net {

struct ConnectionOptions {
  // Largest response frame accepted; larger sizes close the connection.
  // Default: 100 MiB (Kafka's socket.request.max.bytes is 100 MiB too).
  int32_t max_response_bytes = 100 * 1024 * 1024;
  // How long a TCP connect may take. Default: 10 s.
  std::chrono::milliseconds connect_timeout{10000};
};

class KafkaConnection {
 public:
  using Clock = std::chrono::steady_clock;
  using Callback = std::function<void(Result<std::vector<uint8_t>>)>;
  enum class State { kDisconnected, kConnecting, kConnected };

  explicit KafkaConnection(std::unique_ptr<Transport> transport, ConnectionOptions options = {});
  ~KafkaConnection();
  KafkaConnection(const KafkaConnection&) = delete;
  KafkaConnection& operator=(const KafkaConnection&) = delete;

  // Starts connecting (state kConnecting); requests sent meanwhile are queued.
  [[nodiscard]] Status Connect(const Endpoint& endpoint);

  // The correlation id the next Send() must carry in its request header.
  [[nodiscard]] int32_t NextCorrelationId() const { return next_correlation_id_; }

  // Queues `frame`: a whole request frame as protocol::EncodeRequest makes it (4-byte size
  // prefix, header, body); its correlation id must be NextCorrelationId(). The callback gets
  // the response payload (response header + body, without the size prefix).
  // Errors: FailedPrecondition when disconnected, InvalidArgument for a malformed frame or a
  // correlation id other than NextCorrelationId().
  [[nodiscard]] Status Send(std::vector<uint8_t> frame, Clock::duration timeout, Callback callback);

  // Waits up to `max_wait` for I/O, then reads/writes what it can, completes connects,
  // runs callbacks of finished and timed-out requests. Returns early when a callback ran.
  void Poll(std::chrono::milliseconds max_wait);

  // Closes and fails all pending requests with Unavailable(reason).
  void Close(const std::string& reason);

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] bool connected() const { return state_ == State::kConnected; }
  [[nodiscard]] const Endpoint& endpoint() const { return endpoint_; }
  [[nodiscard]] size_t in_flight() const { return pending_.size(); }
  // Why the connection last closed (OK if it never failed).
  [[nodiscard]] const Status& last_error() const { return last_error_; }

 private:
  struct Pending {
    Clock::time_point deadline;
    Callback callback;
  };
  void Fail(const Status& why);
  void DoWrite();
  void DoRead();
  void ExpireDeadlines();

  std::unique_ptr<Transport> transport_;
  ConnectionOptions options_;
  Endpoint endpoint_;
  State state_ = State::kDisconnected;
  Clock::time_point connect_deadline_{};
  int32_t next_correlation_id_ = 1;
  std::map<int32_t, Pending> pending_;
  std::vector<uint8_t> out_;  // framed bytes not yet written
  size_t out_pos_ = 0;
  std::vector<uint8_t> in_;  // bytes of the frame being read
  size_t in_have_ = 0;
  int32_t in_need_ = -1;  // body size of the frame being read, -1 while reading the size
  std::vector<std::pair<Callback, Result<std::vector<uint8_t>>>> ready_;
  Status last_error_;
};

}  // namespace brook::net
