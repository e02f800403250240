// Joins of the Streams DSL (Kafka Streams' KStream#join/leftJoin/outerJoin and
// KTable#join/leftJoin/outerJoin): the options (Joined, JoinWindows, StreamJoined) and the
// definitions of the join members declared in kstream.h and ktable.h.
//
//   KStream x KTable   s.Join(t, joiner) / s.LeftJoin(t, joiner)                KStream<K, VR>
//   KTable x KTable    t.Join(u, joiner) / LeftJoin / OuterJoin                 KTable<K, VR>
//   KStream x KStream  s.Join(o, joiner, JoinWindows, StreamJoined) / LeftJoin / OuterJoin
//                                                                                KStream<K, VR>
//
// Joiners: inner joins call joiner(value, other_value); left joins pass the right side as a
// std::optional (std::nullopt: no match), outer joins both sides. Stream joins also take
// joiner(key, value, other_value) (Kafka's ValueJoinerWithKey). The result type VR is what
// the joiner returns.
//
// Contract (Kafka Streams' semantics; src/dsl/README.md has the details and examples):
//  * Stream-table: a stream record is joined with the table's current row of its key, read
//    through the table's value getter (its store, or the nearest materialized ancestor's
//    with filters and mappers re-applied); table updates change the table and emit nothing.
//    No row: an inner join drops the record (not counted), a left join calls
//    joiner(value, std::nullopt). The result keeps the stream record's timestamp.
//  * Table-table: an update of either side is joined with the other side's current row and
//    forwarded as Change{new result, old result}; a key that leaves the join is a delete
//    (new result std::nullopt). Inner: both rows needed; left: the left row; outer: either.
//    The result table's value getter joins both parents' getters; with a store name in
//    Materialized the result is materialized (queryable by that name).
//  * Stream-stream (windowed): a record joins every record of the other stream with the same
//    key whose timestamp is in [ts - before, ts + after] (seen from the left stream; bounds
//    inclusive); the result's timestamp is the larger of the two. Each side keeps its records
//    in a window store with a changelog, retained for before + after + grace (+ 1 ms, so a
//    record stays visible as long as a match may still arrive on time). Left/outer joins emit
//    a record without a match, as joiner(value, std::nullopt) (or (std::nullopt, value)),
//    only once its window closed, i.e. when the join's stream time (the largest timestamp
//    either side has stored) passes ts + after + grace (ts + before + grace for a right
//    record), and only if no match came; those records wait in a shared key-value store.
//    A record that arrives when stream time is already past its window's end + grace
//    (ts + after + grace for a left record, ts + before + grace for a right one; a negative
//    after/before counts as 0) is late: dropped and counted ("late").
//  * Null keys and values (key or value types that are std::optional): a null value is
//    dropped ("null-value"); a null key is dropped ("null-key"), except that left/outer joins
//    join it with "no match" at once (Kafka Streams 3.7+). Counted with
//    ProcessingContext::RecordDropped.
//  * Co-partitioning: a stream whose key changed (KStream::key_changed()) is re-partitioned
//    first through "<application.id>-<base>-repartition", base = the join's name with
//    "-left"/"-right" (stream-stream) or the join's name (stream-table), else the stream's
//    node name, as Kafka Streams does. Joining the same re-keyed stream twice re-uses its
//    repartition topic.
//  * Names (generated with Kafka Streams' prefixes and in its order):
//    stream-table "KSTREAM-JOIN-<n>" / "KSTREAM-LEFTJOIN-<n>" (Joined::name); table-table
//    "KTABLE-MERGE-<n>" with "KTABLE-JOINTHIS-<n>"/"KTABLE-JOINOTHER-<n>" (Named: the merge
//    node, "<name>-join-this", "<name>-join-other"); stream-stream "KSTREAM-JOINTHIS-<n>" or
//    "KSTREAM-OUTERTHIS-<n>", "KSTREAM-JOINOTHER-<n>" or "KSTREAM-OUTEROTHER-<n>",
//    "KSTREAM-MERGE-<n>", stores "<this node>-store", "<other node>-store",
//    "KSTREAM-OUTERSHARED-<n>-store" (see StreamJoined for given names).
//
// Differences from Kafka Streams: brook's table stores keep no timestamps, so a table join's
// result has the timestamp of the update that caused it (Kafka: the larger of both rows');
// a stream-stream join drops late records, as JoinWindows' documentation says (Kafka
// Streams' code still joins them with what the other side's store holds), and emits a
// record without a match only after its grace period (Kafka Streams emits it at once when
// stream time is already past its window); the emission is not throttled by wall-clock time
// (Kafka Streams' internal emit interval); each side of a stream-stream join is one node
// (Kafka Streams has an extra "KSTREAM-WINDOWED-<n>" node per side; their indices are
// reserved so that the numbering lines up with Kafka Streams').
//
// Thread-safety: build on one thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
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
#include "brook/dsl/internal/join_processors.h"
#include "brook/dsl/internal/processors.h"
#include "brook/dsl/kstream.h"
#include "brook/dsl/ktable.h"
#include "brook/dsl/options.h"
#include "brook/stores.h"

