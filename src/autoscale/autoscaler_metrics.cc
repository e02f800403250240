#include "autoscale/autoscaler_metrics.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace brook::autoscale {

namespace {

void Gauge(std::string& out, std::string_view name, std::string_view help,
           std::optional<double> value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
  if (value) out += fmt::format("{} {}\n", name, *value);
}

}  // namespace

AutoscalerMetrics::AutoscalerMetrics(AutoscalerMetricsOptions options, Millis started)
    : options_(options), last_tick_(started) {}

void AutoscalerMetrics::Record(const AutoscalerStep& step, Millis now, double wall_seconds) {
  const std::lock_guard lock(mu_);
  last_tick_ = now;
  ++ticks_ok_;
  last_error_.clear();
  current_ = step.current_replicas;
  reporting_ = step.instances_reporting;
  signal_ = step.recommendation.has_value();
  draining_ = static_cast<int>(step.draining.size());
  if (step.recommendation) {
    desired_ = step.recommendation;
  } else if (step.draining.empty() || !desired_) {
    desired_ = step.current_replicas;  // hold
  }
  if (step.acted) {
    if (*step.acted > step.current_replicas) ++scale_ups_;
    if (*step.acted < step.current_replicas) ++scale_downs_;
    last_scale_wall_ = wall_seconds;
    last_scale_replicas_ = *step.acted;
  }
}

void AutoscalerMetrics::RecordError(const Status& status, Millis now) {
  const std::lock_guard lock(mu_);
  last_tick_ = now;
  ++ticks_error_;
  last_error_ = status.message();
  desired_.reset();
  current_.reset();
  signal_ = false;
  reporting_ = 0;
}

std::string AutoscalerMetrics::Expose() const {
  const std::lock_guard lock(mu_);
  std::string out;
  auto opt = [](std::optional<int> v) {
    return v ? std::optional<double>(*v) : std::optional<double>();
  };
  Gauge(out, "brook_autoscaler_desired_replicas",
        "Replicas the app should run: the median of the instances' brook_desired_replicas, "
        "clamped to [min, max]; the current count when no instance reported. What an HPA or "
        "KEDA follows.",
        opt(desired_));
  Gauge(out, "brook_autoscaler_current_replicas",
        "Replicas of the target (its scale) at the last tick.", opt(current_));
  Gauge(out, "brook_autoscaler_min_replicas", "Lower bound of the recommendation.",
        options_.min_replicas);
  Gauge(out, "brook_autoscaler_max_replicas", "Upper bound of the recommendation.",
        options_.max_replicas);
  Gauge(out, "brook_autoscaler_signal",
        "1 when at least one instance reported brook_desired_replicas at the last tick.",
        signal_ ? 1 : 0);
  Gauge(out, "brook_autoscaler_instances_reporting",
        "Instances whose brook_desired_replicas was read at the last tick.", reporting_);
  Gauge(out, "brook_autoscaler_draining_instances", "Instances being drained before a scale-down.",
        draining_);
  Gauge(out, "brook_autoscaler_recommend_only",
        "1 when the autoscaler only recommends (an HPA or KEDA scales), 0 when it scales.",
        options_.recommend_only ? 1 : 0);
  Gauge(out, "brook_autoscaler_last_scale_timestamp_seconds",
        "When the autoscaler last changed the replica count (seconds since the epoch).",
        last_scale_wall_);
  Gauge(out, "brook_autoscaler_last_scale_replicas", "The replica count the autoscaler last set.",
        opt(last_scale_replicas_));
  out +=
      "# HELP brook_autoscaler_scale_actions_total Replica count changes made by the "
      "autoscaler.\n# TYPE brook_autoscaler_scale_actions_total counter\n";
  out += fmt::format("brook_autoscaler_scale_actions_total{{direction=\"up\"}} {}\n", scale_ups_);
  out +=
      fmt::format("brook_autoscaler_scale_actions_total{{direction=\"down\"}} {}\n", scale_downs_);
  out +=
      "# HELP brook_autoscaler_ticks_total Decisions made (ok) or failed (error: the target "
      "could not be read or changed).\n# TYPE brook_autoscaler_ticks_total counter\n";
  out += fmt::format("brook_autoscaler_ticks_total{{result=\"ok\"}} {}\n", ticks_ok_);
  out += fmt::format("brook_autoscaler_ticks_total{{result=\"error\"}} {}\n", ticks_error_);
  return out;
}

std::pair<int, std::string> AutoscalerMetrics::Healthz(Millis now) const {
  const std::lock_guard lock(mu_);
  const Millis age = now - last_tick_;
  const bool live = age <= options_.stale_after;
  nlohmann::json j = {{"status", live ? "ok" : "stuck"},
                      {"last_tick_age_ms", age.count()},
                      {"ticks_ok", ticks_ok_},
                      {"ticks_error", ticks_error_}};
  if (!last_error_.empty()) j["last_error"] = last_error_;
  return {live ? 200 : 503, http::DumpJson(j)};
}

Status RegisterEndpoints(http::HttpServer& server, const AutoscalerMetrics& metrics,
                         std::function<Millis()> clock) {
  BROOK_RETURN_IF_ERROR(server.Route("GET", "/metrics", [&metrics](const http::HttpRequest&) {
    return http::HttpResponse::Text(200, metrics.Expose(), "text/plain; version=0.0.4");
  }));
  return server.Route("GET", "/healthz",
                      [&metrics, clock = std::move(clock)](const http::HttpRequest&) {
                        auto [code, body] = metrics.Healthz(clock());
                        http::HttpResponse r;
                        r.status = code;
                        r.body = std::move(body);
                        return r;
                      });
}

}  // namespace brook::autoscale
