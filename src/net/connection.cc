#include "net/connection.h"

#include <poll.h>

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

namespace brook::net {
namespace {

int32_t ReadBigEndian32(const uint8_t* p) {
  return static_cast<int32_t>((static_cast<uint32_t>(p[0]) << 24) |
                              (static_cast<uint32_t>(p[1]) << 16) |
                              (static_cast<uint32_t>(p[2]) << 8) | static_cast<uint32_t>(p[3]));
}

constexpr size_t kReadChunk = size_t{64} * 1024;
constexpr size_t kMaxUpfrontReserve = size_t{1024} * 1024;

}  // namespace

KafkaConnection::KafkaConnection(std::unique_ptr<Transport> transport, ConnectionOptions options)
    : transport_(std::move(transport)), options_(options) {}

KafkaConnection::~KafkaConnection() {
  transport_->Close();
}

Status KafkaConnection::Connect(const Endpoint& endpoint) {
  if (state_ != State::kDisconnected) {
    return Status::FailedPrecondition("connection to " + endpoint_.ToString() + " is already open");
  }
  endpoint_ = endpoint;
  out_.clear();
  out_pos_ = 0;
  in_.clear();
  in_have_ = 0;
  in_need_ = -1;
  Status st = transport_->Connect(endpoint);
  if (!st.ok()) {
    last_error_ = st;
    return st;
  }
  state_ = State::kConnecting;
  connect_deadline_ = Clock::now() + options_.connect_timeout;
  return Status::Ok();
}

Status KafkaConnection::Send(std::vector<uint8_t> frame, Clock::duration timeout,
                             Callback callback) {
  if (state_ == State::kDisconnected) {
    return Status::FailedPrecondition("not connected to " + endpoint_.ToString());
  }
  if (frame.size() < 12) {
    return Status::InvalidArgument("request frame of " + std::to_string(frame.size()) +
                                   " bytes has no header");
  }
  const int32_t size = ReadBigEndian32(frame.data());
  if (size < 0 || static_cast<size_t>(size) != frame.size() - 4) {
    return Status::InvalidArgument("request frame size prefix " + std::to_string(size) +
                                   " does not match its " + std::to_string(frame.size() - 4) +
                                   " payload bytes");
  }
  const int32_t id = ReadBigEndian32(frame.data() + 8);
  if (id != next_correlation_id_) {
    return Status::InvalidArgument("request carries correlation id " + std::to_string(id) +
                                   ", expected " + std::to_string(next_correlation_id_));
  }
  next_correlation_id_ =
      next_correlation_id_ == std::numeric_limits<int32_t>::max() ? 1 : next_correlation_id_ + 1;
  if (out_pos_ == out_.size()) {
    out_ = std::move(frame);
    out_pos_ = 0;
  } else {
    out_.insert(out_.end(), frame.begin(), frame.end());
  }
  pending_[id] = Pending{Clock::now() + timeout, std::move(callback)};
  return Status::Ok();
}

void KafkaConnection::Fail(const Status& why) {
  transport_->Close();
  state_ = State::kDisconnected;
  last_error_ = why;
  for (auto& [id, p] : pending_) ready_.emplace_back(std::move(p.callback), why);
  pending_.clear();
  out_.clear();
  out_pos_ = 0;
  in_.clear();
  in_have_ = 0;
  in_need_ = -1;
}

void KafkaConnection::Close(const std::string& reason) {
  if (state_ == State::kDisconnected && pending_.empty()) return;
  Fail(Status::Unavailable("connection to " + endpoint_.ToString() + " closed: " + reason));
}

void KafkaConnection::DoWrite() {
  while (out_pos_ < out_.size()) {
    auto n = transport_->Write(std::span<const uint8_t>(out_).subspan(out_pos_));
    if (!n.ok()) {
      Fail(n.status());
      return;
    }
    if (*n == 0) return;
    out_pos_ += *n;
  }
  out_.clear();
  out_pos_ = 0;
}

void KafkaConnection::DoRead() {
  std::array<uint8_t, kReadChunk> buf{};
  while (state_ == State::kConnected) {
    auto got = transport_->Read(buf);
    if (!got.ok()) {
      Fail(got.status());
      return;
    }
    if (*got == 0) return;
    size_t pos = 0;
    while (pos < *got) {
      if (in_need_ < 0) {  // reading the 4-byte size
        const size_t take = std::min<size_t>(4 - in_have_, *got - pos);
        in_.insert(in_.end(), buf.begin() + static_cast<ptrdiff_t>(pos),
                   buf.begin() + static_cast<ptrdiff_t>(pos + take));
        in_have_ += take;
        pos += take;
        if (in_have_ < 4) break;
        const int32_t size = ReadBigEndian32(in_.data());
        if (size < 4 || size > options_.max_response_bytes) {
          Fail(Status::Corruption("response frame of " + std::to_string(size) + " bytes from " +
                                  endpoint_.ToString() + " (allowed 4.." +
                                  std::to_string(options_.max_response_bytes) + ")"));
          return;
        }
        in_need_ = size;
        in_.clear();
        in_.reserve(std::min<size_t>(static_cast<size_t>(size), kMaxUpfrontReserve));
        in_have_ = 0;
        continue;
      }
      const size_t take = std::min<size_t>(static_cast<size_t>(in_need_) - in_have_, *got - pos);
      in_.insert(in_.end(), buf.begin() + static_cast<ptrdiff_t>(pos),
                 buf.begin() + static_cast<ptrdiff_t>(pos + take));
      in_have_ += take;
      pos += take;
      if (in_have_ < static_cast<size_t>(in_need_)) continue;
      const int32_t id = ReadBigEndian32(in_.data());
      auto it = pending_.find(id);
      if (it == pending_.end()) {
        Fail(Status::Corruption("response with unknown correlation id " + std::to_string(id) +
                                " from " + endpoint_.ToString()));
        return;
      }
      ready_.emplace_back(std::move(it->second.callback), std::move(in_));
      pending_.erase(it);
      in_ = {};
      in_have_ = 0;
      in_need_ = -1;
    }
  }
}

void KafkaConnection::ExpireDeadlines() {
  const auto now = Clock::now();
  if (state_ == State::kConnecting && now >= connect_deadline_) {
    Fail(Status::TimedOut("connect to " + endpoint_.ToString() + " timed out after " +
                          std::to_string(options_.connect_timeout.count()) + " ms"));
    return;
  }
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (now < it->second.deadline) continue;
    const int32_t id = it->first;
    ready_.emplace_back(std::move(it->second.callback),
                        Status::TimedOut("request " + std::to_string(id) + " to " +
                                         endpoint_.ToString() + " timed out"));
    pending_.erase(it);
    Fail(Status::Unavailable("connection to " + endpoint_.ToString() + " closed after request " +
                             std::to_string(id) + " timed out"));
    return;
  }
}

