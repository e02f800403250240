#include "metrics/health.h"

#include <memory>
#include <utility>

namespace brook::metrics {
namespace {

using nlohmann::json;

bool ShuttingDown(StreamsState s) {
  return s == StreamsState::kPendingShutdown || s == StreamsState::kNotRunning;
}

}  // namespace

Check Liveness(const StreamsStatus& s, const HealthOptions& options) {
  json reasons = json::array();
  if (s.state == StreamsState::kError) {
    reasons.push_back("the instance failed: " + s.error);
  } else if (s.state == StreamsState::kNotRunning) {
    reasons.push_back("the instance is not running");
  }
  json threads = json::array();
  for (const StreamsThreadInfo& t : s.threads) {
    const int64_t age = s.now_ms - t.last_loop_ms;
    threads.push_back({{"name", t.name}, {"alive", t.alive}, {"last_loop_age_ms", age}});
    if (!t.alive) {
      if (!ShuttingDown(s.state)) reasons.push_back("thread " + t.name + " exited");
    } else if (t.last_loop_ms > 0 && age > options.stuck_after.count()) {
      reasons.push_back("thread " + t.name + " has not looped for " + std::to_string(age) +
                        " ms (limit " + std::to_string(options.stuck_after.count()) + " ms)");
    }
  }
  Check c;
  c.ok = reasons.empty();
  c.body = {{"status", c.ok ? "ok" : "unhealthy"},
            {"state", StreamsStateName(s.state)},
            {"threads", std::move(threads)}};
  if (!c.ok) c.body["reasons"] = std::move(reasons);
  return c;
}

Check Readiness(const StreamsStatus& s) {
  json reasons = json::array();
  if (s.state != StreamsState::kRunning && s.state != StreamsState::kRebalancing) {
    reasons.push_back("the instance is " + std::string(StreamsStateName(s.state)));
  }
  if (!s.assigned) reasons.push_back("no assignment in the current generation yet");
  json restoring = json::array();
  int active = 0;
  for (const StreamsTaskInfo& t : s.tasks) {
    if (t.role != "active") continue;
    ++active;
    if (!t.restoring) continue;
    json r = {{"task", t.id.ToString()},
              {"restored", t.restored},
              {"remaining_offsets", t.lag},
              {"eta_seconds", nullptr}};
    if (t.restore_eta_seconds >= 0) r["eta_seconds"] = t.restore_eta_seconds;
    restoring.push_back(std::move(r));
  }
  if (!restoring.empty()) {
    reasons.push_back(std::to_string(restoring.size()) + " of " + std::to_string(active) +
                      " active tasks restoring");
  }
  Check c;
  c.ok = reasons.empty();
  c.body = {{"status", c.ok ? "ok" : "not_ready"},
            {"state", StreamsStateName(s.state)},
            {"generation", s.generation},
            {"active_tasks", active}};
  if (!c.ok) {
    c.body["reasons"] = std::move(reasons);
    c.body["restoring"] = std::move(restoring);
  }
  return c;
}

Status RegisterEndpoints(http::HttpServer& server, EndpointSources sources) {
  auto src = std::make_shared<const EndpointSources>(std::move(sources));
  BROOK_RETURN_IF_ERROR(server.Route("GET", "/metrics", [src](const http::HttpRequest&) {
    return http::HttpResponse::Text(200, src->metrics(), kPrometheusContentType);
  }));
  BROOK_RETURN_IF_ERROR(server.Route("GET", "/healthz", [src](const http::HttpRequest&) {
    Check c = Liveness(src->status(), src->health);
    return http::HttpResponse::Json(c.ok ? 200 : 503, c.body);
  }));
  BROOK_RETURN_IF_ERROR(server.Route("GET", "/readyz", [src](const http::HttpRequest&) {
    Check c = Readiness(src->status());
    return http::HttpResponse::Json(c.ok ? 200 : 503, c.body);
  }));
  return server.Route("GET", "/status", [src](const http::HttpRequest&) {
    return http::HttpResponse::Text(200, src->status_json(src->status()), "application/json");
  });
}

}  // namespace brook::metrics
