#include "state/metered_store.h"

#include <chrono>
#include <utility>

namespace brook::state {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

// Adds the time from construction to destruction to *sum.
class LatencyTimer {
 public:
  explicit LatencyTimer(std::atomic<uint64_t>& sum)
      : sum_(sum), start_(std::chrono::steady_clock::now()) {}
  ~LatencyTimer() {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - start_)
                        .count();
    sum_.fetch_add(static_cast<uint64_t>(ns), kRelaxed);
  }
  LatencyTimer(const LatencyTimer&) = delete;
  LatencyTimer& operator=(const LatencyTimer&) = delete;

 private:
  std::atomic<uint64_t>& sum_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

MeteredKeyValueStore::MeteredKeyValueStore(std::unique_ptr<KeyValueBytesStore> inner,
                                           std::shared_ptr<StoreMetrics> metrics)
    : inner_(std::move(inner)), metrics_(std::move(metrics)) {}

Status MeteredKeyValueStore::Put(std::string_view key, std::string_view value) {
  metrics_->puts.fetch_add(1, kRelaxed);
  const LatencyTimer timer(metrics_->put_latency_ns_sum);
  return inner_->Put(key, value);
}

Result<std::optional<std::string>> MeteredKeyValueStore::Get(std::string_view key) const {
  metrics_->gets.fetch_add(1, kRelaxed);
  const LatencyTimer timer(metrics_->get_latency_ns_sum);
  return inner_->Get(key);
}

Status MeteredKeyValueStore::Delete(std::string_view key) {
  metrics_->deletes.fetch_add(1, kRelaxed);
  return inner_->Delete(key);
}

Status MeteredKeyValueStore::Write(std::span<const KeyValueWrite> batch) {
  uint64_t puts = 0;
  for (const KeyValueWrite& w : batch) puts += w.value ? 1 : 0;
  metrics_->puts.fetch_add(puts, kRelaxed);
  metrics_->deletes.fetch_add(batch.size() - puts, kRelaxed);
  const LatencyTimer timer(metrics_->put_latency_ns_sum);
  return inner_->Write(batch);
}

Result<std::unique_ptr<KeyValueIterator>> MeteredKeyValueStore::Range(
    std::optional<std::string_view> from, std::optional<std::string_view> to) const {
  metrics_->range_scans.fetch_add(1, kRelaxed);
  return inner_->Range(from, to);
}

Result<std::unique_ptr<KeyValueIterator>> MeteredKeyValueStore::ReverseRange(
    std::optional<std::string_view> from, std::optional<std::string_view> to) const {
  metrics_->range_scans.fetch_add(1, kRelaxed);
  return inner_->ReverseRange(from, to);
}

Result<std::unique_ptr<KeyValueIterator>> MeteredKeyValueStore::PrefixScan(
    std::string_view prefix) const {
  metrics_->range_scans.fetch_add(1, kRelaxed);
  return inner_->PrefixScan(prefix);
}

Status MeteredKeyValueStore::ApplyRestoreBatch(std::span<const ChangelogRecord> records) {
  metrics_->restore_records.fetch_add(records.size(), kRelaxed);
  return inner_->ApplyRestoreBatch(records);
}

Status MeteredKeyValueStore::FlushAfterRestore() {
  metrics_->flushes.fetch_add(1, kRelaxed);
  return inner_->FlushAfterRestore();
}

Status MeteredKeyValueStore::Flush() {
  metrics_->flushes.fetch_add(1, kRelaxed);
  return inner_->Flush();
}

// ---- MeteredWindowStore ----

MeteredWindowStore::MeteredWindowStore(std::unique_ptr<WindowBytesStore> inner,
                                       std::shared_ptr<StoreMetrics> metrics)
    : inner_(std::move(inner)), metrics_(std::move(metrics)) {}

Result<WriteOutcome> MeteredWindowStore::Put(std::string_view key, std::string_view value,
                                             int64_t window_start_ms) {
  metrics_->puts.fetch_add(1, kRelaxed);
  const LatencyTimer timer(metrics_->put_latency_ns_sum);
  return inner_->Put(key, value, window_start_ms);
}

Result<WriteOutcome> MeteredWindowStore::Delete(std::string_view key, int64_t window_start_ms) {
  metrics_->deletes.fetch_add(1, kRelaxed);
  return inner_->Delete(key, window_start_ms);
}

Result<std::optional<std::string>> MeteredWindowStore::Fetch(std::string_view key,
                                                             int64_t window_start_ms) const {
  metrics_->gets.fetch_add(1, kRelaxed);
  const LatencyTimer timer(metrics_->get_latency_ns_sum);
  return inner_->Fetch(key, window_start_ms);
}

Result<std::unique_ptr<WindowIterator>> MeteredWindowStore::Fetch(std::string_view key,
                                                                  int64_t time_from_ms,
                                                                  int64_t time_to_ms) const {
  metrics_->range_scans.fetch_add(1, kRelaxed);
  return inner_->Fetch(key, time_from_ms, time_to_ms);
}

Result<std::unique_ptr<WindowIterator>> MeteredWindowStore::FetchBackward(
    std::string_view key, int64_t time_from_ms, int64_t time_to_ms) const {
  metrics_->range_scans.fetch_add(1, kRelaxed);
  return inner_->FetchBackward(key, time_from_ms, time_to_ms);
}

Result<std::unique_ptr<WindowIterator>> MeteredWindowStore::FetchAll(int64_t time_from_ms,
                                                                     int64_t time_to_ms) const {
  metrics_->range_scans.fetch_add(1, kRelaxed);
  return inner_->FetchAll(time_from_ms, time_to_ms);
}

Status MeteredWindowStore::ApplyRestoreBatch(std::span<const ChangelogRecord> records) {
  metrics_->restore_records.fetch_add(records.size(), kRelaxed);
  return inner_->ApplyRestoreBatch(records);
}

Status MeteredWindowStore::FlushAfterRestore() {
  metrics_->flushes.fetch_add(1, kRelaxed);
  return inner_->FlushAfterRestore();
}

Status MeteredWindowStore::Flush() {
  metrics_->flushes.fetch_add(1, kRelaxed);
  return inner_->Flush();
}

// ---- MeteredSessionStore ----

MeteredSessionStore::MeteredSessionStore(std::unique_ptr<SessionBytesStore> inner,
                                         std::shared_ptr<StoreMetrics> metrics)
    : inner_(std::move(inner)), metrics_(std::move(metrics)) {}

Result<WriteOutcome> MeteredSessionStore::Put(std::string_view key, SessionWindow session,
                                              std::string_view value) {
  metrics_->puts.fetch_add(1, kRelaxed);
  const LatencyTimer timer(metrics_->put_latency_ns_sum);
  return inner_->Put(key, session, value);
}

Result<WriteOutcome> MeteredSessionStore::Remove(std::string_view key, SessionWindow session) {
  metrics_->deletes.fetch_add(1, kRelaxed);
  return inner_->Remove(key, session);
}

Result<std::optional<std::string>> MeteredSessionStore::FetchSession(std::string_view key,
                                                                     SessionWindow session) const {
  metrics_->gets.fetch_add(1, kRelaxed);
  const LatencyTimer timer(metrics_->get_latency_ns_sum);
  return inner_->FetchSession(key, session);
}

Result<std::unique_ptr<SessionIterator>> MeteredSessionStore::FindSessions(
    std::string_view key, int64_t earliest_session_end_ms, int64_t latest_session_start_ms) const {
  metrics_->range_scans.fetch_add(1, kRelaxed);
  return inner_->FindSessions(key, earliest_session_end_ms, latest_session_start_ms);
}

Result<std::unique_ptr<SessionIterator>> MeteredSessionStore::FetchSessions(
    std::string_view key) const {
  metrics_->range_scans.fetch_add(1, kRelaxed);
  return inner_->FetchSessions(key);
}

Status MeteredSessionStore::ApplyRestoreBatch(std::span<const ChangelogRecord> records) {
  metrics_->restore_records.fetch_add(records.size(), kRelaxed);
  return inner_->ApplyRestoreBatch(records);
}

Status MeteredSessionStore::FlushAfterRestore() {
  metrics_->flushes.fetch_add(1, kRelaxed);
  return inner_->FlushAfterRestore();
}

Status MeteredSessionStore::Flush() {
  metrics_->flushes.fetch_add(1, kRelaxed);
  return inner_->Flush();
}

}  // namespace brook::state
