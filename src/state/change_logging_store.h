// Change-logging decorators (Kafka Streams' ChangeLogging*BytesStore): each wraps an inner
// bytes store, passes every call through, and after every successful write sends the same
// change to a ChangelogSink, which the runtime implements with its producer (topic
// "<application.id>-<store>-changelog", the task's partition).
//
// What is logged: a put as (key, value); a delete/remove as (key, nullopt), a tombstone.
// Window and session stores log their changelog keys (store_keys.h). Writes the inner store
// ignored as expired are not logged. Restore writes (ApplyRestoreBatch) are never logged:
// they come from the changelog. Each logged record carries the timestamp returned by the
// TimestampSource (the runtime passes the timestamp of the record being processed).
//
// Lifetime: the decorator owns the inner store; the sink must outlive the decorator.
// Thread-safety: one thread at a time, like the inner store; Log() is called on that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "brook/state/key_value_store.h"
#include "brook/state/session_store.h"
#include "brook/state/window_store.h"

namespace brook::state {

class ChangelogSink {
 public:
  virtual ~ChangelogSink() = default;
  // Sends one change. value nullopt is a tombstone. The views are valid during the call
  // only. Send failures surface through the runtime's producer, not here.
  virtual void Log(std::string_view key, std::optional<std::string_view> value,
                   int64_t timestamp_ms) = 0;
};

// Supplies the timestamp of logged records.
using TimestampSource = std::function<int64_t()>;

// Wall-clock ms since the epoch: the default TimestampSource.
inline int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ChangeLoggingKeyValueStore final : public KeyValueBytesStore {
 public:
  ChangeLoggingKeyValueStore(std::unique_ptr<KeyValueBytesStore> inner, ChangelogSink& sink,
                             TimestampSource timestamps = WallClockMs);

  [[nodiscard]] const std::string& name() const override { return inner_->name(); }
  Status Put(std::string_view key, std::string_view value) override;
  [[nodiscard]] Result<std::optional<std::string>> Get(std::string_view key) const override {
    return inner_->Get(key);
  }
  Status Delete(std::string_view key) override;
  Status Write(std::span<const KeyValueWrite> batch) override;
  [[nodiscard]] Result<std::unique_ptr<KeyValueIterator>> Range(
      std::optional<std::string_view> from, std::optional<std::string_view> to) const override {
    return inner_->Range(from, to);
  }
  [[nodiscard]] Result<std::unique_ptr<KeyValueIterator>> ReverseRange(
      std::optional<std::string_view> from, std::optional<std::string_view> to) const override {
    return inner_->ReverseRange(from, to);
  }
  [[nodiscard]] Result<std::unique_ptr<KeyValueIterator>> PrefixScan(
      std::string_view prefix) const override {
    return inner_->PrefixScan(prefix);
  }
  [[nodiscard]] Result<uint64_t> ApproximateNumEntries() const override {
    return inner_->ApproximateNumEntries();
  }
  [[nodiscard]] Result<uint64_t> ApproximateSizeBytes() const override {
    return inner_->ApproximateSizeBytes();
  }
  Status ApplyRestoreBatch(std::span<const ChangelogRecord> records) override {
    return inner_->ApplyRestoreBatch(records);
  }
  Status FlushAfterRestore() override { return inner_->FlushAfterRestore(); }
  Status Flush() override { return inner_->Flush(); }
  Status Close() override { return inner_->Close(); }

  [[nodiscard]] KeyValueBytesStore& inner() { return *inner_; }

 private:
  std::unique_ptr<KeyValueBytesStore> inner_;
  ChangelogSink& sink_;
  TimestampSource timestamps_;
};

class ChangeLoggingWindowStore final : public WindowBytesStore {
 public:
  ChangeLoggingWindowStore(std::unique_ptr<WindowBytesStore> inner, ChangelogSink& sink,
                           TimestampSource timestamps = WallClockMs);

