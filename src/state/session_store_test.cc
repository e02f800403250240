// RocksDbSessionStore.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "state/rocksdb_session_store.h"
#include "state/store_keys.h"
#include "state/test_util.h"

namespace brook::state {
namespace {

using testing::TempDir;

struct Sess {
  std::string key;
  int64_t start = 0;
  int64_t end = 0;
  std::string value;
  bool operator==(const Sess&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Sess& s) {
  return os << s.key << "[" << s.start << "," << s.end << "]=" << s.value;
}

std::vector<Sess> Drain(Result<std::unique_ptr<SessionIterator>> it) {
  EXPECT_TRUE(it.ok()) << it.status().ToString();
  std::vector<Sess> out;
  if (!it.ok()) return out;
  for (; (*it)->Valid(); (*it)->Next()) {
    out.push_back({std::string((*it)->key()), (*it)->session().start_ms, (*it)->session().end_ms,
                   std::string((*it)->value())});
  }
  EXPECT_TRUE((*it)->status().ok()) << (*it)->status().ToString();
  return out;
}

class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SessionStoreOptions options;
    options.retention_ms = 100;
    options.segment_interval_ms = 50;
    options.rocksdb.write_buffer_bytes = size_t{1} << 20;
    options.rocksdb.block_cache_bytes = size_t{1} << 20;
    auto s = RocksDbSessionStore::Open("sess", dir_.path() / "sess", options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void Put(std::string_view key, int64_t start, int64_t end, std::string_view value,
           WriteOutcome expected = WriteOutcome::kWritten) {
    auto r = store_->Put(key, SessionWindow{start, end}, value);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, expected);
  }

  TempDir dir_;
  std::unique_ptr<RocksDbSessionStore> store_;
};

TEST_F(SessionStoreTest, FindSessionsReturnsOverlappingSessionsOfTheKey) {
  Put("a", 0, 10, "s1");
  Put("a", 20, 30, "s2");
  Put("a", 40, 70, "s3");  // ends in the next segment
  Put("b", 5, 25, "other");
  Put("ab", 20, 30, "longer key");
  EXPECT_EQ(Drain(store_->FindSessions("a", 25, 45)),
            (std::vector<Sess>{{"a", 20, 30, "s2"}, {"a", 40, 70, "s3"}}));
  // Touching bounds count: end == earliest end, start == latest start.
  EXPECT_EQ(Drain(store_->FindSessions("a", 10, 20)),
            (std::vector<Sess>{{"a", 0, 10, "s1"}, {"a", 20, 30, "s2"}}));
  EXPECT_TRUE(Drain(store_->FindSessions("a", 11, 19)).empty());
  EXPECT_TRUE(Drain(store_->FindSessions("a", 71, 100)).empty());
  EXPECT_EQ(Drain(store_->FindSessions("b", 0, 100)), (std::vector<Sess>{{"b", 5, 25, "other"}}));
  EXPECT_EQ(Drain(store_->FetchSessions("a")),
            (std::vector<Sess>{{"a", 0, 10, "s1"}, {"a", 20, 30, "s2"}, {"a", 40, 70, "s3"}}));
  EXPECT_TRUE(Drain(store_->FetchSessions("c")).empty());
}

TEST_F(SessionStoreTest, FetchSessionRemoveAndSessionsSharingAStart) {
  Put("a", 0, 10, "short");
  Put("a", 0, 15, "merged");
  auto exact = store_->FetchSession("a", SessionWindow{0, 10});
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(*exact, "short");
  EXPECT_EQ(Drain(store_->FetchSessions("a")),
            (std::vector<Sess>{{"a", 0, 10, "short"}, {"a", 0, 15, "merged"}}));
  auto removed = store_->Remove("a", SessionWindow{0, 10});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, WriteOutcome::kWritten);
  auto gone = store_->FetchSession("a", SessionWindow{0, 10});
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(*gone, std::nullopt);
  EXPECT_EQ(Drain(store_->FetchSessions("a")), (std::vector<Sess>{{"a", 0, 15, "merged"}}));
  EXPECT_EQ(store_->Put("a", SessionWindow{5, 4}, "x").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Put("a", SessionWindow{-1, 4}, "x").status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SessionStoreTest, RetentionByEndTimeDropsSegmentsAndIgnoresLateSessions) {
  Put("a", 0, 10, "old");
  Put("a", 55, 60, "mid");
  Put("a", 0, 200, "long");  // starts early but ends late: live
  // stream time 200, sessions ending <= 100 expired; segments 0 and 1 dropped.
  EXPECT_EQ(store_->SegmentIds(), (std::vector<int64_t>{4}));
  EXPECT_EQ(Drain(store_->FetchSessions("a")), (std::vector<Sess>{{"a", 0, 200, "long"}}));
  Put("a", 90, 100, "late", WriteOutcome::kExpired);
  Put("a", 90, 101, "live");
  EXPECT_EQ(store_->expired_writes(), 1U);
  EXPECT_EQ(store_->observed_stream_time_ms(), 200);
  auto removed = store_->Remove("a", SessionWindow{0, 10});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, WriteOutcome::kExpired);
  EXPECT_EQ(Drain(store_->FindSessions("a", 0, 95)),
            (std::vector<Sess>{{"a", 90, 101, "live"}, {"a", 0, 200, "long"}}));
}

TEST_F(SessionStoreTest, RestoreBatchWithTombstones) {
  const std::string s1 = EncodeSessionKey("a", SessionWindow{0, 10});
  const std::string s2 = EncodeSessionKey("a", SessionWindow{20, 30});
  const std::vector<ChangelogRecord> batch = {
      {s1, "one", 0}, {s2, "two", 1}, {s1, std::nullopt, 2}};
  ASSERT_TRUE(store_->ApplyRestoreBatch(batch).ok());
  ASSERT_TRUE(store_->FlushAfterRestore().ok());
  EXPECT_EQ(Drain(store_->FetchSessions("a")), (std::vector<Sess>{{"a", 20, 30, "two"}}));
  EXPECT_EQ(store_->observed_stream_time_ms(), 30);
  const std::vector<ChangelogRecord> bad = {{EncodeWindowKey("a", 1), "v", 9}};
  const Status s = store_->ApplyRestoreBatch(bad);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("offset 9"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace brook::state
