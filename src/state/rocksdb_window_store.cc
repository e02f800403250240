#include "state/rocksdb_window_store.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "state/segmented_db.h"
#include "state/store_keys.h"

namespace brook::state {
namespace {

using internal::SegmentedDb;
using internal::SegmentScan;
using internal::SegmentWrite;

// Decodes the entries of a SegmentScan as window keys. A key that does not decode ends the
// iteration with kCorruption.
class ScanWindowIterator final : public WindowIterator {
 public:
  explicit ScanWindowIterator(std::unique_ptr<SegmentScan> scan) : scan_(std::move(scan)) {
    Load();
  }
  [[nodiscard]] bool Valid() const override { return valid_; }
  [[nodiscard]] std::string_view key() const override { return current_.key; }
  [[nodiscard]] int64_t window_start_ms() const override { return current_.window_start_ms; }
  [[nodiscard]] std::string_view value() const override { return scan_->value(); }
  void Next() override {
    scan_->Next();
    Load();
  }
  [[nodiscard]] Status status() const override { return status_.ok() ? scan_->status() : status_; }

 private:
  void Load() {
    valid_ = false;
    if (!scan_->Valid()) return;
    Result<WindowKey> k = DecodeWindowKey(scan_->key());
    if (!k.ok()) {
      status_ = k.status();
      return;
    }
    current_ = *k;
    valid_ = true;
  }

