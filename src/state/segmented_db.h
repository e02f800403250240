// Internal (src/state only): the RocksDB instance behind a window or session store, split into time
// segments so that expired data is dropped a whole segment at a time.
//
// Layout: one DB per store. Segment i holds the entries whose segment timestamp ts
// (window start, or session end) satisfies i * segment_interval_ms <= ts <
// (i + 1) * segment_interval_ms, in its own column family named "segment-<i>". The default
// column family holds only metadata: key "brook.stream-time" -> i64 big-endian observed
// stream time, written on Flush/Close so that expiry resumes correctly after a reopen.
//
// Retention: stream time is the largest segment timestamp observed (writes and restores).
// A timestamp ts is expired when ts <= stream_time - retention_ms, i.e. ts < MinLiveTime().
// Once every timestamp of a segment is expired, the segment is dropped
// (DropColumnFamily: its files are deleted, no tombstones). Entries that are expired but
// sit in a still-live segment remain on disk until their segment goes; scans skip them.
//
// Thread-safety: one thread at a time, like the stores built on it.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "brook/status.h"
#include "state/rocksdb_options.h"

namespace brook::state::internal {

inline constexpr int64_t kNoStreamTime = -1;

// One write into the segment of `timestamp`; value nullopt deletes.
struct SegmentWrite {
  int64_t timestamp = 0;
  std::string_view key;
  std::optional<std::string_view> value;
};

// Walks the entries of a run of segments within [lower, upper] (inclusive, encoded keys;
// no upper bound when upper is nullopt),
// segment by segment, skipping entries the accept predicate rejects. Reads a snapshot taken
// at creation. Views valid until Next(). Must be destroyed before its SegmentedDb.
class SegmentScan {
 public:
  using Accept = std::function<bool(std::string_view key)>;
  ~SegmentScan();
  SegmentScan(const SegmentScan&) = delete;
  SegmentScan& operator=(const SegmentScan&) = delete;

  [[nodiscard]] bool Valid() const { return valid_; }
  [[nodiscard]] std::string_view key() const;
  [[nodiscard]] std::string_view value() const;
  void Next();
  [[nodiscard]] Status status() const { return status_; }

 private:
  friend class SegmentedDb;
  SegmentScan(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& segments,
              std::string lower, std::optional<std::string> upper, bool reverse, Accept accept,
              std::shared_ptr<int> open_iterators);
  void SeekCurrent();  // positions at the first candidate of segments_[index_]
  void Settle();       // moves to the first accepted entry at or after the position

  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_ = nullptr;
  std::vector<std::unique_ptr<rocksdb::Iterator>> iterators_;
  size_t index_ = 0;
  std::string lower_;
  std::optional<std::string> upper_;
  bool reverse_;
  Accept accept_;
  std::shared_ptr<int> open_iterators_;
  bool valid_ = false;
  Status status_;
};

class SegmentedDb {
 public:
  // Opens (creating if missing) the DB in dir with its existing segments. kInvalidArgument
  // for retention_ms <= 0 or segment_interval_ms <= 0; kCorruption for an unknown column
  // family or bad metadata; kIoError when the DB cannot be opened.
  [[nodiscard]] static Result<std::unique_ptr<SegmentedDb>> Open(std::string store_name,
                                                                 const std::filesystem::path& dir,
                                                                 const RocksDbStoreOptions& options,
                                                                 int64_t retention_ms,
                                                                 int64_t segment_interval_ms);
  ~SegmentedDb();
  SegmentedDb(const SegmentedDb&) = delete;
  SegmentedDb& operator=(const SegmentedDb&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] bool closed() const { return db_ == nullptr; }
  [[nodiscard]] Status CheckOpen() const;
  [[nodiscard]] int64_t stream_time() const { return stream_time_; }
  [[nodiscard]] int64_t retention_ms() const { return retention_ms_; }
  [[nodiscard]] int64_t segment_interval_ms() const { return segment_interval_ms_; }
  // Smallest live timestamp: max(0, stream_time - retention_ms + 1); 0 before any write.
  [[nodiscard]] int64_t MinLiveTime() const;
  [[nodiscard]] bool IsExpired(int64_t ts) const { return ts < MinLiveTime(); }
  [[nodiscard]] int64_t SegmentId(int64_t ts) const { return ts / segment_interval_ms_; }
  // Ids of the segments present, ascending.
  [[nodiscard]] std::vector<int64_t> SegmentIds() const;

  // Advances stream time to ts if larger.
  void Observe(int64_t ts);
  // Writes the batch atomically, creating segments as needed. Entries expired by the
  // current stream time are skipped; returns how many. without_wal forces the WAL off.
  [[nodiscard]] Result<size_t> Write(std::span<const SegmentWrite> writes, bool without_wal);
  // Drops the segments whose timestamps are all expired; returns how many were dropped.
  [[nodiscard]] Result<size_t> DropExpiredSegments();
  [[nodiscard]] Result<std::optional<std::string>> Get(int64_t ts, std::string_view key) const;
  // Scans the existing segments with ids in [first_segment, last_segment], ascending (or
  // descending when reverse), each within the encoded key range [lower, upper] (upper
  // nullopt: unbounded), skipping keys that accept (if set) rejects.
  [[nodiscard]] Result<std::unique_ptr<SegmentScan>> Scan(int64_t first_segment,
                                                          int64_t last_segment, std::string lower,
                                                          std::optional<std::string> upper,
                                                          bool reverse,
                                                          SegmentScan::Accept accept) const;
  // Persists stream time and flushes every segment's memtable.
  [[nodiscard]] Status Flush();
  // Flushes and closes; idempotent; kFailedPrecondition while scans are open.
  [[nodiscard]] Status Close();

 private:
  SegmentedDb(std::string name, std::filesystem::path dir, bool disable_wal, int64_t retention_ms,
              int64_t segment_interval_ms, rocksdb::ColumnFamilyOptions cf_options);
  [[nodiscard]] std::string Context(std::string_view op) const;
  [[nodiscard]] Result<rocksdb::ColumnFamilyHandle*> GetOrCreateSegment(int64_t id);

  std::string name_;
  std::filesystem::path dir_;
  bool disable_wal_;
  int64_t retention_ms_;
  int64_t segment_interval_ms_;
  rocksdb::ColumnFamilyOptions cf_options_;
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;
  std::map<int64_t, rocksdb::ColumnFamilyHandle*> segments_;
  int64_t stream_time_ = kNoStreamTime;
  std::shared_ptr<int> open_iterators_ = std::make_shared<int>(0);
};

}  // namespace brook::state::internal
