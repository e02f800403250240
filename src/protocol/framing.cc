#include "protocol/framing.h"

#include <limits>

namespace brook::protocol {

namespace internal {

size_t BeginFrame(Bytes& out) {
  const size_t start = out.size();
  out.insert(out.end(), 4, 0);
  return start;
}

Status FinishFrame(Bytes& out, size_t start) {
  const size_t size = out.size() - start - 4;
  if (size > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    out.resize(start);
    return Status::InvalidArgument("frame of " + std::to_string(size) +
                                   " bytes exceeds the int32 size limit");
  }
  const auto n = static_cast<uint32_t>(size);
  out[start] = static_cast<uint8_t>(n >> 24);
  out[start + 1] = static_cast<uint8_t>(n >> 16);
  out[start + 2] = static_cast<uint8_t>(n >> 8);
  out[start + 3] = static_cast<uint8_t>(n);
  return Status::Ok();
}

Status DecodeResponseHeaderFor(Reader& reader, ApiKey api, std::string_view name, int16_t version,
                               ResponseHeader& header) {
  Result<int16_t> header_version = ResponseHeaderVersion(api, version);
  if (!header_version.ok()) {
    return header_version.status().WithContext(std::string(name) + " v" + std::to_string(version));
  }
  return DecodeInto(reader, *header_version, header)
      .WithContext(std::string(name) + " v" + std::to_string(version));
}

Status ExpectEndOf(const Reader& reader, std::string_view name, int16_t version) {
  return reader.ExpectEnd().WithContext(std::string(name) + " v" + std::to_string(version));
}

Status CheckRequestHeaderFor(const RequestHeader& header, ApiKey api, std::string_view name) {
  if (header.request_api_key == static_cast<int16_t>(api)) return Status::Ok();
  return Status::InvalidArgument(std::string(name) + ": the header's API key is " +
                                 std::to_string(header.request_api_key) + ", expected " +
                                 std::to_string(static_cast<int16_t>(api)));
}

Result<int16_t> RequestHeaderVersionOf(std::span<const uint8_t> payload) {
  Reader reader(payload);
  Result<int16_t> api_key = reader.ReadInt16("request_api_key");
  if (!api_key.ok()) return api_key.status().WithContext("RequestHeader");
  Result<int16_t> api_version = reader.ReadInt16("request_api_version");
  if (!api_version.ok()) return api_version.status().WithContext("RequestHeader");
  Result<int16_t> header_version =
      RequestHeaderVersion(static_cast<ApiKey>(*api_key), *api_version);
  if (!header_version.ok()) return header_version.status().WithContext("RequestHeader");
  return header_version;
}

}  // namespace internal

Result<RequestHeader> PeekRequestHeader(std::span<const uint8_t> payload) {
  BROOK_ASSIGN_OR_RETURN(const int16_t header_version, internal::RequestHeaderVersionOf(payload));
  Reader reader(payload);
  RequestHeader header;
  BROOK_RETURN_IF_ERROR(DecodeInto(reader, header_version, header));
  return header;
}

Result<int32_t> PeekCorrelationId(std::span<const uint8_t> payload) {
  Reader reader(payload);
  return reader.ReadInt32("correlation_id");
}

}  // namespace brook::protocol
