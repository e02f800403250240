// `brook autoscale`: the Autoscaler (src/autoscale/autoscaler.h) over a real actuator (the
// local runner or a StatefulSet's scale subresource) and the instances' HTTP endpoints.
#include <fmt/format.h>

#include <thread>

#include "autoscale/autoscaler.h"
#include "autoscale/k8s_scaler.h"
#include "autoscale/local_control.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "common/log.h"

namespace brook::cli {
namespace {

using namespace std::chrono_literals;

class LocalActuator : public autoscale::Actuator {
 public:
  explicit LocalActuator(std::string state_dir) : state_dir_(std::move(state_dir)) {}
  Result<int> GetReplicas() override {
    BROOK_ASSIGN_OR_RETURN(const nlohmann::json s, autoscale::LocalRunnerStatus(state_dir_, 5s));
    return s.at("replicas").get<int>();
  }
  Status SetReplicas(int replicas) override {
    return autoscale::LocalRunnerScale(state_dir_, replicas, 5s);
  }

 private:
  std::string state_dir_;
};

class K8sActuator : public autoscale::Actuator {
 public:
  explicit K8sActuator(std::unique_ptr<autoscale::K8sScaler> scaler) : scaler_(std::move(scaler)) {}
  Result<int> GetReplicas() override { return scaler_->GetReplicas(); }
  Status SetReplicas(int replicas) override { return scaler_->SetReplicas(replicas); }

 private:
  std::unique_ptr<autoscale::K8sScaler> scaler_;
};

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    if (item.rfind("http://", 0) == 0) item = item.substr(7);
    while (!item.empty() && item.back() == '/') item.pop_back();
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

}  // namespace

Status Autoscale(const AutoscaleOptions& o, std::ostream& out) {
  std::unique_ptr<autoscale::Actuator> actuator;
  std::function<std::vector<std::string>(int)> endpoints;
  if (o.target.rfind("local:", 0) == 0) {
    const std::string dir = o.target.substr(6);
    BROOK_ASSIGN_OR_RETURN(const nlohmann::json s, autoscale::LocalRunnerStatus(dir, 5s));
    actuator = std::make_unique<LocalActuator>(dir);
    if (o.instances == "local") {
      const int base_port = s.at("base_port").get<int>();
      endpoints = [base_port](int n) {
        std::vector<std::string> v;
        v.reserve(static_cast<size_t>(std::max(n, 0)));
        for (int i = 0; i < n; ++i) v.push_back("127.0.0.1:" + std::to_string(base_port + i));
        return v;
      };
    }
  } else if (o.target.rfind("k8s:", 0) == 0) {
    const std::string rest = o.target.substr(4);
    const size_t slash = rest.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) {
      return Status::InvalidArgument("--target k8s:<namespace>/<statefulset>, got '" + o.target +
                                     "'");
    }
    autoscale::K8sClusterConfig cluster;
    if (!o.kubeconfig.empty()) {
      BROOK_ASSIGN_OR_RETURN(cluster, autoscale::KubeconfigConfig(o.kubeconfig, o.context));
    } else {
      BROOK_ASSIGN_OR_RETURN(cluster, autoscale::InClusterConfig());
    }
    BROOK_ASSIGN_OR_RETURN(auto scaler, autoscale::K8sScaler::Create(cluster, rest.substr(0, slash),
                                                                     rest.substr(slash + 1)));
    actuator = std::make_unique<K8sActuator>(std::move(scaler));
    if (o.instances == "local") {
      return Status::InvalidArgument("--instances local only goes with --target local:<dir>");
    }
  } else {
    return Status::InvalidArgument("--target must be local:<state-dir> or k8s:<ns>/<name>, got '" +
                                   o.target + "'");
  }
  if (!endpoints) {
    std::vector<std::string> list = SplitList(o.instances);
    if (list.empty()) return Status::InvalidArgument("--instances: no endpoint given");
    endpoints = [list](int n) {
      return std::vector<std::string>(list.begin(),
                                      list.begin() + std::min<size_t>(list.size(), n));
    };
  }

  autoscale::HttpInstanceClient client(std::chrono::milliseconds(o.http_timeout_ms));
  autoscale::AutoscalerOptions options;
  options.stabilizer.scale_up_window = std::chrono::milliseconds(o.scale_up_window_ms);
  options.stabilizer.scale_down_window = std::chrono::milliseconds(o.scale_down_window_ms);
  options.stabilizer.cooldown = std::chrono::milliseconds(o.cooldown_ms);
  options.stabilizer.max_scale_up_step = o.max_scale_up_step;
  options.stabilizer.max_scale_down_step = o.max_scale_down_step;
  options.min_replicas = o.min_replicas;
  options.max_replicas = o.max_replicas;
  options.drain_timeout = std::chrono::milliseconds(o.drain_timeout_ms);
  options.endpoints = endpoints;
  BROOK_ASSIGN_OR_RETURN(auto scaler,
                         autoscale::Autoscaler::Create(options, actuator.get(), &client));

  const auto start = std::chrono::steady_clock::now();
  while (!StopRequested().load()) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    auto step = scaler.Tick(now);
    if (!step.ok()) {
      if (o.once) return step.status();
      Logger().warn("autoscale: {}", step.status().message());
    } else {
      std::string line = fmt::format("replicas={}", step->current_replicas);
      if (step->recommendation) line += fmt::format(" recommendation={}", *step->recommendation);
      if (step->decision) {
        line += fmt::format(" action={} reason=\"{}\"", scaling::ActionName(step->decision->action),
                            step->decision->reason);
      }
      if (!step->draining.empty())
        line += fmt::format(" draining={}", fmt::join(step->draining, ","));
      if (step->acted) line += fmt::format(" scaled_to={}", *step->acted);
      for (const auto& n : step->notes) line += " note=\"" + n + "\"";
      out << line << "\n" << std::flush;
    }
    if (o.once) break;
    for (uint64_t waited = 0; waited < o.interval_ms && !StopRequested().load(); waited += 100) {
      std::this_thread::sleep_for(100ms);
    }
  }
  return Status::Ok();
}

}  // namespace brook::cli
