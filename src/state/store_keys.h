// The binary keys of window and session stores. One format serves both as the RocksDB key
// inside a segment and as the key of the store's changelog record, so the runtime restores a
// changelog record by handing its key to ApplyRestoreBatch unchanged. Defined here and
// nowhere else; all integers big-endian, timestamps in ms and never negative (so their
// big-endian bytes sort numerically).
//
//   window key:  u32 key_length | key bytes | i64 window_start_ms           (12 + n bytes)
//   session key: u32 key_length | key bytes | i64 session_end_ms | i64 session_start_ms
//                                                                          (20 + n bytes)
//
// The length prefix makes decoding exact (no ambiguity between a key and a longer key that
// begins with it) and groups a key's entries together: within one segment, entries sort by
// (key length, key bytes, window start) or (key length, key bytes, session end, start).
// A session key leads with the end time because session stores expire and search sessions
// by their end.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "brook/state/session_store.h"
#include "brook/status.h"

namespace brook::state {

inline constexpr size_t kWindowKeyOverheadBytes = 12;
inline constexpr size_t kSessionKeyOverheadBytes = 20;

// Preconditions: window_start_ms >= 0; key.size() < 2^32.
[[nodiscard]] std::string EncodeWindowKey(std::string_view key, int64_t window_start_ms);

struct WindowKey {
  std::string_view key;  // points into the encoded bytes
  int64_t window_start_ms = 0;
};

// Returns kCorruption when the bytes are not a window key: wrong total length for the length
// prefix, or a negative timestamp.
[[nodiscard]] Result<WindowKey> DecodeWindowKey(std::string_view encoded);

// Preconditions: 0 <= session.start_ms <= session.end_ms; key.size() < 2^32.
[[nodiscard]] std::string EncodeSessionKey(std::string_view key, SessionWindow session);

struct SessionKey {
  std::string_view key;  // points into the encoded bytes
  SessionWindow session;
};

// Returns kCorruption when the bytes are not a session key (length mismatch, negative time,
// start after end).
[[nodiscard]] Result<SessionKey> DecodeSessionKey(std::string_view encoded);

}  // namespace brook::state
