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

}  // namespace brook::state
