// Changelog topics: creating the changelog topic of every logged store before any task of
// the application starts (Kafka Streams' InternalTopicManager, changelog part).
//
// Contract: EnsureChangelogTopics() makes sure "<application.id>-<store>-changelog" exists
// for every logged store, with as many partitions as its sub-topology has tasks (the
// partition count of its source topics). A missing topic is created with
// cleanup.policy=compact (key-value stores) or cleanup.policy=compact,delete and
// retention.ms = retention + 24 h (window and session stores), then the store's
// changelog_configs on top. An existing topic with another partition count is a
// kFailedPrecondition naming the topic and both counts (its data could not be mapped to the
// tasks); its configs are not checked. Idempotent, and two instances starting together may
// race: AlreadyExists from the create is treated as success once the partition count checks
// out.
//
// Thread-safety: free functions; the Admin client they use is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "brook/status.h"
#include "brook/stores.h"
#include "client/admin.h"

namespace brook::runtime {

inline constexpr int64_t kWindowChangelogExtraRetentionMs = 24LL * 60 * 60 * 1000;

// The stores of one sub-topology and its task count.
struct SubtopologyStores {
  int32_t subtopology = 0;
  // Partitions of the sub-topology's source topics = its number of tasks.
  int32_t partitions = 0;
  std::vector<StoreSpec> stores;
};

struct ChangelogTopicOptions {
  // Replication factor of created topics; -1 = the broker's default.replication.factor.
  // Default: -1
  int32_t replication_factor = -1;
};

// The topic configs a new changelog of `spec` gets (defaults, then spec.changelog_configs).
[[nodiscard]] std::map<std::string, std::string> ChangelogTopicConfigs(const StoreSpec& spec);

// DescribeTopic, retried while the topic is not found for at most 30 s: a topic another
// client just created may not be in the metadata yet.
[[nodiscard]] Result<client::TopicInfo> DescribeCreatedTopic(client::Admin& admin,
                                                             const std::string& topic);

// Creates missing changelog topics and checks the partition counts of existing ones (see
// above). Returns the first error, naming the topic.
[[nodiscard]] Status EnsureChangelogTopics(client::Admin& admin, const std::string& application_id,
                                           const std::vector<SubtopologyStores>& subtopologies,
                                           const ChangelogTopicOptions& options = {});

}  // namespace brook::runtime
