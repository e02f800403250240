// TopologyTestDriver: runs a Topology synchronously in-process, without Kafka (Kafka
// Streams' TopologyTestDriver). Pipe records into source topics, read what sinks and
// changelogging stores wrote, look into the stores, advance a mock wall clock.
//
//   brook::TopologyTestDriver driver(topology, {{"application.id", "wordcount"}});
//   auto in = driver.CreateInputTopic<std::string, std::string>("text-input");
//   auto out = driver.CreateOutputTopic<std::string, int64_t>("word-counts");
//   in.PipeInput("k", "hello world", 1000);
//   EXPECT_EQ(out.ReadKeyValue(), (brook::KeyValue<std::string, int64_t>{"hello", 1}));
//
// Contract:
//  * One task per sub-topology, on partition 0 (whatever partition a sink chose), created,
//    restored (nothing to restore) and running when the constructor returns. PipeInput
//    processes the record before returning, and everything it causes: a record written to a
//    topic that a source reads (a repartition topic) is fed to that sub-topology at once.
//  * Every record written (sinks, and changelog topics "<application.id>-<store>-changelog"
//    of logged stores) is kept per topic, in order, until read from an output topic.
//    Topics a source reads are also kept (a repartition topic can be read like any other).
//    Internal topics (Topology::AddInternalTopic) go by their full name
//    "<application.id>-<name>", for output topics and for piping alike. Topics a sink's
//    TopicNameExtractor names are kept like any other (every partition count is 1).
//  * Stores: in-memory key-value stores in memory; RocksDB key-value, window and session
//    stores under state.dir (a fresh temporary directory by default, removed by the
//    destructor; a configured state.dir keeps everything but <state.dir>/<application.id>).
//    Logged stores are wrapped in the change-logging decorator. The Get*Store accessors give
//    the outermost layer: writes through them are changelogged too.
//  * Config keys: application.id (default "brook-test-driver"), state.dir (see above),
//    deserialization.exception.handler = fail (default) | log-and-continue. Other keys of
//    the instance's schema are validated and ignored; an unknown key throws.
//  * Errors: a failure of the task (a fail-mode deserialization error, an exception from a
//    processor or punctuator) throws brook::Error with the task's message and code; the
//    failing record is dropped and the driver stays usable. Piping into a topic no source
//    reads, reading an empty output topic, or asking for an unknown store throws too.
//  * Wall clock: starts at initial_wall_clock_ms (default: the system time at construction)
//    and moves only with AdvanceWallClockTime(), which runs due wall-clock punctuators.
//
// Thread-safety: one thread at a time; topics refer to their driver and must not outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brook/internal/record_serde.h"
#include "brook/record.h"
#include "brook/state/key_value_store.h"
#include "brook/state/session_store.h"
#include "brook/state/typed_views.h"
#include "brook/state/window_store.h"
#include "brook/status.h"
#include "brook/topology.h"

namespace brook {

// A record as written to a topic, bytes and all.
struct ProducedRecord {
  std::string topic;
  int32_t partition = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp_ms = 0;
  Headers headers;
};

class TopologyTestDriver;

template <typename K, typename V, typename KS = internal::DefaultRecordSerde<K>,
          typename VS = internal::DefaultRecordSerde<V>>
requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V>
class TestInputTopic {
 public:
  [[nodiscard]] const std::string& topic() const { return topic_; }

  void PipeInput(const K& key, const V& value, int64_t timestamp_ms);
  // At the topic's current time (start_timestamp_ms, then advanced by auto_advance_ms
  // after each record).
  void PipeInput(const K& key, const V& value) { PipeInput(key, value, NextTime()); }
  void PipeInput(const Record<K, V>& record);
  // A record with a null key.
  void PipeValue(const V& value, int64_t timestamp_ms);
  void PipeKeyValueList(const std::vector<KeyValue<K, V>>& records) {
    for (const KeyValue<K, V>& kv : records) PipeInput(kv.key, kv.value);
  }
  // Moves the topic's current time.
  void AdvanceTime(std::chrono::milliseconds by) { current_ms_ += by.count(); }

 private:
  friend class TopologyTestDriver;
  TestInputTopic(TopologyTestDriver* driver, std::string topic, KS key_serde, VS value_serde,
                 int64_t start_ms, int64_t auto_advance_ms)
      : driver_(driver),
        topic_(std::move(topic)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)),
        current_ms_(start_ms),
        auto_advance_ms_(auto_advance_ms) {}
  int64_t NextTime() {
    const int64_t t = current_ms_;
    current_ms_ += auto_advance_ms_;
    return t;
  }

  TopologyTestDriver* driver_;
  std::string topic_;
  KS key_serde_;
  VS value_serde_;
  int64_t current_ms_;
  int64_t auto_advance_ms_;
};

