// InteractiveQueries over two in-process "instances" (fake backends with real stores, each
// behind its own HttpServer, with a host map pointing at each other): key routing by
// murmur2 partition, local answers and forwarding to the owner, 404/400/503 errors naming
// the store and key, range and full scans locally and with scope=all, window stores, and
// the programmatic Locate/GetLocal/Hosts.
#include "runtime/interactive_queries.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "brook/state/query_codec.h"
#include "common/murmur2.h"
#include "http/client.h"
#include "state/in_memory_key_value_store.h"
#include "state/rocksdb_window_store.h"

namespace brook::runtime {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using ::testing::HasSubstr;

constexpr int32_t kCountPartitions = 4;  // sub-topology 0 reads "in"
constexpr int32_t kClickPartitions = 2;  // sub-topology 1 reads "clicks"

// The stores of one task.
class FakeTaskState final : public TaskStateAccess {
 public:
  state::KeyValueBytesStore* KeyValueStore(std::string_view name) override {
    auto it = kv.find(std::string(name));
    return it == kv.end() ? nullptr : it->second.get();
  }
  state::WindowBytesStore* WindowStore(std::string_view name) override {
    return window && window->name() == name ? window.get() : nullptr;
  }
  state::SessionBytesStore* SessionStore(std::string_view /*name*/) override { return nullptr; }

  std::map<std::string, std::unique_ptr<state::KeyValueBytesStore>> kv;
  std::unique_ptr<state::WindowBytesStore> window;
  bool restoring = false;
};

class FakeInstance final : public QueryBackend {
 public:
  QueryRouting Routing() const override {
    std::lock_guard lock(mu);
    return routing;
  }
  Status WithActiveTask(const TaskId& task,
                        const std::function<Status(TaskStateAccess&)>& fn) override {
    std::lock_guard lock(mu);
    auto it = tasks.find(task);
    if (it == tasks.end()) return Status::NotFound("task " + task.ToString() + " is not here");
    if (it->second->restoring) {
      return Status::Unavailable("task " + task.ToString() + " is restoring its state");
    }
    return fn(*it->second);
  }
  Result<int32_t> TopicPartitions(const std::string& topic) override {
    ++partition_lookups;
    if (topic == "in") return kCountPartitions;
    if (topic == "clicks") return kClickPartitions;
    return Status::NotFound("no topic " + topic);
  }

