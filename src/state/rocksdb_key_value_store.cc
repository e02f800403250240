#include "state/rocksdb_key_value_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cassert>
#include <system_error>
#include <utility>

#include "state/rocksdb_util.h"

namespace brook::state {
namespace {

using internal::FromRocksDb;

rocksdb::Slice ToSlice(std::string_view s) {
  return {s.data(), s.size()};
}
std::string_view ToView(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

class RocksDbIterator final : public KeyValueIterator {
 public:
  struct Bounds {
    std::optional<std::string> from;    // inclusive
    std::optional<std::string> to;      // inclusive
    std::optional<std::string> prefix;  // every key must start with it
    bool reverse = false;
  };

  RocksDbIterator(rocksdb::DB* db, Bounds bounds, std::shared_ptr<int> open_iterators)
      : bounds_(std::move(bounds)), open_iterators_(std::move(open_iterators)) {
    ++*open_iterators_;
    it_.reset(db->NewIterator(rocksdb::ReadOptions()));
    if (!bounds_.reverse) {
      if (bounds_.from) {
        it_->Seek(ToSlice(*bounds_.from));
      } else {
        it_->SeekToFirst();
      }
    } else {
      if (bounds_.to) {
        it_->SeekForPrev(ToSlice(*bounds_.to));
      } else {
        it_->SeekToLast();
      }
    }
    Check();
  }
  ~RocksDbIterator() override {
    it_.reset();
    --*open_iterators_;
  }
  RocksDbIterator(const RocksDbIterator&) = delete;
  RocksDbIterator& operator=(const RocksDbIterator&) = delete;

  [[nodiscard]] bool Valid() const override { return valid_; }
  [[nodiscard]] std::string_view key() const override { return ToView(it_->key()); }
  [[nodiscard]] std::string_view value() const override { return ToView(it_->value()); }
  void Next() override {
    assert(valid_);
    if (bounds_.reverse) {
      it_->Prev();
    } else {
      it_->Next();
    }
    Check();
  }
  [[nodiscard]] Status status() const override {
    return FromRocksDb(it_->status(), "RocksDB iterator");
  }

 private:
  void Check() {
    valid_ = false;
    if (!it_->Valid()) return;
    const std::string_view k = ToView(it_->key());
    if (bounds_.reverse ? (bounds_.from && k < *bounds_.from) : (bounds_.to && k > *bounds_.to)) {
      return;
    }
    if (bounds_.prefix && !k.starts_with(*bounds_.prefix)) return;
    valid_ = true;
  }

  Bounds bounds_;
  std::shared_ptr<int> open_iterators_;
  std::unique_ptr<rocksdb::Iterator> it_;
  bool valid_ = false;
};

std::optional<std::string> ToOwned(std::optional<std::string_view> v) {
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

}  // namespace

Result<std::unique_ptr<RocksDbKeyValueStore>> RocksDbKeyValueStore::Open(
    std::string name, const std::filesystem::path& dir, const RocksDbStoreOptions& options) {
  const std::string context = "state store '" + name + "' at " + dir.string();
  BROOK_ASSIGN_OR_RETURN(rocksdb::Options db_options, internal::MakeRocksDbOptions(options));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(context + ": cannot create directory: " + ec.message());
  rocksdb::DB* raw = nullptr;
  BROOK_RETURN_IF_ERROR(
      FromRocksDb(rocksdb::DB::Open(db_options, dir.string(), &raw), context + ": open"));
  return std::unique_ptr<RocksDbKeyValueStore>(new RocksDbKeyValueStore(
      std::move(name), dir, options.disable_wal, std::unique_ptr<rocksdb::DB>(raw)));
}

RocksDbKeyValueStore::RocksDbKeyValueStore(std::string name, std::filesystem::path dir,
                                           bool disable_wal, std::unique_ptr<rocksdb::DB> db)
    : name_(std::move(name)), dir_(std::move(dir)), disable_wal_(disable_wal), db_(std::move(db)) {}

RocksDbKeyValueStore::~RocksDbKeyValueStore() {
  assert(*open_iterators_ == 0 && "iterators must be destroyed before their store");
  (void)Close();
}

std::string RocksDbKeyValueStore::Context(std::string_view op) const {
  std::string s = "state store '" + name_ + "' at " + dir_.string() + ": ";
  s += op;
  return s;
}

Status RocksDbKeyValueStore::CheckOpen() const {
  if (!db_) return Status::FailedPrecondition("state store '" + name_ + "' is closed");
  return Status::Ok();
}

Status RocksDbKeyValueStore::Put(std::string_view key, std::string_view value) {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  rocksdb::WriteOptions wo;
  wo.disableWAL = disable_wal_;
  return FromRocksDb(db_->Put(wo, ToSlice(key), ToSlice(value)), [&] { return Context("put"); });
}

Result<std::optional<std::string>> RocksDbKeyValueStore::Get(std::string_view key) const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  BROOK_RETURN_IF_ERROR(FromRocksDb(s, [&] { return Context("get"); }));
  return std::optional<std::string>(std::move(value));
}

Status RocksDbKeyValueStore::Delete(std::string_view key) {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  rocksdb::WriteOptions wo;
  wo.disableWAL = disable_wal_;
  return FromRocksDb(db_->Delete(wo, ToSlice(key)), [&] { return Context("delete"); });
}

Status RocksDbKeyValueStore::Write(std::span<const KeyValueWrite> batch) {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  rocksdb::WriteBatch wb;
  for (const KeyValueWrite& w : batch) {
    const rocksdb::Status s =
        w.value ? wb.Put(ToSlice(w.key), ToSlice(*w.value)) : wb.Delete(ToSlice(w.key));
    BROOK_RETURN_IF_ERROR(FromRocksDb(s, [&] { return Context("write batch"); }));
  }
  rocksdb::WriteOptions wo;
  wo.disableWAL = disable_wal_;
  return FromRocksDb(db_->Write(wo, &wb), [&] { return Context("write batch"); });
}

Result<std::unique_ptr<KeyValueIterator>> RocksDbKeyValueStore::Range(
    std::optional<std::string_view> from, std::optional<std::string_view> to) const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  return std::unique_ptr<KeyValueIterator>(std::make_unique<RocksDbIterator>(
      db_.get(), RocksDbIterator::Bounds{ToOwned(from), ToOwned(to), std::nullopt, false},
      open_iterators_));
}

Result<std::unique_ptr<KeyValueIterator>> RocksDbKeyValueStore::ReverseRange(
    std::optional<std::string_view> from, std::optional<std::string_view> to) const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  return std::unique_ptr<KeyValueIterator>(std::make_unique<RocksDbIterator>(
      db_.get(), RocksDbIterator::Bounds{ToOwned(from), ToOwned(to), std::nullopt, true},
      open_iterators_));
}

