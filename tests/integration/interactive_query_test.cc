// Interactive queries on the real broker: two count_app instances, each with an HTTP server
// (http.listen) advertised as application.server, over an 8-partition topic. Once both run
// their share of the tasks, every key is asked at instance A: keys of A's tasks are answered
// by A, the others forwarded to B by task (murmur2 partition), and every value equals the
// count this test computed from its own input. A scan with scope=all returns every key once;
// an unknown store is 404.
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
#include "common/murmur2.h"
#include "http/client.h"
#include "runtime_test_util.h"
#include "test_env.h"

namespace brook::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kPartitions = 8;

class InteractiveQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app_id_ = UniqueTopic("iq-app");
    input_ = UniqueTopic("iq-in");
    output_ = UniqueTopic("iq-out");
    dir_ = std::filesystem::temp_directory_path() / UniqueTopic("iq");
    std::filesystem::create_directories(dir_);
    admin_ = client::Admin::Create(ClientConfig()).value();
    ASSERT_TRUE(admin_->CreateTopic({.name = input_, .partitions = kPartitions}).ok());
    ASSERT_TRUE(admin_->CreateTopic({.name = output_, .partitions = kPartitions}).ok());
  }
  void TearDown() override {
    if (HasFailure()) {
      for (const auto& e : std::filesystem::directory_iterator(dir_)) {
        if (e.path().extension() != ".log") continue;
        std::ifstream in(e.path());
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string text = ss.str();
        std::cerr << "---- " << e.path().filename() << " (last 4000 bytes)\n"
                  << (text.size() > 4000 ? text.substr(text.size() - 4000) : text) << "\n";
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Starts count_app `name` serving HTTP on 127.0.0.1:<port>; returns its endpoint.
  std::string Start(AppProcess& p, const std::string& name) {
    const int port = FreePort();
    EXPECT_GT(port, 0);
    std::string endpoint = "127.0.0.1:" + std::to_string(port);
    p.Start(BROOK_COUNT_APP,
            {"input=" + input_, "output=" + output_,
             "status=" + (dir_ / (name + ".status")).string(), "application.id=" + app_id_,
             "bootstrap.servers=" + Bootstrap(), "state.dir=" + (dir_ / ("state-" + name)).string(),
             "group.instance.id=" + name, "session.timeout.ms=6000", "heartbeat.interval.ms=500",
             "commit.interval.ms=500", "http.listen=" + endpoint, "application.server=" + endpoint},
            (dir_ / (name + ".log")).string());
    return endpoint;
  }

  void Produce(int n, int keys) {
    auto producer = client::Producer::Create(ClientConfig()).value();
    std::mt19937 rng(42);
    for (int i = 0; i < n; ++i) {
      const std::string key = "key-" + std::to_string(rng() % static_cast<unsigned>(keys));
      ASSERT_TRUE(producer->Send(input_, key, Int64Bytes(i)).ok());
      ++truth_[key];
      if (i % 1000 == 0) producer->Poll();
    }
    ASSERT_TRUE(producer->Flush().ok());
  }

  static std::optional<http::HttpClientResponse> Get(const std::string& endpoint,
                                                     const std::string& target) {
    Result<http::HttpClientResponse> r = http::HttpGet(endpoint, target, {}, milliseconds(5000));
    if (!r.ok()) return std::nullopt;
    return std::move(r).value();
  }

  // task -> the endpoint running it, from `endpoint`'s /stores (empty until all 8 run).
  static std::map<std::string, std::string> Owners(const std::string& endpoint) {
    std::map<std::string, std::string> owners;
    const auto r = Get(endpoint, "/stores/counts");
    if (!r || r->status != 200) return {};
    const json j = json::parse(r->body, nullptr, false);
    if (!j.is_object() || !j["tasks"].is_array()) return {};
    for (const json& t : j["tasks"]) {
      if (t["active"].is_string())
        owners[t["task"].get<std::string>()] = t["active"].get<std::string>();
    }
    return owners;
  }

  std::string app_id_;
  std::string input_;
  std::string output_;
  std::filesystem::path dir_;
  std::unique_ptr<client::Admin> admin_;
  std::map<std::string, int64_t> truth_;
};

TEST_F(InteractiveQueryTest, TwoInstancesAnswerEveryKeyLocallyOrByForwarding) {
  Produce(20000, 300);
  AppProcess a;
  AppProcess b;
  const std::string ea = Start(a, "iq-a");
  const std::string eb = Start(b, "iq-b");

  // Both running, 4 tasks each, everything counted (no kills: counts are exact), and A's
  // host map agreeing with B's.
  std::map<std::string, std::string> owners;
  const bool stable = WaitUntil(
      [&] {
        owners = Owners(ea);
        if (owners.size() != kPartitions || Owners(eb) != owners) return false;
        int on_a = 0;
        for (const auto& [t, e] : owners) on_a += e == ea ? 1 : 0;
        if (on_a != 4) return false;
        for (const char* name : {"iq-a", "iq-b"}) {
          const std::string s = ReadStatus((dir_ / (std::string(name) + ".status")).string());
          if (StatusState(s) != "RUNNING" || s.find("\"restoring\":true") != std::string::npos ||
              s.find("\"role\":\"warmup\"") != std::string::npos) {
            return false;
          }
        }
        const auto latest = LatestCounts(output_, false);
        for (const auto& [k, c] : truth_) {
          auto it = latest.find(k);
          if (it == latest.end() || it->second != c) return false;
        }
        return true;
      },
      seconds(180));
  ASSERT_TRUE(stable) << "owners: " << json(owners).dump()
                      << "\na: " << ReadStatus((dir_ / "iq-a.status").string())
                      << "\nb: " << ReadStatus((dir_ / "iq-b.status").string());

  // Every key, asked at A.
  int local = 0;
  int forwarded = 0;
  for (const auto& [key, count] : truth_) {
    SCOPED_TRACE(key);
    const auto r = Get(ea, "/stores/counts/keys/" + http::PercentEncode(key));
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->status, 200) << r->body;
    const json j = json::parse(r->body);
    EXPECT_EQ(j["key"], key);
    EXPECT_EQ(j["value"], count);
    const std::string task = "0_" + std::to_string(KafkaPartitionForKey(key, kPartitions));
    EXPECT_EQ(j["task"], task);
    const std::string owner = owners.at(task);
    EXPECT_EQ(r->Header("X-Brook-Answered-By").value_or(""), owner);
    (owner == ea ? local : forwarded)++;
  }
  EXPECT_GT(local, 0);
  EXPECT_GT(forwarded, 0);
  std::cerr << local << " keys answered by A, " << forwarded << " forwarded to B\n";

  // Every key once, from either side.
  for (const std::string& endpoint : {ea, eb}) {
    const auto all = Get(endpoint, "/stores/counts/all?scope=all&limit=100000");
    ASSERT_TRUE(all.has_value());
    ASSERT_EQ(all->status, 200) << all->body.substr(0, 2000);
    std::map<std::string, int64_t> seen;
    const json body = json::parse(all->body);
    for (const json& e : body["entries"]) {
      EXPECT_TRUE(seen.emplace(e["key"].get<std::string>(), e["value"].get<int64_t>()).second)
          << e.dump();
    }
    EXPECT_EQ(seen, truth_);
  }
  // A key range over both instances.
  const auto range = Get(ea, "/stores/counts/range?from=key-1&to=key-2&scope=all&limit=100000");
  ASSERT_TRUE(range.has_value());
  ASSERT_EQ(range->status, 200) << range->body.substr(0, 2000);
  std::set<std::string> in_range;
  const json range_body = json::parse(range->body);
  for (const json& e : range_body["entries"]) in_range.insert(e["key"].get<std::string>());
  std::set<std::string> expected;
  for (const auto& [k, c] : truth_) {
    if (k >= "key-1" && k <= "key-2") expected.insert(k);
  }
  EXPECT_EQ(in_range, expected);

  // Errors.
  const auto unknown = Get(ea, "/stores/nope/keys/key-1");
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(json::parse(unknown->body)["error"], "unknown store 'nope'");
  const auto absent = Get(ea, "/stores/counts/keys/never-produced");
  ASSERT_TRUE(absent.has_value());
  EXPECT_EQ(absent->status, 404);

  // Queries while both instances process more input: every answer is 200 (no rebalance),
  // and a key's count never goes back; afterwards every count is the new truth.
  const std::map<std::string, int64_t> before = truth_;
  std::atomic<bool> producing{true};
  std::thread load([&] {
    Produce(20000, 300);
    producing.store(false);
  });
  std::map<std::string, int64_t> last_seen = before;
  int answered = 0;
  int bad = 0;
  std::mt19937 rng(7);
  while (producing.load() || answered < 200) {
    auto it = before.begin();
    std::advance(it, static_cast<long>(rng() % before.size()));
    const auto r = Get(rng() % 2 == 0 ? ea : eb, "/stores/counts/keys/" + it->first);
    if (!r || r->status != 200) {
      ++bad;
      continue;
    }
    const int64_t v = json::parse(r->body)["value"].get<int64_t>();
    EXPECT_GE(v, last_seen[it->first]) << it->first;
    last_seen[it->first] = v;
    ++answered;
  }
  load.join();
  EXPECT_EQ(bad, 0);
  std::cerr << answered << " queries answered while processing\n";
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const auto& [key, count] : truth_) {
          const auto r = Get(ea, "/stores/counts/keys/" + key);
          if (!r || r->status != 200 || json::parse(r->body)["value"] != count) return false;
        }
        return true;
      },
      seconds(120)));

  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

}  // namespace
}  // namespace brook::testing
