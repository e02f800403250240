// `brook autoscale`: the Autoscaler (src/autoscale/autoscaler.h) over a real actuator (the
// local runner or a StatefulSet's scale subresource) and the instances' HTTP endpoints. The
// arguments are turned into a Plan first (pure: no file, no network; `--check` stops there),
// then the loop runs, optionally serving its own metrics (`--listen`).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <thread>

#include "autoscale/autoscaler.h"
#include "autoscale/autoscaler_metrics.h"
#include "autoscale/instance_pattern.h"
#include "autoscale/k8s_scaler.h"
#include "autoscale/local_control.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "common/log.h"
#include "http/server.h"
#include "scaling/stabilizer.h"

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

// A Kubernetes object name as the API server accepts it for a namespace or StatefulSet
// (lower-case alphanumerics, '-', '.'; starting and ending alphanumeric; at most 253).
bool IsK8sName(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-' || c == '.'; });
}

// Everything `brook autoscale` will do, from the arguments alone: no file read, no
// connection. Errors name the flag.
struct Plan {
  bool local = false;
  std::string state_dir;  // local
  std::string ns;         // k8s
  std::string statefulset;
  enum class Instances { kLocal, kList, kPattern } instances = Instances::kLocal;
  std::vector<std::string> list;
  std::optional<autoscale::InstancePattern> pattern;
  autoscale::AutoscalerOptions options;
};

Result<Plan> MakePlan(const AutoscaleOptions& o) {
  Plan plan;
  if (o.target.rfind("local:", 0) == 0) {
    plan.local = true;
    plan.state_dir = o.target.substr(6);
    if (plan.state_dir.empty()) {
      return Status::InvalidArgument("--target local:<state-dir>: the state dir is empty");
    }
  } else if (o.target.rfind("k8s:", 0) == 0) {
    const std::string rest = o.target.substr(4);
    const size_t slash = rest.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) {
      return Status::InvalidArgument("--target k8s:<namespace>/<statefulset>, got '" + o.target +
                                     "'");
    }
    plan.ns = rest.substr(0, slash);
    plan.statefulset = rest.substr(slash + 1);
    for (const auto& [what, name] :
         {std::pair{"namespace", plan.ns}, std::pair{"statefulset", plan.statefulset}}) {
      if (!IsK8sName(name)) {
        return Status::InvalidArgument(fmt::format(
            "--target k8s:<namespace>/<statefulset>: '{}' is no valid {} name (lower-case "
            "alphanumerics, '-', '.')",
            name, what));
      }
    }
  } else {
    return Status::InvalidArgument("--target must be local:<state-dir> or k8s:<ns>/<name>, got '" +
                                   o.target + "'");
  }
  if (plan.local && !o.kubeconfig.empty()) {
    return Status::InvalidArgument("--kubeconfig only goes with --target k8s:<ns>/<statefulset>");
  }
  if (!o.context.empty() && o.kubeconfig.empty()) {
    return Status::InvalidArgument("--context needs --kubeconfig (in-cluster has no contexts)");
  }

  if (!o.instances_pattern.empty()) {
    std::map<std::string, std::string> vars;
    if (!plan.local) vars = {{"namespace", plan.ns}, {"statefulset", plan.statefulset}};
    auto pattern = autoscale::InstancePattern::Parse(o.instances_pattern, vars);
    if (!pattern.ok()) {
      return Status::InvalidArgument("--instances-pattern: " + pattern.status().message());
    }
    plan.instances = Plan::Instances::kPattern;
    plan.pattern = std::move(*pattern);
  } else if (o.instances == "local") {
    if (!plan.local) {
      return Status::InvalidArgument(
          "--target k8s: needs --instances host:port,... or --instances-pattern (--instances "
          "local only goes with --target local:<dir>)");
    }
  } else {
    plan.instances = Plan::Instances::kList;
    plan.list = SplitList(o.instances);
    if (plan.list.empty()) return Status::InvalidArgument("--instances: no endpoint given");
    for (const auto& e : plan.list) {
      if (Status s = autoscale::ValidateEndpoint(e); !s.ok()) {
        return Status::InvalidArgument("--instances: " + s.message());
      }
    }
  }

  if (o.min_replicas < 0) {
    return Status::InvalidArgument(
        fmt::format("--min-replicas must be >= 0, got {}", o.min_replicas));
  }
  if (o.max_replicas < 1 || o.max_replicas < o.min_replicas) {
    return Status::InvalidArgument(
        fmt::format("--max-replicas ({}) must be >= 1 and >= --min-replicas ({})", o.max_replicas,
                    o.min_replicas));
  }
  if (o.max_scale_up_step < 0 || o.max_scale_down_step < 0) {
    return Status::InvalidArgument(
        fmt::format("--max-scale-up-step ({}) and --max-scale-down-step ({}) must be >= 0",
                    o.max_scale_up_step, o.max_scale_down_step));
  }
  if (o.interval_ms == 0 || o.http_timeout_ms == 0) {
    return Status::InvalidArgument("--interval-ms and --http-timeout-ms must be at least 1");
  }
  if (!o.listen.empty()) {
    if (auto l = http::ParseListenAddress(o.listen); !l.ok()) {
      return Status::InvalidArgument("--listen: " + l.status().message());
    }
  }
  auto& options = plan.options;
  options.stabilizer.scale_up_window = std::chrono::milliseconds(o.scale_up_window_ms);
  options.stabilizer.scale_down_window = std::chrono::milliseconds(o.scale_down_window_ms);
  options.stabilizer.cooldown = std::chrono::milliseconds(o.cooldown_ms);
  options.stabilizer.max_scale_up_step = o.max_scale_up_step;
  options.stabilizer.max_scale_down_step = o.max_scale_down_step;
  if (Status s = scaling::Validate(options.stabilizer); !s.ok()) {
    return Status::InvalidArgument(
        "--scale-up-window-ms/--scale-down-window-ms/--cooldown-ms/--max-scale-*-step: " +
        s.message());
  }
  options.min_replicas = o.min_replicas;
  options.max_replicas = o.max_replicas;
  options.drain_timeout = std::chrono::milliseconds(o.drain_timeout_ms);
  options.recommend_only = o.recommend_only;
  return plan;
}

