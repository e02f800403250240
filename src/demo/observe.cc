#include "demo/observe.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace brook::demo {
namespace {

using nlohmann::json;

Result<const json*> Field(const json& j, const char* name, json::value_t type,
                          const std::string& where) {
  const auto it = j.find(name);
  if (it == j.end()) return Status::InvalidArgument(where + ": no field '" + name + "'");
  const bool number = type == json::value_t::number_integer;
  if (number ? !it->is_number() : it->type() != type) {
    return Status::InvalidArgument(where + ": field '" + name + "' has the wrong type");
  }
  return &*it;
}

}  // namespace

Result<InstanceView> ParseInstanceStatus(int ordinal, std::string_view text) {
  const std::string where = "status of instance " + std::to_string(ordinal);
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument(where + ": not a JSON object");
  }
  InstanceView v{.ordinal = ordinal};
  constexpr auto kStr = json::value_t::string;
  constexpr auto kNum = json::value_t::number_integer;
  BROOK_ASSIGN_OR_RETURN(const json* state, Field(j, "state", kStr, where));
  BROOK_ASSIGN_OR_RETURN(const json* start, Field(j, "process_start_ms", kNum, where));
  BROOK_ASSIGN_OR_RETURN(const json* processed, Field(j, "processed", kNum, where));
  BROOK_ASSIGN_OR_RETURN(const json* generation, Field(j, "generation", kNum, where));
  BROOK_ASSIGN_OR_RETURN(const json* tasks, Field(j, "tasks", json::value_t::array, where));
  v.state = state->get<std::string>();
  v.process_start_ms = start->get<int64_t>();
  v.processed = processed->get<int64_t>();
  v.generation = generation->get<int64_t>();
  bool restoring = false;
  for (size_t i = 0; i < tasks->size(); ++i) {
    const json& t = (*tasks)[i];
    const std::string tw = where + " task " + std::to_string(i);
    if (!t.is_object()) return Status::InvalidArgument(tw + ": not an object");
    BROOK_ASSIGN_OR_RETURN(const json* role, Field(t, "role", kStr, tw));
    if (role->get<std::string>() != "active") continue;
    BROOK_ASSIGN_OR_RETURN(const json* id, Field(t, "id", kStr, tw));
    BROOK_ASSIGN_OR_RETURN(const json* stall, Field(t, "max_stall_ms", kNum, tw));
    ++v.active_tasks;
    restoring = restoring || t.value("restoring", false);
    v.task_max_stall_ms[id->get<std::string>()] = stall->get<int64_t>();
    if (const auto parts = t.find("partitions"); parts != t.end() && parts->is_array()) {
      for (const json& p : *parts) {
        if (p.is_object() && p.contains("stall_ms") && p["stall_ms"].is_number()) {
          v.ongoing_stall_ms = std::max(v.ongoing_stall_ms, p["stall_ms"].get<int64_t>());
        }
      }
    }
  }
  const bool assigned = j.value("assigned", false);
  v.ready = v.state == "RUNNING" && assigned && !restoring;
  if (const auto s = j.find("scaling"); s != j.end() && s->is_object()) {
    if (const auto d = s->find("desired_replicas"); d != s->end() && d->is_number()) {
      v.desired = d->get<int>();
    }
  }
  return v;
}

std::optional<int> UpperMedian(std::vector<int> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

Sample SampleBuilder::Add(const Observation& obs) {
  Sample s{.t = obs.t, .phase = obs.phase, .replicas = obs.replicas};
  const double dt = last_ ? obs.t - last_->t : 0;
  std::vector<int> desired;
  int64_t processed_delta = 0;
  for (const InstanceView& v : obs.instances) {
    if (v.ready) ++s.running;
    if (v.desired) desired.push_back(*v.desired);
    if (v.generation > 0) {
      if (first_generation_ < 0) first_generation_ = v.generation;
      max_generation_ = std::max(max_generation_, v.generation);
    }
    s.max_stall_ms = std::max(s.max_stall_ms, v.ongoing_stall_ms);
    const auto prev = seen_.find(v.ordinal);
    const bool same = prev != seen_.end() && prev->second.process_start_ms == v.process_start_ms;
    processed_delta += same ? std::max<int64_t>(0, v.processed - prev->second.processed)
                            : (last_ ? v.processed : 0);
    for (const auto& [task, stall] : v.task_max_stall_ms) {
      int64_t before = 0;
      if (same) {
        const auto t = prev->second.task_max_stall_ms.find(task);
        before = t == prev->second.task_max_stall_ms.end() ? 0 : t->second;
      }
      if (stall > before && (last_ || same)) s.max_stall_ms = std::max(s.max_stall_ms, stall);
    }
    seen_[v.ordinal] = Seen{.process_start_ms = v.process_start_ms,
                            .processed = v.processed,
                            .task_max_stall_ms = v.task_max_stall_ms};
  }
  s.desired = UpperMedian(std::move(desired));
  if (dt > 0) {
    s.processed_rate = static_cast<double>(processed_delta) / dt;
    if (obs.end_offsets && last_->end_offsets) {
      s.input_rate = static_cast<double>(*obs.end_offsets - *last_->end_offsets) / dt;
    }
  }
  if (obs.end_offsets && obs.committed) {
    last_lag_ = std::max<int64_t>(0, *obs.end_offsets - *obs.committed);
  }
  s.lag = last_lag_;
  s.rebalances = first_generation_ < 0 ? 0 : max_generation_ - first_generation_;
  last_ = obs;
  return s;
}

}  // namespace brook::demo
