#include "autoscale/local_control.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "http/client.h"
#include "http/server.h"

namespace brook::autoscale {

nlohmann::json LocalRunnerStatusJson(const LocalRunner& runner, const LocalRunnerOptions& options) {
  nlohmann::json instances = nlohmann::json::array();
  for (const ChildStatus& c : runner.Children()) {
    instances.push_back(
        {{"ordinal", c.ordinal},
         {"name", c.name},
         {"pid", c.pid},
         {"state", ChildStateName(c.state)},
         {"restarts", c.restarts},
         {"uptime_ms", c.uptime.count()},
         {"endpoint", "127.0.0.1:" + std::to_string(options.base_port + c.ordinal)}});
  }
  return {{"name", options.name},
          {"replicas", runner.replicas()},
          {"base_port", options.base_port},
          {"instances", std::move(instances)}};
}

Result<std::unique_ptr<LocalControlServer>> LocalControlServer::Start(
    LocalRunner* runner, const LocalRunnerOptions& options) {
  BROOK_ASSIGN_OR_RETURN(auto server,
                         http::HttpServer::Create({.listen = "127.0.0.1:0", .threads = 2}));
  BROOK_RETURN_IF_ERROR(
      server->Route("GET", "/status", [runner, options](const http::HttpRequest&) {
        return http::HttpResponse::Json(200, LocalRunnerStatusJson(*runner, options));
      }));
  BROOK_RETURN_IF_ERROR(server->Route("POST", "/scale", [runner](const http::HttpRequest& req) {
    const std::string text = req.Query("replicas").value_or("");
    int replicas = -1;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), replicas);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
      return http::HttpResponse::Error(400, "replicas must be a number, got '" + text + "'");
    }
    if (Status s = runner->Scale(replicas); !s.ok()) {
      return http::HttpResponse::Error(400, s.message());
    }
    return http::HttpResponse::Json(200, {{"replicas", replicas}});
  }));
  BROOK_RETURN_IF_ERROR(server->Start());

  std::unique_ptr<LocalControlServer> out(new LocalControlServer());
  out->state_file_ = options.state_dir / kLocalRunnerStateFile;
  const nlohmann::json state = {{"pid", ::getpid()},
                                {"control", "127.0.0.1:" + std::to_string(server->port())},
                                {"name", options.name},
                                {"base_port", options.base_port}};
  out->server_ = std::move(server);
  const std::filesystem::path tmp = out->state_file_.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << state.dump(2) << "\n";
    if (!f) return Status::IoError("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out->state_file_, ec);
  if (ec) {
    return Status::IoError("cannot write " + out->state_file_.string() + ": " + ec.message());
  }
  return out;
}

LocalControlServer::~LocalControlServer() {
  if (server_) server_->Stop();
  std::error_code ec;
  if (!state_file_.empty()) std::filesystem::remove(state_file_, ec);
}

std::string LocalControlServer::endpoint() const {
  return "127.0.0.1:" + std::to_string(server_->port());
}

Result<std::string> LocalControlEndpoint(const std::filesystem::path& state_dir) {
  const std::filesystem::path file = state_dir / kLocalRunnerStateFile;
  std::ifstream in(file);
  if (!in) {
    return Status::NotFound("no local runner at " + state_dir.string() + " (" + file.string() +
                            " missing; start one with 'brook local run')");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const nlohmann::json state = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!state.is_object() || !state.contains("control") || !state["control"].is_string()) {
    return Status::Corruption(file.string() + ": no \"control\" endpoint");
  }
  return state["control"].get<std::string>();
}

namespace {

Result<nlohmann::json> Answer(const std::string& what, const http::HttpClientResponse& r) {
  const nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  if (r.status != 200) {
    return Status::FailedPrecondition(
        what + ": HTTP " + std::to_string(r.status) + ": " +
        (body.is_object() && body.contains("error") ? body["error"].get<std::string>() : r.body));
  }
  if (body.is_discarded()) return Status::Corruption(what + ": answer is not JSON");
  return body;
}

}  // namespace

Result<nlohmann::json> LocalRunnerStatus(const std::filesystem::path& state_dir,
                                         std::chrono::milliseconds timeout) {
  BROOK_ASSIGN_OR_RETURN(const std::string endpoint, LocalControlEndpoint(state_dir));
  BROOK_ASSIGN_OR_RETURN(auto r, http::HttpGet(endpoint, "/status", {}, timeout));
  return Answer("GET http://" + endpoint + "/status", r);
}

Status LocalRunnerScale(const std::filesystem::path& state_dir, int replicas,
                        std::chrono::milliseconds timeout) {
  BROOK_ASSIGN_OR_RETURN(const std::string endpoint, LocalControlEndpoint(state_dir));
  const std::string target = "/scale?replicas=" + std::to_string(replicas);
  BROOK_ASSIGN_OR_RETURN(auto r, http::HttpPost(endpoint, target, "", "text/plain", {}, timeout));
  return Answer("POST http://" + endpoint + target, r).status();
}

}  // namespace brook::autoscale
