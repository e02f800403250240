// RocksDbWindowStore and the window/session changelog key formats.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "state/rocksdb_window_store.h"
#include "state/store_keys.h"
#include "state/test_util.h"

namespace brook::state {
namespace {

using testing::TempDir;
using namespace std::string_literals;  // NOLINT(google-build-using-namespace)

struct Win {
  std::string key;
  int64_t start = 0;
  std::string value;
  bool operator==(const Win&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Win& w) {
  return os << w.key << "@" << w.start << "=" << w.value;
}

std::vector<Win> Drain(Result<std::unique_ptr<WindowIterator>> it) {
  EXPECT_TRUE(it.ok()) << it.status().ToString();
  std::vector<Win> out;
  if (!it.ok()) return out;
  for (; (*it)->Valid(); (*it)->Next()) {
    out.push_back(
        {std::string((*it)->key()), (*it)->window_start_ms(), std::string((*it)->value())});
  }
  EXPECT_TRUE((*it)->status().ok()) << (*it)->status().ToString();
  return out;
}

class WindowStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    WindowStoreOptions options;
    options.retention_ms = 100;
    options.segment_interval_ms = 50;
    options.rocksdb.write_buffer_bytes = size_t{1} << 20;
    options.rocksdb.block_cache_bytes = size_t{1} << 20;
    auto s = RocksDbWindowStore::Open("win", dir_.path() / "win", options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void Put(std::string_view key, std::string_view value, int64_t start,
           WriteOutcome expected = WriteOutcome::kWritten) {
    auto r = store_->Put(key, value, start);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, expected) << key << "@" << start;
  }
  std::optional<std::string> Fetch(std::string_view key, int64_t start) {
    auto r = store_->Fetch(key, start);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  }