  std::unique_ptr<SegmentScan> scan_;
  WindowKey current_;
  bool valid_ = false;
  Status status_;
};

class EmptyWindowIterator final : public WindowIterator {
 public:
  [[nodiscard]] bool Valid() const override { return false; }
  [[nodiscard]] std::string_view key() const override { return {}; }
  [[nodiscard]] int64_t window_start_ms() const override { return 0; }
  [[nodiscard]] std::string_view value() const override { return {}; }
  void Next() override {}
  [[nodiscard]] Status status() const override { return Status::Ok(); }
};

}  // namespace

Result<std::unique_ptr<RocksDbWindowStore>> RocksDbWindowStore::Open(
    std::string name, const std::filesystem::path& dir, const WindowStoreOptions& options) {
  const int64_t interval = options.segment_interval_ms > 0
                               ? options.segment_interval_ms
                               : std::max<int64_t>(options.retention_ms / 2, 60'000);
  BROOK_ASSIGN_OR_RETURN(
      std::unique_ptr<SegmentedDb> db,
      SegmentedDb::Open(std::move(name), dir, options.rocksdb, options.retention_ms, interval));
  return std::unique_ptr<RocksDbWindowStore>(new RocksDbWindowStore(std::move(db)));
}

RocksDbWindowStore::RocksDbWindowStore(std::unique_ptr<SegmentedDb> db) : db_(std::move(db)) {}
RocksDbWindowStore::~RocksDbWindowStore() = default;

const std::string& RocksDbWindowStore::name() const {
  return db_->name();
}

int64_t RocksDbWindowStore::observed_stream_time_ms() const {
  return db_->stream_time();
}

std::vector<int64_t> RocksDbWindowStore::SegmentIds() const {
  return db_->SegmentIds();
}

Result<WriteOutcome> RocksDbWindowStore::WriteOne(std::string_view key,
                                                  std::optional<std::string_view> value,
                                                  int64_t window_start_ms) {
  BROOK_RETURN_IF_ERROR(db_->CheckOpen());
  if (window_start_ms < 0) {
    return Status::InvalidArgument("window store '" + name() + "': negative window start " +
                                   std::to_string(window_start_ms));
  }
  db_->Observe(window_start_ms);
  if (db_->IsExpired(window_start_ms)) {
    ++expired_writes_;
    return WriteOutcome::kExpired;
  }
  const std::string encoded = EncodeWindowKey(key, window_start_ms);
  const SegmentWrite write{window_start_ms, encoded, value};
  BROOK_ASSIGN_OR_RETURN(const size_t skipped, db_->Write({&write, 1}, false));
  (void)skipped;  // cannot be expired: checked above
  BROOK_ASSIGN_OR_RETURN(const size_t dropped, db_->DropExpiredSegments());
  (void)dropped;
  return WriteOutcome::kWritten;
}

Result<WriteOutcome> RocksDbWindowStore::Put(std::string_view key, std::string_view value,
                                             int64_t window_start_ms) {
  return WriteOne(key, value, window_start_ms);
}

Result<WriteOutcome> RocksDbWindowStore::Delete(std::string_view key, int64_t window_start_ms) {
  return WriteOne(key, std::nullopt, window_start_ms);
}

Result<std::optional<std::string>> RocksDbWindowStore::Fetch(std::string_view key,
                                                             int64_t window_start_ms) const {
  BROOK_RETURN_IF_ERROR(db_->CheckOpen());
  if (window_start_ms < 0) return std::optional<std::string>();
  return db_->Get(window_start_ms, EncodeWindowKey(key, window_start_ms));
}

Result<std::unique_ptr<WindowIterator>> RocksDbWindowStore::FetchKey(std::string_view key,
                                                                     int64_t time_from_ms,
                                                                     int64_t time_to_ms,
                                                                     bool reverse) const {
  BROOK_RETURN_IF_ERROR(db_->CheckOpen());
  const int64_t from = std::max(time_from_ms, db_->MinLiveTime());
  if (from > time_to_ms) return std::unique_ptr<WindowIterator>(new EmptyWindowIterator());
  BROOK_ASSIGN_OR_RETURN(
      std::unique_ptr<SegmentScan> scan,
      db_->Scan(db_->SegmentId(from), db_->SegmentId(time_to_ms), EncodeWindowKey(key, from),
                EncodeWindowKey(key, time_to_ms), reverse, nullptr));
  return std::unique_ptr<WindowIterator>(new ScanWindowIterator(std::move(scan)));
}

Result<std::unique_ptr<WindowIterator>> RocksDbWindowStore::Fetch(std::string_view key,
                                                                  int64_t time_from_ms,
                                                                  int64_t time_to_ms) const {
  return FetchKey(key, time_from_ms, time_to_ms, false);
}

Result<std::unique_ptr<WindowIterator>> RocksDbWindowStore::FetchBackward(
    std::string_view key, int64_t time_from_ms, int64_t time_to_ms) const {
  return FetchKey(key, time_from_ms, time_to_ms, true);
}

Result<std::unique_ptr<WindowIterator>> RocksDbWindowStore::FetchAll(int64_t time_from_ms,
                                                                     int64_t time_to_ms) const {
  BROOK_RETURN_IF_ERROR(db_->CheckOpen());
  const int64_t from = std::max(time_from_ms, db_->MinLiveTime());
  if (from > time_to_ms) return std::unique_ptr<WindowIterator>(new EmptyWindowIterator());
  // Undecodable keys are accepted here so that the iterator reports them.
  auto accept = [from, time_to_ms](std::string_view k) {
    Result<WindowKey> d = DecodeWindowKey(k);
    return !d.ok() || (d->window_start_ms >= from && d->window_start_ms <= time_to_ms);
  };
  BROOK_ASSIGN_OR_RETURN(
      std::unique_ptr<SegmentScan> scan,
      db_->Scan(db_->SegmentId(from), db_->SegmentId(time_to_ms), "", std::nullopt, false, accept));
  return std::unique_ptr<WindowIterator>(new ScanWindowIterator(std::move(scan)));
}

Status RocksDbWindowStore::ApplyRestoreBatch(std::span<const ChangelogRecord> records) {
  BROOK_RETURN_IF_ERROR(db_->CheckOpen());
  std::vector<SegmentWrite> writes;
  writes.reserve(records.size());
  for (const ChangelogRecord& r : records) {
    Result<WindowKey> k = DecodeWindowKey(r.key);
    if (!k.ok()) {
      return k.status().WithContext("window store '" + name() + "': restore record at offset " +
                                    std::to_string(r.offset));
    }
    writes.push_back(SegmentWrite{k->window_start_ms, r.key, r.value});
  }
  for (const SegmentWrite& w : writes) db_->Observe(w.timestamp);
  BROOK_ASSIGN_OR_RETURN(const size_t skipped, db_->Write(writes, true));
  expired_writes_ += skipped;
  BROOK_ASSIGN_OR_RETURN(const size_t dropped, db_->DropExpiredSegments());
  (void)dropped;
  return Status::Ok();
}

Status RocksDbWindowStore::FlushAfterRestore() {
  return db_->Flush();
}
Status RocksDbWindowStore::Flush() {
  return db_->Flush();
}
Status RocksDbWindowStore::Close() {
  return db_->Close();
}

}  // namespace brook::state
