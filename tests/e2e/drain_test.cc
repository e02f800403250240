// Scale-down 3 -> 1 under load, end to end: count_app (tests/integration) runs as three
// instances under the real local runner (`brook local run`), a producer thread writes keyed
// records at a steady rate and keeps the truth, and the real autoscaler (`brook autoscale
// --max-replicas 1`) drains ordinals 2 and 1 (POST /drain) before it lowers the count.
//
// Checked, each able to fail:
//   (a) the autoscaler marked 2 and 1 draining before it scaled, and scaled only after their
//       tasks had moved: each of them was stopped holding no active task (its own log says
//       so) and left the group, and the runner stopped 2 before 1 (never 1 while 2 was still
//       there);
//   (b) after the load stops, the output's latest count of every key equals the truth (no
//       crash, clean handoffs: exact even under at-least-once);
//   (c) the tasks instance 0 kept throughout never stalled (max_stall_ms of its /status under
//       kMaxKeptStallMs) and kept processing during the scale-down; the moved tasks resumed
//       on instance 0 (processed there) within kMaxMoveGapMs of leaving the draining ones;
//   (d) the state dirs of ordinals 1 and 2 remain (persistent volumes) and instance 0 ends
//       with every task active.
// Measured stalls and drain durations go to stderr.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/admin.h"
#include "client/producer.h"
#include "http/client.h"
#include "runtime_test_util.h"
#include "test_env.h"

namespace brook::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kPartitions = 12;
constexpr int kKeys = 3000;
constexpr int kRecordsPerSecond = 3000;
constexpr int64_t kMaxKeptStallMs = 3000;
// Longest time from the draining instances' last active task to instance 0 running every task.
constexpr int64_t kMaxMoveGapMs = 3000;

