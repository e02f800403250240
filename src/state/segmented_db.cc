#include "state/segmented_db.h"

#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <limits>
#include <system_error>
#include <utility>

#include "state/encoding.h"
#include "state/rocksdb_util.h"

namespace brook::state::internal {
namespace {

constexpr std::string_view kSegmentPrefix = "segment-";
constexpr std::string_view kStreamTimeKey = "brook.stream-time";

rocksdb::Slice ToSlice(std::string_view s) {
  return {s.data(), s.size()};
}
std::string_view ToView(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

std::string SegmentName(int64_t id) {
  return std::string(kSegmentPrefix) + std::to_string(id);
}

std::optional<int64_t> ParseSegmentName(std::string_view name) {
  if (!name.starts_with(kSegmentPrefix)) return std::nullopt;
  name.remove_prefix(kSegmentPrefix.size());
  int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (ec != std::errc() || ptr != name.data() + name.size() || id < 0) return std::nullopt;
  return id;
}

}  // namespace

// ---- SegmentScan ----

SegmentScan::SegmentScan(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& segments,
                         std::string lower, std::optional<std::string> upper, bool reverse,
                         Accept accept, std::shared_ptr<int> open_iterators)
    : db_(db),
      lower_(std::move(lower)),
      upper_(std::move(upper)),
      reverse_(reverse),
      accept_(std::move(accept)),
      open_iterators_(std::move(open_iterators)) {
  ++*open_iterators_;
  snapshot_ = db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot_;
  // Created up front: an iterator keeps its column family's data alive even if the segment
  // is dropped while the scan is open.
  for (rocksdb::ColumnFamilyHandle* cf : segments)
    iterators_.emplace_back(db_->NewIterator(ro, cf));
  if (!upper_ || lower_ <= *upper_) {
    SeekCurrent();
    Settle();
  }
}

SegmentScan::~SegmentScan() {
  iterators_.clear();
  db_->ReleaseSnapshot(snapshot_);
  --*open_iterators_;
}

std::string_view SegmentScan::key() const {
  return ToView(iterators_[index_]->key());
}
std::string_view SegmentScan::value() const {
  return ToView(iterators_[index_]->value());
}

void SegmentScan::SeekCurrent() {
  if (index_ >= iterators_.size()) return;
  rocksdb::Iterator& it = *iterators_[index_];
  if (reverse_) {
    if (upper_) {
      it.SeekForPrev(ToSlice(*upper_));
    } else {
      it.SeekToLast();
    }
  } else {
    it.Seek(ToSlice(lower_));
  }
}

void SegmentScan::Settle() {
  valid_ = false;
  while (index_ < iterators_.size()) {
    rocksdb::Iterator& it = *iterators_[index_];
    for (; it.Valid(); reverse_ ? it.Prev() : it.Next()) {
      const std::string_view k = ToView(it.key());
      if (reverse_ ? k < lower_ : (upper_ && k > *upper_)) break;
      if (!accept_ || accept_(k)) {
        valid_ = true;
        return;
      }
    }
    if (!it.status().ok()) {
      status_ = FromRocksDb(it.status(), "segment scan");
      return;
    }
    ++index_;
    SeekCurrent();
  }
}

void SegmentScan::Next() {
  assert(valid_);
  rocksdb::Iterator& it = *iterators_[index_];
  if (reverse_) {
    it.Prev();
  } else {
    it.Next();
  }
  Settle();
}

// ---- SegmentedDb ----

Result<std::unique_ptr<SegmentedDb>> SegmentedDb::Open(std::string store_name,
                                                       const std::filesystem::path& dir,
                                                       const RocksDbStoreOptions& options,
                                                       int64_t retention_ms,
                                                       int64_t segment_interval_ms) {
  const std::string context = "state store '" + store_name + "' at " + dir.string();
  if (retention_ms <= 0 || segment_interval_ms <= 0) {
    return Status::InvalidArgument(context + ": retention_ms (" + std::to_string(retention_ms) +
                                   ") and segment_interval_ms (" +
                                   std::to_string(segment_interval_ms) + ") must be positive");
  }
  BROOK_ASSIGN_OR_RETURN(rocksdb::Options db_options, MakeRocksDbOptions(options));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(context + ": cannot create directory: " + ec.message());

  std::vector<std::string> names;
  const rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(db_options, dir.string(), &names);
  if (!listed.ok()) names = {rocksdb::kDefaultColumnFamilyName};  // no DB yet
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  std::vector<int64_t> ids;  // parallel to descriptors after the default one
  for (const std::string& n : names) {
    if (n == rocksdb::kDefaultColumnFamilyName) continue;
    const std::optional<int64_t> id = ParseSegmentName(n);
    if (!id) {
      std::string m = context;
      m += ": unexpected column family '" + n + "'";
      return Status::Corruption(std::move(m));
    }
    ids.push_back(*id);
  }
  rocksdb::ColumnFamilyOptions cf_options(db_options);
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  for (int64_t id : ids) descriptors.emplace_back(SegmentName(id), cf_options);

  std::unique_ptr<SegmentedDb> store(new SegmentedDb(std::move(store_name), dir,
                                                     options.disable_wal, retention_ms,
                                                     segment_interval_ms, std::move(cf_options)));
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  BROOK_RETURN_IF_ERROR(
      FromRocksDb(rocksdb::DB::Open(db_options, dir.string(), descriptors, &handles, &raw),
                  context + ": open"));
  store->db_.reset(raw);
  store->default_cf_ = handles[0];
  for (size_t i = 0; i < ids.size(); ++i) store->segments_.emplace(ids[i], handles[i + 1]);

  std::string time_bytes;
  const rocksdb::Status got =
      raw->Get(rocksdb::ReadOptions(), store->default_cf_, ToSlice(kStreamTimeKey), &time_bytes);
  if (got.ok()) {
    if (time_bytes.size() != 8) {
      return Status::Corruption(context + ": stream time metadata has " +
                                std::to_string(time_bytes.size()) + " bytes, expected 8");
    }
    store->stream_time_ = static_cast<int64_t>(ReadFixed64BE(time_bytes));
  } else if (!got.IsNotFound()) {
    return FromRocksDb(got, context + ": read stream time");
  }
  return store;
}

SegmentedDb::SegmentedDb(std::string name, std::filesystem::path dir, bool disable_wal,
                         int64_t retention_ms, int64_t segment_interval_ms,
                         rocksdb::ColumnFamilyOptions cf_options)
    : name_(std::move(name)),
      dir_(std::move(dir)),
      disable_wal_(disable_wal),
      retention_ms_(retention_ms),
      segment_interval_ms_(segment_interval_ms),
      cf_options_(std::move(cf_options)) {}

SegmentedDb::~SegmentedDb() {
  assert(*open_iterators_ == 0 && "iterators must be destroyed before their store");
  (void)Close();
}

std::string SegmentedDb::Context(std::string_view op) const {
  std::string s = "state store '" + name_ + "' at " + dir_.string() + ": ";
  s += op;
  return s;
}

Status SegmentedDb::CheckOpen() const {
  if (!db_) return Status::FailedPrecondition("state store '" + name_ + "' is closed");
  return Status::Ok();
}

int64_t SegmentedDb::MinLiveTime() const {
  if (stream_time_ == kNoStreamTime) return 0;
  return std::max<int64_t>(0, stream_time_ - retention_ms_ + 1);
}

std::vector<int64_t> SegmentedDb::SegmentIds() const {
  std::vector<int64_t> ids;
  ids.reserve(segments_.size());
  for (const auto& [id, cf] : segments_) ids.push_back(id);
  return ids;
}

void SegmentedDb::Observe(int64_t ts) {
  stream_time_ = std::max(stream_time_, ts);
}

Result<rocksdb::ColumnFamilyHandle*> SegmentedDb::GetOrCreateSegment(int64_t id) {
  auto it = segments_.find(id);
  if (it != segments_.end()) return it->second;
  rocksdb::ColumnFamilyHandle* cf = nullptr;
  BROOK_RETURN_IF_ERROR(FromRocksDb(db_->CreateColumnFamily(cf_options_, SegmentName(id), &cf),
                                    Context("create segment " + std::to_string(id))));
  segments_.emplace(id, cf);
  return cf;
}

Result<size_t> SegmentedDb::Write(std::span<const SegmentWrite> writes, bool without_wal) {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  rocksdb::WriteBatch batch;
  size_t skipped = 0;
  for (const SegmentWrite& w : writes) {
    if (IsExpired(w.timestamp)) {
      ++skipped;
      continue;
    }
    BROOK_ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * cf,
                           GetOrCreateSegment(SegmentId(w.timestamp)));
    const rocksdb::Status s = w.value ? batch.Put(cf, ToSlice(w.key), ToSlice(*w.value))
                                      : batch.Delete(cf, ToSlice(w.key));
    BROOK_RETURN_IF_ERROR(FromRocksDb(s, [&] { return Context("write batch"); }));
  }
  rocksdb::WriteOptions wo;
  wo.disableWAL = without_wal || disable_wal_;
  BROOK_RETURN_IF_ERROR(FromRocksDb(db_->Write(wo, &batch), [&] { return Context("write"); }));
  return skipped;
}

Result<size_t> SegmentedDb::DropExpiredSegments() {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  const int64_t min_live_segment = SegmentId(MinLiveTime());
  size_t dropped = 0;
  while (!segments_.empty() && segments_.begin()->first < min_live_segment) {
    auto [id, cf] = *segments_.begin();
    BROOK_RETURN_IF_ERROR(
        FromRocksDb(db_->DropColumnFamily(cf), Context("drop segment " + std::to_string(id))));
    BROOK_RETURN_IF_ERROR(FromRocksDb(db_->DestroyColumnFamilyHandle(cf),
                                      Context("drop segment " + std::to_string(id))));
    segments_.erase(segments_.begin());
    ++dropped;
  }
  return dropped;
}

Result<std::optional<std::string>> SegmentedDb::Get(int64_t ts, std::string_view key) const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  if (IsExpired(ts)) return std::optional<std::string>();
  auto it = segments_.find(SegmentId(ts));
  if (it == segments_.end()) return std::optional<std::string>();
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), it->second, ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  BROOK_RETURN_IF_ERROR(FromRocksDb(s, [&] { return Context("get"); }));
  return std::optional<std::string>(std::move(value));
}

