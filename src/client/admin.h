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

  [[nodiscard]] KafkaHandle& handle() { return *handle_; }

 private:
  explicit Admin(std::unique_ptr<KafkaHandle> h, std::chrono::milliseconds request_timeout)
      : handle_(std::move(h)), request_timeout_(request_timeout) {}
  [[nodiscard]] Result<std::vector<TopicInfo>> Metadata(const std::string* only_topic);

  std::unique_ptr<KafkaHandle> handle_;
  std::chrono::milliseconds request_timeout_;
};

}  // namespace brook::client
