// The stream runtime on the real broker, through count_app processes: kill -9 and restart
// under at_least_once and exactly_once_v2, delta restore and a corrupt checkpoint, two
// instances rebalancing cooperatively under load, and poison records under each handler.
// Ground truth is computed here from the input this test produced.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/admin.h"
#include "client/producer.h"
#include "runtime_test_util.h"
#include "test_env.h"

namespace brook::testing {
namespace {

using std::chrono::seconds;

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app_id_ = UniqueTopic("app");
    input_ = UniqueTopic("in");
    output_ = UniqueTopic("out");
    dir_ = std::filesystem::temp_directory_path() / UniqueTopic("rt");
    std::filesystem::create_directories(dir_);
    admin_ = client::Admin::Create(ClientConfig()).value();
    ASSERT_TRUE(admin_->CreateTopic({.name = input_, .partitions = kPartitions}).ok());
    ASSERT_TRUE(admin_->CreateTopic({.name = output_, .partitions = kPartitions}).ok());
    producer_ = client::Producer::Create(ClientConfig()).value();
  }
  void TearDown() override {
    if (HasFailure()) {
      for (const auto& e : std::filesystem::directory_iterator(dir_)) {
        if (e.path().extension() == ".log") {
          std::ifstream in(e.path());
          std::stringstream ss;
          ss << in.rdbuf();
          const std::string text = ss.str();
          std::cerr << "---- " << e.path().filename() << " (last 4000 bytes)\n"
                    << (text.size() > 4000 ? text.substr(text.size() - 4000) : text) << "\n";
        }
      }
    }
    if (HasFailure() && std::getenv("BROOK_KEEP_TEST_DIR") != nullptr) {
      std::cerr << "kept " << dir_ << "\n";
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string StatusFile(const std::string& name) const {
    return (dir_ / (name + ".status")).string();
  }

  std::vector<std::string> Args(const std::string& name,
                                std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {
        "input=" + input_,
        "output=" + output_,
        "status=" + StatusFile(name),
        "application.id=" + app_id_,
        "bootstrap.servers=" + Bootstrap(),
        "state.dir=" + (dir_ / ("state-" + name)).string(),
        "group.instance.id=" + name,
        "session.timeout.ms=6000",
        "heartbeat.interval.ms=500",
        "commit.interval.ms=500",
    };
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  void Start(AppProcess& p, const std::string& name, std::vector<std::string> extra = {}) {
    std::filesystem::remove(StatusFile(name));
    p.Start(BROOK_COUNT_APP, Args(name, std::move(extra)), (dir_ / (name + ".log")).string());
  }

  // n records over `keys` keys (murmur2 partitioning by key).
  void Produce(int n, int keys) {
    for (int i = 0; i < n; ++i) {
      const std::string key = "key-" + std::to_string(rng_() % static_cast<unsigned>(keys));
      ASSERT_TRUE(producer_->Send(input_, key, Int64Bytes(seq_++)).ok());
      ++truth_[key];
      if (i % 1000 == 0) producer_->Poll();
    }
    ASSERT_TRUE(producer_->Flush().ok());
  }

  std::optional<int64_t> Field(const std::string& name, const std::string& field) const {
    return StatusField(ReadStatus(StatusFile(name)), field);
  }

  // Waits until every key's latest output count is >= the truth; returns the latest counts.
  std::map<std::string, int64_t> WaitForCounts(bool read_committed, seconds timeout) {
    std::map<std::string, int64_t> latest;
    WaitUntil(
        [&] {
          latest = LatestCounts(output_, read_committed);
          for (const auto& [k, c] : truth_) {
            auto it = latest.find(k);
            if (it == latest.end() || it->second < c) return false;
          }
          return true;
        },
        timeout);
    return latest;
  }

  static constexpr int kPartitions = 8;
  std::string app_id_, input_, output_;
  std::filesystem::path dir_;
  std::unique_ptr<client::Admin> admin_;
  std::unique_ptr<client::Producer> producer_;
  std::map<std::string, int64_t> truth_;
  std::mt19937 rng_{42};
  int64_t seq_ = 0;
};

void KillMidwayAndRestart(RuntimeTest* t, AppProcess& app,
                          const std::function<std::optional<int64_t>()>& processed,
                          int64_t midway) {
  ASSERT_TRUE(WaitUntil([&] { return processed().value_or(0) >= midway; }, seconds(120)))
      << "the app never processed " << midway << " records";
  app.Kill();
  (void)t;
}

TEST_F(RuntimeTest, KillMinus9AtLeastOnceLosesNothing) {
  Produce(200000, 2000);
  AppProcess app;
  // Two stream threads: tasks are spread over both, commits cover both.
  Start(app, "count-0", {"num.stream.threads=2"});
  KillMidwayAndRestart(
      this, app, [&] { return Field("count-0", "processed"); }, 60000);
  const int64_t before_kill = Field("count-0", "processed").value_or(0);
  EXPECT_LT(before_kill, 200000) << "killed too late to be mid-way";
  Start(app, "count-0");
  const auto latest = WaitForCounts(false, seconds(180));
  ASSERT_EQ(latest.size(), truth_.size()) << "keys missing from the output";
  int over = 0;
  for (const auto& [k, c] : truth_) {
    ASSERT_GE(latest.at(k), c) << "key " << k << " undercounted";
    if (latest.at(k) > c) ++over;
  }
  std::cerr << "keys counted more than once after kill -9: " << over << " of " << truth_.size()
            << "\n";
  EXPECT_EQ(app.Terminate(), 0);
}

TEST_F(RuntimeTest, KillMinus9ExactlyOnceCountsExactly) {
  Produce(200000, 2000);
  AppProcess app;
  // Two stream threads share the instance's one transaction.
  const std::vector<std::string> eos = {"processing.guarantee=exactly_once_v2",
                                        "num.stream.threads=2"};
  Start(app, "count-0", eos);
  KillMidwayAndRestart(
      this, app, [&] { return Field("count-0", "processed"); }, 60000);
  EXPECT_LT(Field("count-0", "processed").value_or(0), 200000) << "killed too late";
  Start(app, "count-0", eos);
  const auto latest = WaitForCounts(true, seconds(240));
  ASSERT_EQ(latest.size(), truth_.size()) << "keys missing from the output";
  for (const auto& [k, c] : truth_) ASSERT_EQ(latest.at(k), c) << "key " << k;
  // Every committed output record is one input record counted once: no duplicates at all.
  EXPECT_EQ(static_cast<int64_t>(ReadTopic(output_, true).size()), seq_);
  EXPECT_EQ(app.Terminate(), 0);
}

TEST_F(RuntimeTest, RestartRestoresOnlyTheDeltaAndACorruptCheckpointRestoresAll) {
  Produce(50000, 5000);
  AppProcess app;
  // Commits (and checkpoints) every 10 s: records processed right after one are in the
  // changelog but not in the checkpoint when the process dies.
  Start(app, "count-0", {"commit.interval.ms=10000"});
  WaitForCounts(false, seconds(120));
  const int64_t commits = Field("count-0", "commits").value_or(0);
  ASSERT_TRUE(
      WaitUntil([&] { return Field("count-0", "commits").value_or(0) > commits; }, seconds(30)));
  Produce(2000, 5000);
  WaitForCounts(false, seconds(60));
  app.Kill();
  const std::string changelog = app_id_ + "-counts-changelog";
  const int64_t changelog_records = TopicEndSum(changelog);
  ASSERT_GE(changelog_records, 52000);
  Produce(1000, 5000);
  Start(app, "count-0");
  auto latest = WaitForCounts(false, seconds(120));
  for (const auto& [k, c] : truth_) ASSERT_GE(latest[k], c) << k;
  ASSERT_TRUE(WaitUntil([&] { return StatusState(ReadStatus(StatusFile("count-0"))) == "RUNNING"; },
                        seconds(30)));
  const int64_t delta = Field("count-0", "restored").value_or(-1);
  std::cerr << "restored after kill -9: " << delta << " of " << changelog_records
            << " changelog records\n";
  EXPECT_GT(delta, 0) << "the records after the last checkpoint must be restored";
  EXPECT_LT(delta, changelog_records / 10) << "a restart with local state restored too much";
  ASSERT_EQ(app.Terminate(), 0);

  // Corrupt every checkpoint: the next start must restore everything and still be right.
  int corrupted = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "state-count-0")) {
    if (e.path().filename() == ".checkpoint") {
      std::ofstream(e.path(), std::ios::trunc) << "1\n3\ngarbage";
      ++corrupted;
    }
  }
  ASSERT_GT(corrupted, 0);
  const int64_t full = TopicEndSum(changelog);
  Produce(1000, 5000);
  Start(app, "count-0");
  latest = WaitForCounts(false, seconds(120));
  for (const auto& [k, c] : truth_) ASSERT_GE(latest[k], c) << k;
  const int64_t restored = Field("count-0", "restored").value_or(-1);
  std::cerr << "restored after corrupting the checkpoints: " << restored << " of " << full << "\n";
  EXPECT_GE(restored, full) << "a corrupt checkpoint must trigger a full restore";
  EXPECT_EQ(app.Terminate(), 0);
}

TEST_F(RuntimeTest, SecondInstanceTakesTasksWhileKeptTasksKeepProcessing) {
  Produce(20000, 1000);
  AppProcess a;
  Start(a, "inst-a");
  WaitForCounts(false, seconds(120));
  // Steady load while the second instance joins.
  std::atomic<bool> stop{false};
  std::atomic<int> produced{0};
  std::map<std::string, int64_t> extra;
  std::thread load([&] {
    auto p = client::Producer::Create(ClientConfig()).value();
    std::mt19937 r(7);
    int64_t seq = 1000000;
    while (!stop.load()) {
      for (int i = 0; i < 100; ++i) {
        const std::string key = "key-" + std::to_string(r() % 1000U);
        if (p->Send(input_, key, Int64Bytes(seq++)).ok()) ++extra[key];
      }
      produced += 100;
      p->Poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // ~2000 records/s
    }
    (void)p->Flush();
  });
  struct JoinLoad {
    std::atomic<bool>& stop;
    std::thread& load;
    ~JoinLoad() {
      stop.store(true);
      if (load.joinable()) load.join();
    }
  } join_load{stop, load};
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const std::string before = ReadStatus(StatusFile("inst-a"));
  AppProcess b;
  Start(b, "inst-b");
  // Balanced: each instance runs 4 active tasks.
  auto actives = [&](const std::string& name) {
    const std::string s = ReadStatus(StatusFile(name));
    int n = 0;
    for (size_t pos = 0;
         (pos = s.find("\"role\":\"active\",\"restoring\":false", pos)) != std::string::npos; ++pos)
      ++n;
    return n;
  };
  ASSERT_TRUE(
      WaitUntil([&] { return actives("inst-a") == 4 && actives("inst-b") == 4; }, seconds(90)))
      << "a: " << ReadStatus(StatusFile("inst-a")) << "\nb: " << ReadStatus(StatusFile("inst-b"));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  stop.store(true);
  load.join();
  for (const auto& [k, c] : extra) truth_[k] += c;
  const auto latest = WaitForCounts(false, seconds(120));
  for (const auto& [k, c] : truth_) ASSERT_EQ(latest.at(k), c) << "key " << k;

  // The tasks instance a kept never stalled: their records never waited long, and they
  // processed records throughout.
  const std::string after = ReadStatus(StatusFile("inst-a"));
  const std::regex task_re(
      "\\{\"id\":\"([0-9_]+)\",\"role\":\"active\",\"restoring\":false,\"processed\":([0-9]+),"
      "\"restored\":[0-9]+,\"lag\":-?[0-9]+,\"max_stall_ms\":([0-9]+)");
  int kept = 0;
  for (auto it = std::sregex_iterator(after.begin(), after.end(), task_re);
       it != std::sregex_iterator(); ++it) {
    const std::string id = (*it)[1].str();
    if (before.find("\"id\":\"" + id + "\"") == std::string::npos) continue;
    ++kept;
    std::cerr << "kept task " << id << ": max stall " << (*it)[3].str() << " ms\n";
    EXPECT_LT(std::stoll((*it)[3].str()), 3000) << "kept task " << id << " stalled";
  }
  EXPECT_EQ(kept, 4);
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

TEST_F(RuntimeTest, ZombieWithTheSameInstanceIdIsFencedAndNothingIsWrittenTwice) {
  Produce(100000, 1000);
  const std::vector<std::string> eos = {"processing.guarantee=exactly_once_v2"};
  AppProcess zombie;
  Start(zombie, "count-0", eos);
  ASSERT_TRUE(
      WaitUntil([&] { return Field("count-0", "processed").value_or(0) >= 20000; }, seconds(120)));
  // A second process claims the same identity (as a rescheduled pod would while the old one
  // still runs): the group fences the old member and the new producer fences the old one.
  AppProcess fresh;
  std::vector<std::string> args = eos;
  args.push_back("state.dir=" + (dir_ / "state-count-0-new").string());
  args.push_back("status=" + StatusFile("count-0-new"));
  fresh.Start(BROOK_COUNT_APP, Args("count-0", args), (dir_ / "count-0-new.log").string());
  EXPECT_EQ(zombie.Wait(seconds(120)), 3) << "the fenced instance must stop with an error";
  const std::string zs = ReadStatus(StatusFile("count-0"));
  EXPECT_NE(zs.find("ENCED"), std::string::npos) << zs;
  const auto latest = WaitForCounts(true, seconds(180));
  for (const auto& [k, c] : truth_) ASSERT_EQ(latest.at(k), c) << "key " << k;
  EXPECT_EQ(static_cast<int64_t>(ReadTopic(output_, true).size()), seq_);
  EXPECT_EQ(fresh.Terminate(), 0);
}

TEST_F(RuntimeTest, StandbyReplicaTakesOverWithoutRestoringTheChangelog) {
  Produce(50000, 5000);
  const std::vector<std::string> standby = {"num.standby.replicas=1"};
  AppProcess a;
  AppProcess b;
  Start(a, "inst-a", standby);
  Start(b, "inst-b", standby);
  auto roles = [&](const std::string& name, const std::string& role) {
    const std::string s = ReadStatus(StatusFile(name));
    int n = 0;
    for (size_t pos = 0; (pos = s.find("\"role\":\"" + role + "\"", pos)) != std::string::npos;
         ++pos)
      ++n;
    return n;
  };
  ASSERT_TRUE(WaitUntil(
      [&] {
        return roles("inst-a", "active") == 4 && roles("inst-b", "active") == 4 &&
               roles("inst-a", "standby") == 4 && roles("inst-b", "standby") == 4;
      },
      seconds(120)))
      << ReadStatus(StatusFile("inst-a")) << "\n"
      << ReadStatus(StatusFile("inst-b"));
  WaitForCounts(false, seconds(120));
  const int64_t changelog = TopicEndSum(app_id_ + "-counts-changelog");
  // The standbys follow the changelog: wait until b's standbys are caught up.
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string s = ReadStatus(StatusFile("inst-b"));
        return s.find("\"role\":\"standby\"") != std::string::npos &&
               std::regex_search(s, std::regex("\"role\":\"standby\",\"restoring\":false,"
                                               "\"processed\":0,\"restored\":[0-9]+,\"lag\":0")) &&
               !std::regex_search(s,
                                  std::regex("\"role\":\"standby\",\"restoring\":false,"
                                             "\"processed\":0,\"restored\":[0-9]+,\"lag\":[1-9]"));
      },
      seconds(60)))
      << ReadStatus(StatusFile("inst-b"));
  const int64_t restored_before = Field("inst-b", "restored").value_or(0);
  a.Kill();
  // After a's session times out, b runs all 8 tasks, 4 of them promoted from standbys.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return roles("inst-b", "active") == 8 &&
               ReadStatus(StatusFile("inst-b")).find("\"restoring\":true") == std::string::npos;
      },
      seconds(60)))
      << ReadStatus(StatusFile("inst-b"));
  Produce(1000, 5000);
  const auto latest = WaitForCounts(false, seconds(60));
  for (const auto& [k, c] : truth_) ASSERT_GE(latest.at(k), c) << k;
  const int64_t takeover = Field("inst-b", "restored").value_or(0) - restored_before;
  std::cerr << "records restored on takeover: " << takeover << " (changelog " << changelog << ")\n";
  EXPECT_LT(takeover, changelog / 10) << "promoted standbys must not restore the changelog again";
  EXPECT_EQ(b.Terminate(), 0);
}

