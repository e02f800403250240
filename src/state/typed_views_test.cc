// Serdes and the typed store views (typed_views.h) over the bytes stores.
#include "brook/state/typed_views.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "brook/state/serde.h"
#include "state/in_memory_key_value_store.h"
#include "state/rocksdb_session_store.h"
#include "state/rocksdb_window_store.h"
#include "state/test_util.h"

namespace brook::state {
namespace {

using namespace std::string_literals;  // NOLINT(google-build-using-namespace)

static_assert(SerdeFor<StringSerde, std::string>);
static_assert(SerdeFor<Int64Serde, int64_t>);
static_assert(SerdeFor<DoubleSerde, double>);
static_assert(!SerdeFor<Int64Serde, std::string>);

// Runs f, which must throw brook::Error; returns it.
template <typename F>
Error Thrown(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no brook::Error thrown";
  return Error(StatusCode::kOk, "");
}

TEST(SerdeTest, Int64IsEightBytesBigEndian) {
  const Int64Serde serde;
  EXPECT_EQ(serde.Serialize(1), "\x00\x00\x00\x00\x00\x00\x00\x01"s);
  EXPECT_EQ(serde.Serialize(-1), std::string(8, '\xff'));
  EXPECT_EQ(serde.Serialize(0x0102030405060708), "\x01\x02\x03\x04\x05\x06\x07\x08"s);
  for (const int64_t v : {int64_t{0}, int64_t{-5}, std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max()}) {
    auto back = serde.Deserialize(serde.Serialize(v));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, v);
  }
  const Status s = serde.Deserialize("abc").status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "int64 needs exactly 8 bytes, got 3");
  EXPECT_FALSE(serde.Deserialize(std::string(9, '\0')).ok());
}

TEST(SerdeTest, DoubleIsIeeeBitsBigEndian) {
  const DoubleSerde serde;
  EXPECT_EQ(serde.Serialize(1.5), "\x3f\xf8\x00\x00\x00\x00\x00\x00"s);
  for (const double v : {0.0, -2.25, 1e300, std::numeric_limits<double>::infinity()}) {
    auto back = serde.Deserialize(serde.Serialize(v));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, v);
  }
  auto nan = serde.Deserialize(serde.Serialize(std::numeric_limits<double>::quiet_NaN()));
  ASSERT_TRUE(nan.ok());
  EXPECT_TRUE(std::isnan(*nan));
  EXPECT_EQ(serde.Deserialize("").status().message(), "double needs exactly 8 bytes, got 0");
}

TEST(SerdeTest, StringIsTheBytes) {
  const StringSerde serde;
  EXPECT_EQ(serde.Serialize("a\0b"s), "a\0b"s);
  auto back = serde.Deserialize("a\0b"s);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "a\0b"s);
}

TEST(KeyValueStoreViewTest, PutGetDeleteRange) {
  InMemoryKeyValueStore bytes("counts");
  KeyValueStore<std::string, int64_t> store(bytes);
  EXPECT_EQ(store.name(), "counts");
  store.Put("apple", 3);
  store.Put("banana", -7);
  store.Put("cherry", 1LL << 40);
  EXPECT_EQ(store.Get("banana"), std::optional<int64_t>(-7));
  EXPECT_EQ(store.Get("durian"), std::nullopt);
  // The bytes layer sees the serialized value.
  auto raw = store.bytes().Get("apple");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, "\x00\x00\x00\x00\x00\x00\x00\x03"s);

  using KVs = std::vector<KeyValue<std::string, int64_t>>;
  EXPECT_EQ(store.Range("b", std::nullopt).ToVector(),
            (KVs{{"banana", -7}, {"cherry", 1LL << 40}}));
  EXPECT_EQ(store.ReverseRange(std::nullopt, "b").ToVector(), (KVs{{"apple", 3}}));
  EXPECT_EQ(store.ReverseRange("b", std::nullopt).ToVector(),
            (KVs{{"cherry", 1LL << 40}, {"banana", -7}}));
  KVs via_range_for;
  for (const auto& kv : store.All()) via_range_for.push_back(kv);
  EXPECT_EQ(via_range_for, (KVs{{"apple", 3}, {"banana", -7}, {"cherry", 1LL << 40}}));
  EXPECT_EQ(store.ApproximateNumEntries(), 3U);

  store.Delete("apple");
  EXPECT_EQ(store.Get("apple"), std::nullopt);
  EXPECT_EQ(store.PutIfAbsent("banana", 5), std::optional<int64_t>(-7));
  EXPECT_EQ(store.PutIfAbsent("apple", 5), std::nullopt);
  EXPECT_EQ(store.Get("apple"), std::optional<int64_t>(5));
  store.PutAll({{"x1", 1}, {"x2", 2}});
  EXPECT_EQ(store.PrefixScan("x").ToVector(), (KVs{{"x1", 1}, {"x2", 2}}));
  EXPECT_EQ(store.PrefixScan(std::string("x2"), StringSerde()).ToVector(), (KVs{{"x2", 2}}));
}

