// Integration, real broker: changelog topics (creation, configs, partition-count check),
// restore of RocksDB key-value and window stores with the ChangelogReader (full, delta after
// a checkpoint, reset after a bogus checkpoint), standbys following a changelog, and
// read_committed restore skipping an aborted transaction.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "client/admin.h"
#include "client/producer.h"
#include "runtime/changelog_reader.h"
#include "runtime/changelog_topics.h"
#include "runtime/state_manager.h"
#include "state/store_keys.h"
#include "state/test_util.h"
#include "test_env.h"

namespace brook::runtime {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Map = std::map<std::string, std::string>;
using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

// Sends a task's changelog writes to Kafka (what the runtime's collector does, minus
// transactions and error handlers).
class ProducerCollector final : public RecordCollector {
 public:
  explicit ProducerCollector(client::Producer& producer) : producer_(producer) {}
  Status Send(const OutgoingRecord& r) override {
    return producer_.Send(std::string(r.topic), r.key.value_or(std::string_view()),
                          r.value.value_or(std::string_view()), r.partition);
  }

 private:
  client::Producer& producer_;
};

class ChangelogRestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto admin = client::Admin::Create(testing::ClientConfig());
    ASSERT_TRUE(admin.ok()) << admin.status().ToString();
    admin_ = std::move(admin).value();
    auto producer = client::Producer::Create(testing::ClientConfig());
    ASSERT_TRUE(producer.ok()) << producer.status().ToString();
    producer_ = std::move(producer).value();
    app_ = testing::UniqueTopic("restore");
    auto dir = state::StateDirectory::Open(tmp_.path(), app_);
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_ = std::make_unique<state::StateDirectory>(std::move(dir).value());
  }

  std::unique_ptr<ChangelogReader> Reader(ChangelogReaderOptions options = {}) {
    options.progress_interval = 500ms;
    auto reader = ChangelogReader::Create(testing::ClientConfig(), options);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    return reader.ok() ? std::move(reader).value() : nullptr;
  }

  std::unique_ptr<TaskStateManager> Open(TaskId task, std::vector<StoreSpec> stores,
                                         RecordCollector* collector = nullptr) {
    auto m = TaskStateManager::Open(task, std::move(stores), app_, *dir_, {.collector = collector});
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : nullptr;
  }

  void Ensure(int32_t partitions, std::vector<StoreSpec> stores) {
    const Status s = EnsureChangelogTopics(
        *admin_, app_, {{.subtopology = 0, .partitions = partitions, .stores = std::move(stores)}});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Polls until `task` is restored (or fails the test after 60 s).
  static void RestoreUntilDone(ChangelogReader& reader, const TaskId& task) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = reader.Poll(200ms);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      for (const auto& [t, s] : r->failed) FAIL() << "task " << t << " failed: " << s.ToString();
      for (const TaskId& t : r->restored) {
        if (t == task) return;
      }
    }
    FAIL() << "task " << task << " not restored within 60 s";
  }

  // Polls until the position of `tp` reaches `end` (standbys).
  static void FollowUntil(ChangelogReader& reader, const TaskStateManager& m,
                          const state::ChangelogPartition& tp, int64_t end) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (*m.RestorePosition(tp) < end && std::chrono::steady_clock::now() < deadline) {
      auto r = reader.Poll(100ms);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_THAT(r->failed, IsEmpty());
      ASSERT_THAT(r->restored, IsEmpty());  // standbys are never "restored"
    }
    ASSERT_EQ(*m.RestorePosition(tp), end);
  }

  static Map Contents(state::KeyValueBytesStore& kv) {
    Map out;
    for (const auto& [k, v] : state::testing::Drain(kv.All())) out[k] = v;
    return out;
  }

  // Produces `count` writes (puts, every 7th a tombstone) of keys "k0".."k4999" to the
  // changelog partition, applying them to `expected` as a store would.
  void ProduceKv(const state::ChangelogPartition& tp, int count, Map& expected, uint32_t seed) {
    std::mt19937 rng(seed);
    for (int i = 0; i < count; ++i) {
      const std::string key = "k" + std::to_string(rng() % 5000);
      if (rng() % 7 == 0) {
        ASSERT_TRUE(producer_->Send(tp.topic, key, std::string_view(), tp.partition).ok());
        expected.erase(key);
      } else {
        const std::string value =
            "v" + std::to_string(seed) + "-" + std::to_string(i) + std::string(rng() % 40, 'x');
        ASSERT_TRUE(producer_->Send(tp.topic, key, value, tp.partition).ok());
        expected[key] = value;
      }
      if (i % 1000 == 0) producer_->Poll();
    }
    ASSERT_TRUE(producer_->Flush().ok());
  }

  state::testing::TempDir tmp_;
  std::unique_ptr<client::Admin> admin_;
  std::unique_ptr<client::Producer> producer_;
  std::string app_;
  std::unique_ptr<state::StateDirectory> dir_;
};

