// KafkaConnection against a scripted TCP server on loopback (a thread per test).
#include "net/connection.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <thread>

#include "net/backoff.h"

namespace brook::net {
namespace {

using ::testing::HasSubstr;
using Bytes = std::vector<uint8_t>;

void Put32(Bytes& b, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(u >> s));
}

// A request frame: size, api key 18, version 0, correlation id, then one more byte.
Bytes Request(int32_t correlation_id) {
  Bytes b;
  Put32(b, 9);
  b.insert(b.end(), {0, 18, 0, 0});
  Put32(b, correlation_id);
  b.push_back(0);
  return b;
}

bool ReadAll(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t r = ::recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

void WriteAll(int fd, const Bytes& b) {
  size_t off = 0;
  while (off < b.size()) {
    const ssize_t w = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (w <= 0) return;
    off += static_cast<size_t>(w);
  }
}

// Reads one framed request; returns its correlation id.
std::optional<int32_t> ReadRequest(int fd) {
  uint8_t size_bytes[4];
  if (!ReadAll(fd, size_bytes, 4)) return std::nullopt;
  const uint32_t size = (uint32_t{size_bytes[0]} << 24) | (uint32_t{size_bytes[1]} << 16) |
                        (uint32_t{size_bytes[2]} << 8) | size_bytes[3];
  Bytes body(size);
  if (!ReadAll(fd, body.data(), size)) return std::nullopt;
  return static_cast<int32_t>((uint32_t{body[4]} << 24) | (uint32_t{body[5]} << 16) |
                              (uint32_t{body[6]} << 8) | body[7]);
}

// A framed response: size, correlation id, payload.
Bytes Response(int32_t correlation_id, const std::string& payload) {
  Bytes b;
  Put32(b, static_cast<int32_t>(4 + payload.size()));
  Put32(b, correlation_id);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

class FakeBroker {
 public:
  explicit FakeBroker(std::function<void(int)> script) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 4), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, script = std::move(script)] {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      script(fd);
      ::close(fd);
    });
  }
  ~FakeBroker() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
  }
  [[nodiscard]] Endpoint endpoint() const { return {"127.0.0.1", port_}; }

 private:
  int listen_fd_ = -1;
  int32_t port_ = 0;
  std::thread thread_;
};

struct Outcome {
  std::optional<Result<Bytes>> result;
};

KafkaConnection::Callback Capture(Outcome& o) {
  return [&o](Result<Bytes> r) { o.result = std::move(r); };
}

void PollUntil(KafkaConnection& c, const std::function<bool()>& done, int max_polls = 200) {
  for (int i = 0; i < max_polls && !done(); ++i) c.Poll(std::chrono::milliseconds(50));
}

// Connects `c` to `to`, sends one request and polls until its callback ran.
Result<Bytes> RoundTrip(KafkaConnection& c, const Endpoint& to) {
  Status st = c.Connect(to);
  if (!st.ok()) return st;
  Outcome o;
  st = c.Send(Request(c.NextCorrelationId()), std::chrono::seconds(5), Capture(o));
  if (!st.ok()) return st;
  PollUntil(c, [&] { return o.result.has_value(); });
  if (!o.result) return Status::Internal("the request's callback never ran");
  return std::move(*o.result);
}

std::string PayloadOf(const Result<Bytes>& r) {
  return r.ok() ? std::string(r->begin() + 4, r->end()) : "<" + r.status().ToString() + ">";
}

TEST(KafkaConnection, MatchesResponsesByCorrelationIdOutOfOrder) {
  FakeBroker broker([](int fd) {
    std::vector<int32_t> ids;
    ids.reserve(3);
    for (int i = 0; i < 3; ++i) ids.push_back(ReadRequest(fd).value_or(-1));
    for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
      WriteAll(fd, Response(*it, "answer-" + std::to_string(*it)));
    }
    ReadRequest(fd);  // wait for the client to close
  });
  KafkaConnection c(MakeTcpTransport());
  ASSERT_TRUE(c.Connect(broker.endpoint()).ok());
  Outcome o[3];
  for (auto& oi : o) {
    ASSERT_TRUE(c.Send(Request(c.NextCorrelationId()), std::chrono::seconds(5), Capture(oi)).ok());
  }
  PollUntil(c, [&] { return o[0].result && o[1].result && o[2].result; });
  EXPECT_EQ(PayloadOf(*o[0].result), "answer-1");
  EXPECT_EQ(PayloadOf(*o[1].result), "answer-2");
  EXPECT_EQ(PayloadOf(*o[2].result), "answer-3");
  EXPECT_TRUE(c.connected());
  EXPECT_EQ(c.in_flight(), 0U);
}

