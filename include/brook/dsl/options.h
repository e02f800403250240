// Options of the Streams DSL operators (Kafka Streams' Consumed, Produced, Grouped,
// Materialized, Repartitioned, Named), and Change<V>, what flows between table operators.
//
// Serdes are template parameters (state/serde.h): an option built without serdes uses the
// default serde of the key/value type (state::DefaultSerde; users make their own type's serde
// the default by specialising state::DefaultSerdeOf). With class template argument
// deduction an option names its serdes once:
//
//   builder.Stream<std::string, Order>("orders", brook::Consumed{StringSerde{}, OrderSerde{}});
//   counts.ToStream().To("out", brook::Produced<StringSerde, Int64Serde>{.name = "out-sink"});
//
// Names: every operator takes an optional name (Named, or the `name` field of its options).
// An empty name means a generated one, "KSTREAM-FILTER-0000000003" like Kafka Streams; a
// given name must be unique in the topology, and store and topic names derived from it follow
// the topic naming rules ([a-zA-Z0-9._-]). Name the stateful operators of a long-lived
// application: generated names shift when operators are added, and stores and repartition
// topics are named after them.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "brook/dsl/internal/builder_state.h"
#include "brook/internal/record_serde.h"
#include "brook/stores.h"
#include "brook/topology.h"

namespace brook {

// The name of one DSL operator. Default: generated.
struct Named {
  std::string name;
};

// How a source reads a topic (Kafka Streams' Consumed).
template <typename KS, typename VS>
struct Consumed {
  // Default: KS{} / VS{}
  KS key_serde{};
  VS value_serde{};
  // Default: generated ("KSTREAM-SOURCE-0000000000")
  std::string name;
  // Default: nullptr (the record's own timestamp)
  TimestampExtractor timestamp_extractor;
};

// How a sink writes a topic (Kafka Streams' Produced). A partitioner, seeing the typed
// record, is a separate argument of KStream::To.
template <typename KS, typename VS>
struct Produced {
  // Default: KS{} / VS{}
  KS key_serde{};
  VS value_serde{};
  // Default: generated ("KSTREAM-SINK-0000000004")
  std::string name;
};

// How a grouping re-partitions when the key changed (Kafka Streams' Grouped). The
// repartition topic is "<application.id>-<name>-repartition"; without a name, the name of
// the aggregation's store is used, as Kafka Streams does.
template <typename KS, typename VS>
struct Grouped {
  // Default: KS{} / VS{}
  KS key_serde{};
  VS value_serde{};
  // Default: empty (see above)
  std::string name;
};

// An explicit repartition (Kafka Streams' Repartitioned): topic
// "<application.id>-<name>-repartition".
template <typename KS, typename VS>
struct Repartitioned {
  // Default: KS{} / VS{}
  KS key_serde{};
  VS value_serde{};
  // Default: generated ("KSTREAM-REPARTITION-0000000005")
  std::string name;
  // Partitions of the topic. Default: -1 (as many as the upstream source topics)
  int32_t partitions = -1;
};

// The store behind a table or aggregation (Kafka Streams' Materialized). The store is named
// `store_name` (queryable under that name) or gets a generated name.
template <typename KS, typename VS>
struct Materialized {
  // Default: KS{} / VS{}
  KS key_serde{};
  VS value_serde{};
  // Default: generated ("KSTREAM-AGGREGATE-STATE-STORE-0000000003")
  std::string store_name;
  // Default: StoreBackend::kRocksDb (window and session stores are always RocksDB)
  StoreBackend backend = StoreBackend::kRocksDb;
  // Back the store with a changelog topic. Default: true
  bool logging = true;
  // Extra configs of the changelog topic. Default: none
  std::map<std::string, std::string> changelog_configs;
  // Window and session stores: how long windows are kept. Default: -1 (the windows' size +
  // grace; sessions: inactivity gap + grace, as Kafka Streams)
  int64_t retention_ms = -1;
};

// Deduction guides: Consumed{ks, vs}, Produced{ks, vs}, ... name the serde types.
template <typename KS, typename VS>
Consumed(KS, VS) -> Consumed<KS, VS>;
template <typename KS, typename VS>
Produced(KS, VS) -> Produced<KS, VS>;
template <typename KS, typename VS>
Grouped(KS, VS) -> Grouped<KS, VS>;
template <typename KS, typename VS>
Repartitioned(KS, VS) -> Repartitioned<KS, VS>;
template <typename KS, typename VS>
Materialized(KS, VS) -> Materialized<KS, VS>;

// The default option of key/value types K, V.
template <typename K, typename V>
using ConsumedFor = Consumed<internal::dsl::DslSerde<K>, internal::dsl::DslSerde<V>>;
template <typename K, typename V>
using ProducedFor = Produced<internal::dsl::DslSerde<K>, internal::dsl::DslSerde<V>>;
template <typename K, typename V>
using GroupedFor = Grouped<internal::dsl::DslSerde<K>, internal::dsl::DslSerde<V>>;
template <typename K, typename V>
using RepartitionedFor = Repartitioned<internal::dsl::DslSerde<K>, internal::dsl::DslSerde<V>>;
template <typename K, typename V>
using MaterializedFor = Materialized<internal::dsl::DslSerde<K>, internal::dsl::DslSerde<V>>;

// An update of a table row, what table operators send each other: the row's new value and,
// when known, its previous one; std::nullopt new_value is a delete (a tombstone).
template <typename V>
struct Change {
  std::optional<V> new_value;
  std::optional<V> old_value;
  bool operator==(const Change&) const = default;
};

}  // namespace brook