template <typename K, typename V, typename KS = internal::DefaultRecordSerde<K>,
          typename VS = internal::DefaultRecordSerde<V>>
requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V>
class TestOutputTopic {
 public:
  [[nodiscard]] const std::string& topic() const { return topic_; }

  // Each Read* consumes the oldest unread record; throws kNotFound when there is none, and
  // the serde's error (naming the topic) when it does not deserialize.
  [[nodiscard]] Record<K, V> ReadRecord();
  [[nodiscard]] KeyValue<K, V> ReadKeyValue() {
    Record<K, V> r = ReadRecord();
    return {std::move(r.key), std::move(r.value)};
  }
  [[nodiscard]] V ReadValue() { return std::move(ReadRecord().value); }
  [[nodiscard]] std::vector<Record<K, V>> ReadRecordsToList() {
    std::vector<Record<K, V>> out;
    while (!IsEmpty()) out.push_back(ReadRecord());
    return out;
  }
  [[nodiscard]] std::vector<KeyValue<K, V>> ReadKeyValuesToList() {
    std::vector<KeyValue<K, V>> out;
    while (!IsEmpty()) out.push_back(ReadKeyValue());
    return out;
  }
  [[nodiscard]] std::vector<V> ReadValuesToList() {
    std::vector<V> out;
    while (!IsEmpty()) out.push_back(ReadValue());
    return out;
  }
  // The last value per key of the unread records (consumes them).
  [[nodiscard]] std::map<K, V> ReadKeyValuesToMap() {
    std::map<K, V> out;
    while (!IsEmpty()) {
      KeyValue<K, V> kv = ReadKeyValue();
      out.insert_or_assign(std::move(kv.key), std::move(kv.value));
    }
    return out;
  }
  [[nodiscard]] bool IsEmpty() const { return QueueSize() == 0; }
  [[nodiscard]] size_t QueueSize() const;

 private:
  friend class TopologyTestDriver;
  TestOutputTopic(TopologyTestDriver* driver, std::string topic, KS key_serde, VS value_serde)
      : driver_(driver),
        topic_(std::move(topic)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  TopologyTestDriver* driver_;
  std::string topic_;
  KS key_serde_;
  VS value_serde_;
};

class TopologyTestDriver {
 public:
  // Throws brook::Error for a bad config key or value, a topology that cannot run (no
  // sources), or a store or processor that fails to open or initialize.
  explicit TopologyTestDriver(const Topology& topology,
                              const std::map<std::string, std::string>& config = {},
                              std::optional<int64_t> initial_wall_clock_ms = std::nullopt);
  ~TopologyTestDriver();
  TopologyTestDriver(const TopologyTestDriver&) = delete;
  TopologyTestDriver& operator=(const TopologyTestDriver&) = delete;

  template <typename K, typename V, typename KS = internal::DefaultRecordSerde<K>,
            typename VS = internal::DefaultRecordSerde<V>>
  requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V>
  [[nodiscard]] TestInputTopic<K, V, KS, VS> CreateInputTopic(std::string topic,
                                                              KS key_serde = KS(),
                                                              VS value_serde = VS(),
                                                              int64_t start_timestamp_ms = 0,
                                                              int64_t auto_advance_ms = 0) {
    return TestInputTopic<K, V, KS, VS>(this, std::move(topic), std::move(key_serde),
                                        std::move(value_serde), start_timestamp_ms,
                                        auto_advance_ms);
  }
  template <typename K, typename V, typename KS = internal::DefaultRecordSerde<K>,
            typename VS = internal::DefaultRecordSerde<V>>
  requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V>
  [[nodiscard]] TestOutputTopic<K, V, KS, VS> CreateOutputTopic(std::string topic,
                                                                KS key_serde = KS(),
                                                                VS value_serde = VS()) {
    return TestOutputTopic<K, V, KS, VS>(this, std::move(topic), std::move(key_serde),
                                         std::move(value_serde));
  }

  // Moves the mock wall clock and runs the wall-clock punctuators that are due.
  void AdvanceWallClockTime(std::chrono::milliseconds by);
  [[nodiscard]] int64_t wall_clock_ms() const;

