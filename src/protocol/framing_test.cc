#include "protocol/framing.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "protocol/consumer_protocol.h"
#include "protocol/error_codes.h"
#include "protocol/messages_testing.h"
#include "protocol/test_util.h"
#include "protocol/versions.h"

namespace brook::protocol {
namespace {

using test::Hex;
using test::ToHex;
using testing::Sample;
using testing::SampleKind;

std::span<const uint8_t> Payload(const Bytes& frame) {
  return std::span<const uint8_t>(frame).subspan(4);
}

TEST(ProtocolFraming, HeartbeatRequestFramesV0AndV4) {
  const HeartbeatRequest hb{.group_id = "g1", .generation_id = 5, .member_id = "m"};
  const Result<Bytes> v0 = EncodeRequest(hb, 0, 7, std::string("c"));
  ASSERT_TRUE(v0.ok()) << v0.status().ToString();
  EXPECT_EQ(ToHex(*v0), ToHex(Hex("00000016"            // size 22
                                  "000c 0000 00000007"  // header v1: api 12, v0, corr 7
                                  "0001 63"             //   client_id "c"
                                  "0002 6731 00000005 0001 6d")));
  const Result<Bytes> v4 = EncodeRequest(hb, 4, 7, std::string("c"));
  ASSERT_TRUE(v4.ok()) << v4.status().ToString();
  EXPECT_EQ(ToHex(*v4), ToHex(Hex("00000017"            // size 23
                                  "000c 0004 00000007"  // header v2
                                  "0001 63"             //   client_id stays classic
                                  "00"                  //   header tagged fields
                                  "03 6731 00000005 02 6d 00 00")));

  const Result<RequestFrame<HeartbeatRequest>> decoded =
      DecodeRequest<HeartbeatRequest>(Payload(*v4));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->header.request_api_key, 12);
  EXPECT_EQ(decoded->header.request_api_version, 4);
  EXPECT_EQ(decoded->header.correlation_id, 7);
  EXPECT_EQ(decoded->header.client_id, std::optional<std::string>("c"));
  EXPECT_EQ(decoded->body, hb);

  const Result<RequestHeader> peeked = PeekRequestHeader(Payload(*v0));
  ASSERT_TRUE(peeked.ok()) << peeked.status().ToString();
  EXPECT_EQ(peeked->correlation_id, 7);