TEST(KeyValueStoreViewTest, DeserializationErrorsNameStoreFieldAndKey) {
  InMemoryKeyValueStore bytes("counts");
  KeyValueStore<std::string, int64_t> store(bytes);
  ASSERT_TRUE(bytes.Put("bad\x01", "abc").ok());
  const Error e = Thrown([&] { (void)store.Get("bad\x01"); });
  EXPECT_EQ(e.code(), StatusCode::kInvalidArgument);
  EXPECT_STREQ(e.what(),
               "state store 'counts': cannot deserialize value (int64) of key 'bad\\x01': "
               "int64 needs exactly 8 bytes, got 3");

  auto all = store.All();
  ASSERT_TRUE(all.Valid());
  EXPECT_EQ(all.key(), "bad\x01");  // the key alone is fine
  EXPECT_NE(std::string(Thrown([&] { (void)all.Get(); }).what()).find("value (int64)"),
            std::string::npos);
}

TEST(KeyValueStoreViewTest, BadKeyBytesInIterator) {
  InMemoryKeyValueStore bytes("avg");
  KeyValueStore<int64_t, double> store(bytes);
  store.Put(5, 2.5);
  ASSERT_TRUE(bytes.Put("xy", DoubleSerde().Serialize(1.0)).ok());
  auto all = store.All();
  ASSERT_TRUE(all.Valid());
  const KeyValue<int64_t, double> first = all.Get();
  EXPECT_EQ(first.key, 5);
  EXPECT_EQ(first.value, 2.5);
  all.Next();
  ASSERT_TRUE(all.Valid());
  const Error e = Thrown([&] { (void)all.Get(); });
  EXPECT_EQ(e.code(), StatusCode::kInvalidArgument);
  EXPECT_STREQ(e.what(),
               "state store 'avg': cannot deserialize key (int64) of key 'xy': "
               "int64 needs exactly 8 bytes, got 2");
}

TEST(KeyValueStoreViewTest, StoreErrorsThrowWithTheStoreCode) {
  InMemoryKeyValueStore bytes("closed");
  KeyValueStore<std::string, std::string> store(bytes);
  ASSERT_TRUE(bytes.Close().ok());
  EXPECT_EQ(Thrown([&] { store.Put("k", "v"); }).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Thrown([&] { (void)store.Get("k"); }).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Thrown([&] { (void)store.All(); }).code(), StatusCode::kFailedPrecondition);
}

