// KTable<K, V>: a changelog stream seen as a table, one current value per key (Kafka
// Streams' KTable). Tables come from StreamsBuilder::Table (a topic's latest value per
// key; a null value deletes the key) and from aggregations.
//
// Updates flow between table operators as Record<K, Change<V>> (options.h): the new value
// (std::nullopt: the row was deleted) and the old one. ToStream() turns them into a
// KStream<K, std::optional<V>> of new values, tombstones included, so a sink writes deletes
// as null values.
//
// Materialization: a table is "materialized" when it has a store of its own: source tables
// and aggregations always do; Filter and MapValues only when given a Materialized with a
// store name (then the result is queryable by that name). Joins read a table's current
// values through a value getter, which looks a key up in the nearest materialized ancestor
// and re-applies the filters and mappers in between, as Kafka Streams does.
//
// Differences from Kafka Streams: there is no record cache, so every update is forwarded
// (Kafka Streams with cache.max.bytes.buffering=0); table stores keep values without
// timestamps, so an update's timestamp is the timestamp of the record that caused it.
//
// Thread-safety: build on one thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "brook/dsl/fwd.h"
#include "brook/dsl/internal/builder_state.h"
#include "brook/dsl/internal/processors.h"
#include "brook/dsl/kstream.h"
#include "brook/dsl/options.h"
#include "brook/stores.h"

namespace brook {

template <typename K, typename V>
class KTable {
 public:
  using KeyType = K;
  using ValueType = V;

  // Rows for which f(key, value) holds; other rows become deletes. With a store name in
  // `materialized`, the result gets a store of its own.
  template <typename F, typename KS = internal::dsl::DslSerde<K>,
            typename VS = internal::dsl::DslSerde<V>>
  KTable Filter(F f, const Named& named = {}, const Materialized<KS, VS>& materialized = {}) const {
    return AddFilter(std::move(f), false, named, materialized);
  }
  template <typename F, typename KS = internal::dsl::DslSerde<K>,
            typename VS = internal::dsl::DslSerde<V>>
  KTable FilterNot(F f, const Named& named = {},
                   const Materialized<KS, VS>& materialized = {}) const {
    return AddFilter(std::move(f), true, named, materialized);
  }

  // f(value) or f(key, value) -> VR for every row.
  template <typename F, typename VR = std::remove_cvref_t<internal::dsl::KVResultT<F, K, V>>,
            typename KS = internal::dsl::DslSerde<K>, typename VS = internal::dsl::DslSerde<VR>>
  KTable<K, VR> MapValues(F f, const Named& named = {},
                          const Materialized<KS, VS>& materialized = {}) const {
    const std::string store = materialized.store_name;
    const std::string name = b_->NameOr(named.name, "KTABLE-MAPVALUES-");
    b_->topology.AddProcessor(
        name,
        [f, store, ks = materialized.key_serde, vs = materialized.value_serde] {
          return std::make_unique<internal::dsl::TableMapValuesProcessor<K, V, VR, F, KS, VS>>(
              f, store, ks, vs);
        },
        {node_});
    if (!store.empty()) {
      AddStore<VR>(store, materialized, name);
      return KTable<K, VR>(b_, name,
                           internal::dsl::StoreGetter<K, VR>(store, materialized.key_serde,
                                                             materialized.value_serde),
                           store);
    }
    auto getter = std::make_shared<internal::dsl::ValueGetterSupplier<K, VR>>();
    getter->stores = getter_->stores;
    getter->make = [parent = getter_, f]() -> std::unique_ptr<internal::dsl::ValueGetter<K, VR>> {
      return std::make_unique<internal::dsl::MapValuesValueGetter<K, V, VR, F>>(parent->make(), f);
    };
    return KTable<K, VR>(b_, name, std::move(getter), "");
  }

  // The stream of updates: each row's new value, std::nullopt for a delete.
  KStream<K, std::optional<V>> ToStream(const Named& named = {}) const {
    const std::string name = b_->NameOr(named.name, "KTABLE-TOSTREAM-");
    b_->topology.AddProcessor(
        name, [] { return std::make_unique<internal::dsl::ToStreamProcessor<K, V>>(); }, {node_});
    return KStream<K, std::optional<V>>(b_, name, false);
  }

  // ---- Joins (defined in brook/dsl/joins.h) ----