  EXPECT_EQ(DecodeRequest<JoinGroupRequest>(Payload(*v4)).status().message(),
            "JoinGroupRequest: the header's API key is 12, expected 11");
  RequestHeader wrong{.request_api_key = 11, .request_api_version = 0};
  EXPECT_EQ(EncodeRequest(wrong, hb).status().message(),
            "HeartbeatRequest: the header's API key is 11, expected 12");
  EXPECT_EQ(EncodeRequest(hb, 5, 1, std::nullopt).status().message(),
            "HeartbeatRequest: version 5 is not supported (brook implements 0-4)");
  EXPECT_EQ(PeekRequestHeader(Hex("0063 0000 00000001 ffff")).status().message(),
            "RequestHeader: API key 99 is not implemented by brook");
}

TEST(ProtocolFraming, ApiVersionsResponseUsesHeaderV0EvenWhenFlexible) {
  const Bytes payload =
      Hex("00000007"       // response header v0: correlation id only, no tagged fields
          "0000"           // error_code
          "01"             // api_keys: empty compact array
          "00000000 00");  // throttle_time_ms, tagged fields
  const auto frame = DecodeResponse<ApiVersionsResponse>(3, payload, 7);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  EXPECT_EQ(frame->version, 3);
  EXPECT_EQ(frame->header.correlation_id, 7);
  const Result<Bytes> encoded = EncodeResponse(7, 3, frame->body);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(ToHex(Bytes(encoded->begin() + 4, encoded->end())), ToHex(payload));
}

TEST(ProtocolFraming, ApiVersionsFallsBackToV0ForUnsupportedVersion) {
  // The broker did not support ApiVersions v4 and answered in v0 form.
  const Bytes payload =
      Hex("00000007"          // header
          "0023"              // error_code 35 UNSUPPORTED_VERSION
          "00000001"          // api_keys: 1 (int32 count: v0)
          "0012 0000 0003");  //   ApiVersions 0-3
  const auto frame = DecodeResponse<ApiVersionsResponse>(4, payload);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  EXPECT_EQ(frame->version, 0);
  EXPECT_EQ(frame->body.error_code, ErrorCode::kUnsupportedVersion);
  ASSERT_EQ(frame->body.api_keys.size(), 1U);
  EXPECT_EQ(frame->body.api_keys[0].max_version, 3);

  // Garbage is still reported against the version asked for.
  const auto bad = DecodeResponse<ApiVersionsResponse>(4, Hex("00000007 0000"));
  EXPECT_EQ(bad.status().message(),
            "ApiVersionsResponse v4: field api_keys: need 1 byte at offset 6, have 0");
}

TEST(ProtocolFraming, ResponseHeaderV1SkipsUnknownTags) {
  const Bytes payload =
      Hex("00000009"       // correlation id
          "01 05 01 ff"    // header tagged fields: unknown tag 5
          "00000000 0000"  // HeartbeatResponse v4: throttle, error
          "00");
  const auto frame = DecodeResponse<HeartbeatResponse>(4, payload);
  ASSERT_TRUE(frame.ok()) << frame.status().ToString();
  EXPECT_EQ(frame->header.correlation_id, 9);
}

TEST(ProtocolFraming, ErrorsNameMessageFieldAndOffset) {
  const Bytes payload =
      Hex("00000009 00"    // header v1                       offsets 0-4
          "00000000 0000"  // throttle_time_ms, error_code         5-10
          "00000001"       // generation_id                       11-14
          "00 01 01 01"    // protocol_type null, protocol_name "", leader "", member_id ""
          "04"             // members: 3                             19
          "01 00 01 00"    // members[0]: "", null, empty metadata, no tags
          "01 00 01 00"    // members[1]
          "01 00"          // members[2]: member_id, group_instance_id
          "81 08"          //   metadata: 1024 bytes (uvarint 1025) 30-31
          "000102030405060708090a0b");  // ... but only 12 of them
  EXPECT_EQ(DecodeResponse<JoinGroupResponse>(7, payload).status().message(),
            "JoinGroupResponse v7: field members[2].metadata: need 1024 bytes at offset 32, "
            "have 12");

  EXPECT_EQ(DecodeResponse<HeartbeatResponse>(0, Hex("0000")).status().message(),
            "HeartbeatResponse v0: ResponseHeader v0: field correlation_id: need 4 bytes at "
            "offset 0, have 2");
  EXPECT_EQ(DecodeResponse<HeartbeatResponse>(0, Hex("00000001 0000 abcdef")).status().message(),
            "HeartbeatResponse v0: 3 trailing bytes at offset 6");
  EXPECT_EQ(DecodeResponse<HeartbeatResponse>(0, Hex("00000001 0000"), 2).status().message(),
            "HeartbeatResponse v0: correlation id 1 does not match the request's 2");
  EXPECT_EQ(Hex("00000001 0000").size(), 6U);
  const Result<int32_t> corr = PeekCorrelationId(Hex("0000002a 00"));
  ASSERT_TRUE(corr.ok());
  EXPECT_EQ(*corr, 42);
  EXPECT_FALSE(PeekCorrelationId(Hex("0000")).ok());
}

// Every request and response at every version through a full frame and back.
template <typename T>
void FrameRoundTrip() {
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    SCOPED_TRACE(std::string(T::kName) + " v" + std::to_string(v));
    const T body = Sample<T>(v, SampleKind::kFull);
    constexpr bool kIsRequest = requires {
      typename T::Response;
    };
    Result<Bytes> frame = Status::Internal("unset");
    if constexpr (kIsRequest) {
      frame = EncodeRequest(body, v, 1000 + v, std::string("brook-test"));
    } else {
      frame = EncodeResponse(1000 + v, v, body);
    }
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    ASSERT_GE(frame->size(), 4U);
    const uint32_t size = (uint32_t{(*frame)[0]} << 24) | (uint32_t{(*frame)[1]} << 16) |
                          (uint32_t{(*frame)[2]} << 8) | uint32_t{(*frame)[3]};
    EXPECT_EQ(size, frame->size() - 4);
    if constexpr (kIsRequest) {
      const auto decoded = DecodeRequest<T>(Payload(*frame));
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      EXPECT_EQ(decoded->header.correlation_id, 1000 + v);
      EXPECT_EQ(decoded->header.request_api_version, v);
      EXPECT_EQ(decoded->body, body);
    } else {
      const auto decoded = DecodeResponse<T>(v, Payload(*frame), 1000 + v);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      EXPECT_EQ(decoded->version, v);
      EXPECT_EQ(decoded->body, body);
    }
  }
}

