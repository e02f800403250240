// CoordinatorClient: the connection from a group member to its group coordinator.
//
// It bootstraps through any listed broker (ApiVersions, then FindCoordinator for the group),
// connects to the coordinator, negotiates API versions with it (ApiVersions) and then sends
// requests at the highest version both sides support. NOT_COORDINATOR,
// COORDINATOR_NOT_AVAILABLE and COORDINATOR_LOAD_IN_PROGRESS — from FindCoordinator, or
// reported by the caller through MarkDead() — lead to rediscovery with exponential backoff
// (retry_backoff doubling up to retry_backoff_max, with jitter). A failed, timed-out or
// undecodable response closes the connection (the byte stream can no longer be trusted);
// the next call reconnects.
//
// Contract: calls block the calling thread until the answer, the timeout, or `stop` becomes
// true (then kUnavailable "stopping"). Every error names the broker and the API.
// Thread-safety: not thread-safe; owned by the group thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brook/status.h"
#include "net/backoff.h"
#include "net/connection.h"
#include "net/transport.h"
#include "protocol/protocol.h"

namespace brook::group {

struct CoordinatorOptions {
  std::vector<net::Endpoint> bootstrap;  // at least one
  std::string group_id;
  std::string client_id = "brook";  // Default: "brook"
  // Per-request deadline for everything but JoinGroup (which waits for the rebalance).
  std::chrono::milliseconds request_timeout{30000};   // Default: 30 s
  std::chrono::milliseconds retry_backoff{100};       // Default: 100 ms
  std::chrono::milliseconds retry_backoff_max{1000};  // Default: 1 s
  // Default: plaintext TCP. Tests and TLS/SASL replace it.
  std::function<std::unique_ptr<net::Transport>()> transport_factory = net::MakeTcpTransport;
};

// Parses "host:port,host:port"; errors name the bad entry.
[[nodiscard]] Result<std::vector<net::Endpoint>> ParseBootstrap(std::string_view list);

class CoordinatorClient {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CoordinatorClient(CoordinatorOptions options);

  // Connected to the coordinator with versions negotiated. Retries (with backoff) until
  // `deadline`; kTimedOut then, with the last failure in the message.
  [[nodiscard]] Status EnsureReady(Clock::time_point deadline, const std::atomic<bool>& stop);

  // Sends one request (EnsureReady must have succeeded) and waits up to `timeout`.
  template <typename Req>
  [[nodiscard]] Result<typename Req::Response> Call(const Req& request,
                                                    std::chrono::milliseconds timeout,
                                                    const std::atomic<bool>& stop) {
    using Resp = typename Req::Response;
    BROOK_ASSIGN_OR_RETURN(const int16_t version, VersionFor(Req::kApiKey));
    const int32_t corr = conn_->NextCorrelationId();
    BROOK_ASSIGN_OR_RETURN(protocol::Bytes frame,
                           protocol::EncodeRequest(request, version, corr, options_.client_id));
    BROOK_ASSIGN_OR_RETURN(std::vector<uint8_t> payload,
                           RoundTrip(std::move(frame), timeout, stop, Req::kName));
    Result<protocol::ResponseFrame<Resp>> decoded =
        protocol::DecodeResponse<Resp>(version, payload, corr);
    if (!decoded.ok()) {
      const Status why = decoded.status().WithContext("from coordinator " + Describe());
      conn_->Close(why.message());
      ready_ = false;
      return why;
    }
    return std::move(decoded->body);
  }

  // The negotiated version of api (after EnsureReady); kFailedPrecondition before.
  [[nodiscard]] Result<int16_t> VersionFor(protocol::ApiKey api) const;

  // Forget the coordinator (after a coordinator error code): the next EnsureReady finds it
  // again, after a backoff.
  void MarkDead(const std::string& reason);

  [[nodiscard]] bool ready() const { return ready_ && conn_ && conn_->connected(); }
  // "host:port (node N)" or "unknown".
  [[nodiscard]] std::string Describe() const;
  [[nodiscard]] int rediscoveries() const { return rediscoveries_; }

 private:
  Result<std::vector<uint8_t>> RoundTrip(std::vector<uint8_t> frame,
                                         std::chrono::milliseconds timeout,
                                         const std::atomic<bool>& stop, std::string_view what);
  // Connect `conn` to `endpoint` and negotiate versions; fills `versions`.
  Status Open(net::KafkaConnection& conn, const net::Endpoint& endpoint,
              std::map<protocol::ApiKey, int16_t>& versions, const std::atomic<bool>& stop);
  Status TryOnce(const std::atomic<bool>& stop);
  Result<net::Endpoint> FindCoordinator(net::KafkaConnection& conn,
                                        const std::map<protocol::ApiKey, int16_t>& versions,
                                        const std::atomic<bool>& stop);
  template <typename Req>
  Result<typename Req::Response> CallOn(net::KafkaConnection& conn, int16_t version,
                                        const Req& request, const std::atomic<bool>& stop);

  CoordinatorOptions options_;
  std::unique_ptr<net::KafkaConnection> conn_;
  std::map<protocol::ApiKey, int16_t> versions_;
  std::optional<net::Endpoint> coordinator_;
  int32_t coordinator_node_ = -1;
  bool ready_ = false;
  size_t next_bootstrap_ = 0;
  net::Backoff backoff_;
  Clock::time_point not_before_{};
  int rediscoveries_ = 0;
};

}  // namespace brook::group
