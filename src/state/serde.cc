#include "brook/state/serde.h"

#include <bit>
#include <limits>
#include <ostream>

#include "state/encoding.h"

namespace brook {

std::ostream& operator<<(std::ostream& os, const Bytes& bytes) {
  return os << state::internal::EscapeBytes(bytes.data, std::numeric_limits<size_t>::max());
}

}  // namespace brook

namespace brook::state {
namespace {

Status WrongSize(std::string_view type, size_t expected, size_t got) {
  return Status::InvalidArgument(std::string(type) + " needs exactly " + std::to_string(expected) +
                                 " bytes, got " + std::to_string(got));
}

Result<uint64_t> ReadExactly8(std::string_view bytes, std::string_view type) {
  if (bytes.size() != 8) return WrongSize(type, 8, bytes.size());
  return internal::ReadFixed64BE(bytes);
}

}  // namespace

std::string Int32Serde::Serialize(const int32_t& v) const {
  std::string out;
  internal::AppendFixed32BE(out, static_cast<uint32_t>(v));
  return out;
}

Result<int32_t> Int32Serde::Deserialize(std::string_view bytes) const {
  if (bytes.size() != 4) return WrongSize(kName, 4, bytes.size());
  return static_cast<int32_t>(internal::ReadFixed32BE(bytes));
}

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
