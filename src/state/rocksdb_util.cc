#include "state/rocksdb_util.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <string>

namespace brook::state {

std::shared_ptr<rocksdb::Cache> NewSharedBlockCache(size_t capacity_bytes) {
  return rocksdb::NewLRUCache(capacity_bytes);
}

namespace internal {
namespace {

bool Supported(rocksdb::CompressionType type) {
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  return std::find(supported.begin(), supported.end(), type) != supported.end();
}

}  // namespace

Result<rocksdb::Options> MakeRocksDbOptions(const RocksDbStoreOptions& options) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.max_background_jobs = options.max_background_jobs;
  o.write_buffer_size = options.write_buffer_bytes;
  o.max_write_buffer_number = options.max_write_buffers;
  // Stores are small and many: keep RocksDB's info logs and manifest modest.
  o.keep_log_file_num = 2;
  o.max_manifest_file_size = uint64_t{64} << 20;
  // A bloom filter over the memtable's keys: an aggregation reads every key before writing
  // it, and about half of those reads miss the memtable (flushed at each commit); the filter
  // answers them without a skip-list search.
  o.memtable_whole_key_filtering = true;
  o.memtable_prefix_bloom_size_ratio = 0.02;

  switch (options.compression) {
    case StoreCompression::kAuto:
      o.compression =
          Supported(rocksdb::kLZ4Compression) ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
      break;
    case StoreCompression::kNone:
      o.compression = rocksdb::kNoCompression;
      break;
    case StoreCompression::kLz4:
      if (!Supported(rocksdb::kLZ4Compression)) {
        return Status::InvalidArgument("RocksDB was built without LZ4 compression");
      }
      o.compression = rocksdb::kLZ4Compression;
      break;
    case StoreCompression::kZstd:
      if (!Supported(rocksdb::kZSTD)) {
        return Status::InvalidArgument("RocksDB was built without ZSTD compression");
      }
      o.compression = rocksdb::kZSTD;
      break;
  }

  rocksdb::BlockBasedTableOptions table;
  table.block_cache =
      options.block_cache ? options.block_cache : rocksdb::NewLRUCache(options.block_cache_bytes);
  table.block_size = options.block_size_bytes;
  if (options.bloom_bits_per_key > 0) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(options.bloom_bits_per_key));
  }
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return o;
}

Status FromRocksDb(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::Ok();
  std::string m(context);
  m += ": ";
  m += s.ToString();
  if (s.IsIOError()) return Status::IoError(std::move(m));
  if (s.IsCorruption()) return Status::Corruption(std::move(m));
  if (s.IsNotFound()) return Status::NotFound(std::move(m));
  if (s.IsInvalidArgument()) return Status::InvalidArgument(std::move(m));
  if (s.IsBusy() || s.IsTryAgain()) return Status::Unavailable(std::move(m));
  if (s.IsTimedOut()) return Status::TimedOut(std::move(m));
  return Status::Internal(std::move(m));
}

}  // namespace internal
}  // namespace brook::state
