#include "scaling/metrics.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string_view>

namespace brook::scaling {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Or(const std::optional<double>& v) {
  return v.value_or(kNaN);
}

void Add(std::vector<Gauge>& out, std::string name, std::string help, double value) {
  out.push_back(Gauge{std::move(name), std::move(help), {}, value});
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string EscapeLabel(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<Gauge> DecisionGauges(const Decision& d) {
  std::vector<Gauge> g;
  Add(g, "brook_desired_replicas",
      "Replicas the scaling model recommends, before stabilisation (the brook_scaling_* "
      "gauges are its inputs)",
      d.desired);
  Add(g, "brook_scaling_current_replicas", "Replicas the group ran when the model decided",
      d.current_replicas);
  Add(g, "brook_scaling_tasks", "Tasks of the topology (the upper bound)", d.tasks);
  Add(g, "brook_scaling_lower_bound_replicas", "Fewest replicas the model may recommend",
      d.lower_bound);
  Add(g, "brook_scaling_upper_bound_replicas", "Most replicas the model may recommend",
      d.upper_bound);
  Add(g, "brook_scaling_window_seconds", "Length of the observation window", d.window_seconds);
  Add(g, "brook_scaling_input_rate_records_per_second",
      "Growth of the source topics' end offsets over the window (NaN if unknown)",
      Or(d.input_rate));
  Add(g, "brook_scaling_backlog_records", "Total lag of the source topics at the window's end",
      static_cast<double>(d.backlog_records));
  Add(g, "brook_scaling_catch_up_target_seconds", "The backlog should drain within this time",
      d.catch_up_target_seconds);
  Add(g, "brook_scaling_backlog_rate_records_per_second", "Backlog divided by the catch-up target",
      d.backlog_rate);
  Add(g, "brook_scaling_demand_rate_records_per_second", "Input rate plus backlog rate",
      d.demand_rate);
  Add(g, "brook_scaling_instances_used", "Instances whose counters fed the rate estimate",
      d.instances_used);
  Add(g, "brook_scaling_processed_records", "Records processed in the window by those instances",
      static_cast<double>(d.processed_records));
  Add(g, "brook_scaling_busy_seconds", "Busy thread-seconds in the window of those instances",
      d.busy_seconds);
  Add(g, "brook_scaling_true_rate_per_thread_records_per_second",
      "Records processed per busy thread-second (NaN if unknown)", Or(d.true_rate_per_thread));
  Add(g, "brook_scaling_true_rate_per_instance_records_per_second",
      "An instance's rate when fully busy: per-thread rate times mean threads (NaN if unknown)",
      Or(d.true_rate_per_instance));
  Add(g, "brook_scaling_target_utilisation", "Fraction of its true rate an instance should run at",
      d.target_utilisation);
  Add(g, "brook_scaling_capacity_per_replica_records_per_second",
      "True rate per instance times target utilisation (NaN unless basis is model)",
      Or(d.capacity_per_replica));
  Add(g, "brook_scaling_raw_desired_replicas",
      "Demand rate divided by capacity per replica, before rounding and bounds (NaN unless "
      "basis is model)",
      Or(d.raw_desired));
  for (Basis b : {Basis::kModel, Basis::kIdle, Basis::kHoldNoRate, Basis::kHoldNoInputRate,
                  Basis::kHoldBadBacklog}) {
    g.push_back(Gauge{"brook_scaling_basis",
                      "What the recommendation rests on (1 = this one)",
                      {{"basis", std::string(BasisName(b))}},
                      d.basis == b ? 1.0 : 0.0});
  }
  for (const InstanceEstimate& e : d.instances) {
    g.push_back(Gauge{"brook_scaling_instance_true_rate_records_per_second",
                      "An instance's records per busy second times its threads (0 if unknown)",
                      {{"instance", e.instance}},
                      e.true_rate});
  }
  for (const InstanceEstimate& e : d.instances) {
    g.push_back(Gauge{"brook_scaling_instance_busy_fraction",
                      "An instance's busy time over wall time times threads",
                      {{"instance", e.instance}},
                      e.busy_fraction});
  }
  for (const InstanceEstimate& e : d.instances) {
    g.push_back(
        Gauge{"brook_scaling_instance_used",
              "1 if the instance fed the rate estimate, else 0 (label: why not)",
              {{"instance", e.instance}, {"exclusion", std::string(ExclusionName(e.exclusion))}},
              e.exclusion == Exclusion::kNone ? 1.0 : 0.0});
  }
  return g;
}

std::vector<Gauge> StabilizerGauges(const StabilizerDecision& d) {
  std::vector<Gauge> g;
  Add(g, "brook_scaling_stabilized_replicas",
      "Replicas to act on after the stabilisation windows, step limits and cooldown", d.replicas);
  Add(g, "brook_scaling_up_recommendation_replicas",
      "Min of the recommendations over the scale-up window", d.up_recommendation);
  Add(g, "brook_scaling_down_recommendation_replicas",
      "Max of the recommendations over the scale-down window", d.down_recommendation);
  Add(g, "brook_scaling_cooldown_remaining_seconds", "Time left in the cooldown after an action",
      static_cast<double>(d.cooldown_remaining.count()) / 1000.0);
  for (Action a : {Action::kNone, Action::kScaleUp, Action::kScaleDown}) {
    g.push_back(Gauge{"brook_scaling_action",
                      "The action of the last decision (1 = this one)",
                      {{"action", std::string(ActionName(a))}},
                      d.action == a ? 1.0 : 0.0});
  }
  return g;
}

std::string PrometheusText(const std::vector<Gauge>& gauges) {
  // Samples of one name must be contiguous: group them, in order of first appearance.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const Gauge*>> by_name;
  for (const Gauge& gauge : gauges) {
    auto [it, inserted] = by_name.try_emplace(gauge.name);
    if (inserted) order.push_back(gauge.name);
    it->second.push_back(&gauge);
  }
  std::string out;
  for (const std::string& name : order) {
    const std::vector<const Gauge*>& samples = by_name[name];
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, EscapeHelp(samples.front()->help),
                       name);
    for (const Gauge* gauge : samples) {
      out += name;
      if (!gauge->labels.empty()) {
        out += '{';
        for (size_t i = 0; i < gauge->labels.size(); ++i) {
          if (i > 0) out += ',';
          out += fmt::format("{}=\"{}\"", gauge->labels[i].first,
                             EscapeLabel(gauge->labels[i].second));
        }
        out += '}';
      }
      out += ' ';
      out += FormatValue(gauge->value);
      out += '\n';
    }
  }
  return out;
}

}  // namespace brook::scaling