std::string Describe(const Plan& plan, const AutoscaleOptions& o) {
  std::string s = "brook autoscale: arguments ok\n";
  if (plan.local) {
    s += "target: local runner at " + plan.state_dir + "\n";
  } else {
    s += fmt::format("target: StatefulSet {}/{} via {}\n", plan.ns, plan.statefulset,
                     o.kubeconfig.empty() ? std::string("the in-cluster service account")
                                          : "kubeconfig " + o.kubeconfig +
                                                (o.context.empty() ? "" : " context " + o.context));
  }
  s += std::string("mode: ") +
       (o.recommend_only ? "recommend only (GET scale; never scales or drains)"
                         : "scale (GET and PATCH scale; drains before scaling down)") +
       "\n";
  switch (plan.instances) {
    case Plan::Instances::kLocal:
      s += "instances: the local runner's ports\n";
      break;
    case Plan::Instances::kList:
      s += fmt::format("instances: {} (ordinals 0..{})\n", fmt::join(plan.list, ","),
                       plan.list.size() - 1);
      break;
    case Plan::Instances::kPattern:
      s += fmt::format("instances: {} (ordinal 0: {})\n", plan.pattern->text(),
                       plan.pattern->Endpoint(0));
      break;
  }
  s += fmt::format("replicas: {}..{}; every {} ms", o.min_replicas, o.max_replicas, o.interval_ms);
  if (!o.recommend_only) {
    s += fmt::format(
        "; scale-up window {} ms, scale-down window {} ms, cooldown {} ms, steps up {} down {}, "
        "drain timeout {} ms",
        o.scale_up_window_ms, o.scale_down_window_ms, o.cooldown_ms, o.max_scale_up_step,
        o.max_scale_down_step, o.drain_timeout_ms);
  }
  s += "\n";
  s += "listen: " + (o.listen.empty() ? std::string("none") : o.listen + " (/metrics, /healthz)") +
       "\n";
  return s;
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Status Autoscale(const AutoscaleOptions& o, std::ostream& out) {
  BROOK_ASSIGN_OR_RETURN(Plan plan, MakePlan(o));
  if (o.check) {
    out << Describe(plan, o) << std::flush;
    return Status::Ok();
  }

  std::unique_ptr<autoscale::Actuator> actuator;
  std::function<std::vector<std::string>(int)> endpoints;
  if (plan.local) {
    BROOK_ASSIGN_OR_RETURN(const nlohmann::json s,
                           autoscale::LocalRunnerStatus(plan.state_dir, 5s));
    actuator = std::make_unique<LocalActuator>(plan.state_dir);
    if (plan.instances == Plan::Instances::kLocal) {
      const int base_port = s.at("base_port").get<int>();
      endpoints = [base_port](int n) {
        std::vector<std::string> v;
        v.reserve(static_cast<size_t>(std::max(n, 0)));
        for (int i = 0; i < n; ++i) v.push_back("127.0.0.1:" + std::to_string(base_port + i));
        return v;
      };
    }
  } else {
    autoscale::K8sClusterConfig cluster;
    if (!o.kubeconfig.empty()) {
      BROOK_ASSIGN_OR_RETURN(cluster, autoscale::KubeconfigConfig(o.kubeconfig, o.context));
    } else {
      BROOK_ASSIGN_OR_RETURN(cluster, autoscale::InClusterConfig());
    }
    BROOK_ASSIGN_OR_RETURN(auto scaler,
                           autoscale::K8sScaler::Create(cluster, plan.ns, plan.statefulset));
    actuator = std::make_unique<K8sActuator>(std::move(scaler));
  }
  if (plan.instances == Plan::Instances::kPattern) {
    endpoints = [pattern = *plan.pattern](int n) { return pattern.Endpoints(n); };
  } else if (plan.instances == Plan::Instances::kList) {
    endpoints = [list = plan.list](int n) {
      return std::vector<std::string>(list.begin(),
                                      list.begin() + std::min<size_t>(list.size(), n));
    };
  }

  autoscale::HttpInstanceClient client(std::chrono::milliseconds(o.http_timeout_ms));
  plan.options.endpoints = endpoints;
  BROOK_ASSIGN_OR_RETURN(auto scaler,
                         autoscale::Autoscaler::Create(plan.options, actuator.get(), &client));

  const auto start = std::chrono::steady_clock::now();
  auto since_start = [start] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start);
  };
  // Live while ticks end: a tick reads at most max_replicas instances (+ one drain poll each).
  const auto stale_after = std::chrono::milliseconds(
      3 * o.interval_ms + 2 * (static_cast<uint64_t>(o.max_replicas) + 1) * o.http_timeout_ms);
  autoscale::AutoscalerMetrics metrics({.recommend_only = o.recommend_only,
                                        .min_replicas = o.min_replicas,
                                        .max_replicas = o.max_replicas,
                                        .stale_after = stale_after},
                                       since_start());
  std::unique_ptr<http::HttpServer> server;
  if (!o.listen.empty()) {
    BROOK_ASSIGN_OR_RETURN(server, http::HttpServer::Create({.listen = o.listen, .threads = 2}));
    BROOK_RETURN_IF_ERROR(autoscale::RegisterEndpoints(*server, metrics, since_start));
    BROOK_RETURN_IF_ERROR(server->Start());
    Logger().info("autoscale: /metrics and /healthz on {}", server->listen_address());
  }

  while (!StopRequested().load()) {
    const auto now = since_start();
    auto step = scaler.Tick(now);
    if (!step.ok()) {
      metrics.RecordError(step.status(), since_start());
      if (o.once) return step.status();
      Logger().warn("autoscale: {}", step.status().message());
    } else {
      metrics.Record(*step, since_start(), WallSeconds());
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
    // --once sees its decision through: a scale-down it started drains, then lowers the
    // count (polled every 0.5 s), instead of leaving ordinals marked draining.
    if (o.once && !scaler.draining()) break;
    const uint64_t wait_ms = o.once ? std::min<uint64_t>(o.interval_ms, 500) : o.interval_ms;
    for (uint64_t waited = 0; waited < wait_ms && !StopRequested().load(); waited += 100) {
      std::this_thread::sleep_for(100ms);
    }
  }
  if (server) server->Stop();
  return Status::Ok();
}

}  // namespace brook::cli
