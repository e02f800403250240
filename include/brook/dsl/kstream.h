// KStream<K, V>: an unbounded stream of records (Kafka Streams' KStream), and the
// BranchedKStream of split(). Every operator adds one or more nodes to the builder's
// topology at once and returns a new handle; handles are cheap values sharing the builder.
//
// Functions: predicates, mappers and actions take (const K& key, const V& value), or only
// (const V& value) where Kafka Streams has a key-less variant (filter, mapValues,
// flatMapValues, peek, foreach also accept the key-less form). They are stored by value and
// called on the stream thread; they may throw (the task fails naming the node and record).
//
// Key changes: map, flatMap and selectKey mark the stream "key changed"; a later
// groupByKey, aggregation or join then re-partitions it through an internal topic
// ("<application.id>-<name>-repartition") so that records with the same key meet in the
// same task, as Kafka Streams does. mapValues, flatMapValues, filter and peek keep the
// partitioning.
//
// Errors: misuse detected while building (duplicate names, bad topic names, type errors
// the compiler cannot see) throws brook::Error naming the operator.
//
// Thread-safety: build on one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "brook/dsl/fwd.h"
#include "brook/dsl/internal/builder_state.h"
#include "brook/dsl/internal/processors.h"
#include "brook/dsl/options.h"
#include "brook/topology.h"

namespace brook {

template <typename K, typename V>
class KStream {
 public:
  using KeyType = K;
  using ValueType = V;

  // Records for which f(key, value) holds.
  template <typename F>
  KStream Filter(F f, const Named& named = {}) const {
    return AddFilter(std::move(f), false, named, "KSTREAM-FILTER-");
  }
  // Records for which f(key, value) does not hold.
  template <typename F>
  KStream FilterNot(F f, const Named& named = {}) const {
    return AddFilter(std::move(f), true, named, "KSTREAM-FILTER-");
  }

  // f(key, value) -> KeyValue<KR, VR> (or std::pair<KR, VR>): a new key and value.
  template <typename F>
  auto Map(F f, const Named& named = {}) const {
    using R = std::invoke_result_t<F&, const K&, const V&>;
    using KR = typename internal::dsl::KeyValueTraits<R>::Key;
    using VR = typename internal::dsl::KeyValueTraits<R>::Value;
    const std::string name = b_->NameOr(named.name, "KSTREAM-MAP-");
    b_->topology.AddProcessor(
        name, [f] { return std::make_unique<internal::dsl::MapProcessor<K, V, KR, VR, F>>(f); },
        {node_});
    return KStream<KR, VR>(b_, name, true);
  }

  // f(value) or f(key, value) -> VR: a new value, same key.
  template <typename F>
  auto MapValues(F f, const Named& named = {}) const {
    using VR = std::remove_cvref_t<internal::dsl::KVResultT<F, K, V>>;
    const std::string name = b_->NameOr(named.name, "KSTREAM-MAPVALUES-");
    b_->topology.AddProcessor(
        name, [f] { return std::make_unique<internal::dsl::MapValuesProcessor<K, V, VR, F>>(f); },
        {node_});
    return KStream<K, VR>(b_, name, key_changed_);
  }

  // f(key, value) -> KR: a new key, same value.
  template <typename F>
  auto SelectKey(F f, const Named& named = {}) const {
    using KR = std::remove_cvref_t<std::invoke_result_t<F&, const K&, const V&>>;
    const std::string name = b_->NameOr(named.name, "KSTREAM-KEY-SELECT-");
    b_->topology.AddProcessor(
        name, [f] { return std::make_unique<internal::dsl::SelectKeyProcessor<K, V, KR, F>>(f); },
        {node_});
    return KStream<KR, V>(b_, name, true);
  }

  // f(key, value) -> a range of KeyValue<KR, VR> (or pairs): zero or more records.
  template <typename F>
  auto FlatMap(F f, const Named& named = {}) const {
    using Range = std::invoke_result_t<F&, const K&, const V&>;
    using R = std::remove_cvref_t<std::ranges::range_value_t<Range>>;
    using KR = typename internal::dsl::KeyValueTraits<R>::Key;
    using VR = typename internal::dsl::KeyValueTraits<R>::Value;
    const std::string name = b_->NameOr(named.name, "KSTREAM-FLATMAP-");
    b_->topology.AddProcessor(
        name, [f] { return std::make_unique<internal::dsl::FlatMapProcessor<K, V, KR, VR, F>>(f); },
        {node_});
    return KStream<KR, VR>(b_, name, true);
  }

