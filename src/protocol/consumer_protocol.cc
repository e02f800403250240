#include "protocol/consumer_protocol.h"

#include <algorithm>
#include <string>

namespace brook::protocol {

namespace {

template <typename T>
Result<Bytes> EncodeVersioned(const T& message, int16_t version) {
  Bytes out;
  Writer writer(&out);
  writer.WriteInt16(version);
  BROOK_RETURN_IF_ERROR(Encode(message, version, writer));
  return out;
}

template <typename T>
Result<ConsumerProtocolPayload<T>> DecodeVersioned(std::span<const uint8_t> bytes) {
  Reader reader(bytes);
  ConsumerProtocolPayload<T> payload;
  Result<int16_t> version = reader.ReadInt16("version");
  if (!version.ok()) return version.status().WithContext(T::kName);
  payload.version = *version;
  if (payload.version < T::kMinVersion) {
    return Status::Corruption(std::string(T::kName) + ": unsupported version " +
                              std::to_string(payload.version));
  }
  const int16_t parse_version = std::min(payload.version, T::kMaxVersion);
  BROOK_RETURN_IF_ERROR(DecodeInto(reader, parse_version, payload.message));
  if (payload.version <= T::kMaxVersion) {
    BROOK_RETURN_IF_ERROR(reader.ExpectEnd().WithContext(std::string(T::kName) + " v" +
                                                         std::to_string(payload.version)));
  }
  return payload;
}

}  // namespace

Result<Bytes> EncodeConsumerProtocolSubscription(const ConsumerProtocolSubscription& subscription,
                                                 int16_t version) {
  return EncodeVersioned(subscription, version);
}

Result<ConsumerProtocolPayload<ConsumerProtocolSubscription>> DecodeConsumerProtocolSubscription(
    std::span<const uint8_t> bytes) {
  return DecodeVersioned<ConsumerProtocolSubscription>(bytes);
}

Result<Bytes> EncodeConsumerProtocolAssignment(const ConsumerProtocolAssignment& assignment,
                                               int16_t version) {
  return EncodeVersioned(assignment, version);
}

Result<ConsumerProtocolPayload<ConsumerProtocolAssignment>> DecodeConsumerProtocolAssignment(
    std::span<const uint8_t> bytes) {
  return DecodeVersioned<ConsumerProtocolAssignment>(bytes);
}

}  // namespace brook::protocol
