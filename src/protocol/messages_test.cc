// Round trips of every generated message at every supported version, in two shapes (every
// field set to a non-default value; nullable fields null), plus truncation, trailing-byte
// and unknown-tag checks on each encoding.
#include "protocol/messages.h"

#include <gtest/gtest.h>

#include <functional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "protocol/framing.h"
#include "protocol/messages_testing.h"
#include "protocol/test_util.h"

namespace brook::protocol {
namespace {

using testing::Sample;
using testing::SampleKind;

struct Case {
  std::string name;  // "JoinGroupRequest_v5_full"
  std::function<void()> run;
};

// Encodes a sample, decodes it, compares, re-encodes to the same bytes; every strict prefix
// must fail to decode and one extra byte must be reported as trailing.
template <typename T>
void CheckRoundTrip(int16_t version, SampleKind kind) {
  const T sample = Sample<T>(version, kind);
  const Result<Bytes> encoded = EncodeMessage(sample, version);
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  const Bytes& bytes = *encoded;

  const Result<T> decoded = DecodeMessage<T>(bytes, version);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString() << "\n" << test::ToHex(bytes);
  EXPECT_EQ(*decoded, sample);

  const Result<Bytes> again = EncodeMessage(*decoded, version);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(test::ToHex(*again), test::ToHex(bytes));

  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::span<const uint8_t> prefix(bytes.data(), n);
    const Result<T> cut = DecodeMessage<T>(prefix, version);
    ASSERT_FALSE(cut.ok()) << "prefix of " << n << " of " << bytes.size() << " bytes decoded";
    EXPECT_EQ(cut.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(cut.status().message().rfind(
                  std::string(T::kName) + " v" + std::to_string(version) + ": ", 0),
              0U)
        << cut.status().message();
  }

  Bytes longer = bytes;
  longer.push_back(0);
  const Result<T> trailing = DecodeMessage<T>(longer, version);
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().message(), std::string(T::kName) + " v" + std::to_string(version) +
                                             ": 1 trailing byte at offset " +
                                             std::to_string(bytes.size()));
}

// In flexible versions a minimal message ends with an empty top-level tagged-fields section
// (one 0x00 byte). Replacing it with two unknown tagged fields must decode to the same value.
template <typename T>
void CheckUnknownTagsSkipped(int16_t version) {
  const T sample = Sample<T>(version, SampleKind::kMinimal);
  Result<Bytes> encoded = EncodeMessage(sample, version);
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  Bytes bytes = std::move(encoded).value();
  ASSERT_FALSE(bytes.empty());
  ASSERT_EQ(bytes.back(), 0) << "expected an empty tagged-fields section at the end";
  bytes.pop_back();
  const Bytes tags = test::Hex("02  63 03 01 02 03  e8 07 00");  // tags 99 and 1000
  bytes.insert(bytes.end(), tags.begin(), tags.end());
  const Result<T> decoded = DecodeMessage<T>(bytes, version);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, sample);
}

template <typename T>
void AddCases(std::vector<Case>& cases) {
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    const std::string base = std::string(T::kName) + "_v" + std::to_string(v);
    cases.push_back({base + "_full", [v] { CheckRoundTrip<T>(v, SampleKind::kFull); }});
    cases.push_back({base + "_minimal", [v] { CheckRoundTrip<T>(v, SampleKind::kMinimal); }});
    if (v >= T::kFirstFlexibleVersion) {
      cases.push_back({base + "_unknown_tags", [v] { CheckUnknownTagsSkipped<T>(v); }});
    }
  }
}

template <typename Tuple>
void AddAll(std::vector<Case>& cases) {
  std::apply([&cases](const auto&... m) { (AddCases<std::decay_t<decltype(m)>>(cases), ...); },
             Tuple{});
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  AddAll<HeaderTypes>(cases);
  AddAll<RequestTypes>(cases);
  AddAll<ResponseTypes>(cases);
  AddAll<DataTypes>(cases);
  return cases;
}

// One test per case, registered at start-up so that ctest lists them by name
// (ProtocolRoundTrip.JoinGroupRequest_v5_full). Static registration is what gtest's own
// TEST() does; an exception here would be a bug in the test itself.
class ProtocolRoundTrip : public ::testing::Test {
 public:
  explicit ProtocolRoundTrip(std::function<void()> run) : run_(std::move(run)) {}
  void TestBody() override { run_(); }

 private:
  std::function<void()> run_;
};

[[maybe_unused]] const bool kRegistered = [] {  // NOLINT(cert-err58-cpp)
  for (Case& c : AllCases()) {
    ::testing::RegisterTest(
        "ProtocolRoundTrip", c.name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
        [run = std::move(c.run)]() -> ::testing::Test* { return new ProtocolRoundTrip(run); });
  }
  return true;
}();

// The samples themselves: a full sample differs from a default-constructed message in every
// version that has fields, so the round trips above exercise real values.
template <typename T>
void ExpectFullSamplesAreNotDefault() {
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    const Result<Bytes> full = EncodeMessage(Sample<T>(v, SampleKind::kFull), v);
    const Result<Bytes> empty = EncodeMessage(T{}, v);
    ASSERT_TRUE(full.ok() && empty.ok()) << T::kName << " v" << v;
    const bool has_fields = !(std::is_same_v<T, ApiVersionsRequest> && v < 3);
    if (has_fields) {
      EXPECT_NE(test::ToHex(*full), test::ToHex(*empty)) << T::kName << " v" << v;
    }
  }
}

TEST(ProtocolMessages, FullSamplesCarryNonDefaultValues) {
  std::apply(
      [](const auto&... m) { (ExpectFullSamplesAreNotDefault<std::decay_t<decltype(m)>>(), ...); },
      std::tuple_cat(RequestTypes{}, ResponseTypes{}, DataTypes{}));
}

