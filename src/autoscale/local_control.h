// The control plane of `brook local run`: a tiny HTTP endpoint on 127.0.0.1 (a free port)
// in front of a LocalRunner, found through <state-dir>/local-runner.json, and the client
// side `brook local scale|status` uses.
//
// Contract:
//   - LocalControlServer::Start() serves GET /status (JSON: name, replicas, base_port and
//     "instances": [{ordinal, name, pid, state, restarts, uptime_ms, endpoint}]) and
//     POST /scale?replicas=N (200 {"replicas": N}; 400 on a bad N), then writes
//     local-runner.json atomically: {"pid", "control": "127.0.0.1:<port>", "name",
//     "base_port"}. The destructor stops serving and removes the file.
//   - The client functions read local-runner.json (kNotFound naming it when absent: no
//     runner there) and call the endpoint; a refused connection is kUnavailable (a runner
//     that died without cleaning up), a non-200 answer kFailedPrecondition with its body.
//
// Thread-safety: the server's handlers run on its own threads and only use the thread-safe
// LocalRunner; the client functions are free functions, safe from any thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "autoscale/local_runner.h"
#include "brook/status.h"

namespace brook::http {
class HttpServer;
}

namespace brook::autoscale {

inline constexpr const char* kLocalRunnerStateFile = "local-runner.json";

class LocalControlServer {
 public:
  // `runner` must outlive the server.
  [[nodiscard]] static Result<std::unique_ptr<LocalControlServer>> Start(
      LocalRunner* runner, const LocalRunnerOptions& options);
  ~LocalControlServer();
  LocalControlServer(const LocalControlServer&) = delete;
  LocalControlServer& operator=(const LocalControlServer&) = delete;

  [[nodiscard]] std::string endpoint() const;

 private:
  LocalControlServer() = default;
  std::unique_ptr<http::HttpServer> server_;
  std::filesystem::path state_file_;
};

// The JSON GET /status answers.
[[nodiscard]] nlohmann::json LocalRunnerStatusJson(const LocalRunner& runner,
                                                   const LocalRunnerOptions& options);

// "127.0.0.1:<port>" of the runner controlling `state_dir`.
[[nodiscard]] Result<std::string> LocalControlEndpoint(const std::filesystem::path& state_dir);
[[nodiscard]] Result<nlohmann::json> LocalRunnerStatus(const std::filesystem::path& state_dir,
                                                       std::chrono::milliseconds timeout);
[[nodiscard]] Status LocalRunnerScale(const std::filesystem::path& state_dir, int replicas,
                                      std::chrono::milliseconds timeout);

}  // namespace brook::autoscale
