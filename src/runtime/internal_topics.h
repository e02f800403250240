// Internal (repartition) topics: their partition counts and their creation on start (Kafka
// Streams' RepartitionTopics and InternalTopicManager, repartition part).
//
// Contract:
//  * ResolveInternalTopicPartitions() is pure. An internal topic with an explicit count
//    (InternalTopicSpec::partitions >= 1) has it. A derived one (-1) gets, when the
//    sub-topology reading it also reads topics of a fixed count (external topics, explicit
//    internal ones), the count of the first of those (sorted by name; a mismatch among them
//    is the co-partitioning error of Instance::CheckTopics); otherwise the largest count of
//    the source topics of every sub-topology writing to it or to any other derived topic
//    that sub-topology reads (they are co-partitioned). Source counts of writers may
//    themselves be derived: the counts are iterated to a fixed point. Errors
//    (kInvalidArgument) name the topics: a derived topic nobody writes, a writer's source
//    topic with no known count, and a cycle (topics whose counts depend on each other).
//    Internal topics that no source reads and no sink writes get no count (never created).
//  * PrepareSourceTopics() describes every external source topic (kNotFound naming a
//    missing one and its sub-topology), resolves the internal counts, then makes sure each
//    used internal topic exists with that count: a missing one is created with
//    InternalTopicConfigs(); an existing one with another count is kFailedPrecondition
//    naming the topic and both counts. Two instances starting together may race: an
//    AlreadyExists answer is fine once the count checks out. Returns the partition count of
//    every source topic of the topology (full names).
//
// Thread-safety: free functions; the Admin client they use is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "brook/status.h"
#include "brook/topology.h"
#include "client/admin.h"
#include "runtime/processor_topology.h"

namespace brook::runtime {

// One internal topic, as the resolution sees it.
struct InternalTopicPartitioning {
  std::string topic;             // full name
  int32_t partitions = -1;       // explicit count, or -1 (derived)
  std::vector<int32_t> writers;  // sub-topologies writing it
  int32_t reader = -1;           // the sub-topology reading it; -1: none
};

// Sub-topology id -> its source topics (full names).
using SubtopologySourceTopics = std::map<int32_t, std::vector<std::string>>;

// Partition count per internal topic (see the header comment). `external_counts` holds the
// counts of the non-internal source topics.
[[nodiscard]] Result<std::map<std::string, int32_t>> ResolveInternalTopicPartitions(
    const std::vector<InternalTopicPartitioning>& topics, const SubtopologySourceTopics& sources,
    const std::map<std::string, int32_t>& external_counts);
// The same for a topology's used internal topics.
[[nodiscard]] Result<std::map<std::string, int32_t>> ResolveInternalTopicPartitions(
    const ProcessorTopology& topology, const std::map<std::string, int32_t>& external_counts);

// The topic configs a new internal topic gets: cleanup.policy=delete,
// segment.bytes=52428800, message.timestamp.type=CreateTime, then spec.configs.
[[nodiscard]] std::map<std::string, std::string> InternalTopicConfigs(
    const InternalTopicSpec& spec);

struct InternalTopicOptions {
  // Replication factor of created topics; -1 = the broker's default.replication.factor.
  // Default: -1
  int32_t replication_factor = -1;
};

// See the header comment.
[[nodiscard]] Result<std::map<std::string, int32_t>> PrepareSourceTopics(
    client::Admin& admin, const ProcessorTopology& topology,
    const InternalTopicOptions& options = {});

}  // namespace brook::runtime
