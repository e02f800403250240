#include "client/client_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>

namespace brook::client {
namespace {

using ::testing::HasSubstr;

ConfigSchema Schema() {
  ConfigSchema s;
  DefineClientKeys(s);
  return s;
}

std::string ConfValue(rd_kafka_conf_t* conf, const char* key) {
  std::array<char, 512> buf{};
  size_t size = buf.size();
  if (rd_kafka_conf_get(conf, key, buf.data(), &size) != RD_KAFKA_CONF_OK) return "<unset>";
  return buf.data();
}

TEST(ClientConfig, LibrdkafkaValidatesPassThroughKeys) {
  auto c = Config::Load(Schema(), {.overrides = {"producer.linger.ms=20"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();

  c = Config::Load(Schema(), {.overrides = {"producer.lingerms=20"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("'producer.lingerms'"));
  EXPECT_THAT(c.status().message(), HasSubstr("No such configuration property"));

  c = Config::Load(Schema(), {.overrides = {"consumer.fetch.wait.max.ms=soon"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("'consumer.fetch.wait.max.ms'"));
  EXPECT_THAT(c.status().message(), HasSubstr("'soon'"));
}

TEST(ClientConfig, BrookOwnedPropertiesAreRejectedWithPointer) {
  auto c = Config::Load(Schema(), {.overrides = {"kafka.bootstrap.servers=x:1"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("'kafka.bootstrap.servers'"));
  EXPECT_THAT(c.status().message(), HasSubstr("set brook's own key 'bootstrap.servers'"));
}

TEST(ClientConfig, RoleDefaultsThenKafkaThenRolePrefix) {
  auto c = Config::Load(Schema(), {.overrides = {"bootstrap.servers=h1:1,h2:2", "kafka.linger.ms=7",
                                                 "producer.acks=1", "consumer.acks=all"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto conf = BuildRdKafkaConf(*c, ClientRole::kProducer);
  ASSERT_TRUE(conf.ok()) << conf.status().ToString();
  EXPECT_EQ(ConfValue(conf->get(), "bootstrap.servers"), "h1:1,h2:2");
  EXPECT_EQ(ConfValue(conf->get(), "partitioner"), "murmur2_random");
  EXPECT_EQ(ConfValue(conf->get(), "linger.ms"), "7");  // kafka.* overrides the role default
  EXPECT_EQ(ConfValue(conf->get(), "acks"), "1");       // the consumer.* value does not leak

  auto cconf = BuildRdKafkaConf(*c, ClientRole::kConsumer);
  ASSERT_TRUE(cconf.ok());
  EXPECT_EQ(ConfValue(cconf->get(), "enable.auto.commit"), "false");
  EXPECT_EQ(ConfValue(cconf->get(), "enable.partition.eof"), "true");
}

TEST(ClientConfig, TimeoutBoundsAreChecked) {
  auto c = Config::Load(Schema(), {.overrides = {"bootstrap.timeout.ms=5"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("'bootstrap.timeout.ms'"));
}

}  // namespace
}  // namespace brook::client
