#include "state/store_keys.h"

#include <cassert>

#include "state/encoding.h"

namespace brook::state {

namespace internal {

std::string EscapeBytes(std::string_view bytes, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const size_t n = std::min(bytes.size(), max_bytes);
  out.reserve(n + 8);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xfU]);
    }
  }
  if (bytes.size() > max_bytes) out += "...";
  return out;
}

}  // namespace internal

namespace {

// Checks the u32 length prefix against the total size; returns the key or an error.
Result<std::string_view> DecodeLengthPrefixed(std::string_view encoded, size_t overhead,
                                              std::string_view what) {
  if (encoded.size() < overhead) {
    return Status::Corruption(std::string(what) + " of " + std::to_string(encoded.size()) +
                              " bytes is shorter than its " + std::to_string(overhead) +
                              "-byte fixed part");
  }
  const uint32_t key_length = internal::ReadFixed32BE(encoded);
  if (encoded.size() - overhead != key_length) {
    return Status::Corruption(std::string(what) + " has length prefix " +
                              std::to_string(key_length) + " but " +
                              std::to_string(encoded.size() - overhead) + " key bytes");
  }
  return encoded.substr(4, key_length);
}

}  // namespace

std::string EncodeWindowKey(std::string_view key, int64_t window_start_ms) {
  assert(window_start_ms >= 0);
  std::string out;
  out.reserve(key.size() + kWindowKeyOverheadBytes);
  internal::AppendFixed32BE(out, static_cast<uint32_t>(key.size()));
  out.append(key);
  internal::AppendFixed64BE(out, static_cast<uint64_t>(window_start_ms));
  return out;
}

Result<WindowKey> DecodeWindowKey(std::string_view encoded) {
  BROOK_ASSIGN_OR_RETURN(const std::string_view key,
                         DecodeLengthPrefixed(encoded, kWindowKeyOverheadBytes, "window key"));
  const auto start = static_cast<int64_t>(internal::ReadFixed64BE(encoded.substr(4 + key.size())));
  if (start < 0) {
    return Status::Corruption("window key has negative window start " + std::to_string(start));
  }
  return WindowKey{key, start};
}

std::string EncodeSessionKey(std::string_view key, SessionWindow session) {
  assert(session.start_ms >= 0 && session.start_ms <= session.end_ms);
  std::string out;
  out.reserve(key.size() + kSessionKeyOverheadBytes);
  internal::AppendFixed32BE(out, static_cast<uint32_t>(key.size()));
  out.append(key);
  internal::AppendFixed64BE(out, static_cast<uint64_t>(session.end_ms));
  internal::AppendFixed64BE(out, static_cast<uint64_t>(session.start_ms));
  return out;
}

Result<SessionKey> DecodeSessionKey(std::string_view encoded) {
  BROOK_ASSIGN_OR_RETURN(const std::string_view key,
                         DecodeLengthPrefixed(encoded, kSessionKeyOverheadBytes, "session key"));
  const std::string_view times = encoded.substr(4 + key.size());
  const auto end = static_cast<int64_t>(internal::ReadFixed64BE(times));
  const auto start = static_cast<int64_t>(internal::ReadFixed64BE(times.substr(8)));
  if (start < 0 || start > end) {
    return Status::Corruption("session key has invalid session [" + std::to_string(start) + ", " +
                              std::to_string(end) + "]");
  }
  return SessionKey{key, SessionWindow{start, end}};
}

}  // namespace brook::state
