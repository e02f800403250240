// KeyValueBytesStore: the byte-level key-value store interface of brook's state layer, in
// the style of Kafka Streams' KeyValueStore<Bytes, byte[]>. Backends (in-memory, RocksDB)
// implement it; decorators (change logging, metering) wrap one and implement it again; the
// typed views (typed_views.h) sit on top and are the only layer that knows serdes.
//
// Semantics: keys and values are arbitrary byte strings (empty and NUL bytes included);
// keys are ordered bytewise as unsigned chars. Range bounds are inclusive, and an absent
// bound means open-ended (Kafka Streams' range(from, to) with null ends). A range whose from
// is greater than its to is empty.
//
// Iterator lifetime contract:
//   - key()/value() views stay valid until the next Next() on that iterator or its
//     destruction, whatever else happens to the store.
//   - Writing to the store while an iterator is open is allowed and never invalidates the
//     iterator; whether the iterator sees the write is backend-specific (RocksDB: no, it
//     reads the snapshot taken when it was created; in-memory: yes for keys not yet reached).
//   - Every iterator must be destroyed before the store is closed or destroyed; Close()
//     with open iterators fails with kFailedPrecondition.
//
// After Close() (or a failed open) every call returns kFailedPrecondition.
//
// Thread-safety: a store instance belongs to one task and is used by one thread at a time
// (the stream thread that owns the task, or the restoring thread before processing starts);
// instances are not internally synchronized. Distinct instances are independent.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "brook/status.h"

namespace brook::state {

// One record read from a changelog topic partition during restore. Views are valid for the
// duration of the ApplyRestoreBatch call only.
struct ChangelogRecord {
  std::string_view key;
  std::optional<std::string_view> value;  // nullopt: tombstone (delete key)
  int64_t offset = -1;                    // offset in the changelog partition
};

// One write of a batch: a put, or a delete when value is nullopt.
struct KeyValueWrite {
  std::string_view key;
  std::optional<std::string_view> value;
};

class KeyValueIterator {
 public:
  virtual ~KeyValueIterator() = default;
  // True while positioned at an entry. False at the end or after an error (see status()).
  [[nodiscard]] virtual bool Valid() const = 0;
  // Preconditions for key(), value(), Next(): Valid().
  [[nodiscard]] virtual std::string_view key() const = 0;
  [[nodiscard]] virtual std::string_view value() const = 0;
  virtual void Next() = 0;
  // OK, or the error that ended the iteration early. Check it once Valid() is false.
  [[nodiscard]] virtual Status status() const = 0;
};

class KeyValueBytesStore {
 public:
  virtual ~KeyValueBytesStore() = default;

  // The store name (unique within a task; also names its changelog topic).
  [[nodiscard]] virtual const std::string& name() const = 0;

  // Inserts or overwrites.
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  // Returns nullopt when the key is absent.
  [[nodiscard]] virtual Result<std::optional<std::string>> Get(std::string_view key) const = 0;
  // Deleting an absent key is OK.
  virtual Status Delete(std::string_view key) = 0;
  // Applies puts and deletes in order (a later write of a key wins). RocksDB applies the
  // batch atomically; in-memory applies it entry by entry.
  virtual Status Write(std::span<const KeyValueWrite> batch) = 0;

  // Entries with from <= key <= to in ascending key order; nullopt bounds are open.
  [[nodiscard]] virtual Result<std::unique_ptr<KeyValueIterator>> Range(
      std::optional<std::string_view> from, std::optional<std::string_view> to) const = 0;
  // The same entries as Range(from, to), in descending key order.
  [[nodiscard]] virtual Result<std::unique_ptr<KeyValueIterator>> ReverseRange(
      std::optional<std::string_view> from, std::optional<std::string_view> to) const = 0;
  // Entries whose key starts with prefix, ascending. An empty prefix matches everything.
  [[nodiscard]] virtual Result<std::unique_ptr<KeyValueIterator>> PrefixScan(
      std::string_view prefix) const = 0;
  // Every entry, ascending.
  [[nodiscard]] Result<std::unique_ptr<KeyValueIterator>> All() const {
    return Range(std::nullopt, std::nullopt);
  }

  // Estimates (exact for in-memory; RocksDB's own estimates otherwise).
  [[nodiscard]] virtual Result<uint64_t> ApproximateNumEntries() const = 0;
  [[nodiscard]] virtual Result<uint64_t> ApproximateSizeBytes() const = 0;

  // Restore: applies changelog records in order (tombstones delete), in bulk and without
  // the write-ahead log. Change-logging decorators do NOT log these writes.
  virtual Status ApplyRestoreBatch(std::span<const ChangelogRecord> records) = 0;
  // Makes everything restored so far durable (RocksDB: flushes memtables to SST files).
  // Call before writing the checkpoint that covers the restored offsets.
  virtual Status FlushAfterRestore() = 0;

  // Makes all writes durable. The runtime calls it on commit, before writing a checkpoint.
  virtual Status Flush() = 0;
  // Flushes and releases resources. Idempotent; kFailedPrecondition with open iterators.
  virtual Status Close() = 0;
};

}  // namespace brook::state
