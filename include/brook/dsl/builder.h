// StreamsBuilder: the entry point of the Streams DSL (Kafka Streams' StreamsBuilder).
// Streams and tables start here; Build() returns the Topology the runtime runs (Streams,
// TopologyTestDriver), whose Describe() prints what the DSL made of the program.
//
//   brook::StreamsBuilder builder;
//   builder.Stream<std::string, std::string>("text-input")
//       .FlatMapValues([](const std::string& line) { return Words(line); })
//       .GroupBy([](const std::string&, const std::string& word) { return word; })
//       .Count(brook::Materialized<brook::StringSerde, brook::Int64Serde>{.store_name = "counts"})
//       .ToStream()
//       .To("word-counts");
//   brook::Topology topology = builder.Build();
//
// Contract: operators add nodes as they are called; Build() copies the topology so far
// (further operators do not change a built copy). A topic may be read by one source only:
// Stream()/Table() on a topic already read throws brook::Error naming it.
//
// Thread-safety: build on one thread; the built Topology is a value.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "brook/dsl/fwd.h"
#include "brook/dsl/internal/builder_state.h"
#include "brook/dsl/internal/processors.h"
#include "brook/dsl/kstream.h"
#include "brook/dsl/ktable.h"
#include "brook/dsl/options.h"
#include "brook/stores.h"
#include "brook/topology.h"

namespace brook {

class StreamsBuilder {
 public:
  StreamsBuilder() : b_(std::make_shared<internal::dsl::BuilderState>()) {}

  // The records of `topics` as a stream.
  template <typename K, typename V, typename KS = internal::dsl::DslSerde<K>,
            typename VS = internal::dsl::DslSerde<V>>
  KStream<K, V> Stream(std::vector<std::string> topics, const Consumed<KS, VS>& consumed = {}) {
    internal::dsl::CheckSerdes<K, V, KS, VS>();
    const std::string name = b_->NameOr(consumed.name, "KSTREAM-SOURCE-");
    b_->topology.AddSource<K, V, KS, VS>(name, std::move(topics), consumed.key_serde,
                                         consumed.value_serde,
                                         SourceOptions{consumed.timestamp_extractor});
    return KStream<K, V>(b_, name, false);
  }
  template <typename K, typename V, typename KS = internal::dsl::DslSerde<K>,
            typename VS = internal::dsl::DslSerde<V>>
  KStream<K, V> Stream(const std::string& topic, const Consumed<KS, VS>& consumed = {}) {
    return Stream<K, V, KS, VS>(std::vector<std::string>{topic}, consumed);
  }

  // The latest value per key of `topic` as a table (a null value deletes the key),
  // materialized in a key-value store (named by `materialized`, or generated
  // "<topic>-STATE-STORE-<index>") backed by its own changelog.
  template <typename K, typename V, typename KS = internal::dsl::DslSerde<K>,
            typename VS = internal::dsl::DslSerde<V>, typename MKS = KS, typename MVS = VS>
  KTable<K, V> Table(const std::string& topic, const Consumed<KS, VS>& consumed = {},
                     const Materialized<MKS, MVS>& materialized = {}) {
    static_assert(!internal::dsl::kIsOptional<V>,
                  "a table's value type is not optional: deletes are the table's own nulls");
    internal::dsl::CheckSerdes<K, V, KS, VS>();
    internal::dsl::CheckSerdes<K, V, MKS, MVS>();
    const std::string source = b_->NameOr(consumed.name, "KSTREAM-SOURCE-");
    const std::string store = b_->NameOr(materialized.store_name, topic + "-STATE-STORE-");
    b_->topology.AddSource<K, std::optional<V>, KS, VS>(
        source, {topic}, consumed.key_serde, consumed.value_serde,
        SourceOptions{consumed.timestamp_extractor});
    const std::string name = b_->NewName("KTABLE-SOURCE-");
    b_->topology.AddProcessor(
        name,
        [store, ks = materialized.key_serde, vs = materialized.value_serde] {
          return std::make_unique<internal::dsl::TableSourceProcessor<K, V, MKS, MVS>>(store, ks,
                                                                                       vs);
        },
        {source});
    b_->topology.AddStateStore(StoreSpec{.name = store,
                                         .kind = StoreKind::kKeyValue,
                                         .backend = materialized.backend,
                                         .logging = materialized.logging,
                                         .changelog_configs = materialized.changelog_configs,
                                         .query_codec = internal::dsl::QueryCodecFor<K, V>(
                                             materialized.key_serde, materialized.value_serde)},
                               {name});
    return KTable<K, V>(
        b_, name,
        internal::dsl::StoreGetter<K, V>(store, materialized.key_serde, materialized.value_serde),
        store);
  }

  // A store for processors added with KStream::Process (connect it there by name).
  StreamsBuilder& AddStateStore(StoreSpec store) {
    b_->topology.AddStateStore(std::move(store));
    return *this;
  }

  // The topology built so far (a copy).
  [[nodiscard]] Topology Build() const { return b_->topology; }

 private:
  internal::dsl::BuilderPtr b_;
};

}  // namespace brook
