// RocksDbKeyValueStore: a persistent KeyValueBytesStore, one RocksDB instance per store in
// its own directory (the runtime uses <task dir>/rocksdb/<store name>/, see README.md).
// Keys and values are stored as given in the default column family.
//
// Durability: with RocksDbStoreOptions::disable_wal (the default) writes reach disk only
// when Flush(), FlushAfterRestore() or Close() flushes the memtables; a crash loses what was
// written since, which the runtime restores from the changelog (from the last checkpoint).
// Iterators read a snapshot taken at their creation.
//
// Thread-safety: one thread at a time (see key_value_store.h).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "brook/state/key_value_store.h"
#include "state/rocksdb_options.h"

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace brook::state {

class RocksDbKeyValueStore final : public KeyValueBytesStore {
 public:
  // Opens (creating it if missing) the DB in dir. Returns kIoError when the directory cannot
  // be created or the DB is open elsewhere (RocksDB's own LOCK file), kCorruption for a
  // damaged DB, kInvalidArgument for unsupported options.
  [[nodiscard]] static Result<std::unique_ptr<RocksDbKeyValueStore>> Open(
      std::string name, const std::filesystem::path& dir, const RocksDbStoreOptions& options);
  ~RocksDbKeyValueStore() override;
  RocksDbKeyValueStore(const RocksDbKeyValueStore&) = delete;
  RocksDbKeyValueStore& operator=(const RocksDbKeyValueStore&) = delete;

  [[nodiscard]] const std::string& name() const override { return name_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  Status Put(std::string_view key, std::string_view value) override;
  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const override;
  Status Delete(std::string_view key) override;
  Status Write(std::span<const KeyValueWrite> batch) override;
  [[nodiscard]] Result<std::unique_ptr<KeyValueIterator>> Range(
      std::optional<std::string_view> from, std::optional<std::string_view> to) const override;
  [[nodiscard]] Result<std::unique_ptr<KeyValueIterator>> ReverseRange(
      std::optional<std::string_view> from, std::optional<std::string_view> to) const override;
  [[nodiscard]] Result<std::unique_ptr<KeyValueIterator>> PrefixScan(
      std::string_view prefix) const override;
  [[nodiscard]] Result<uint64_t> ApproximateNumEntries() const override;
  [[nodiscard]] Result<uint64_t> ApproximateSizeBytes() const override;
  Status ApplyRestoreBatch(std::span<const ChangelogRecord> records) override;
  Status FlushAfterRestore() override;
  Status Flush() override;
  Status Close() override;

 private:
  RocksDbKeyValueStore(std::string name, std::filesystem::path dir, bool disable_wal,
                       std::unique_ptr<rocksdb::DB> db);
  [[nodiscard]] Status CheckOpen() const;
  [[nodiscard]] std::string Context(std::string_view op) const;

  std::string name_;
  std::filesystem::path dir_;
  bool disable_wal_;
  std::unique_ptr<rocksdb::DB> db_;  // null once closed
  std::shared_ptr<int> open_iterators_ = std::make_shared<int>(0);
};

}  // namespace brook::state
