// API version bookkeeping: which versions brook implements, which header versions go with
// an API version, and negotiation against a broker's ApiVersionsResponse.
//
// Contract: RequestHeaderVersion is 2 for flexible API versions and 1 otherwise;
// ResponseHeaderVersion is 1 for flexible versions and 0 otherwise, except ApiVersions whose
// response header is always v0 (so that a client can read it whatever version it sent).
// PickVersion returns the highest version both sides support, or kFailedPrecondition naming
// the API and both ranges.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <span>

#include "brook/status.h"
#include "protocol/messages.h"

namespace brook::protocol {

struct VersionRange {
  int16_t min = 0;
  int16_t max = -1;  // max < min: empty

  [[nodiscard]] constexpr bool empty() const { return max < min; }
  [[nodiscard]] constexpr bool Contains(int16_t v) const { return v >= min && v <= max; }
  constexpr bool operator==(const VersionRange&) const = default;
};

// Brook's implemented versions of api; empty for APIs brook does not implement.
VersionRange SupportedVersions(ApiKey api);

// Header versions for a request/response of api at api_version. Errors for APIs brook does
// not implement and for negative versions; versions above brook's maximum are answered
// from the first flexible version (flexibility never goes away in later versions).
Result<int16_t> RequestHeaderVersion(ApiKey api, int16_t api_version);
Result<int16_t> ResponseHeaderVersion(ApiKey api, int16_t api_version);

// The highest version in both `ours` and the broker's range for api. Errors: the response
// carries a non-zero error_code, the broker does not list api, or the ranges do not meet.
Result<int16_t> PickVersion(ApiKey api, VersionRange ours, const ApiVersionsResponse& broker);
// Same with ours = SupportedVersions(api).
Result<int16_t> PickVersion(ApiKey api, const ApiVersionsResponse& broker);
// PickVersion for each api (brook's ranges); the first failure is returned.
Result<std::map<ApiKey, int16_t>> PickVersions(std::span<const ApiKey> apis,
                                               const ApiVersionsResponse& broker);

}  // namespace brook::protocol