  [[nodiscard]] const std::string& name() const override { return inner_->name(); }
  [[nodiscard]] Result<WriteOutcome> Put(std::string_view key, std::string_view value,
                                         int64_t window_start_ms) override;
  [[nodiscard]] Result<WriteOutcome> Delete(std::string_view key, int64_t window_start_ms) override;
  [[nodiscard]] Result<std::optional<std::string>> Fetch(std::string_view key,
                                                         int64_t window_start_ms) const override {
    return inner_->Fetch(key, window_start_ms);
  }
  [[nodiscard]] Result<std::unique_ptr<WindowIterator>> Fetch(std::string_view key,
                                                              int64_t time_from_ms,
                                                              int64_t time_to_ms) const override {
    return inner_->Fetch(key, time_from_ms, time_to_ms);
  }
  [[nodiscard]] Result<std::unique_ptr<WindowIterator>> FetchBackward(
      std::string_view key, int64_t time_from_ms, int64_t time_to_ms) const override {
    return inner_->FetchBackward(key, time_from_ms, time_to_ms);
  }
  [[nodiscard]] Result<std::unique_ptr<WindowIterator>> FetchAll(
      int64_t time_from_ms, int64_t time_to_ms) const override {
    return inner_->FetchAll(time_from_ms, time_to_ms);
  }
  [[nodiscard]] int64_t observed_stream_time_ms() const override {
    return inner_->observed_stream_time_ms();
  }
  [[nodiscard]] uint64_t expired_writes() const override { return inner_->expired_writes(); }
  Status ApplyRestoreBatch(std::span<const ChangelogRecord> records) override {
    return inner_->ApplyRestoreBatch(records);
  }
  Status FlushAfterRestore() override { return inner_->FlushAfterRestore(); }
  Status Flush() override { return inner_->Flush(); }
  Status Close() override { return inner_->Close(); }

 private:
  std::unique_ptr<WindowBytesStore> inner_;
  ChangelogSink& sink_;
  TimestampSource timestamps_;
};

class ChangeLoggingSessionStore final : public SessionBytesStore {
 public:
  ChangeLoggingSessionStore(std::unique_ptr<SessionBytesStore> inner, ChangelogSink& sink,
                            TimestampSource timestamps = WallClockMs);

  [[nodiscard]] const std::string& name() const override { return inner_->name(); }
  [[nodiscard]] Result<WriteOutcome> Put(std::string_view key, SessionWindow session,
                                         std::string_view value) override;
  [[nodiscard]] Result<WriteOutcome> Remove(std::string_view key, SessionWindow session) override;
  [[nodiscard]] Result<std::optional<std::string>> FetchSession(
      std::string_view key, SessionWindow session) const override {
    return inner_->FetchSession(key, session);
  }
  [[nodiscard]] Result<std::unique_ptr<SessionIterator>> FindSessions(
      std::string_view key, int64_t earliest_session_end_ms,
      int64_t latest_session_start_ms) const override {
    return inner_->FindSessions(key, earliest_session_end_ms, latest_session_start_ms);
  }
  [[nodiscard]] Result<std::unique_ptr<SessionIterator>> FetchSessions(
      std::string_view key) const override {
    return inner_->FetchSessions(key);
  }
  [[nodiscard]] int64_t observed_stream_time_ms() const override {
    return inner_->observed_stream_time_ms();
  }
  [[nodiscard]] uint64_t expired_writes() const override { return inner_->expired_writes(); }
  Status ApplyRestoreBatch(std::span<const ChangelogRecord> records) override {
    return inner_->ApplyRestoreBatch(records);
  }
  Status FlushAfterRestore() override { return inner_->FlushAfterRestore(); }
  Status Flush() override { return inner_->Flush(); }
  Status Close() override { return inner_->Close(); }

 private:
  std::unique_ptr<SessionBytesStore> inner_;
  ChangelogSink& sink_;
  TimestampSource timestamps_;
};

}  // namespace brook::state