class PoisonTest : public RuntimeTest {
 protected:
  // 100 good records, one 3-byte value (not an int64) in partition 0, 100 good records.
  int64_t ProducePoison() {
    Produce(100, 50);
    EXPECT_TRUE(producer_->Send(input_, "poison-key", "bad", 0).ok());
    EXPECT_TRUE(producer_->Flush().ok());
    int64_t offset = -1;
    for (const ConsumedMessage& m : ReadTopic(input_, false)) {
      if (m.key == "poison-key") offset = m.offset;
    }
    Produce(100, 50);
    return offset;
  }
};

TEST_F(PoisonTest, FailStopsWithAnErrorNamingTheRecord) {
  const int64_t offset = ProducePoison();
  AppProcess app;
  Start(app, "count-0", {"deserialization.exception.handler=fail"});
  EXPECT_EQ(app.Wait(seconds(60)), 3);
  const std::string status = ReadStatus(StatusFile("count-0"));
  EXPECT_NE(status.find(input_), std::string::npos) << status;
  EXPECT_NE(status.find("partition 0"), std::string::npos) << status;
  EXPECT_NE(status.find("offset " + std::to_string(offset)), std::string::npos) << status;
}

TEST_F(PoisonTest, LogAndContinueSkipsAndCounts) {
  ProducePoison();
  AppProcess app;
  Start(app, "count-0", {"deserialization.exception.handler=log-and-continue"});
  const auto latest = WaitForCounts(false, seconds(60));
  for (const auto& [k, c] : truth_) EXPECT_EQ(latest.at(k), c) << k;
  EXPECT_EQ(latest.count("poison-key"), 0U);
  ASSERT_TRUE(WaitUntil([&] { return Field("count-0", "skipped").value_or(0) == 1; }, seconds(10)));
  EXPECT_EQ(app.Terminate(), 0);
}

