// The group's view of a topology: which source topics each sub-topology reads, so that a
// task (sub-topology, partition) maps to topic-partitions and back. The leader turns the
// partition counts of the source topics into the task list; members put their tasks' source
// partitions into the ConsumerProtocol payloads so that Kafka's tools show them.
//
// Contract: a source topic belongs to exactly one sub-topology; the source topics of one
// sub-topology are co-partitioned (same partition count), else TasksFor fails naming the
// topics and counts. Thread-safety: plain values and pure functions.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "assignor/assignor.h"
#include "brook/ids.h"
#include "brook/status.h"

namespace brook::group {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  std::strong_ordering operator<=>(const TopicPartition& o) const {
    const std::strong_ordering c = topic <=> o.topic;
    return std::is_neq(c) ? c : partition <=> o.partition;
  }
  bool operator==(const TopicPartition&) const = default;
  [[nodiscard]] std::string ToString() const { return topic + "-" + std::to_string(partition); }
};

struct Subtopology {
  int32_t id = 0;
  std::vector<std::string> source_topics;
  bool stateful = true;  // has changelogged state stores
};

struct GroupTopology {
  std::vector<Subtopology> subtopologies;

  // Non-empty, unique non-negative ids, every sub-topology has topics, no topic twice.
  [[nodiscard]] Status Validate() const;
  // All source topics, sorted, unique.
  [[nodiscard]] std::vector<std::string> SourceTopics() const;
};

// One task per partition of each sub-topology. partition_counts must hold every source topic.
[[nodiscard]] Result<std::vector<assignor::TaskSpec>> TasksFor(
    const GroupTopology& topology, const std::map<std::string, int32_t>& partition_counts);

// The source partitions of the tasks (sorted). Tasks of unknown sub-topologies map to none.
std::vector<TopicPartition> PartitionsOf(const GroupTopology& topology,
                                         const std::set<TaskId>& tasks);

// "0_1 0_2 1_0" for logs.
std::string TaskSetString(const std::set<TaskId>& tasks);

}  // namespace brook::group