  mutable std::mutex mu;
  QueryRouting routing;
  std::map<TaskId, std::unique_ptr<FakeTaskState>> tasks;
  std::atomic<int> partition_lookups{0};
};

std::vector<QueryStore> Stores() {
  return {
      QueryStore{.name = "counts",
                 .subtopology = 0,
                 .source_topics = {"in"},
                 .codec = state::MakeQueryCodec<std::string, int64_t>()},
      QueryStore{.name = "by-number",
                 .subtopology = 0,
                 .source_topics = {"in"},
                 .codec = state::MakeQueryCodec<int64_t, std::string>()},
      QueryStore{.name = "hidden", .subtopology = 0, .source_topics = {"in"}},
      QueryStore{.name = "clicks",
                 .kind = StoreKind::kWindow,
                 .subtopology = 1,
                 .source_topics = {"clicks"},
                 .codec = state::MakeQueryCodec<std::string, int64_t>()},
  };
}

std::string Key(int i) {
  return "key-" + std::to_string(i);
}

TaskId CountTask(const std::string& key) {
  return TaskId{0, KafkaPartitionForKey(key, kCountPartitions)};
}

class InteractiveQueriesTest : public ::testing::Test {
 protected:
  struct Node {
    FakeInstance backend;
    std::unique_ptr<InteractiveQueries> queries;
    std::unique_ptr<http::HttpServer> server;
    std::string endpoint;
  };

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("brook-iq-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    for (Node* n : {&a_, &b_}) {
      n->queries = std::make_unique<InteractiveQueries>(
          Stores(), n->backend, InteractiveQueryOptions{.forward_timeout = milliseconds(2000)});
      n->server = http::HttpServer::Create({.listen = "127.0.0.1:0", .threads = 4}).value();
      ASSERT_TRUE(n->queries->RegisterRoutes(*n->server).ok());
      ASSERT_TRUE(n->server->Start().ok());
      n->endpoint = "127.0.0.1:" + std::to_string(n->server->port());
    }
    // A runs 0_0, 0_1 and 1_0; B runs 0_2, 0_3 and 1_1 (with a standby of 0_0).
    Assign(a_, {{0, 0}, {0, 1}, {1, 0}});
    Assign(b_, {{0, 2}, {0, 3}, {1, 1}});
    group::HostMap map;
    map[a_.endpoint] = group::HostTasks{.active = {{0, 0}, {0, 1}, {1, 0}}};
    map[b_.endpoint] = group::HostTasks{.active = {{0, 2}, {0, 3}, {1, 1}}, .standby = {{0, 0}}};
    for (Node* n : {&a_, &b_}) {
      std::lock_guard lock(n->backend.mu);
      n->backend.routing = QueryRouting{.self = n->endpoint,
                                        .assigned = true,
                                        .generation = 3,
                                        .state = "RUNNING",
                                        .host_map = map,
                                        .local_active = {}};
      for (const auto& [id, t] : n->backend.tasks) n->backend.routing.local_active.insert(id);
    }
    // key-i counts i; by-number maps i -> "n<i>"; click windows of key-i at 1000 and 2000.
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = Key(i);
      truth_[key] = i;
      ASSERT_TRUE(
          StoreOf(CountTask(key)).kv.at("counts")->Put(key, state::Int64Serde().Serialize(i)).ok());
      const std::string number = state::Int64Serde().Serialize(i);
      ASSERT_TRUE(StoreOf(TaskId{0, KafkaPartitionForKey(number, kCountPartitions)})
                      .kv.at("by-number")
                      ->Put(number, "n" + std::to_string(i))
                      .ok());
      FakeTaskState& clicks = StoreOf(TaskId{1, KafkaPartitionForKey(key, kClickPartitions)});
      for (const int64_t start : {1000, 2000}) {
        ASSERT_TRUE(
            clicks.window->Put(key, state::Int64Serde().Serialize(start / 1000 + i), start).ok());
      }
    }
  }

  void TearDown() override {
    for (Node* n : {&a_, &b_}) n->server->Stop();
    a_.backend.tasks.clear();
    b_.backend.tasks.clear();
    std::filesystem::remove_all(dir_);
  }

  void Assign(Node& n, const std::set<TaskId>& tasks) {
    for (const TaskId& t : tasks) {
      auto st = std::make_unique<FakeTaskState>();
      if (t.subtopology == 0) {
        st->kv["counts"] = std::make_unique<state::InMemoryKeyValueStore>("counts");
        st->kv["by-number"] = std::make_unique<state::InMemoryKeyValueStore>("by-number");
        st->kv["hidden"] = std::make_unique<state::InMemoryKeyValueStore>("hidden");
      } else {
        st->window = state::RocksDbWindowStore::Open("clicks", dir_ / t.ToString(), {}).value();
      }
      n.backend.tasks[t] = std::move(st);
    }
  }

  FakeTaskState& StoreOf(const TaskId& t) {
    auto it = a_.backend.tasks.find(t);
    if (it != a_.backend.tasks.end()) return *it->second;
    return *b_.backend.tasks.at(t);
  }

  bool OnA(const TaskId& t) const { return a_.backend.tasks.contains(t); }

  static http::HttpClientResponse Get(
      const Node& n, const std::string& target,
      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    Result<http::HttpClientResponse> r =
        http::HttpGet(n.endpoint, target, headers, milliseconds(5000));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : http::HttpClientResponse{};
  }
  static json Body(const http::HttpClientResponse& r) {
    return json::parse(r.body, nullptr, false);
  }

  static constexpr int kKeys = 40;
  std::filesystem::path dir_;
  Node a_;
  Node b_;
  std::map<std::string, int64_t> truth_;
};

TEST_F(InteractiveQueriesTest, EveryKeyIsAnsweredLocallyOrByItsOwner) {
  int local = 0;
  int forwarded = 0;
  for (const auto& [key, count] : truth_) {
    SCOPED_TRACE(key);
    const http::HttpClientResponse r = Get(a_, "/stores/counts/keys/" + http::PercentEncode(key));
    ASSERT_EQ(r.status, 200) << r.body;
    const json j = Body(r);
    EXPECT_EQ(j["key"], key);
    EXPECT_EQ(j["value"], count);
    EXPECT_EQ(j["task"], CountTask(key).ToString());
    const std::string expected = OnA(CountTask(key)) ? a_.endpoint : b_.endpoint;
    EXPECT_EQ(r.Header(std::string(kAnsweredByHeader)).value_or(""), expected);
    (expected == a_.endpoint ? local : forwarded)++;
  }
  EXPECT_GT(local, 0);
  EXPECT_GT(forwarded, 0);
}

