// Windowed aggregations and suppression of the Streams DSL (Kafka Streams' TimeWindows,
// SessionWindows, TimeWindowedKStream, SessionWindowedKStream, KTable#suppress, Suppressed).
//
//   auto counts = builder.Stream<std::string, std::string>("clicks")
//                     .GroupByKey()
//                     .WindowedBy(brook::TimeWindows::OfSizeAndGrace(1min, 10s))
//                     .Count();                                // KTable<Windowed<string>, int64>
//   counts.Suppress(brook::Suppressed::UntilWindowCloses())    // one final count per window
//       .ToStream()
//       .To("clicks-per-minute",
//           brook::Produced{brook::TimeWindowedSerde<std::string>(60000),
//                           brook::state::Int64Serde{}});
//
// Windows:
//  * TimeWindows: fixed-size windows [start, start + size) whose starts are the multiples of
//    `advance` since the epoch: tumbling when advance == size (the default), hopping when
//    advance < size (a record is in about size / advance windows, fewer near 0: no window
//    starts before 0). SessionWindows: a key's records closer than the inactivity gap form one
//    session [first record, last record] (both inclusive); a record between two sessions
//    merges them.
//  * Grace: a window accepts out-of-order records until it closes; later records are dropped
//    and counted with ProcessingContext::RecordDropped("late")
//    (TopologyTestDriver::DroppedRecords()), once per closed window they fall in. A time
//    window closes when window end + grace <= observed stream time; a session when
//    session end + gap + grace < observed stream time, where observed stream time is the
//    largest timestamp the aggregation has seen (Kafka Streams' KStreamWindowAggregate and
//    KStreamSessionWindowAggregate). Records with a null value (V = std::optional<X>) are
//    dropped and counted too ("null-value").
//
// Windowed aggregations (KGroupedStream::WindowedBy): Count, Reduce and Aggregate with the
// shapes of KGroupedStream's, plus a merger for sessions. They keep one aggregate per key
// and window in a window (time windows) or session store (RocksDB, changelog per
// Materialized) and return KTable<Windowed<K>, VA>; every accepted record emits
// Change{new, old} for each window it updates (old: nullopt for a new window). Session
// merges first emit a delete (Change{nullopt, old}) for every merged session, then the new
// session (Change{new, nullopt}). Timestamps: time windows forward the record's timestamp,
// sessions their end. Store retention: Materialized::retention_ms, at least size + grace
// (sessions: gap + grace); default exactly that, as Kafka Streams.
//
// Suppression (KTable::Suppress): holds a table's updates back in a buffer, one entry per
// key (a newer update replaces the buffered one in place) and forwards a key's latest update
// once it is due:
//  * Suppressed::UntilWindowCloses: Kafka's final results, for tables of windowed
//    aggregations (also through Filter/MapValues): a window is due when its close time
//    comes (observed stream time >= window end + grace; sessions: end + gap + grace), so
//    each window is forwarded once, with its final value, and nothing before. Deletes due
//    are dropped (downstream never saw the window).
//  * Suppressed::UntilTimeLimit(d): a key is due d after it was buffered (record timestamp
//    of its first buffered update + d <= observed stream time); deletes are forwarded.
//  Observed stream time is the largest timestamp of the updates the suppression has seen.
//  The forwarded Change carries the latest new value and the value downstream saw before the
//  key was buffered, the timestamp and headers of the latest update. The buffer is a
//  key-value store "<name>-store" (or "KTABLE-SUPPRESS-STATE-STORE-<index>") with a
//  changelog: it survives restarts. BufferConfig bounds it (records, bytes) and says what
//  happens when full: emit the oldest entries early (UntilTimeLimit only) or fail the task.
//
// Differences from Kafka Streams: stores keep values without timestamps, so a time-window
// update carries the record's timestamp (Kafka: the largest timestamp of the window's
// records); a new window's old value is nullopt (Kafka: the initializer's value); a session
// updated in place (a record at the timestamp of a one-record session) carries its old
// value; suppression forwards the prior value as old value (Kafka: the latest update's
// old value). After a restart the aggregations resume their observed stream time from the
// store (Kafka: from the next record).
//
// Errors: bad window parameters throw brook::Error (kInvalidArgument) naming the parameter;
// so do a retention below size + grace (naming the store), UntilWindowCloses with an
// emit-early buffer, and UntilWindowCloses on a table without a windowed aggregation
// upstream (naming the chain of nodes). A full buffer with ShutDownWhenFull fails the task
// (kFailedPrecondition, "<node> buffer exceeded its max capacity ...").
//
// Thread-safety: windows, BufferConfig and Suppressed are plain values; build on one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "brook/dsl/fwd.h"
#include "brook/dsl/internal/builder_state.h"
#include "brook/dsl/internal/processors.h"
#include "brook/dsl/internal/window_processors.h"
#include "brook/dsl/kgrouped_stream.h"
#include "brook/dsl/ktable.h"
#include "brook/dsl/options.h"
#include "brook/state/serde.h"
#include "brook/stores.h"
#include "brook/windowed.h"

