#include "loadgen/rate_limiter.h"

#include <thread>

namespace brook::loadgen {

RateLimiter::Clock::duration RateLimiter::WaitBefore(uint64_t n, Clock::time_point now) const {
  if (per_second_ <= 0) return Clock::duration::zero();
  const auto due = start_ + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(static_cast<double>(n) / per_second_));
  return due > now ? due - now : Clock::duration::zero();
}

void RateLimiter::Acquire(uint64_t n) const {
  const auto wait = WaitBefore(n, Clock::now());
  if (wait > Clock::duration::zero()) std::this_thread::sleep_for(wait);
}

}  // namespace brook::loadgen
