// Internal byte-level helpers of the state layer: fixed-width big-endian integers and
// printable renderings of binary keys for error messages.
//
// Contract: big-endian so that the byte order of an encoded non-negative integer equals its
// numeric order (RocksDB compares keys bytewise). Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace brook::state::internal {

inline void AppendFixed32BE(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xffU));
  }
}

inline void AppendFixed64BE(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xffU));
  }
}

// Preconditions: bytes.size() >= 4.
inline uint32_t ReadFixed32BE(std::string_view bytes) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

// Preconditions: bytes.size() >= 8.
inline uint64_t ReadFixed64BE(std::string_view bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

// Printable form of a binary key for messages: printable ASCII as is, other bytes as \xNN,
// cut after max_bytes input bytes with "...".
std::string EscapeBytes(std::string_view bytes, size_t max_bytes = 64);

}  // namespace brook::state::internal
