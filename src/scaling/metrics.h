// The scaling decision as metrics: `brook_desired_replicas` with the inputs and intermediate
// values that produced it (`brook_scaling_*`), so a person, a dashboard, or an HPA/KEDA scaler
// can see why; and the Prometheus text exposition format to serve them. Names and meanings are
// listed in src/scaling/README.md.
//
// Contract: pure functions. Values that are unknown in a decision (no input rate, no rate
// estimate) are exported as NaN, so every series exists at every scrape. Enumerations (the
// basis of a decision, the action) are exported as one series per value, 1 for the current one
// and 0 for the others. Label values are escaped as the text format requires.
//
// Thread-safety: free functions over values; safe to call concurrently.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "scaling/model.h"
#include "scaling/stabilizer.h"

namespace brook::scaling {

struct Gauge {
  std::string name;                                         // e.g. "brook_desired_replicas"
  std::string help;                                         // one line
  std::vector<std::pair<std::string, std::string>> labels;  // (name, value), in this order
  double value = 0.0;
};

// brook_desired_replicas and the brook_scaling_* inputs of the model's decision, including
// one brook_scaling_instance_* series per reporting instance (label `instance`).
std::vector<Gauge> DecisionGauges(const Decision& decision);

// The stabilizer's view: brook_scaling_stabilized_replicas (the count to act on), the window
// recommendations, the cooldown left and the action.
std::vector<Gauge> StabilizerGauges(const StabilizerDecision& decision);

// Prometheus text format (version 0.0.4): for each metric name, in order of first appearance,
// "# HELP", "# TYPE <name> gauge" and its samples. NaN as "NaN", infinities as "+Inf"/"-Inf".
std::string PrometheusText(const std::vector<Gauge>& gauges);

}  // namespace brook::scaling
