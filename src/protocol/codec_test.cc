#include "protocol/codec.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <limits>
#include <new>
#include <sstream>
#include <string>

#include "protocol/framing.h"
#include "protocol/messages.h"
#include "protocol/test_util.h"

// The test binary tracks the largest single allocation so that tests can check that hostile
// lengths are rejected before anything is reserved.
namespace {
std::atomic<size_t> g_largest_allocation{0};
}  // namespace

// noinline: once inlined into a caller, gcc -O2 sees free() on a pointer from operator new
// and warns (-Wmismatched-new-delete), although the pair is consistent.
[[gnu::noinline]] void* operator new(size_t n) {
  size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
  while (n > seen && !g_largest_allocation.compare_exchange_weak(seen, n)) {
  }
  void* p = std::malloc(n == 0 ? 1 : n);  // NOLINT(cppcoreguidelines-no-malloc)
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);  // NOLINT(cppcoreguidelines-no-malloc)
}
[[gnu::noinline]] void operator delete(void* p, size_t /*n*/) noexcept {
  std::free(p);  // NOLINT(cppcoreguidelines-no-malloc)
}

namespace brook::protocol {
namespace {

using test::Hex;
using test::ToHex;

template <typename T>
T Ok(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : T{};
}

std::string ErrorOf(const Status& s) {
  EXPECT_FALSE(s.ok());
  return s.message();
}

template <typename T>
std::string ErrorOf(const Result<T>& r) {
  EXPECT_FALSE(r.ok());
  return r.status().message();
}

TEST(ProtocolCodec, FixedWidthIntegersAreBigEndian) {
  Bytes out;
  Writer w(&out);
  w.WriteInt8(-2);
  w.WriteInt16(0x1234);
  w.WriteInt32(-2);
  w.WriteInt64(0x0102030405060708);
  w.WriteUint16(0xfffe);
  w.WriteUint32(0x80000001U);
  w.WriteBool(true);
  EXPECT_EQ(ToHex(out), "fe 12 34 ff ff ff fe 01 02 03 04 05 06 07 08 ff fe 80 00 00 01 01");

  Reader r(out);
  EXPECT_EQ(Ok(r.ReadInt8("a")), -2);
  EXPECT_EQ(Ok(r.ReadInt16("b")), 0x1234);
  EXPECT_EQ(Ok(r.ReadInt32("c")), -2);
  EXPECT_EQ(Ok(r.ReadInt64("d")), 0x0102030405060708);
  EXPECT_EQ(Ok(r.ReadUint16("e")), 0xfffe);
  EXPECT_EQ(Ok(r.ReadUint32("f")), 0x80000001U);
  EXPECT_TRUE(Ok(r.ReadBool("g")));
  EXPECT_TRUE(r.ExpectEnd().ok());
}

TEST(ProtocolCodec, Float64UuidAndBool) {
  Bytes out;
  Writer w(&out);
  w.WriteFloat64(1.5);
  Uuid u{};
  for (size_t i = 0; i < u.size(); ++i) u[i] = static_cast<uint8_t>(i);
  w.WriteUuid(u);
  EXPECT_EQ(ToHex(out), "3f f8 00 00 00 00 00 00 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f");
  Reader r(out);
  EXPECT_EQ(Ok(r.ReadFloat64("f")), 1.5);
  EXPECT_EQ(Ok(r.ReadUuid("u")), u);

  // Any non-zero byte reads as true, as in Kafka.
  const Bytes b = Hex("00 02");
  Reader rb(b);
  EXPECT_FALSE(Ok(rb.ReadBool("x")));
  EXPECT_TRUE(Ok(rb.ReadBool("y")));
}

TEST(ProtocolCodec, ShortReadsNameFieldOffsetAndSizes) {
  const Bytes b = Hex("00 01 02");
  Reader r(b);
  EXPECT_EQ(Ok(r.ReadInt8("first")), 0);
  EXPECT_EQ(ErrorOf(r.ReadInt32("second")), "field second: need 4 bytes at offset 1, have 2");
  EXPECT_EQ(r.ReadInt64("x").status().code(), StatusCode::kCorruption);
}

TEST(ProtocolCodec, UnsignedVarintBoundaries) {
  const struct {
    uint32_t value;
    const char* hex;
  } cases[] = {
      {0, "00"},
      {1, "01"},
      {127, "7f"},
      {128, "80 01"},
      {300, "ac 02"},
      {16383, "ff 7f"},
      {16384, "80 80 01"},
      {0x80000000U, "80 80 80 80 08"},
      {0xffffffffU, "ff ff ff ff 0f"},
  };
  for (const auto& c : cases) {
    Bytes out;
    Writer w(&out);
    w.WriteUnsignedVarint(c.value);
    EXPECT_EQ(ToHex(out), c.hex) << c.value;
    Reader r(out);
    EXPECT_EQ(Ok(r.ReadUnsignedVarint("v")), c.value);
    EXPECT_TRUE(r.ExpectEnd().ok());
  }
}

TEST(ProtocolCodec, UnsignedVarintLongerThanFiveBytesIsAnError) {
  const Bytes too_long = Hex("80 80 80 80 80 01");
  Reader r(too_long);
  EXPECT_EQ(ErrorOf(r.ReadUnsignedVarint("count")),
            "field count: unsigned varint at offset 0 is longer than 5 bytes");
  const Bytes overflow = Hex("ff ff ff ff 1f");
  Reader r2(overflow);
  EXPECT_EQ(ErrorOf(r2.ReadUnsignedVarint("count")),
            "field count: unsigned varint at offset 0 overflows 32 bits");
  const Bytes truncated = Hex("ff ff");
  Reader r3(truncated);
  EXPECT_EQ(ErrorOf(r3.ReadUnsignedVarint("count")),
            "field count: need 1 byte at offset 2, have 0");
}

TEST(ProtocolCodec, ZigzagVarintAndVarlong) {
  const struct {
    int32_t value;
    const char* hex;
  } ints[] = {{0, "00"},
              {-1, "01"},
              {1, "02"},
              {-64, "7f"},
              {64, "80 01"},
              {std::numeric_limits<int32_t>::max(), "fe ff ff ff 0f"},
              {std::numeric_limits<int32_t>::min(), "ff ff ff ff 0f"}};
  for (const auto& c : ints) {
    Bytes out;
    Writer w(&out);
    w.WriteVarint(c.value);
    EXPECT_EQ(ToHex(out), c.hex) << c.value;
    Reader r(out);
    EXPECT_EQ(Ok(r.ReadVarint("v")), c.value);
  }
  const struct {
    int64_t value;
    const char* hex;
  } longs[] = {{0, "00"},
               {-1, "01"},
               {150, "ac 02"},
               {std::numeric_limits<int64_t>::max(), "fe ff ff ff ff ff ff ff ff 01"},
               {std::numeric_limits<int64_t>::min(), "ff ff ff ff ff ff ff ff ff 01"}};
  for (const auto& c : longs) {
    Bytes out;
    Writer w(&out);
    w.WriteVarlong(c.value);
    EXPECT_EQ(ToHex(out), c.hex) << c.value;
    Reader r(out);
    EXPECT_EQ(Ok(r.ReadVarlong("v")), c.value);
  }
  const Bytes eleven = Hex("80 80 80 80 80 80 80 80 80 80 01");
  Reader r(eleven);
  EXPECT_EQ(ErrorOf(r.ReadVarlong("ts")), "field ts: varlong at offset 0 is longer than 10 bytes");
  const Bytes overflow = Hex("ff ff ff ff ff ff ff ff ff 03");
  Reader r2(overflow);
  EXPECT_EQ(ErrorOf(r2.ReadVarlong("ts")), "field ts: varlong at offset 0 overflows 64 bits");
}

TEST(ProtocolCodec, ClassicAndCompactStrings) {
  Bytes out;
  Writer w(&out);
  ASSERT_TRUE(w.WriteString("a", "hi").ok());
  ASSERT_TRUE(w.WriteNullableString("b", std::nullopt).ok());
  ASSERT_TRUE(w.WriteCompactString("c", "hi").ok());
  ASSERT_TRUE(w.WriteCompactNullableString("d", std::nullopt).ok());
  ASSERT_TRUE(w.WriteCompactNullableString("e", std::string()).ok());
  EXPECT_EQ(ToHex(out), "00 02 68 69 ff ff 03 68 69 00 01");
  Reader r(out);
  EXPECT_EQ(Ok(r.ReadString("a")), "hi");
  EXPECT_EQ(Ok(r.ReadNullableString("b")), std::nullopt);
  EXPECT_EQ(Ok(r.ReadCompactString("c")), "hi");
  EXPECT_EQ(Ok(r.ReadCompactNullableString("d")), std::nullopt);
  EXPECT_EQ(Ok(r.ReadCompactNullableString("e")), std::optional<std::string>(""));
  EXPECT_TRUE(r.ExpectEnd().ok());
}

TEST(ProtocolCodec, BadStringLengths) {
  const Bytes null_classic = Hex("ff ff");
  Reader r1(null_classic);
  EXPECT_EQ(ErrorOf(r1.ReadString("name")),
            "field name: null at offset 2 but the field is not nullable");
  const Bytes negative = Hex("ff fe");
  Reader r2(negative);
  EXPECT_EQ(ErrorOf(r2.ReadNullableString("name")),
            "field name: invalid length -2 before offset 2");
  const Bytes short_data = Hex("00 05 61 62");
  Reader r3(short_data);
  EXPECT_EQ(ErrorOf(r3.ReadString("name")), "field name: need 5 bytes at offset 2, have 2");
  const Bytes null_compact = Hex("00");
  Reader r4(null_compact);
  EXPECT_EQ(ErrorOf(r4.ReadCompactString("name")),
            "field name: null at offset 1 but the field is not nullable");
  // Kafka caps strings at 32767 bytes even in compact form.
  const Bytes too_long = Hex("81 80 02");  // 32769 - 1 = 32768
  Reader r5(too_long);
  EXPECT_EQ(ErrorOf(r5.ReadCompactString("name")),
            "field name: length 32768 before offset 3 exceeds the maximum 32767");

  Bytes out;
  Writer w(&out);
  EXPECT_EQ(ErrorOf(w.WriteString("name", std::string(40000, 'x'))),
            "field name: string of 40000 bytes exceeds the maximum 32767");
  EXPECT_EQ(w.WriteCompactString("name", std::string(40000, 'x')).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.empty());
}

TEST(ProtocolCodec, BytesClassicAndCompact) {
  Bytes out;
  Writer w(&out);
  const Bytes payload = {0xde, 0xad};
  ASSERT_TRUE(w.WriteBytes("a", payload).ok());
  ASSERT_TRUE(w.WriteNullableBytes("b", std::nullopt).ok());
  ASSERT_TRUE(w.WriteCompactBytes("c", payload).ok());
  ASSERT_TRUE(w.WriteCompactNullableBytes("d", std::nullopt).ok());
  EXPECT_EQ(ToHex(out), "00 00 00 02 de ad ff ff ff ff 03 de ad 00");
  Reader r(out);
  EXPECT_EQ(Ok(r.ReadBytes("a")), payload);
  EXPECT_EQ(Ok(r.ReadNullableBytes("b")), std::nullopt);
  EXPECT_EQ(Ok(r.ReadCompactBytes("c")), payload);
  EXPECT_EQ(Ok(r.ReadCompactNullableBytes("d")), std::nullopt);

  const Bytes negative = Hex("ff ff ff fe");
  Reader r2(negative);
  EXPECT_EQ(ErrorOf(r2.ReadNullableBytes("m")), "field m: invalid length -2 before offset 4");
}

TEST(ProtocolCodec, ArrayLengths) {
  Bytes out;
  Writer w(&out);
  ASSERT_TRUE(w.WriteArrayLength("a", 2).ok());
  ASSERT_TRUE(w.WriteArrayLength("b", std::nullopt).ok());
  ASSERT_TRUE(w.WriteCompactArrayLength("c", 2).ok());
  ASSERT_TRUE(w.WriteCompactArrayLength("d", std::nullopt).ok());
  w.WriteInt16(0);  // two bytes of "elements" so the counts of 2 fit
  EXPECT_EQ(ToHex(out), "00 00 00 02 ff ff ff ff 03 00 00 00");
  Reader r(out);
  EXPECT_EQ(Ok(r.ReadArrayLength("a", 1)), std::optional<size_t>(2));
  EXPECT_EQ(Ok(r.ReadArrayLength("b", 1)), std::nullopt);
  EXPECT_EQ(Ok(r.ReadCompactArrayLength("c", 1)), std::optional<size_t>(2));
  EXPECT_EQ(Ok(r.ReadCompactArrayLength("d", 1)), std::nullopt);

  // Three int32 elements need 12 bytes.
  const Bytes three_ints = Hex("00 00 00 03 00 00 00 01 00 00 00 02");
  Reader r2(three_ints);
  EXPECT_EQ(ErrorOf(r2.ReadArrayLength("partitions", 4)),
            "field partitions: array of 3 elements needs at least 12 bytes at offset 4, have 8");
  const Bytes negative = Hex("ff ff ff 00");
  Reader r3(negative);
  EXPECT_EQ(ErrorOf(r3.ReadArrayLength("topics", 1)),
            "field topics: invalid length -256 before offset 4");
}

TEST(ProtocolCodec, HugeDeclaredLengthsFailFastWithoutAllocating) {
  const struct {
    const char* what;
    const char* hex;
    Status (*read)(Reader&);
  } cases[] = {
      {"int32 array count 0x7fffffff", "7f ff ff ff 00 00",
       [](Reader& r) { return r.ReadArrayLength("a", 1).status(); }},
      {"compact array count uvarint 2^31", "80 80 80 80 08 00",
       [](Reader& r) { return r.ReadCompactArrayLength("a", 1).status(); }},
      {"bytes length 0x7fffffff", "7f ff ff ff 00",
       [](Reader& r) { return r.ReadBytes("b").status(); }},
      {"compact bytes length 2^31", "80 80 80 80 08 00",
       [](Reader& r) { return r.ReadCompactBytes("b").status(); }},
      {"compact bytes length 2^32-2", "ff ff ff ff 0f 00",
       [](Reader& r) { return r.ReadCompactNullableBytes("b").status(); }},
      {"string length 0x7fff", "7f ff 00", [](Reader& r) { return r.ReadString("s").status(); }},
      {"tagged field count 2^31", "80 80 80 80 08 00",
       [](Reader& r) { return r.SkipTaggedFields(); }},
  };
  for (const auto& c : cases) {
    const Bytes input = Hex(c.hex);
    Reader r(input);
    g_largest_allocation = 0;
    const Status s = c.read(r);
    EXPECT_FALSE(s.ok()) << c.what;
    EXPECT_LT(g_largest_allocation.load(), 4096U) << c.what;
  }

  // The same through a whole message: JoinGroupResponse v5 claiming 0x7fffffff members.
  const Bytes join =
      Hex("00000000 0000 00000001"  // throttle_time_ms, error_code, generation_id
          "0000 0000 0000"          // protocol_name, leader, member_id (empty)
          "7fffffff"                // members: count
          "0000");                  // ... and two bytes of data
  g_largest_allocation = 0;
  const Result<JoinGroupResponse> decoded = DecodeMessage<JoinGroupResponse>(join, 5);
  EXPECT_EQ(ErrorOf(decoded),
            "JoinGroupResponse v5: field members: array of 2147483647 elements needs at least "
            "2147483647 bytes at offset 20, have 2");
  EXPECT_LT(g_largest_allocation.load(), 4096U);
}

TEST(ProtocolCodec, TaggedFieldsSkipUnknownAndKeepKnown) {
  // Three tagged fields: tag 1 (unknown, 2 bytes), tag 5 (known int32), tag 200 (unknown).
  const Bytes b = Hex("03  01 02 aa bb  05 04 00 00 00 2a  c8 01 01 ff  77");
  Reader r(b);
  int32_t known = 0;
  std::vector<uint32_t> seen;
  const Status s = r.ReadTaggedFields([&](uint32_t tag, Reader& tr) -> Result<bool> {
    seen.push_back(tag);
    if (tag != 5) return false;
    BROOK_ASSIGN_OR_RETURN(known, tr.ReadInt32("five"));
    return true;
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(known, 42);
  EXPECT_EQ(seen, (std::vector<uint32_t>{1, 5, 200}));
  EXPECT_EQ(Ok(r.ReadInt8("after")), 0x77);

  // A known field that does not use all of its declared bytes is an error.
  const Bytes extra = Hex("01 05 05 00 00 00 2a 00");
  Reader r2(extra);
  const Status s2 = r2.ReadTaggedFields([&](uint32_t /*tag*/, Reader& tr) -> Result<bool> {
    BROOK_ASSIGN_OR_RETURN(known, tr.ReadInt32("five"));
    return true;
  });
  EXPECT_EQ(ErrorOf(s2),
            "field tagged_fields: tagged field 5 at offset 3 declares 5 bytes but its value "
            "used 4");

  // A known field cannot read past its declared size.
  const Bytes short_field = Hex("01 05 02 00 00 00 2a");
  Reader r3(short_field);
  const Status s3 = r3.ReadTaggedFields([&](uint32_t /*tag*/, Reader& tr) -> Result<bool> {
    BROOK_ASSIGN_OR_RETURN(known, tr.ReadInt32("five"));
    return true;
  });
  EXPECT_EQ(ErrorOf(s3), "field five: need 4 bytes at offset 3, have 2");

  // Declared sizes beyond the input.
  const Bytes oversize = Hex("01 07 10 00");
  Reader r4(oversize);
  EXPECT_EQ(ErrorOf(r4.SkipTaggedFields()),
            "field tagged_fields: need 16 bytes at offset 3, have 1");
  const Bytes too_many = Hex("05 00 00");
  Reader r5(too_many);
  EXPECT_EQ(ErrorOf(r5.SkipTaggedFields()),
            "field tagged_fields: 5 tagged fields cannot fit in the 2 bytes left");
}

TEST(ProtocolCodec, PathScopesNameNestedFields) {
  const Bytes b = Hex("00 00 00 00 04 00");
  Reader r(b);
  ASSERT_TRUE(r.ReadInt16("x").ok());
  const PathScope members(r.path(), "members", 2);
  {
    const PathScope inner(r.path(), "owned");
    EXPECT_EQ(ErrorOf(r.ReadBytes("metadata")),
              "field members[2].owned.metadata: need 1024 bytes at offset 6, have 0");
  }
  EXPECT_EQ(r.path().Format("metadata"), "members[2].metadata");
  EXPECT_EQ(r.path().Format(""), "members[2]");
}

TEST(ProtocolCodec, WriterAppendsToStringAndTruncates) {
  std::string out = "ab";
  Writer w(&out);
  w.WriteInt16(0x6364);
  ASSERT_TRUE(w.WriteCompactString("s", "e").ok());
  EXPECT_EQ(out, std::string("abcd\x02"
                             "e"));
  EXPECT_EQ(w.size(), 6U);
  w.Truncate(2);
  EXPECT_EQ(out, "ab");
}

TEST(ProtocolCodec, ExpectEndReportsTrailingBytes) {
  const Bytes b = Hex("00 01 02 03");
  Reader r(b);
  ASSERT_TRUE(r.ReadInt8("a").ok());
  EXPECT_EQ(ErrorOf(r.ExpectEnd()), "3 trailing bytes at offset 1");
  ASSERT_TRUE(r.Skip("rest", 3).ok());
  EXPECT_TRUE(r.ExpectEnd().ok());
  EXPECT_EQ(ErrorOf(r.Skip("more", 1)), "field more: need 1 byte at offset 4, have 0");
}

TEST(ProtocolCodec, PrintValueIsReadable) {
  std::ostringstream os;
  internal::PrintValue(os, std::optional<std::string>("a\"b"));
  os << ' ';
  internal::PrintValue(os, std::optional<Bytes>());
  os << ' ';
  internal::PrintValue(os, Bytes{0x01, 0xab});
  os << ' ';
  internal::PrintValue(os, std::vector<int8_t>{1, -1});
  EXPECT_EQ(os.str(), "\"a\\\"b\" null <2 bytes 01ab> [1, -1]");
}

}  // namespace
}  // namespace brook::protocol
