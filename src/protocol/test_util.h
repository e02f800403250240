// Helpers for brook_protocol's unit tests: hex literals with spaces, hex dumps for failure
// output. Test-only; not part of the library. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace brook::protocol::test {

// "00 02 6731" -> {0x00, 0x02, 0x67, 0x31}; spaces are ignored. Throws on malformed input
// (a bug in the test itself).
inline std::vector<uint8_t> Hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (const char c : text) {
    if (c == ' ') continue;
    int v = 0;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      throw std::invalid_argument("bad hex digit in test vector");
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high * 16 + v));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("odd number of hex digits in test vector");
  return out;
}

inline std::string ToHex(const std::vector<uint8_t>& bytes) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) s += ' ';
    s += kDigits[bytes[i] >> 4];
    s += kDigits[bytes[i] & 0x0f];
  }
  return s;
}

}  // namespace brook::protocol::test
