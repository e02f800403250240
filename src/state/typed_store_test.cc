// Serdes and the typed store layer.
#include "state/typed_store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "state/in_memory_key_value_store.h"
#include "brook/state/serde.h"

namespace brook::state {
namespace {

using namespace std::string_literals;  // NOLINT(google-build-using-namespace)

static_assert(SerdeFor<StringSerde, std::string>);
static_assert(SerdeFor<Int64Serde, int64_t>);
static_assert(SerdeFor<DoubleSerde, double>);
static_assert(!SerdeFor<Int64Serde, std::string>);

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

TEST(TypedKeyValueStoreTest, PutGetDeleteRange) {
  TypedKeyValueStore<std::string, int64_t> store(std::make_unique<InMemoryKeyValueStore>("counts"));
  EXPECT_EQ(store.name(), "counts");
  ASSERT_TRUE(store.Put("apple", 3).ok());
  ASSERT_TRUE(store.Put("banana", -7).ok());
  ASSERT_TRUE(store.Put("cherry", 1LL << 40).ok());
  auto got = store.Get("banana");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::optional<int64_t>(-7));
  auto absent = store.Get("durian");
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(*absent, std::nullopt);
  // The bytes layer sees the serialized value.
  auto raw = store.bytes().Get("apple");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, "\x00\x00\x00\x00\x00\x00\x00\x03"s);

  auto it = store.Range("b", std::nullopt);
  ASSERT_TRUE(it.ok());
  std::vector<KeyValue<std::string, int64_t>> seen;
  for (; it->Valid(); it->Next()) {
    auto kv = it->Get();
    ASSERT_TRUE(kv.ok());
    seen.push_back(*kv);
  }
  EXPECT_EQ(seen,
            (std::vector<KeyValue<std::string, int64_t>>{{"banana", -7}, {"cherry", 1LL << 40}}));
  auto rev = store.ReverseRange(std::nullopt, "b");
  ASSERT_TRUE(rev.ok());
  ASSERT_TRUE(rev->Valid());
  EXPECT_EQ(rev->Get()->key, "apple");
  rev = Status::Internal("release");

  ASSERT_TRUE(store.Delete("apple").ok());
  auto deleted = store.Get("apple");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, std::nullopt);
}

TEST(TypedKeyValueStoreTest, DeserializationErrorsNameStoreFieldAndKey) {
  TypedKeyValueStore<std::string, int64_t> store(std::make_unique<InMemoryKeyValueStore>("counts"));
  ASSERT_TRUE(store.bytes().Put("bad\x01", "abc").ok());
  auto got = store.Get("bad\x01");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(got.status().message(),
            "state store 'counts': cannot deserialize value (int64) of key 'bad\\x01': "
            "int64 needs exactly 8 bytes, got 3");

  auto all = store.All();
  ASSERT_TRUE(all.ok());
  ASSERT_TRUE(all->Valid());
  EXPECT_NE(all->Get().status().message().find("value (int64)"), std::string::npos);
}

TEST(TypedKeyValueStoreTest, BadKeyBytesInIterator) {
  TypedKeyValueStore<int64_t, double> store(std::make_unique<InMemoryKeyValueStore>("avg"));
  ASSERT_TRUE(store.Put(5, 2.5).ok());
  ASSERT_TRUE(store.bytes().Put("xy", DoubleSerde().Serialize(1.0)).ok());
  auto all = store.All();
  ASSERT_TRUE(all.ok());
  ASSERT_TRUE(all->Valid());
  auto first = all->Get();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->key, 5);
  EXPECT_EQ(first->value, 2.5);
  all->Next();
  ASSERT_TRUE(all->Valid());
  const Status s = all->Get().status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "state store 'avg': cannot deserialize key (int64) of key 'xy': "
            "int64 needs exactly 8 bytes, got 2");
}

}  // namespace
}  // namespace brook::state
