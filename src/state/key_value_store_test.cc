// Conformance suite for KeyValueBytesStore, run against every backend.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "state/in_memory_key_value_store.h"
#include "state/rocksdb_key_value_store.h"
#include "state/test_util.h"

namespace brook::state {
namespace {

using testing::Drain;
using testing::KvPairs;
using testing::TempDir;
using namespace std::string_literals;  // NOLINT(google-build-using-namespace)

struct InMemoryBackend {
  static constexpr bool kPersistent = false;
  static std::unique_ptr<KeyValueBytesStore> Open(const std::filesystem::path& /*dir*/) {
    return std::make_unique<InMemoryKeyValueStore>("kv");
  }
};

struct RocksDbBackend {
  static constexpr bool kPersistent = true;
  static std::unique_ptr<KeyValueBytesStore> Open(const std::filesystem::path& dir) {
    RocksDbStoreOptions options;
    options.block_cache_bytes = size_t{1} << 20;
    options.write_buffer_bytes = size_t{1} << 20;
    auto store = RocksDbKeyValueStore::Open("kv", dir / "kv", options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return nullptr;
    return std::move(store).value();
  }
};

template <typename Backend>
class KeyValueStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Backend::Open(dir_.path());
    ASSERT_NE(store_, nullptr);
  }
  void PutAll(const KvPairs& entries) {
    for (const auto& [k, v] : entries) ASSERT_TRUE(store_->Put(k, v).ok());
  }
  std::optional<std::string> Get(std::string_view key) {
    auto r = store_->Get(key);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  }

  TempDir dir_;
  std::unique_ptr<KeyValueBytesStore> store_;
};

using Backends = ::testing::Types<InMemoryBackend, RocksDbBackend>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int /*i*/) {
    return T::kPersistent ? "RocksDb" : "InMemory";
  }
};
TYPED_TEST_SUITE(KeyValueStoreTest, Backends, BackendNames);

TYPED_TEST(KeyValueStoreTest, PutGetOverwriteDelete) {
  auto& s = *this->store_;
  EXPECT_EQ(s.name(), "kv");
  EXPECT_EQ(this->Get("a"), std::nullopt);
  ASSERT_TRUE(s.Put("a", "1").ok());
  EXPECT_EQ(this->Get("a"), "1");
  ASSERT_TRUE(s.Put("a", "22").ok());
  EXPECT_EQ(this->Get("a"), "22");
  ASSERT_TRUE(s.Delete("a").ok());
  EXPECT_EQ(this->Get("a"), std::nullopt);
  EXPECT_TRUE(s.Delete("never-there").ok());
}

