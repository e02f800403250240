// RateLimiter: paces a loop to a target rate (events per second) without drifting: the
// n-th event is released no earlier than start + n / rate. A rate of 0 means unlimited.
//
// Thread-safety: single-threaded use.
#pragma once

#include <chrono>
#include <cstdint>

namespace brook::loadgen {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(double per_second, Clock::time_point start = Clock::now())
      : per_second_(per_second), start_(start) {}

  // How long to wait before event number `n` (0-based) may go; zero when it may go now.
  [[nodiscard]] Clock::duration WaitBefore(uint64_t n, Clock::time_point now) const;
  // Sleeps until event `n` may go.
  void Acquire(uint64_t n) const;

 private:
  double per_second_;
  Clock::time_point start_;
};

}  // namespace brook::loadgen