namespace brook {

// Kafka Streams' TimeWindows: windows [start, start + size) starting at the multiples of the
// advance (see the header comment).
class TimeWindows {
 public:
  // Tumbling windows of `size` (> 0) without a grace period.
  static TimeWindows OfSizeWithNoGrace(std::chrono::milliseconds size);
  // Tumbling windows of `size` (> 0) accepting out-of-order records for `grace` (>= 0) after
  // the window end.
  static TimeWindows OfSizeAndGrace(std::chrono::milliseconds size,
                                    std::chrono::milliseconds grace);
  // The same windows hopping by `advance` (0 < advance <= size).
  [[nodiscard]] TimeWindows AdvanceBy(std::chrono::milliseconds advance) const;

  [[nodiscard]] int64_t size_ms() const { return size_ms_; }
  [[nodiscard]] int64_t advance_ms() const { return advance_ms_; }
  [[nodiscard]] int64_t grace_ms() const { return grace_ms_; }
  // The windows containing timestamp_ms (>= 0), by ascending start.
  [[nodiscard]] std::vector<Window> WindowsFor(int64_t timestamp_ms) const;

  bool operator==(const TimeWindows&) const = default;

 private:
  TimeWindows(int64_t size_ms, int64_t advance_ms, int64_t grace_ms);

  int64_t size_ms_;
  int64_t advance_ms_;
  int64_t grace_ms_;
};

// Kafka Streams' SessionWindows: sessions of records closer than the inactivity gap.
class SessionWindows {
 public:
  // Sessions with inactivity gap `gap` (> 0) and no grace period.
  static SessionWindows OfInactivityGapWithNoGrace(std::chrono::milliseconds gap);
  // Sessions with inactivity gap `gap` (> 0) accepting out-of-order records for `grace`
  // (>= 0) after the session could last have been extended (end + gap).
  static SessionWindows OfInactivityGapAndGrace(std::chrono::milliseconds gap,
                                                std::chrono::milliseconds grace);

  [[nodiscard]] int64_t gap_ms() const { return gap_ms_; }
  [[nodiscard]] int64_t grace_ms() const { return grace_ms_; }

  bool operator==(const SessionWindows&) const = default;

 private:
  SessionWindows(int64_t gap_ms, int64_t grace_ms);

  int64_t gap_ms_;
  int64_t grace_ms_;
};

// What a suppression buffer may hold (Kafka Streams' Suppressed.BufferConfig). The
// shorthands mirror Kafka's: Unbounded() never fills; MaxRecords/MaxBytes emit early when
// full unless ShutDownWhenFull() is added.
struct BufferConfig {
  enum class WhenFull {
    kShutDown,   // fail the task (Kafka's shutDownWhenFull)
    kEmitEarly,  // forward the oldest entries before they are due (emitEarlyWhenFull)
  };

  // Most keys buffered at once (>= 0). Default: no limit
  int64_t max_records = std::numeric_limits<int64_t>::max();
  // Most bytes buffered at once (>= 0): per key its serialized key, latest and prior
  // values and headers, plus about 25 bytes. Default: no limit
  int64_t max_bytes = std::numeric_limits<int64_t>::max();
  // Default: WhenFull::kShutDown
  WhenFull when_full = WhenFull::kShutDown;
  // Back the buffer with a changelog topic (without one, it is lost with the instance).
  // Default: true
  bool logging = true;
  // Extra configs of the changelog topic. Default: none
  std::map<std::string, std::string> changelog_configs;