namespace brook {

// How a stream-table join re-partitions the stream when its key changed (Kafka Streams'
// Joined): serdes of the repartition topic, and the join's name (also the base of the
// topic's name, "<application.id>-<name>-repartition").
template <typename KS, typename VS>
struct Joined {
  // Default: KS{} / VS{}
  KS key_serde{};
  VS value_serde{};
  // Default: generated ("KSTREAM-JOIN-0000000004")
  std::string name;
};

// The window of a stream-stream join (Kafka Streams' JoinWindows): a left record at ts joins
// the right records with timestamps in [ts - before, ts + after] (a right record at ts the
// left ones in [ts - after, ts + before]); a record arriving when stream time is past the end
// of its window + grace is dropped. before or after may be negative (a window that does not
// contain ts), before + after may not.
class JoinWindows {
 public:
  // before = after = time_difference, no grace: a record later than its window is dropped.
  // Throws brook::Error (kInvalidArgument) for a negative duration.
  static JoinWindows OfTimeDifferenceWithNoGrace(std::chrono::milliseconds time_difference);
  static JoinWindows OfTimeDifferenceAndGrace(std::chrono::milliseconds time_difference,
                                              std::chrono::milliseconds grace);
  // A copy with another `before` / `after`; throws brook::Error (kInvalidArgument) when
  // before + after would be negative.
  [[nodiscard]] JoinWindows Before(std::chrono::milliseconds time_difference) const;
  [[nodiscard]] JoinWindows After(std::chrono::milliseconds time_difference) const;

  [[nodiscard]] int64_t before_ms() const { return before_ms_; }
  [[nodiscard]] int64_t after_ms() const { return after_ms_; }
  [[nodiscard]] int64_t grace_ms() const { return grace_ms_; }
  // before + after
  [[nodiscard]] int64_t size_ms() const { return before_ms_ + after_ms_; }

  bool operator==(const JoinWindows&) const = default;

