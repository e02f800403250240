#include "net/transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace brook::net {

Result<Endpoint> ParseEndpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::InvalidArgument("bad address '" + std::string(text) + "': want [ipv6]:port");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("bad address '" + std::string(text) + "': want host:port");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  int32_t p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size() || p <= 0 ||
      p > 65535) {
    return Status::InvalidArgument("bad address '" + std::string(text) +
                                   "': want host:port with a port in 1..65535");
  }
  return Endpoint{std::string(host), p};
}

namespace {

std::string ErrnoText(int err) {
  return std::strerror(err);
}  // NOLINT(concurrency-mt-unsafe)

class TcpTransport final : public Transport {
 public:
  ~TcpTransport() override { Close(); }

  Status Connect(const Endpoint& endpoint) override {
    Close();
    peer_ = endpoint.ToString();
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string port = std::to_string(endpoint.port);
    const int rc = getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) {
      return Status::Unavailable("cannot resolve " + peer_ + ": " + gai_strerror(rc));
    }
    Status last = Status::Unavailable("no address for " + peer_);
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      const int fd =
          socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) {
        last = Status::Unavailable("socket() for " + peer_ + ": " + ErrnoText(errno));
        continue;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
        fd_ = fd;
        last = Status::Ok();
        break;
      }
      last = Status::Unavailable("connect to " + peer_ + ": " + ErrnoText(errno));
      ::close(fd);
    }
    freeaddrinfo(res);
    return last;
  }

  Status FinishConnect() override {
    if (fd_ < 0) return Status::FailedPrecondition("not connecting to " + peer_);
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return Status::Unavailable("connect to " + peer_ + ": " + ErrnoText(err));
    return Status::Ok();
  }

  Result<size_t> Read(std::span<uint8_t> into) override {
    if (fd_ < 0) return Status::FailedPrecondition("read on a closed connection to " + peer_);
    const ssize_t n = ::recv(fd_, into.data(), into.size(), 0);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) return Status::Unavailable("connection to " + peer_ + " closed by peer");
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return size_t{0};
    return Status::Unavailable("read from " + peer_ + ": " + ErrnoText(errno));
  }

  Result<size_t> Write(std::span<const uint8_t> from) override {
    if (fd_ < 0) return Status::FailedPrecondition("write on a closed connection to " + peer_);
    const ssize_t n = ::send(fd_, from.data(), from.size(), MSG_NOSIGNAL);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return size_t{0};
    return Status::Unavailable("write to " + peer_ + ": " + ErrnoText(errno));
  }

  void Close() override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int fd() const override { return fd_; }

 private:
  int fd_ = -1;
  std::string peer_;
};

}  // namespace

std::unique_ptr<Transport> MakeTcpTransport() {
  return std::make_unique<TcpTransport>();
}

}  // namespace brook::net