TEST_F(PoisonTest, DeadLetterKeepsTheRecordWithErrorHeaders) {
  const int64_t offset = ProducePoison();
  AppProcess app;
  const std::string dlq = app_id_ + "-dlq";
  Start(app, "count-0", {"deserialization.exception.handler=dead-letter"});
  const auto latest = WaitForCounts(false, seconds(60));
  for (const auto& [k, c] : truth_) EXPECT_EQ(latest.at(k), c) << k;
  std::vector<ConsumedMessage> letters;
  ASSERT_TRUE(WaitUntil([&] { return !(letters = ReadTopic(dlq, false)).empty(); }, seconds(30)));
  ASSERT_EQ(letters.size(), 1U);
  const ConsumedMessage& m = letters[0];
  EXPECT_EQ(m.key, "poison-key");
  EXPECT_EQ(m.value, "bad");
  EXPECT_EQ(m.headers.at("brook.error.topic"), input_);
  EXPECT_EQ(m.headers.at("brook.error.partition"), "0");
  EXPECT_EQ(m.headers.at("brook.error.offset"), std::to_string(offset));
  EXPECT_EQ(m.headers.at("brook.error.stage"), "deserialization");
  EXPECT_FALSE(m.headers.at("brook.error").empty());
  EXPECT_EQ(app.Terminate(), 0);
}