TEST_F(ChangelogRestoreTest, EnsureChangelogTopicsCreatesTopicsWithTheirConfigs) {
  StoreSpec tuned = stores::PersistentKeyValue("kv2");
  tuned.changelog_configs = {{"min.compaction.lag.ms", "100"}};
  StoreSpec unlogged{.name = "local", .logging = false};
  const std::vector<SubtopologyStores> subs = {
      {.subtopology = 0,
       .partitions = 3,
       .stores = {stores::PersistentKeyValue("kv"), stores::Window("win", 3'600'000),
                  stores::Session("ses", 7'200'000), stores::InMemoryKeyValue("mem"), unlogged}},
      {.subtopology = 1, .partitions = 2, .stores = {tuned}}};
  ASSERT_TRUE(EnsureChangelogTopics(*admin_, app_, subs).ok());

  struct Expect {
    std::string store;
    int32_t partitions;
    std::string policy;
    std::string retention;  // "" = not checked
  };
  for (const Expect& e : std::vector<Expect>{{"kv", 3, "compact", ""},
                                             {"win", 3, "compact,delete", "90000000"},
                                             {"ses", 3, "compact,delete", "93600000"},
                                             {"mem", 3, "compact", ""},
                                             {"kv2", 2, "compact", ""}}) {
    const std::string topic = app_ + "-" + e.store + "-changelog";
    auto info = admin_->DescribeTopic(topic);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->partitions, e.partitions) << topic;
    auto configs = admin_->DescribeTopicConfigs(topic);
    ASSERT_TRUE(configs.ok()) << configs.status().ToString();
    EXPECT_EQ((*configs)["cleanup.policy"], e.policy) << topic;
    if (!e.retention.empty()) {
      EXPECT_EQ((*configs)["retention.ms"], e.retention) << topic;
    }
  }
  auto tuned_configs = admin_->DescribeTopicConfigs(app_ + "-kv2-changelog");
  ASSERT_TRUE(tuned_configs.ok());
  EXPECT_EQ((*tuned_configs)["min.compaction.lag.ms"], "100");
  EXPECT_EQ(admin_->DescribeTopic(app_ + "-local-changelog").status().code(),
            StatusCode::kNotFound);

  // Idempotent.
  ASSERT_TRUE(EnsureChangelogTopics(*admin_, app_, subs).ok());

  // A partition-count mismatch is a startup error naming the topic and both counts.
  std::vector<SubtopologyStores> grown = subs;
  grown[0].partitions = 5;
  const Status mismatch = EnsureChangelogTopics(*admin_, app_, grown);
  EXPECT_EQ(mismatch.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(mismatch.message(), HasSubstr("'" + app_ + "-kv-changelog'"));
  EXPECT_THAT(mismatch.message(), HasSubstr("has 3 partitions"));
  EXPECT_THAT(mismatch.message(), HasSubstr("has 5 input partitions"));
}

TEST_F(ChangelogRestoreTest, TwoInstancesEnsuringTogetherBothSucceed) {
  std::vector<SubtopologyStores> subs = {{.subtopology = 0, .partitions = 4, .stores = {}}};
  for (int i = 0; i < 6; ++i)
    subs[0].stores.push_back(stores::PersistentKeyValue("s" + std::to_string(i)));
  auto other = client::Admin::Create(testing::ClientConfig());
  ASSERT_TRUE(other.ok());
  Status a;
  Status b;
  std::thread t([&] { a = EnsureChangelogTopics(**other, app_, subs); });
  b = EnsureChangelogTopics(*admin_, app_, subs);
  t.join();
  EXPECT_TRUE(a.ok()) << a.ToString();
  EXPECT_TRUE(b.ok()) << b.ToString();
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(admin_->DescribeTopic(app_ + "-s" + std::to_string(i) + "-changelog")->partitions, 4);
  }
}