TEST(KafkaConnection, AssemblesFramesDeliveredOneByteAtATime) {
  FakeBroker broker([](int fd) {
    const int32_t id = ReadRequest(fd).value_or(-1);
    for (uint8_t byte : Response(id, "slow but whole")) {
      WriteAll(fd, Bytes{byte});
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ReadRequest(fd);
  });
  KafkaConnection c(MakeTcpTransport());
  const Result<Bytes> r = RoundTrip(c, broker.endpoint());
  EXPECT_EQ(PayloadOf(r), "slow but whole");
}

TEST(KafkaConnection, RequestTimeoutFailsItAndClosesTheConnection) {
  FakeBroker broker([](int fd) {
    ReadRequest(fd);
    ReadRequest(fd);
    ReadRequest(fd);  // never answers; returns when the client closes
  });
  KafkaConnection c(MakeTcpTransport());
  ASSERT_TRUE(c.Connect(broker.endpoint()).ok());
  Outcome slow;
  Outcome other;
  ASSERT_TRUE(
      c.Send(Request(c.NextCorrelationId()), std::chrono::milliseconds(200), Capture(slow)).ok());
  ASSERT_TRUE(
      c.Send(Request(c.NextCorrelationId()), std::chrono::seconds(30), Capture(other)).ok());
  PollUntil(c, [&] { return slow.result && other.result; });
  ASSERT_TRUE(slow.result && other.result);
  EXPECT_EQ(slow.result->status().code(), StatusCode::kTimedOut);
  EXPECT_THAT(slow.result->status().message(), HasSubstr("request 1 to 127.0.0.1:"));
  EXPECT_EQ(other.result->status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(c.connected());
}

TEST(KafkaConnection, OversizedFrameIsRejectedWithoutAllocatingIt) {
  FakeBroker broker([](int fd) {
    ReadRequest(fd);
    WriteAll(fd, Bytes{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1});
    ReadRequest(fd);
  });
  KafkaConnection c(MakeTcpTransport(), ConnectionOptions{.max_response_bytes = 1 << 20});
  const Result<Bytes> r = RoundTrip(c, broker.endpoint());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(r.status().message(), HasSubstr("response frame of 2147483647 bytes"));
  EXPECT_FALSE(c.connected());
}

TEST(KafkaConnection, TooShortAndNegativeFramesAreRejected) {
  for (const Bytes& bad : {Bytes{0, 0, 0, 2, 0, 0}, Bytes{0xff, 0xff, 0xff, 0xfe}}) {
    FakeBroker broker([bad](int fd) {
      ReadRequest(fd);
      WriteAll(fd, bad);
      ReadRequest(fd);
    });
    KafkaConnection c(MakeTcpTransport());
    const Result<Bytes> r = RoundTrip(c, broker.endpoint());
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  }
}

TEST(KafkaConnection, UnknownCorrelationIdClosesTheConnection) {
  FakeBroker broker([](int fd) {
    ReadRequest(fd);
    WriteAll(fd, Response(999, "stray"));
    ReadRequest(fd);
  });
  KafkaConnection c(MakeTcpTransport());
  const Result<Bytes> r = RoundTrip(c, broker.endpoint());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(r.status().message(), HasSubstr("unknown correlation id 999"));
  EXPECT_FALSE(c.connected());
}

TEST(KafkaConnection, PeerCloseFailsPendingRequests) {
  FakeBroker broker([](int fd) { ReadRequest(fd); });  // reads, then closes
  KafkaConnection c(MakeTcpTransport());
  const Result<Bytes> r = RoundTrip(c, broker.endpoint());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("closed by peer"));
  EXPECT_EQ(c.state(), KafkaConnection::State::kDisconnected);
  // It can connect again (to a new peer) after a failure.
  FakeBroker second([](int fd) {
    const int32_t id = ReadRequest(fd).value_or(-1);
    WriteAll(fd, Response(id, "again"));
    ReadRequest(fd);
  });
  EXPECT_EQ(PayloadOf(RoundTrip(c, second.endpoint())), "again");
  c.Close("test done");  // `second` is destroyed first and waits for the client to close
}

TEST(KafkaConnection, ConnectionRefusedIsReported) {
  // Bind then close a socket to get a port nobody listens on.
  Endpoint dead;
  {
    FakeBroker gone([](int) {});
    dead = gone.endpoint();
  }
  KafkaConnection c(MakeTcpTransport());
  // The refusal shows either at Connect() or, asynchronously, on the first request.
  const Result<Bytes> r = RoundTrip(c, dead);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(c.last_error().message(), HasSubstr(dead.ToString()));
  EXPECT_EQ(c.state(), KafkaConnection::State::kDisconnected);
}

TEST(KafkaConnection, SendChecksStateAndCorrelationId) {
  // The broker is declared first so it outlives the client: its script returns only once
  // the client has closed the connection.
  FakeBroker broker([](int fd) { ReadRequest(fd); });
  KafkaConnection c(MakeTcpTransport());
  EXPECT_EQ(c.Send(Request(1), std::chrono::seconds(1), nullptr).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(c.Connect(broker.endpoint()).ok());
  EXPECT_EQ(c.Send(Request(c.NextCorrelationId() + 5), std::chrono::seconds(1), nullptr).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Send(Bytes{1, 2, 3}, std::chrono::seconds(1), nullptr).code(),
            StatusCode::kInvalidArgument);
  Bytes bad_size = Request(c.NextCorrelationId());
  bad_size[3] = 50;
  EXPECT_EQ(c.Send(bad_size, std::chrono::seconds(1), nullptr).code(),
            StatusCode::kInvalidArgument);
}

TEST(Endpoint, ParsesHostPortAndNamesBadInput) {
  auto e = ParseEndpoint("broker-0.kafka:9092");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "broker-0.kafka");
  EXPECT_EQ(e->port, 9092);
  auto v6 = ParseEndpoint("[::1]:19092");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  for (const char* bad : {"nohost", ":9092", "h:0", "h:70000", "h:12x", "[::1]9092"}) {
    auto r = ParseEndpoint(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr(bad));
  }
}

TEST(Backoff, DoublesUpToTheCapWithBoundedJitter) {
  Backoff b(std::chrono::milliseconds(100), std::chrono::milliseconds(1000), 0.2, 7);
  const int64_t bases[] = {100, 200, 400, 800, 1000, 1000};
  for (int64_t base : bases) {
    const auto d = b.Next().count();
    EXPECT_GE(d, base * 8 / 10);
    EXPECT_LE(d, base * 12 / 10);
  }
  b.Reset();
  EXPECT_LE(b.Next().count(), 120);
}

}  // namespace
}  // namespace brook::net
