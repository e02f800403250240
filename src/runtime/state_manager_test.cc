// TaskStateManager: store stacks for every kind and backend, change logging through the
// collector, checkpoints, resets, restore routing, locks and the state-directory scan.
#include "runtime/state_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/log.h"
#include "state/store_keys.h"
#include "state/test_util.h"

namespace brook::runtime {
namespace {

using state::ChangelogPartition;
using state::ChangelogRecord;
using state::testing::Drain;
using state::testing::KvPairs;
using state::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::string_view kApp = "app";

struct Sent {
  std::string topic;
  int32_t partition = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp_ms = 0;
  bool operator==(const Sent&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Sent& s) {
  return os << s.topic << "/" << s.partition << " " << (s.key ? *s.key : "<null>") << "="
            << (s.value ? *s.value : "<tombstone>") << " @" << s.timestamp_ms;
}

class FakeCollector final : public RecordCollector {
 public:
  Status Send(const OutgoingRecord& r) override {
    if (!fail_with.ok()) return fail_with;
    sent.push_back({std::string(r.topic), r.partition,
                    r.key ? std::optional<std::string>(*r.key) : std::nullopt,
                    r.value ? std::optional<std::string>(*r.value) : std::nullopt, r.timestamp_ms});
    return Status::Ok();
  }
  std::vector<Sent> sent;
  Status fail_with;
};

// Captures what brook logs while alive.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    Logger().sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = Logger().sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  [[nodiscard]] std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

ChangelogPartition Changelog(std::string_view store, int32_t partition) {
  return {std::string(kApp) + "-" + std::string(store) + "-changelog", partition};
}

class StateManagerTest : public ::testing::Test {
 protected:
  StateManagerTest() : dir_(state::StateDirectory::Open(tmp_.path(), std::string(kApp)).value()) {}

  Result<std::unique_ptr<TaskStateManager>> OpenTask(TaskId task, std::vector<StoreSpec> stores,
                                                     RecordCollector* collector) {
    return TaskStateManager::Open(task, std::move(stores), std::string(kApp), dir_,
                                  {.collector = collector, .timestamps = [this] { return now_; }});
  }
  std::unique_ptr<TaskStateManager> MustOpen(TaskId task, std::vector<StoreSpec> stores,
                                             RecordCollector* collector) {
    auto m = OpenTask(task, std::move(stores), collector);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : nullptr;
  }
  [[nodiscard]] std::filesystem::path CheckpointFile(TaskId task) const {
    return dir_.TaskDir(task) / state::kCheckpointFileName;
  }

