// Hand-derived encodings, at least one per message family. Each vector was written down
// from the field lists in Kafka's message JSON (clients/src/main/resources/common/message/)
// and the encoding rules (big-endian ints; classic strings int16 length, bytes/arrays int32
// length, -1 null; flexible versions: unsigned varint length+1 with 0 null, and a tagged-field
// section after every struct). Each is decoded and compared, then re-encoded to the same
// bytes.
#include <gtest/gtest.h>

#include <string>

#include "protocol/framing.h"
#include "protocol/messages.h"
#include "protocol/test_util.h"

namespace brook::protocol {
namespace {

using test::Hex;
using test::ToHex;

template <typename T>
T DecodeOrDie(const Bytes& bytes, int16_t version) {
  Result<T> decoded = DecodeMessage<T>(bytes, version);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  return decoded.ok() ? std::move(decoded).value() : T{};
}

// Decodes bytes and compares with expected, then encodes expected and compares with bytes.
template <typename T>
void ExpectGolden(const T& expected, int16_t version, const Bytes& bytes) {
  SCOPED_TRACE(std::string(T::kName) + " v" + std::to_string(version));
  const Result<T> decoded = DecodeMessage<T>(bytes, version);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, expected);
  const Result<Bytes> encoded = EncodeMessage(expected, version);
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  EXPECT_EQ(ToHex(*encoded), ToHex(bytes));
}

// "consumer" and "range" appear in many vectors.
constexpr const char* kConsumer = "636f6e73756d6572";
constexpr const char* kRange = "72616e6765";

TEST(ProtocolGolden, HeartbeatV0AndV4) {
  const Bytes v0 =
      Hex("0002 6731"  // group_id "g1": int16 length 2
          "00000005"   // generation_id 5
          "0001 6d");  // member_id "m"
  const auto hb0 = DecodeOrDie<HeartbeatRequest>(v0, 0);
  EXPECT_EQ(hb0.group_id, "g1");
  EXPECT_EQ(hb0.generation_id, 5);
  EXPECT_EQ(hb0.member_id, "m");
  EXPECT_EQ(hb0.group_instance_id, std::nullopt);
  ExpectGolden(hb0, 0, v0);

  const Bytes v4 =
      Hex("03 6731"   // group_id: compact, uvarint 2+1
          "00000005"  // generation_id
          "02 6d"     // member_id
          "02 69"     // group_instance_id "i" (v3+)
          "00");      // no tagged fields
  const auto hb4 = DecodeOrDie<HeartbeatRequest>(v4, 4);
  EXPECT_EQ(hb4.group_id, "g1");
  EXPECT_EQ(hb4.generation_id, 5);
  EXPECT_EQ(hb4.member_id, "m");
  EXPECT_EQ(hb4.group_instance_id, std::optional<std::string>("i"));
  ExpectGolden(hb4, 4, v4);

  const auto r0 = DecodeOrDie<HeartbeatResponse>(Hex("001b"), 0);  // error_code 27
  EXPECT_EQ(r0.error_code, 27);
  ExpectGolden(r0, 0, Hex("001b"));
  ExpectGolden(HeartbeatResponse{.throttle_time_ms = 100, .error_code = 0}, 4,
               Hex("00000064 0000 00"));
}

TEST(ProtocolGolden, JoinGroupRequestV5AndV9) {
  JoinGroupRequest request{.group_id = "g",
                           .session_timeout_ms = 30000,
                           .rebalance_timeout_ms = 60000,
                           .member_id = "",
                           .group_instance_id = "i1",
                           .protocol_type = "consumer",
                           .protocols = {{.name = "range", .metadata = {0x01, 0x02}}}};
  ExpectGolden(request, 5,
               Hex(std::string("0001 67")  // group_id "g"
                   + "00007530"            // session_timeout_ms 30000
                   + "0000ea60"            // rebalance_timeout_ms 60000
                   + "0000"                // member_id ""
                   + "0002 6931"           // group_instance_id "i1"
                   + "0008" + kConsumer    // protocol_type
                   + "00000001"            // protocols: 1
                   + "0005" + kRange       //   name
                   + "00000002 0102"));    //   metadata
  request.reason = "r";
  ExpectGolden(
      request, 9,
      Hex(std::string("02 67") + "00007530" + "0000ea60" + "01"  // member_id "" (compact: 0+1)
          + "03 6931"                                            // group_instance_id
          + "09" + kConsumer                                     // protocol_type
          + "02"                                                 // protocols: 1 (compact: 1+1)
          + "06" + kRange                                        //   name
          + "03 0102"                                            //   metadata (compact bytes)
          + "00"                                                 //   protocol's tagged fields
          + "02 72"                                              // reason "r" (v8+)
          + "00"));                                              // tagged fields
}

TEST(ProtocolGolden, JoinGroupResponseV5AndV9) {
  const Bytes v5 = Hex(std::string("00000000")  // throttle_time_ms
                       + "0000"                 // error_code
                       + "00000003"             // generation_id 3
                       + "0005" + kRange        // protocol_name "range"
                       + "0002 6d31"            // leader "m1"
                       + "0002 6d32"            // member_id "m2"
                       + "00000001"             // members: 1
                       + "0002 6d31"            //   member_id "m1"
                       + "0002 6931"            //   group_instance_id "i1" (v5+)
                       + "00000002 0102");      //   metadata
  const auto r5 = DecodeOrDie<JoinGroupResponse>(v5, 5);
  EXPECT_EQ(r5.throttle_time_ms, 0);
  EXPECT_EQ(r5.error_code, 0);
  EXPECT_EQ(r5.generation_id, 3);
  EXPECT_EQ(r5.protocol_type, std::nullopt);  // v7+ only
  EXPECT_EQ(r5.protocol_name, std::optional<std::string>("range"));
  EXPECT_EQ(r5.leader, "m1");
  EXPECT_FALSE(r5.skip_assignment);
  EXPECT_EQ(r5.member_id, "m2");
  ASSERT_EQ(r5.members.size(), 1U);
  EXPECT_EQ(r5.members[0].member_id, "m1");
  EXPECT_EQ(r5.members[0].group_instance_id, std::optional<std::string>("i1"));
  EXPECT_EQ(r5.members[0].metadata, (Bytes{0x01, 0x02}));
  ExpectGolden(r5, 5, v5);

  const Bytes v9 = Hex(std::string("00000000") + "0000" + "00000003" + "09" +
                       kConsumer        // protocol_type "consumer" (v7+)
                       + "06" + kRange  // protocol_name
                       + "03 6d31"      // leader
                       + "01"           // skip_assignment true (v9+)
                       + "03 6d32"      // member_id
                       + "02"           // members: 1
                       + "03 6d31"      //   member_id
                       + "03 6931"      //   group_instance_id
                       + "03 0102"      //   metadata
                       + "00"           //   member's tagged fields
                       + "00");         // tagged fields
  const auto r9 = DecodeOrDie<JoinGroupResponse>(v9, 9);
  EXPECT_EQ(r9.generation_id, 3);
  EXPECT_EQ(r9.protocol_type, std::optional<std::string>("consumer"));
  EXPECT_EQ(r9.protocol_name, std::optional<std::string>("range"));
  EXPECT_EQ(r9.leader, "m1");
  EXPECT_TRUE(r9.skip_assignment);
  EXPECT_EQ(r9.member_id, "m2");
  ASSERT_EQ(r9.members.size(), 1U);
  EXPECT_EQ(r9.members[0].group_instance_id, std::optional<std::string>("i1"));
  EXPECT_EQ(r9.members[0].metadata, (Bytes{0x01, 0x02}));
  ExpectGolden(r9, 9, v9);
}

TEST(ProtocolGolden, SyncGroup) {
  ExpectGolden(SyncGroupRequest{.group_id = "g",
                                .generation_id = 1,
                                .member_id = "m",
                                .protocol_type = "consumer",
                                .protocol_name = "range",
                                .assignments = {{.member_id = "m", .assignment = {0x01, 0x02}}}},
               5,
               Hex(std::string("02 67") + "00000001" + "02 6d" + "00"  // group_instance_id null
                   + "09" + kConsumer                                  // protocol_type (v5+)
                   + "06" + kRange                                     // protocol_name (v5+)
                   + "02 02 6d 03 0102 00"                             // assignments: [{m, 0102}]
                   + "00"));
  ExpectGolden(SyncGroupResponse{.error_code = 0, .assignment = {0x01, 0x02}}, 0,
               Hex("0000 00000002 0102"));
  ExpectGolden(SyncGroupResponse{.error_code = 0,
                                 .protocol_type = "consumer",
                                 .protocol_name = "range",
                                 .assignment = {0x01, 0x02}},
               5, Hex(std::string("00000000 0000 09") + kConsumer + "06" + kRange + "03 0102 00"));
}

TEST(ProtocolGolden, FindCoordinator) {
  ExpectGolden(FindCoordinatorRequest{.key = "g"}, 0, Hex("0001 67"));
  ExpectGolden(FindCoordinatorRequest{.key = "g", .key_type = 1}, 3, Hex("02 67 01 00"));
  ExpectGolden(FindCoordinatorRequest{.key_type = 0, .coordinator_keys = {"g"}}, 4,
               Hex("00"        // key_type
                   "02 02 67"  // coordinator_keys ["g"]
                   "00"));     // tagged fields
  ExpectGolden(
      FindCoordinatorResponse{.error_code = 0, .node_id = 1, .host = "localhost", .port = 9092}, 0,
      Hex("0000 00000001 0009 6c6f63616c686f7374 00002384"));
  const Bytes v4 =
      Hex("00000000"               // throttle_time_ms
          "02"                     // coordinators: 1
          "02 67"                  //   key "g"
          "00000001"               //   node_id
          "0a 6c6f63616c686f7374"  //   host "localhost"
          "00002384"               //   port 9092
          "000f"                   //   error_code 15
          "00"                     //   error_message null
          "00"                     //   coordinator's tagged fields
          "00");                   // tagged fields
  const auto r4 = DecodeOrDie<FindCoordinatorResponse>(v4, 4);
  ASSERT_EQ(r4.coordinators.size(), 1U);
  EXPECT_EQ(r4.coordinators[0].key, "g");
  EXPECT_EQ(r4.coordinators[0].host, "localhost");
  EXPECT_EQ(r4.coordinators[0].port, 9092);
  EXPECT_EQ(r4.coordinators[0].error_code, 15);
  EXPECT_EQ(r4.coordinators[0].error_message, std::nullopt);
  ExpectGolden(r4, 4, v4);
}

TEST(ProtocolGolden, LeaveGroup) {
  ExpectGolden(LeaveGroupRequest{.group_id = "g", .member_id = "m"}, 0, Hex("0001 67 0001 6d"));
  ExpectGolden(LeaveGroupRequest{.group_id = "g",
                                 .members = {{.member_id = "m", .group_instance_id = "i1"}}},
               5,
               Hex("02 67"    // group_id
                   "02"       // members: 1
                   "02 6d"    //   member_id
                   "03 6931"  //   group_instance_id
                   "00"       //   reason null (v5+)
                   "00"       //   member's tagged fields
                   "00"));    // tagged fields
  ExpectGolden(
      LeaveGroupResponse{
          .members = {{.member_id = "m", .group_instance_id = std::nullopt, .error_code = 25}}},
      3, Hex("00000000 0000 00000001 0001 6d ffff 0019"));
}

TEST(ProtocolGolden, OffsetCommit) {
  OffsetCommitRequest request{.group_id = "g",
                              .generation_id_or_member_epoch = 1,
                              .member_id = "m",
                              .topics = {{.name = "t",
                                          .partitions = {{.partition_index = 0,
                                                          .committed_offset = 42,
                                                          .committed_metadata = std::nullopt}}}}};
  ExpectGolden(request, 2,
               Hex("0001 67"           // group_id
                   "00000001"          // generation_id_or_member_epoch
                   "0001 6d"           // member_id
                   "ffffffffffffffff"  // retention_time_ms -1 (v2-4)
                   "00000001 0001 74"  // topics: [{name "t",
                   "00000001"          //   partitions: [{
                   "00000000"          //     partition_index 0
                   "000000000000002a"  //     committed_offset 42
                   "ffff"));           //     committed_metadata null }]}]
  request.topics[0].partitions[0].committed_leader_epoch = 7;
  request.topics[0].partitions[0].committed_metadata = "";
  ExpectGolden(request, 8,
               Hex("02 67 00000001 02 6d"
                   "00"                // group_instance_id null (v7+)
                   "02 02 74"          // topics: [{name "t",
                   "02 00000000"       //   partitions: [{0,
                   "000000000000002a"  //     42,
                   "00000007"          //     committed_leader_epoch 7 (v6+)
                   "01"                //     metadata ""
                   "00 00 00"));       // partition, topic and top-level tagged fields
  ExpectGolden(OffsetCommitResponse{.topics = {{.name = "t", .partitions = {{.error_code = 0}}}}},
               3, Hex("00000000 00000001 0001 74 00000001 00000000 0000"));
}

TEST(ProtocolGolden, OffsetFetch) {
  ExpectGolden(OffsetFetchRequest{.group_id = "g",
                                  .topics =
                                      std::vector<OffsetFetchRequest::Topic>{
                                          {.name = "t", .partition_indexes = {0, 1}}}},
               1, Hex("0001 67 00000001 0001 74 00000002 00000000 00000001"));
  ExpectGolden(OffsetFetchRequest{.groups = {{.group_id = "g", .topics = std::nullopt}},
                                  .require_stable = true},
               8,
               Hex("02"     // groups: 1
                   "02 67"  //   group_id
                   "00"     //   topics null: all topics
                   "00"     //   group's tagged fields
                   "01"     // require_stable
                   "00"));
  ExpectGolden(OffsetFetchResponse{.topics = {{.name = "t",
                                               .partitions = {{.partition_index = 1,
                                                               .committed_offset = 16,
                                                               .committed_leader_epoch = 5,
                                                               .metadata = ""}}}}},
               7,
               Hex("00000000"          // throttle_time_ms
                   "02 02 74"          // topics: [{name "t",
                   "02 00000001"       //   partitions: [{1,
                   "0000000000000010"  //     committed_offset 16
                   "00000005"          //     committed_leader_epoch 5 (v5-7)
                   "01"                //     metadata ""
                   "0000 00"           //     error_code, tagged fields }]
                   "00"                //   topic's tagged fields }]
                   "0000"              // error_code (v2-7)
                   "00"));
  ExpectGolden(
      OffsetFetchResponse{.groups = {{.group_id = "g",
                                      .topics = {{.name = "t",
                                                  .partitions = {{.committed_offset = 42,
                                                                  .metadata = std::nullopt}}}}}}},
      8,
      Hex("00000000"          // throttle_time_ms
          "02 02 67"          // groups: [{group_id "g",
          "02 02 74"          //   topics: [{name "t",
          "02 00000000"       //     partitions: [{0,
          "000000000000002a"  //       42,
          "ffffffff"          //       leader epoch -1,
          "00"                //       metadata null,
          "0000 00"           //       error_code, tags }]
          "00"                //   topic tags }]
          "0000 00"           //   group error_code, tags }]
          "00"));
}

TEST(ProtocolGolden, ApiVersionsRequestAndResponse) {
  ExpectGolden(
      ApiVersionsRequest{.client_software_name = "brook", .client_software_version = "0.1.0"}, 3,
      Hex("06 62726f6f6b 06 302e312e30 00"));
  ExpectGolden(ApiVersionsRequest{}, 0, Bytes{});

  ExpectGolden(
      ApiVersionsResponse{.api_keys = {{.api_key = 18, .min_version = 0, .max_version = 3}}}, 0,
      Hex("0000 00000001 0012 0000 0003"));
}

TEST(ProtocolGolden, ApiVersionsResponseV3WithTaggedFields) {
  const Bytes v3 =
      Hex("0000"            // error_code
          "02"              // api_keys: 1
          "0012 0000 0004"  //   ApiVersions 0-4
          "00"              //   entry's tagged fields
          "00000000"        // throttle_time_ms
          "02"              // two tagged fields:
          "00 08"           //   tag 0 supported_features, 8 bytes:
          "02 02 66"        //     [{name "f",
          "0001 0002 00"    //       min 1, max 2, no tags}]
          "01 08"           //   tag 1 finalized_features_epoch, 8 bytes:
          "0000000000000007");
  const auto r = DecodeOrDie<ApiVersionsResponse>(v3, 3);
  EXPECT_EQ(r.error_code, 0);
  ASSERT_EQ(r.api_keys.size(), 1U);
  EXPECT_EQ(r.api_keys[0].api_key, 18);
  EXPECT_EQ(r.api_keys[0].min_version, 0);
  EXPECT_EQ(r.api_keys[0].max_version, 4);
  ASSERT_EQ(r.supported_features.size(), 1U);
  EXPECT_EQ(r.supported_features[0].name, "f");
  EXPECT_EQ(r.supported_features[0].min_version, 1);
  EXPECT_EQ(r.supported_features[0].max_version, 2);
  EXPECT_EQ(r.finalized_features_epoch, 7);
  EXPECT_TRUE(r.finalized_features.empty());
  EXPECT_FALSE(r.zk_migration_ready);
  ExpectGolden(r, 3, v3);

  // Unknown tags (9 before the known ones, 40 after) are skipped; known ones still read.
  const Bytes with_unknown =
      Hex("0000 02 0012 0000 0004 00 00000000"
          "04"
          "09 02 abcd"
          "00 08 02 02 66 0001 0002 00"
          "01 08 0000000000000007"
          "28 00");
  EXPECT_EQ(DecodeOrDie<ApiVersionsResponse>(with_unknown, 3), r);
}

TEST(ProtocolGolden, Headers) {
  ExpectGolden(
      RequestHeader{
          .request_api_key = 12, .request_api_version = 0, .correlation_id = 7, .client_id = "c"},
      1, Hex("000c 0000 00000007 0001 63"));
  // v2 adds a tagged-field section but keeps client_id a classic (int16) string.
  ExpectGolden(RequestHeader{.request_api_key = 12,
                             .request_api_version = 4,
                             .correlation_id = 7,
                             .client_id = std::nullopt},
               2, Hex("000c 0004 00000007 ffff 00"));
  ExpectGolden(ResponseHeader{.correlation_id = 7}, 0, Hex("00000007"));
  ExpectGolden(ResponseHeader{.correlation_id = 7}, 1, Hex("00000007 00"));
}

}  // namespace
}  // namespace brook::protocol