 private:
  JoinWindows(int64_t before_ms, int64_t after_ms, int64_t grace_ms);
  int64_t before_ms_;
  int64_t after_ms_;
  int64_t grace_ms_;
};

// Options of a stream-stream join (Kafka Streams' StreamJoined): serdes of the key and of
// both values (the window stores and repartition topics), names, the stores' changelog.
template <typename KS, typename VS, typename VOS>
struct StreamJoined {
  // Default: KS{} / VS{} / VOS{}
  KS key_serde{};
  VS value_serde{};
  VOS other_value_serde{};
  // The base of the processor names ("<name>-this-join", "<name>-other-join" (left/outer:
  // "-outer-other-join", outer: "-outer-this-join"), "<name>-merge") and of the repartition
  // topics ("<name>-left", "<name>-right").
  // Default: generated
  std::string name;
  // The base of the store names: "<store_name>-this-join-store", "<store_name>-other-join-
  // store" (same suffixes as the processors), "<store_name>-left-shared-join-store" (left
  // join) or "-outer-shared-join-store" (outer join).
  // Default: generated ("KSTREAM-JOINTHIS-0000000004-store", ...)
  std::string store_name;
  // Back the stores with changelog topics. Default: true
  bool logging = true;
  // Extra configs of the changelog topics. Default: none
  std::map<std::string, std::string> changelog_configs;
  // The shared store of left/outer joins (a key-value store); the window stores are always
  // RocksDB. Default: StoreBackend::kRocksDb
  StoreBackend backend = StoreBackend::kRocksDb;
};

template <typename KS, typename VS>
Joined(KS, VS) -> Joined<KS, VS>;
template <typename KS, typename VS, typename VOS>
StreamJoined(KS, VS, VOS) -> StreamJoined<KS, VS, VOS>;

template <typename K, typename V>
using JoinedFor = Joined<internal::dsl::DslSerde<K>, internal::dsl::DslSerde<V>>;
template <typename K, typename V, typename VO>
using StreamJoinedFor = StreamJoined<internal::dsl::DslSerde<K>, internal::dsl::DslSerde<V>,
                                     internal::dsl::DslSerde<VO>>;

namespace internal::dsl {

// The default option types of the join members of KStream (kstream.h names them through
// these, found by argument-dependent lookup when a join is used, because the option types
// are declared after KStream). Declarations only.
template <typename K, typename V, typename VT>
JoinedFor<K, V> JoinedDefaultFor(BuilderState* /*unused*/, const KStream<K, V>* /*unused*/,
                                 const KTable<K, VT>* /*unused*/);
template <typename K, typename V, typename VO>
StreamJoinedFor<K, V, VO> StreamJoinedDefaultFor(BuilderState* /*unused*/,
                                                 const KStream<K, V>* /*unused*/,
                                                 const KStream<K, VO>* /*unused*/);

template <typename T>
struct IsJoined : std::false_type {};
template <typename KS, typename VS>
struct IsJoined<Joined<KS, VS>> : std::true_type {};
template <typename T>
struct IsStreamJoined : std::false_type {};
template <typename KS, typename VS, typename VOS>
struct IsStreamJoined<StreamJoined<KS, VS, VOS>> : std::true_type {};

// The node a join reads for `stream`: the stream itself, or its re-partitioned copy
// through "<base>-repartition" when its key changed (re-used when `node` was re-partitioned
// under that name already).
template <typename K, typename V, typename KS, typename VS>
std::string JoinInput(BuilderState& b, std::string_view op, const std::string& node,
                      bool key_changed, const std::string& base, const KS& key_serde,
                      const VS& value_serde) {
  if (!key_changed) return node;
  const NodeSpec* sink = b.topology.spec().Find(base + "-repartition-sink");
  if (sink != nullptr && sink->parents == std::vector<std::string>{node}) {
    return base + "-repartition-source";
  }
  if constexpr (RecordSerdeFor<KS, K> && RecordSerdeFor<VS, V>) {
    return AddRepartition<K, V>(b, node, base, key_serde, value_serde, -1);
  } else {
    // Serdes are needed only here: a join that does not re-partition takes none.
    ThrowDslError(op, "'" + node +
                          "' changed its key and must be re-partitioned, but its key or value "
                          "type has no default serde: pass both in the join's options");
  }
}

void CheckSameBuilder(const BuilderState* a, const BuilderState* b, std::string_view op);

template <bool kLeft, typename K, typename V, typename VT, typename F, typename J>
auto StreamTableJoin(const KStream<K, V>& stream, const KTable<K, VT>& table, F joiner,
                     const J& joined) {
  static_assert(IsJoined<J>::value, "the options of a stream-table join are a brook::Joined");
  using VR = StreamTableJoinResultT<kLeft, F, K, V, VT>;
  const char* op = kLeft ? "leftJoin" : "join";
  CheckSameBuilder(stream.builder().get(), table.builder().get(), op);
  BuilderState& b = *stream.builder();
  const std::string input = JoinInput<K, V>(b, op, stream.node_name(), stream.key_changed(),
                                            joined.name.empty() ? stream.node_name() : joined.name,
                                            joined.key_serde, joined.value_serde);
  const std::string name = b.NameOr(joined.name, kLeft ? "KSTREAM-LEFTJOIN-" : "KSTREAM-JOIN-");
  const ValueGetterSupplierPtr<K, VT>& getter = table.value_getter();
  b.topology.AddProcessor(
      name,
      [joiner, getter] {
        return std::make_unique<StreamTableJoinProcessor<K, V, VT, VR, F, kLeft>>(joiner, getter);
      },
      {input});
  if (!getter->stores.empty()) b.topology.ConnectProcessorAndStateStores(name, getter->stores);
  return KStream<K, VR>(stream.builder(), name, false);
}

template <JoinKind kKind, typename K, typename V, typename VO, typename VR, typename F, typename KS,
          typename VS>
KTable<K, VR> TableTableJoin(const KTable<K, V>& left, const KTable<K, VO>& right, F joiner,
                             const Named& named, const Materialized<KS, VS>& materialized) {
  static_assert(!kIsOptional<VR>,
                "a table's value type is not optional: deletes are the table's own nulls");
  CheckSameBuilder(left.builder().get(), right.builder().get(), "table join");
  BuilderState& b = *left.builder();
  const std::string merge = b.NameOr(named.name, "KTABLE-MERGE-");
  const std::string this_name =
      named.name.empty() ? b.NewName("KTABLE-JOINTHIS-") : named.name + "-join-this";
  const std::string other_name =
      named.name.empty() ? b.NewName("KTABLE-JOINOTHER-") : named.name + "-join-other";
  const ValueGetterSupplierPtr<K, V>& left_getter = left.value_getter();
  const ValueGetterSupplierPtr<K, VO>& right_getter = right.value_getter();
  b.topology.AddProcessor(
      this_name,
      [joiner, right_getter] {
        return std::make_unique<TableTableJoinProcessor<K, V, VO, VR, F, kKind, true>>(
            joiner, right_getter);
      },
      {left.node_name()});
  if (!right_getter->stores.empty()) {
    b.topology.ConnectProcessorAndStateStores(this_name, right_getter->stores);
  }
  b.topology.AddProcessor(
      other_name,
      [joiner, left_getter] {
        return std::make_unique<TableTableJoinProcessor<K, VO, V, VR, F, kKind, false>>(
            joiner, left_getter);
      },
      {right.node_name()});
  if (!left_getter->stores.empty()) {
    b.topology.ConnectProcessorAndStateStores(other_name, left_getter->stores);
  }
  const std::string& store = materialized.store_name;
  if constexpr (RecordSerdeFor<KS, K> && RecordSerdeFor<VS, VR>) {
    b.topology.AddProcessor(merge,
                            [store, ks = materialized.key_serde, vs = materialized.value_serde] {
                              return std::make_unique<TableJoinMergeProcessor<K, VR, KS, VS>>(
                                  store, ks, vs);
                            },
                            {this_name, other_name});
    if (!store.empty()) {
      b.topology.AddStateStore(StoreSpec{.name = store,
                                         .kind = StoreKind::kKeyValue,
                                         .backend = materialized.backend,
                                         .logging = materialized.logging,
                                         .changelog_configs = materialized.changelog_configs,
                                         .query_codec = QueryCodecFor<K, VR>(
                                             materialized.key_serde, materialized.value_serde)},
                               {merge});
      return KTable<K, VR>(
          left.builder(), merge,
          StoreGetter<K, VR>(store, materialized.key_serde, materialized.value_serde), store);
    }
  } else {
    // No serdes: fine as long as nothing is stored.
    if (!store.empty()) {
      ThrowDslError("table join", "store '" + store +
                                      "': the joined table's key or value type has no default "
                                      "serde: pass both in Materialized");
    }
    b.topology.AddProcessor(merge,
                            [] { return std::make_unique<PassThroughProcessor<K, Change<VR>>>(); },
                            {this_name, other_name});
  }
  auto getter = std::make_shared<ValueGetterSupplier<K, VR>>();
  getter->stores = left_getter->stores;
  for (const std::string& s : right_getter->stores) {
    if (std::find(getter->stores.begin(), getter->stores.end(), s) == getter->stores.end()) {
      getter->stores.push_back(s);
    }
  }
  getter->make = [left_getter, right_getter, joiner]() -> std::unique_ptr<ValueGetter<K, VR>> {
    return std::make_unique<TableJoinValueGetter<K, V, VO, VR, F, kKind>>(
        left_getter->make(), right_getter->make(), joiner);
  };
  return KTable<K, VR>(left.builder(), merge, std::move(getter), "");
}

// The names of a stream-stream join's nodes and stores.
struct StreamJoinNames {
  std::string this_node, other_node, merge_node;
  std::string this_store, other_store, outer_store;  // outer_store: empty for inner joins
};
StreamJoinNames MakeStreamJoinNames(BuilderState& b, JoinKind kind, const std::string& name,
                                    const std::string& store_name);

template <JoinKind kKind, typename K, typename V, typename VO, typename F, typename SJ>
auto StreamStreamJoin(const KStream<K, V>& left, const KStream<K, VO>& right, F joiner,
                      const JoinWindows& windows, const SJ& joined) {
  static_assert(IsStreamJoined<SJ>::value,
                "the options of a stream-stream join are a brook::StreamJoined");
  using KS = std::remove_cvref_t<decltype(joined.key_serde)>;
  using VS = std::remove_cvref_t<decltype(joined.value_serde)>;
  using VOS = std::remove_cvref_t<decltype(joined.other_value_serde)>;
  using VR = JoinResultT<kKind, true, F, K, V, VO>;
  CheckSerdes<K, V, KS, VS>();  // the window stores need them
  CheckSerdes<K, VO, KS, VOS>();
  CheckSameBuilder(left.builder().get(), right.builder().get(), "stream join");
  BuilderState& b = *left.builder();
  const std::string left_input =
      JoinInput<K, V>(b, "stream join", left.node_name(), left.key_changed(),
                      joined.name.empty() ? left.node_name() : joined.name + "-left",
                      joined.key_serde, joined.value_serde);
  const std::string right_input =
      JoinInput<K, VO>(b, "stream join", right.node_name(), right.key_changed(),
                       joined.name.empty() ? right.node_name() : joined.name + "-right",
                       joined.key_serde, joined.other_value_serde);
  const StreamJoinNames names = MakeStreamJoinNames(b, kKind, joined.name, joined.store_name);

  StreamJoinSpec spec{.this_store = names.this_store,
                      .other_store = names.other_store,
                      .outer_store = names.outer_store,
                      .before_ms = windows.before_ms(),
                      .after_ms = windows.after_ms(),
                      .grace_ms = windows.grace_ms(),
                      .windows_before_ms = windows.before_ms(),
                      .windows_after_ms = windows.after_ms(),
                      .this_outer = kKind != JoinKind::kInner,
                      .other_outer = kKind == JoinKind::kOuter};
  b.topology.AddProcessor(
      names.this_node,
      [joiner, spec, ks = joined.key_serde, vs = joined.value_serde,
       vos = joined.other_value_serde] {
        return std::make_unique<
            StreamStreamJoinProcessor<K, V, VO, VR, F, kKind, true, KS, VS, VOS>>(joiner, spec, ks,
                                                                                  vs, vos);
      },
      {left_input});
  StreamJoinSpec other_spec = spec;
  std::swap(other_spec.this_store, other_spec.other_store);
  std::swap(other_spec.before_ms, other_spec.after_ms);
  std::swap(other_spec.this_outer, other_spec.other_outer);
  b.topology.AddProcessor(
      names.other_node,
      [joiner, other_spec, ks = joined.key_serde, vs = joined.value_serde,
       vos = joined.other_value_serde] {
        return std::make_unique<
            StreamStreamJoinProcessor<K, V, VO, VR, F, kKind, false, KS, VS, VOS>>(
            joiner, other_spec, ks, vs, vos);
      },
      {right_input});

  // Kept long enough that a record is still there when the last record of the other side
  // that may match it arrives on time: window store retention drops window starts <=
  // stream time - retention.
  const int64_t retention = windows.size_ms() + windows.grace_ms() + 1;
  const std::vector<std::string> both = {names.this_node, names.other_node};
  for (const std::string& store : {names.this_store, names.other_store}) {
    b.topology.AddStateStore(StoreSpec{.name = store,
                                       .kind = StoreKind::kWindow,
                                       .backend = StoreBackend::kRocksDb,
                                       .logging = joined.logging,
                                       .changelog_configs = joined.changelog_configs,
                                       .retention_ms = retention},
                             both);
  }
  if (!names.outer_store.empty()) {
    b.topology.AddStateStore(StoreSpec{.name = names.outer_store,
                                       .kind = StoreKind::kKeyValue,
                                       .backend = joined.backend,
                                       .logging = joined.logging,
                                       .changelog_configs = joined.changelog_configs},
                             both);
  }
  b.topology.AddProcessor(names.merge_node,
                          [] { return std::make_unique<PassThroughProcessor<K, VR>>(); },
                          {names.this_node, names.other_node});
  return KStream<K, VR>(left.builder(), names.merge_node, false);
}

}  // namespace internal::dsl

// ---- KStream ----

template <typename K, typename V>
template <typename VT, typename F, typename J>
auto KStream<K, V>::Join(const KTable<K, VT>& table, F joiner, const J& joined) const {
  return internal::dsl::StreamTableJoin<false>(*this, table, std::move(joiner), joined);
}

template <typename K, typename V>
template <typename VT, typename F, typename J>
auto KStream<K, V>::LeftJoin(const KTable<K, VT>& table, F joiner, const J& joined) const {
  return internal::dsl::StreamTableJoin<true>(*this, table, std::move(joiner), joined);
}

template <typename K, typename V>
template <typename VO, typename F, typename SJ>
auto KStream<K, V>::Join(const KStream<K, VO>& other, F joiner, const JoinWindows& windows,
                         const SJ& joined) const {
  return internal::dsl::StreamStreamJoin<internal::dsl::JoinKind::kInner>(
      *this, other, std::move(joiner), windows, joined);
}

template <typename K, typename V>
template <typename VO, typename F, typename SJ>
auto KStream<K, V>::LeftJoin(const KStream<K, VO>& other, F joiner, const JoinWindows& windows,
                             const SJ& joined) const {
  return internal::dsl::StreamStreamJoin<internal::dsl::JoinKind::kLeft>(
      *this, other, std::move(joiner), windows, joined);
}

template <typename K, typename V>
template <typename VO, typename F, typename SJ>
auto KStream<K, V>::OuterJoin(const KStream<K, VO>& other, F joiner, const JoinWindows& windows,
                              const SJ& joined) const {
  return internal::dsl::StreamStreamJoin<internal::dsl::JoinKind::kOuter>(
      *this, other, std::move(joiner), windows, joined);
}

// ---- KTable ----

template <typename K, typename V>
template <typename VO, typename F, typename VR, typename KS, typename VS>
KTable<K, VR> KTable<K, V>::Join(const KTable<K, VO>& other, F joiner, const Named& named,
                                 const Materialized<KS, VS>& materialized) const {
  return internal::dsl::TableTableJoin<internal::dsl::JoinKind::kInner, K, V, VO, VR>(
      *this, other, std::move(joiner), named, materialized);
}

template <typename K, typename V>
template <typename VO, typename F, typename VR, typename KS, typename VS>
KTable<K, VR> KTable<K, V>::LeftJoin(const KTable<K, VO>& other, F joiner, const Named& named,
                                     const Materialized<KS, VS>& materialized) const {
  return internal::dsl::TableTableJoin<internal::dsl::JoinKind::kLeft, K, V, VO, VR>(
      *this, other, std::move(joiner), named, materialized);
}

template <typename K, typename V>
template <typename VO, typename F, typename VR, typename KS, typename VS>
KTable<K, VR> KTable<K, V>::OuterJoin(const KTable<K, VO>& other, F joiner, const Named& named,
                                      const Materialized<KS, VS>& materialized) const {
  return internal::dsl::TableTableJoin<internal::dsl::JoinKind::kOuter, K, V, VO, VR>(
      *this, other, std::move(joiner), named, materialized);
}

}  // namespace brook