  static BufferConfig Unbounded() { return {}; }
  static BufferConfig MaxRecords(int64_t records) {
    return {.max_records = records, .when_full = WhenFull::kEmitEarly};
  }
  static BufferConfig MaxBytes(int64_t bytes) {
    return {.max_bytes = bytes, .when_full = WhenFull::kEmitEarly};
  }
  [[nodiscard]] BufferConfig WithMaxRecords(int64_t records) const {
    BufferConfig c = *this;
    c.max_records = records;
    return c;
  }
  [[nodiscard]] BufferConfig WithMaxBytes(int64_t bytes) const {
    BufferConfig c = *this;
    c.max_bytes = bytes;
    return c;
  }
  [[nodiscard]] BufferConfig ShutDownWhenFull() const {
    BufferConfig c = *this;
    c.when_full = WhenFull::kShutDown;
    return c;
  }
  [[nodiscard]] BufferConfig EmitEarlyWhenFull() const {
    BufferConfig c = *this;
    c.when_full = WhenFull::kEmitEarly;
    return c;
  }
  [[nodiscard]] BufferConfig WithLoggingDisabled() const {
    BufferConfig c = *this;
    c.logging = false;
    return c;
  }
};

// How KTable::Suppress holds updates back (Kafka Streams' Suppressed; see the header
// comment).
class Suppressed {
 public:
  enum class Kind { kUntilWindowCloses, kUntilTimeLimit };

  // Final results of a windowed table. Throws kInvalidArgument for an emit-early buffer
  // (it would forward results before their window closes).
  static Suppressed UntilWindowCloses(BufferConfig buffer = BufferConfig::Unbounded());
  // A key's latest update, `time_to_wait` (>= 0) after it was buffered.
  static Suppressed UntilTimeLimit(std::chrono::milliseconds time_to_wait,
                                   BufferConfig buffer = BufferConfig::Unbounded());
  // Names the processor `name` and its store "<name>-store". Default: generated
  // ("KTABLE-SUPPRESS-0000000004", store "KTABLE-SUPPRESS-STATE-STORE-0000000005").
  [[nodiscard]] Suppressed WithName(std::string name) const;

  [[nodiscard]] Kind kind() const { return kind_; }
  // UntilTimeLimit's wait; 0 for UntilWindowCloses.
  [[nodiscard]] int64_t time_to_wait_ms() const { return time_to_wait_ms_; }
  [[nodiscard]] const BufferConfig& buffer() const { return buffer_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  Suppressed(Kind kind, int64_t time_to_wait_ms, BufferConfig buffer)
      : kind_(kind), time_to_wait_ms_(time_to_wait_ms), buffer_(std::move(buffer)) {}

  Kind kind_;
  int64_t time_to_wait_ms_;
  BufferConfig buffer_;
  std::string name_;
};

namespace internal::dsl {

// The store spec and checks of windowed aggregations (windowing.cc). `op` names the operator
// in errors; min_retention_ms = size + grace (sessions: gap + grace).
StoreSpec WindowedStoreSpec(std::string_view op, const std::string& store, StoreKind kind,
                            bool logging, const std::map<std::string, std::string>& configs,
                            int64_t retention_ms, int64_t min_retention_ms);

// Checks the buffer config (kInvalidArgument naming the field) and returns the processor's
// parameters; close_after_ms: the upstream windows' close delay (UntilWindowCloses).
SuppressParams SuppressParamsFor(const Suppressed& suppressed, int64_t close_after_ms);

}  // namespace internal::dsl

// A grouped stream with time windows (Kafka Streams' TimeWindowedKStream), made by
// KGroupedStream::WindowedBy(TimeWindows). Aggregations return KTable<Windowed<K>, VA>;
// Materialized's serdes are those of K and VA, its store is a window store.
template <typename K, typename V>
class TimeWindowedKStream {
 public:
  // The number of records per key and window.
  template <typename KS = internal::dsl::DslSerde<K>, typename VS = state::Int64Serde>
  KTable<Windowed<K>, int64_t> Count(const Materialized<KS, VS>& materialized = {},
                                     const Named& named = {}) const {
    return DoAggregate<int64_t>(
        [](const K&, const V&, const std::optional<int64_t>& old) -> int64_t {
          return old.value_or(0) + 1;
        },
        materialized, named, "KSTREAM-AGGREGATE-STATE-STORE-", "KSTREAM-AGGREGATE-", "Count");
  }