TEST(ProtocolFraming, EveryMessageRoundTripsThroughAFrame) {
  std::apply([](const auto&... m) { (FrameRoundTrip<std::decay_t<decltype(m)>>(), ...); },
             std::tuple_cat(RequestTypes{}, ResponseTypes{}));
}

// The example in README.md.
Status ReadmeExample(Bytes* sent, int16_t* error_code) {
  JoinGroupRequest join{.group_id = "app",
                        .session_timeout_ms = 45000,
                        .rebalance_timeout_ms = 300000,
                        .protocol_type = "consumer"};
  BROOK_ASSIGN_OR_RETURN(Bytes sub, EncodeConsumerProtocolSubscription({.topics = {"in"}}));
  join.protocols.push_back({.name = "brook", .metadata = std::move(sub)});
  BROOK_ASSIGN_OR_RETURN(Bytes frame, EncodeRequest(join, /*version=*/9, /*correlation_id=*/42,
                                                    std::string("brook")));  // size-prefixed
  *sent = frame;
  // A broker's answer: MEMBER_ID_REQUIRED with the member id to rejoin with.
  BROOK_ASSIGN_OR_RETURN(
      Bytes answer,
      EncodeResponse(42, 9, JoinGroupResponse{.error_code = 79, .member_id = "brook-1"}));
  const std::span<const uint8_t> payload = std::span<const uint8_t>(answer).subspan(4);
  BROOK_ASSIGN_OR_RETURN(auto resp, DecodeResponse<JoinGroupResponse>(9, payload, 42));
  if (resp.body.error_code == ErrorCode::kMemberIdRequired) *error_code = resp.body.error_code;
  return Status::Ok();
}

TEST(ProtocolFraming, ReadmeExample) {
  Bytes sent;
  int16_t error_code = 0;
  const Status s = ReadmeExample(&sent, &error_code);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(error_code, 79);
  const auto request = DecodeRequest<JoinGroupRequest>(Payload(sent));
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  ASSERT_EQ(request->body.protocols.size(), 1U);
  const auto sub = DecodeConsumerProtocolSubscription(request->body.protocols[0].metadata);
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_EQ(sub->version, 3);
  EXPECT_EQ(sub->message.topics, std::vector<std::string>{"in"});
}

TEST(ProtocolVersions, HeaderVersions) {
  const struct {
    ApiKey api;
    int16_t first_flexible;
  } apis[] = {{ApiKey::kOffsetCommit, 8}, {ApiKey::kOffsetFetch, 6}, {ApiKey::kFindCoordinator, 3},
              {ApiKey::kJoinGroup, 6},    {ApiKey::kHeartbeat, 4},   {ApiKey::kLeaveGroup, 4},
              {ApiKey::kSyncGroup, 4},    {ApiKey::kApiVersions, 3}};
  ASSERT_EQ(std::size(apis), kApis.size());
  for (const auto& a : apis) {
    for (int16_t v = 0; v <= 12; ++v) {
      const bool flexible = v >= a.first_flexible;
      EXPECT_EQ(*RequestHeaderVersion(a.api, v), flexible ? 2 : 1) << ApiKeyName(a.api) << v;
      const int16_t response = a.api == ApiKey::kApiVersions ? 0 : (flexible ? 1 : 0);
      EXPECT_EQ(*ResponseHeaderVersion(a.api, v), response) << ApiKeyName(a.api) << v;
    }
  }
  EXPECT_EQ(RequestHeaderVersion(static_cast<ApiKey>(0), 3).status().message(),
            "API key 0 is not implemented by brook");
  EXPECT_EQ(ResponseHeaderVersion(ApiKey::kJoinGroup, -1).status().message(),
            "JoinGroup (11): negative version -1");
}

