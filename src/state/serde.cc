#include "brook/state/serde.h"

#include <bit>

#include "state/encoding.h"

namespace brook::state {
namespace {

Result<uint64_t> ReadExactly8(std::string_view bytes, std::string_view type) {
  if (bytes.size() != 8) {
    return Status::InvalidArgument(std::string(type) + " needs exactly 8 bytes, got " +
                                   std::to_string(bytes.size()));
  }
  return internal::ReadFixed64BE(bytes);
}

}  // namespace

std::string Int64Serde::Serialize(const int64_t& v) const {
  std::string out;
  internal::AppendFixed64BE(out, static_cast<uint64_t>(v));
  return out;
}

Result<int64_t> Int64Serde::Deserialize(std::string_view bytes) const {
  BROOK_ASSIGN_OR_RETURN(const uint64_t bits, ReadExactly8(bytes, kName));
  return static_cast<int64_t>(bits);
}

std::string DoubleSerde::Serialize(const double& v) const {
  std::string out;
  internal::AppendFixed64BE(out, std::bit_cast<uint64_t>(v));
  return out;
}

Result<double> DoubleSerde::Deserialize(std::string_view bytes) const {
  BROOK_ASSIGN_OR_RETURN(const uint64_t bits, ReadExactly8(bytes, kName));
  return std::bit_cast<double>(bits);
}

}  // namespace brook::state