TEST(WindowStoreViewTest, PutFetchAndRanges) {
  testing::TempDir dir;
  WindowStoreOptions options;
  options.retention_ms = 1000;
  options.rocksdb.write_buffer_bytes = size_t{1} << 20;
  options.rocksdb.block_cache_bytes = size_t{1} << 20;
  auto opened = RocksDbWindowStore::Open("win", dir.path() / "win", options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<RocksDbWindowStore> bytes = std::move(opened).value();
  {
    WindowStore<std::string, int64_t> store(*bytes);
    EXPECT_EQ(store.name(), "win");
    EXPECT_EQ(store.Put("a", 1, 100), WriteOutcome::kWritten);
    EXPECT_EQ(store.Put("a", 2, 200), WriteOutcome::kWritten);
    EXPECT_EQ(store.Put("b", 3, 200), WriteOutcome::kWritten);
    EXPECT_EQ(store.Put("a", 4, 900), WriteOutcome::kWritten);
    EXPECT_EQ(store.Fetch("a", 200), std::optional<int64_t>(2));
    EXPECT_EQ(store.Fetch("a", 300), std::nullopt);

    using Ws = std::vector<WindowedEntry<std::string, int64_t>>;
    EXPECT_EQ(store.Fetch("a", 0, 1000).ToVector(),
              (Ws{{"a", 100, 1}, {"a", 200, 2}, {"a", 900, 4}}));
    EXPECT_EQ(store.FetchBackward("a", 150, 1000).ToVector(), (Ws{{"a", 900, 4}, {"a", 200, 2}}));
    Ws all;
    for (const auto& w : store.FetchAll(0, 250)) all.push_back(w);
    EXPECT_EQ(all, (Ws{{"a", 100, 1}, {"a", 200, 2}, {"b", 200, 3}}));
    EXPECT_EQ(store.Delete("a", 200), WriteOutcome::kWritten);
    EXPECT_EQ(store.Fetch("a", 200), std::nullopt);
    // Stream time 2500 expires windows starting at or before 1500.
    EXPECT_EQ(store.Put("a", 5, 2500), WriteOutcome::kWritten);
    EXPECT_EQ(store.Put("a", 9, 1000), WriteOutcome::kExpired);
    EXPECT_EQ(store.Fetch("a", 900), std::nullopt);
    EXPECT_EQ(Thrown([&] { store.Put("a", 1, -1); }).code(), StatusCode::kInvalidArgument);

    ASSERT_TRUE(bytes->Put("b", "xyz", 4000).ok());
    const Error e = Thrown([&] { (void)store.Fetch("b", 4000); });
    EXPECT_STREQ(e.what(),
                 "state store 'win': cannot deserialize value (int64) of key 'b': "
                 "int64 needs exactly 8 bytes, got 3");
  }
  ASSERT_TRUE(bytes->Close().ok());
}

TEST(SessionStoreViewTest, PutFindRemove) {
  testing::TempDir dir;
  SessionStoreOptions options;
  options.retention_ms = 1000;
  options.rocksdb.write_buffer_bytes = size_t{1} << 20;
  options.rocksdb.block_cache_bytes = size_t{1} << 20;
  auto opened = RocksDbSessionStore::Open("sess", dir.path() / "sess", options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<RocksDbSessionStore> bytes = std::move(opened).value();
  {
    SessionStore<std::string, std::string> store(*bytes);
    EXPECT_EQ(store.Put("u", {10, 20}, "s1"), WriteOutcome::kWritten);
    EXPECT_EQ(store.Put("u", {50, 60}, "s2"), WriteOutcome::kWritten);
    EXPECT_EQ(store.Put("v", {15, 15}, "s3"), WriteOutcome::kWritten);
    EXPECT_EQ(store.FetchSession("u", {10, 20}), std::optional<std::string>("s1"));
    EXPECT_EQ(store.FetchSession("u", {10, 21}), std::nullopt);

    using Ss = std::vector<SessionEntry<std::string, std::string>>;
    EXPECT_EQ(store.Fetch("u").ToVector(), (Ss{{"u", {10, 20}, "s1"}, {"u", {50, 60}, "s2"}}));
    // Sessions overlapping [18, 30]: only [10, 20].
    EXPECT_EQ(store.FindSessions("u", 18, 30).ToVector(), (Ss{{"u", {10, 20}, "s1"}}));
    EXPECT_EQ(store.Remove("u", {10, 20}), WriteOutcome::kWritten);
    EXPECT_EQ(store.Fetch("u").ToVector(), (Ss{{"u", {50, 60}, "s2"}}));
    EXPECT_EQ(Thrown([&] { store.Put("u", {5, 4}, "bad"); }).code(), StatusCode::kInvalidArgument);
  }
  ASSERT_TRUE(bytes->Close().ok());
}

}  // namespace
}  // namespace brook::state