TEST(ProtocolVersions, SupportedRanges) {
  EXPECT_EQ(SupportedVersions(ApiKey::kApiVersions), (VersionRange{0, 4}));
  EXPECT_EQ(SupportedVersions(ApiKey::kFindCoordinator), (VersionRange{0, 6}));
  EXPECT_EQ(SupportedVersions(ApiKey::kJoinGroup), (VersionRange{0, 9}));
  EXPECT_EQ(SupportedVersions(ApiKey::kSyncGroup), (VersionRange{0, 5}));
  EXPECT_EQ(SupportedVersions(ApiKey::kHeartbeat), (VersionRange{0, 4}));
  EXPECT_EQ(SupportedVersions(ApiKey::kLeaveGroup), (VersionRange{0, 5}));
  EXPECT_EQ(SupportedVersions(ApiKey::kOffsetCommit), (VersionRange{2, 9}));
  EXPECT_EQ(SupportedVersions(ApiKey::kOffsetFetch), (VersionRange{1, 9}));
  EXPECT_TRUE(SupportedVersions(static_cast<ApiKey>(1)).empty());
  EXPECT_EQ(ApiKeyName(ApiKey::kOffsetFetch), "OffsetFetch");
  EXPECT_EQ(ApiKeyName(static_cast<ApiKey>(1)), "Unknown");
}

TEST(ProtocolVersions, PickVersion) {
  ApiVersionsResponse broker;
  broker.api_keys = {{.api_key = 11, .min_version = 2, .max_version = 12},
                     {.api_key = 12, .min_version = 0, .max_version = 3},
                     {.api_key = 8, .min_version = 10, .max_version = 12},
                     {.api_key = 18, .min_version = 0, .max_version = 4}};
  EXPECT_EQ(*PickVersion(ApiKey::kJoinGroup, broker), 9);
  EXPECT_EQ(*PickVersion(ApiKey::kHeartbeat, broker), 3);
  EXPECT_EQ(*PickVersion(ApiKey::kJoinGroup, VersionRange{0, 4}, broker), 4);
  const auto none = PickVersion(ApiKey::kOffsetCommit, broker);
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(none.status().message(),
            "no common version for OffsetCommit (8): brook supports 2-9, the broker supports "
            "10-12");
  EXPECT_EQ(PickVersion(ApiKey::kSyncGroup, broker).status().message(),
            "the broker does not support SyncGroup (14) (brook needs one of versions 0-5)");

  const ApiKey wanted[] = {ApiKey::kJoinGroup, ApiKey::kHeartbeat, ApiKey::kApiVersions};
  const auto picked = PickVersions(wanted, broker);
  ASSERT_TRUE(picked.ok()) << picked.status().ToString();
  EXPECT_EQ(picked->at(ApiKey::kJoinGroup), 9);
  EXPECT_EQ(picked->at(ApiKey::kHeartbeat), 3);
  EXPECT_EQ(picked->at(ApiKey::kApiVersions), 4);
  const ApiKey too_many[] = {ApiKey::kJoinGroup, ApiKey::kSyncGroup};
  EXPECT_FALSE(PickVersions(too_many, broker).ok());

  broker.error_code = 35;
  EXPECT_EQ(PickVersion(ApiKey::kJoinGroup, broker).status().message(),
            "cannot pick a version for JoinGroup (11): the ApiVersionsResponse carries error "
            "UNSUPPORTED_VERSION (35)");
}

