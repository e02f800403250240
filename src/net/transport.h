// Transport: the byte stream under a Kafka connection, kept behind an interface so TLS or
// SASL can be layered in later without touching the framing or the group client.
//
// Contract: non-blocking. Connect() starts a connection and returns at once; the caller
// waits for writability of fd() (poll) and then calls FinishConnect(). Read/Write move as
// many bytes as the OS takes now and return 0 when they would block; end of stream and
// socket errors are errors that name the peer. Host names are resolved with getaddrinfo
// inside Connect(), which may block on DNS.
//
// Thread-safety: an instance is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "brook/status.h"

namespace brook::net {

struct Endpoint {
  std::string host;
  int32_t port = 0;
  [[nodiscard]] std::string ToString() const { return host + ":" + std::to_string(port); }
  auto operator<=>(const Endpoint&) const = default;
};

// Parses "host:port" (IPv6 as "[::1]:9092"). Errors name the text.
[[nodiscard]] Result<Endpoint> ParseEndpoint(std::string_view text);

class Transport {
 public:
  virtual ~Transport() = default;
  // Starts connecting; OK means "in progress or done", check with FinishConnect.
  [[nodiscard]] virtual Status Connect(const Endpoint& endpoint) = 0;
  // After fd() is writable: OK when connected, an error when the connect failed.
  [[nodiscard]] virtual Status FinishConnect() = 0;
  [[nodiscard]] virtual Result<size_t> Read(std::span<uint8_t> into) = 0;
  [[nodiscard]] virtual Result<size_t> Write(std::span<const uint8_t> from) = 0;
  virtual void Close() = 0;
  // The descriptor to poll, or -1 when closed.
  [[nodiscard]] virtual int fd() const = 0;
};

// Plaintext TCP (TCP_NODELAY, close-on-exec).
std::unique_ptr<Transport> MakeTcpTransport();

}  // namespace brook::net
