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
//    for X when the type is std::optional<X> (null keys/values, see record.h). A key or
//    value type without a serde argument uses state::DefaultSerde<T>: built in for
//    std::string, int32_t, int64_t, double and brook::Bytes, JsonSerde<T> for types nlohmann
//    can convert (brook/json_serde.h), TimeWindowedSerde for Windowed<K> (brook/windowed.h),
//    and whatever an application specialises state::DefaultSerdeOf<T> to.
//  * Sub-topologies: nodes connected by parent edges or by a shared store form one
//    sub-topology; a sink writing to a topic that some source reads (a repartition or
//    "through" topic) is a boundary between two. Ids are 0..n-1 ordered by the smallest
//    source name of each. Describe() prints them like Kafka Streams' Topology#describe().
//  * Internal topics (Kafka Streams' repartition topics): AddInternalTopic("x") declares a
//    topic the application owns; sources and sinks added AFTER it that name "x" read and
//    write "<application.id>-x" at runtime (Describe() shows "x", as Kafka does). brook
//    creates it on start (partition count and configs: InternalTopicSpec). Errors
//    (kInvalidArgument, naming the topic): an invalid name, a duplicate declaration, a bad
//    partition count or config key, a name some earlier source or sink already used as an
//    external topic; at start (ProcessorTopology) a full name that collides with an
//    external topic or a changelog.
//  * Sinks write a fixed topic or, with a TopicNameExtractor, the topic it names for each
//    record (Kafka Streams' dynamic routing). Such topics must exist; the extractor's name
//    is used as is (not prefixed, even if it equals an internal topic's name); an empty or
//    illegal name fails the task with an error naming the sink.
//  * A Topology is a value: copyable, and the runtime copies what it needs. Suppliers must
//    return a new processor on each call.
//
// Thread-safety: build on one thread; a built Topology may be read from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
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
using internal::TopicNameExtractor;

// An internal topic (Topology::AddInternalTopic): a repartition topic the application owns,
// created on start as "<application.id>-<name>" with cleanup.policy=delete.
struct InternalTopicSpec {
  // Partition count. -1 derives it: the largest partition count of the source topics of the
  // sub-topologies writing to it (through other internal topics too); when the sub-topology
  // reading it also reads topics with a fixed count (external topics, internal ones with an
  // explicit count), that count instead (they must be co-partitioned); a sub-topology
  // reading several derived internal topics gets the largest of them for all. Set it (>= 1)
  // to fix the count.
  // Default: -1
  int32_t partitions = -1;
  // Topic configs applied when the topic is created, over the defaults of a repartition
  // topic (Kafka Streams' RepartitionTopicConfig): cleanup.policy=delete,
  // segment.bytes=52428800 (50 MiB), message.timestamp.type=CreateTime. Retention is the
  // broker's (retention.ms); brook does not purge consumed records (Kafka Streams does).
  // An existing topic's configs are not checked.
  // Default: none (only the defaults above)
  std::map<std::string, std::string> configs;
};

namespace internal {

// The declaration of one node, as the runtime reads it.
struct NodeSpec {
  std::string name;
  NodeKind kind = NodeKind::kProcessor;
  std::vector<std::string> parents;
  std::vector<std::string> children;  // in the order they were added
  std::vector<std::string> stores;    // processors: connected stores, in connection order
  std::vector<std::string> topics;    // sources: the topics read (internal ones unprefixed)
  std::string topic;                  // sinks: the topic written; empty with an extractor
  bool internal_topic = false;        // sinks: `topic` is an internal topic (unprefixed)
  std::string extractor;              // sinks with a TopicNameExtractor: its description
  TypeTag key_in, value_in, key_out, value_out;  // void where there is no such side
  TimestampExtractor timestamp_extractor;        // sources; nullptr: the record's timestamp
  // A fresh instance of the node (may throw brook::Error, e.g. a supplier returning null).
  std::function<std::unique_ptr<NodeInstance>()> make;
};

struct InternalTopicDecl {
  std::string name;  // unprefixed
  InternalTopicSpec spec;
};

struct TopologySpec {
  std::vector<NodeSpec> nodes;  // insertion order (topological)
  std::vector<StoreSpec> stores;
  std::vector<InternalTopicDecl> internal_topics;  // declaration order
  [[nodiscard]] const NodeSpec* Find(std::string_view name) const;
  // nullptr when no internal topic has that (unprefixed) name.
  [[nodiscard]] const InternalTopicDecl* FindInternalTopic(std::string_view name) const;
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