TEST(ProtocolErrorCodes, NamesAndRetriability) {
  const struct {
    ErrorCode code;
    int16_t value;
    const char* name;
  } group_errors[] = {
      {ErrorCode::kNone, 0, "NONE"},
      {ErrorCode::kOffsetOutOfRange, 1, "OFFSET_OUT_OF_RANGE"},
      {ErrorCode::kCorruptMessage, 2, "CORRUPT_MESSAGE"},
      {ErrorCode::kUnknownTopicOrPartition, 3, "UNKNOWN_TOPIC_OR_PARTITION"},
      {ErrorCode::kCoordinatorLoadInProgress, 14, "COORDINATOR_LOAD_IN_PROGRESS"},
      {ErrorCode::kCoordinatorNotAvailable, 15, "COORDINATOR_NOT_AVAILABLE"},
      {ErrorCode::kNotCoordinator, 16, "NOT_COORDINATOR"},
      {ErrorCode::kIllegalGeneration, 22, "ILLEGAL_GENERATION"},
      {ErrorCode::kInconsistentGroupProtocol, 23, "INCONSISTENT_GROUP_PROTOCOL"},
      {ErrorCode::kInvalidGroupId, 24, "INVALID_GROUP_ID"},
      {ErrorCode::kUnknownMemberId, 25, "UNKNOWN_MEMBER_ID"},
      {ErrorCode::kInvalidSessionTimeout, 26, "INVALID_SESSION_TIMEOUT"},
      {ErrorCode::kRebalanceInProgress, 27, "REBALANCE_IN_PROGRESS"},
      {ErrorCode::kInvalidCommitOffsetSize, 28, "INVALID_COMMIT_OFFSET_SIZE"},
      {ErrorCode::kTopicAuthorizationFailed, 29, "TOPIC_AUTHORIZATION_FAILED"},
      {ErrorCode::kGroupAuthorizationFailed, 30, "GROUP_AUTHORIZATION_FAILED"},
      {ErrorCode::kUnsupportedVersion, 35, "UNSUPPORTED_VERSION"},
      {ErrorCode::kGroupIdNotFound, 69, "GROUP_ID_NOT_FOUND"},
      {ErrorCode::kMemberIdRequired, 79, "MEMBER_ID_REQUIRED"},
      {ErrorCode::kGroupMaxSizeReached, 81, "GROUP_MAX_SIZE_REACHED"},
      {ErrorCode::kFencedInstanceId, 82, "FENCED_INSTANCE_ID"},
      {ErrorCode::kUnstableOffsetCommit, 88, "UNSTABLE_OFFSET_COMMIT"},
      {ErrorCode::kUnknownServerError, -1, "UNKNOWN_SERVER_ERROR"},
  };
  for (const auto& e : group_errors) {
    EXPECT_EQ(static_cast<int16_t>(e.code), e.value) << e.name;
    EXPECT_EQ(ErrorCodeName(e.value), e.name);
    EXPECT_EQ(ErrorCodeName(e.code), e.name);
    EXPECT_TRUE(e.value == e.code);
  }
  EXPECT_EQ(ErrorCodeName(int16_t{999}), "UNKNOWN_ERROR_CODE");
  EXPECT_EQ(DescribeErrorCode(16), "NOT_COORDINATOR (16)");
  EXPECT_TRUE(IsRetriableError(ErrorCode::kCoordinatorLoadInProgress));
  EXPECT_TRUE(IsRetriableError(ErrorCode::kCoordinatorNotAvailable));
  EXPECT_TRUE(IsRetriableError(ErrorCode::kNotCoordinator));
  EXPECT_TRUE(IsRetriableError(ErrorCode::kUnstableOffsetCommit));
  EXPECT_FALSE(IsRetriableError(ErrorCode::kRebalanceInProgress));
  EXPECT_FALSE(IsRetriableError(ErrorCode::kUnknownMemberId));
  EXPECT_FALSE(IsRetriableError(ErrorCode::kNone));
  EXPECT_FALSE(IsRetriableError(int16_t{999}));
}

}  // namespace
}  // namespace brook::protocol