  // reducer(aggregate, value) -> V; the first value of a window is its first aggregate.
  template <typename F, typename KS = internal::dsl::DslSerde<K>,
            typename VS = internal::dsl::DslSerde<V>>
  KTable<Windowed<K>, V> Reduce(F reducer, const Materialized<KS, VS>& materialized = {},
                                const Named& named = {}) const {
    return DoAggregate<V>(
        [reducer](const K&, const V& value, const std::optional<V>& old) mutable -> V {
          if (!old) return value;
          return reducer(*old, value);
        },
        materialized, named, "KSTREAM-REDUCE-STATE-STORE-", "KSTREAM-REDUCE-", "Reduce");
  }

  // init() -> VA starts each window; aggregator(key, value, aggregate) -> VA folds a record
  // in.
  template <typename Init, typename F,
            typename VA = std::remove_cvref_t<std::invoke_result_t<Init&>>,
            typename KS = internal::dsl::DslSerde<K>, typename VS = internal::dsl::DslSerde<VA>>
  KTable<Windowed<K>, VA> Aggregate(Init init, F aggregator,
                                    const Materialized<KS, VS>& materialized = {},
                                    const Named& named = {}) const {
    return DoAggregate<VA>(
        [init, aggregator](const K& key, const V& value, const std::optional<VA>& old) mutable
        -> VA { return aggregator(key, value, old ? *old : VA(init())); },
        materialized, named, "KSTREAM-AGGREGATE-STATE-STORE-", "KSTREAM-AGGREGATE-", "Aggregate");
  }

  [[nodiscard]] const TimeWindows& windows() const { return windows_; }

  // For the DSL's own use (KGroupedStream::WindowedBy).
  TimeWindowedKStream(KGroupedStream<K, V> grouped, TimeWindows windows)
      : grouped_(std::move(grouped)), windows_(windows) {}

 private:
  template <typename VA, typename Step, typename KS, typename VS>
  KTable<Windowed<K>, VA> DoAggregate(Step step, const Materialized<KS, VS>& m, const Named& named,
                                      std::string_view store_prefix, std::string_view node_prefix,
                                      std::string_view op) const {
    internal::dsl::CheckSerdes<K, VA, KS, VS>();
    const internal::dsl::BuilderPtr& b = grouped_.builder();
    const std::string store = b->NameOr(m.store_name, store_prefix);
    StoreSpec spec = internal::dsl::WindowedStoreSpec(
        "TimeWindowedKStream::" + std::string(op), store, StoreKind::kWindow, m.logging,
        m.changelog_configs, m.retention_ms,
        internal::dsl::SaturatingAdd(windows_.size_ms(), windows_.grace_ms()));
    const std::string input = grouped_.InputFor(store);
    const std::string name = b->NameOr(named.name, node_prefix);
    const internal::dsl::TimeWindowParams params{.size_ms = windows_.size_ms(),
                                                 .advance_ms = windows_.advance_ms(),
                                                 .grace_ms = windows_.grace_ms()};
    b->topology.AddProcessor(
        name,
        [step, params, store, ks = m.key_serde, vs = m.value_serde] {
          return std::make_unique<
              internal::dsl::TimeWindowAggregateProcessor<K, V, VA, Step, KS, VS>>(step, params,
                                                                                   store, ks, vs);
        },
        {input});
    spec.query_codec = internal::dsl::QueryCodecFor<K, VA>(m.key_serde, m.value_serde);
    b->topology.AddStateStore(std::move(spec), {name});
    internal::dsl::RegisterWindowClose(b, name, windows_.grace_ms());
    return KTable<Windowed<K>, VA>(
        b, name,
        internal::dsl::WindowedStoreGetter<internal::dsl::WindowStoreValueGetter<K, VA, KS, VS>, K,
                                           VA>(store, m.key_serde, m.value_serde),
        store);
  }

