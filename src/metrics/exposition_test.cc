#include "metrics/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "metrics/test_status.h"
#include "metrics/text_parser.h"
#include "scaling/metrics.h"

namespace brook::metrics {
namespace {

using testing::FakeStatus;

// A decision of the model (basis "model") with one reporting instance.
scaling::Decision SampleDecision() {
  scaling::Observation obs;
  obs.current_replicas = 2;
  obs.tasks = 8;
  obs.window_seconds = 30;
  obs.source_end_offsets_start = 0;
  obs.source_end_offsets_end = 60000;
  obs.backlog_records = 1200;
  obs.instances = {scaling::InstanceWindow{
      .instance = "pod-0",
      .start = {},
      .end = {.records_processed = 30000, .busy_seconds = 15, .process_start_ms = 1},
      .wall_seconds = 30,
      .threads = 2}};
  Result<scaling::Decision> d = scaling::Decide(obs, scaling::ModelConfig{});
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.value();
}

ExpositionInput FullInput() {
  ExpositionInput in;
  in.status = FakeStatus();
  in.rates = Rates{.window_seconds = 5,
                   .consumed_per_second = 40,
                   .processed_per_second = 30,
                   .busy_ratio = 0.25,
                   .tasks = {{TaskId{0, 0}, TaskRates{40, 30, 0.5}}},
                   .threads = {{"stream-0", 0.5}, {"stream-1", 0.0}, {"restore", 0.1}}};
  in.group = GroupSample{.at_seconds = 100,
                         .source_end_offsets = 60000,
                         .backlog_records = 1200,
                         .members = 2,
                         .tasks = 8,
                         .source_partitions = 8};
  in.decision = SampleDecision();
  in.resident_bytes = 123456789;
  return in;
}

std::vector<ParsedFamily> ExposeAndParse(InstanceMetrics& m, const ExpositionInput& in) {
  const std::string text = m.Expose(in);
  Result<std::vector<ParsedFamily>> parsed = ParseTextFormat(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << text;
  return parsed.ok() ? std::move(parsed).value() : std::vector<ParsedFamily>{};
}

double Value(const std::vector<ParsedFamily>& fams, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  const ParsedFamily* f = FindFamily(fams, name);
  for (const char* suffix : {"_count", "_sum"}) {  // a histogram's samples
    if (f == nullptr && name.ends_with(suffix)) {
      f = FindFamily(fams, name.substr(0, name.size() - std::string(suffix).size()));
    }
  }
  if (f == nullptr) {
    ADD_FAILURE() << "no family " << name;
    return NAN;
  }
  std::vector<const ParsedSample*> s = FindSamples(*f, name, labels);
  if (s.size() != 1) {
    ADD_FAILURE() << s.size() << " samples of " << name;
    return NAN;
  }
  return s[0]->value;
}

// Samples of a family; 0 when it is not exported at all (prometheus-cpp leaves out families
// without series).
size_t SampleCount(const std::vector<ParsedFamily>& fams, const std::string& name) {
  const ParsedFamily* f = FindFamily(fams, name);
  return f == nullptr ? 0 : f->samples.size();
}

TEST(MetricsCatalog, NamesFollowTheConventions) {
  const std::regex name_re("brook_[a-z0-9_]+");
  std::set<std::string> seen;
  for (const MetricDef& d : Catalog()) {
    EXPECT_TRUE(std::regex_match(d.name, name_re)) << d.name;
    EXPECT_TRUE(seen.insert(d.name).second) << "duplicate " << d.name;
    EXPECT_FALSE(d.help.empty()) << d.name;
    if (d.type == MetricType::kCounter) {
      EXPECT_TRUE(d.name.ends_with("_total")) << d.name;
    } else {
      EXPECT_FALSE(d.name.ends_with("_total")) << d.name;
    }
    if (d.type == MetricType::kHistogram) {
      EXPECT_TRUE(d.name.ends_with("_seconds")) << d.name;
      EXPECT_TRUE(std::is_sorted(d.buckets.begin(), d.buckets.end())) << d.name;
      EXPECT_FALSE(d.buckets.empty()) << d.name;
    }
    for (const std::string& l : d.labels) {
      EXPECT_TRUE(std::regex_match(l, std::regex("[a-z_]+"))) << d.name << " label " << l;
    }
  }
}

// Every metric of the catalog, and every scaling gauge, is exported with its documented type
// and exactly its documented labels, and parses back with the strict parser.
TEST(MetricsExposition, EveryDocumentedMetricParsesBackWithItsTypeAndLabels) {
  InstanceMetrics m;
  m.ObserveCommit(0.003);
  m.ObservePunctuation(0.0002);
  m.ObserveRebalance(2.0);
  m.ObserveStall(0.5);
  const std::vector<ParsedFamily> fams = ExposeAndParse(m, FullInput());
  for (const MetricDef& d : Catalog()) {
    const ParsedFamily* f = FindFamily(fams, d.name);
    ASSERT_NE(f, nullptr) << "missing " << d.name;
    EXPECT_EQ(f->type, MetricTypeName(d.type)) << d.name;
    EXPECT_EQ(f->help, d.help) << d.name;
    ASSERT_FALSE(f->samples.empty()) << "no samples of " << d.name;
    for (const ParsedSample& s : f->samples) {
      std::set<std::string> want(d.labels.begin(), d.labels.end());
      if (s.name.ends_with("_bucket")) want.insert("le");
      std::set<std::string> got;
      for (const auto& [k, v] : s.labels) got.insert(k);
      EXPECT_EQ(got, want) << s.name;
    }
  }
  for (const scaling::Gauge& g : scaling::DecisionGauges(SampleDecision())) {
    const ParsedFamily* f = FindFamily(fams, g.name);
    ASSERT_NE(f, nullptr) << "missing " << g.name;
    EXPECT_EQ(f->type, "gauge") << g.name;
  }
  EXPECT_EQ(Value(fams, "brook_desired_replicas"), SampleDecision().desired);
}

TEST(MetricsExposition, ValuesComeFromTheStatus) {
  InstanceMetrics m;
  const std::vector<ParsedFamily> f = ExposeAndParse(m, FullInput());
  EXPECT_EQ(Value(f, "brook_instance_info", {{"application_id", "app"}, {"instance", "pod-0"}}), 1);
  EXPECT_EQ(Value(f, "brook_instance_state", {{"state", "RUNNING"}}), 1);
  EXPECT_EQ(Value(f, "brook_instance_state", {{"state", "ERROR"}}), 0);
  EXPECT_EQ(Value(f, "brook_instance_live"), 1);
  EXPECT_EQ(Value(f, "brook_instance_ready"), 0);  // 0_1 is restoring
  EXPECT_EQ(Value(f, "brook_instance_generation"), 7);
  EXPECT_EQ(Value(f, "brook_process_start_time_seconds"), 1'700'000'000);
  EXPECT_EQ(Value(f, "brook_process_resident_memory_bytes"), 123456789);
  EXPECT_EQ(Value(f, "brook_stream_threads"), 2);
  EXPECT_EQ(Value(f, "brook_tasks", {{"role", "active"}}), 2);
  EXPECT_EQ(Value(f, "brook_tasks", {{"role", "warmup"}}), 1);
  EXPECT_EQ(Value(f, "brook_processed_records_total"), 1000);
  EXPECT_EQ(Value(f, "brook_busy_seconds_total"), 3.5);
  EXPECT_EQ(Value(f, "brook_dead_lettered_records_total"), 4);
  EXPECT_EQ(Value(f, "brook_rebalances_total"), 3);
  EXPECT_EQ(Value(f, "brook_processed_records_per_second"), 30);
  EXPECT_EQ(Value(f, "brook_thread_busy_ratio", {{"thread", "stream-0"}}), 0.5);
  EXPECT_EQ(Value(f, "brook_thread_last_loop_age_seconds", {{"thread", "restore"}}), 0.02);
  EXPECT_EQ(Value(f, "brook_task_processed_records_total", {{"task", "0_0"}}), 1000);
  EXPECT_EQ(Value(f, "brook_task_busy_ratio", {{"task", "0_0"}}), 0.5);
  EXPECT_EQ(Value(f, "brook_task_lag_records", {{"task", "0_0"}}), 30);
  EXPECT_EQ(Value(f, "brook_task_restoring", {{"task", "0_1"}}), 1);
  EXPECT_EQ(Value(f, "brook_task_restore_eta_seconds", {{"task", "0_1"}, {"role", "active"}}),
            12.5);
  EXPECT_EQ(Value(f, "brook_task_restore_remaining_records", {{"task", "1_1"}, {"role", "warmup"}}),
            900);
  EXPECT_EQ(Value(f, "brook_task_state_bytes", {{"task", "1_0"}, {"role", "standby"}}), 2048);
  const std::map<std::string, std::string> p1 = {
      {"task", "0_0"}, {"topic", "in"}, {"partition", "1"}};
  EXPECT_EQ(Value(f, "brook_partition_lag_records", p1), 20);
  EXPECT_EQ(Value(f, "brook_partition_position", p1), 480);
  EXPECT_EQ(Value(f, "brook_partition_end_offset", p1), 500);
  EXPECT_EQ(Value(f, "brook_partition_stall_seconds", p1), 0.25);
  EXPECT_EQ(Value(f, "brook_max_processing_stall_seconds"), 0.25);
  EXPECT_EQ(Value(f, "brook_group_lag_records"), 1200);
  EXPECT_EQ(Value(f, "brook_group_members"), 2);
  // Active tasks (also restoring ones) have input series; standby and warmup tasks do not.
  const ParsedFamily* processed = FindFamily(f, "brook_task_processed_records_total");
  EXPECT_EQ(processed->samples.size(), 2u);
  EXPECT_EQ(Value(f, "brook_task_processed_records_total", {{"task", "0_1"}}), 0);
}

TEST(MetricsExposition, HistogramsCountObservations) {
  InstanceMetrics m;
  m.ObserveCommit(0.003);
  m.ObserveCommit(0.2);
  const std::vector<ParsedFamily> f = ExposeAndParse(m, FullInput());
  EXPECT_EQ(Value(f, "brook_commit_latency_seconds_count"), 2);
  EXPECT_NEAR(Value(f, "brook_commit_latency_seconds_sum"), 0.203, 1e-9);
  const ParsedFamily* h = FindFamily(f, "brook_commit_latency_seconds");
  auto bucket = [&](double le) {
    for (const ParsedSample* s : FindSamples(*h, "brook_commit_latency_seconds_bucket")) {
      if (std::stod(s->labels.at("le")) == le) return s->value;
    }
    ADD_FAILURE() << "no bucket le=" << le;
    return -1.0;
  };
  EXPECT_EQ(bucket(0.0025), 0);
  EXPECT_EQ(bucket(0.005), 1);
  EXPECT_EQ(bucket(0.1), 1);
  EXPECT_EQ(bucket(0.25), 2);
  EXPECT_EQ(Value(f, "brook_rebalance_duration_seconds_count"), 0);
}

TEST(MetricsExposition, SeriesOfTasksThatLeftAreRemovedAndRestartedCountersStartOver) {
  InstanceMetrics m;
  ExpositionInput in = FullInput();
  ExposeAndParse(m, in);
  // Task 0_0 moves away; 0_1 finished restoring and processed 10 records.
  in.status.tasks.erase(in.status.tasks.begin());
  in.status.tasks[0].restoring = false;
  in.status.tasks[0].processed = 10;
  in.rates.reset();
  std::vector<ParsedFamily> f = ExposeAndParse(m, in);
  const ParsedFamily* processed = FindFamily(f, "brook_task_processed_records_total");
  ASSERT_EQ(processed->samples.size(), 1u);
  EXPECT_EQ(processed->samples[0].labels.at("task"), "0_1");
  EXPECT_EQ(SampleCount(f, "brook_partition_lag_records"), 0u);
  EXPECT_EQ(SampleCount(f, "brook_task_busy_ratio"), 0u);  // no rates
  // 0_0 comes back, re-created: its counter restarts at its new, lower value.
  ExpositionInput again = FullInput();
  again.status.tasks[0].processed = 7;
  f = ExposeAndParse(m, again);
  EXPECT_EQ(Value(f, "brook_task_processed_records_total", {{"task", "0_0"}}), 7);
}

TEST(MetricsExposition, WithoutGroupReadOrDecisionTheirSeriesAreAbsent) {
  InstanceMetrics m;
  ExpositionInput in;
  in.status = FakeStatus();
  const std::vector<ParsedFamily> f = ExposeAndParse(m, in);
  EXPECT_EQ(FindFamily(f, "brook_desired_replicas"), nullptr);
  EXPECT_EQ(SampleCount(f, "brook_group_lag_records"), 0u);
  EXPECT_EQ(SampleCount(f, "brook_process_resident_memory_bytes"), 0u);
  EXPECT_EQ(SampleCount(f, "brook_processed_records_total"), 1u);
}

// A decision without input rate (the first reading): its unknown inputs are NaN, written as
// the format's "NaN" (prometheus-cpp itself writes "Nan").
TEST(MetricsExposition, UnknownScalingInputsAreNaN) {
  scaling::Observation obs;
  obs.current_replicas = 1;
  obs.tasks = 4;
  Result<scaling::Decision> d = scaling::Decide(obs, scaling::ModelConfig{});
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->basis, scaling::Basis::kHoldNoInputRate);
  InstanceMetrics m;
  ExpositionInput in;
  in.status = FakeStatus();
  in.decision = *d;
  const std::string text = m.Expose(in);
  EXPECT_EQ(text.find(" Nan\n"), std::string::npos);
  EXPECT_NE(text.find("brook_scaling_input_rate_records_per_second NaN\n"), std::string::npos);
  const std::vector<ParsedFamily> f = ExposeAndParse(m, in);
  EXPECT_TRUE(std::isnan(Value(f, "brook_scaling_input_rate_records_per_second")));
  EXPECT_EQ(Value(f, "brook_desired_replicas"), 1);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The README lists every metric (catalog and scaling gauges) with its type, and names no
// metric that does not exist.
TEST(MetricsReadme, DocumentsEveryMetricAndNoOther) {
  const std::string readme = ReadFile(std::string(BROOK_SOURCE_DIR) + "/src/metrics/README.md");
  ASSERT_FALSE(readme.empty());
  std::set<std::string> exported;
  for (const MetricDef& d : Catalog()) {
    exported.insert(d.name);
    // A table row: | `name` | type | labels | ...
    const std::string row = "| `" + d.name + "` | " + std::string(MetricTypeName(d.type)) + " |";
    EXPECT_NE(readme.find(row), std::string::npos) << "README has no row " << row;
  }
  for (const scaling::Gauge& g : scaling::DecisionGauges(SampleDecision())) {
    exported.insert(g.name);
    EXPECT_NE(readme.find("`" + g.name + "`"), std::string::npos) << "README lacks " << g.name;
  }
  const std::regex mention("`(brook_[a-z0-9_]+)`");
  for (auto it = std::sregex_iterator(readme.begin(), readme.end(), mention);
       it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[1].str();
    if (name == "brook_metrics" || name.ends_with("_test")) continue;  // library, test targets
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (name.ends_with(suffix) && !exported.contains(name)) {
        name.resize(name.size() - std::string(suffix).size());
      }
    }
    EXPECT_TRUE(exported.contains(name)) << "README names " << name << ", which is not exported";
  }
}

TEST(MetricsProcess, ResidentMemoryIsPositive) {
  EXPECT_GT(ResidentMemoryBytes(), 1024 * 1024);
}

}  // namespace
}  // namespace brook::metrics