  // Stores of any task, by name (throws kNotFound naming the store otherwise).
  [[nodiscard]] state::KeyValueBytesStore& GetKeyValueBytesStore(std::string_view name);
  [[nodiscard]] state::WindowBytesStore& GetWindowBytesStore(std::string_view name);
  [[nodiscard]] state::SessionBytesStore& GetSessionBytesStore(std::string_view name);
  template <typename K, typename V, typename KS = state::DefaultSerde<K>,
            typename VS = state::DefaultSerde<V>>
  [[nodiscard]] state::KeyValueStore<K, V, KS, VS> GetKeyValueStore(std::string_view name,
                                                                    KS key_serde = KS(),
                                                                    VS value_serde = VS()) {
    return state::KeyValueStore<K, V, KS, VS>(GetKeyValueBytesStore(name), std::move(key_serde),
                                              std::move(value_serde));
  }
  template <typename K, typename V, typename KS = state::DefaultSerde<K>,
            typename VS = state::DefaultSerde<V>>
  [[nodiscard]] state::WindowStore<K, V, KS, VS> GetWindowStore(std::string_view name,
                                                                KS key_serde = KS(),
                                                                VS value_serde = VS()) {
    return state::WindowStore<K, V, KS, VS>(GetWindowBytesStore(name), std::move(key_serde),
                                            std::move(value_serde));
  }
  template <typename K, typename V, typename KS = state::DefaultSerde<K>,
            typename VS = state::DefaultSerde<V>>
  [[nodiscard]] state::SessionStore<K, V, KS, VS> GetSessionStore(std::string_view name,
                                                                  KS key_serde = KS(),
                                                                  VS value_serde = VS()) {
    return state::SessionStore<K, V, KS, VS>(GetSessionBytesStore(name), std::move(key_serde),
                                             std::move(value_serde));
  }

  // Records skipped by the "continue" deserialization handler.
  [[nodiscard]] uint64_t skipped_records() const;
  // Records processors dropped on purpose (ProcessingContext::RecordDropped), all tasks.
  [[nodiscard]] uint64_t DroppedRecords() const;
  // The same per reason.
  [[nodiscard]] std::map<std::string, uint64_t> DroppedRecordsByReason() const;
  // Every topic written so far, sorted.
  [[nodiscard]] std::vector<std::string> ProducedTopicNames() const;

  // The untyped layer under the typed topics.
  // Consumes a record into a source topic and processes everything it causes.
  void PipeRaw(const std::string& topic, std::optional<std::string> key,
               std::optional<std::string> value, int64_t timestamp_ms, Headers headers = {});
  // The oldest unread record written to topic, removed; nullopt when there is none.
  [[nodiscard]] std::optional<ProducedRecord> ReadRaw(const std::string& topic);
  [[nodiscard]] size_t UnreadCount(const std::string& topic) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- implementation of the typed topics ----

template <typename K, typename V, typename KS, typename VS>
requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V>
void TestInputTopic<K, V, KS, VS>::PipeInput(const K& key, const V& value, int64_t timestamp_ms) {
  driver_->PipeRaw(topic_, internal::SerializeNullable<K>(key_serde_, key),
                   internal::SerializeNullable<V>(value_serde_, value), timestamp_ms);
}

template <typename K, typename V, typename KS, typename VS>
requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V>
void TestInputTopic<K, V, KS, VS>::PipeInput(const Record<K, V>& record) {
  driver_->PipeRaw(topic_, internal::SerializeNullable<K>(key_serde_, record.key),
                   internal::SerializeNullable<V>(value_serde_, record.value), record.timestamp_ms,
                   record.headers);
}

template <typename K, typename V, typename KS, typename VS>
requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V>
void TestInputTopic<K, V, KS, VS>::PipeValue(const V& value, int64_t timestamp_ms) {
  driver_->PipeRaw(topic_, std::nullopt, internal::SerializeNullable<V>(value_serde_, value),
                   timestamp_ms);
}

template <typename K, typename V, typename KS, typename VS>
requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V> Record<K, V>
TestOutputTopic<K, V, KS, VS>::ReadRecord() {
  std::optional<ProducedRecord> raw = driver_->ReadRaw(topic_);
  if (!raw) throw Error(StatusCode::kNotFound, "output topic '" + topic_ + "' has no records");
  auto fail = [&](const Status& s, std::string_view what, std::string_view serde) {
    const Status c = s.WithContext("output topic '" + topic_ + "': cannot deserialize " +
                                   std::string(what) + " (" + std::string(serde) + ")");
    throw Error(c.code(), c.message());
  };
  std::optional<std::string_view> kb;
  std::optional<std::string_view> vb;
  if (raw->key) kb = *raw->key;
  if (raw->value) vb = *raw->value;
  Result<K> key = internal::DeserializeNullable<K>(key_serde_, kb);
  if (!key.ok()) fail(key.status(), "key", KS::kName);
  Result<V> value = internal::DeserializeNullable<V>(value_serde_, vb);
  if (!value.ok()) fail(value.status(), "value", VS::kName);
  return {std::move(key).value(), std::move(value).value(), raw->timestamp_ms,
          std::move(raw->headers)};
}

template <typename K, typename V, typename KS, typename VS>
requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V> size_t
TestOutputTopic<K, V, KS, VS>::QueueSize()
const {
  return driver_->UnreadCount(topic_);
}

}  // namespace brook
