// InMemoryKeyValueStore: a KeyValueBytesStore over std::map, for tests and for stores
// declared in-memory (their state lives only in the changelog; restore rebuilds it).
//
// Iterators copy the current entry, and step by re-seeking from the last key returned, so
// writes during iteration never invalidate them (see key_value_store.h); they see writes to
// keys they have not reached yet. Flush and FlushAfterRestore do nothing.
//
// Thread-safety: one thread at a time (see key_value_store.h).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "brook/state/key_value_store.h"

namespace brook::state {

class InMemoryKeyValueStore final : public KeyValueBytesStore {
 public:
  explicit InMemoryKeyValueStore(std::string name);
  ~InMemoryKeyValueStore() override;
  InMemoryKeyValueStore(const InMemoryKeyValueStore&) = delete;
  InMemoryKeyValueStore& operator=(const InMemoryKeyValueStore&) = delete;

  [[nodiscard]] const std::string& name() const override { return name_; }
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

  using Map = std::map<std::string, std::string, std::less<>>;

 private:
  [[nodiscard]] Status CheckOpen() const;
  void PutInternal(std::string_view key, std::string_view value);
  void DeleteInternal(std::string_view key);

  std::string name_;
  Map map_;
  uint64_t bytes_ = 0;  // sum of key and value sizes
  bool closed_ = false;
  std::shared_ptr<int> open_iterators_ = std::make_shared<int>(0);
};

}  // namespace brook::state
