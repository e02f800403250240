#include "autoscale/autoscaler.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "http/client.h"

namespace brook::autoscale {

namespace {
constexpr std::string_view kDesiredGauge = "brook_desired_replicas";
}  // namespace

Result<std::string> HttpInstanceClient::Get(const std::string& endpoint,
                                            const std::string& target) {
  BROOK_ASSIGN_OR_RETURN(auto r, http::HttpGet(endpoint, target, {}, timeout_));
  if (r.status != 200) {
    return Status::FailedPrecondition("GET http://" + endpoint + target + ": HTTP " +
                                      std::to_string(r.status));
  }
  return std::move(r.body);
}

Status HttpInstanceClient::Post(const std::string& endpoint, const std::string& target) {
  BROOK_ASSIGN_OR_RETURN(auto r, http::HttpPost(endpoint, target, "", "text/plain", {}, timeout_));
  if (r.status != 200) {
    return Status::FailedPrecondition("POST http://" + endpoint + target + ": HTTP " +
                                      std::to_string(r.status));
  }
  return Status::Ok();
}

std::optional<double> ReadDesiredReplicas(const std::string& metrics_page) {
  std::istringstream in(metrics_page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(kDesiredGauge, 0) != 0 || line.size() <= kDesiredGauge.size()) continue;
    size_t pos = kDesiredGauge.size();
    if (line[pos] == '{') {
      pos = line.find('}', pos);
      if (pos == std::string::npos) continue;
      ++pos;
    } else if (line[pos] != ' ' && line[pos] != '\t') {
      continue;  // another metric with this prefix
    }
    const std::string rest = line.substr(pos);
    char* end = nullptr;
    const double v = std::strtod(rest.c_str(), &end);
    if (end == rest.c_str() || !std::isfinite(v)) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

std::optional<int> MedianReplicas(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  return static_cast<int>(std::ceil(values[values.size() / 2]));
}

Result<int> ActiveTasks(const std::string& status_json) {
  const nlohmann::json j = nlohmann::json::parse(status_json, nullptr, false);
  if (!j.is_object() || !j.contains("tasks") || !j["tasks"].is_array()) {
    return Status::Corruption("status has no \"tasks\" array");
  }
  int active = 0;
  for (const auto& t : j["tasks"]) {
    if (t.is_object() && t.value("role", "") == "active") ++active;
  }
  return active;
}

Result<Autoscaler> Autoscaler::Create(AutoscalerOptions options, Actuator* actuator,
                                      InstanceClient* client) {
  if (actuator == nullptr || client == nullptr || !options.endpoints) {
    return Status::InvalidArgument("autoscaler: actuator, client and endpoints are required");
  }
  if (options.min_replicas < 0 || options.max_replicas < options.min_replicas) {
    return Status::InvalidArgument("autoscaler: need 0 <= min_replicas <= max_replicas");
  }
  if (options.drain_timeout.count() < 0) {
    return Status::InvalidArgument("autoscaler: drain_timeout must be >= 0");
  }
  BROOK_ASSIGN_OR_RETURN(auto stabilizer, scaling::Stabilizer::Create(options.stabilizer));
  return Autoscaler(std::move(options), std::move(stabilizer), actuator, client);
}

Autoscaler::Autoscaler(AutoscalerOptions options, scaling::Stabilizer stabilizer,
                       Actuator* actuator, InstanceClient* client)
    : options_(std::move(options)),
      stabilizer_(std::move(stabilizer)),
      actuator_(actuator),
      client_(client) {}

Result<AutoscalerStep> Autoscaler::TickDraining(Millis now, AutoscalerStep step) {
  step.draining = drain_->ordinals;
  const std::vector<std::string> endpoints = options_.endpoints(step.current_replicas);
  int busy = 0;
  for (const int ordinal : drain_->ordinals) {
    if (ordinal >= static_cast<int>(endpoints.size())) continue;  // already gone
    auto body = client_->Get(endpoints[ordinal], "/status");
    auto active = body.ok() ? ActiveTasks(*body) : Result<int>(body.status());
    if (!active.ok()) {
      step.notes.push_back("ordinal " + std::to_string(ordinal) + ": " + active.status().message());
      ++busy;  // unknown: keep waiting (bounded by the drain timeout)
    } else if (*active > 0) {
      ++busy;
    }
  }
  if (busy > 0 && now < drain_->deadline) return step;
  if (busy > 0) step.notes.emplace_back("drain timeout: scaling down with active tasks left");
  BROOK_RETURN_IF_ERROR(actuator_->SetReplicas(drain_->target));
  step.acted = drain_->target;
  drain_.reset();
  return step;
}

Result<AutoscalerStep> Autoscaler::Tick(Millis now) {
  AutoscalerStep step;
  BROOK_ASSIGN_OR_RETURN(step.current_replicas, actuator_->GetReplicas());
  if (drain_) return TickDraining(now, std::move(step));

  const std::vector<std::string> endpoints = options_.endpoints(step.current_replicas);
  std::vector<double> values;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    auto page = client_->Get(endpoints[i], "/metrics");
    if (!page.ok()) {
      step.notes.push_back("ordinal " + std::to_string(i) + ": " + page.status().message());
      continue;
    }
    if (auto v = ReadDesiredReplicas(*page)) {
      values.push_back(*v);
    } else {
      step.notes.push_back("ordinal " + std::to_string(i) + ": no " + std::string(kDesiredGauge));
    }
  }
  step.instances_reporting = static_cast<int>(values.size());
  const std::optional<int> median = MedianReplicas(std::move(values));
  if (!median) {
    step.notes.emplace_back("no signal: holding");
    return step;
  }
  step.recommendation = std::clamp(*median, options_.min_replicas, options_.max_replicas);
  if (options_.recommend_only) return step;
  step.decision = stabilizer_.Observe(now, *step.recommendation, step.current_replicas);
  const auto& d = *step.decision;
  if (d.action == scaling::Action::kScaleUp) {
    BROOK_RETURN_IF_ERROR(actuator_->SetReplicas(d.replicas));
    step.acted = d.replicas;
  } else if (d.action == scaling::Action::kScaleDown) {
    Drain drain{.target = d.replicas, .ordinals = {}, .deadline = now + options_.drain_timeout};
    for (int ordinal = step.current_replicas - 1; ordinal >= d.replicas; --ordinal) {
      drain.ordinals.push_back(ordinal);
      if (ordinal >= static_cast<int>(endpoints.size())) continue;
      if (Status s = client_->Post(endpoints[ordinal], "/drain?draining=true"); !s.ok()) {
        step.notes.push_back("ordinal " + std::to_string(ordinal) + ": " + s.message());
      }
    }
    step.draining = drain.ordinals;
    drain_ = std::move(drain);
  }
  return step;
}

}  // namespace brook::autoscale
