// Observability on the real broker: one count_app instance with an HTTP server (http.listen)
// over an 8-partition topic, scraped while records flow. /metrics is parsed with the strict
// text-format parser: processed counts rise, every input partition has a lag gauge, busy
// ratios lie in [0, 1], brook_desired_replicas is exported with its inputs (the group's end
// offsets, lag and members); /healthz is 200; /readyz turns 200 only once the state is
// restored (a restart with its state directory wiped restores every key from the
// changelog); /status agrees.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/admin.h"
#include "client/producer.h"
#include "http/client.h"
#include "metrics/text_parser.h"
#include "runtime_test_util.h"
#include "test_env.h"

namespace brook::testing {
namespace {

using metrics::FindFamily;
using metrics::FindSamples;
using metrics::ParsedFamily;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kPartitions = 8;

class MetricsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app_id_ = UniqueTopic("met-app");
    input_ = UniqueTopic("met-in");
    output_ = UniqueTopic("met-out");
    dir_ = std::filesystem::temp_directory_path() / UniqueTopic("met");
    std::filesystem::create_directories(dir_);
    admin_ = client::Admin::Create(ClientConfig()).value();
    ASSERT_TRUE(admin_->CreateTopic({.name = input_, .partitions = kPartitions}).ok());
    ASSERT_TRUE(admin_->CreateTopic({.name = output_, .partitions = kPartitions}).ok());
  }
  void TearDown() override {
    app_.Kill();
    if (HasFailure()) {
      std::ifstream in(dir_ / "app.log");
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string text = ss.str();
      std::cerr << "---- app.log (last 4000 bytes)\n"
                << (text.size() > 4000 ? text.substr(text.size() - 4000) : text) << "\n";
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void StartApp() {
    const int port = FreePort();
    ASSERT_GT(port, 0);
    endpoint_ = "127.0.0.1:" + std::to_string(port);
    app_.Start(BROOK_COUNT_APP,
               {"input=" + input_, "output=" + output_, "status=" + (dir_ / "status").string(),
                "application.id=" + app_id_, "bootstrap.servers=" + Bootstrap(),
                "state.dir=" + (dir_ / "state").string(), "group.instance.id=met-0",
                "session.timeout.ms=6000", "heartbeat.interval.ms=500", "commit.interval.ms=500",
                "num.stream.threads=2", "http.listen=" + endpoint_, "scaling.interval.ms=1000",
                "scaling.window.ms=10000"},
               (dir_ / "app.log").string());
  }

  std::optional<http::HttpClientResponse> Get(const std::string& target) const {
    Result<http::HttpClientResponse> r = http::HttpGet(endpoint_, target, {}, milliseconds(5000));
    if (!r.ok()) return std::nullopt;
    return std::move(r).value();
  }

  // /metrics, parsed strictly; fails the test when the page does not parse.
  std::vector<ParsedFamily> Scrape() const {
    std::optional<http::HttpClientResponse> r = Get("/metrics");
    EXPECT_TRUE(r.has_value()) << "no answer from " << endpoint_;
    if (!r) return {};
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("content-type").value_or(""), "text/plain; version=0.0.4; charset=utf-8");
    Result<std::vector<ParsedFamily>> fams = metrics::ParseTextFormat(r->body);
    EXPECT_TRUE(fams.ok()) << fams.status().ToString();
    return fams.ok() ? std::move(fams).value() : std::vector<ParsedFamily>{};
  }

  // The one sample of `name` with `labels` (nullopt when absent or ambiguous).
  static std::optional<double> Value(const std::vector<ParsedFamily>& fams, const std::string& name,
                                     const std::map<std::string, std::string>& labels = {}) {
    const ParsedFamily* f = FindFamily(fams, name);
    for (const std::string suffix : {"_count", "_sum"}) {  // a histogram's samples
      if (f == nullptr && name.ends_with(suffix)) {
        f = FindFamily(fams, name.substr(0, name.size() - suffix.size()));
      }
    }
    if (f == nullptr) return std::nullopt;
    std::vector<const metrics::ParsedSample*> s = FindSamples(*f, name, labels);
    if (s.size() != 1) return std::nullopt;
    return s[0]->value;
  }

  // Sends n records over `keys` keys, at about `per_second` (0 = as fast as possible).
  void Produce(int n, int keys, int per_second, int seed) {
    auto producer = client::Producer::Create(ClientConfig()).value();
    std::mt19937 rng(seed);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      const std::string key = "key-" + std::to_string(rng() % static_cast<unsigned>(keys));
      ASSERT_TRUE(producer->Send(input_, key, Int64Bytes(i)).ok());
      if (i % 500 == 0) {
        producer->Poll();
        if (per_second > 0) {
          std::this_thread::sleep_until(start + milliseconds(int64_t{i} * 1000 / per_second));
        }
      }
    }
    ASSERT_TRUE(producer->Flush().ok());
    produced_ += n;
  }