  TempDir dir_;
  std::unique_ptr<RocksDbWindowStore> store_;
};

TEST_F(WindowStoreTest, FetchOneWindowAndTimeRanges) {
  Put("a", "v0", 0);
  Put("a", "v10", 10);
  Put("a", "v20", 20);
  Put("a", "v60", 60);  // next segment
  Put("b", "x", 10);
  Put("ab", "y", 10);  // a longer key starting with "a"
  EXPECT_EQ(Fetch("a", 10), "v10");
  EXPECT_EQ(Fetch("a", 5), std::nullopt);
  EXPECT_EQ(Fetch("c", 10), std::nullopt);

  EXPECT_EQ(
      Drain(store_->Fetch("a", 0, 100)),
      (std::vector<Win>{{"a", 0, "v0"}, {"a", 10, "v10"}, {"a", 20, "v20"}, {"a", 60, "v60"}}));
  EXPECT_EQ(Drain(store_->Fetch("a", 5, 15)), (std::vector<Win>{{"a", 10, "v10"}}));
  EXPECT_EQ(Drain(store_->Fetch("a", 10, 10)), (std::vector<Win>{{"a", 10, "v10"}}));
  EXPECT_TRUE(Drain(store_->Fetch("a", 20, 10)).empty());
  EXPECT_TRUE(Drain(store_->Fetch("a", 61, 1000)).empty());
  EXPECT_EQ(Drain(store_->FetchBackward("a", 10, 60)),
            (std::vector<Win>{{"a", 60, "v60"}, {"a", 20, "v20"}, {"a", 10, "v10"}}));
  EXPECT_EQ(Drain(store_->Fetch("ab", 0, 100)), (std::vector<Win>{{"ab", 10, "y"}}));
  // FetchAll: by segment, then key (length, bytes), then window start.
  EXPECT_EQ(
      Drain(store_->FetchAll(10, 60)),
      (std::vector<Win>{
          {"a", 10, "v10"}, {"a", 20, "v20"}, {"b", 10, "x"}, {"ab", 10, "y"}, {"a", 60, "v60"}}));
  EXPECT_EQ(store_->observed_stream_time_ms(), 60);
}

TEST_F(WindowStoreTest, OverwriteDeleteAndBinaryKeys) {
  Put("k\0z"s, "1", 5);
  Put("k\0z"s, "2", 5);
  EXPECT_EQ(Fetch("k\0z"s, 5), "2");
  EXPECT_EQ(Fetch("k"s, 5), std::nullopt);
  auto d = store_->Delete("k\0z"s, 5);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, WriteOutcome::kWritten);
  EXPECT_EQ(Fetch("k\0z"s, 5), std::nullopt);
  EXPECT_TRUE(Drain(store_->FetchAll(0, 100)).empty());
  EXPECT_EQ(store_->Put("k", "v", -1).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(WindowStoreTest, RetentionDropsWholeSegmentsAndIgnoresLatePuts) {
  // retention 100, segments of 50 ms.
  Put("a", "0", 0);
  Put("a", "40", 40);
  Put("a", "60", 60);
  Put("a", "120", 120);  // stream time 120: windows <= 20 expired, segment 0 still has live ones
  EXPECT_EQ(store_->SegmentIds(), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(Fetch("a", 0), std::nullopt);  // expired, though still on disk
  EXPECT_EQ(Fetch("a", 40), "40");
  EXPECT_EQ(Drain(store_->Fetch("a", 0, 200)),
            (std::vector<Win>{{"a", 40, "40"}, {"a", 60, "60"}, {"a", 120, "120"}}));

  Put("a", "160", 160);  // stream time 160: windows <= 60 expired -> segment 0 dropped
  EXPECT_EQ(store_->SegmentIds(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(Drain(store_->Fetch("a", 0, 200)),
            (std::vector<Win>{{"a", 120, "120"}, {"a", 160, "160"}}));
  EXPECT_EQ(Drain(store_->FetchAll(0, 200)),
            (std::vector<Win>{{"a", 120, "120"}, {"a", 160, "160"}}));

  EXPECT_EQ(store_->expired_writes(), 0U);
  Put("a", "late", 50, WriteOutcome::kExpired);
  Put("a", "edge", 60, WriteOutcome::kExpired);  // 60 <= 160 - 100
  Put("a", "ok", 61);
  EXPECT_EQ(store_->expired_writes(), 2U);
  EXPECT_EQ(Fetch("a", 50), std::nullopt);
  EXPECT_EQ(Fetch("a", 61), "ok");
  EXPECT_EQ(store_->SegmentIds(), (std::vector<int64_t>{1, 2, 3}));  // no segment 0 again
  EXPECT_EQ(store_->observed_stream_time_ms(), 160);
}

TEST_F(WindowStoreTest, ReopenKeepsDataAndStreamTime) {
  Put("a", "150", 150);
  Put("a", "200", 200);
  ASSERT_TRUE(store_->Close().ok());
  store_.reset();
  Open();
  EXPECT_EQ(store_->observed_stream_time_ms(), 200);
  EXPECT_EQ(Fetch("a", 150), "150");
  Put("a", "late", 90, WriteOutcome::kExpired);
  EXPECT_EQ(store_->SegmentIds(), (std::vector<int64_t>{3, 4}));
}

TEST_F(WindowStoreTest, RestoreBatchDecodesKeysAppliesTombstonesAndRetention) {
  const std::string a10 = EncodeWindowKey("a", 10);
  const std::string a200 = EncodeWindowKey("a", 200);
  const std::string b150 = EncodeWindowKey("b", 150);
  const std::string c120 = EncodeWindowKey("c", 120);  // named: the batch holds views
  const std::vector<ChangelogRecord> batch = {
      {a10, "x", 0}, {a200, "y", 1}, {b150, "z", 2}, {b150, std::nullopt, 3}, {c120, "w", 4}};
  ASSERT_TRUE(store_->ApplyRestoreBatch(batch).ok());
  ASSERT_TRUE(store_->FlushAfterRestore().ok());
  EXPECT_EQ(store_->observed_stream_time_ms(), 200);
  EXPECT_EQ(store_->expired_writes(), 1U);  // a@10
  EXPECT_EQ(Drain(store_->FetchAll(0, 1000)), (std::vector<Win>{{"c", 120, "w"}, {"a", 200, "y"}}));
  EXPECT_EQ(store_->SegmentIds(), (std::vector<int64_t>{2, 3, 4}));  // 3 holds b's tombstone

  const std::vector<ChangelogRecord> bad = {{EncodeWindowKey("d", 210), "ok", 5},
                                            {"short", "v", 6}};
  const Status s = store_->ApplyRestoreBatch(bad);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("window store 'win': restore record at offset 6"), std::string::npos)
      << s.message();
  EXPECT_EQ(Fetch("d", 210), std::nullopt);  // nothing of the bad batch was written
}

TEST_F(WindowStoreTest, IteratorOutlivesDroppedSegmentAndBlocksClose) {
  Put("a", "10", 10);
  Put("a", "20", 20);
  auto it = store_->Fetch("a", 0, 100);
  ASSERT_TRUE(it.ok());
  Put("a", "500", 500);  // drops segment 0 while the iterator is open
  EXPECT_EQ(store_->SegmentIds(), (std::vector<int64_t>{10}));
  EXPECT_EQ(store_->Close().code(), StatusCode::kFailedPrecondition);
  std::vector<int64_t> starts;
  for (; (*it)->Valid(); (*it)->Next()) starts.push_back((*it)->window_start_ms());
  EXPECT_EQ(starts, (std::vector<int64_t>{10, 20}));  // the snapshot taken at creation
  it = Status::Internal("release");
  EXPECT_TRUE(store_->Close().ok());
  EXPECT_EQ(store_->Put("a", "v", 600).status().code(), StatusCode::kFailedPrecondition);
}

TEST(WindowStoreOptionsTest, RejectsNonPositiveRetention) {
  TempDir dir;
  WindowStoreOptions options;
  options.retention_ms = 0;
  auto s = RocksDbWindowStore::Open("w", dir.path() / "w", options);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
}

TEST(StoreKeysTest, WindowKeyGoldenBytesAndRoundTrip) {
  const std::string k = EncodeWindowKey("ab", 258);
  EXPECT_EQ(k,
            "\x00\x00\x00\x02"
            "ab"
            "\x00\x00\x00\x00\x00\x00\x01\x02"s);
  auto d = DecodeWindowKey(k);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->key, "ab");
  EXPECT_EQ(d->window_start_ms, 258);
  auto empty = DecodeWindowKey(EncodeWindowKey("", 0));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->key, "");
}

TEST(StoreKeysTest, SessionKeyGoldenBytesAndRoundTrip) {
  const std::string k = EncodeSessionKey("k\0"s, SessionWindow{1, 2});
  EXPECT_EQ(k,
            "\x00\x00\x00\x02k\x00"
            "\x00\x00\x00\x00\x00\x00\x00\x02"
            "\x00\x00\x00\x00\x00\x00\x00\x01"s);
  auto d = DecodeSessionKey(k);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->key, "k\0"s);
  EXPECT_EQ(d->session, (SessionWindow{1, 2}));
}

TEST(StoreKeysTest, MalformedKeysAreCorruption) {
  EXPECT_EQ(DecodeWindowKey("abc").status().code(), StatusCode::kCorruption);
  std::string wrong_len = EncodeWindowKey("ab", 1);
  wrong_len[3] = 3;
  const Status s = DecodeWindowKey(wrong_len).status();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("length prefix 3 but 2 key bytes"), std::string::npos) << s.message();
  std::string negative = EncodeWindowKey("", 0);
  negative[4] = '\x80';
  EXPECT_EQ(DecodeWindowKey(negative).status().code(), StatusCode::kCorruption);
  // A window key is not a session key, and a session with start > end is rejected.
  EXPECT_EQ(DecodeSessionKey(EncodeWindowKey("abcdefgh", 1)).status().code(),
            StatusCode::kCorruption);
  std::string swapped = EncodeSessionKey("", SessionWindow{0, 5});
  std::swap_ranges(swapped.begin() + 4, swapped.begin() + 12, swapped.begin() + 12);
  EXPECT_EQ(DecodeSessionKey(swapped).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace brook::state
