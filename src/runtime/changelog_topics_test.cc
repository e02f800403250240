// Changelog topic configs (the broker side is covered by the integration test).
#include "runtime/changelog_topics.h"

#include <gtest/gtest.h>

namespace brook::runtime {
namespace {

using Configs = std::map<std::string, std::string>;

TEST(ChangelogTopicConfigsTest, KeyValueStoresAreCompacted) {
  EXPECT_EQ(ChangelogTopicConfigs(stores::PersistentKeyValue("kv")),
            (Configs{{"cleanup.policy", "compact"}}));
  EXPECT_EQ(ChangelogTopicConfigs(stores::InMemoryKeyValue("kv")),
            (Configs{{"cleanup.policy", "compact"}}));
}

TEST(ChangelogTopicConfigsTest, WindowAndSessionStoresAlsoExpireAfterRetentionPlusADay) {
  const Configs expected = {{"cleanup.policy", "compact,delete"},
                            {"retention.ms", std::to_string(3'600'000 + 86'400'000)}};
  EXPECT_EQ(ChangelogTopicConfigs(stores::Window("w", 3'600'000)), expected);
  EXPECT_EQ(ChangelogTopicConfigs(stores::Session("s", 3'600'000)), expected);
}

TEST(ChangelogTopicConfigsTest, StoreConfigsOverrideTheDefaults) {
  StoreSpec spec = stores::Window("w", 1000);
  spec.changelog_configs = {{"retention.ms", "5"}, {"min.insync.replicas", "2"}};
  EXPECT_EQ(ChangelogTopicConfigs(spec), (Configs{{"cleanup.policy", "compact,delete"},
                                                  {"min.insync.replicas", "2"},
                                                  {"retention.ms", "5"}}));
}

}  // namespace
}  // namespace brook::runtime
