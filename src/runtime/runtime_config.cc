#include "runtime/runtime_config.h"

#include <cstdlib>
#include <string>

namespace brook::runtime {
namespace {

Result<ErrorHandling> ParseHandling(const Config& config, std::string_view key) {
  const std::string& v = config.GetString(key);
  if (v == "fail") return ErrorHandling::kFail;
  if (v == "log-and-continue") return ErrorHandling::kLogAndContinue;
  if (v == "dead-letter") return ErrorHandling::kDeadLetter;
  return Status::InvalidArgument(std::string(key) + " (" + config.Origin(key) + "): '" + v +
                                 "' is not one of fail, log-and-continue, dead-letter");
}

}  // namespace

std::string_view ErrorHandlingName(ErrorHandling h) {
  switch (h) {
    case ErrorHandling::kFail:
      return "fail";
    case ErrorHandling::kLogAndContinue:
      return "log-and-continue";
    case ErrorHandling::kDeadLetter:
      return "dead-letter";
  }
  return "?";
}

ConfigSources SourcesFromProperties(const std::map<std::string, std::string>& properties) {
  ConfigSources sources;
  for (const auto& [key, value] : properties) {
    std::string kv = key;
    kv += '=';
    kv += value;
    sources.overrides.push_back(std::move(kv));
  }
  return sources;
}

void DefineRuntimeKeys(ConfigSchema& schema) {
  schema.Define({.name = "num.stream.threads",
                 .type = ConfigType::kInt,
                 .default_value = "1",
                 .doc = "worker threads of this instance; tasks are spread over them",
                 .min = 1,
                 .max = 256});
  schema.Define({.name = "state.dir",
                 .default_value = "/tmp/brook-state",
                 .doc = "local state lives under <state.dir>/<application.id>/<task-id>/"});
  schema.Define({.name = "processing.guarantee",
                 .type = ConfigType::kEnum,
                 .default_value = "at_least_once",
                 .doc = "at_least_once, or exactly_once_v2 (transactions, read_committed)",
                 .allowed_values = {"at_least_once", "exactly_once_v2"}});
  schema.Define({.name = "commit.interval.ms",
                 .type = ConfigType::kInt,
                 .default_value = "-1",
                 .doc = "how often offsets are committed; -1 = 30000 for at_least_once, 100 for "
                        "exactly_once_v2",
                 .min = -1,
                 .max = 86400000});
  const std::vector<std::string> handlers = {"fail", "log-and-continue", "dead-letter"};
  schema.Define({.name = "deserialization.exception.handler",
                 .type = ConfigType::kEnum,
                 .default_value = "fail",
                 .doc = "a record that does not deserialize: fail the task, log-and-continue "
                        "(counted), or dead-letter (original bytes + error headers)",
                 .allowed_values = handlers});
  schema.Define({.name = "production.exception.handler",
                 .type = ConfigType::kEnum,
                 .default_value = "fail",
                 .doc = "a record the broker rejects: fail, log-and-continue or dead-letter "
                        "(at_least_once only; under exactly_once_v2 the transaction aborts)",
                 .allowed_values = handlers});
  schema.Define({.name = "errors.dead.letter.queue.topic.name",
                 .default_value = "",
                 .doc = "dead-letter topic; empty = <application.id>-dlq"});
  schema.Define({.name = "buffered.records.per.partition",
                 .type = ConfigType::kInt,
                 .default_value = "1000",
                 .doc = "records buffered per input partition (averaged over a stream thread's "
                        "partitions) before the thread stops taking records from the consumer",
                 .min = 1,
                 .max = 10000000});
  schema.Define({.name = "poll.ms",
                 .type = ConfigType::kInt,
                 .default_value = "100",
                 .doc = "longest wait of a stream thread for new records",
                 .min = 1,
                 .max = 60000});
  schema.Define({.name = "shutdown.timeout.ms",
                 .type = ConfigType::kInt,
                 .default_value = "30000",
                 .doc = "grace period of a clean shutdown (finish, commit, checkpoint)",
                 .min = 0,
                 .max = 3600000});
  schema.Define({.name = "auto.offset.reset",
                 .type = ConfigType::kEnum,
                 .default_value = "earliest",
                 .doc = "where an input partition without a committed offset starts",
                 .allowed_values = {"earliest", "latest"}});
  schema.Define({.name = "http.listen",
                 .default_value = "",
                 .doc = "host:port (or :port for every interface) of this instance's HTTP server "
                        "(interactive queries at /stores; /metrics, /healthz, /readyz, /status); "
                        "empty = no server. Other instances reach it at application.server"});
  schema.Define({.name = "interactive.query.timeout.ms",
                 .type = ConfigType::kInt,
                 .default_value = "5000",
                 .doc = "how long a query forwarded to the instance owning a key (or fanned out "
                        "over every instance) waits for its answer",
                 .min = 1,
                 .max = 600000});
  schema.Define({.name = "scaling.interval.ms",
                 .type = ConfigType::kInt,
                 .default_value = "5000",
                 .doc = "how often the instance reads its group (source end offsets, committed "
                        "offsets, members) on a background thread and recomputes its rates and "
                        "brook_desired_replicas; 0 = never",
                 .min = 0,
                 .max = 3600000});
  schema.Define({.name = "scaling.window.ms",
                 .type = ConfigType::kInt,
                 .default_value = "30000",
                 .doc = "span of the scaling observation: the input rate and this instance's true "
                        "rate are measured over it",
                 .min = 1,
                 .max = 86400000});
  schema.Define({.name = "scaling.target.utilisation",
                 .default_value = "0.8",
                 .doc = "fraction of its true processing rate an instance should run at, in "
                        "(0, 1]: the headroom of brook_desired_replicas"});
  schema.Define({.name = "scaling.catch.up.target.seconds",
                 .type = ConfigType::kInt,
                 .default_value = "120",
                 .doc = "the group's lag should drain within this time: adds lag / this to the "
                        "input rate in brook_desired_replicas",
                 .min = 1,
                 .max = 86400});
  schema.Define({.name = "scaling.min.replicas",
                 .type = ConfigType::kInt,
                 .default_value = "1",
                 .doc = "fewest replicas brook_desired_replicas recommends (the task count wins "
                        "if lower)",
                 .min = 1,
                 .max = 100000});
  schema.Define({.name = "scaling.max.replicas",
                 .type = ConfigType::kInt,
                 .default_value = "0",
                 .doc = "most replicas brook_desired_replicas recommends; 0 = the number of tasks",
                 .min = 0,
                 .max = 100000});
}

Result<RuntimeOptions> RuntimeOptionsFromConfig(const Config& config) {
  RuntimeOptions o;
  o.application_id = config.GetString("application.id");
  if (o.application_id.empty()) {
    return Status::InvalidArgument("application.id (" + config.Origin("application.id") +
                                   "): must not be empty");
  }
  o.num_stream_threads = static_cast<int>(config.GetInt("num.stream.threads"));
  o.state_dir = config.GetString("state.dir");
  if (o.state_dir.empty()) {
    return Status::InvalidArgument("state.dir (" + config.Origin("state.dir") +
                                   "): must not be empty");
  }
  o.guarantee = config.GetString("processing.guarantee") == "exactly_once_v2"
                    ? ProcessingGuarantee::kExactlyOnceV2
                    : ProcessingGuarantee::kAtLeastOnce;
  const int64_t commit = config.GetInt("commit.interval.ms");
  o.commit_interval = std::chrono::milliseconds(
      commit >= 0 ? commit : (o.guarantee == ProcessingGuarantee::kExactlyOnceV2 ? 100 : 30000));
  BROOK_ASSIGN_OR_RETURN(o.deserialization_errors,
                         ParseHandling(config, "deserialization.exception.handler"));
  BROOK_ASSIGN_OR_RETURN(o.production_errors,
                         ParseHandling(config, "production.exception.handler"));
  o.dead_letter_topic = config.GetString("errors.dead.letter.queue.topic.name");
  if (o.dead_letter_topic.empty()) o.dead_letter_topic = o.application_id + "-dlq";
  o.buffered_records_per_partition = config.GetInt("buffered.records.per.partition");
  o.poll_interval = std::chrono::milliseconds(config.GetInt("poll.ms"));
  o.shutdown_timeout = std::chrono::milliseconds(config.GetInt("shutdown.timeout.ms"));
  o.reset_to_earliest = config.GetString("auto.offset.reset") == "earliest";
  o.http_listen = config.GetString("http.listen");
  o.query_timeout = std::chrono::milliseconds(config.GetInt("interactive.query.timeout.ms"));
  o.scaling_interval = std::chrono::milliseconds(config.GetInt("scaling.interval.ms"));
  o.scaling_window = std::chrono::milliseconds(config.GetInt("scaling.window.ms"));
  {
    const std::string& text = config.GetString("scaling.target.utilisation");
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !(v > 0 && v <= 1)) {
      return Status::InvalidArgument("scaling.target.utilisation (" +
                                     config.Origin("scaling.target.utilisation") + "): '" + text +
                                     "' is not a number in (0, 1]");
    }
    o.scaling_target_utilisation = v;
  }
  o.scaling_catch_up_target_seconds =
      static_cast<double>(config.GetInt("scaling.catch.up.target.seconds"));
  o.scaling_min_replicas = static_cast<int>(config.GetInt("scaling.min.replicas"));
  o.scaling_max_replicas = static_cast<int>(config.GetInt("scaling.max.replicas"));
  if (o.scaling_max_replicas != 0 && o.scaling_max_replicas < o.scaling_min_replicas) {
    return Status::InvalidArgument(
        "scaling.max.replicas (" + config.Origin("scaling.max.replicas") +
        "): " + std::to_string(o.scaling_max_replicas) + " is below scaling.min.replicas (" +
        std::to_string(o.scaling_min_replicas) + ")");
  }
  return o;
}

}  // namespace brook::runtime
