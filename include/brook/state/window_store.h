// WindowBytesStore: the byte-level window store interface (Kafka Streams' WindowStore<Bytes,
// byte[]>): values keyed by (key, window start). One entry per (key, window start); a put
// overwrites. Timestamps are ms and must be >= 0.
//
// Retention: the store tracks observed stream time, the largest window start written or
// restored. A window is expired when window_start <= stream_time - retention_ms. Writes
// to expired windows are ignored and counted (WriteOutcome::kExpired, expired_writes()),
// never an error; reads never return expired windows; expired data is dropped from disk a
// whole segment at a time (see segmented_db.h and README.md).
//
// Changelog and restore: the changelog key of an entry is EncodeWindowKey(key, window
// start) (store_keys.h); ApplyRestoreBatch takes records with such keys.
//
// Iterators follow the contract of key_value_store.h: views valid until Next(), writes
// during iteration allowed (iterators read a snapshot), destroy before Close().
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
#include "brook/status.h"

namespace brook::state {

enum class WriteOutcome {
  kWritten,  // applied
  kExpired,  // ignored: the window (or session) was already expired by stream time
};

class WindowIterator {
 public:
  virtual ~WindowIterator() = default;
  [[nodiscard]] virtual bool Valid() const = 0;
  // Preconditions for the accessors and Next(): Valid().
  [[nodiscard]] virtual std::string_view key() const = 0;
  [[nodiscard]] virtual int64_t window_start_ms() const = 0;
  [[nodiscard]] virtual std::string_view value() const = 0;
  virtual void Next() = 0;
  [[nodiscard]] virtual Status status() const = 0;
};

class WindowBytesStore {
 public:
  virtual ~WindowBytesStore() = default;

  [[nodiscard]] virtual const std::string& name() const = 0;
  // kInvalidArgument for a negative window start.
  [[nodiscard]] virtual Result<WriteOutcome> Put(std::string_view key, std::string_view value,
                                                 int64_t window_start_ms) = 0;
  [[nodiscard]] virtual Result<WriteOutcome> Delete(std::string_view key,
                                                    int64_t window_start_ms) = 0;

  // The value of one window, nullopt when absent or expired.
  [[nodiscard]] virtual Result<std::optional<std::string>> Fetch(std::string_view key,
                                                                 int64_t window_start_ms) const = 0;
  // The windows of key with time_from <= window start <= time_to, in window-start order.
  [[nodiscard]] virtual Result<std::unique_ptr<WindowIterator>> Fetch(std::string_view key,
                                                                      int64_t time_from_ms,
                                                                      int64_t time_to_ms) const = 0;
  // The same windows in descending window-start order.
  [[nodiscard]] virtual Result<std::unique_ptr<WindowIterator>> FetchBackward(
      std::string_view key, int64_t time_from_ms, int64_t time_to_ms) const = 0;
  // Every key's windows with time_from <= window start <= time_to. Order: by segment
  // (ascending time buckets of segment_interval_ms), then key (length, bytes), then window
  // start. Not globally time-ordered.
  [[nodiscard]] virtual Result<std::unique_ptr<WindowIterator>> FetchAll(
      int64_t time_from_ms, int64_t time_to_ms) const = 0;

  // Largest window start observed, or -1 before the first write.
  [[nodiscard]] virtual int64_t observed_stream_time_ms() const = 0;
  // Writes (puts, deletes, restored records) ignored because already expired.
  [[nodiscard]] virtual uint64_t expired_writes() const = 0;

  // Restore (see key_value_store.h). Keys are window changelog keys; a key that does not
  // decode is kCorruption naming the offset, and nothing of the batch is written.
  virtual Status ApplyRestoreBatch(std::span<const ChangelogRecord> records) = 0;
  virtual Status FlushAfterRestore() = 0;
  virtual Status Flush() = 0;
  virtual Status Close() = 0;
};

}  // namespace brook::state
