// Change-logging and metering decorators.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "state/change_logging_store.h"
#include "state/in_memory_key_value_store.h"
#include "state/metered_store.h"
#include "state/rocksdb_session_store.h"
#include "state/rocksdb_window_store.h"
#include "state/store_keys.h"
#include "state/test_util.h"

namespace brook::state {
namespace {

using testing::Drain;
using testing::KvPairs;
using testing::TempDir;

struct Logged {
  std::string key;
  std::optional<std::string> value;
  int64_t timestamp_ms = 0;
  bool operator==(const Logged&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Logged& l) {
  return os << "(" << l.key << ", " << (l.value ? *l.value : "<tombstone>") << ", "
            << l.timestamp_ms << ")";
}

class RecordingSink final : public ChangelogSink {
 public:
  void Log(std::string_view key, std::optional<std::string_view> value,
           int64_t timestamp_ms) override {
    records.push_back({std::string(key),
                       value ? std::optional<std::string>(std::string(*value)) : std::nullopt,
                       timestamp_ms});
  }
  // The records as a restore batch (offsets = positions).
  [[nodiscard]] std::vector<ChangelogRecord> AsRestoreBatch() const {
    std::vector<ChangelogRecord> out;
    for (size_t i = 0; i < records.size(); ++i) {
      const Logged& l = records[i];
      out.push_back({l.key, l.value ? std::optional<std::string_view>(*l.value) : std::nullopt,
                     static_cast<int64_t>(i)});
    }
    return out;
  }
  std::vector<Logged> records;
};

TEST(ChangeLoggingKeyValueStoreTest, SinkReceivesExactlyTheWrites) {
  RecordingSink sink;
  int64_t now = 42;
  ChangeLoggingKeyValueStore store(std::make_unique<InMemoryKeyValueStore>("kv"), sink,
                                   [&now] { return now; });
  ASSERT_TRUE(store.Put("a", "1").ok());
  now = 43;
  ASSERT_TRUE(store.Put("b", "2").ok());
  ASSERT_TRUE(store.Delete("a").ok());
  const std::vector<KeyValueWrite> batch = {{"c", "3"}, {"b", std::nullopt}};
  ASSERT_TRUE(store.Write(batch).ok());
  // Reads and restores are not logged.
  ASSERT_TRUE(store.Get("c").ok());
  EXPECT_EQ(Drain(store.All()), (KvPairs{{"c", "3"}}));
  const std::vector<ChangelogRecord> restore = {{"r", "from-changelog", 0}};
  ASSERT_TRUE(store.ApplyRestoreBatch(restore).ok());
  ASSERT_TRUE(store.Flush().ok());

  EXPECT_EQ(sink.records, (std::vector<Logged>{{"a", "1", 42},
                                               {"b", "2", 43},
                                               {"a", std::nullopt, 43},
                                               {"c", "3", 43},
                                               {"b", std::nullopt, 43}}));
  EXPECT_EQ(Drain(store.inner().All()), (KvPairs{{"c", "3"}, {"r", "from-changelog"}}));

  // A failed write is not logged.
  ASSERT_TRUE(store.Close().ok());
  EXPECT_FALSE(store.Put("x", "y").ok());
  EXPECT_EQ(sink.records.size(), 5U);
}

TEST(ChangeLoggingKeyValueStoreTest, ChangelogRestoresAnEqualStore) {
  RecordingSink sink;
  ChangeLoggingKeyValueStore store(std::make_unique<InMemoryKeyValueStore>("kv"), sink);
  ASSERT_TRUE(store.Put("k1", "v1").ok());
  ASSERT_TRUE(store.Put("k2", "v2").ok());
  ASSERT_TRUE(store.Put("k1", "v1b").ok());
  ASSERT_TRUE(store.Delete("k2").ok());
  InMemoryKeyValueStore replica("kv");
  ASSERT_TRUE(replica.ApplyRestoreBatch(sink.AsRestoreBatch()).ok());
  EXPECT_EQ(Drain(replica.All()), Drain(store.All()));
  EXPECT_EQ(Drain(replica.All()), (KvPairs{{"k1", "v1b"}}));
}

WindowStoreOptions SmallWindowOptions() {
  WindowStoreOptions o;
  o.retention_ms = 100;
  o.segment_interval_ms = 50;
  o.rocksdb.write_buffer_bytes = size_t{1} << 20;
  o.rocksdb.block_cache_bytes = size_t{1} << 20;
  return o;
}

TEST(ChangeLoggingWindowStoreTest, LogsWindowKeysTombstonesAndSkipsExpired) {
  TempDir dir;
  RecordingSink sink;
  auto inner = RocksDbWindowStore::Open("w", dir.path() / "w", SmallWindowOptions());
  ASSERT_TRUE(inner.ok());
  ChangeLoggingWindowStore store(std::move(inner).value(), sink, [] { return int64_t{7}; });
  ASSERT_TRUE(store.Put("k", "v1", 100).ok());
  ASSERT_TRUE(store.Put("k", "v2", 250).ok());
  ASSERT_TRUE(store.Delete("k", 250).ok());
  ASSERT_TRUE(store.Put("k", "v3", 260).ok());
  auto late = store.Put("k", "late", 10);
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(*late, WriteOutcome::kExpired);
  EXPECT_EQ(sink.records, (std::vector<Logged>{{EncodeWindowKey("k", 100), "v1", 7},
                                               {EncodeWindowKey("k", 250), "v2", 7},
                                               {EncodeWindowKey("k", 250), std::nullopt, 7},
                                               {EncodeWindowKey("k", 260), "v3", 7}}));

  // The changelog restores the same live state into a fresh store.
  auto replica = RocksDbWindowStore::Open("w", dir.path() / "replica", SmallWindowOptions());
  ASSERT_TRUE(replica.ok());
  ASSERT_TRUE((*replica)->ApplyRestoreBatch(sink.AsRestoreBatch()).ok());
  auto fetched = (*replica)->Fetch("k", 0, 1000);
  ASSERT_TRUE(fetched.ok());
  std::vector<std::pair<int64_t, std::string>> got;
  for (; (*fetched)->Valid(); (*fetched)->Next()) {
    got.emplace_back((*fetched)->window_start_ms(), (*fetched)->value());
  }
  EXPECT_EQ(got, (std::vector<std::pair<int64_t, std::string>>{{260, "v3"}}));
}

TEST(ChangeLoggingSessionStoreTest, LogsSessionKeysAndTombstones) {
  TempDir dir;
  RecordingSink sink;
  SessionStoreOptions options;
  options.retention_ms = 100;
  options.segment_interval_ms = 50;
  auto inner = RocksDbSessionStore::Open("s", dir.path() / "s", options);
  ASSERT_TRUE(inner.ok());
  ChangeLoggingSessionStore store(std::move(inner).value(), sink, [] { return int64_t{9}; });
  ASSERT_TRUE(store.Put("k", SessionWindow{0, 10}, "a").ok());
  ASSERT_TRUE(store.Remove("k", SessionWindow{0, 10}).ok());
  ASSERT_TRUE(store.Put("k", SessionWindow{0, 20}, "b").ok());
  ASSERT_TRUE(store.Put("k", SessionWindow{200, 300}, "c").ok());
  auto late = store.Put("k", SessionWindow{0, 30}, "late");
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(*late, WriteOutcome::kExpired);
  EXPECT_EQ(sink.records,
            (std::vector<Logged>{{EncodeSessionKey("k", SessionWindow{0, 10}), "a", 9},
                                 {EncodeSessionKey("k", SessionWindow{0, 10}), std::nullopt, 9},
                                 {EncodeSessionKey("k", SessionWindow{0, 20}), "b", 9},
                                 {EncodeSessionKey("k", SessionWindow{200, 300}), "c", 9}}));
}

TEST(MeteredKeyValueStoreTest, CountsEveryOperation) {
  auto metrics = std::make_shared<StoreMetrics>();
  MeteredKeyValueStore store(std::make_unique<InMemoryKeyValueStore>("kv"), metrics);
  ASSERT_TRUE(store.Put("a", "1").ok());
  ASSERT_TRUE(store.Put("b", "2").ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store.Get("a").ok());
  ASSERT_TRUE(store.Delete("a").ok());
  const std::vector<KeyValueWrite> batch = {{"c", "3"}, {"d", "4"}, {"b", std::nullopt}};
  ASSERT_TRUE(store.Write(batch).ok());
  EXPECT_EQ(Drain(store.Range("a", "z")), (KvPairs{{"c", "3"}, {"d", "4"}}));
  EXPECT_EQ(Drain(store.ReverseRange(std::nullopt, std::nullopt)).size(), 2U);
  EXPECT_EQ(Drain(store.PrefixScan("c")).size(), 1U);
  EXPECT_EQ(Drain(store.All()).size(), 2U);
  const std::vector<ChangelogRecord> restore = {
      {"x", "1", 0}, {"y", "2", 1}, {"x", std::nullopt, 2}};
  ASSERT_TRUE(store.ApplyRestoreBatch(restore).ok());
  ASSERT_TRUE(store.FlushAfterRestore().ok());
  ASSERT_TRUE(store.Flush().ok());

  EXPECT_EQ(metrics->puts.load(), 4U);
  EXPECT_EQ(metrics->gets.load(), 3U);
  EXPECT_EQ(metrics->deletes.load(), 2U);
  EXPECT_EQ(metrics->range_scans.load(), 4U);
  EXPECT_EQ(metrics->restore_records.load(), 3U);
  EXPECT_EQ(metrics->flushes.load(), 2U);
  EXPECT_GT(metrics->put_latency_ns_sum.load(), 0U);
  EXPECT_GT(metrics->get_latency_ns_sum.load(), 0U);
  EXPECT_EQ(store.metrics().get(), metrics.get());
}

TEST(DecoratorStackTest, MeteredOverChangeLoggingOverInMemory) {
  RecordingSink sink;
  auto metrics = std::make_shared<StoreMetrics>();
  MeteredKeyValueStore store(
      std::make_unique<ChangeLoggingKeyValueStore>(std::make_unique<InMemoryKeyValueStore>("kv"),
                                                   sink, [] { return int64_t{1}; }),
      metrics);
  EXPECT_EQ(store.name(), "kv");
  ASSERT_TRUE(store.Put("k", "v").ok());
  auto got = store.Get("k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "v");
  EXPECT_EQ(sink.records, (std::vector<Logged>{{"k", "v", 1}}));
  EXPECT_EQ(metrics->puts.load(), 1U);
  EXPECT_EQ(metrics->gets.load(), 1U);
}

}  // namespace
}  // namespace brook::state