  // f(value) or f(key, value) -> a range of VR: zero or more records with the same key.
  template <typename F>
  auto FlatMapValues(F f, const Named& named = {}) const {
    using Range = internal::dsl::KVResultT<F, K, V>;
    using VR = std::remove_cvref_t<std::ranges::range_value_t<Range>>;
    const std::string name = b_->NameOr(named.name, "KSTREAM-FLATMAPVALUES-");
    b_->topology.AddProcessor(
        name,
        [f] { return std::make_unique<internal::dsl::FlatMapValuesProcessor<K, V, VR, F>>(f); },
        {node_});
    return KStream<K, VR>(b_, name, key_changed_);
  }

  // Calls f(key, value) for each record and passes the record on.
  template <typename F>
  KStream Peek(F f, const Named& named = {}) const {
    const std::string name = b_->NameOr(named.name, "KSTREAM-PEEK-");
    b_->topology.AddProcessor(
        name, [f] { return std::make_unique<internal::dsl::ActionProcessor<K, V, F, true>>(f); },
        {node_});
    return KStream(b_, name, key_changed_);
  }

  // Calls f(key, value) for each record (terminal).
  template <typename F>
  void Foreach(F f, const Named& named = {}) const {
    const std::string name = b_->NameOr(named.name, "KSTREAM-FOREACH-");
    b_->topology.AddProcessor(
        name, [f] { return std::make_unique<internal::dsl::ActionProcessor<K, V, F, false>>(f); },
        {node_});
  }

  // Splits the stream by predicates (Kafka Streams' split()); `named.name` prefixes the
  // branch names.
  BranchedKStream<K, V> Split(const Named& named = {}) const;

  // Both streams' records, interleaved as they arrive.
  KStream Merge(const KStream& other, const Named& named = {}) const {
    const std::string name = b_->NameOr(named.name, "KSTREAM-MERGE-");
    b_->topology.AddProcessor(
        name, [] { return std::make_unique<internal::dsl::PassThroughProcessor<K, V>>(); },
        {node_, other.node_});
    return KStream(b_, name, key_changed_ || other.key_changed_);
  }

  // Writes the records to `topic` (Kafka Streams' to()). `partitioner` nullptr: by key
  // (Kafka's default partitioner).
  template <typename KS = internal::dsl::DslSerde<K>, typename VS = internal::dsl::DslSerde<V>>
  void To(const std::string& topic, const Produced<KS, VS>& produced = {},
          StreamPartitioner<K, V> partitioner = nullptr) const {
    internal::dsl::CheckSerdes<K, V, KS, VS>();
    const std::string name = b_->NameOr(produced.name, "KSTREAM-SINK-");
    b_->topology.AddSink<K, V, KS, VS>(name, topic, {node_}, produced.key_serde,
                                       produced.value_serde, std::move(partitioner));
  }
  // Writes each record to the topic extractor(key, value, context) names.
  template <typename KS = internal::dsl::DslSerde<K>, typename VS = internal::dsl::DslSerde<V>>
  void To(TopicNameExtractor<K, V> extractor, const Produced<KS, VS>& produced = {}) const {
    internal::dsl::CheckSerdes<K, V, KS, VS>();
    const std::string name = b_->NameOr(produced.name, "KSTREAM-SINK-");
    b_->topology.AddSink<K, V, KS, VS>(name, std::move(extractor), {node_}, produced.key_serde,
                                       produced.value_serde);
  }

  // Re-partitions by key through "<application.id>-<name>-repartition" (Kafka Streams'
  // repartition()); the result is no longer "key changed".
  template <typename KS = internal::dsl::DslSerde<K>, typename VS = internal::dsl::DslSerde<V>>
  KStream Repartition(const Repartitioned<KS, VS>& repartitioned = {}) const {
    const std::string base = b_->NameOr(repartitioned.name, "KSTREAM-REPARTITION-");
    return KStream(
        b_,
        internal::dsl::AddRepartition<K, V>(*b_, node_, base, repartitioned.key_serde,
                                            repartitioned.value_serde, repartitioned.partitions),
        false);
  }

