// ProcessorTopology: a Topology (brook/topology.h) cut into sub-topologies, the unit of
// tasks (Kafka Streams' node groups). A task is (sub-topology id, partition); it runs the
// sub-topology's nodes over that partition of each of its source topics.
//
// Contract:
//  * Nodes joined by a parent edge, or by a store both use, are in the same sub-topology
//    (connected components). Sinks and sources only meet through topics, so a sink writing a
//    topic that a source reads (a repartition or "through" topic) is a boundary.
//  * Ids are 0..n-1 in the order of each sub-topology's smallest source node name; the
//    order is deterministic for a given Topology, so every instance of an application
//    agrees on task ids.
//  * A store belongs to the sub-topology of the processors connected to it; a store no
//    processor is connected to belongs to none (it is never opened).
//  * Topic names are resolved with the application id: a source or sink naming an internal
//    topic (Topology::AddInternalTopic) reads or writes "<application.id>-<name>"; every
//    topic list here (source_topics, sink_topics, RepartitionTopics, ToGroupTopology) holds
//    the full names. Describe() shows the names as declared.
//  * Build() fails (kInvalidArgument) for a topology without sources, an empty application
//    id when internal topics are declared, and an internal topic whose full name is also
//    an external topic of a source or sink, or the changelog of a store. All other checks
//    were made by the Topology builder.
//  * The ProcessorTopology shares (does not copy again) the node specs: NodeSpec pointers
//    stay valid as long as any copy of it lives.
//
// Thread-safety: immutable after Build(); safe to share between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "brook/status.h"
#include "brook/stores.h"
#include "brook/topology.h"
#include "group/topology.h"

namespace brook::runtime {

struct SubtopologySpec {
  int32_t id = 0;
  // Sorted, unique; full names.
  std::vector<std::string> source_topics;
  // Full topic name -> the source node reading it.
  std::map<std::string, const internal::NodeSpec*, std::less<>> topic_sources;
  // The nodes in topological order (the topology's insertion order).
  std::vector<const internal::NodeSpec*> nodes;
  // The stores connected to the nodes, in declaration order.
  std::vector<StoreSpec> stores;
  // Topics written by the sinks with a fixed topic, sorted, unique; full names.
  std::vector<std::string> sink_topics;

  // True when a store is backed by a changelog (group::Subtopology::stateful).
  [[nodiscard]] bool stateful() const;
  // The source node reading `topic` (a full name), or nullptr.
  [[nodiscard]] const internal::NodeSpec* SourceFor(std::string_view topic) const;
};

// An internal topic of the topology, resolved.
struct InternalTopicInfo {
  std::string name;       // as declared
  std::string full_name;  // "<application.id>-<name>"
  InternalTopicSpec spec;
  std::vector<int32_t> writers;  // sub-topologies with a sink writing it, sorted
  int32_t reader = -1;           // the sub-topology with a source reading it; -1: none
};

class ProcessorTopology {
 public:
  // `application_id` names the internal topics (see the header comment).
  [[nodiscard]] static Result<ProcessorTopology> Build(const Topology& topology,
                                                       const std::string& application_id);

  [[nodiscard]] const std::string& application_id() const { return application_id_; }
  // Every declared internal topic, in declaration order.
  [[nodiscard]] const std::vector<InternalTopicInfo>& internal_topics() const {
    return internal_topics_;
  }
  // The internal topic with that full name, or nullptr.
  [[nodiscard]] const InternalTopicInfo* FindInternalTopic(std::string_view full_name) const;
  // The full name of a topic as a source or sink names it: "<application.id>-<topic>" for
  // an internal topic, `topic` otherwise.
  [[nodiscard]] std::string ResolveTopic(std::string_view topic) const;

  [[nodiscard]] const std::vector<SubtopologySpec>& subtopologies() const { return subtopologies_; }
  // nullptr for an unknown id.
  [[nodiscard]] const SubtopologySpec* Find(int32_t id) const;
  // The sub-topology with a source reading `topic`, or nullptr.
  [[nodiscard]] const SubtopologySpec* ForSourceTopic(std::string_view topic) const;
  // Topics written by a sink and read by a source, sorted.
  [[nodiscard]] std::vector<std::string> RepartitionTopics() const;
  // The group protocol's view: per sub-topology its id, source topics and whether it has
  // changelogged state.
  [[nodiscard]] group::GroupTopology ToGroupTopology() const;
  // See Topology::Describe().
  [[nodiscard]] std::string Describe() const;

 private:
  [[nodiscard]] Status CheckInternalTopicNames() const;

  std::shared_ptr<const internal::TopologySpec> spec_;
  std::string application_id_;
  std::vector<SubtopologySpec> subtopologies_;
  std::vector<InternalTopicInfo> internal_topics_;
};

}  // namespace brook::runtime