  KGroupedStream<K, V> grouped_;
  TimeWindows windows_;
};

// A grouped stream with session windows (Kafka Streams' SessionWindowedKStream), made by
// KGroupedStream::WindowedBy(SessionWindows). Aggregations return KTable<Windowed<K>, VA>
// whose keys carry the session [start, end]; Materialized's store is a session store.
template <typename K, typename V>
class SessionWindowedKStream {
 public:
  // The number of records per key and session (merged sessions add up).
  template <typename KS = internal::dsl::DslSerde<K>, typename VS = state::Int64Serde>
  KTable<Windowed<K>, int64_t> Count(const Materialized<KS, VS>& materialized = {},
                                     const Named& named = {}) const {
    return DoAggregate<int64_t>(
        [] { return std::optional<int64_t>(0); },
        [](const K&, std::optional<int64_t> agg, const int64_t& session) -> int64_t {
          return agg.value_or(0) + session;
        },
        [](const K&, const V&, std::optional<int64_t> agg) -> int64_t {
          return agg.value_or(0) + 1;
        },
        materialized, named, "KSTREAM-AGGREGATE-STATE-STORE-", "KSTREAM-AGGREGATE-", "Count");
  }

  // reducer(aggregate, value) -> V, also merging sessions (reducer(aggregate, session's
  // aggregate)); a session's first value is its first aggregate.
  template <typename F, typename KS = internal::dsl::DslSerde<K>,
            typename VS = internal::dsl::DslSerde<V>>
  KTable<Windowed<K>, V> Reduce(F reducer, const Materialized<KS, VS>& materialized = {},
                                const Named& named = {}) const {
    auto fold = [reducer](std::optional<V> agg, const V& value) mutable -> V {
      if (!agg) return value;
      return reducer(*agg, value);
    };
    return DoAggregate<V>([] { return std::optional<V>(); },
                          [fold](const K&, std::optional<V> agg, const V& session) mutable -> V {
                            return fold(std::move(agg), session);
                          },
                          [fold](const K&, const V& value, std::optional<V> agg) mutable -> V {
                            return fold(std::move(agg), value);
                          },
                          materialized, named, "KSTREAM-REDUCE-STATE-STORE-", "KSTREAM-REDUCE-",
                          "Reduce");
  }

  // init() -> VA starts each session; aggregator(key, value, aggregate) -> VA folds a record
  // in; merger(key, aggregate1, aggregate2) -> VA combines two sessions being merged.
  template <typename Init, typename F, typename M,
            typename VA = std::remove_cvref_t<std::invoke_result_t<Init&>>,
            typename KS = internal::dsl::DslSerde<K>, typename VS = internal::dsl::DslSerde<VA>>
  KTable<Windowed<K>, VA> Aggregate(Init init, F aggregator, M merger,
                                    const Materialized<KS, VS>& materialized = {},
                                    const Named& named = {}) const {
    return DoAggregate<VA>(
        [init]() mutable { return std::optional<VA>(VA(init())); },
        [merger](const K& key, std::optional<VA> agg, const VA& session) mutable -> VA {
          return merger(key, *agg, session);
        },
        [aggregator](const K& key, const V& value, std::optional<VA> agg) mutable -> VA {
          return aggregator(key, value, *agg);
        },
        materialized, named, "KSTREAM-AGGREGATE-STATE-STORE-", "KSTREAM-AGGREGATE-", "Aggregate");
  }

  [[nodiscard]] const SessionWindows& windows() const { return windows_; }

  // For the DSL's own use (KGroupedStream::WindowedBy).
  SessionWindowedKStream(KGroupedStream<K, V> grouped, SessionWindows windows)
      : grouped_(std::move(grouped)), windows_(windows) {}

 private:
  template <typename VA, typename InitFn, typename MergeFn, typename Step, typename KS, typename VS>
  KTable<Windowed<K>, VA> DoAggregate(InitFn init, MergeFn merge, Step step,
                                      const Materialized<KS, VS>& m, const Named& named,
                                      std::string_view store_prefix, std::string_view node_prefix,
                                      std::string_view op) const {
    internal::dsl::CheckSerdes<K, VA, KS, VS>();
    const internal::dsl::BuilderPtr& b = grouped_.builder();
    const std::string store = b->NameOr(m.store_name, store_prefix);
    const int64_t close_after_ms =
        internal::dsl::SaturatingAdd(windows_.gap_ms(), windows_.grace_ms());
    StoreSpec spec = internal::dsl::WindowedStoreSpec(
        "SessionWindowedKStream::" + std::string(op), store, StoreKind::kSession, m.logging,
        m.changelog_configs, m.retention_ms, close_after_ms);
    const std::string input = grouped_.InputFor(store);
    const std::string name = b->NameOr(named.name, node_prefix);
    const internal::dsl::SessionWindowParams params{.gap_ms = windows_.gap_ms(),
                                                    .grace_ms = windows_.grace_ms()};
    b->topology.AddProcessor(
        name,
        [init, merge, step, params, store, ks = m.key_serde, vs = m.value_serde] {
          return std::make_unique<internal::dsl::SessionWindowAggregateProcessor<
              K, V, VA, InitFn, MergeFn, Step, KS, VS>>(init, merge, step, params, store, ks, vs);
        },
        {input});
    spec.query_codec = internal::dsl::QueryCodecFor<K, VA>(m.key_serde, m.value_serde);
    b->topology.AddStateStore(std::move(spec), {name});
    internal::dsl::RegisterWindowClose(b, name, close_after_ms);
    return KTable<Windowed<K>, VA>(
        b, name,
        internal::dsl::WindowedStoreGetter<internal::dsl::SessionStoreValueGetter<K, VA, KS, VS>, K,
                                           VA>(store, m.key_serde, m.value_serde),
        store);
  }