  // Groups by the current key; re-partitions first when the key changed upstream.
  template <typename KS = internal::dsl::DslSerde<K>, typename VS = internal::dsl::DslSerde<V>>
  KGroupedStream<K, V> GroupByKey(const Grouped<KS, VS>& grouped = {}) const;
  // Groups by a new key f(key, value) -> KR; always re-partitions.
  template <typename F,
            typename KS = internal::dsl::DslSerde<
                std::remove_cvref_t<std::invoke_result_t<F&, const K&, const V&>>>,
            typename VS = internal::dsl::DslSerde<V>>
  auto GroupBy(F f, const Grouped<KS, VS>& grouped = {}) const;

  // Runs a Processor API processor (Kafka Streams' process()): supplier() returns a
  // std::unique_ptr<P>, P a Processor<K, V, KOut, VOut>; `stores` (added with
  // StreamsBuilder::AddStateStore) are connected to it. Returns the stream of what it
  // forwards (KStream<KOut, VOut>), "key changed" as the processor may change keys.
  template <typename Supplier>
  auto Process(Supplier supplier, const std::vector<std::string>& stores = {},
               const Named& named = {}) const {
    using P = internal::SuppliedProcessor<Supplier>;
    static_assert(std::is_same_v<typename P::KeyIn, K> && std::is_same_v<typename P::ValueIn, V>,
                  "the processor's input types must be the stream's key and value types");
    const std::string name = b_->NameOr(named.name, "KSTREAM-PROCESSOR-");
    b_->topology.AddProcessor(name, std::move(supplier), {node_});
    if (!stores.empty()) b_->topology.ConnectProcessorAndStateStores(name, stores);
    if constexpr (std::is_void_v<typename P::KeyOut>) {
      return;
    } else {
      return KStream<typename P::KeyOut, typename P::ValueOut>(b_, name, true);
    }
  }

  // ---- Joins (defined in brook/dsl/joins.h) ----
  // The option types are defined in brook/dsl/joins.h, after this class: `class` declares
  // JoinWindows; the defaults of J and SJ (Joined, StreamJoined) name theirs through
  // internal::dsl helpers found when a join is used, so that `{.name = "..."}` works as for
  // the other options.

  // Stream-table inner join: each record is joined with the table's current row of its key,
  // joiner(value, table_value) or joiner(key, value, table_value) -> VR; records without a
  // row are dropped. Returns KStream<K, VR>. Re-partitions first when key_changed().
  template <typename VT, typename F,
            typename J = decltype(JoinedDefaultFor(std::declval<internal::dsl::BuilderState*>(),
                                                   std::declval<const KStream*>(),
                                                   std::declval<const KTable<K, VT>*>()))>
  auto Join(const KTable<K, VT>& table, F joiner, const J& joined = {}) const;
  // Stream-table left join: joiner(value, std::optional<VT>) (or with the key first) for
  // every record; std::nullopt when the table has no row.
  template <typename VT, typename F,
            typename J = decltype(JoinedDefaultFor(std::declval<internal::dsl::BuilderState*>(),
                                                   std::declval<const KStream*>(),
                                                   std::declval<const KTable<K, VT>*>()))>
  auto LeftJoin(const KTable<K, VT>& table, F joiner, const J& joined = {}) const;

  // Stream-stream windowed joins: joiner(value, other_value) (or with the key first) for
  // each pair of records with the same key within the window. LeftJoin passes the other
  // value as a std::optional, OuterJoin both; a record without a match is joined with
  // std::nullopt once its window has closed. Returns KStream<K, VR>. Re-partitions a side
  // first when its key changed.
  template <typename VO, typename F,
            typename SJ = decltype(StreamJoinedDefaultFor(
                std::declval<internal::dsl::BuilderState*>(), std::declval<const KStream*>(),
                std::declval<const KStream<K, VO>*>()))>
  auto Join(const KStream<K, VO>& other, F joiner, const class JoinWindows& windows,
            const SJ& joined = {}) const;
  template <typename VO, typename F,
            typename SJ = decltype(StreamJoinedDefaultFor(
                std::declval<internal::dsl::BuilderState*>(), std::declval<const KStream*>(),
                std::declval<const KStream<K, VO>*>()))>
  auto LeftJoin(const KStream<K, VO>& other, F joiner, const class JoinWindows& windows,
                const SJ& joined = {}) const;
  template <typename VO, typename F,
            typename SJ = decltype(StreamJoinedDefaultFor(
                std::declval<internal::dsl::BuilderState*>(), std::declval<const KStream*>(),
                std::declval<const KStream<K, VO>*>()))>
  auto OuterJoin(const KStream<K, VO>& other, F joiner, const class JoinWindows& windows,
                 const SJ& joined = {}) const;

