// `brook local run|scale|status`: the local StatefulSet player (src/autoscale/local_runner.h).
#include <fmt/format.h>

#include <thread>

#include "autoscale/local_control.h"
#include "autoscale/local_runner.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "common/log.h"

namespace brook::cli {

using namespace std::chrono_literals;

Status LocalRun(const LocalRunOptions& o, std::ostream& out) {
  autoscale::LocalRunnerOptions options;
  options.name = o.name;
  options.command = o.command;
  options.state_dir = o.state_dir;
  options.base_port = o.base_port;
  options.grace_period = std::chrono::milliseconds(o.grace_ms);
  if (auto existing = autoscale::LocalRunnerStatus(options.state_dir, 1s); existing.ok()) {
    return Status::AlreadyExists("a local runner already controls " + o.state_dir);
  }
  BROOK_ASSIGN_OR_RETURN(auto runner, autoscale::LocalRunner::Create(options));
  BROOK_RETURN_IF_ERROR(runner->Scale(o.replicas));
  BROOK_ASSIGN_OR_RETURN(auto control, autoscale::LocalControlServer::Start(runner.get(), options));
  out << fmt::format("local runner {}: {} replica(s), state in {}, control at http://{}\n", o.name,
                     o.replicas, o.state_dir, control->endpoint())
      << std::flush;
  while (!StopRequested().load()) std::this_thread::sleep_for(100ms);
  Logger().info("local runner {}: stopping every instance (grace {} ms)", o.name, o.grace_ms);
  control.reset();
  runner->Stop();
  out << "local runner " << o.name << ": stopped\n";
  return Status::Ok();
}

Status LocalScale(const std::string& state_dir, int replicas, std::ostream& out) {
  BROOK_RETURN_IF_ERROR(autoscale::LocalRunnerScale(state_dir, replicas, 5s));
  out << "scaled to " << replicas << " replica(s)\n";
  return Status::Ok();
}

Status LocalStatus(const std::string& state_dir, bool json, std::ostream& out) {
  BROOK_ASSIGN_OR_RETURN(const nlohmann::json status, autoscale::LocalRunnerStatus(state_dir, 5s));
  if (json) {
    out << status.dump() << "\n";
    return Status::Ok();
  }
  out << fmt::format("{}: {} replica(s) wanted\n", status["name"].get<std::string>(),
                     status["replicas"].get<int>());
  out << fmt::format("{:<8} {:<20} {:>8} {:<9} {:>8} {:>10} {}\n", "ORDINAL", "NAME", "PID",
                     "STATE", "RESTARTS", "UPTIME_S", "ENDPOINT");
  for (const auto& i : status["instances"]) {
    out << fmt::format("{:<8} {:<20} {:>8} {:<9} {:>8} {:>10.1f} {}\n", i["ordinal"].get<int>(),
                       i["name"].get<std::string>(), i["pid"].get<int>(),
                       i["state"].get<std::string>(), i["restarts"].get<int>(),
                       static_cast<double>(i["uptime_ms"].get<int64_t>()) / 1000.0,
                       i["endpoint"].get<std::string>());
  }
  return Status::Ok();
}

}  // namespace brook::cli