TEST_F(InteractiveQueriesTest, ErrorsNameTheStoreAndKey) {
  // An absent key: 404 from whichever instance owns it.
  for (int i = 0; i < 8; ++i) {
    const std::string key = "absent-" + std::to_string(i);
    const http::HttpClientResponse r = Get(a_, "/stores/counts/keys/" + key);
    EXPECT_EQ(r.status, 404) << key;
    EXPECT_EQ(Body(r)["error"], "key '" + key + "' not found in store 'counts'");
    EXPECT_EQ(Body(r)["store"], "counts");
  }
  const http::HttpClientResponse unknown = Get(a_, "/stores/nope/keys/x");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Body(unknown)["error"], "unknown store 'nope'");
  const http::HttpClientResponse hidden = Get(a_, "/stores/hidden/keys/x");
  EXPECT_EQ(hidden.status, 400);
  EXPECT_THAT(Body(hidden)["error"].get<std::string>(), HasSubstr("'hidden' is not queryable"));
  const http::HttpClientResponse bad = Get(a_, "/stores/by-number/keys/seven");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(Body(bad)["error"].get<std::string>(),
              HasSubstr("store 'by-number': key 'seven' is not a valid int64"));
  EXPECT_EQ(Body(bad)["key"], "seven");
  EXPECT_EQ(Get(a_, "/stores/nope/all").status, 404);
  EXPECT_EQ(Get(a_, "/stores/counts/all?limit=0").status, 400);
  EXPECT_EQ(Get(a_, "/stores/counts/all?scope=everywhere").status, 400);
  EXPECT_EQ(Get(a_, "/stores/clicks/range").status, 400);  // window store: no key range
}

TEST_F(InteractiveQueriesTest, IntegerKeysRouteByTheirSerializedBytes) {
  for (int i = 0; i < kKeys; i += 7) {
    const http::HttpClientResponse r = Get(b_, "/stores/by-number/keys/" + std::to_string(i));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Body(r)["key"], i);
    EXPECT_EQ(Body(r)["value"], "n" + std::to_string(i));
  }
}

TEST_F(InteractiveQueriesTest, RangeAndAllAnswerLocallyOrForEveryInstance) {
  // Local scope: A's tasks only, sorted by key bytes.
  const json local = Body(Get(a_, "/stores/counts/all"));
  EXPECT_EQ(local["scope"], "local");
  std::set<std::string> a_keys;
  std::string previous;
  for (const json& e : local["entries"]) {
    const std::string k = e["key"].get<std::string>();
    EXPECT_TRUE(OnA(CountTask(k))) << k;
    EXPECT_EQ(e["value"], truth_.at(k));
    EXPECT_LT(previous, k);
    previous = k;
    a_keys.insert(k);
  }
  EXPECT_EQ(local["tasks"], json::array({"0_0", "0_1"}));
  EXPECT_FALSE(a_keys.empty());

  // scope=all from either instance: every key exactly once.
  for (const Node* n : {&a_, &b_}) {
    const http::HttpClientResponse r = Get(*n, "/stores/counts/all?scope=all");
    ASSERT_EQ(r.status, 200) << r.body;
    const json all = Body(r);
    std::map<std::string, int64_t> seen;
    for (const json& e : all["entries"]) {
      EXPECT_TRUE(seen.emplace(e["key"].get<std::string>(), e["value"].get<int64_t>()).second)
          << e.dump();
    }
    EXPECT_EQ(seen, truth_);
    EXPECT_EQ(all["count"], kKeys);
    EXPECT_EQ(all["truncated"], false);
    EXPECT_EQ(all["hosts"].size(), 2U);
  }

  // Range bounds are inclusive key text; limit caps the answer.
  const json range = Body(Get(a_, "/stores/counts/range?from=key-1&to=key-19&scope=all"));
  std::set<std::string> in_range;
  for (const json& e : range["entries"]) in_range.insert(e["key"].get<std::string>());
  std::set<std::string> expected;
  for (const auto& [k, c] : truth_) {
    if (k >= "key-1" && k <= "key-19") expected.insert(k);
  }
  EXPECT_EQ(in_range, expected);
  const json limited = Body(Get(a_, "/stores/counts/all?scope=all&limit=5"));
  EXPECT_EQ(limited["entries"].size(), 5U);
  EXPECT_EQ(limited["truncated"], true);
}

