// Health, readiness and the observability routes of an instance's HTTP server:
//
//   GET /metrics  Prometheus text exposition (version 0.0.4)
//   GET /healthz  liveness: 200 when every thread runs and the instance has not failed
//   GET /readyz   readiness: 200 when the instance holds an assignment and every active task
//                 runs (none restoring)
//   GET /status   the instance's status as JSON (brook::StatusToJson)
//
// Liveness() and Readiness() are pure functions of a brook::StreamsStatus, so the runtime and
// the tests (fake statuses) share them. Both answer a JSON object: {"status": "ok"} plus
// details, or {"status": "unhealthy" | "not_ready", "reasons": [...]} and what is pending.
//
// Liveness fails when the instance is in ERROR (a fatal error, e.g. fenced by another
// process with its group.instance.id) or NOT_RUNNING, a thread exited while the instance was
// not shutting down, or a thread has not completed a loop for `stuck_after` (the group's
// max.poll.interval.ms: the group would drop the member too). Before Start() (CREATED) it is
// alive. Readiness fails unless the state is RUNNING or REBALANCING, the instance holds an
// assignment of the current generation, and no active task is restoring; the answer lists
// the restoring tasks with their remaining changelog offsets and ETA.
//
// Thread-safety: the functions are pure; RegisterEndpoints() before the server starts; the
// routes call the sources concurrently from the server's worker threads, so the sources
// must be thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "brook/status.h"
#include "brook/streams.h"
#include "http/server.h"

namespace brook::metrics {

struct HealthOptions {
  // A thread that has not looped for this long is stuck. Default: 300 s
  std::chrono::milliseconds stuck_after{300000};
};

struct Check {
  bool ok = false;
  nlohmann::json body;  // {"status": ..., "reasons": [...], ...}
};

[[nodiscard]] Check Liveness(const StreamsStatus& status, const HealthOptions& options);
[[nodiscard]] Check Readiness(const StreamsStatus& status);

struct EndpointSources {
  std::function<StreamsStatus()> status;                         // a fresh status
  std::function<std::string(const StreamsStatus&)> status_json;  // /status body
  std::function<std::string()> metrics;                          // /metrics body
  HealthOptions health;
};

// Adds GET /metrics, /healthz, /readyz and /status to `server` (before it starts).
[[nodiscard]] Status RegisterEndpoints(http::HttpServer& server, EndpointSources sources);

// Content type of the Prometheus text format.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace brook::metrics
