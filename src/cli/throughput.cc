#include "cli/throughput.h"

#include <fmt/format.h>

namespace brook::cli {

double Throughput::seconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

double Throughput::records_per_second() const {
  const double s = seconds();
  return s > 0 ? static_cast<double>(records_) / s : 0.0;
}

double Throughput::mib_per_second() const {
  const double s = seconds();
  return s > 0 ? static_cast<double>(bytes_) / s / (1024.0 * 1024.0) : 0.0;
}

void Throughput::MaybeReport(std::ostream& err, const char* verb, uint64_t target) {
  if (progress_.count() == 0) return;
  const auto now = Clock::now();
  if (now - last_report_ < progress_) return;
  const double dt = std::chrono::duration<double>(now - last_report_).count();
  const double rate = static_cast<double>(records_ - last_records_) / dt;
  if (target > 0) {
    err << fmt::format("{} {}/{} records ({:.0f} records/s)\n", verb, records_, target, rate);
  } else {
    err << fmt::format("{} {} records ({:.0f} records/s)\n", verb, records_, rate);
  }
  err.flush();
  last_report_ = now;
  last_records_ = records_;
}

std::string Throughput::Summary(const std::string& verb, bool json,
                                const std::string& extra_json) const {
  if (json) {
    std::string active;
    if (first_active_ && last_active_ > *first_active_) {
      const double s = std::chrono::duration<double>(last_active_ - *first_active_).count();
      active = fmt::format(R"(,"active_seconds":{:.3f},"active_records_per_second":{:.1f})", s,
                           static_cast<double>(records_) / s);
    }
    return fmt::format(
        R"({{"records":{},"bytes":{},"seconds":{:.3f},"records_per_second":{:.1f},"mib_per_second":{:.2f}{}{}}})",
        records_, bytes_, seconds(), records_per_second(), mib_per_second(), active, extra_json);
  }
  return fmt::format("{} {} records ({} bytes) in {:.2f} s: {:.0f} records/s, {:.2f} MiB/s", verb,
                     records_, bytes_, seconds(), records_per_second(), mib_per_second());
}

}  // namespace brook::cli