TEST_F(InteractiveQueriesTest, WindowStoresReturnTheWindowsOfAKey) {
  const std::string key = Key(3);
  const http::HttpClientResponse r = Get(a_, "/stores/clicks/keys/" + key + "?from=0&to=1500");
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = Body(r);
  ASSERT_EQ(j["windows"].size(), 1U);
  EXPECT_EQ(j["windows"][0]["start_ms"], 1000);
  EXPECT_EQ(j["windows"][0]["value"], 4);
  EXPECT_EQ(Body(Get(b_, "/stores/clicks/keys/" + key))["windows"].size(), 2U);
  EXPECT_EQ(Get(a_, "/stores/clicks/keys/" + key + "?from=soon").status, 400);
  const json all = Body(Get(a_, "/stores/clicks/all?scope=all&from=2000"));
  EXPECT_EQ(all["entries"].size(), static_cast<size_t>(kKeys));
  for (const json& e : all["entries"]) EXPECT_EQ(e["start_ms"], 2000);
}

TEST_F(InteractiveQueriesTest, UnknownOwnersRestoringTasksAndDeadPeersAre503) {
  const std::string b_key = [&] {
    for (const auto& [k, c] : truth_) {
      if (!OnA(CountTask(k))) return k;
    }
    return std::string();
  }();
  ASSERT_FALSE(b_key.empty());
  const std::string target = "/stores/counts/keys/" + b_key;

  // A forwarded request is answered locally or refused, never forwarded again.
  const http::HttpClientResponse hop =
      Get(a_, target, {{std::string(kForwardedHeader), "someone"}});
  EXPECT_EQ(hop.status, 503);
  EXPECT_THAT(Body(hop)["error"].get<std::string>(), HasSubstr("is not active on instance"));
  EXPECT_EQ(hop.Header("retry-after").value_or(""), "1");

  // B restoring the key's task: B says so, A passes it on.
  b_.backend.tasks.at(CountTask(b_key))->restoring = true;
  const http::HttpClientResponse restoring = Get(a_, target);
  EXPECT_EQ(restoring.status, 503);
  EXPECT_THAT(Body(restoring)["error"].get<std::string>(), HasSubstr("restoring"));
  EXPECT_EQ(restoring.Header(std::string(kAnsweredByHeader)).value_or(""), b_.endpoint);
  // ... and a scan over every instance is incomplete.
  const http::HttpClientResponse partial = Get(a_, "/stores/counts/all?scope=all");
  EXPECT_EQ(partial.status, 503);
  EXPECT_THAT(Body(partial)["error"].get<std::string>(), HasSubstr("incomplete answer"));
  b_.backend.tasks.at(CountTask(b_key))->restoring = false;

  // The host map does not name B (a rebalance moves its tasks).
  {
    std::lock_guard lock(a_.backend.mu);
    a_.backend.routing.host_map.erase(b_.endpoint);
  }
  const http::HttpClientResponse unknown = Get(a_, target);
  EXPECT_EQ(unknown.status, 503);
  EXPECT_THAT(Body(unknown)["error"].get<std::string>(),
              HasSubstr("no instance is known to run task " + CountTask(b_key).ToString()));
  const http::HttpClientResponse missing = Get(a_, "/stores/counts/all?scope=all");
  EXPECT_EQ(missing.status, 503);
  EXPECT_THAT(Body(missing)["error"].get<std::string>(), HasSubstr("0_2 0_3"));
  {
    std::lock_guard lock(a_.backend.mu);
    a_.backend.routing.assigned = false;
    a_.backend.routing.state = "REBALANCING";
  }
  EXPECT_THAT(Body(Get(a_, target))["error"].get<std::string>(),
              HasSubstr("has no assignment yet (state REBALANCING)"));
  {
    std::lock_guard lock(a_.backend.mu);
    a_.backend.routing.assigned = true;
    a_.backend.routing.host_map[b_.endpoint] = {.active = {{0, 2}, {0, 3}, {1, 1}}};
  }

  // B is gone: forwarding fails with 503 naming the owner.
  b_.server->Stop();
  const http::HttpClientResponse dead = Get(a_, target);
  EXPECT_EQ(dead.status, 503);
  EXPECT_THAT(Body(dead)["error"].get<std::string>(), HasSubstr("forwarding to " + b_.endpoint));
  EXPECT_EQ(Body(dead)["owner"], b_.endpoint);
}