// count_app mode=rekey: "key-<n>" -> "g<n % 101>" through the internal topic
// "<app>-count-repartition", counted in a second sub-topology (see count_app.cc).
std::string RekeyedKey(const std::string& key) {
  return "g" + std::to_string(std::stoll(key.substr(key.rfind('-') + 1)) % 101);
}

TEST_F(RuntimeTest, RepartitionThroughAnInternalTopicCountsExactly) {
  Produce(30000, 1000);
  // Records with a null key are dropped by the re-keying processor, and counted.
  constexpr int kNullKeys = 7;
  for (int i = 0; i < kNullKeys; ++i) {
    ASSERT_TRUE(producer_->Send(input_, "", Int64Bytes(seq_++), client::kAnyPartition, true).ok());
  }
  ASSERT_TRUE(producer_->Flush().ok());
  std::map<std::string, int64_t> truth;
  for (const auto& [k, c] : truth_) truth[RekeyedKey(k)] += c;

  AppProcess app;
  Start(app, "rekey-0", {"mode=rekey", "num.stream.threads=2"});
  std::map<std::string, int64_t> latest;
  const bool done = WaitUntil(
      [&] {
        latest = LatestCounts(output_, false);
        return latest == truth;
      },
      seconds(180));
  ASSERT_TRUE(done) << "counts differ from the truth: " << latest.size() << " of " << truth.size()
                    << " keys";

  // The repartition topic was created with the input's 8 partitions, and the changelog of
  // the counting sub-topology (which reads only the repartition topic) too.
  const std::string repartition = app_id_ + "-count-repartition";
  const Result<client::TopicInfo> info = admin_->DescribeTopic(repartition);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->partitions, kPartitions);
  const auto configs = admin_->DescribeTopicConfigs(repartition);
  ASSERT_TRUE(configs.ok()) << configs.status().ToString();
  EXPECT_EQ(configs->at("cleanup.policy"), "delete");
  EXPECT_EQ(configs->at("segment.bytes"), "52428800");
  EXPECT_EQ(admin_->DescribeTopic(app_id_ + "-counts-changelog").value().partitions, kPartitions);
  // Every non-null-key record went through the repartition topic once, re-keyed.
  const std::vector<ConsumedMessage> through = ReadTopic(repartition, false);
  EXPECT_EQ(static_cast<int64_t>(through.size()), seq_ - kNullKeys);
  for (const ConsumedMessage& m : through) ASSERT_TRUE(m.key && m.key->starts_with("g"));
  ASSERT_TRUE(WaitUntil([&] { return Field("rekey-0", "dropped") == kNullKeys; }, seconds(10)))
      << ReadStatus(StatusFile("rekey-0"));
  EXPECT_EQ(app.Terminate(), 0);

  // A restart finds the internal topic in place and goes on counting.
  Produce(1000, 1000);
  truth.clear();
  for (const auto& [k, c] : truth_) truth[RekeyedKey(k)] += c;
  Start(app, "rekey-0", {"mode=rekey"});
  ASSERT_TRUE(WaitUntil(
      [&] {
        latest = LatestCounts(output_, false);
        return latest == truth;
      },
      seconds(120)));
  EXPECT_EQ(app.Terminate(), 0);
}

TEST_F(RuntimeTest, AnInternalTopicWithTheWrongPartitionCountStopsTheStart) {
  const std::string repartition = app_id_ + "-count-repartition";
  ASSERT_TRUE(admin_->CreateTopic({.name = repartition, .partitions = 3}).ok());
  Produce(10, 10);
  AppProcess app;
  Start(app, "rekey-0", {"mode=rekey"});
  EXPECT_EQ(app.Wait(seconds(60)), 1);
  std::ifstream in(dir_ / "rekey-0.log");
  std::stringstream log;
  log << in.rdbuf();
  EXPECT_NE(
      log.str().find("internal topic '" + repartition + "' has 3 partitions, but 8 are required"),
      std::string::npos)
      << log.str();
}

}  // namespace
}  // namespace brook::testing