  TempDir tmp_;
  state::StateDirectory dir_;
  FakeCollector collector_;
  int64_t now_ = 1000;
};

// ---- key-value stores, both backends ----

class KeyValueBackendTest : public StateManagerTest,
                            public ::testing::WithParamInterface<StoreBackend> {
 protected:
  [[nodiscard]] StoreSpec Spec() const {
    StoreSpec s{.name = "kv", .backend = GetParam()};
    return s;
  }
};

TEST_P(KeyValueBackendTest, WritesAreLoggedToTheTaskPartitionOfTheChangelog) {
  auto m = MustOpen({0, 3}, {Spec()}, &collector_);
  ASSERT_NE(m, nullptr);
  state::KeyValueBytesStore* kv = m->KeyValueStore("kv");
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(m->WindowStore("kv"), nullptr);
  EXPECT_EQ(m->KeyValueStore("other"), nullptr);
  ASSERT_TRUE(kv->Put("a", "1").ok());
  now_ = 2000;
  ASSERT_TRUE(kv->Put("b", std::string("\0x", 2)).ok());
  ASSERT_TRUE(kv->Delete("a").ok());
  EXPECT_THAT(collector_.sent,
              ElementsAre(Sent{"app-kv-changelog", 3, "a", "1", 1000},
                          Sent{"app-kv-changelog", 3, "b", std::string("\0x", 2), 2000},
                          Sent{"app-kv-changelog", 3, "a", std::nullopt, 2000}));
  EXPECT_THAT(Drain(kv->All()),
              ElementsAre(std::pair<std::string, std::string>("b", std::string("\0x", 2))));
  EXPECT_EQ(m->Metrics("kv")->puts.load(), 2U);
  EXPECT_EQ(m->Metrics("kv")->deletes.load(), 1U);
  EXPECT_THAT(m->ChangelogPartitions(), ElementsAre(Changelog("kv", 3)));
  EXPECT_TRUE(m->active());
  EXPECT_TRUE(m->send_status().ok());
}

TEST_P(KeyValueBackendTest, CheckpointIsWrittenForPersistentStoresOnly) {
  const TaskId task{1, 2};
  {
    auto m = MustOpen(task, {Spec()}, &collector_);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(*m->RestorePosition(Changelog("kv", 2)), 0);
    ASSERT_TRUE(m->KeyValueStore("kv")->Put("k", "v").ok());
    ASSERT_TRUE(m->Checkpoint({{Changelog("kv", 2), 42}}).ok());
    EXPECT_EQ(m->OffsetSum(), 42);
    ASSERT_TRUE(m->Close(/*write_checkpoint=*/false).ok());
  }
  auto read = state::ReadCheckpoint(CheckpointFile(task));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  auto m = MustOpen(task, {Spec()}, &collector_);
  ASSERT_NE(m, nullptr);
  if (GetParam() == StoreBackend::kRocksDb) {
    EXPECT_EQ(*read, (state::CheckpointOffsets{{Changelog("kv", 2), 42}}));
    EXPECT_EQ(*m->RestorePosition(Changelog("kv", 2)), 42);
    EXPECT_THAT(Drain(m->KeyValueStore("kv")->All()),
                ElementsAre(std::pair<std::string, std::string>("k", "v")));
    EXPECT_EQ(m->OffsetSum(), 42);
  } else {
    // In-memory: not checkpointed, always a full restore.
    EXPECT_THAT(*read, IsEmpty());
    EXPECT_EQ(*m->RestorePosition(Changelog("kv", 2)), 0);
    EXPECT_THAT(Drain(m->KeyValueStore("kv")->All()), IsEmpty());
    EXPECT_EQ(m->OffsetSum(), 0);
  }
  EXPECT_THAT(m->reset_at_open(), IsEmpty());
}

TEST_P(KeyValueBackendTest, RestoreAppliesRecordsAndTracksThePosition) {
  auto m = MustOpen({0, 0}, {Spec()}, nullptr);
  ASSERT_NE(m, nullptr);
  const ChangelogPartition tp = Changelog("kv", 0);
  const std::vector<ChangelogRecord> batch = {
      {"a", "1", 0}, {"b", "2", 1}, {"a", std::nullopt, 5}, {"c", "3", 7}};
  ASSERT_TRUE(m->ApplyRestoreBatch(tp, batch).ok());
  EXPECT_EQ(*m->RestorePosition(tp), 8);
  EXPECT_EQ(m->records_restored(), 4U);
  EXPECT_EQ(m->records_restored(tp), 4U);
  EXPECT_EQ(m->Metrics("kv")->restore_records.load(), 4U);
  EXPECT_THAT(Drain(m->KeyValueStore("kv")->All()),
              ElementsAre(std::pair<std::string, std::string>("b", "2"),
                          std::pair<std::string, std::string>("c", "3")));
  ASSERT_TRUE(m->AdvancePosition(tp, 10).ok());
  EXPECT_EQ(*m->RestorePosition(tp), 10);
  ASSERT_TRUE(m->AdvancePosition(tp, 9).ok());  // never backwards
  EXPECT_EQ(*m->RestorePosition(tp), 10);
  EXPECT_EQ(m->OffsetSum(), 10);
  // Restore writes are never logged, even with a collector.
  EXPECT_THAT(collector_.sent, IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Backends, KeyValueBackendTest,
                         ::testing::Values(StoreBackend::kRocksDb, StoreBackend::kInMemory),
                         [](const auto& param_info) {
                           return param_info.param == StoreBackend::kRocksDb ? "RocksDb"
                                                                             : "InMemory";
                         });

// ---- window and session stores ----

TEST_F(StateManagerTest, WindowAndSessionWritesAreLoggedWithTheirChangelogKeys) {
  auto m = MustOpen({2, 1}, {stores::Window("win", 3'600'000), stores::Session("ses", 3'600'000)},
                    &collector_);
  ASSERT_NE(m, nullptr);
  state::WindowBytesStore* win = m->WindowStore("win");
  state::SessionBytesStore* ses = m->SessionStore("ses");
  ASSERT_NE(win, nullptr);
  ASSERT_NE(ses, nullptr);
  EXPECT_EQ(m->KeyValueStore("win"), nullptr);
  ASSERT_TRUE(win->Put("k", "v", 5000).ok());
  ASSERT_TRUE(win->Delete("k", 5000).ok());
  ASSERT_TRUE(ses->Put("u", {.start_ms = 10, .end_ms = 20}, "s").ok());
  ASSERT_TRUE(ses->Remove("u", {.start_ms = 10, .end_ms = 20}).ok());
  const std::string wk = state::EncodeWindowKey("k", 5000);
  const std::string sk = state::EncodeSessionKey("u", {.start_ms = 10, .end_ms = 20});
  EXPECT_THAT(collector_.sent, ElementsAre(Sent{"app-win-changelog", 1, wk, "v", 1000},
                                           Sent{"app-win-changelog", 1, wk, std::nullopt, 1000},
                                           Sent{"app-ses-changelog", 1, sk, "s", 1000},
                                           Sent{"app-ses-changelog", 1, sk, std::nullopt, 1000}));
  EXPECT_EQ(m->Metrics("win")->puts.load(), 1U);
  EXPECT_EQ(m->Metrics("ses")->deletes.load(), 1U);
  EXPECT_TRUE(std::filesystem::exists(dir_.TaskDir({2, 1}) / "rocksdb" / "win"));
  EXPECT_TRUE(std::filesystem::exists(dir_.TaskDir({2, 1}) / "rocksdb" / "ses"));
}

TEST_F(StateManagerTest, RestoreIsRoutedToTheStoreOfThePartition) {
  auto m = MustOpen({0, 4},
                    {stores::PersistentKeyValue("kv"), stores::Window("win", 3'600'000),
                     stores::Session("ses", 3'600'000)},
                    nullptr);
  ASSERT_NE(m, nullptr);
  const std::string wk = state::EncodeWindowKey("w", 60'000);
  const std::string sk = state::EncodeSessionKey("s", {.start_ms = 1, .end_ms = 2});
  ASSERT_TRUE(m->ApplyRestoreBatch(Changelog("win", 4), {{ChangelogRecord{wk, "wv", 3}}}).ok());
  ASSERT_TRUE(m->ApplyRestoreBatch(Changelog("ses", 4), {{ChangelogRecord{sk, "sv", 9}}}).ok());
  ASSERT_TRUE(m->ApplyRestoreBatch(Changelog("kv", 4), {{ChangelogRecord{"k", "kv", 0}}}).ok());
  EXPECT_EQ(*m->WindowStore("win")->Fetch("w", 60'000), std::optional<std::string>("wv"));
  EXPECT_EQ(*m->SessionStore("ses")->FetchSession("s", {.start_ms = 1, .end_ms = 2}),
            std::optional<std::string>("sv"));
  EXPECT_EQ(*m->KeyValueStore("kv")->Get("k"), std::optional<std::string>("kv"));
  EXPECT_EQ(m->Positions(),
            (state::CheckpointOffsets{
                {Changelog("kv", 4), 1}, {Changelog("win", 4), 4}, {Changelog("ses", 4), 10}}));
  EXPECT_EQ(m->OffsetSum(), 15);
  EXPECT_EQ(m->records_restored(), 3U);
  EXPECT_EQ(m->records_restored(Changelog("win", 4)), 1U);

  const Status unknown = m->ApplyRestoreBatch(Changelog("nope", 4), {});
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), HasSubstr("app-nope-changelog"));
  EXPECT_EQ(m->RestorePosition(Changelog("kv", 5)).status().code(), StatusCode::kNotFound);
  // A bad window key fails the batch, naming the offset.
  const Status bad = m->ApplyRestoreBatch(Changelog("win", 4), {{ChangelogRecord{"x", "y", 77}}});
  EXPECT_EQ(bad.code(), StatusCode::kCorruption);
  EXPECT_THAT(bad.message(), HasSubstr("77"));
  EXPECT_EQ(*m->RestorePosition(Changelog("win", 4)), 4);

  // FinishRestore writes the restored positions.
  ASSERT_TRUE(m->FinishRestore().ok());
  EXPECT_EQ(*state::ReadCheckpoint(CheckpointFile({0, 4})), m->Positions());
}

// ---- checkpoint consistency ----

TEST_F(StateManagerTest, CorruptCheckpointWipesTheTaskAndWarns) {
  const TaskId task{0, 1};
  {
    auto m = MustOpen(task, {stores::PersistentKeyValue("kv")}, &collector_);
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(m->KeyValueStore("kv")->Put("stale", "x").ok());
    ASSERT_TRUE(m->Close(/*write_checkpoint=*/true).ok());
  }
  {
    std::ofstream out(CheckpointFile(task), std::ios::trunc);
    out << "1\n1\napp-kv-changelog 1";  // truncated: no final newline
  }
  const LogCapture log;
  auto m = MustOpen(task, {stores::PersistentKeyValue("kv")}, &collector_);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(*m->RestorePosition(Changelog("kv", 1)), 0);
  EXPECT_THAT(Drain(m->KeyValueStore("kv")->All()), IsEmpty());
  EXPECT_THAT(m->reset_at_open(), ElementsAre(Changelog("kv", 1)));
  EXPECT_THAT(log.text(), HasSubstr("warning"));
  EXPECT_THAT(log.text(), HasSubstr(CheckpointFile(task).string()));
  EXPECT_FALSE(std::filesystem::exists(CheckpointFile(task)));
}

TEST_F(StateManagerTest, CheckpointBeyondTheChangelogEndResetsTheStore) {
  const TaskId task{0, 2};
  {
    auto m = MustOpen(task, {stores::PersistentKeyValue("kv"), stores::PersistentKeyValue("ok")},
                      &collector_);
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(m->KeyValueStore("kv")->Put("k", "v").ok());
    ASSERT_TRUE(m->KeyValueStore("ok")->Put("k", "v").ok());
    ASSERT_TRUE(m->Checkpoint({{Changelog("kv", 2), 100}, {Changelog("ok", 2), 7}}).ok());
    ASSERT_TRUE(m->Close(false).ok());
  }
  auto m = MustOpen(task, {stores::PersistentKeyValue("kv"), stores::PersistentKeyValue("ok")},
                    &collector_);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->OffsetSum(), 107);
  EXPECT_EQ(m->ValidateCheckpoint({{Changelog("kv", 2), 100}}).status().code(),
            StatusCode::kInvalidArgument);  // an end offset is missing
  const auto metrics = m->Metrics("kv");
  const LogCapture log;
  auto reset = m->ValidateCheckpoint({{Changelog("kv", 2), 50}, {Changelog("ok", 2), 7}});
  ASSERT_TRUE(reset.ok()) << reset.status().ToString();
  EXPECT_THAT(*reset, ElementsAre(Changelog("kv", 2)));
  EXPECT_THAT(log.text(), HasSubstr("beyond the end offset 50"));
  EXPECT_EQ(*m->RestorePosition(Changelog("kv", 2)), 0);
  EXPECT_EQ(*m->RestorePosition(Changelog("ok", 2)), 7);
  EXPECT_THAT(Drain(m->KeyValueStore("kv")->All()), IsEmpty());
  EXPECT_THAT(Drain(m->KeyValueStore("ok")->All()),
              ElementsAre(std::pair<std::string, std::string>("k", "v")));
  EXPECT_EQ(m->Metrics("kv"), metrics);  // same metrics object across the reset
  // Equal to the end is consistent.
  EXPECT_THAT(*m->ValidateCheckpoint({{Changelog("kv", 2), 0}, {Changelog("ok", 2), 7}}),
              IsEmpty());
}

TEST_F(StateManagerTest, StoreStateWithoutCheckpointEntryIsWipedAtOpen) {
  const TaskId task{3, 0};
  {
    auto m = MustOpen(task, {stores::PersistentKeyValue("kv")}, &collector_);
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(m->KeyValueStore("kv")->Put("k", "v").ok());
    ASSERT_TRUE(m->Close(/*write_checkpoint=*/false).ok());  // crash before any checkpoint
  }
  const LogCapture log;
  auto m = MustOpen(task, {stores::PersistentKeyValue("kv")}, &collector_);
  ASSERT_NE(m, nullptr);
  EXPECT_THAT(m->reset_at_open(), ElementsAre(Changelog("kv", 0)));
  EXPECT_THAT(Drain(m->KeyValueStore("kv")->All()), IsEmpty());
  EXPECT_THAT(log.text(), HasSubstr("no checkpoint entry"));
}

TEST_F(StateManagerTest, StoresWithoutLoggingAreNeitherLoggedNorCheckpointed) {
  const TaskId task{0, 0};
  StoreSpec unlogged{.name = "local", .logging = false};
  {
    auto m = MustOpen(task, {unlogged, stores::PersistentKeyValue("kv")}, &collector_);
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(m->KeyValueStore("local")->Put("k", "v").ok());
    EXPECT_THAT(collector_.sent, IsEmpty());
    EXPECT_THAT(m->ChangelogPartitions(), ElementsAre(Changelog("kv", 0)));
    ASSERT_TRUE(m->Close(true).ok());
  }
  EXPECT_EQ(*state::ReadCheckpoint(CheckpointFile(task)),
            (state::CheckpointOffsets{{Changelog("kv", 0), 0}}));
  // A persistent store without logging keeps its data across restarts.
  auto m = MustOpen(task, {unlogged, stores::PersistentKeyValue("kv")}, &collector_);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(*m->KeyValueStore("local")->Get("k"), std::optional<std::string>("v"));
}

// ---- collector and standby behaviour ----

TEST_F(StateManagerTest, FailedSendIsKeptAndFailsTheCheckpoint) {
  auto m = MustOpen({0, 0}, {stores::PersistentKeyValue("kv")}, &collector_);
  ASSERT_NE(m, nullptr);
  collector_.fail_with = Status::Unavailable("producer fenced on 'app-kv-changelog' 0");
  ASSERT_TRUE(m->KeyValueStore("kv")->Put("k", "v").ok());  // the store write itself succeeds
  EXPECT_EQ(m->send_status().code(), StatusCode::kUnavailable);
  const Status s = m->Checkpoint();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("fenced"));
  EXPECT_FALSE(std::filesystem::exists(CheckpointFile({0, 0})));
}

TEST_F(StateManagerTest, StandbyCheckpointsItsRestorePositionsAndRefusesWrites) {
  const TaskId task{0, 6};
  auto m = MustOpen(task, {stores::PersistentKeyValue("kv")}, nullptr);
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->active());
  ASSERT_TRUE(m->ApplyRestoreBatch(Changelog("kv", 6), {{ChangelogRecord{"k", "v", 11}}}).ok());
  ASSERT_TRUE(m->Checkpoint().ok());
  EXPECT_EQ(*state::ReadCheckpoint(CheckpointFile(task)),
            (state::CheckpointOffsets{{Changelog("kv", 6), 12}}));
  // A write to a standby's store cannot be logged: it is an error, surfaced on checkpoint.
  ASSERT_TRUE(m->KeyValueStore("kv")->Put("x", "y").ok());
  EXPECT_EQ(m->send_status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(m->send_status().message(), HasSubstr("without a record collector"));
  EXPECT_EQ(m->Checkpoint().code(), StatusCode::kFailedPrecondition);
}

TEST_F(StateManagerTest, PromotedStandbyLogsThroughItsNewCollector) {
  auto m = MustOpen({0, 2}, {stores::PersistentKeyValue("kv")}, nullptr);
  ASSERT_NE(m, nullptr);
  m->SetCollector(&collector_);
  EXPECT_TRUE(m->active());
  ASSERT_TRUE(m->KeyValueStore("kv")->Put("k", "v").ok());
  EXPECT_THAT(collector_.sent, ElementsAre(Sent{"app-kv-changelog", 2, "k", "v", 1000}));
  EXPECT_TRUE(m->send_status().ok());
}

TEST_F(StateManagerTest, CheckpointRejectsPartitionsOfOtherTasks) {
  auto m = MustOpen({0, 2}, {stores::PersistentKeyValue("kv")}, &collector_);
  ASSERT_NE(m, nullptr);
  const Status s = m->Checkpoint({{Changelog("kv", 3), 5}});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'app-kv-changelog' partition 3"));
}

// ---- open, locks, close, wipe ----

TEST_F(StateManagerTest, SecondOpenOfALockedTaskFailsNamingTheLock) {
  auto first = MustOpen({0, 9}, {stores::PersistentKeyValue("kv")}, &collector_);
  ASSERT_NE(first, nullptr);
  auto second = OpenTask({0, 9}, {stores::PersistentKeyValue("kv")}, &collector_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(),
              HasSubstr((dir_.TaskDir({0, 9}) / state::kLockFileName).string()));
  ASSERT_TRUE(first->Close(false).ok());
  EXPECT_TRUE(OpenTask({0, 9}, {stores::PersistentKeyValue("kv")}, &collector_).ok());
}

TEST_F(StateManagerTest, BadSpecsAreRejected) {
  auto dup = OpenTask({0, 0}, {stores::PersistentKeyValue("a"), stores::InMemoryKeyValue("a")},
                      &collector_);
  EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(dup.status().message(), HasSubstr("'a' declared twice"));
  StoreSpec in_memory_window = stores::Window("w", 1000);
  in_memory_window.backend = StoreBackend::kInMemory;
  EXPECT_EQ(OpenTask({0, 0}, {in_memory_window}, &collector_).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenTask({0, 0}, {stores::PersistentKeyValue("a/b")}, &collector_).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(StateManagerTest, CloseReleasesEverythingAndWipeDeletesTheState) {
  const TaskId task{1, 1};
  auto m = MustOpen(task, {stores::PersistentKeyValue("kv")}, &collector_);
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->KeyValueStore("kv")->Put("k", "v").ok());
  ASSERT_TRUE(m->Close(/*write_checkpoint=*/true).ok());
  EXPECT_TRUE(m->closed());
  EXPECT_EQ(m->KeyValueStore("kv"), nullptr);
  EXPECT_TRUE(m->Close(true).ok());  // idempotent
  EXPECT_TRUE(std::filesystem::exists(CheckpointFile(task)));
  ASSERT_TRUE(m->Wipe().ok());
  EXPECT_FALSE(std::filesystem::exists(CheckpointFile(task)));
  EXPECT_FALSE(std::filesystem::exists(dir_.TaskDir(task) / "rocksdb"));

  auto again = MustOpen(task, {stores::PersistentKeyValue("kv")}, &collector_);
  ASSERT_NE(again, nullptr);
  EXPECT_THAT(again->reset_at_open(), IsEmpty());
  EXPECT_THAT(Drain(again->KeyValueStore("kv")->All()), IsEmpty());
  ASSERT_TRUE(again->Wipe().ok());  // wipe of an open task: closes and unlocks
  EXPECT_TRUE(OpenTask(task, {stores::PersistentKeyValue("kv")}, &collector_).ok());
}

TEST_F(StateManagerTest, LocalTaskOffsetSumsReadsUnlockedCheckpointsOnly) {
  {
    auto m = MustOpen({0, 1}, {stores::PersistentKeyValue("a"), stores::PersistentKeyValue("b")},
                      &collector_);
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(m->Checkpoint({{Changelog("a", 1), 10}, {Changelog("b", 1), 5}}).ok());
    ASSERT_TRUE(m->Close(false).ok());
  }
  {
    auto m = MustOpen({1, 0}, {stores::PersistentKeyValue("a")}, &collector_);
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(m->Checkpoint({{Changelog("a", 0), 3}}).ok());
    ASSERT_TRUE(m->Close(false).ok());
  }
  // Owned (locked) by a running manager: skipped.
  auto owned = MustOpen({0, 2}, {stores::PersistentKeyValue("a")}, &collector_);
  ASSERT_NE(owned, nullptr);
  ASSERT_TRUE(owned->Checkpoint({{Changelog("a", 2), 99}}).ok());
  // No checkpoint: skipped. Corrupt checkpoint: skipped.
  std::filesystem::create_directories(dir_.TaskDir({2, 0}));
  std::filesystem::create_directories(dir_.TaskDir({2, 1}));
  {
    std::ofstream out(CheckpointFile({2, 1}));
    out << "garbage\n";
  }
  std::filesystem::create_directories(dir_.app_dir() / "not-a-task");

  auto sums = LocalTaskOffsetSums(dir_);
  ASSERT_TRUE(sums.ok()) << sums.status().ToString();
  EXPECT_EQ(*sums, (std::map<TaskId, int64_t>{{{0, 1}, 15}, {{1, 0}, 3}}));
  // The scan released every lock it took.
  EXPECT_TRUE(OpenTask({0, 1}, {stores::PersistentKeyValue("a")}, &collector_).ok());
}

}  // namespace
}  // namespace brook::runtime
