// RocksDbStoreOptions: how brook opens the RocksDB instance behind a persistent store.
// Every RocksDB-backed store (key-value, window, session) is its own DB in its own
// directory; these options apply to the DB and to each of its column families.
//
// Block cache: by default each store gets a private LRU cache of block_cache_bytes. To bound
// the memory of a process with many stores, create one cache with NewSharedBlockCache() and
// pass it in block_cache to every store: they then share it (and block_cache_bytes is
// ignored). Memtables are per store (and per segment for window/session stores):
// write_buffer_bytes * max_write_buffers bounds each.
//
// Thread-safety: plain value; a shared cache is itself thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace rocksdb {
class Cache;
}  // namespace rocksdb

namespace brook::state {

enum class StoreCompression {
  kAuto,  // LZ4 when this RocksDB build supports it, else none
  kNone,
  kLz4,   // fails to open when unsupported
  kZstd,  // fails to open when unsupported
};

struct RocksDbStoreOptions {
  // Block cache shared by every store given the same pointer; nullptr gives each store a
  // private cache of block_cache_bytes.
  // Default: nullptr
  std::shared_ptr<rocksdb::Cache> block_cache;
  // Size of the private block cache when block_cache is nullptr.
  // Default: 16 MiB
  size_t block_cache_bytes = size_t{16} << 20;
  // Uncompressed size of a data block.
  // Default: 4 KiB
  size_t block_size_bytes = size_t{4} << 10;
  // Bloom filter bits per key (~1% false positives at 10); 0 disables the filter.
  // Default: 10
  double bloom_bits_per_key = 10.0;
  // Size of one memtable.
  // Default: 16 MiB
  size_t write_buffer_bytes = size_t{16} << 20;
  // Memtables kept in memory (the active one plus those waiting to be flushed).
  // Default: 3
  int max_write_buffers = 3;
  // Compression of SST blocks.
  // Default: StoreCompression::kAuto
  StoreCompression compression = StoreCompression::kAuto;
  // Skip the write-ahead log for normal writes: the changelog topic is the source of truth,
  // and Flush() (called on commit, before the checkpoint) writes memtables to SST files.
  // Restore writes never use the WAL, whatever this says.
  // Default: true
  bool disable_wal = true;
  // Background flush and compaction threads of the DB.
  // Default: 2
  int max_background_jobs = 2;
};

// A block cache to share among stores (an LRU cache of capacity_bytes).
[[nodiscard]] std::shared_ptr<rocksdb::Cache> NewSharedBlockCache(size_t capacity_bytes);

}  // namespace brook::state