std::string ReadFile(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The JSON a GET answers with 200, else nullopt.
std::optional<nlohmann::json> GetJson(const std::string& endpoint, const std::string& target) {
  Result<http::HttpClientResponse> r = http::HttpGet(endpoint, target, {}, milliseconds(2000));
  if (!r.ok() || r->status != 200) return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// True when nobody listens on 127.0.0.1:port right now.
bool PortFree(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// Three consecutive free loopback ports; the first of them.
int FreePortRange(int n) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int base = FreePort();
    if (base <= 0 || base + n > 65535) continue;
    bool all = true;
    for (int i = 1; i < n && all; ++i) all = PortFree(base + i);
    if (all) return base;
  }
  return -1;
}

// Active tasks (id -> processed) of an instance's /status.
std::map<std::string, int64_t> ActiveTasks(const nlohmann::json& status) {
  std::map<std::string, int64_t> out;
  for (const auto& t : status.value("tasks", nlohmann::json::array())) {
    if (t.value("role", "") == "active") out[t.value("id", "")] = t.value("processed", int64_t{0});
  }
  return out;
}

// Writes keyed records at a steady rate from its own thread and counts them per key.
class LoadProducer {
 public:
  LoadProducer(std::string topic, int rate) : topic_(std::move(topic)), rate_(rate) {}
  ~LoadProducer() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  // Stops sending and waits until every record is acknowledged.
  void Stop() {
    if (!thread_.joinable()) return;
    stop_.store(true);
    thread_.join();
  }
  [[nodiscard]] int64_t sent() const { return sent_.load(); }
  // Valid after Stop().
  [[nodiscard]] const std::map<std::string, int64_t>& truth() const { return truth_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  void Run() {
    auto producer = client::Producer::Create(ClientConfig());
    if (!producer.ok()) {
      error_ = producer.status().ToString();
      return;
    }
    std::mt19937 rng(7);
    constexpr int kTicksPerSecond = 100;
    const int per_tick = rate_ / kTicksPerSecond;
    auto next = Clock::now();
    int64_t seq = 0;
    while (!stop_.load()) {
      for (int i = 0; i < per_tick; ++i) {
        const std::string key = "key-" + std::to_string(rng() % kKeys);
        if (Status s = (*producer)->Send(topic_, key, Int64Bytes(seq++)); !s.ok()) {
          error_ = s.ToString();
          return;
        }
        ++truth_[key];
        ++sent_;
      }
      (*producer)->Poll();
      next += milliseconds(1000 / kTicksPerSecond);  // drift-free
      std::this_thread::sleep_until(next);
    }
    if (Status s = (*producer)->Flush(); !s.ok()) error_ = s.ToString();
  }

  const std::string topic_;
  const int rate_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> sent_{0};
  std::map<std::string, int64_t> truth_;
  std::string error_;
};

// What the monitor thread saw, times since the test's t0 (ms).
struct Observed {
  std::map<int, int64_t> drained_ms;  // first time ordinal 1/2 listed no active task
  std::map<int, int64_t> stopped_ms;  // first time the runner had it stopping or gone
  // First time instance 0 ran every task with 1 and 2 still up (-1: never; the autoscaler
  // waits for the draining ordinals to hold no active task, so the second phase of the last
  // cooperative move may end after they stop: measured, not required).
  int64_t all_on_zero_ms = -1;
  int64_t all_on_zero_any_ms = -1;  // first time instance 0 ran every task
  int64_t scaled_ms = -1;           // first time the runner wanted 1 replica
  int max_restarts = 0;
  std::vector<std::string> violations;
  // Kept tasks' processed counts on instance 0, first and last sample in the drain window.
  std::map<std::string, int64_t> kept_processed_first, kept_processed_last;
  // Kept tasks: when their processed count last grew, and the longest time it did not (a
  // second measure of a stall, independent of the instance's own max_stall_ms).
  std::map<std::string, int64_t> kept_last_growth_ms, kept_max_flat_ms;
};

class DrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app_id_ = UniqueTopic("drain-app");
    input_ = UniqueTopic("drain-in");
    output_ = UniqueTopic("drain-out");
    name_ = "cnt";
    dir_ = std::filesystem::temp_directory_path() / UniqueTopic("drain");
    std::filesystem::create_directories(dir_);
    admin_ = client::Admin::Create(ClientConfig()).value();
    ASSERT_TRUE(admin_->CreateTopic({.name = input_, .partitions = kPartitions}).ok());
    ASSERT_TRUE(admin_->CreateTopic({.name = output_, .partitions = kPartitions}).ok());
    base_port_ = FreePortRange(3);
    ASSERT_GT(base_port_, 0) << "no 3 consecutive free ports";
    t0_ = Clock::now();
  }

  void TearDown() override {
    autoscaler_.Terminate(seconds(10));
    if (runner_.running()) {
      const int rc = runner_.Terminate(seconds(60));
      if (rc != 0) std::cerr << "brook local run exited with " << rc << "\n";
    }
    // A runner that did not stop cleanly leaves its children: kill their process groups.
    for (const pid_t pid : pids_) {
      if (pid > 0 && ::kill(pid, 0) == 0) ::kill(-pid, SIGKILL);
    }
    if (HasFailure()) {
      for (const auto& e : std::filesystem::directory_iterator(dir_)) {
        if (e.path().extension() != ".log") continue;
        const std::string text = ReadFile(e.path());
        std::cerr << "---- " << e.path().filename() << " (last 6000 bytes)\n"
                  << (text.size() > 6000 ? text.substr(text.size() - 6000) : text) << "\n";
      }
    }
    // BROOK_KEEP_TEST_DIR keeps the logs and state dirs, whatever the outcome.
    if (std::getenv("BROOK_KEEP_TEST_DIR") != nullptr) {
      std::cerr << "kept " << dir_ << "\n";
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  [[nodiscard]] int64_t Since() const {
    return std::chrono::duration_cast<milliseconds>(Clock::now() - t0_).count();
  }
  [[nodiscard]] std::string Endpoint(int ordinal) const {
    return "127.0.0.1:" + std::to_string(base_port_ + ordinal);
  }
  [[nodiscard]] std::optional<nlohmann::json> InstanceStatus(int ordinal) const {
    return GetJson(Endpoint(ordinal), "/status");
  }
  // The runner's GET /status (its control endpoint is in <dir>/local-runner.json).
  [[nodiscard]] std::optional<nlohmann::json> RunnerStatus() const {
    const nlohmann::json state =
        nlohmann::json::parse(ReadFile(dir_ / "local-runner.json"), nullptr, false);
    if (!state.is_object() || !state.contains("control")) return std::nullopt;
    return GetJson(state["control"].get<std::string>(), "/status");
  }
  // Ordinal -> {state, pid, restarts} of the runner's instances.
  static std::map<int, nlohmann::json> RunnerInstances(const nlohmann::json& runner) {
    std::map<int, nlohmann::json> out;
    for (const auto& i : runner.value("instances", nlohmann::json::array())) {
      out[i.value("ordinal", -1)] = i;
    }
    return out;
  }

  void StartRunner() {
    const std::vector<std::string> args = {
        "local",
        "run",
        "--name",
        name_,
        "--replicas",
        "3",
        "--state-dir",
        dir_.string(),
        "--base-port",
        std::to_string(base_port_),
        "--grace-ms",
        "30000",
        "--",
        BROOK_COUNT_APP,
        "input=" + input_,
        "output=" + output_,
        "status=" + (dir_ / "{name}.status").string(),
        "application.id=" + app_id_,
        "bootstrap.servers=" + Bootstrap(),
        "session.timeout.ms=6000",
        "heartbeat.interval.ms=500",
        "commit.interval.ms=500",
        "scaling.interval.ms=1000",
    };
    runner_.Start(BROOK_CLI, args, (dir_ / "runner.log").string());
  }

  // Follows the runner and the instances every 100 ms until `done` (see Observed).
  void Monitor(const std::atomic<bool>& done, const std::set<std::string>& kept, Observed& seen,
               std::mutex& mu) {
    while (!done.load()) {
      const int64_t now = Since();
      std::optional<nlohmann::json> runner = RunnerStatus();
      std::map<int, nlohmann::json> children;
      if (runner) children = RunnerInstances(*runner);
      const auto running = [&](int o) {
        return children.contains(o) && children[o].value("state", "") == "running";
      };
      std::lock_guard lock(mu);
      if (runner) {
        for (const auto& [o, c] : children) {
          seen.max_restarts = std::max(seen.max_restarts, c.value("restarts", 0));
          if (c.value("pid", 0) > 0) pids_.insert(c.value("pid", 0));
        }
        if (runner->value("replicas", 0) == 1 && seen.scaled_ms < 0) seen.scaled_ms = now;
        for (const int o : {2, 1}) {
          if (running(o) || seen.stopped_ms.contains(o)) continue;
          seen.stopped_ms[o] = now;
        }
        // The runner stops the highest ordinal first, one at a time.
        if (children.contains(1) && !running(1) && children.contains(2)) {
          seen.violations.push_back("ordinal 1 stopping while ordinal 2 is still there");
        }
      }
      for (const int o : {1, 2}) {
        if (seen.stopped_ms.contains(o)) continue;
        if (std::optional<nlohmann::json> s = InstanceStatus(o)) {
          if (ActiveTasks(*s).empty() && !seen.drained_ms.contains(o)) seen.drained_ms[o] = now;
        }
      }
      if (std::optional<nlohmann::json> s0 = InstanceStatus(0)) {
        const std::map<std::string, int64_t> active = ActiveTasks(*s0);
        for (const std::string& id : kept) {
          auto it = active.find(id);
          if (it == active.end()) {
            seen.violations.push_back("kept task " + id + " left instance 0");
            continue;
          }
          seen.kept_processed_first.emplace(id, it->second);
          seen.kept_last_growth_ms.emplace(id, now);
          if (it->second > seen.kept_processed_last[id]) seen.kept_last_growth_ms[id] = now;
          seen.kept_max_flat_ms[id] =
              std::max(seen.kept_max_flat_ms[id], now - seen.kept_last_growth_ms[id]);
          seen.kept_processed_last[id] = it->second;
        }
        if (static_cast<int>(active.size()) == kPartitions && seen.all_on_zero_any_ms < 0) {
          seen.all_on_zero_any_ms = now;
        }
        if (static_cast<int>(active.size()) == kPartitions && seen.all_on_zero_ms < 0 &&
            running(1) && running(2)) {
          seen.all_on_zero_ms = now;
        }
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
  }

  std::string app_id_, input_, output_, name_;
  std::filesystem::path dir_;
  std::unique_ptr<client::Admin> admin_;
  int base_port_ = -1;
  Clock::time_point t0_;
  AppProcess runner_;
  AppProcess autoscaler_;
  std::set<pid_t> pids_;
};

TEST_F(DrainTest, ScaleDownThreeToOneUnderLoadDrainsFirstLosesNothingAndKeptTasksNeverStall) {
  LoadProducer load(input_, kRecordsPerSecond);
  load.Start();
  StartRunner();

  // Three instances, every task active on one of them, each processing.
  std::map<int, std::map<std::string, int64_t>> placement;
  ASSERT_TRUE(WaitUntil(
      [&] {
        placement.clear();
        std::set<std::string> all;
        for (int o = 0; o < 3; ++o) {
          std::optional<nlohmann::json> s = InstanceStatus(o);
          if (!s || s->value("state", "") != "RUNNING") return false;
          placement[o] = ActiveTasks(*s);
          int64_t processed = 0;
          for (const auto& [id, p] : placement[o]) {
            all.insert(id);
            processed += p;
          }
          if (placement[o].empty() || processed == 0) return false;
        }
        return static_cast<int>(all.size()) == kPartitions;
      },
      seconds(60)))
      << "three instances never ran every task";
  const int64_t ready_ms = Since();
  // Some steady processing before the scale-down (the changelogs fill up: the moves restore).
  std::this_thread::sleep_for(seconds(5));
  std::set<std::string> kept;
  std::set<std::string> moved;
  std::map<std::string, int64_t> stall_before;  // instance 0's max_stall_ms before the drain
  {
    std::optional<nlohmann::json> s0 = InstanceStatus(0);
    ASSERT_TRUE(s0.has_value());
    for (const auto& [id, p] : ActiveTasks(*s0)) kept.insert(id);
    for (const auto& t : s0->value("tasks", nlohmann::json::array())) {
      stall_before[t.value("id", "")] = t.value("max_stall_ms", int64_t{-1});
    }
    for (int o = 1; o < 3; ++o) {
      std::optional<nlohmann::json> s = InstanceStatus(o);
      ASSERT_TRUE(s.has_value());
      for (const auto& [id, p] : ActiveTasks(*s)) moved.insert(id);
    }
  }
  ASSERT_FALSE(kept.empty());
  ASSERT_FALSE(moved.empty());
  ASSERT_EQ(kept.size() + moved.size(), static_cast<size_t>(kPartitions));
  std::cerr << "three instances ready after " << ready_ms << " ms; instance 0 keeps " << kept.size()
            << " task(s), " << moved.size() << " move\n";

  std::mutex mu;
  Observed seen;
  std::atomic<bool> monitor_done{false};
  std::thread monitor([&] { Monitor(monitor_done, kept, seen, mu); });

  const int64_t autoscale_start_ms = Since();
  autoscaler_.Start(BROOK_CLI,
                    {"autoscale", "--target", "local:" + dir_.string(), "--max-replicas", "1",
                     "--scale-down-window-ms", "0", "--cooldown-ms", "0", "--interval-ms", "1000"},
                    (dir_ / "autoscale.log").string());
  // Done when the runner wants 1 replica and only ordinal 0 is left.
  const bool scaled = WaitUntil(
      [&] {
        std::optional<nlohmann::json> r = RunnerStatus();
        if (!r || r->value("replicas", 0) != 1) return false;
        const auto children = RunnerInstances(*r);
        return children.size() == 1 && children.contains(0);
      },
      seconds(60));
  const int64_t scaled_down_ms = Since();
  const int autoscaler_rc = autoscaler_.Terminate(seconds(10));
  // Load goes on a little on instance 0 alone, then stops.
  std::this_thread::sleep_for(seconds(3));
  monitor_done.store(true);
  monitor.join();
  load.Stop();
  {
    // Times from the autoscaler's start, as the monitor saw them (100 ms polls).
    const auto rel = [&](const std::map<int, int64_t>& m, int o) {
      return m.contains(o) ? std::to_string(m.at(o) - autoscale_start_ms) + " ms" : "never";
    };
    const auto rel1 = [&](int64_t ms) {
      return ms >= 0 ? std::to_string(ms - autoscale_start_ms) + " ms" : "never";
    };
    std::cerr << "drain (from the autoscaler's start, " << autoscale_start_ms
              << " ms into the test): ordinal 2 without active tasks after "
              << rel(seen.drained_ms, 2) << ", ordinal 1 after " << rel(seen.drained_ms, 1)
              << "; instance 0 ran every task after " << rel1(seen.all_on_zero_any_ms)
              << " (with 1 and 2 still up: " << rel1(seen.all_on_zero_ms) << ")"
              << "; runner at 1 replica after " << rel1(seen.scaled_ms)
              << "; ordinal 2 stopped after " << rel(seen.stopped_ms, 2) << ", ordinal 1 after "
              << rel(seen.stopped_ms, 1) << "; only ordinal 0 left after " << rel1(scaled_down_ms)
              << "\n";
  }
  ASSERT_TRUE(load.error().empty()) << load.error();
  ASSERT_TRUE(scaled) << "the runner never got down to ordinal 0 alone";
  EXPECT_EQ(autoscaler_rc, 0);

  // (a) The autoscaler drained 2 and 1, then scaled; nothing was stopped with active tasks.
  const std::string out = ReadFile(dir_ / "autoscale.log");
  std::vector<std::string> ticks;
  {
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("replicas=")) ticks.push_back(line);
    }
  }
  int first_drain = -1;
  int first_scale = -1;
  for (int i = 0; i < static_cast<int>(ticks.size()); ++i) {
    if (first_drain < 0 && ticks[i].find("draining=") != std::string::npos) first_drain = i;
    if (first_scale < 0 && ticks[i].find("scaled_to=") != std::string::npos) first_scale = i;
  }
  ASSERT_GE(first_drain, 0) << "the autoscaler never drained:\n" << out;
  ASSERT_GE(first_scale, 0) << "the autoscaler never scaled:\n" << out;
  EXPECT_NE(ticks[first_drain].find("action=scale_down"), std::string::npos) << out;
  EXPECT_NE(ticks[first_drain].find("draining=2,1"), std::string::npos) << out;
  EXPECT_LT(first_drain, first_scale) << "scaled before draining:\n" << out;
  EXPECT_NE(ticks[first_scale].find("scaled_to=1"), std::string::npos) << out;
  EXPECT_EQ(out.find("drain timeout"), std::string::npos) << out;
  for (const std::string& v : seen.violations) ADD_FAILURE() << v;
  ASSERT_TRUE(seen.stopped_ms.contains(1) && seen.stopped_ms.contains(2));
  EXPECT_LE(seen.stopped_ms[2], seen.stopped_ms[1]);
  // Each drained instance logs what it held when its SIGTERM stopped it (the group member's
  // "stopping with active=[...]" line): nothing, and it left the group (it was draining).
  // Race-free, unlike polling /status. Ordinal 2 stopped before ordinal 1 started to.
  std::map<int, std::string> stop_line;
  for (const int o : {1, 2}) {
    std::istringstream in(ReadFile(dir_ / (name_ + "-" + std::to_string(o) + ".log")));
    for (std::string line; std::getline(in, line);) {
      if (line.find(" stopping with active=[") != std::string::npos) stop_line[o] = line;
    }
    ASSERT_FALSE(stop_line[o].empty()) << "ordinal " << o << " logged no stop";
    EXPECT_NE(stop_line[o].find("stopping with active=[-], leaving the group"), std::string::npos)
        << "ordinal " << o << " was stopped with active tasks or stayed: " << stop_line[o];
  }
  // "[2026-11-25 21:50:18.885] ..." sorts by time.
  EXPECT_LT(stop_line[2].substr(0, 25), stop_line[1].substr(0, 25))
      << "ordinal 1 stopped before ordinal 2";
  // The moved tasks resumed promptly: instance 0 ran every task soon after the last one left
  // the draining instances (not after a session timeout, 6 s here). An ordinal that dropped
  // its last task and was stopped between two polls counts from its stop.
  const auto left = [&](int o) {
    return seen.drained_ms.contains(o) ? seen.drained_ms[o] : seen.stopped_ms[o];
  };
  const int64_t last_left = std::max(left(1), left(2));
  ASSERT_GE(seen.all_on_zero_any_ms, 0) << "instance 0 never ran every task";
  EXPECT_LT(seen.all_on_zero_any_ms - last_left, kMaxMoveGapMs)
      << "the last moved tasks were unassigned for " << seen.all_on_zero_any_ms - last_left
      << " ms";
  EXPECT_EQ(seen.max_restarts, 0) << "an instance crashed";

  // (b) Every key's latest count equals the truth.
  const std::map<std::string, int64_t>& truth = load.truth();
  std::map<std::string, int64_t> latest;
  std::optional<nlohmann::json> final0;
  const bool caught_up = WaitUntil(
      [&] {
        final0 = InstanceStatus(0);
        if (!final0) return false;
        latest = LatestCounts(output_, /*read_committed=*/false);
        for (const auto& [k, c] : truth) {
          auto it = latest.find(k);
          if (it == latest.end() || it->second < c) return false;
        }
        return true;
      },
      seconds(40));
  EXPECT_TRUE(caught_up) << "instance 0 never caught up with the input";
  int wrong = 0;
  for (const auto& [k, c] : truth) {
    const auto it = latest.find(k);
    const int64_t got = it == latest.end() ? -1 : it->second;
    if (got != c && ++wrong <= 10) ADD_FAILURE() << k << ": counted " << got << ", truth " << c;
  }
  EXPECT_EQ(wrong, 0) << wrong << " of " << truth.size() << " keys counted wrong";
  EXPECT_EQ(latest.size(), truth.size());
  int64_t sent = 0;
  for (const auto& [k, c] : truth) sent += c;
  EXPECT_EQ(sent, load.sent());

  // (c) Kept tasks never stalled and kept processing; moved tasks resumed on instance 0.
  // (d) Instance 0 runs every task; the drained ordinals' state dirs remain.
  ASSERT_TRUE(final0.has_value());
  std::map<std::string, nlohmann::json> tasks0;
  for (const auto& t : final0->value("tasks", nlohmann::json::array())) {
    tasks0[t.value("id", "")] = t;
  }
  EXPECT_EQ(static_cast<int>(tasks0.size()), kPartitions);
  int64_t worst_kept_stall = 0;
  std::string stalls;
  std::string flat;
  for (const std::string& id : kept) {
    ASSERT_TRUE(tasks0.contains(id)) << id;
    const int64_t stall = tasks0[id].value("max_stall_ms", int64_t{-1});
    worst_kept_stall = std::max(worst_kept_stall, stall);
    stalls += " " + id + "=" + std::to_string(stall_before[id]) + "->" + std::to_string(stall);
    EXPECT_GE(stall, 0) << id;
    EXPECT_LT(stall, kMaxKeptStallMs) << "kept task " << id << " stalled";
    EXPECT_GT(seen.kept_processed_last[id], seen.kept_processed_first[id])
        << "kept task " << id << " did not process during the scale-down";
    EXPECT_LT(seen.kept_max_flat_ms[id], kMaxKeptStallMs)
        << "kept task " << id << " processed nothing for " << seen.kept_max_flat_ms[id] << " ms";
    flat += " " + id + "=" + std::to_string(seen.kept_max_flat_ms[id]);
  }
  std::string moved_stalls;
  for (const std::string& id : moved) {
    ASSERT_TRUE(tasks0.contains(id)) << id;
    moved_stalls += " " + id + "=" + std::to_string(tasks0[id].value("max_stall_ms", int64_t{-1}));
    EXPECT_GT(tasks0[id].value("processed", int64_t{0}), 0)
        << "moved task " << id << " never processed on instance 0";
  }
  for (const auto& [id, t] : tasks0) {
    EXPECT_EQ(t.value("role", ""), "active") << id;
  }
  for (const int o : {1, 2}) {
    const std::filesystem::path state = dir_ / (name_ + "-" + std::to_string(o));
    EXPECT_TRUE(std::filesystem::is_directory(state)) << state;
    EXPECT_FALSE(std::filesystem::is_empty(state)) << state << " lost its task directories";
  }

  std::cerr << "kept tasks' max_stall_ms before the drain->at the end (limit " << kMaxKeptStallMs
            << "):" << stalls << " (worst " << worst_kept_stall
            << ")\nkept tasks' longest time without processing (100 ms polls):" << flat
            << "\nmoved tasks' max_stall_ms on instance 0:" << moved_stalls << "\n"
            << load.sent() << " records over " << truth.size() << " keys, " << wrong
            << " keys wrong; total test time " << Since() << " ms\n";
  for (const std::string& t : ticks) std::cerr << "autoscale: " << t << "\n";

  // The runner stops ordinal 0 cleanly.
  EXPECT_EQ(runner_.Terminate(seconds(60)), 0);
}

}  // namespace
}  // namespace brook::testing
