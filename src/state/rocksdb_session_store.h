// RocksDbSessionStore: the persistent SessionBytesStore. One RocksDB instance per store in
// its own directory, one column family per segment of session END times (segmented_db.h);
// the RocksDB key within a segment is the session changelog key (store_keys.h), which sorts
// a key's sessions by end then start.
//
// Thread-safety: one thread at a time (see session_store.h).
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "state/rocksdb_options.h"
#include "brook/state/session_store.h"

namespace brook::state {

namespace internal {
class SegmentedDb;
}  // namespace internal

struct SessionStoreOptions {
  // How long sessions are kept after their end, against observed stream time (Kafka
  // Streams: at least inactivity gap + grace).
  // Default: 1 day
  int64_t retention_ms = 24LL * 60 * 60 * 1000;
  // Width of a segment of session end times; 0 means max(retention_ms / 2, 60 s).
  // Default: 0
  int64_t segment_interval_ms = 0;
  // Default: RocksDbStoreOptions{}
  RocksDbStoreOptions rocksdb;
};

class RocksDbSessionStore final : public SessionBytesStore {
 public:
  // Opens (creating if missing) the store in dir; errors as RocksDbWindowStore::Open.
  [[nodiscard]] static Result<std::unique_ptr<RocksDbSessionStore>> Open(
      std::string name, const std::filesystem::path& dir, const SessionStoreOptions& options);
  ~RocksDbSessionStore() override;
  RocksDbSessionStore(const RocksDbSessionStore&) = delete;
  RocksDbSessionStore& operator=(const RocksDbSessionStore&) = delete;

  [[nodiscard]] const std::string& name() const override;
  [[nodiscard]] Result<WriteOutcome> Put(std::string_view key, SessionWindow session,
                                         std::string_view value) override;
  [[nodiscard]] Result<WriteOutcome> Remove(std::string_view key, SessionWindow session) override;
  [[nodiscard]] Result<std::optional<std::string>> FetchSession(
      std::string_view key, SessionWindow session) const override;
  [[nodiscard]] Result<std::unique_ptr<SessionIterator>> FindSessions(
      std::string_view key, int64_t earliest_session_end_ms,
      int64_t latest_session_start_ms) const override;
  [[nodiscard]] Result<std::unique_ptr<SessionIterator>> FetchSessions(
      std::string_view key) const override;
  [[nodiscard]] int64_t observed_stream_time_ms() const override;
  [[nodiscard]] uint64_t expired_writes() const override { return expired_writes_; }
  Status ApplyRestoreBatch(std::span<const ChangelogRecord> records) override;
  Status FlushAfterRestore() override;
  Status Flush() override;
  Status Close() override;

  // Ids of the segments on disk, ascending (for tests and diagnostics).
  [[nodiscard]] std::vector<int64_t> SegmentIds() const;

 private:
  explicit RocksDbSessionStore(std::unique_ptr<internal::SegmentedDb> db);
  [[nodiscard]] Result<WriteOutcome> WriteOne(std::string_view key, SessionWindow session,
                                              std::optional<std::string_view> value);

  std::unique_ptr<internal::SegmentedDb> db_;
  uint64_t expired_writes_ = 0;
};

}  // namespace brook::state
