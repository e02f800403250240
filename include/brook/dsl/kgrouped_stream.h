// KGroupedStream<K, V>: a stream grouped by key, ready to aggregate (Kafka Streams'
// KGroupedStream). Made by KStream::GroupByKey and KStream::GroupBy.
//
// Aggregations keep one row per key in a key-value store (Materialized: name, backend,
// changelog) and return the KTable of the aggregates; every input record updates its key's
// row and emits the update downstream (no record cache).
//   Count()                          KTable<K, int64_t>
//   Reduce(reducer(agg, value))      KTable<K, V>
//   Aggregate(init(), agg(key, value, aggregate))   KTable<K, VA>, VA = init()'s type
// Re-partitioning: when the grouping needs it (the key changed upstream, or GroupBy), the
// aggregation first writes to and reads from "<application.id>-<base>-repartition", base =
// the Grouped name, else the store name (given or generated), as Kafka Streams does.
//
// Null keys: an aggregation needs a key, so K may not be std::optional (map null keys to a
// value, or filter them out, before grouping).
//
// Thread-safety: build on one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "brook/dsl/fwd.h"
#include "brook/dsl/internal/builder_state.h"
#include "brook/dsl/internal/processors.h"
#include "brook/dsl/kstream.h"
#include "brook/dsl/ktable.h"
#include "brook/dsl/options.h"
#include "brook/state/serde.h"
#include "brook/stores.h"

namespace brook {

template <typename K, typename V>
class KGroupedStream {
  static_assert(!internal::dsl::kIsOptional<K>,
                "group by a non-optional key: map or filter null keys away before grouping");

 public:
  // The number of records per key.
  template <typename KS = internal::dsl::DslSerde<K>, typename VS = state::Int64Serde>
  KTable<K, int64_t> Count(const Materialized<KS, VS>& materialized = {},
                           const Named& named = {}) const {
    return DoAggregate<int64_t>(
        [](const K&, const V&, const std::optional<int64_t>& old) -> int64_t {
          return old.value_or(0) + 1;
        },
        materialized, named, "KSTREAM-AGGREGATE-STATE-STORE-", "KSTREAM-AGGREGATE-");
  }

  // reducer(aggregate, value) -> V; the first value of a key is its first aggregate.
  template <typename F, typename KS = internal::dsl::DslSerde<K>,
            typename VS = internal::dsl::DslSerde<V>>
  KTable<K, V> Reduce(F reducer, const Materialized<KS, VS>& materialized = {},
                      const Named& named = {}) const {
    return DoAggregate<V>(
        [reducer](const K&, const V& value, const std::optional<V>& old) mutable -> V {
          if (!old) return value;
          return reducer(*old, value);
        },
        materialized, named, "KSTREAM-REDUCE-STATE-STORE-", "KSTREAM-REDUCE-");
  }

  // init() -> VA gives a new key's starting aggregate; aggregator(key, value, aggregate)
  // -> VA folds each record in.
  template <typename Init, typename F,
            typename VA = std::remove_cvref_t<std::invoke_result_t<Init&>>,
            typename KS = internal::dsl::DslSerde<K>, typename VS = internal::dsl::DslSerde<VA>>
  KTable<K, VA> Aggregate(Init init, F aggregator, const Materialized<KS, VS>& materialized = {},
                          const Named& named = {}) const {
    return DoAggregate<VA>(
        [init, aggregator](const K& key, const V& value, const std::optional<VA>& old) mutable
        -> VA { return aggregator(key, value, old ? *old : VA(init())); },
        materialized, named, "KSTREAM-AGGREGATE-STATE-STORE-", "KSTREAM-AGGREGATE-");
  }

  // ---- Windowing (defined in brook/dsl/windowing.h) ----

  // Aggregations per time window or session (Kafka Streams' windowedBy). `class` declares
  // the window types, defined in brook/dsl/windowing.h.
  TimeWindowedKStream<K, V> WindowedBy(const class TimeWindows& windows) const;
  SessionWindowedKStream<K, V> WindowedBy(const class SessionWindows& windows) const;

  // ---- end of windowing ----

  // For the DSL's own use: the node an aggregation whose base name is `base` reads,
  // re-partitioning first when the grouping needs it (see the header comment).
  [[nodiscard]] std::string InputFor(const std::string& base) const {
    if (!repartition_) return node_;
    return repartition_(*b_, grouped_name_.empty() ? base : grouped_name_);
  }
  KGroupedStream(internal::dsl::BuilderPtr b, std::string node,
                 internal::dsl::RepartitionFn repartition, std::string grouped_name)
      : b_(std::move(b)),
        node_(std::move(node)),
        repartition_(std::move(repartition)),
        grouped_name_(std::move(grouped_name)) {}
  [[nodiscard]] const internal::dsl::BuilderPtr& builder() const { return b_; }

 private:
  // step(key, value, old aggregate or nullopt) -> new aggregate.
  template <typename VA, typename Step, typename KS, typename VS>
  KTable<K, VA> DoAggregate(Step step, const Materialized<KS, VS>& m, const Named& named,
                            std::string_view store_prefix, std::string_view node_prefix) const {
    internal::dsl::CheckSerdes<K, VA, KS, VS>();
    const std::string store = b_->NameOr(m.store_name, store_prefix);
    const std::string input = InputFor(store);
    const std::string name = b_->NameOr(named.name, node_prefix);
    b_->topology.AddProcessor(
        name,
        [step, store, ks = m.key_serde, vs = m.value_serde] {
          return std::make_unique<internal::dsl::AggregateProcessor<K, V, VA, Step, KS, VS>>(
              step, store, ks, vs);
        },
        {input});
    b_->topology.AddStateStore(
        StoreSpec{.name = store,
                  .kind = StoreKind::kKeyValue,
                  .backend = m.backend,
                  .logging = m.logging,
                  .changelog_configs = m.changelog_configs,
                  .query_codec = internal::dsl::QueryCodecFor<K, VA>(m.key_serde, m.value_serde)},
        {name});
    return KTable<K, VA>(
        b_, name, internal::dsl::StoreGetter<K, VA>(store, m.key_serde, m.value_serde), store);
  }

  internal::dsl::BuilderPtr b_;
  std::string node_;
  internal::dsl::RepartitionFn repartition_;  // nullptr: no re-partitioning needed
  std::string grouped_name_;
};

template <typename K, typename V>
template <typename KS, typename VS>
KGroupedStream<K, V> KStream<K, V>::GroupByKey(const Grouped<KS, VS>& grouped) const {
  internal::dsl::RepartitionFn repartition;
  if (key_changed_) {
    repartition = [parent = node_, ks = grouped.key_serde, vs = grouped.value_serde](
                      internal::dsl::BuilderState& b, const std::string& base) {
      return internal::dsl::AddRepartition<K, V>(b, parent, base, ks, vs, -1);
    };
  }
  return KGroupedStream<K, V>(b_, node_, std::move(repartition), grouped.name);
}

template <typename K, typename V>
template <typename F, typename KS, typename VS>
auto KStream<K, V>::GroupBy(F f, const Grouped<KS, VS>& grouped) const {
  using KR = std::remove_cvref_t<std::invoke_result_t<F&, const K&, const V&>>;
  KStream<KR, V> keyed = SelectKey(std::move(f));
  return keyed.GroupByKey(grouped);
}

}  // namespace brook
