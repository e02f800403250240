// SessionBytesStore: the byte-level session store interface (Kafka Streams' SessionStore<
// Bytes, byte[]>): values keyed by (key, session [start, end]), both ends inclusive ms,
// 0 <= start <= end. One entry per (key, start, end); a put overwrites.
//
// Retention: observed stream time is the largest session end written or restored. A
// session is expired when end <= stream_time - retention_ms: writes of expired sessions are
// ignored and counted (WriteOutcome::kExpired), reads skip them, and segments (by session
// end) are dropped whole once all their sessions are expired.
//
// Changelog and restore: the changelog key is EncodeSessionKey(key, session)
// (store_keys.h); a removal is logged as a tombstone of that key.
//
// Iterators follow the contract of key_value_store.h (snapshot reads, views valid until
// Next(), destroy before Close()).
//
// Thread-safety: one thread at a time (a store belongs to one task).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "brook/state/key_value_store.h"
#include "brook/state/window_store.h"
#include "brook/status.h"

namespace brook::state {

// A session: the inclusive time range [start_ms, end_ms] of the records it covers.
// Valid when 0 <= start_ms <= end_ms.
struct SessionWindow {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  bool operator==(const SessionWindow&) const = default;
};

class SessionIterator {
 public:
  virtual ~SessionIterator() = default;
  [[nodiscard]] virtual bool Valid() const = 0;
  // Preconditions for the accessors and Next(): Valid().
  [[nodiscard]] virtual std::string_view key() const = 0;
  [[nodiscard]] virtual SessionWindow session() const = 0;
  [[nodiscard]] virtual std::string_view value() const = 0;
  virtual void Next() = 0;
  [[nodiscard]] virtual Status status() const = 0;
};

class SessionBytesStore {
 public:
  virtual ~SessionBytesStore() = default;

  [[nodiscard]] virtual const std::string& name() const = 0;
  // kInvalidArgument unless 0 <= start <= end.
  [[nodiscard]] virtual Result<WriteOutcome> Put(std::string_view key, SessionWindow session,
                                                 std::string_view value) = 0;
  [[nodiscard]] virtual Result<WriteOutcome> Remove(std::string_view key,
                                                    SessionWindow session) = 0;

  // The value of exactly this session, nullopt when absent or expired.
  [[nodiscard]] virtual Result<std::optional<std::string>> FetchSession(
      std::string_view key, SessionWindow session) const = 0;
  // The sessions of key that end at or after earliest_session_end_ms and start at or before
  // latest_session_start_ms, i.e. that overlap [earliest_session_end, latest_session_start]
  // (Kafka Streams' findSessions). Ordered by session end, then start.
  [[nodiscard]] virtual Result<std::unique_ptr<SessionIterator>> FindSessions(
      std::string_view key, int64_t earliest_session_end_ms,
      int64_t latest_session_start_ms) const = 0;
  // Every live session of key, ordered by end, then start.
  [[nodiscard]] virtual Result<std::unique_ptr<SessionIterator>> FetchSessions(
      std::string_view key) const = 0;

  // Largest session end observed, or -1 before the first write.
  [[nodiscard]] virtual int64_t observed_stream_time_ms() const = 0;
  [[nodiscard]] virtual uint64_t expired_writes() const = 0;

  // Restore (see key_value_store.h); keys are session changelog keys, an undecodable key is
  // kCorruption naming the offset and nothing of the batch is written.
  virtual Status ApplyRestoreBatch(std::span<const ChangelogRecord> records) = 0;
  virtual Status FlushAfterRestore() = 0;
  virtual Status Flush() = 0;
  virtual Status Close() = 0;
};

}  // namespace brook::state