Result<std::unique_ptr<KeyValueIterator>> RocksDbKeyValueStore::PrefixScan(
    std::string_view prefix) const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  return std::unique_ptr<KeyValueIterator>(std::make_unique<RocksDbIterator>(
      db_.get(),
      RocksDbIterator::Bounds{std::string(prefix), std::nullopt, std::string(prefix), false},
      open_iterators_));
}

Result<uint64_t> RocksDbKeyValueStore::ApproximateNumEntries() const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  uint64_t n = 0;
  if (!db_->GetIntProperty(rocksdb::DB::Properties::kEstimateNumKeys, &n)) {
    return Status::Internal(Context("property rocksdb.estimate-num-keys unavailable"));
  }
  return n;
}

Result<uint64_t> RocksDbKeyValueStore::ApproximateSizeBytes() const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  uint64_t sst = 0;
  uint64_t mem = 0;
  if (!db_->GetIntProperty(rocksdb::DB::Properties::kTotalSstFilesSize, &sst) ||
      !db_->GetIntProperty(rocksdb::DB::Properties::kSizeAllMemTables, &mem)) {
    return Status::Internal(Context("size properties unavailable"));
  }
  return sst + mem;
}

Status RocksDbKeyValueStore::ApplyRestoreBatch(std::span<const ChangelogRecord> records) {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  rocksdb::WriteBatch wb;
  for (const ChangelogRecord& r : records) {
    const rocksdb::Status s =
        r.value ? wb.Put(ToSlice(r.key), ToSlice(*r.value)) : wb.Delete(ToSlice(r.key));
    BROOK_RETURN_IF_ERROR(FromRocksDb(s, Context("restore batch")));
  }
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  return FromRocksDb(db_->Write(wo, &wb), Context("restore batch"));
}

Status RocksDbKeyValueStore::FlushAfterRestore() {
  return Flush();
}

Status RocksDbKeyValueStore::Flush() {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return FromRocksDb(db_->Flush(fo), Context("flush"));
}

Status RocksDbKeyValueStore::Close() {
  if (!db_) return Status::Ok();
  if (*open_iterators_ != 0) {
    return Status::FailedPrecondition("state store '" + name_ + "': Close with " +
                                      std::to_string(*open_iterators_) + " open iterator(s)");
  }
  const Status flushed = Flush();
  const Status closed = FromRocksDb(db_->Close(), Context("close"));
  db_.reset();
  return flushed.ok() ? closed : flushed;
}

}  // namespace brook::state