void KafkaConnection::Poll(std::chrono::milliseconds max_wait) {
  if (ready_.empty() && state_ != State::kDisconnected) {
    auto wait = max_wait;
    const auto now = Clock::now();
    auto nearest = state_ == State::kConnecting ? connect_deadline_ : Clock::time_point::max();
    for (const auto& [id, p] : pending_) nearest = std::min(nearest, p.deadline);
    if (nearest != Clock::time_point::max()) {
      const auto until =
          std::chrono::ceil<std::chrono::milliseconds>(std::max(nearest - now, Clock::duration{}));
      wait = std::min(wait, until);
    }
    pollfd pfd{};
    pfd.fd = transport_->fd();
    pfd.events = state_ == State::kConnecting
                     ? POLLOUT
                     : static_cast<short>(POLLIN | (out_pos_ < out_.size() ? POLLOUT : 0));
    const int rc = ::poll(&pfd, 1, static_cast<int>(std::max<int64_t>(0, wait.count())));
    if (rc > 0) {
      if (state_ == State::kConnecting) {
        Status st = transport_->FinishConnect();
        if (st.ok()) {
          state_ = State::kConnected;
          DoWrite();
        } else {
          Fail(st);
        }
      } else {
        if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0) DoRead();
        if (state_ == State::kConnected && (pfd.revents & POLLOUT) != 0) DoWrite();
      }
    }
    if (state_ == State::kConnected && out_pos_ < out_.size()) DoWrite();
    ExpireDeadlines();
  }
  auto ready = std::move(ready_);
  ready_.clear();
  for (auto& [cb, result] : ready) {
    if (cb) cb(std::move(result));
  }
}

}  // namespace brook::net
