#include "state/rocksdb_session_store.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "state/segmented_db.h"
#include "state/store_keys.h"

namespace brook::state {
namespace {

using internal::SegmentedDb;
using internal::SegmentScan;
using internal::SegmentWrite;

constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

class ScanSessionIterator final : public SessionIterator {
 public:
  explicit ScanSessionIterator(std::unique_ptr<SegmentScan> scan) : scan_(std::move(scan)) {
    Load();
  }
  [[nodiscard]] bool Valid() const override { return valid_; }
  [[nodiscard]] std::string_view key() const override { return current_.key; }
  [[nodiscard]] SessionWindow session() const override { return current_.session; }
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
    Result<SessionKey> k = DecodeSessionKey(scan_->key());
    if (!k.ok()) {
      status_ = k.status();
      return;
    }
    current_ = *k;
    valid_ = true;
  }

  std::unique_ptr<SegmentScan> scan_;
  SessionKey current_;
  bool valid_ = false;
  Status status_;
};

class EmptySessionIterator final : public SessionIterator {
 public:
  [[nodiscard]] bool Valid() const override { return false; }
  [[nodiscard]] std::string_view key() const override { return {}; }
  [[nodiscard]] SessionWindow session() const override { return {}; }
  [[nodiscard]] std::string_view value() const override { return {}; }
  void Next() override {}
  [[nodiscard]] Status status() const override { return Status::Ok(); }
};

bool ValidSession(SessionWindow s) {
  return s.start_ms >= 0 && s.start_ms <= s.end_ms;
}

}  // namespace

Result<std::unique_ptr<RocksDbSessionStore>> RocksDbSessionStore::Open(
    std::string name, const std::filesystem::path& dir, const SessionStoreOptions& options) {
  const int64_t interval = options.segment_interval_ms > 0
                               ? options.segment_interval_ms
                               : std::max<int64_t>(options.retention_ms / 2, 60'000);
  BROOK_ASSIGN_OR_RETURN(
      std::unique_ptr<SegmentedDb> db,
      SegmentedDb::Open(std::move(name), dir, options.rocksdb, options.retention_ms, interval));
  return std::unique_ptr<RocksDbSessionStore>(new RocksDbSessionStore(std::move(db)));
}

RocksDbSessionStore::RocksDbSessionStore(std::unique_ptr<SegmentedDb> db) : db_(std::move(db)) {}
RocksDbSessionStore::~RocksDbSessionStore() = default;

const std::string& RocksDbSessionStore::name() const {
  return db_->name();
}
int64_t RocksDbSessionStore::observed_stream_time_ms() const {
  return db_->stream_time();
}
std::vector<int64_t> RocksDbSessionStore::SegmentIds() const {
  return db_->SegmentIds();
}

Result<WriteOutcome> RocksDbSessionStore::WriteOne(std::string_view key, SessionWindow session,
                                                   std::optional<std::string_view> value) {
  BROOK_RETURN_IF_ERROR(db_->CheckOpen());
  if (!ValidSession(session)) {
    return Status::InvalidArgument("session store '" + name() + "': invalid session [" +
                                   std::to_string(session.start_ms) + ", " +
                                   std::to_string(session.end_ms) + "]");
  }
  db_->Observe(session.end_ms);
  if (db_->IsExpired(session.end_ms)) {
    ++expired_writes_;
    return WriteOutcome::kExpired;
  }
  const std::string encoded = EncodeSessionKey(key, session);
  const SegmentWrite write{session.end_ms, encoded, value};
  BROOK_ASSIGN_OR_RETURN(const size_t skipped, db_->Write({&write, 1}, false));
  (void)skipped;  // cannot be expired: checked above
  BROOK_ASSIGN_OR_RETURN(const size_t dropped, db_->DropExpiredSegments());
  (void)dropped;
  return WriteOutcome::kWritten;
}

Result<WriteOutcome> RocksDbSessionStore::Put(std::string_view key, SessionWindow session,
                                              std::string_view value) {
  return WriteOne(key, session, value);
}

Result<WriteOutcome> RocksDbSessionStore::Remove(std::string_view key, SessionWindow session) {
  return WriteOne(key, session, std::nullopt);
}

Result<std::optional<std::string>> RocksDbSessionStore::FetchSession(std::string_view key,
                                                                     SessionWindow session) const {
  BROOK_RETURN_IF_ERROR(db_->CheckOpen());
  if (!ValidSession(session)) return std::optional<std::string>();
  return db_->Get(session.end_ms, EncodeSessionKey(key, session));
}

Result<std::unique_ptr<SessionIterator>> RocksDbSessionStore::FindSessions(
    std::string_view key, int64_t earliest_session_end_ms, int64_t latest_session_start_ms) const {
  BROOK_RETURN_IF_ERROR(db_->CheckOpen());
  const int64_t from_end = std::max(earliest_session_end_ms, db_->MinLiveTime());
  if (latest_session_start_ms < 0) {
    return std::unique_ptr<SessionIterator>(new EmptySessionIterator());
  }
  auto accept = [latest_session_start_ms](std::string_view k) {
    Result<SessionKey> d = DecodeSessionKey(k);
    return !d.ok() || d->session.start_ms <= latest_session_start_ms;
  };
  BROOK_ASSIGN_OR_RETURN(
      std::unique_ptr<SegmentScan> scan,
      db_->Scan(db_->SegmentId(from_end), db_->SegmentId(kMaxTime),
                EncodeSessionKey(key, SessionWindow{0, from_end}),
                EncodeSessionKey(key, SessionWindow{kMaxTime, kMaxTime}), false, accept));
  return std::unique_ptr<SessionIterator>(new ScanSessionIterator(std::move(scan)));
}

Result<std::unique_ptr<SessionIterator>> RocksDbSessionStore::FetchSessions(
    std::string_view key) const {
  return FindSessions(key, 0, kMaxTime);
}

Status RocksDbSessionStore::ApplyRestoreBatch(std::span<const ChangelogRecord> records) {
  BROOK_RETURN_IF_ERROR(db_->CheckOpen());
  std::vector<SegmentWrite> writes;
  writes.reserve(records.size());
  for (const ChangelogRecord& r : records) {
    Result<SessionKey> k = DecodeSessionKey(r.key);
    if (!k.ok()) {
      return k.status().WithContext("session store '" + name() + "': restore record at offset " +
                                    std::to_string(r.offset));
    }
    writes.push_back(SegmentWrite{k->session.end_ms, r.key, r.value});
  }
  for (const SegmentWrite& w : writes) db_->Observe(w.timestamp);
  BROOK_ASSIGN_OR_RETURN(const size_t skipped, db_->Write(writes, true));
  expired_writes_ += skipped;
  BROOK_ASSIGN_OR_RETURN(const size_t dropped, db_->DropExpiredSegments());
  (void)dropped;
  return Status::Ok();
}

Status RocksDbSessionStore::FlushAfterRestore() {
  return db_->Flush();
}
Status RocksDbSessionStore::Flush() {
  return db_->Flush();
}
Status RocksDbSessionStore::Close() {
  return db_->Close();
}

}  // namespace brook::state
