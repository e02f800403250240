// Internal: the subcommands of `brook`, each a function from parsed options and a loaded
// Config to a Status. Parsing lives in cli.cc.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "brook/config.h"
#include "brook/status.h"

namespace brook::cli {

struct TopicsCreateOptions {
  std::string topic;
  int32_t partitions = 1;
  int32_t replication_factor = 1;
  std::vector<std::string> configs;  // "key=value"
  bool if_not_exists = false;
};
[[nodiscard]] Status TopicsCreate(const Config& config, const TopicsCreateOptions& o,
                                  std::ostream& out);
[[nodiscard]] Status TopicsList(const Config& config, bool include_internal, std::ostream& out);
[[nodiscard]] Status TopicsDescribe(const Config& config, const std::string& topic,
                                    std::ostream& out);
[[nodiscard]] Status TopicsDelete(const Config& config, const std::string& topic,
                                  std::ostream& out);

struct ProduceOptions {
  std::string topic;
  uint64_t count = 1000;
  uint64_t keys = 1000;
  uint32_t value_size = 100;
  double rate = 0;  // records/s, 0 = unlimited
  uint64_t seed = 42;
  uint64_t progress_ms = 1000;
  bool json = false;
};
[[nodiscard]] Status Produce(const Config& config, const ProduceOptions& o, std::ostream& out,
                             std::ostream& err);

struct ConsumeOptions {
  std::vector<std::string> topics;
  std::string from = "beginning";  // beginning | end
  uint64_t max_records = 0;        // 0 = no limit
  bool until_end = false;
  uint64_t idle_timeout_ms = 0;  // 0 = none
  std::string format = "kv";     // kv | full | value | none
  bool count = false;            // print per-partition counts at the end
  bool json = false;
};
[[nodiscard]] Status Consume(const Config& config, const ConsumeOptions& o, std::ostream& out,
                             std::ostream& err);

struct PipeOptions {
  std::string from;
  std::string to;
  std::string transform = "identity";  // identity | uppercase | reverse
  uint64_t max_records = 0;
  bool until_end = false;
  uint64_t idle_timeout_ms = 0;
  uint64_t progress_ms = 1000;
  bool json = false;
};
[[nodiscard]] Status Pipe(const Config& config, const PipeOptions& o, std::ostream& out,
                          std::ostream& err);

}  // namespace brook::cli
