// MeteredKeyValueStore (Kafka Streams' MeteredKeyValueStore, at the bytes level): passes
// every call to the inner store and counts it in a StoreMetrics, which the metrics
// subsystem reads and exports. Counts and latencies are recorded for successful and failed
// calls alike.
//
// What counts where: Put -> puts; Write -> puts/deletes per entry; Get -> gets; Delete ->
// deletes; Range/ReverseRange/PrefixScan/All -> range_scans (the call, not the entries);
// ApplyRestoreBatch -> restore_records per record; Flush/FlushAfterRestore -> flushes.
// put_latency_ns_sum and get_latency_ns_sum accumulate steady-clock time of Put/Write and
// Get calls.
//
// MeteredWindowStore and MeteredSessionStore do the same for window and session stores:
// Put -> puts, Delete/Remove -> deletes, single-entry Fetch/FetchSession -> gets, iterator
// fetches (Fetch range, FetchBackward, FetchAll, FindSessions, FetchSessions) -> range_scans;
// restore and flushes as above. Expired (ignored) writes are still counted as calls.
//
// Lifetime: owns the inner store; shares the metrics (shared_ptr) with whoever exports them.
// Thread-safety: the store, one thread at a time; StoreMetrics fields are atomics that any
// thread may read at any time (relaxed: each counter is exact, counters are not a
// consistent snapshot of each other).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "brook/state/key_value_store.h"
#include "brook/state/session_store.h"
#include "brook/state/window_store.h"

namespace brook::state {

struct StoreMetrics {
  std::atomic<uint64_t> puts{0};
  std::atomic<uint64_t> gets{0};
  std::atomic<uint64_t> deletes{0};
  std::atomic<uint64_t> range_scans{0};
  std::atomic<uint64_t> restore_records{0};
  std::atomic<uint64_t> flushes{0};
  std::atomic<uint64_t> put_latency_ns_sum{0};
  std::atomic<uint64_t> get_latency_ns_sum{0};
};

class MeteredKeyValueStore final : public KeyValueBytesStore {
 public:
  MeteredKeyValueStore(std::unique_ptr<KeyValueBytesStore> inner,
                       std::shared_ptr<StoreMetrics> metrics);

  [[nodiscard]] const std::string& name() const override { return inner_->name(); }
  Status Put(std::string_view key, std::string_view value) override;
  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const override;
  Status Delete(std::string_view key) override;
  Status Write(std::span<const KeyValueWrite> batch) override;
  [[nodiscard]] Result<std::unique_ptr<KeyValueIterator>> Range(
      std::optional<std::string_view> from, std::optional<std::string_view> to) const override;
  [[nodiscard]] Result<std::unique_ptr<KeyValueIterator>> ReverseRange(
      std::optional<std::string_view> from, std::optional<std::string_view> to) const override;
  [[nodiscard]] Result<std::unique_ptr<KeyValueIterator>> PrefixScan(
      std::string_view prefix) const override;
  [[nodiscard]] Result<uint64_t> ApproximateNumEntries() const override {
    return inner_->ApproximateNumEntries();
  }
  [[nodiscard]] Result<uint64_t> ApproximateSizeBytes() const override {
    return inner_->ApproximateSizeBytes();
  }
  Status ApplyRestoreBatch(std::span<const ChangelogRecord> records) override;
  Status FlushAfterRestore() override;
  Status Flush() override;
  Status Close() override { return inner_->Close(); }

  [[nodiscard]] const std::shared_ptr<StoreMetrics>& metrics() const { return metrics_; }

 private:
  std::unique_ptr<KeyValueBytesStore> inner_;
  std::shared_ptr<StoreMetrics> metrics_;
};

class MeteredWindowStore final : public WindowBytesStore {
 public:
  MeteredWindowStore(std::unique_ptr<WindowBytesStore> inner,
                     std::shared_ptr<StoreMetrics> metrics);

  [[nodiscard]] const std::string& name() const override { return inner_->name(); }
  [[nodiscard]] Result<WriteOutcome> Put(std::string_view key, std::string_view value,
                                         int64_t window_start_ms) override;
  [[nodiscard]] Result<WriteOutcome> Delete(std::string_view key, int64_t window_start_ms) override;
  [[nodiscard]] Result<std::optional<std::string>> Fetch(std::string_view key,
                                                         int64_t window_start_ms) const override;
  [[nodiscard]] Result<std::unique_ptr<WindowIterator>> Fetch(std::string_view key,
                                                              int64_t time_from_ms,
                                                              int64_t time_to_ms) const override;
  [[nodiscard]] Result<std::unique_ptr<WindowIterator>> FetchBackward(
      std::string_view key, int64_t time_from_ms, int64_t time_to_ms) const override;
  [[nodiscard]] Result<std::unique_ptr<WindowIterator>> FetchAll(int64_t time_from_ms,
                                                                 int64_t time_to_ms) const override;
  [[nodiscard]] int64_t observed_stream_time_ms() const override {
    return inner_->observed_stream_time_ms();
  }
  [[nodiscard]] uint64_t expired_writes() const override { return inner_->expired_writes(); }
  Status ApplyRestoreBatch(std::span<const ChangelogRecord> records) override;
  Status FlushAfterRestore() override;
  Status Flush() override;
  Status Close() override { return inner_->Close(); }

  [[nodiscard]] const std::shared_ptr<StoreMetrics>& metrics() const { return metrics_; }

 private:
  std::unique_ptr<WindowBytesStore> inner_;
  std::shared_ptr<StoreMetrics> metrics_;
};

class MeteredSessionStore final : public SessionBytesStore {
 public:
  MeteredSessionStore(std::unique_ptr<SessionBytesStore> inner,
                      std::shared_ptr<StoreMetrics> metrics);

  [[nodiscard]] const std::string& name() const override { return inner_->name(); }
  [[nodiscard]] Result<WriteOutcome> Put(std::string_view key, SessionWindow session,
                                         std::string_view value) override;
  [[nodiscard]] Result<WriteOutcome> Remove(std::string_view key, SessionWindow session) override;
  [[nodiscard]] Result<std::optional<std::string>> FetchSession(
      std::string_view key, SessionWindow session) const override;
  [[nodiscard]] Result<std::unique_ptr<SessionIterator>> FindSessions(
      std::string_view key, int64_t earliest_session_end_ms,
      int64_t latest_session_start_ms) const override;
  [[nodiscard]] Result<std::unique_ptr<SessionIterator>> FetchSessions(
      std::string_view key) const override;
  [[nodiscard]] int64_t observed_stream_time_ms() const override {
    return inner_->observed_stream_time_ms();
  }
  [[nodiscard]] uint64_t expired_writes() const override { return inner_->expired_writes(); }
  Status ApplyRestoreBatch(std::span<const ChangelogRecord> records) override;
  Status FlushAfterRestore() override;
  Status Flush() override;
  Status Close() override { return inner_->Close(); }

  [[nodiscard]] const std::shared_ptr<StoreMetrics>& metrics() const { return metrics_; }

 private:
  std::unique_ptr<SessionBytesStore> inner_;
  std::shared_ptr<StoreMetrics> metrics_;
};

}  // namespace brook::state