TYPED_TEST(KeyValueStoreTest, RangeBoundsAreInclusiveAndMayBeOpen) {
  this->PutAll({{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}});
  auto& s = *this->store_;
  EXPECT_EQ(Drain(s.Range("b", "c")), (KvPairs{{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(Drain(s.Range(std::nullopt, "b")), (KvPairs{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(Drain(s.Range("c", std::nullopt)), (KvPairs{{"c", "3"}, {"d", "4"}}));
  EXPECT_EQ(Drain(s.All()), (KvPairs{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}));
  // Bounds that are not keys.
  EXPECT_EQ(Drain(s.Range("aa", "cc")), (KvPairs{{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(Drain(s.Range("b", "b")), (KvPairs{{"b", "2"}}));
  EXPECT_TRUE(Drain(s.Range("c", "b")).empty());
  EXPECT_TRUE(Drain(s.Range("e", std::nullopt)).empty());
  EXPECT_TRUE(Drain(s.Range(std::nullopt, "0")).empty());
}

TYPED_TEST(KeyValueStoreTest, ReverseRange) {
  this->PutAll({{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}});
  auto& s = *this->store_;
  EXPECT_EQ(Drain(s.ReverseRange("b", "c")), (KvPairs{{"c", "3"}, {"b", "2"}}));
  EXPECT_EQ(Drain(s.ReverseRange(std::nullopt, "b")), (KvPairs{{"b", "2"}, {"a", "1"}}));
  EXPECT_EQ(Drain(s.ReverseRange("c", std::nullopt)), (KvPairs{{"d", "4"}, {"c", "3"}}));
  EXPECT_EQ(Drain(s.ReverseRange(std::nullopt, std::nullopt)),
            (KvPairs{{"d", "4"}, {"c", "3"}, {"b", "2"}, {"a", "1"}}));
  EXPECT_EQ(Drain(s.ReverseRange("aa", "cc")), (KvPairs{{"c", "3"}, {"b", "2"}}));
  EXPECT_TRUE(Drain(s.ReverseRange("c", "b")).empty());
  EXPECT_TRUE(Drain(s.ReverseRange("e", std::nullopt)).empty());
}

TYPED_TEST(KeyValueStoreTest, KeysOrderAsUnsignedBytes) {
  this->PutAll({{"\xff"s, "4"}, {"\x80"s, "3"}, {"\x7f"s, "2"}, {"\x01"s, "1"}});
  EXPECT_EQ(Drain(this->store_->All()),
            (KvPairs{{"\x01"s, "1"}, {"\x7f"s, "2"}, {"\x80"s, "3"}, {"\xff"s, "4"}}));
}

TYPED_TEST(KeyValueStoreTest, PrefixScanIncludingFfBytes) {
  this->PutAll({{"aa", "0"},
                {"ab", "1"},
                {"abc", "2"},
                {"ab\xff"s, "3"},
                {"ab\xff\xff"s, "4"},
                {"ac", "5"},
                {"\xff"s, "6"},
                {"\xff\x00"s, "7"},
                {"\xff\xff"s, "8"}});
  auto& s = *this->store_;
  EXPECT_EQ(Drain(s.PrefixScan("ab")),
            (KvPairs{{"ab", "1"}, {"abc", "2"}, {"ab\xff"s, "3"}, {"ab\xff\xff"s, "4"}}));
  EXPECT_EQ(Drain(s.PrefixScan("ab\xff"s)), (KvPairs{{"ab\xff"s, "3"}, {"ab\xff\xff"s, "4"}}));
  EXPECT_EQ(Drain(s.PrefixScan("\xff"s)),
            (KvPairs{{"\xff"s, "6"}, {"\xff\x00"s, "7"}, {"\xff\xff"s, "8"}}));
  EXPECT_EQ(Drain(s.PrefixScan("\xff\xff"s)), (KvPairs{{"\xff\xff"s, "8"}}));
  EXPECT_TRUE(Drain(s.PrefixScan("abd")).empty());
  EXPECT_TRUE(Drain(s.PrefixScan("\xff\xff\xff"s)).empty());
  EXPECT_EQ(Drain(s.PrefixScan("")).size(), 9U);
}

TYPED_TEST(KeyValueStoreTest, EmptyKeysAndValues) {
  auto& s = *this->store_;
  ASSERT_TRUE(s.Put("", "").ok());
  ASSERT_TRUE(s.Put("k", "").ok());
  EXPECT_EQ(this->Get(""), std::optional<std::string>(""));
  EXPECT_EQ(this->Get("k"), std::optional<std::string>(""));
  EXPECT_EQ(Drain(s.All()), (KvPairs{{"", ""}, {"k", ""}}));
  EXPECT_EQ(Drain(s.Range("", "")), (KvPairs{{"", ""}}));
  ASSERT_TRUE(s.Delete("").ok());
  EXPECT_EQ(this->Get(""), std::nullopt);
  EXPECT_EQ(Drain(s.All()), (KvPairs{{"k", ""}}));
}

TYPED_TEST(KeyValueStoreTest, BinaryKeysWithNulBytes) {
  this->PutAll({{"a\0b"s, "x\0y"s}, {"a"s, "1"}, {"a\0"s, "2"}});
  EXPECT_EQ(this->Get("a\0b"s), "x\0y"s);
  EXPECT_EQ(this->Get("a\0"s), "2");
  EXPECT_EQ(this->Get("a"), "1");
  EXPECT_EQ(this->Get("a\0c"s), std::nullopt);
  EXPECT_EQ(Drain(this->store_->All()), (KvPairs{{"a"s, "1"}, {"a\0"s, "2"}, {"a\0b"s, "x\0y"s}}));
  EXPECT_EQ(Drain(this->store_->PrefixScan("a\0"s)), (KvPairs{{"a\0"s, "2"}, {"a\0b"s, "x\0y"s}}));
}

TYPED_TEST(KeyValueStoreTest, WriteBatchAppliesInOrder) {
  this->PutAll({{"gone", "0"}});
  const std::vector<KeyValueWrite> batch = {
      {"a", "1"}, {"b", "2"}, {"a", "3"}, {"gone", std::nullopt}, {"b", std::nullopt}};
  ASSERT_TRUE(this->store_->Write(batch).ok());
  EXPECT_EQ(Drain(this->store_->All()), (KvPairs{{"a", "3"}}));
}

TYPED_TEST(KeyValueStoreTest, RestoreBatchWithTombstones) {
  this->PutAll({{"keep", "k"}, {"old", "o"}});
  const std::vector<ChangelogRecord> batch = {
      {"a", "1", 10}, {"old", std::nullopt, 11},    {"a", "2", 12},
      {"b", "3", 13}, {"absent", std::nullopt, 14}, {"b", std::nullopt, 15},
      {"c", "", 16}};
  ASSERT_TRUE(this->store_->ApplyRestoreBatch(batch).ok());
  ASSERT_TRUE(this->store_->FlushAfterRestore().ok());
  EXPECT_EQ(Drain(this->store_->All()), (KvPairs{{"a", "2"}, {"c", ""}, {"keep", "k"}}));
}

TYPED_TEST(KeyValueStoreTest, WritesDuringIterationKeepIteratorUsable) {
  this->PutAll({{"a", "1"}, {"b", "2"}, {"c", "3"}});
  auto it = this->store_->All();
  ASSERT_TRUE(it.ok());
  std::vector<std::string> seen;
  for (; (*it)->Valid(); (*it)->Next()) {
    const std::string key((*it)->key());
    ASSERT_TRUE(this->store_->Delete(key).ok());
    // The views stay valid after a write to the store.
    EXPECT_EQ((*it)->key(), key);
    seen.push_back(key);
  }
  EXPECT_TRUE((*it)->status().ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b", "c"}));
  it = Status::Internal("release");  // destroy the iterator
  EXPECT_TRUE(Drain(this->store_->All()).empty());
}

TYPED_TEST(KeyValueStoreTest, CloseWithOpenIteratorFailsThenCallsFailAfterClose) {
  this->PutAll({{"a", "1"}});
  {
    auto it = this->store_->All();
    ASSERT_TRUE(it.ok());
    const Status s = this->store_->Close();
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find("1 open iterator"), std::string::npos) << s.message();
  }
  ASSERT_TRUE(this->store_->Close().ok());
  EXPECT_TRUE(this->store_->Close().ok());  // idempotent
  EXPECT_EQ(this->store_->Put("a", "1").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->store_->Get("a").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(this->store_->All().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(this->store_->Flush().message().find("'kv' is closed"), std::string::npos);
}

TYPED_TEST(KeyValueStoreTest, ApproximateCounts) {
  this->PutAll({{"a", "1"}, {"bb", "22"}, {"ccc", "333"}});
  ASSERT_TRUE(this->store_->Flush().ok());
  auto n = this->store_->ApproximateNumEntries();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3U);
  auto bytes = this->store_->ApproximateSizeBytes();
  ASSERT_TRUE(bytes.ok());
  if constexpr (TypeParam::kPersistent) {
    EXPECT_GT(*bytes, 12U);
  } else {
    EXPECT_EQ(*bytes, 12U);
  }
}

TEST(RocksDbKeyValueStoreTest, ReopenKeepsWritesAndRestoredData) {
  TempDir dir;
  auto store = RocksDbBackend::Open(dir.path());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("a", "1").ok());
  ASSERT_TRUE(store->Put("b", "2").ok());
  ASSERT_TRUE(store->Delete("a").ok());
  const std::vector<ChangelogRecord> batch = {{"r", "restored", 7}};
  ASSERT_TRUE(store->ApplyRestoreBatch(batch).ok());
  ASSERT_TRUE(store->FlushAfterRestore().ok());
  ASSERT_TRUE(store->Close().ok());
  store = RocksDbBackend::Open(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Drain(store->All()), (KvPairs{{"b", "2"}, {"r", "restored"}}));
}

TEST(RocksDbKeyValueStoreTest, SecondOpenOfSameDirectoryFails) {
  TempDir dir;
  auto first = RocksDbKeyValueStore::Open("kv", dir.path() / "kv", RocksDbStoreOptions{});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = RocksDbKeyValueStore::Open("kv", dir.path() / "kv", RocksDbStoreOptions{});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kIoError);
  EXPECT_NE(second.status().message().find("state store 'kv' at "), std::string::npos);
}

TEST(RocksDbKeyValueStoreTest, SharedBlockCacheAndCompressionChoices) {
  TempDir dir;
  RocksDbStoreOptions options;
  options.block_cache = NewSharedBlockCache(size_t{1} << 20);
  options.compression = StoreCompression::kNone;
  auto a = RocksDbKeyValueStore::Open("a", dir.path() / "a", options);
  auto b = RocksDbKeyValueStore::Open("b", dir.path() / "b", options);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Put("k", "v").ok());
  ASSERT_TRUE((*a)->Flush().ok());
  auto got = (*a)->Get("k");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "v");
  EXPECT_GE(options.block_cache.use_count(), 3);  // ours and at least one per store
}

}  // namespace
}  // namespace brook::state
