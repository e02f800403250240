// Admin: topic listing, description, creation and deletion through librdkafka's admin API.
//
// Contract: Create() connects and runs the reachability check (Unavailable naming
// bootstrap.servers if no broker answers within bootstrap.timeout.ms). Each call waits at
// most request.timeout.ms and returns a Status naming the topic on failure: NotFound for a
// missing topic, AlreadyExists when creating an existing one, InvalidArgument for a request
// the broker rejects (bad config, too few brokers), TimedOut when it does not answer.
// CreateTopic returns only once the new topic is visible in metadata with all partitions.
//
// Thread-safety: one Admin may be used from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "brook/config.h"
#include "brook/status.h"
#include "client/kafka_handle.h"

namespace brook::client {

struct TopicInfo {
  std::string name;
  int32_t partitions = 0;
  int32_t replication_factor = 0;  // replicas of partition 0
};

// One partition of a topic, (topic, partition).
using PartitionKey = std::pair<std::string, int32_t>;

// Which offset ListOffsets asks for.
enum class OffsetSpec {
  kEarliest,  // the log start offset
  kLatest,    // the log end offset (high watermark): the next offset a producer writes
};

// A consumer group as DescribeGroup reports it.
struct GroupDescription {
  std::string state;  // "Stable", "PreparingRebalance", "Empty", "Dead", ...
  int members = 0;    // current members
};

struct NewTopic {
  std::string name;
  int32_t partitions = 1;
  int32_t replication_factor = 1;
  std::map<std::string, std::string> configs;  // topic configs, e.g. cleanup.policy=compact
};

class Admin {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Admin>> Create(const Config& config);

  // Topics in the cluster, sorted by name; internal topics (names starting with "__") only
  // when include_internal.
  [[nodiscard]] Result<std::vector<TopicInfo>> ListTopics(bool include_internal = false);
  [[nodiscard]] Result<TopicInfo> DescribeTopic(const std::string& name);
  [[nodiscard]] Status CreateTopic(const NewTopic& topic);
  [[nodiscard]] Status DeleteTopic(const std::string& name);
  // The topic's configuration as the broker reports it (every entry, defaults included),
  // name -> value; entries without a value (sensitive ones) are left out.
  [[nodiscard]] Result<std::map<std::string, std::string>> DescribeTopicConfigs(
      const std::string& name);

  // The earliest or latest offset of each partition (ListOffsets, batched per leader).
  // kNotFound naming a partition the broker does not know; kUnavailable/kTimedOut when the
  // brokers do not answer. An empty list gives an empty map.
  [[nodiscard]] Result<std::map<PartitionKey, int64_t>> ListOffsets(
      const std::vector<PartitionKey>& partitions, OffsetSpec spec);
  // The offsets committed by consumer group `group` for the given partitions
  // (OffsetFetch); partitions without a committed offset are absent from the result.
  [[nodiscard]] Result<std::map<PartitionKey, int64_t>> ListGroupOffsets(
      const std::string& group, const std::vector<PartitionKey>& partitions);
  // State and member count of consumer group `group` (DescribeGroups); a group nobody
  // joined is "Dead" with 0 members.
  [[nodiscard]] Result<GroupDescription> DescribeGroup(const std::string& group);

  [[nodiscard]] KafkaHandle& handle() { return *handle_; }

 private:
  explicit Admin(std::unique_ptr<KafkaHandle> h, std::chrono::milliseconds request_timeout)
      : handle_(std::move(h)), request_timeout_(request_timeout) {}
  [[nodiscard]] Result<std::vector<TopicInfo>> Metadata(const std::string* only_topic);

  std::unique_ptr<KafkaHandle> handle_;
  std::chrono::milliseconds request_timeout_;
};

}  // namespace brook::client
