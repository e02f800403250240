// Request/response framing and whole-message helpers on top of the generated codecs.
//
// A Kafka frame on the wire is an int32 size followed by that many payload bytes; the
// payload is a header then a body. EncodeRequest / EncodeResponse return the WHOLE frame
// (size prefix included), ready to write to a socket. DecodeRequest / DecodeResponse take the
// PAYLOAD only (the transport has already read the size and then the payload). Header
// versions follow versions.h. Decoding checks that the header (with its correlation id) is
// present and that every payload byte is consumed: trailing bytes are an error.
//
// ApiVersions special case (as in Kafka's client): a broker that does not support the
// ApiVersionsRequest version sent answers with a v0 body carrying UNSUPPORTED_VERSION; when
// the body does not decode at the requested version, DecodeResponse<ApiVersionsResponse>
// tries v0 and returns that (frame.version == 0) if it is such an answer.
//
// Errors name the message, version, field and offset, e.g.
//   "JoinGroupResponse v7: field members[2].metadata: need 1024 bytes at offset 88, have 12"
// with offsets counted from the start of the payload.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

#include "brook/status.h"
#include "protocol/codec.h"
#include "protocol/error_codes.h"
#include "protocol/messages.h"
#include "protocol/versions.h"

namespace brook::protocol {

template <typename T>
struct RequestFrame {
  RequestHeader header;
  T body;
};

template <typename T>
struct ResponseFrame {
  ResponseHeader header;
  int16_t version = 0;  // the body's version (differs from the request's only for ApiVersions)
  T body;
};

// Decodes one T at version from reader (no trailing-bytes check).
template <typename T>
Result<T> Decode(Reader& reader, int16_t version) {
  T message;
  BROOK_RETURN_IF_ERROR(DecodeInto(reader, version, message));
  return message;
}

// Encodes a body alone (no header, no size prefix).
template <typename T>
Result<Bytes> EncodeMessage(const T& message, int16_t version) {
  Bytes out;
  Writer writer(&out);
  BROOK_RETURN_IF_ERROR(Encode(message, version, writer));
  return out;
}

// Decodes a body alone; every byte must be consumed.
template <typename T>
Result<T> DecodeMessage(std::span<const uint8_t> bytes, int16_t version) {
  Reader reader(bytes);
  BROOK_ASSIGN_OR_RETURN(T message, Decode<T>(reader, version));
  BROOK_RETURN_IF_ERROR(
      reader.ExpectEnd().WithContext(std::string(T::kName) + " v" + std::to_string(version)));
  return message;
}

namespace internal {
// Appends a 4-byte placeholder and returns where the frame starts.
size_t BeginFrame(Bytes& out);
// Fills in the size of the frame that starts at start.
Status FinishFrame(Bytes& out, size_t start);
Status DecodeResponseHeaderFor(Reader& reader, ApiKey api, std::string_view name, int16_t version,
                               ResponseHeader& header);
Status ExpectEndOf(const Reader& reader, std::string_view name, int16_t version);
Status CheckRequestHeaderFor(const RequestHeader& header, ApiKey api, std::string_view name);
// The request header version for the API key and version in the first four payload bytes.
Result<int16_t> RequestHeaderVersionOf(std::span<const uint8_t> payload);

template <typename T>
Result<ResponseFrame<T>> DecodeResponseAt(int16_t version, std::span<const uint8_t> payload) {
  Reader reader(payload);
  ResponseFrame<T> frame;
  frame.version = version;
  BROOK_RETURN_IF_ERROR(
      DecodeResponseHeaderFor(reader, T::kApiKey, T::kName, version, frame.header));
  BROOK_RETURN_IF_ERROR(DecodeInto(reader, version, frame.body));
  BROOK_RETURN_IF_ERROR(ExpectEndOf(reader, T::kName, version));
  return frame;
}

// A whole frame: size prefix, header at header_version, body at version.
template <typename Header, typename T>
Result<Bytes> EncodeFrame(const Header& header, int16_t header_version, const T& body,
                          int16_t version) {
  Bytes out;
  const size_t start = BeginFrame(out);
  Writer writer(&out);
  BROOK_RETURN_IF_ERROR(Encode(header, header_version, writer));
  BROOK_RETURN_IF_ERROR(Encode(body, version, writer));
  BROOK_RETURN_IF_ERROR(FinishFrame(out, start));
  return out;
}
}  // namespace internal

// A full request frame. header.request_api_key must be T's API; the body is encoded at
// header.request_api_version.
template <typename T>
Result<Bytes> EncodeRequest(const RequestHeader& header, const T& body) {
  BROOK_RETURN_IF_ERROR(internal::CheckRequestHeaderFor(header, T::kApiKey, T::kName));
  const int16_t version = header.request_api_version;
  BROOK_ASSIGN_OR_RETURN(const int16_t header_version, RequestHeaderVersion(T::kApiKey, version));
  return internal::EncodeFrame(header, header_version, body, version);
}

// Convenience: builds the header from its parts.
template <typename T>
Result<Bytes> EncodeRequest(const T& body, int16_t version, int32_t correlation_id,
                            std::optional<std::string> client_id) {
  RequestHeader header;
  header.request_api_key = static_cast<int16_t>(T::kApiKey);
  header.request_api_version = version;
  header.correlation_id = correlation_id;
  header.client_id = std::move(client_id);
  return EncodeRequest(header, body);
}

// A full response frame (for tests and fake brokers).
template <typename T>
Result<Bytes> EncodeResponse(int32_t correlation_id, int16_t version, const T& body) {
  BROOK_ASSIGN_OR_RETURN(const int16_t header_version, ResponseHeaderVersion(T::kApiKey, version));
  ResponseHeader header;
  header.correlation_id = correlation_id;
  return internal::EncodeFrame(header, header_version, body, version);
}

// Decodes a response payload for a request sent at version.
template <typename T>
Result<ResponseFrame<T>> DecodeResponse(int16_t version, std::span<const uint8_t> payload) {
  Result<ResponseFrame<T>> frame = internal::DecodeResponseAt<T>(version, payload);
  if constexpr (std::is_same_v<T, ApiVersionsResponse>) {
    if (!frame.ok() && version > 0) {
      Result<ResponseFrame<T>> v0 = internal::DecodeResponseAt<T>(0, payload);
      if (v0.ok() && v0->body.error_code == ErrorCode::kUnsupportedVersion) return v0;
    }
  }
  return frame;
}

// Same, and the correlation id must be expected_correlation_id.
template <typename T>
Result<ResponseFrame<T>> DecodeResponse(int16_t version, std::span<const uint8_t> payload,
                                        int32_t expected_correlation_id) {
  BROOK_ASSIGN_OR_RETURN(ResponseFrame<T> frame, DecodeResponse<T>(version, payload));
  if (frame.header.correlation_id != expected_correlation_id) {
    return Status::Corruption(std::string(T::kName) + " v" + std::to_string(version) +
                              ": correlation id " + std::to_string(frame.header.correlation_id) +
                              " does not match the request's " +
                              std::to_string(expected_correlation_id));
  }
  return frame;
}

// Reads the request header (its version follows from the API key and version in the first
// four bytes). The API must be one brook implements.
Result<RequestHeader> PeekRequestHeader(std::span<const uint8_t> payload);

// Decodes a request payload of type T (for tests and fake brokers); the API key in the
// header must be T's.
template <typename T>
Result<RequestFrame<T>> DecodeRequest(std::span<const uint8_t> payload) {
  Reader reader(payload);
  RequestFrame<T> frame;
  BROOK_ASSIGN_OR_RETURN(const int16_t header_version, internal::RequestHeaderVersionOf(payload));
  BROOK_RETURN_IF_ERROR(DecodeInto(reader, header_version, frame.header));
  BROOK_RETURN_IF_ERROR(internal::CheckRequestHeaderFor(frame.header, T::kApiKey, T::kName));
  const int16_t version = frame.header.request_api_version;
  BROOK_RETURN_IF_ERROR(DecodeInto(reader, version, frame.body));
  BROOK_RETURN_IF_ERROR(internal::ExpectEndOf(reader, T::kName, version));
  return frame;
}

// The correlation id at the start of any response payload (response headers v0 and v1 both
// start with it), so a transport can match a response to its request before decoding it.
Result<int32_t> PeekCorrelationId(std::span<const uint8_t> payload);

}  // namespace brook::protocol