TEST_F(InteractiveQueriesTest, StoresListTasksAndHosts) {
  const json j = Body(Get(a_, "/stores"));
  EXPECT_EQ(j["instance"], a_.endpoint);
  EXPECT_EQ(j["generation"], 3);
  ASSERT_EQ(j["stores"].size(), 4U);
  const json& counts = j["stores"][0];
  EXPECT_EQ(counts["name"], "counts");
  EXPECT_EQ(counts["kind"], "key-value");
  EXPECT_EQ(counts["queryable"], true);
  EXPECT_EQ(counts["partitions"], kCountPartitions);
  ASSERT_EQ(counts["tasks"].size(), 4U);
  EXPECT_EQ(counts["tasks"][0]["task"], "0_0");
  EXPECT_EQ(counts["tasks"][0]["active"], a_.endpoint);
  EXPECT_EQ(counts["tasks"][0]["standby"], json::array({b_.endpoint}));
  EXPECT_EQ(counts["tasks"][0]["local"], true);
  EXPECT_EQ(counts["tasks"][2]["active"], b_.endpoint);
  EXPECT_EQ(j["stores"][2]["queryable"], false);
  EXPECT_EQ(Body(Get(b_, "/stores/clicks"))["kind"], "window");
  EXPECT_EQ(Get(b_, "/stores/none").status, 404);
  // Partition counts are looked up once per generation.
  const int lookups = a_.backend.partition_lookups.load();
  (void)Get(a_, "/stores");
  EXPECT_EQ(a_.backend.partition_lookups.load(), lookups);
}

TEST_F(InteractiveQueriesTest, ProgrammaticLookups) {
  for (const auto& [key, count] : truth_) {
    const Result<KeyLocation> loc = a_.queries->Locate("counts", key);
    ASSERT_TRUE(loc.ok()) << loc.status().ToString();
    EXPECT_EQ(loc->task, CountTask(key));
    EXPECT_EQ(loc->partitions, kCountPartitions);
    EXPECT_EQ(loc->local, OnA(loc->task));
    EXPECT_EQ(loc->active, OnA(loc->task) ? a_.endpoint : b_.endpoint);
    const Result<std::optional<std::string>> v = a_.queries->GetLocal("counts", key);
    if (OnA(loc->task)) {
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      EXPECT_EQ(*v, state::Int64Serde().Serialize(count));
    } else {
      EXPECT_EQ(v.status().code(), StatusCode::kUnavailable);
      EXPECT_THAT(v.status().message(), HasSubstr("it runs on " + b_.endpoint));
    }
  }
  const bool standby_of_key0 = CountTask("key-0") == TaskId{0, 0};
  EXPECT_EQ(a_.queries->Locate("counts", "key-0")->standby.size(), standby_of_key0 ? 1U : 0U);
  EXPECT_EQ(a_.queries->GetLocal("nope", "k").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(a_.queries->GetLocal("clicks", "k").status().code(), StatusCode::kInvalidArgument);
  const auto absent = a_.queries->GetLocal("counts", "absent-1");
  if (absent.ok()) {
    EXPECT_FALSE(absent->has_value());
  }

  const std::vector<InteractiveQueries::HostInfo> hosts = a_.queries->Hosts();
  ASSERT_EQ(hosts.size(), 2U);
  for (const auto& h : hosts) {
    EXPECT_EQ(h.local, h.endpoint == a_.endpoint);
    EXPECT_EQ(h.stores, (std::set<std::string>{"by-number", "clicks", "counts", "hidden"}));
    EXPECT_EQ(h.active.size(), 3U);
  }
}

TEST(KeyRouting, TheTaskIsKafkasDefaultPartitionOfTheKeyBytes) {
  // Kafka's Java client: Utils.toPositive(Utils.murmur2(bytes)) % partitions.
  EXPECT_EQ(KafkaPartitionForKey("foobar", 8), 6);  // murmur2("foobar") = -790332482
  EXPECT_EQ(KafkaPartitionForKey("a", 8), KafkaPartitionForKey("a", 8));
  for (int i = 0; i < 100; ++i) {
    const int32_t p = KafkaPartitionForKey(Key(i), 8);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, 8);
  }
}

}  // namespace
}  // namespace brook::runtime
