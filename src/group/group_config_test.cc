// group_config: keys, environment overrides (the StatefulSet pod name) and validation.
#include "group/group_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client/client_config.h"

namespace brook::group {
namespace {

using ::testing::HasSubstr;

Result<GroupOptions> Load(const ConfigSources& sources) {
  ConfigSchema schema;
  client::DefineClientKeys(schema);
  DefineGroupKeys(schema);
  BROOK_ASSIGN_OR_RETURN(Config config, Config::Load(schema, sources));
  return GroupOptionsFromConfig(config);
}

TEST(GroupConfig, DefaultsAreKafkaStreamsDefaults) {
  auto o = Load({});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->group_id, "brook-app");
  EXPECT_FALSE(o->group_instance_id.has_value());
  EXPECT_EQ(o->rebalance_protocol, RebalanceProtocol::kCooperative);
  EXPECT_EQ(o->session_timeout.count(), 45000);
  EXPECT_EQ(o->heartbeat_interval.count(), 3000);
  EXPECT_EQ(o->rebalance_timeout.count(), 300000);
  EXPECT_EQ(o->assignor.acceptable_recovery_lag, 10000);
  EXPECT_EQ(o->assignor.max_warmup_replicas, 2);
  EXPECT_EQ(o->assignor.num_standby_replicas, 0);
}

TEST(GroupConfig, InstanceIdFromEnvironment) {
  auto o =
      Load({.env = {{"BROOK_GROUP_INSTANCE_ID", "brook-2"}, {"BROOK_APPLICATION_ID", "wordcount"}},
            .overrides = {"rebalance.protocol=eager", "num.standby.replicas=1"}});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->group_instance_id, "brook-2");
  EXPECT_EQ(o->group_id, "wordcount");
  EXPECT_EQ(o->rebalance_protocol, RebalanceProtocol::kEager);
  EXPECT_EQ(o->assignor.num_standby_replicas, 1);
}

TEST(GroupConfig, HeartbeatMustBeBelowSessionTimeout) {
  auto o = Load({.overrides = {"session.timeout.ms=3000", "heartbeat.interval.ms=3000"}});
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("heartbeat.interval.ms"));
  EXPECT_THAT(o.status().message(), HasSubstr("session.timeout.ms"));
}

TEST(GroupConfig, BadProtocolNamesTheKey) {
  auto o = Load({.overrides = {"rebalance.protocol=sticky"}});
  ASSERT_FALSE(o.ok());
  EXPECT_THAT(o.status().message(), HasSubstr("rebalance.protocol"));
}

TEST(GroupConfig, ApplicationServerMustBeHostAndPort) {
  for (const char* good : {"pod-0.app.svc:8080", "127.0.0.1:1", "[::1]:65535"}) {
    auto o = Load({.overrides = {std::string("application.server=") + good}});
    ASSERT_TRUE(o.ok()) << good << ": " << o.status().ToString();
    EXPECT_EQ(o->endpoint, good);
  }
  EXPECT_EQ(Load({})->endpoint, "");  // default: not advertised
  for (const char* bad : {"pod-0", "pod-0:", ":8080", "h:0", "h:65536", "h:80x", "::1:80"}) {
    auto o = Load({.overrides = {std::string("application.server=") + bad}});
    ASSERT_FALSE(o.ok()) << bad;
    EXPECT_THAT(o.status().message(), HasSubstr("application.server"));
    EXPECT_THAT(o.status().message(), HasSubstr(std::string("'") + bad + "'"));
  }
}

}  // namespace
}  // namespace brook::group
