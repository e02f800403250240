// Configuration shared by every Kafka client brook creates (admin, producer, consumer):
// the brook keys (bootstrap.servers, client.id, timeouts) and the pass-through prefixes
// `kafka.` (all clients), `producer.`, `consumer.` and `admin.` whose remainder is a
// librdkafka property, validated by librdkafka itself so a typo is caught at start-up.
//
// Thread-safety: pure functions over immutable inputs.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <string_view>

#include "brook/config.h"
#include "brook/status.h"

namespace brook::client {

enum class ClientRole { kAdmin, kProducer, kConsumer };

// Defines bootstrap.servers, client.id, bootstrap.timeout.ms, request.timeout.ms and the
// kafka./producer./consumer./admin. prefixes on `schema`.
void DefineClientKeys(ConfigSchema& schema);

// Checks that librdkafka accepts `key`=`value` (no broker contact), and that the key is not
// one brook sets from its own keys (bootstrap.servers, client.id).
[[nodiscard]] Status ValidateRdKafkaProperty(std::string_view key, std::string_view value);

struct RdConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using RdConfPtr = std::unique_ptr<rd_kafka_conf_t, RdConfDeleter>;

// A librdkafka configuration for `role`: brook's defaults for the role, then `kafka.*`,
// then the role's own prefix, so the user always has the last word.
[[nodiscard]] Result<RdConfPtr> BuildRdKafkaConf(const Config& config, ClientRole role);

}  // namespace brook::client
