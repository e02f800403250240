// RocksDbWindowStore: the persistent WindowBytesStore. One RocksDB instance per store in
// its own directory, one column family per time segment (segmented_db.h); within a segment
// the RocksDB key is the window changelog key (store_keys.h), so restore writes records as
// they come.
//
// Thread-safety: one thread at a time (see window_store.h).
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "state/rocksdb_options.h"
#include "brook/state/window_store.h"

namespace brook::state {

namespace internal {
class SegmentedDb;
}  // namespace internal

struct WindowStoreOptions {
  // How long windows are kept, measured against observed stream time (Kafka Streams:
  // retention of the windowed store, at least window size + grace).
  // Default: 1 day
  int64_t retention_ms = 24LL * 60 * 60 * 1000;
  // Width of a segment, the unit in which expired windows are dropped; 0 means
  // max(retention_ms / 2, 60 s), Kafka Streams' rule.
  // Default: 0
  int64_t segment_interval_ms = 0;
  // Default: RocksDbStoreOptions{}
  RocksDbStoreOptions rocksdb;
};

class RocksDbWindowStore final : public WindowBytesStore {
 public:
  // Opens (creating if missing) the store in dir. kInvalidArgument for a non-positive
  // retention; otherwise as RocksDbKeyValueStore::Open.
  [[nodiscard]] static Result<std::unique_ptr<RocksDbWindowStore>> Open(
      std::string name, const std::filesystem::path& dir, const WindowStoreOptions& options);
  ~RocksDbWindowStore() override;
  RocksDbWindowStore(const RocksDbWindowStore&) = delete;
  RocksDbWindowStore& operator=(const RocksDbWindowStore&) = delete;

  [[nodiscard]] const std::string& name() const override;
  [[nodiscard]] Result<WriteOutcome> Put(std::string_view key, std::string_view value,
                                         int64_t window_start_ms) override;
  [[nodiscard]] Result<WriteOutcome> Delete(std::string_view key, int64_t window_start_ms) override;
  [[nodiscard]] Result<std::optional<std::string>> Fetch(std::string_view key,
                                                         int64_t window_start_ms) const override;
  [[nodiscard]] Result<std::unique_ptr<WindowIterator>> Fetch(std::string_view key,
                                                              int64_t time_from_ms,
                                                              int64_t time_to_ms) const override;
  [[nodiscard]] Result<std::unique_ptr<WindowIterator>> FetchBackward(
      std::string_view key, int64_t time_from_ms, int64_t time_to_ms) const override;
  [[nodiscard]] Result<std::unique_ptr<WindowIterator>> FetchAll(int64_t time_from_ms,
                                                                 int64_t time_to_ms) const override;
  [[nodiscard]] int64_t observed_stream_time_ms() const override;
  [[nodiscard]] uint64_t expired_writes() const override { return expired_writes_; }
  Status ApplyRestoreBatch(std::span<const ChangelogRecord> records) override;
  Status FlushAfterRestore() override;
  Status Flush() override;
  Status Close() override;

  // Ids of the segments on disk, ascending (for tests and diagnostics).
  [[nodiscard]] std::vector<int64_t> SegmentIds() const;

 private:
  explicit RocksDbWindowStore(std::unique_ptr<internal::SegmentedDb> db);
  [[nodiscard]] Result<WriteOutcome> WriteOne(std::string_view key,
                                              std::optional<std::string_view> value,
                                              int64_t window_start_ms);
  [[nodiscard]] Result<std::unique_ptr<WindowIterator>> FetchKey(std::string_view key,
                                                                 int64_t time_from_ms,
                                                                 int64_t time_to_ms,
                                                                 bool reverse) const;

  std::unique_ptr<internal::SegmentedDb> db_;
  uint64_t expired_writes_ = 0;
};

}  // namespace brook::state
