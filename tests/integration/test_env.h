// Shared by the integration tests: where the test broker is and unique topic names.
// The broker is the one scripts/kafka-local runs (scripts/test starts it); its address
// comes from BROOK_TEST_BOOTSTRAP (default 127.0.0.1:9092). Tests never skip when it is
// down: they fail, naming the address.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "brook/config.h"
#include "client/client_config.h"

namespace brook::testing {

inline std::string Bootstrap() {
  const char* b = std::getenv("BROOK_TEST_BOOTSTRAP");
  return b != nullptr && *b != '\0' ? b : "127.0.0.1:9092";
}

// A topic name no earlier run used: tests can rerun against the same broker.
inline std::string UniqueTopic(const std::string& base) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return "it-" + base + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

inline Config ClientConfig(std::vector<std::string> extra = {}) {
  ConfigSchema schema;
  client::DefineClientKeys(schema);
  extra.push_back("bootstrap.servers=" + Bootstrap());
  return Config::Load(schema, {.overrides = extra}).ValueOrThrow();
}

}  // namespace brook::testing
