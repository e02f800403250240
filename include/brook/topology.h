// Topology: the builder of a processing graph (Kafka Streams' Topology): sources read
// topics and deserialize, processors (processor.h) transform, sinks serialize and write,
// state stores (stores.h) are attached to the processors that use them.
//
//   brook::Topology t;
//   t.AddSource<std::string, std::string>("lines", {"text-input"})
//    .AddProcessor("count", [] { return std::make_unique<WordCounter>(); }, {"lines"})
//    .AddStateStore(brook::stores::PersistentKeyValue("counts"), {"count"})
//    .AddSink<std::string, int64_t>("out", "word-counts", {"count"});
//
// Contract:
//  * Nodes are added parents first: a parent must exist when its child is added, so the
//    graph is acyclic and insertion order is a topological order. A child's input key and
//    value types must equal its parents' output types (a source outputs its K, V; a
//    processor its KOut, VOut; a sink takes its K, V and outputs nothing).
//  * Every check happens in the Add* call and throws brook::Error (kInvalidArgument) naming
//    the node, store or topic: empty or duplicate node names, a missing parent, a sink as a
//    parent, a processor or sink without parents, a type mismatch (with readable type
//    names), a topic read by two sources, an invalid topic or store name, a duplicate store,
//    an in-memory window or session store, a non-positive retention, a store connected to an
//    unknown node or to a source or sink, an unknown store.
//  * Serdes: any type satisfying state::SerdeFor (state/serde.h) for the key/value type, or
//    for X when the type is std::optional<X> (null keys/values, see record.h). The built-in
//    serdes are the defaults for std::string, int64_t and double.
//  * Sub-topologies: nodes connected by parent edges or by a shared store form one
//    sub-topology; a sink writing to a topic that some source reads (a repartition or
//    "through" topic) is a boundary between two. Ids are 0..n-1 ordered by the smallest
//    source name of each. Describe() prints them like Kafka Streams' Topology#describe().
//  * A Topology is a value: copyable, and the runtime copies what it needs. Suppliers must
//    return a new processor on each call.
//
// Thread-safety: build on one thread; a built Topology may be read from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "brook/internal/node.h"
#include "brook/internal/record_serde.h"
#include "brook/internal/type_name.h"
#include "brook/processor.h"
#include "brook/record.h"
#include "brook/stores.h"

namespace brook {

// Kafka Streams' TimestampExtractor: the event time (ms) of a consumed record. Sees the
// record's position, its own (producer or broker) timestamp, its raw value bytes (nullopt
// for a null value) and the partition time (largest timestamp extracted so far from the
// partition, -1 before the first). A negative result, or an exception, is handled like a
// deserialization error (the task's deserialization handler decides).
using TimestampExtractor =
    std::function<int64_t(const RecordMetadata& metadata, int64_t record_timestamp_ms,
                          std::optional<std::string_view> raw_value, int64_t partition_time_ms)>;

struct SourceOptions {
  // Default: nullptr (the record's own timestamp)
  TimestampExtractor timestamp_extractor;
};

using internal::StreamPartitioner;

namespace internal {

// The declaration of one node, as the runtime reads it.
struct NodeSpec {
  std::string name;
  NodeKind kind = NodeKind::kProcessor;
  std::vector<std::string> parents;
  std::vector<std::string> children;  // in the order they were added
  std::vector<std::string> stores;    // processors: connected stores, in connection order
  std::vector<std::string> topics;    // sources: the topics read
  std::string topic;                  // sinks: the topic written
  TypeTag key_in, value_in, key_out, value_out;  // void where there is no such side
  TimestampExtractor timestamp_extractor;        // sources; nullptr: the record's timestamp
  // A fresh instance of the node (may throw brook::Error, e.g. a supplier returning null).
  std::function<std::unique_ptr<NodeInstance>()> make;
};

struct TopologySpec {
  std::vector<NodeSpec> nodes;  // insertion order (topological)
  std::vector<StoreSpec> stores;
  [[nodiscard]] const NodeSpec* Find(std::string_view name) const;
};

template <typename Supplier>
using SuppliedProcessor = typename std::invoke_result_t<Supplier&>::element_type;

template <typename P>
using ProcessorBaseOf =
    Processor<typename P::KeyIn, typename P::ValueIn, typename P::KeyOut, typename P::ValueOut>;

}  // namespace internal

class Topology {
 public:
  Topology() = default;