  // ---- end of joins ----

  // The node whose output this stream is (for the Processor API and tests).
  [[nodiscard]] const std::string& node_name() const { return node_; }
  // True when a grouping or join will re-partition first.
  [[nodiscard]] bool key_changed() const { return key_changed_; }

  // For the DSL's own use.
  KStream(internal::dsl::BuilderPtr b, std::string node, bool key_changed)
      : b_(std::move(b)), node_(std::move(node)), key_changed_(key_changed) {}
  [[nodiscard]] const internal::dsl::BuilderPtr& builder() const { return b_; }

 private:
  template <typename F>
  KStream AddFilter(F f, bool negate, const Named& named, std::string_view prefix) const {
    const std::string name = b_->NameOr(named.name, prefix);
    b_->topology.AddProcessor(name,
                              [f, negate] {
                                return std::make_unique<internal::dsl::FilterProcessor<K, V, F>>(
                                    f, negate);
                              },
                              {node_});
    return KStream(b_, name, key_changed_);
  }

  internal::dsl::BuilderPtr b_;
  std::string node_;
  bool key_changed_ = false;
};

// The result of KStream::Split(): add branches in order, then end with DefaultBranch() or
// NoDefaultBranch(), which return the branches by name ("<split name><branch name>"; a
// branch without a name is numbered from 1, as in Kafka Streams). A record goes to the first
// branch whose predicate holds; records no predicate takes go to the default branch, or are
// dropped without one.
template <typename K, typename V>
class BranchedKStream {
 public:
  // pred(key, value) or pred(value).
  template <typename F>
  BranchedKStream& Branch(F pred, const std::string& name = "") {
    const std::string child =
        prefix_ + (name.empty() ? std::to_string(spec_->branches.size() + 1) : name);
    spec_->branches.emplace_back(child, [pred](const K& k, const V& v) mutable {
      return static_cast<bool>(internal::dsl::InvokeKV(pred, k, v));
    });
    AddBranch(child);
    return *this;
  }
  std::map<std::string, KStream<K, V>> DefaultBranch(const std::string& name = "") {
    const std::string child =
        prefix_ + (name.empty() ? std::to_string(spec_->branches.size() + 1) : name);
    spec_->default_branch = child;
    AddBranch(child);
    return std::move(result_);
  }
  std::map<std::string, KStream<K, V>> NoDefaultBranch() { return std::move(result_); }

  // For KStream::Split.
  BranchedKStream(internal::dsl::BuilderPtr b, std::string node, std::string prefix,
                  std::shared_ptr<internal::dsl::BranchSpec<K, V>> spec, bool key_changed)
      : b_(std::move(b)),
        node_(std::move(node)),
        prefix_(std::move(prefix)),
        spec_(std::move(spec)),
        key_changed_(key_changed) {}

 private:
  void AddBranch(const std::string& child) {
    b_->topology.AddProcessor(
        child, [] { return std::make_unique<internal::dsl::PassThroughProcessor<K, V>>(); },
        {node_});
    result_.emplace(child, KStream<K, V>(b_, child, key_changed_));
  }

  internal::dsl::BuilderPtr b_;
  std::string node_;
  std::string prefix_;
  std::shared_ptr<internal::dsl::BranchSpec<K, V>> spec_;
  bool key_changed_;
  std::map<std::string, KStream<K, V>> result_;
};

template <typename K, typename V>
BranchedKStream<K, V> KStream<K, V>::Split(const Named& named) const {
  const std::string name = b_->NewName("KSTREAM-BRANCH-");
  auto spec = std::make_shared<internal::dsl::BranchSpec<K, V>>();
  std::shared_ptr<const internal::dsl::BranchSpec<K, V>> shared = spec;
  b_->topology.AddProcessor(
      name, [shared] { return std::make_unique<internal::dsl::BranchProcessor<K, V>>(shared); },
      {node_});
  return BranchedKStream<K, V>(b_, name, named.name.empty() ? name + "-" : named.name, spec,
                               key_changed_);
}

}  // namespace brook