TEST_F(ChangelogRestoreTest, KeyValueStoreRestoresFullyThenOnlyTheDelta) {
  const std::vector<StoreSpec> specs = {stores::PersistentKeyValue("kv")};
  Ensure(2, specs);
  const TaskId task{0, 1};
  const state::ChangelogPartition tp{app_ + "-kv-changelog", 1};
  Map expected;
  ProduceKv(tp, 50'000, expected, 1);
  Map other;  // the other task's partition must not leak in
  ProduceKv({tp.topic, 0}, 500, other, 2);

  auto reader = Reader();
  ASSERT_NE(reader, nullptr);
  {
    auto m = Open(task, specs);
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(reader->Register(task, m.get(), RestoreMode::kRestoreActive).ok());
    EXPECT_EQ(reader->assigned_partitions(), 1U);
    RestoreUntilDone(*reader, task);
    EXPECT_FALSE(reader->IsRegistered(task));
    EXPECT_EQ(reader->assigned_partitions(), 0U);
    EXPECT_EQ(m->records_restored(), 50'000U);
    EXPECT_EQ(reader->total_records_restored(), 50'000U);
    EXPECT_EQ(*m->RestorePosition(tp), 50'000);
    EXPECT_EQ(Contents(*m->KeyValueStore("kv")), expected);
    // Restore finished with a checkpoint at the end offset.
    EXPECT_EQ(*state::ReadCheckpoint(m->task_dir() / state::kCheckpointFileName),
              (state::CheckpointOffsets{{tp, 50'000}}));
    ASSERT_TRUE(m->Close(false).ok());
  }

  // Restart with the checkpoint: only what was produced since is restored.
  ProduceKv(tp, 1234, expected, 3);
  {
    auto m = Open(task, specs);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(*m->RestorePosition(tp), 50'000);
    ASSERT_TRUE(reader->Register(task, m.get(), RestoreMode::kRestoreActive).ok());
    RestoreUntilDone(*reader, task);
    EXPECT_EQ(m->records_restored(), 1234U);
    EXPECT_EQ(Contents(*m->KeyValueStore("kv")), expected);
    ASSERT_TRUE(m->Close(false).ok());
  }

  // Nothing new: done without consuming anything.
  {
    auto m = Open(task, specs);
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(reader->Register(task, m.get(), RestoreMode::kRestoreActive).ok());
    EXPECT_EQ(reader->assigned_partitions(), 0U);
    auto r = reader->Poll(1s);
    ASSERT_TRUE(r.ok());
    EXPECT_THAT(r->restored, ::testing::ElementsAre(task));
    EXPECT_EQ(m->records_restored(), 0U);
    ASSERT_TRUE(m->Close(false).ok());
  }

  // A checkpoint beyond the changelog's end (e.g. the topic was recreated): the store is
  // reset and restored from scratch, never served stale.
  ASSERT_TRUE(
      state::WriteCheckpoint(dir_->TaskDir(task) / state::kCheckpointFileName, {{tp, 1'000'000}})
          .ok());
  {
    auto m = Open(task, specs);
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(reader->Register(task, m.get(), RestoreMode::kRestoreActive).ok());
    EXPECT_EQ(*m->RestorePosition(tp), 0);
    RestoreUntilDone(*reader, task);
    EXPECT_EQ(m->records_restored(), 51'234U);
    EXPECT_EQ(Contents(*m->KeyValueStore("kv")), expected);
  }
}

TEST_F(ChangelogRestoreTest, UnregisterMidRestoreThenResumeFromThePosition) {
  const std::vector<StoreSpec> specs = {stores::PersistentKeyValue("kv")};
  Ensure(1, specs);
  const TaskId task{0, 0};
  const state::ChangelogPartition tp{app_ + "-kv-changelog", 0};
  Map expected;
  ProduceKv(tp, 30'000, expected, 7);
  auto reader = Reader({.max_poll_records = 5000});
  ASSERT_NE(reader, nullptr);
  auto m = Open(task, specs);
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(reader->Register(task, m.get(), RestoreMode::kRestoreActive).ok());
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (m->records_restored() == 0 && std::chrono::steady_clock::now() < deadline) {
    auto r = reader->Poll(100ms);
    ASSERT_TRUE(r.ok());
    ASSERT_THAT(r->restored, IsEmpty());
  }
  ASSERT_TRUE(reader->Unregister(task).ok());
  const int64_t paused_at = *m->RestorePosition(tp);
  EXPECT_GT(paused_at, 0);
  EXPECT_LT(paused_at, 30'000);
  EXPECT_TRUE(reader->empty());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reader->Poll(100ms).ok());
  EXPECT_EQ(*m->RestorePosition(tp), paused_at);  // nothing applied after Unregister

  ASSERT_TRUE(reader->Register(task, m.get(), RestoreMode::kRestoreActive).ok());
  RestoreUntilDone(*reader, task);
  EXPECT_EQ(m->records_restored(), 30'000U);  // every record exactly once
  EXPECT_EQ(Contents(*m->KeyValueStore("kv")), expected);
}

// Deletes the records of `tp` below `before` (Kafka's DeleteRecords: moves the log start).
void DeleteRecordsBefore(client::Admin& admin, const state::ChangelogPartition& tp,
                         int64_t before) {
  rd_kafka_t* rk = admin.handle().get();
  rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(offsets, tp.topic.c_str(), tp.partition)->offset = before;
  rd_kafka_DeleteRecords_t* del = rd_kafka_DeleteRecords_new(offsets);
  rd_kafka_topic_partition_list_destroy(offsets);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteRecords(rk, &del, 1, nullptr, q);
  rd_kafka_DeleteRecords_destroy(del);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 30000);
  ASSERT_NE(ev, nullptr);
  EXPECT_EQ(rd_kafka_event_error(ev), RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_event_error_string(ev);
  const rd_kafka_topic_partition_list_t* result =
      rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
  ASSERT_NE(result, nullptr);
  ASSERT_EQ(result->cnt, 1);
  EXPECT_EQ(result->elems[0].err, RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_event_destroy(ev);
  rd_kafka_queue_destroy(q);
}

TEST_F(ChangelogRestoreTest, PositionBelowTheLogStartResetsTheStore) {
  // DeleteRecords needs the delete policy (the broker refuses it on compact-only topics).
  StoreSpec spec = stores::PersistentKeyValue("kv");
  spec.changelog_configs = {{"cleanup.policy", "compact,delete"}};
  const std::vector<StoreSpec> specs = {spec};
  Ensure(1, specs);
  const TaskId task{0, 0};
  const state::ChangelogPartition tp{app_ + "-kv-changelog", 0};
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(producer_->Send(tp.topic, "k" + std::to_string(i), "v", tp.partition).ok());
  }
  ASSERT_TRUE(producer_->Flush().ok());
  auto reader = Reader();
  ASSERT_NE(reader, nullptr);
  {
    auto m = Open(task, specs);
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(reader->Register(task, m.get(), RestoreMode::kRestoreActive).ok());
    RestoreUntilDone(*reader, task);
    ASSERT_TRUE(m->Close(false).ok());
  }
  // While the task is away, the log moves on and its beginning is deleted past the
  // checkpoint (100): the local state cannot be brought up to date any more.
  for (int i = 100; i < 200; ++i) {
    ASSERT_TRUE(producer_->Send(tp.topic, "k" + std::to_string(i), "v", tp.partition).ok());
  }
  ASSERT_TRUE(producer_->Flush().ok());
  DeleteRecordsBefore(*admin_, tp, 150);

  auto m = Open(task, specs);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(*m->RestorePosition(tp), 100);
  ASSERT_TRUE(reader->Register(task, m.get(), RestoreMode::kRestoreActive).ok());
  RestoreUntilDone(*reader, task);
  EXPECT_EQ(m->records_restored(), 50U);
  Map expected;
  for (int i = 150; i < 200; ++i) expected["k" + std::to_string(i)] = "v";
  EXPECT_EQ(Contents(*m->KeyValueStore("kv")), expected);
  EXPECT_EQ(*m->RestorePosition(tp), 200);
}

TEST_F(ChangelogRestoreTest, EmptyChangelogFinishesWithoutConsuming) {
  const std::vector<StoreSpec> specs = {stores::PersistentKeyValue("kv"),
                                        stores::InMemoryKeyValue("mem")};
  Ensure(1, specs);
  auto reader = Reader();
  ASSERT_NE(reader, nullptr);
  auto m = Open({0, 0}, specs);
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(reader->Register({0, 0}, m.get(), RestoreMode::kRestoreActive).ok());
  EXPECT_EQ(reader->assigned_partitions(), 0U);
  auto r = reader->Poll(5s);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->restored, ::testing::ElementsAre(TaskId{0, 0}));
  EXPECT_TRUE(reader->empty());
}

TEST_F(ChangelogRestoreTest, StandbyFollowsTheChangelog) {
  const std::vector<StoreSpec> specs = {stores::InMemoryKeyValue("kv")};
  Ensure(1, specs);
  const TaskId task{0, 0};
  const state::ChangelogPartition tp{app_ + "-kv-changelog", 0};
  Map expected;
  ProduceKv(tp, 1000, expected, 4);

  auto reader = Reader({.standby_end_refresh = 0ms, .standby_checkpoint_interval = 0ms});
  ASSERT_NE(reader, nullptr);
  auto m = Open(task, specs);
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(reader->Register(task, m.get(), RestoreMode::kStandby).ok());
  FollowUntil(*reader, *m, tp, 1000);
  EXPECT_EQ(Contents(*m->KeyValueStore("kv")), expected);

  ProduceKv(tp, 500, expected, 5);
  FollowUntil(*reader, *m, tp, 1500);
  EXPECT_EQ(Contents(*m->KeyValueStore("kv")), expected);
  EXPECT_EQ(m->records_restored(), 1500U);
  ASSERT_TRUE(reader->Poll(100ms).ok());
  auto progress = reader->Progress(task);
  ASSERT_TRUE(progress.has_value());
  EXPECT_EQ(progress->mode, RestoreMode::kStandby);
  EXPECT_EQ(progress->lag, 0);
  EXPECT_EQ(progress->records_restored, 1500U);
  EXPECT_TRUE(reader->IsRegistered(task));

  ASSERT_TRUE(reader->Unregister(task).ok());
  EXPECT_FALSE(reader->Progress(task).has_value());
  EXPECT_EQ(reader->assigned_partitions(), 0U);
  ProduceKv(tp, 10, expected, 6);
  ASSERT_TRUE(reader->Poll(300ms).ok());  // nothing assigned: no effect on the task
  EXPECT_EQ(*m->RestorePosition(tp), 1500);
}

TEST_F(ChangelogRestoreTest, WindowStoreRestoresFromItsChangelog) {
  const std::vector<StoreSpec> specs = {stores::Window("win", 3'600'000)};
  Ensure(2, specs);
  const TaskId task{0, 0};
  const int64_t base = 1'700'000'000'000;
  std::map<std::pair<std::string, int64_t>, std::string> expected;
  {
    // An active task writes through change logging into the real changelog.
    ProducerCollector collector(*producer_);
    auto writer = Open(task, specs, &collector);
    ASSERT_NE(writer, nullptr);
    state::WindowBytesStore* win = writer->WindowStore("win");
    for (int i = 0; i < 2000; ++i) {
      const std::string key = "user-" + std::to_string(i % 50);
      const int64_t start = base + int64_t{i % 30} * 60'000;
      if (i % 11 == 0) {
        ASSERT_TRUE(win->Delete(key, start).ok());
        expected.erase({key, start});
      } else {
        const std::string value = "count-" + std::to_string(i);
        ASSERT_TRUE(win->Put(key, value, start).ok());
        expected[{key, start}] = value;
      }
    }
    ASSERT_TRUE(producer_->Flush().ok());
    ASSERT_TRUE(writer->send_status().ok());
    ASSERT_TRUE(writer->Wipe().ok());  // lose the local state
  }

  auto reader = Reader();
  ASSERT_NE(reader, nullptr);
  auto m = Open(task, specs);
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(reader->Register(task, m.get(), RestoreMode::kRestoreActive).ok());
  RestoreUntilDone(*reader, task);
  EXPECT_EQ(m->records_restored(), 2000U);
  std::map<std::pair<std::string, int64_t>, std::string> restored;
  auto it = m->WindowStore("win")->FetchAll(0, base + 3'600'000);
  ASSERT_TRUE(it.ok()) << it.status().ToString();
  for (; (*it)->Valid(); (*it)->Next()) {
    restored[{std::string((*it)->key()), (*it)->window_start_ms()}] = std::string((*it)->value());
  }
  ASSERT_TRUE((*it)->status().ok());
  EXPECT_EQ(restored, expected);
  EXPECT_EQ(m->WindowStore("win")->observed_stream_time_ms(), base + int64_t{29} * 60'000);
}

// A transactional producer on raw librdkafka (brook's Producer has no transactions).
class TxnProducer {
 public:
  explicit TxnProducer(const std::string& transactional_id) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    std::array<char, 512> err{};
    Set(conf, "bootstrap.servers", testing::Bootstrap(), err);
    Set(conf, "transactional.id", transactional_id, err);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size());
    EXPECT_NE(rk_, nullptr) << err.data();
    Check(rd_kafka_init_transactions(rk_, 30000));
  }
  ~TxnProducer() {
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }
  TxnProducer(const TxnProducer&) = delete;
  TxnProducer& operator=(const TxnProducer&) = delete;

  void Transaction(const state::ChangelogPartition& tp,
                   const std::vector<std::pair<std::string, std::string>>& records, bool commit) {
    Check(rd_kafka_begin_transaction(rk_));
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, tp.topic.c_str(), nullptr);
    for (const auto& [k, v] : records) {
      EXPECT_EQ(
          rd_kafka_produce(rkt, tp.partition, RD_KAFKA_MSG_F_COPY, const_cast<char*>(v.data()),
                           v.size(), k.data(), k.size(), nullptr),
          0);
    }
    rd_kafka_topic_destroy(rkt);
    // Deliver first: the aborted records must really be in the log.
    EXPECT_EQ(rd_kafka_flush(rk_, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
    Check(commit ? rd_kafka_commit_transaction(rk_, 30000)
                 : rd_kafka_abort_transaction(rk_, 30000));
  }

 private:
  static void Set(rd_kafka_conf_t* conf, const char* k, const std::string& v,
                  std::array<char, 512>& err) {
    ASSERT_EQ(rd_kafka_conf_set(conf, k, v.c_str(), err.data(), err.size()), RD_KAFKA_CONF_OK)
        << err.data();
  }
  static void Check(rd_kafka_error_t* error) {
    if (error == nullptr) return;
    ADD_FAILURE() << rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
  }
  rd_kafka_t* rk_ = nullptr;
};

TEST_F(ChangelogRestoreTest, ReadCommittedRestoreSkipsAbortedWritesAndFinishes) {
  const std::vector<StoreSpec> specs = {stores::PersistentKeyValue("kv")};
  Ensure(1, specs);
  const TaskId task{0, 0};
  const state::ChangelogPartition tp{app_ + "-kv-changelog", 0};
  {
    TxnProducer txn(app_ + "-txn");
    txn.Transaction(tp, {{"a", "1"}, {"b", "1"}}, /*commit=*/true);
    txn.Transaction(tp, {{"a", "aborted"}, {"c", "aborted"}}, /*commit=*/false);
    txn.Transaction(tp, {{"b", "2"}}, /*commit=*/true);
    // The log ends with a commit marker: the last record's offset + 1 is not the end.
  }
  auto reader = Reader({.read_committed = true});
  ASSERT_NE(reader, nullptr);
  auto m = Open(task, specs);
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(reader->Register(task, m.get(), RestoreMode::kRestoreActive).ok());
  RestoreUntilDone(*reader, task);
  EXPECT_EQ(Contents(*m->KeyValueStore("kv")), (Map{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(m->records_restored(), 3U);
  // 2 records + marker, 2 aborted records + marker, 1 record + marker = 8 offsets.
  EXPECT_EQ(*m->RestorePosition(tp), 8);
}

}  // namespace
}  // namespace brook::runtime