Result<std::unique_ptr<SegmentScan>> SegmentedDb::Scan(int64_t first_segment, int64_t last_segment,
                                                       std::string lower,
                                                       std::optional<std::string> upper,
                                                       bool reverse,
                                                       SegmentScan::Accept accept) const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;
  for (auto it = segments_.lower_bound(first_segment);
       it != segments_.end() && it->first <= last_segment; ++it) {
    cfs.push_back(it->second);
  }
  if (reverse) std::reverse(cfs.begin(), cfs.end());
  return std::unique_ptr<SegmentScan>(new SegmentScan(db_.get(), cfs, std::move(lower),
                                                      std::move(upper), reverse, std::move(accept),
                                                      open_iterators_));
}

Status SegmentedDb::Flush() {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  if (stream_time_ != kNoStreamTime) {
    std::string bytes;
    AppendFixed64BE(bytes, static_cast<uint64_t>(stream_time_));
    rocksdb::WriteOptions wo;
    wo.disableWAL = disable_wal_;
    BROOK_RETURN_IF_ERROR(FromRocksDb(
        db_->Put(wo, default_cf_, ToSlice(kStreamTimeKey), ToSlice(bytes)), Context("flush")));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> cfs = {default_cf_};
  for (const auto& [id, cf] : segments_) cfs.push_back(cf);
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return FromRocksDb(db_->Flush(fo, cfs), Context("flush"));
}

Status SegmentedDb::Close() {
  if (!db_) return Status::Ok();
  if (*open_iterators_ != 0) {
    return Status::FailedPrecondition("state store '" + name_ + "': Close with " +
                                      std::to_string(*open_iterators_) + " open iterator(s)");
  }
  const Status flushed = Flush();
  for (const auto& [id, cf] : segments_) (void)db_->DestroyColumnFamilyHandle(cf);
  segments_.clear();
  (void)db_->DestroyColumnFamilyHandle(default_cf_);
  default_cf_ = nullptr;
  const Status closed = FromRocksDb(db_->Close(), Context("close"));
  db_.reset();
  return flushed.ok() ? closed : flushed;
}

}  // namespace brook::state::internal
