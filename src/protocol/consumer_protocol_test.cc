#include "protocol/consumer_protocol.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/messages_testing.h"
#include "protocol/test_util.h"

namespace brook::protocol {
namespace {

using test::Hex;
using test::ToHex;

TEST(ProtocolConsumer, SubscriptionV0) {
  const Bytes v0 =
      Hex("0000"        // version 0
          "00000002"    // topics: 2
          "0001 61"     //   "a"
          "0001 62"     //   "b"
          "ffffffff");  // user_data null
  const auto decoded = DecodeConsumerProtocolSubscription(v0);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->version, 0);
  EXPECT_EQ(decoded->message.topics, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(decoded->message.user_data, std::nullopt);
  EXPECT_TRUE(decoded->message.owned_partitions.empty());
  EXPECT_EQ(decoded->message.generation_id, -1);
  EXPECT_EQ(decoded->message.rack_id, std::nullopt);
  const auto encoded = EncodeConsumerProtocolSubscription(decoded->message, 0);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(ToHex(*encoded), ToHex(v0));
}

const char* const kSubscriptionV3Body =
    "00000001 0001 74"            // topics: ["t"]
    "00000002 0a0b"               // user_data 0a 0b
    "00000001"                    // owned_partitions: 1 (v1+)
    "0001 74"                     //   topic "t"
    "00000002 00000000 00000001"  // partitions [0, 1]
    "00000004"                    // generation_id 4 (v2+)
    "0002 7231";                  // rack_id "r1" (v3+)

TEST(ProtocolConsumer, SubscriptionV3) {
  const Bytes v3 = Hex(std::string("0003") + kSubscriptionV3Body);
  const auto decoded = DecodeConsumerProtocolSubscription(v3);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const ConsumerProtocolSubscription& s = decoded->message;
  EXPECT_EQ(decoded->version, 3);
  EXPECT_EQ(s.topics, (std::vector<std::string>{"t"}));
  EXPECT_EQ(s.user_data, (Bytes{0x0a, 0x0b}));
  ASSERT_EQ(s.owned_partitions.size(), 1U);
  EXPECT_EQ(s.owned_partitions[0].topic, "t");
  EXPECT_EQ(s.owned_partitions[0].partitions, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(s.generation_id, 4);
  EXPECT_EQ(s.rack_id, std::optional<std::string>("r1"));
  const auto encoded = EncodeConsumerProtocolSubscription(s);  // default: v3
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(ToHex(*encoded), ToHex(v3));

  // The same value at v1 drops generation_id and rack_id (both ignorable).
  const auto v1 = EncodeConsumerProtocolSubscription(s, 1);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(ToHex(*v1), ToHex(Hex("0001 00000001 0001 74 00000002 0a0b"
                                  "00000001 0001 74 00000002 00000000 00000001")));
}

TEST(ProtocolConsumer, NewerVersionsParseAsOurHighest) {
  // A v5 subscription from a newer client: our v3 fields, then fields we do not know.
  const Bytes v5 = Hex(std::string("0005") + kSubscriptionV3Body + "deadbeef");
  const auto decoded = DecodeConsumerProtocolSubscription(v5);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->version, 5);
  EXPECT_EQ(decoded->message.rack_id, std::optional<std::string>("r1"));
  EXPECT_EQ(decoded->message.generation_id, 4);

  const Bytes assignment_v9 = Hex("0009 00000000 ffffffff 01020304");
  const auto a = DecodeConsumerProtocolAssignment(assignment_v9);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->version, 9);
  EXPECT_TRUE(a->message.assigned_partitions.empty());

  // For versions we know, extra bytes are an error.
  const Bytes v3_trailing = Hex(std::string("0003") + kSubscriptionV3Body + "00");
  EXPECT_EQ(DecodeConsumerProtocolSubscription(v3_trailing).status().message(),
            "ConsumerProtocolSubscription v3: 1 trailing byte at offset 42");
}

TEST(ProtocolConsumer, BadVersionsAndTruncation) {
  EXPECT_EQ(DecodeConsumerProtocolSubscription(Hex("ffff 00000000 ffffffff")).status().message(),
            "ConsumerProtocolSubscription: unsupported version -1");
  EXPECT_EQ(DecodeConsumerProtocolAssignment(Bytes{}).status().message(),
            "ConsumerProtocolAssignment: field version: need 2 bytes at offset 0, have 0");
  EXPECT_EQ(EncodeConsumerProtocolAssignment({}, 4).status().message(),
            "ConsumerProtocolAssignment: version 4 is not supported (brook implements 0-3)");
  const Bytes v3 = Hex(std::string("0003") + kSubscriptionV3Body);
  for (size_t n = 0; n < v3.size(); ++n) {
    EXPECT_FALSE(DecodeConsumerProtocolSubscription(std::span<const uint8_t>(v3.data(), n)).ok())
        << n;
  }
  EXPECT_EQ(DecodeConsumerProtocolSubscription(std::span<const uint8_t>(v3.data(), 20))
                .status()
                .message(),
            "ConsumerProtocolSubscription v3: field owned_partitions[0].topic: need 2 bytes at "
            "offset 19, have 1");
}

TEST(ProtocolConsumer, AssignmentV0) {
  const Bytes v0 =
      Hex("0000"               // version
          "00000001"           // assigned_partitions: 1
          "0001 74"            //   topic "t"
          "00000001 00000002"  //   partitions [2]
          "ffffffff");         // user_data null
  const auto decoded = DecodeConsumerProtocolAssignment(v0);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->message.assigned_partitions.size(), 1U);
  EXPECT_EQ(decoded->message.assigned_partitions[0].topic, "t");
  EXPECT_EQ(decoded->message.assigned_partitions[0].partitions, (std::vector<int32_t>{2}));
  EXPECT_EQ(decoded->message.user_data, std::nullopt);
  const auto encoded = EncodeConsumerProtocolAssignment(decoded->message, 0);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(ToHex(*encoded), ToHex(v0));
}

TEST(ProtocolConsumer, AllVersionsRoundTrip) {
  for (int16_t v = 0; v <= 3; ++v) {
    const auto sub = testing::Sample<ConsumerProtocolSubscription>(v);
    const auto sub_bytes = EncodeConsumerProtocolSubscription(sub, v);
    ASSERT_TRUE(sub_bytes.ok());
    const auto sub_back = DecodeConsumerProtocolSubscription(*sub_bytes);
    ASSERT_TRUE(sub_back.ok()) << sub_back.status().ToString();
    EXPECT_EQ(sub_back->version, v);
    EXPECT_EQ(sub_back->message, sub);

    const auto asg = testing::Sample<ConsumerProtocolAssignment>(v);
    const auto asg_bytes = EncodeConsumerProtocolAssignment(asg, v);
    ASSERT_TRUE(asg_bytes.ok());
    const auto asg_back = DecodeConsumerProtocolAssignment(*asg_bytes);
    ASSERT_TRUE(asg_back.ok()) << asg_back.status().ToString();
    EXPECT_EQ(asg_back->message, asg);
  }
}

}  // namespace
}  // namespace brook::protocol