  KGroupedStream<K, V> grouped_;
  SessionWindows windows_;
};

// ---- definitions of the members declared in kgrouped_stream.h and ktable.h ----

template <typename K, typename V>
TimeWindowedKStream<K, V> KGroupedStream<K, V>::WindowedBy(const TimeWindows& windows) const {
  return TimeWindowedKStream<K, V>(*this, windows);
}

template <typename K, typename V>
SessionWindowedKStream<K, V> KGroupedStream<K, V>::WindowedBy(const SessionWindows& windows) const {
  return SessionWindowedKStream<K, V>(*this, windows);
}

template <typename K, typename V>
KTable<K, V> KTable<K, V>::Suppress(const Suppressed& suppressed) const {
  return Suppress(suppressed, internal::dsl::SuppressKeySerde<K>(), internal::dsl::DslSerde<V>());
}

template <typename K, typename V>
template <typename KS, typename VS>
KTable<K, V> KTable<K, V>::Suppress(const Suppressed& suppressed, KS key_serde,
                                    VS value_serde) const {
  static_assert(!internal::dsl::kIsOptional<K>, "suppress a table with a non-optional key");
  internal::dsl::CheckSerdes<K, V, KS, VS>();
  int64_t close_after_ms = 0;
  if (suppressed.kind() == Suppressed::Kind::kUntilWindowCloses) {
    if constexpr (!internal::dsl::kIsWindowed<K>) {
      internal::dsl::ThrowDslError("KTable::Suppress",
                                   std::string("Suppressed::UntilWindowCloses needs a windowed "
                                               "table (KTable<Windowed<K>, V>) of a windowed "
                                               "aggregation; '") +
                                       node_ + "' has key type " + internal::TypeName<K>());
    } else {
      close_after_ms = internal::dsl::FindWindowClose(b_, node_, "KTable::Suppress");
    }
  }
  const internal::dsl::SuppressParams params =
      internal::dsl::SuppressParamsFor(suppressed, close_after_ms);
  const std::string name = b_->NameOr(suppressed.name(), "KTABLE-SUPPRESS-");
  const std::string store = suppressed.name().empty() ? b_->NewName("KTABLE-SUPPRESS-STATE-STORE-")
                                                      : suppressed.name() + "-store";
  b_->topology.AddProcessor(
      name,
      [params, store, key_serde, value_serde] {
        return std::make_unique<internal::dsl::SuppressProcessor<K, V, KS, VS>>(
            params, store, key_serde, value_serde);
      },
      {node_});
  b_->topology.AddStateStore(StoreSpec{.name = store,
                                       .kind = StoreKind::kKeyValue,
                                       .backend = StoreBackend::kRocksDb,
                                       .logging = suppressed.buffer().logging,
                                       .changelog_configs = suppressed.buffer().changelog_configs},
                             {name});
  auto getter = std::make_shared<internal::dsl::ValueGetterSupplier<K, V>>();
  getter->stores = getter_->stores;
  getter->stores.insert(getter->stores.begin(), store);
  getter->make = [parent = getter_, store, key_serde,
                  value_serde]() -> std::unique_ptr<internal::dsl::ValueGetter<K, V>> {
    return std::make_unique<internal::dsl::SuppressValueGetter<K, V, KS, VS>>(
        parent->make(), store, key_serde, value_serde);
  };
  return KTable<K, V>(b_, name, std::move(getter), "");
}

}  // namespace brook
