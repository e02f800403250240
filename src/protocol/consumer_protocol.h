// Kafka's ConsumerProtocol payloads: the subscription a member sends as JoinGroup protocol
// metadata and the assignment the leader sends per member in SyncGroup (protocol type
// "consumer", which standard tools such as kafka-consumer-groups understand).
//
// Contract: on the wire a payload is an int16 version followed by the (never flexible) body.
// Encode writes the version given (default: brook's highest, 3). Decode reads the version,
// rejects negative ones, and parses a version newer than brook knows as brook's highest,
// ignoring the bytes that follow the known fields (Kafka's forward-compatibility rule: new
// versions only append fields); for versions brook knows, trailing bytes are an error. The
// decoded wire version is returned alongside the message. An empty buffer is an error (a
// SyncGroup answer without an assignment is the caller's case to handle).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "brook/status.h"
#include "protocol/codec.h"
#include "protocol/messages.h"

namespace brook::protocol {

// JoinGroupRequest.protocol_type for consumer groups.
inline constexpr std::string_view kConsumerProtocolType = "consumer";

template <typename T>
struct ConsumerProtocolPayload {
  int16_t version = 0;  // as written on the wire (may exceed T::kMaxVersion)
  T message;
};

Result<Bytes> EncodeConsumerProtocolSubscription(
    const ConsumerProtocolSubscription& subscription,
    int16_t version = ConsumerProtocolSubscription::kMaxVersion);
Result<ConsumerProtocolPayload<ConsumerProtocolSubscription>> DecodeConsumerProtocolSubscription(
    std::span<const uint8_t> bytes);

Result<Bytes> EncodeConsumerProtocolAssignment(
    const ConsumerProtocolAssignment& assignment,
    int16_t version = ConsumerProtocolAssignment::kMaxVersion);
Result<ConsumerProtocolPayload<ConsumerProtocolAssignment>> DecodeConsumerProtocolAssignment(
    std::span<const uint8_t> bytes);

}  // namespace brook::protocol
