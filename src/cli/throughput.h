// Internal: throughput accounting and progress lines shared by produce, consume and pipe.
// Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace brook::cli {

class Throughput {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Throughput(uint64_t progress_ms) : progress_(std::chrono::milliseconds(progress_ms)) {}

  void Add(uint64_t records, uint64_t bytes) {
    records_ += records;
    bytes_ += bytes;
  }
  // Marks that records arrived now (call once per batch, not per record): the summary then
  // also reports the rate between the first and the last batch ("active"), which leaves out
  // connecting, the first fetch and an idle tail.
  void MarkActive() {
    const auto now = Clock::now();
    if (!first_active_) first_active_ = now;
    last_active_ = now;
  }
  // Prints "<verb> N records (R records/s, M MiB/s)" to `err` when a progress interval passed.
  void MaybeReport(std::ostream& err, const char* verb, uint64_t target = 0);

  [[nodiscard]] uint64_t records() const { return records_; }
  [[nodiscard]] uint64_t bytes() const { return bytes_; }
  [[nodiscard]] double seconds() const;
  [[nodiscard]] double records_per_second() const;
  [[nodiscard]] double mib_per_second() const;
  // One line "<verb> N records (B bytes) in T s: R records/s, M MiB/s", or JSON.
  [[nodiscard]] std::string Summary(const std::string& verb, bool json,
                                    const std::string& extra_json = "") const;

 private:
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_report_ = start_;
  uint64_t last_records_ = 0;
  std::chrono::milliseconds progress_;
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
  std::optional<Clock::time_point> first_active_;
  Clock::time_point last_active_{};
};

}  // namespace brook::cli
