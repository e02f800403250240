#include "state/change_logging_store.h"

#include <utility>

#include "state/store_keys.h"

namespace brook::state {

ChangeLoggingKeyValueStore::ChangeLoggingKeyValueStore(std::unique_ptr<KeyValueBytesStore> inner,
                                                       ChangelogSink& sink,
                                                       TimestampSource timestamps)
    : inner_(std::move(inner)), sink_(sink), timestamps_(std::move(timestamps)) {}

Status ChangeLoggingKeyValueStore::Put(std::string_view key, std::string_view value) {
  BROOK_RETURN_IF_ERROR(inner_->Put(key, value));
  sink_.Log(key, value, timestamps_());
  return Status::Ok();
}

Status ChangeLoggingKeyValueStore::Delete(std::string_view key) {
  BROOK_RETURN_IF_ERROR(inner_->Delete(key));
  sink_.Log(key, std::nullopt, timestamps_());
  return Status::Ok();
}

Status ChangeLoggingKeyValueStore::Write(std::span<const KeyValueWrite> batch) {
  BROOK_RETURN_IF_ERROR(inner_->Write(batch));
  const int64_t ts = timestamps_();
  for (const KeyValueWrite& w : batch) sink_.Log(w.key, w.value, ts);
  return Status::Ok();
}

ChangeLoggingWindowStore::ChangeLoggingWindowStore(std::unique_ptr<WindowBytesStore> inner,
                                                   ChangelogSink& sink, TimestampSource timestamps)
    : inner_(std::move(inner)), sink_(sink), timestamps_(std::move(timestamps)) {}

Result<WriteOutcome> ChangeLoggingWindowStore::Put(std::string_view key, std::string_view value,
                                                   int64_t window_start_ms) {
  BROOK_ASSIGN_OR_RETURN(const WriteOutcome outcome, inner_->Put(key, value, window_start_ms));
  if (outcome == WriteOutcome::kWritten) {
    sink_.Log(EncodeWindowKey(key, window_start_ms), value, timestamps_());
  }
  return outcome;
}

Result<WriteOutcome> ChangeLoggingWindowStore::Delete(std::string_view key,
                                                      int64_t window_start_ms) {
  BROOK_ASSIGN_OR_RETURN(const WriteOutcome outcome, inner_->Delete(key, window_start_ms));
  if (outcome == WriteOutcome::kWritten) {
    sink_.Log(EncodeWindowKey(key, window_start_ms), std::nullopt, timestamps_());
  }
  return outcome;
}

ChangeLoggingSessionStore::ChangeLoggingSessionStore(std::unique_ptr<SessionBytesStore> inner,
                                                     ChangelogSink& sink,
                                                     TimestampSource timestamps)
    : inner_(std::move(inner)), sink_(sink), timestamps_(std::move(timestamps)) {}

Result<WriteOutcome> ChangeLoggingSessionStore::Put(std::string_view key, SessionWindow session,
                                                    std::string_view value) {
  BROOK_ASSIGN_OR_RETURN(const WriteOutcome outcome, inner_->Put(key, session, value));
  if (outcome == WriteOutcome::kWritten) {
    sink_.Log(EncodeSessionKey(key, session), value, timestamps_());
  }
  return outcome;
}

Result<WriteOutcome> ChangeLoggingSessionStore::Remove(std::string_view key,
                                                       SessionWindow session) {
  BROOK_ASSIGN_OR_RETURN(const WriteOutcome outcome, inner_->Remove(key, session));
  if (outcome == WriteOutcome::kWritten) {
    sink_.Log(EncodeSessionKey(key, session), std::nullopt, timestamps_());
  }
  return outcome;
}

}  // namespace brook::state