  // A source node reading `topics`, deserializing keys with key_serde and values with
  // value_serde into Record<K, V>.
  template <typename K, typename V, typename KS = internal::DefaultRecordSerde<K>,
            typename VS = internal::DefaultRecordSerde<V>>
  requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V> Topology& AddSource(
      std::string name, std::vector<std::string> topics, KS key_serde = KS(), VS value_serde = VS(),
      SourceOptions options = {}) {
    internal::NodeSpec spec;
    spec.name = name;
    spec.kind = internal::NodeKind::kSource;
    spec.topics = std::move(topics);
    spec.key_out = internal::TypeTag::Of<K>();
    spec.value_out = internal::TypeTag::Of<V>();
    spec.timestamp_extractor = std::move(options.timestamp_extractor);
    spec.make = [name, key_serde, value_serde]() -> std::unique_ptr<internal::NodeInstance> {
      return std::make_unique<internal::SourceNode<K, V, KS, VS>>(name, key_serde, value_serde);
    };
    AddNode(std::move(spec));
    return *this;
  }

  // A processor node: `supplier()` returns a std::unique_ptr<P> to a new P, a subclass of
  // Processor<KIn, VIn, KOut, VOut>; the types are read from P.
  template <typename Supplier>
  requires std::is_base_of_v<internal::ProcessorBaseOf<internal::SuppliedProcessor<Supplier>>,
                             internal::SuppliedProcessor<Supplier>>
      Topology& AddProcessor(std::string name, Supplier supplier,
                             std::vector<std::string> parents) {
    using P = internal::SuppliedProcessor<Supplier>;
    using Base = internal::ProcessorBaseOf<P>;
    internal::NodeSpec spec;
    spec.name = name;
    spec.kind = internal::NodeKind::kProcessor;
    spec.parents = std::move(parents);
    spec.key_in = internal::TypeTag::Of<typename P::KeyIn>();
    spec.value_in = internal::TypeTag::Of<typename P::ValueIn>();
    spec.key_out = internal::TypeTag::Of<typename P::KeyOut>();
    spec.value_out = internal::TypeTag::Of<typename P::ValueOut>();
    spec.make = [name, supplier]() mutable -> std::unique_ptr<internal::NodeInstance> {
      std::unique_ptr<Base> processor = supplier();
      if (!processor) ThrowNullProcessor(name);
      return std::make_unique<internal::ProcessorNode<typename P::KeyIn, typename P::ValueIn,
                                                      typename P::KeyOut, typename P::ValueOut>>(
          name, std::move(processor));
    };
    AddNode(std::move(spec));
    return *this;
  }

  // A sink node writing Record<K, V> to `topic`: key and value serialized with the serdes
  // (std::nullopt of an optional type as null), the record's timestamp and headers, the
  // partition chosen by `partitioner` (nullptr or a nullopt answer: the producer's default,
  // by key). A negative record timestamp fails the task.
  template <typename K, typename V, typename KS = internal::DefaultRecordSerde<K>,
            typename VS = internal::DefaultRecordSerde<V>>
  requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V> Topology& AddSink(
      std::string name, std::string topic, std::vector<std::string> parents, KS key_serde = KS(),
      VS value_serde = VS(), StreamPartitioner<K, V> partitioner = nullptr) {
    internal::NodeSpec spec;
    spec.name = name;
    spec.kind = internal::NodeKind::kSink;
    spec.parents = std::move(parents);
    spec.topic = topic;
    spec.key_in = internal::TypeTag::Of<K>();
    spec.value_in = internal::TypeTag::Of<V>();
    spec.make = [name, topic, key_serde, value_serde,
                 partitioner]() -> std::unique_ptr<internal::NodeInstance> {
      return std::make_unique<internal::SinkNode<K, V, KS, VS>>(name, topic, key_serde, value_serde,
                                                                partitioner);
    };
    AddNode(std::move(spec));
    return *this;
  }

  // Declares a store and connects it to `processors` (which must exist already).
  Topology& AddStateStore(StoreSpec store, const std::vector<std::string>& processors = {});
  // Connects existing stores to an existing processor.
  Topology& ConnectProcessorAndStateStores(const std::string& processor,
                                           const std::vector<std::string>& stores);

  // Kafka Streams' TopologyDescription text:
  //   Topologies:
  //      Sub-topology: 0
  //       Source: lines (topics: [text-input])
  //         --> count
  //       Processor: count (stores: [counts])
  //         --> out
  //         <-- lines
  //       Sink: out (topic: word-counts)
  //         <-- count
  [[nodiscard]] std::string Describe() const;

  // The declarations, for the runtime.
  [[nodiscard]] const internal::TopologySpec& spec() const { return spec_; }

 private:
  void AddNode(internal::NodeSpec spec);
  [[noreturn]] static void ThrowNullProcessor(const std::string& name);

  internal::TopologySpec spec_;
};

}  // namespace brook