  std::string app_id_, input_, output_, endpoint_;
  std::filesystem::path dir_;
  std::unique_ptr<client::Admin> admin_;
  AppProcess app_;
  int64_t produced_ = 0;
};

TEST_F(MetricsIntegrationTest, ScrapedUnderLoad) {
  ASSERT_NO_FATAL_FAILURE(Produce(20000, 500, 0, 1));  // a backlog before the start
  StartApp();
  ASSERT_TRUE(WaitUntil([&] { return Get("/healthz").has_value(); }, seconds(30)))
      << "the HTTP server never answered";
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto r = Get("/readyz");
        return r && r->status == 200;
      },
      seconds(60)))
      << Get("/readyz").value_or(http::HttpClientResponse{}).body;
  auto health = Get("/healthz");
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->status, 200) << health->body;
  EXPECT_EQ(json::parse(health->body)["status"], "ok");

  std::atomic<bool> producing{true};
  std::thread load([&] {
    Produce(30000, 500, 3000, 2);  // ~10 s at 3000/s
    producing.store(false);
  });
  std::this_thread::sleep_for(seconds(3));
  const std::vector<ParsedFamily> first = Scrape();
  std::this_thread::sleep_for(seconds(3));
  const std::vector<ParsedFamily> second = Scrape();
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(second.empty());

  std::cerr << "under load: processed/s "
            << Value(second, "brook_processed_records_per_second").value_or(-1) << ", busy ratio "
            << Value(second, "brook_busy_ratio").value_or(-1) << ", input/s "
            << Value(second, "brook_scaling_input_rate_records_per_second").value_or(-1)
            << ", group lag " << Value(second, "brook_group_lag_records").value_or(-1)
            << ", true rate/instance "
            << Value(second, "brook_scaling_true_rate_per_instance_records_per_second").value_or(-1)
            << ", desired " << Value(second, "brook_desired_replicas").value_or(-1)
            << ", max stall " << Value(second, "brook_max_processing_stall_seconds").value_or(-1)
            << " s, commits " << Value(second, "brook_commit_latency_seconds_count").value_or(-1)
            << " taking " << Value(second, "brook_commit_latency_seconds_sum").value_or(-1)
            << " s in all\n";
  // Processed counts rise; per-task counters add up to the instance's.
  const double p1 = Value(first, "brook_processed_records_total").value_or(-1);
  const double p2 = Value(second, "brook_processed_records_total").value_or(-1);
  EXPECT_GT(p1, 0);
  EXPECT_GT(p2, p1);
  double task_sum = 0;
  const ParsedFamily* per_task = FindFamily(second, "brook_task_processed_records_total");
  ASSERT_NE(per_task, nullptr);
  EXPECT_EQ(per_task->samples.size(), static_cast<size_t>(kPartitions));
  for (const auto& s : per_task->samples) task_sum += s.value;
  EXPECT_EQ(task_sum, p2);
  EXPECT_GT(Value(second, "brook_processed_records_per_second").value_or(0), 0);

  // A lag gauge (and position, end offset) for every input partition.
  for (int p = 0; p < kPartitions; ++p) {
    const std::map<std::string, std::string> l = {
        {"task", "0_" + std::to_string(p)}, {"topic", input_}, {"partition", std::to_string(p)}};
    const std::optional<double> lag = Value(second, "brook_partition_lag_records", l);
    ASSERT_TRUE(lag.has_value()) << "no lag gauge for partition " << p;
    EXPECT_GE(*lag, 0);
    EXPECT_TRUE(Value(second, "brook_partition_position", l).has_value());
    EXPECT_TRUE(Value(second, "brook_partition_end_offset", l).has_value());
  }

  // Busy ratios in [0, 1], and the instance was busy at all.
  for (const char* name :
       {"brook_busy_ratio", "brook_thread_busy_ratio", "brook_task_busy_ratio"}) {
    const ParsedFamily* f = FindFamily(second, name);
    ASSERT_NE(f, nullptr) << name;
    ASSERT_FALSE(f->samples.empty()) << name;
    for (const auto& s : f->samples) {
      EXPECT_GE(s.value, 0) << name;
      EXPECT_LE(s.value, 1) << name;
    }
  }
  EXPECT_GT(Value(second, "brook_busy_ratio").value_or(0), 0);
  EXPECT_GT(Value(second, "brook_busy_seconds_total").value_or(0), 0);
  EXPECT_EQ(Value(second, "brook_stream_threads"), 2);

  // The scaling signal with its inputs.
  EXPECT_TRUE(Value(second, "brook_desired_replicas").has_value());
  EXPECT_GE(Value(second, "brook_desired_replicas").value_or(0), 1);
  EXPECT_EQ(Value(second, "brook_scaling_tasks"), kPartitions);
  EXPECT_EQ(Value(second, "brook_scaling_current_replicas"), 1);
  EXPECT_EQ(Value(second, "brook_group_members"), 1);
  EXPECT_EQ(Value(second, "brook_group_tasks"), kPartitions);
  EXPECT_EQ(Value(second, "brook_group_source_partitions"), kPartitions);
  EXPECT_GE(Value(second, "brook_group_source_end_offsets").value_or(0), 20000);
  EXPECT_TRUE(Value(second, "brook_group_lag_records").has_value());
  EXPECT_GT(Value(second, "brook_scaling_input_rate_records_per_second").value_or(0), 0);
  const ParsedFamily* basis = FindFamily(second, "brook_scaling_basis");
  ASSERT_NE(basis, nullptr);
  EXPECT_EQ(FindSamples(*basis, "brook_scaling_basis", {{"basis", "model"}}).size(), 1u);
  EXPECT_GT(Value(second, "brook_commit_latency_seconds_count").value_or(0), 0);
  EXPECT_EQ(Value(second, "brook_instance_ready"), 1);
  EXPECT_EQ(Value(second, "brook_instance_live"), 1);
  EXPECT_EQ(
      Value(second, "brook_instance_info", {{"application_id", app_id_}, {"instance", "met-0"}}),
      1);
  EXPECT_GT(Value(second, "brook_process_resident_memory_bytes").value_or(0), 1 << 20);

  load.join();
  // Everything gets processed: the group's lag and every partition's lag drain to 0.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::vector<ParsedFamily> f = Scrape();
        const ParsedFamily* lags = FindFamily(f, "brook_partition_lag_records");
        if (lags == nullptr || lags->samples.size() != kPartitions) return false;
        for (const auto& s : lags->samples) {
          if (s.value != 0) return false;
        }
        return Value(f, "brook_processed_records_total") == produced_ &&
               Value(f, "brook_group_lag_records") == 0;
      },
      seconds(60)))
      << "lag did not drain";

  // /status says the same.
  auto status = Get("/status");
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(status->status, 200);
  const json st = json::parse(status->body);
  EXPECT_EQ(st["state"], "RUNNING");
  EXPECT_EQ(st["processed"], produced_);
  EXPECT_EQ(st["assigned"], true);
  EXPECT_EQ(st["instance_id"], "met-0");
  ASSERT_EQ(st["tasks"].size(), static_cast<size_t>(kPartitions));
  for (const json& t : st["tasks"]) {
    EXPECT_EQ(t["role"], "active");
    EXPECT_EQ(t["input_lag"], 0) << t.dump();
    ASSERT_EQ(t["partitions"].size(), 1u);
    EXPECT_EQ(t["partitions"][0]["lag"], 0);
  }
  EXPECT_GE(st["scaling"]["desired_replicas"].get<int>(), 1);
  std::cerr << "scaling after the load: " << st["scaling"].dump() << "\n";
  EXPECT_FALSE(st["recent_rebalances"].empty());
  EXPECT_EQ(st["threads"].size(), 3u);  // stream-0, stream-1, restore
  EXPECT_EQ(app_.Terminate(), 0);
}

