#include "client/client_config.h"

#include <array>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace brook::client {
namespace {

// Properties brook sets itself from its own keys; setting them through a prefix would
// silently fight brook's value, so they are rejected with a pointer to the brook key.
const std::map<std::string_view, std::string_view>& ReservedProperties() {
  static const std::map<std::string_view, std::string_view> kReserved = {
      {"bootstrap.servers", "bootstrap.servers"},
      {"metadata.broker.list", "bootstrap.servers"},
      {"client.id", "client.id"},
  };
  return kReserved;
}

Status SetProperty(rd_kafka_conf_t* conf, std::string_view key, std::string_view value) {
  std::array<char, 512> err{};
  const std::string k(key);
  const std::string v(value);
  if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err.data(), err.size()) !=
      RD_KAFKA_CONF_OK) {
    return Status::InvalidArgument(err.data());
  }
  return Status::Ok();
}

std::string_view RolePrefix(ClientRole role) {
  switch (role) {
    case ClientRole::kAdmin: return "admin.";
    case ClientRole::kProducer: return "producer.";
    case ClientRole::kConsumer: return "consumer.";
  }
  return "";
}

// Role defaults, applied before any user setting.
std::vector<std::pair<std::string, std::string>> RoleDefaults(ClientRole role) {
  std::vector<std::pair<std::string, std::string>> d = {
      // Connection errors are reported through brook's own errors, not as log spam.
      {"log.connection.close", "false"},
  };
  if (role == ClientRole::kProducer) {
    // The Java client's partitioner, so brook and Java/Kafka Streams agree on key placement.
    d.emplace_back("partitioner", "murmur2_random");
    d.emplace_back("linger.ms", "5");
    d.emplace_back("batch.num.messages", "10000");
    d.emplace_back("enable.idempotence", "true");
  }
  if (role == ClientRole::kConsumer) {
    d.emplace_back("enable.auto.commit", "false");
    d.emplace_back("enable.auto.offset.store", "false");
    d.emplace_back("enable.partition.eof", "true");
  }
  return d;
}

}  // namespace

void DefineClientKeys(ConfigSchema& schema) {
  schema.Define({.name = "bootstrap.servers",
                 .default_value = "127.0.0.1:9092",
                 .doc = "Kafka brokers to bootstrap from, host:port[,host:port...]"});
  schema.Define({.name = "client.id", .default_value = "brook", .doc = "client.id sent to Kafka"});
  schema.Define({.name = "bootstrap.timeout.ms",
                 .type = ConfigType::kInt,
                 .default_value = "10000",
                 .doc = "how long to wait for the first broker response before giving up",
                 .min = 100,
                 .max = 600000});
  schema.Define({.name = "request.timeout.ms",
                 .type = ConfigType::kInt,
                 .default_value = "30000",
                 .doc = "timeout of admin requests and of producer flushes",
                 .min = 100,
                 .max = 3600000});
  // librdkafka accepts every property on every configuration object (it warns at client
  // creation about a property of the other role), so one check serves all prefixes.
  schema.DefinePrefix("kafka.", "librdkafka property for every client",
                      ValidateRdKafkaProperty);
  schema.DefinePrefix("producer.", "librdkafka property for the producer",
                      ValidateRdKafkaProperty);
  schema.DefinePrefix("consumer.", "librdkafka property for the consumer",
                      ValidateRdKafkaProperty);
  schema.DefinePrefix("admin.", "librdkafka property for the admin client",
                      ValidateRdKafkaProperty);
}

Status ValidateRdKafkaProperty(std::string_view key, std::string_view value) {
  if (auto it = ReservedProperties().find(key); it != ReservedProperties().end()) {
    return Status::InvalidArgument("set brook's own key '" + std::string(it->second) +
                                   "' instead");
  }
  RdConfPtr scratch(rd_kafka_conf_new());
  return SetProperty(scratch.get(), key, value);
}

Result<RdConfPtr> BuildRdKafkaConf(const Config& config, ClientRole role) {
  RdConfPtr conf(rd_kafka_conf_new());
  for (const auto& [k, v] : RoleDefaults(role)) {
    BROOK_RETURN_IF_ERROR(SetProperty(conf.get(), k, v).WithContext("brook default " + k));
  }
  BROOK_RETURN_IF_ERROR(
      SetProperty(conf.get(), "bootstrap.servers", config.GetString("bootstrap.servers"))
          .WithContext("config key 'bootstrap.servers'"));
  BROOK_RETURN_IF_ERROR(SetProperty(conf.get(), "client.id", config.GetString("client.id"))
                            .WithContext("config key 'client.id'"));
  for (std::string_view prefix : {std::string_view("kafka."), RolePrefix(role)}) {
    for (const auto& [k, v] : config.WithPrefix(prefix)) {
      BROOK_RETURN_IF_ERROR(
          SetProperty(conf.get(), k, v).WithContext("config key '" + std::string(prefix) + k + "'"));
    }
  }
  return conf;
}

}  // namespace brook::client
