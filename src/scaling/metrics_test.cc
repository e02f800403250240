// Unit tests of the exported gauges (metrics.h): brook_desired_replicas with its inputs, NaN
// for unknown values, one series per enum value, and the Prometheus text format.
#include "scaling/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace brook::scaling {
namespace {

// name{labels} -> value, labels rendered as in the text format.
std::map<std::string, double> ByKey(const std::vector<Gauge>& gauges) {
  std::map<std::string, double> out;
  for (const Gauge& g : gauges) {
    std::string key = g.name;
    if (!g.labels.empty()) {
      key += '{';
      for (size_t i = 0; i < g.labels.size(); ++i) {
        if (i > 0) key += ',';
        key += g.labels[i].first + "=" + g.labels[i].second;
      }
      key += '}';
    }
    EXPECT_TRUE(out.emplace(key, g.value).second) << "duplicate " << key;
    EXPECT_FALSE(g.help.empty()) << key;
  }
  return out;
}

Observation StepObservation() {
  // The FormulaByHand case of model_test: 9 replicas, plus a restarted instance.
  Observation o;
  o.current_replicas = 2;
  o.tasks = 12;
  o.window_seconds = 30.0;
  o.source_end_offsets_start = 1000000;
  o.source_end_offsets_end = 1180000;
  o.backlog_records = 120000;
  for (const char* id : {"pod-0", "pod-1"}) {
    InstanceWindow w;
    w.instance = id;
    w.start = {.records_processed = 50000, .busy_seconds = 100.0, .process_start_ms = 1};
    w.end = {.records_processed = 110000, .busy_seconds = 220.0, .process_start_ms = 1};
    w.wall_seconds = 30.0;
    w.threads = 4;
    o.instances.push_back(w);
  }
  o.instances[1].end.process_start_ms = 2;
  return o;
}

TEST(ScalingMetrics, DecisionGaugesCarryTheInputs) {
  // pod-0: 60000 records in 120 busy s over 4 threads: 500 per thread-s, 2000/s per instance.
  // ceil((6000 + 1000) / (2000 x 0.8)) = ceil(4.375) = 5.
  const Decision d = Decide(StepObservation(), {}).ValueOrThrow();
  ASSERT_EQ(d.desired, 5) << d.reason;
  const std::map<std::string, double> m = ByKey(DecisionGauges(d));
  EXPECT_EQ(m.at("brook_desired_replicas"), 5);
  EXPECT_EQ(m.at("brook_scaling_current_replicas"), 2);
  EXPECT_EQ(m.at("brook_scaling_tasks"), 12);
  EXPECT_EQ(m.at("brook_scaling_lower_bound_replicas"), 1);
  EXPECT_EQ(m.at("brook_scaling_upper_bound_replicas"), 12);
  EXPECT_EQ(m.at("brook_scaling_window_seconds"), 30);
  EXPECT_EQ(m.at("brook_scaling_input_rate_records_per_second"), 6000);
  EXPECT_EQ(m.at("brook_scaling_backlog_records"), 120000);
  EXPECT_EQ(m.at("brook_scaling_catch_up_target_seconds"), 120);
  EXPECT_EQ(m.at("brook_scaling_backlog_rate_records_per_second"), 1000);
  EXPECT_EQ(m.at("brook_scaling_demand_rate_records_per_second"), 7000);
  EXPECT_EQ(m.at("brook_scaling_instances_used"), 1);
  EXPECT_EQ(m.at("brook_scaling_processed_records"), 60000);
  EXPECT_EQ(m.at("brook_scaling_busy_seconds"), 120);
  EXPECT_EQ(m.at("brook_scaling_true_rate_per_thread_records_per_second"), 500);
  EXPECT_EQ(m.at("brook_scaling_true_rate_per_instance_records_per_second"), 2000);
  EXPECT_EQ(m.at("brook_scaling_target_utilisation"), 0.8);
  EXPECT_EQ(m.at("brook_scaling_capacity_per_replica_records_per_second"), 1600);
  EXPECT_EQ(m.at("brook_scaling_raw_desired_replicas"), 4.375);
  EXPECT_EQ(m.at("brook_scaling_basis{basis=model}"), 1);
  EXPECT_EQ(m.at("brook_scaling_basis{basis=idle}"), 0);
  EXPECT_EQ(m.at("brook_scaling_basis{basis=hold_no_rate}"), 0);
  EXPECT_EQ(m.at("brook_scaling_basis{basis=hold_no_input_rate}"), 0);
  EXPECT_EQ(m.at("brook_scaling_basis{basis=hold_bad_backlog}"), 0);
  EXPECT_EQ(m.at("brook_scaling_instance_true_rate_records_per_second{instance=pod-0}"), 2000);
  EXPECT_EQ(m.at("brook_scaling_instance_true_rate_records_per_second{instance=pod-1}"), 0);
  EXPECT_EQ(m.at("brook_scaling_instance_busy_fraction{instance=pod-0}"), 1.0);
  EXPECT_EQ(m.at("brook_scaling_instance_used{instance=pod-0,exclusion=none}"), 1);
  EXPECT_EQ(m.at("brook_scaling_instance_used{instance=pod-1,exclusion=restarted}"), 0);
  EXPECT_EQ(m.size(), 19U + 5U + 3U * 2U);
}

TEST(ScalingMetrics, UnknownValuesAreNaN) {
  Observation o = StepObservation();
  o.source_end_offsets_end = 0;  // backwards: no input rate
  const Decision d = Decide(o, {}).ValueOrThrow();
  ASSERT_EQ(d.basis, Basis::kHoldNoInputRate);
  const std::map<std::string, double> m = ByKey(DecisionGauges(d));
  EXPECT_EQ(m.at("brook_desired_replicas"), 2);
  EXPECT_TRUE(std::isnan(m.at("brook_scaling_input_rate_records_per_second")));
  EXPECT_TRUE(std::isnan(m.at("brook_scaling_capacity_per_replica_records_per_second")));
  EXPECT_TRUE(std::isnan(m.at("brook_scaling_raw_desired_replicas")));
  EXPECT_EQ(m.at("brook_scaling_true_rate_per_instance_records_per_second"), 2000);
  EXPECT_EQ(m.at("brook_scaling_basis{basis=hold_no_input_rate}"), 1);
  EXPECT_EQ(m.at("brook_scaling_basis{basis=model}"), 0);
}

TEST(ScalingMetrics, StabilizerGauges) {
  StabilizerDecision d;
  d.replicas = 5;
  d.up_recommendation = 5;
  d.down_recommendation = 9;
  d.cooldown_remaining = Millis{1500};
  d.action = Action::kScaleUp;
  const std::map<std::string, double> m = ByKey(StabilizerGauges(d));
  EXPECT_EQ(m.at("brook_scaling_stabilized_replicas"), 5);
  EXPECT_EQ(m.at("brook_scaling_up_recommendation_replicas"), 5);
  EXPECT_EQ(m.at("brook_scaling_down_recommendation_replicas"), 9);
  EXPECT_EQ(m.at("brook_scaling_cooldown_remaining_seconds"), 1.5);
  EXPECT_EQ(m.at("brook_scaling_action{action=none}"), 0);
  EXPECT_EQ(m.at("brook_scaling_action{action=scale_up}"), 1);
  EXPECT_EQ(m.at("brook_scaling_action{action=scale_down}"), 0);
  EXPECT_EQ(m.size(), 7U);
}

TEST(ScalingMetrics, PrometheusText) {
  const std::vector<Gauge> gauges = {
      {"brook_a", "First\\one\nline", {}, 9.375},
      {"brook_b", "Labelled", {{"instance", "pod-\"0\"\\\n"}, {"x", "y"}}, std::nan("")},
      {"brook_c", "Inf", {}, -HUGE_VAL},
      {"brook_b", "Labelled", {{"instance", "pod-1"}}, 1e20},
      {"brook_a", "ignored: the first help wins", {{"k", "v"}}, 2},
  };
  EXPECT_EQ(PrometheusText(gauges),
            "# HELP brook_a First\\\\one\\nline\n"
            "# TYPE brook_a gauge\n"
            "brook_a 9.375\n"
            "brook_a{k=\"v\"} 2\n"
            "# HELP brook_b Labelled\n"
            "# TYPE brook_b gauge\n"
            "brook_b{instance=\"pod-\\\"0\\\"\\\\\\n\",x=\"y\"} NaN\n"
            "brook_b{instance=\"pod-1\"} 1e+20\n"
            "# HELP brook_c Inf\n"
            "# TYPE brook_c gauge\n"
            "brook_c -Inf\n");
  EXPECT_EQ(PrometheusText({}), "");
}

TEST(ScalingMetrics, DesiredReplicasLeadsTheText) {
  const Decision d = Decide(StepObservation(), {}).ValueOrThrow();
  const std::string text = PrometheusText(DecisionGauges(d));
  EXPECT_EQ(text.rfind("# HELP brook_desired_replicas ", 0), 0U) << text;
  EXPECT_NE(text.find("\nbrook_desired_replicas 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nbrook_scaling_basis{basis=\"model\"} 1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace brook::scaling