TEST_F(MetricsIntegrationTest, ReadyOnlyOnceRestored) {
  constexpr int kKeys = 40000;
  // First run builds the state: kKeys distinct keys in the changelog.
  {
    auto producer = client::Producer::Create(ClientConfig()).value();
    for (int i = 0; i < kKeys; ++i) {
      ASSERT_TRUE(producer->Send(input_, "key-" + std::to_string(i), Int64Bytes(i)).ok());
      if (i % 1000 == 0) producer->Poll();
    }
    ASSERT_TRUE(producer->Flush().ok());
  }
  StartApp();
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::vector<ParsedFamily> f =
            Get("/metrics") ? Scrape() : std::vector<ParsedFamily>{};
        return Value(f, "brook_processed_records_total") == kKeys;
      },
      seconds(90)));
  ASSERT_EQ(app_.Terminate(), 0);

  // Second run without local state: every task restores its changelog before it runs.
  std::filesystem::remove_all(dir_ / "state");
  StartApp();
  int not_ready = 0;
  bool saw_restoring = false;
  std::optional<http::HttpClientResponse> ready;
  const auto deadline = std::chrono::steady_clock::now() + seconds(90);
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<http::HttpClientResponse> r = Get("/readyz");
    if (!r) {
      std::this_thread::sleep_for(milliseconds(10));
      continue;
    }
    if (r->status == 200) {
      ready = r;
      break;
    }
    ASSERT_EQ(r->status, 503) << r->body;
    ++not_ready;
    const json body = json::parse(r->body);
    EXPECT_EQ(body["status"], "not_ready");
    EXPECT_FALSE(body["reasons"].empty()) << r->body;
    for (const json& t : body["restoring"]) {
      saw_restoring = true;
      EXPECT_GE(t["remaining_offsets"].get<int64_t>(), 0) << r->body;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(ready.has_value()) << "/readyz never answered 200";
  std::cerr << "/readyz: " << not_ready << " not-ready answers before 200"
            << (saw_restoring ? " (some listed restoring tasks)" : "") << "\n";
  EXPECT_GT(not_ready, 0) << "ready at the first answer: before the group assigned anything?";
  // Ready means restored: every key of the changelog is back, no task restores.
  auto status = Get("/status");
  ASSERT_TRUE(status.has_value());
  const json st = json::parse(status->body);
  EXPECT_GE(st["restored"].get<int64_t>(), kKeys) << status->body.substr(0, 2000);
  for (const json& t : st["tasks"]) EXPECT_EQ(t["restoring"], false);
  const std::vector<ParsedFamily> f = Scrape();
  EXPECT_GE(Value(f, "brook_restored_records_total").value_or(0), kKeys);
  EXPECT_EQ(Value(f, "brook_instance_ready"), 1);
  EXPECT_GE(Value(f, "brook_rebalance_duration_seconds_count").value_or(0), 1);
  const ParsedFamily* bytes = FindFamily(f, "brook_task_state_bytes");
  EXPECT_TRUE(bytes == nullptr || bytes->samples.size() <= kPartitions);
  EXPECT_EQ(Get("/healthz").value_or(http::HttpClientResponse{}).status, 200);
  EXPECT_EQ(app_.Terminate(), 0);
}

}  // namespace
}  // namespace brook::testing
