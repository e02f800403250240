#include "runtime/changelog_topics.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "common/log.h"

namespace brook::runtime {
namespace {

Status CheckPartitions(const client::TopicInfo& info, const std::string& store,
                       const SubtopologyStores& sub) {
  if (info.partitions == sub.partitions) return Status::Ok();
  return Status::FailedPrecondition(fmt::format(
      "changelog topic '{}' of store '{}' has {} partitions, but sub-topology {} has {} "
      "input partitions (one changelog partition per task); delete the topic or fix the "
      "input topics",
      info.name, store, info.partitions, sub.subtopology, sub.partitions));
}

constexpr auto kVisibilityTimeout = std::chrono::seconds(30);

}  // namespace

Result<client::TopicInfo> DescribeCreatedTopic(client::Admin& admin, const std::string& topic) {
  const auto deadline = std::chrono::steady_clock::now() + kVisibilityTimeout;
  while (true) {
    Result<client::TopicInfo> info = admin.DescribeTopic(topic);
    if (info.ok() || info.status().code() != StatusCode::kNotFound ||
        std::chrono::steady_clock::now() >= deadline) {
      return info;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::map<std::string, std::string> ChangelogTopicConfigs(const StoreSpec& spec) {
  std::map<std::string, std::string> configs;
  if (spec.kind == StoreKind::kKeyValue) {
    configs["cleanup.policy"] = "compact";
  } else {
    configs["cleanup.policy"] = "compact,delete";
    configs["retention.ms"] = std::to_string(spec.retention_ms + kWindowChangelogExtraRetentionMs);
  }
  for (const auto& [k, v] : spec.changelog_configs) configs[k] = v;
  return configs;
}

Status EnsureChangelogTopics(client::Admin& admin, const std::string& application_id,
                             const std::vector<SubtopologyStores>& subtopologies,
                             const ChangelogTopicOptions& options) {
  for (const SubtopologyStores& sub : subtopologies) {
    for (const StoreSpec& spec : sub.stores) {
      if (!spec.logging) continue;
      const std::string topic = spec.ChangelogTopic(application_id);
      if (sub.partitions <= 0) {
        return Status::InvalidArgument(
            fmt::format("changelog topic '{}': sub-topology {} has {} partitions", topic,
                        sub.subtopology, sub.partitions));
      }
      Result<client::TopicInfo> existing = admin.DescribeTopic(topic);
      if (existing.ok()) {
        BROOK_RETURN_IF_ERROR(CheckPartitions(*existing, spec.name, sub));
        continue;
      }
      if (existing.status().code() != StatusCode::kNotFound) return existing.status();
      Status created = admin.CreateTopic({.name = topic,
                                          .partitions = sub.partitions,
                                          .replication_factor = options.replication_factor,
                                          .configs = ChangelogTopicConfigs(spec)});
      if (created.ok()) {
        Logger().info("created changelog topic '{}' ({} partitions) for store '{}'", topic,
                      sub.partitions, spec.name);
        continue;
      }
      if (created.code() != StatusCode::kAlreadyExists) return created;
      // Another instance created it meanwhile: it must agree on the partition count. Its
      // creation may not be visible in metadata yet.
      BROOK_ASSIGN_OR_RETURN(const client::TopicInfo info, DescribeCreatedTopic(admin, topic));
      BROOK_RETURN_IF_ERROR(CheckPartitions(info, spec.name, sub));
    }
  }
  return Status::Ok();
}

}  // namespace brook::runtime
