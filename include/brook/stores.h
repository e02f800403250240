// StoreSpec: the declaration of one state store of a topology (Kafka Streams' StoreBuilder):
// its name, kind, backend, and whether it is backed by a changelog topic. The runtime opens
// one instance of the store per task of the sub-topology that uses it, under
// <state.dir>/<application.id>/<task-id>/, decorated (outermost first) metrics ->
// change-logging -> backend; processors reach it through their context.
//
// Changelog: "<application.id>-<name>-changelog", one partition per task (partition = the
// task's partition), created on start when missing: cleanup.policy=compact for key-value
// stores, compact,delete with retention.ms = retention_ms + 1 day for window and session
// stores (Kafka Streams' rule), plus changelog_configs.
//
// Interactive queries: a store with a query_codec can be read over the instance's HTTP
// server (GET /stores/<name>/keys/<key>, see src/runtime/README.md); the codec turns the key
// written in the URL into the store's key bytes and stored bytes into JSON. Build one from
// serdes with brook::state::MakeQueryCodec (brook/state/query_codec.h).
//
// Thread-safety: plain values. A StoreQueryCodec is immutable and called from the HTTP
// server's threads concurrently: implementations must be thread-safe (stateless).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "brook/status.h"

namespace brook {

// Type-erased key/value rendering of one store for interactive queries.
class StoreQueryCodec {
 public:
  virtual ~StoreQueryCodec() = default;
  // The store's key bytes for a key given as text (already percent-decoded from the URL),
  // e.g. "42" for an int64 key. kInvalidArgument saying what was expected.
  [[nodiscard]] virtual Result<std::string> KeyFromText(std::string_view text) const = 0;
  // One JSON value (its text) for stored key bytes and for stored value bytes.
  // kInvalidArgument when the bytes do not deserialize.
  [[nodiscard]] virtual Result<std::string> KeyToJson(std::string_view bytes) const = 0;
  [[nodiscard]] virtual Result<std::string> ValueToJson(std::string_view bytes) const = 0;
};

enum class StoreKind { kKeyValue, kWindow, kSession };
enum class StoreBackend {
  kRocksDb,   // persistent, survives restarts (restores only the changelog delta)
  kInMemory,  // key-value only; restored in full from the changelog on every start
};

struct StoreSpec {
  // Unique within the topology; [a-zA-Z0-9._-] (it names a topic and a directory).
  std::string name;
  // Default: StoreKind::kKeyValue
  StoreKind kind = StoreKind::kKeyValue;
  // Default: StoreBackend::kRocksDb
  StoreBackend backend = StoreBackend::kRocksDb;
  // Back the store with a changelog topic. Without one, state is lost with the instance.
  // Default: true
  bool logging = true;
  // Extra topic configs of the changelog topic (override the defaults above).
  // Default: none
  std::map<std::string, std::string> changelog_configs;
  // Window and session stores: how long windows/sessions are kept after stream time passes
  // them. Ignored for key-value stores.
  // Default: 1 day
  int64_t retention_ms = 24LL * 60 * 60 * 1000;
  // Window and session stores: the width of a segment; 0 = max(retention_ms / 2, 60 s).
  // Default: 0
  int64_t segment_interval_ms = 0;
  // Makes the store queryable over HTTP (interactive queries). For window and session
  // stores it renders the record key (not the windowed key) and the value.
  // Default: none (the store is not queryable over HTTP)
  std::shared_ptr<const StoreQueryCodec> query_codec;

  // A copy with query_codec set: stores::PersistentKeyValue("counts").WithQueryCodec(
  //     state::MakeQueryCodec<std::string, int64_t>()).
  [[nodiscard]] StoreSpec WithQueryCodec(std::shared_ptr<const StoreQueryCodec> codec) const {
    StoreSpec copy = *this;
    copy.query_codec = std::move(codec);
    return copy;
  }

  // "<application_id>-<name>-changelog"
  [[nodiscard]] std::string ChangelogTopic(const std::string& application_id) const {
    return application_id + "-" + name + "-changelog";
  }
};

// Shorthands for the common declarations (queryable: add .WithQueryCodec(...)).
namespace stores {
inline StoreSpec PersistentKeyValue(std::string name) {
  return StoreSpec{.name = std::move(name)};
}
inline StoreSpec InMemoryKeyValue(std::string name) {
  return StoreSpec{.name = std::move(name), .backend = StoreBackend::kInMemory};
}
inline StoreSpec Window(std::string name, int64_t retention_ms) {
  return StoreSpec{
      .name = std::move(name), .kind = StoreKind::kWindow, .retention_ms = retention_ms};
}
inline StoreSpec Session(std::string name, int64_t retention_ms) {
  return StoreSpec{
      .name = std::move(name), .kind = StoreKind::kSession, .retention_ms = retention_ms};
}
}  // namespace stores

}  // namespace brook