  // Table-table joins: every update of either table is joined with the other table's current
  // row, giving the joined table KTable<K, VR>. Join: joiner(value, other_value), rows in
  // both tables; LeftJoin: joiner(value, std::optional<VO>), rows of this table; OuterJoin:
  // joiner(std::optional<V>, std::optional<VO>), rows of either. With a store name in
  // `materialized`, the result gets a store of its own.
  template <typename VO, typename F,
            typename VR = std::remove_cvref_t<std::invoke_result_t<F&, const V&, const VO&>>,
            typename KS = internal::dsl::DslSerde<K>, typename VS = internal::dsl::DslSerde<VR>>
  KTable<K, VR> Join(const KTable<K, VO>& other, F joiner, const Named& named = {},
                     const Materialized<KS, VS>& materialized = {}) const;
  template <typename VO, typename F,
            typename VR =
                std::remove_cvref_t<std::invoke_result_t<F&, const V&, const std::optional<VO>&>>,
            typename KS = internal::dsl::DslSerde<K>, typename VS = internal::dsl::DslSerde<VR>>
  KTable<K, VR> LeftJoin(const KTable<K, VO>& other, F joiner, const Named& named = {},
                         const Materialized<KS, VS>& materialized = {}) const;
  template <typename VO, typename F,
            typename VR = std::remove_cvref_t<
                std::invoke_result_t<F&, const std::optional<V>&, const std::optional<VO>&>>,
            typename KS = internal::dsl::DslSerde<K>, typename VS = internal::dsl::DslSerde<VR>>
  KTable<K, VR> OuterJoin(const KTable<K, VO>& other, F joiner, const Named& named = {},
                          const Materialized<KS, VS>& materialized = {}) const;

  // ---- end of joins ----

  // ---- Suppression (defined in brook/dsl/windowing.h) ----

  // Holds updates back and forwards each key's latest one when due (Kafka Streams'
  // suppress()): final results of windowed tables or a time limit. The buffer serializes
  // with the default serdes (windowed keys keep their window start and end) or the given
  // ones. `class` declares Suppressed, defined in brook/dsl/windowing.h.
  KTable Suppress(const class Suppressed& suppressed) const;
  template <typename KS, typename VS>
  KTable Suppress(const class Suppressed& suppressed, KS key_serde, VS value_serde) const;

  // ---- end of suppression ----

  // The name of the table's own store; empty when it has none.
  [[nodiscard]] const std::string& QueryableStoreName() const { return store_; }
  // The node whose output (Record<K, Change<V>>) this table is.
  [[nodiscard]] const std::string& node_name() const { return node_; }

  // For the DSL's own use.
  KTable(internal::dsl::BuilderPtr b, std::string node,
         internal::dsl::ValueGetterSupplierPtr<K, V> getter, std::string store)
      : b_(std::move(b)),
        node_(std::move(node)),
        getter_(std::move(getter)),
        store_(std::move(store)) {}
  [[nodiscard]] const internal::dsl::BuilderPtr& builder() const { return b_; }
  [[nodiscard]] const internal::dsl::ValueGetterSupplierPtr<K, V>& value_getter() const {
    return getter_;
  }

 private:
  template <typename F, typename KS, typename VS>
  KTable AddFilter(F f, bool negate, const Named& named,
                   const Materialized<KS, VS>& materialized) const {
    const std::string store = materialized.store_name;
    const std::string name = b_->NameOr(named.name, "KTABLE-FILTER-");
    b_->topology.AddProcessor(
        name,
        [f, negate, store, ks = materialized.key_serde, vs = materialized.value_serde] {
          return std::make_unique<internal::dsl::TableFilterProcessor<K, V, F, KS, VS>>(
              f, negate, store, ks, vs);
        },
        {node_});
    if (!store.empty()) {
      AddStore<V>(store, materialized, name);
      return KTable(
          b_, name,
          internal::dsl::StoreGetter<K, V>(store, materialized.key_serde, materialized.value_serde),
          store);
    }
    auto getter = std::make_shared<internal::dsl::ValueGetterSupplier<K, V>>();
    getter->stores = getter_->stores;
    getter->make = [parent = getter_, f,
                    negate]() -> std::unique_ptr<internal::dsl::ValueGetter<K, V>> {
      return std::make_unique<internal::dsl::FilterValueGetter<K, V, F>>(parent->make(), f, negate);
    };
    return KTable(b_, name, std::move(getter), "");
  }

  template <typename VV, typename KS, typename VS>
  void AddStore(const std::string& store, const Materialized<KS, VS>& m,
                const std::string& processor) const {
    internal::dsl::CheckSerdes<K, VV, KS, VS>();
    b_->topology.AddStateStore(
        StoreSpec{.name = store,
                  .kind = StoreKind::kKeyValue,
                  .backend = m.backend,
                  .logging = m.logging,
                  .changelog_configs = m.changelog_configs,
                  .query_codec = internal::dsl::QueryCodecFor<K, VV>(m.key_serde, m.value_serde)},
        {processor});
  }

  internal::dsl::BuilderPtr b_;
  std::string node_;
  internal::dsl::ValueGetterSupplierPtr<K, V> getter_;
  std::string store_;
};

}  // namespace brook
