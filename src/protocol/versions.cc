#include "protocol/versions.h"

#include <algorithm>
#include <string>

#include "protocol/error_codes.h"

namespace brook::protocol {

namespace {

const ApiInfo* FindApi(ApiKey api) {
  for (const ApiInfo& info : kApis) {
    if (info.key == api) return &info;
  }
  return nullptr;
}

std::string ApiLabel(ApiKey api) {
  std::string s(ApiKeyName(api));
  s += " (";
  s += std::to_string(static_cast<int16_t>(api));
  s += ')';
  return s;
}

std::string RangeText(int16_t min, int16_t max) {
  if (min == max) return std::to_string(min);
  return std::to_string(min) + "-" + std::to_string(max);
}

Result<bool> IsFlexible(ApiKey api, int16_t api_version) {
  const ApiInfo* info = FindApi(api);
  if (info == nullptr) {
    return Status::InvalidArgument("API key " + std::to_string(static_cast<int16_t>(api)) +
                                   " is not implemented by brook");
  }
  if (api_version < 0) {
    return Status::InvalidArgument(ApiLabel(api) + ": negative version " +
                                   std::to_string(api_version));
  }
  return api_version >= info->first_flexible_version;
}

}  // namespace

VersionRange SupportedVersions(ApiKey api) {
  const ApiInfo* info = FindApi(api);
  if (info == nullptr) return {};
  return {info->min_version, info->max_version};
}

Result<int16_t> RequestHeaderVersion(ApiKey api, int16_t api_version) {
  BROOK_ASSIGN_OR_RETURN(const bool flexible, IsFlexible(api, api_version));
  return static_cast<int16_t>(flexible ? 2 : 1);
}

Result<int16_t> ResponseHeaderVersion(ApiKey api, int16_t api_version) {
  BROOK_ASSIGN_OR_RETURN(const bool flexible, IsFlexible(api, api_version));
  if (api == ApiKey::kApiVersions) return static_cast<int16_t>(0);
  return static_cast<int16_t>(flexible ? 1 : 0);
}

Result<int16_t> PickVersion(ApiKey api, VersionRange ours, const ApiVersionsResponse& broker) {
  if (broker.error_code != 0) {
    return Status::FailedPrecondition("cannot pick a version for " + ApiLabel(api) +
                                      ": the ApiVersionsResponse carries error " +
                                      DescribeErrorCode(broker.error_code));
  }
  if (ours.empty()) {
    return Status::FailedPrecondition("brook implements no version of " + ApiLabel(api));
  }
  for (const ApiVersionsResponse::ApiVersion& entry : broker.api_keys) {
    if (entry.api_key != static_cast<int16_t>(api)) continue;
    const int16_t low = std::max(ours.min, entry.min_version);
    const int16_t high = std::min(ours.max, entry.max_version);
    if (low > high) {
      return Status::FailedPrecondition("no common version for " + ApiLabel(api) +
                                        ": brook supports " + RangeText(ours.min, ours.max) +
                                        ", the broker supports " +
                                        RangeText(entry.min_version, entry.max_version));
    }
    return high;
  }
  return Status::FailedPrecondition("the broker does not support " + ApiLabel(api) +
                                    " (brook needs one of versions " +
                                    RangeText(ours.min, ours.max) + ")");
}

Result<int16_t> PickVersion(ApiKey api, const ApiVersionsResponse& broker) {
  return PickVersion(api, SupportedVersions(api), broker);
}

Result<std::map<ApiKey, int16_t>> PickVersions(std::span<const ApiKey> apis,
                                               const ApiVersionsResponse& broker) {
  std::map<ApiKey, int16_t> picked;
  for (const ApiKey api : apis) {
    BROOK_ASSIGN_OR_RETURN(picked[api], PickVersion(api, broker));
  }
  return picked;
}

}  // namespace brook::protocol
