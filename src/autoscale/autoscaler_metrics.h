// AutoscalerMetrics: what `brook autoscale --listen` serves: the autoscaler's own gauges on
// GET /metrics (Prometheus text format 0.0.4) and its liveness on GET /healthz.
//
// Contract:
//   - Record(step) / RecordError(status) after every Tick() of the Autoscaler.
//   - brook_autoscaler_desired_replicas is the ONE series an HPA (External metric) or KEDA
//     (Prometheus query) follows: the recommendation of the last tick (the median of the
//     instances' brook_desired_replicas, clamped to [min, max]); when no instance reported
//     it is the current replica count (hold: the scaler changes nothing); while a scale-down
//     drains it keeps its value. It is absent before the first successful tick and after a
//     failed one (the target could not be read): an HPA whose metric is missing holds.
//   - Every metric name starts with brook_autoscaler_ (the instances' own
//     brook_desired_replicas is another name, so a query can never mix the two).
//   - Healthz(now): 200 while the loop runs (a tick ended, or the process started, less
//     than `stale_after` ago), else 503; the body is JSON with the last tick's outcome.
//   - RegisterEndpoints() adds GET /metrics and GET /healthz to a server not yet started.
//
// Thread-safety: every method is thread-safe (one mutex): the control loop records while the
// server's worker threads expose.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "autoscale/autoscaler.h"
#include "brook/status.h"
#include "http/server.h"

namespace brook::autoscale {

struct AutoscalerMetricsOptions {
  bool recommend_only = false;
  int min_replicas = 1;
  int max_replicas = 100;
  // /healthz fails when no tick ended for this long.
  Millis stale_after{60000};
};

class AutoscalerMetrics {
 public:
  // `now` values are of one monotonic clock (the loop's); `wall` is seconds since the epoch.
  AutoscalerMetrics(AutoscalerMetricsOptions options, Millis started);

  void Record(const AutoscalerStep& step, Millis now, double wall_seconds);
  void RecordError(const Status& status, Millis now);

  [[nodiscard]] std::string Expose() const;
  // HTTP status and JSON body of /healthz.
  [[nodiscard]] std::pair<int, std::string> Healthz(Millis now) const;

 private:
  AutoscalerMetricsOptions options_;
  mutable std::mutex mu_;
  Millis last_tick_;  // the last tick's end (or the start)
  uint64_t ticks_ok_ = 0;
  uint64_t ticks_error_ = 0;
  std::string last_error_;
  std::optional<int> desired_;
  std::optional<int> current_;
  bool signal_ = false;
  int reporting_ = 0;
  int draining_ = 0;
  uint64_t scale_ups_ = 0;
  uint64_t scale_downs_ = 0;
  std::optional<double> last_scale_wall_;
  std::optional<int> last_scale_replicas_;
};

// GET /metrics and GET /healthz of `metrics` on `server` (before Start()); `clock` gives the
// `now` of Healthz().
[[nodiscard]] Status RegisterEndpoints(http::HttpServer& server, const AutoscalerMetrics& metrics,
                                       std::function<Millis()> clock);

}  // namespace brook::autoscale
