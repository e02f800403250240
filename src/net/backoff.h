// Backoff: exponential reconnect/retry delays with jitter, as Kafka's clients do
// (reconnect.backoff.ms doubling up to reconnect.backoff.max.ms, ±20% jitter).
//
// Contract: Next() returns initial·2^k for the k-th failure since the last Reset(), capped
// at max, each multiplied by a factor in [1-jitter, 1+jitter]. Deterministic for a seed.
// Thread-safety: single-threaded use.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace brook::net {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, double jitter = 0.2,
          uint64_t seed = std::random_device{}())
      : initial_(initial), max_(max), jitter_(jitter), rng_(seed) {}

  std::chrono::milliseconds Next() {
    const double base =
        std::min<double>(static_cast<double>(max_.count()),
                         static_cast<double>(initial_.count()) *
                             static_cast<double>(uint64_t{1} << std::min(failures_, 30)));
    ++failures_;
    std::uniform_real_distribution<double> d(1.0 - jitter_, 1.0 + jitter_);
    return std::chrono::milliseconds(static_cast<int64_t>(base * d(rng_)));
  }
  void Reset() { failures_ = 0; }
  [[nodiscard]] int failures() const { return failures_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  double jitter_;
  std::mt19937_64 rng_;
  int failures_ = 0;
};

}  // namespace brook::net