TEST(ProtocolMessages, UnsupportedVersionsAreRejected) {
  Bytes out;
  Writer w(&out);
  const Status s = Encode(JoinGroupRequest{}, 10, w);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "JoinGroupRequest: version 10 is not supported (brook implements 0-9)");
  EXPECT_EQ(Encode(OffsetCommitRequest{}, 1, w).message(),
            "OffsetCommitRequest: version 1 is not supported (brook implements 2-9)");
  EXPECT_TRUE(out.empty());
  const Bytes empty;
  EXPECT_EQ(DecodeMessage<OffsetFetchResponse>(empty, 0).status().message(),
            "OffsetFetchResponse: version 0 is not supported (brook implements 1-9)");
}

TEST(ProtocolMessages, GroupInstanceIdNeedsJoinGroupV5) {
  JoinGroupRequest request;
  request.group_id = "g";
  request.group_instance_id = "instance-1";
  Bytes out = {0xaa};
  Writer w(&out);
  const Status s = Encode(request, 4, w);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "JoinGroupRequest v4: field group_instance_id: a non-default value cannot be encoded "
            "at version 4 (the field exists in versions 5-9)");
  EXPECT_EQ(out, Bytes{0xaa}) << "a failed Encode leaves the buffer as it was";
  EXPECT_TRUE(Encode(request, 5, w).ok());
  // Null (the default) is fine in every version.
  request.group_instance_id = std::nullopt;
  EXPECT_TRUE(Encode(request, 0, w).ok());
}

TEST(ProtocolMessages, OtherNonIgnorableFieldsAreChecked) {
  Bytes out;
  Writer w(&out);
  LeaveGroupRequest leave;
  leave.member_id = "m";  // v0-2 only
  EXPECT_EQ(Encode(leave, 3, w).message(),
            "LeaveGroupRequest v3: field member_id: a non-default value cannot be encoded at "
            "version 3 (the field exists in versions 0-2)");
  leave.member_id.clear();
  leave.members.push_back({.member_id = "m"});
  EXPECT_EQ(Encode(leave, 2, w).message(),
            "LeaveGroupRequest v2: field members: a non-default value cannot be encoded at "
            "version 2 (the field exists in versions 3-5)");

  OffsetFetchRequest fetch;
  fetch.require_stable = true;
  EXPECT_FALSE(Encode(fetch, 6, w).ok());
  EXPECT_TRUE(Encode(fetch, 7, w).ok());
  // Up to v7 the request names one group; v8+ needs the groups array instead.
  fetch.group_id = "g";
  EXPECT_EQ(Encode(fetch, 8, w).message(),
            "OffsetFetchRequest v8: field group_id: a non-default value cannot be encoded at "
            "version 8 (the field exists in versions 1-7)");

  // Ignorable fields are silently dropped.
  JoinGroupRequest join;
  join.reason = "restart";
  join.rebalance_timeout_ms = 1000;
  EXPECT_TRUE(Encode(join, 0, w).ok());
}

TEST(ProtocolMessages, NullWhereTheVersionDoesNotAllowIt) {
  Bytes out;
  Writer w(&out);
  JoinGroupResponse response;
  response.protocol_name = std::nullopt;  // nullable from v7
  EXPECT_TRUE(Encode(response, 7, w).ok());
  EXPECT_EQ(Encode(response, 6, w).message(),
            "JoinGroupResponse v6: field protocol_name: null is not allowed at version 6 "
            "(nullable in versions 7-9)");

  OffsetFetchRequest fetch;
  fetch.topics = std::nullopt;  // "all topics", v2+
  EXPECT_TRUE(Encode(fetch, 2, w).ok());
  EXPECT_EQ(Encode(fetch, 1, w).message(),
            "OffsetFetchRequest v1: field topics: null is not allowed at version 1 (nullable in "
            "versions 2-7)");

  // And on the decoding side: a null protocol_name in a v6 body.
  const Bytes v6 = test::Hex(
      "00000000 0000 ffffffff"  // throttle_time_ms, error_code, generation_id
      "00"                      // protocol_name: compact null
      "01 01 00 00");           // leader, member_id, members, tagged fields
  EXPECT_EQ(DecodeMessage<JoinGroupResponse>(v6, 6).status().message(),
            "JoinGroupResponse v6: field protocol_name: null at offset 11 but the field is not "
            "nullable");
}

TEST(ProtocolMessages, EncodeErrorsNameTheNestedField) {
  JoinGroupRequest request;
  request.protocols.push_back({.name = "range"});
  request.protocols.push_back({.name = std::string(40000, 'x')});
  Bytes out;
  Writer w(&out);
  EXPECT_EQ(Encode(request, 6, w).message(),
            "JoinGroupRequest v6: field protocols[1].name: string of 40000 bytes exceeds the "
            "maximum 32767");
  EXPECT_TRUE(out.empty());
}

TEST(ProtocolMessages, PrintsReadably) {
  HeartbeatRequest hb;
  hb.group_id = "g";
  hb.generation_id = 3;
  hb.member_id = "m";
  std::ostringstream os;
  os << hb;
  EXPECT_EQ(os.str(),
            "HeartbeatRequest{group_id=\"g\", generation_id=3, member_id=\"m\", "
            "group_instance_id=null}");
  JoinGroupRequest join;
  join.protocols.push_back({.name = "range", .metadata = {0x01}});
  std::ostringstream os2;
  internal::PrintValue(os2, join.protocols);
  EXPECT_EQ(os2.str(), "[{name=\"range\", metadata=<1 bytes 01>}]");
}

}  // namespace
}  // namespace brook::protocol