  // A sink node writing Record<K, V> to `topic` (an internal topic's name: to
  // "<application.id>-<topic>"): key and value serialized with the serdes (std::nullopt of
  // an optional type as null), the record's timestamp and headers, the partition chosen by
  // `partitioner` (nullptr or a nullopt answer: the producer's default, by key). A negative
  // record timestamp fails the task.
  template <typename K, typename V, typename KS = internal::DefaultRecordSerde<K>,
            typename VS = internal::DefaultRecordSerde<V>>
  requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V> Topology& AddSink(
      std::string name, std::string topic, std::vector<std::string> parents, KS key_serde = KS(),
      VS value_serde = VS(), StreamPartitioner<K, V> partitioner = nullptr) {
    internal::SinkTarget<K, V> target{.topic = topic,
                                      .internal = spec_.FindInternalTopic(topic) != nullptr};
    internal::NodeSpec spec = SinkSpec<K, V>(std::move(name), std::move(parents));
    spec.topic = std::move(topic);
    spec.internal_topic = target.internal;
    spec.make = [name = spec.name, key_serde, value_serde, partitioner,
                 target = std::move(target)]() -> std::unique_ptr<internal::NodeInstance> {
      return std::make_unique<internal::SinkNode<K, V, KS, VS>>(name, target, key_serde,
                                                                value_serde, partitioner);
    };
    AddNode(std::move(spec));
    return *this;
  }

  // A sink node writing each record to the topic `extractor` names for it (Kafka Streams'
  // TopicNameExtractor; see the header comment). Otherwise like the sink above; the
  // partitioner gets the extracted topic and its partition count.
  template <typename K, typename V, typename KS = internal::DefaultRecordSerde<K>,
            typename VS = internal::DefaultRecordSerde<V>>
  requires internal::RecordSerdeFor<KS, K> && internal::RecordSerdeFor<VS, V> Topology& AddSink(
      std::string name, TopicNameExtractor<K, V> extractor, std::vector<std::string> parents,
      KS key_serde = KS(), VS value_serde = VS(), StreamPartitioner<K, V> partitioner = nullptr) {
    if (!extractor) ThrowNullExtractor(name);
    internal::NodeSpec spec = SinkSpec<K, V>(std::move(name), std::move(parents));
    spec.extractor = "TopicNameExtractor<" + spec.key_in.name + ", " + spec.value_in.name + ">";
    spec.make = [name = spec.name, key_serde, value_serde, partitioner,
                 target = internal::SinkTarget<K, V>{.extractor = std::move(extractor)}]()
        -> std::unique_ptr<internal::NodeInstance> {
      return std::make_unique<internal::SinkNode<K, V, KS, VS>>(name, target, key_serde,
                                                                value_serde, partitioner);
    };
    AddNode(std::move(spec));
    return *this;
  }

  // Declares the internal topic `name` (unprefixed; see the header comment). Call it before
  // any source or sink that uses the name.
  Topology& AddInternalTopic(std::string name, InternalTopicSpec spec = {});

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
  // Internal topics appear unprefixed; a sink with a TopicNameExtractor prints as
  //       Sink: out (extractor: TopicNameExtractor<std::string, int64_t>)
  [[nodiscard]] std::string Describe() const;

  // The declarations, for the runtime.
  [[nodiscard]] const internal::TopologySpec& spec() const { return spec_; }

 private:
  template <typename K, typename V>
  static internal::NodeSpec SinkSpec(std::string name, std::vector<std::string> parents) {
    internal::NodeSpec spec;
    spec.name = std::move(name);
    spec.kind = internal::NodeKind::kSink;
    spec.parents = std::move(parents);
    spec.key_in = internal::TypeTag::Of<K>();
    spec.value_in = internal::TypeTag::Of<V>();
    return spec;
  }
  void AddNode(internal::NodeSpec spec);
  [[noreturn]] static void ThrowNullProcessor(const std::string& name);
  [[noreturn]] static void ThrowNullExtractor(const std::string& sink);

  internal::TopologySpec spec_;
};

}  // namespace brook
