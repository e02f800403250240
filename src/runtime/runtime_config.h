// Configuration keys of the stream runtime (threads, state directory, processing guarantee,
// commit interval, error handlers, back-pressure, shutdown, HTTP server, scaling signal) and
// RuntimeOptions built from a
// loaded Config. Names follow Kafka Streams where one exists.
//
// Contract: RuntimeOptionsFromConfig needs a Config loaded with DefineClientKeys,
// DefineGroupKeys and DefineRuntimeKeys; it resolves derived defaults (commit interval per
// guarantee, dead-letter topic name) and reports bad combinations naming the keys.
// Thread-safety: pure functions; RuntimeOptions is a plain value.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "brook/config.h"
#include "brook/status.h"

namespace brook::runtime {

enum class ProcessingGuarantee { kAtLeastOnce, kExactlyOnceV2 };

// What happens to a record that cannot be deserialized or produced.
enum class ErrorHandling {
  kFail,            // stop the task (and the instance) with an error naming the record
  kLogAndContinue,  // log, count in a metric, skip the record
  kDeadLetter,      // send the original bytes with error headers to the dead-letter topic
};

struct RuntimeOptions {
  std::string application_id;
  // Default: 1
  int num_stream_threads = 1;
  // Local state lives under <state_dir>/<application.id>/. Default: /tmp/brook-state
  std::string state_dir = "/tmp/brook-state";
  // Default: kAtLeastOnce
  ProcessingGuarantee guarantee = ProcessingGuarantee::kAtLeastOnce;
  // Default: 30 s (at_least_once), 100 ms (exactly_once_v2)
  std::chrono::milliseconds commit_interval{30000};
  // Default: kFail
  ErrorHandling deserialization_errors = ErrorHandling::kFail;
  // Default: kFail
  ErrorHandling production_errors = ErrorHandling::kFail;
  // Default: "<application.id>-dlq"
  std::string dead_letter_topic;
  // A partition is paused once this many of its records wait in its task. Default: 1000
  int64_t buffered_records_per_partition = 1000;
  // Longest wait of a stream thread for new records. Default: 100 ms
  std::chrono::milliseconds poll_interval{100};
  // Grace period of a clean shutdown (SIGTERM): finish, commit, checkpoint within it.
  // Default: 30 s
  std::chrono::milliseconds shutdown_timeout{30000};
  // Where a partition without a committed offset starts. Default: earliest
  bool reset_to_earliest = true;
  // Address of the instance's HTTP server (interactive queries), "host:port" or ":port".
  // Default: empty (no HTTP server)
  std::string http_listen;
  // How long a query forwarded to another instance (or fanned out over all) waits for the
  // answer. Default: 5 s
  std::chrono::milliseconds query_timeout{5000};
  // How often the observer thread reads the group (source end offsets, committed offsets,
  // members), computes the rates of the last window and the scaling signal. 0 = never (no
  // rates, group gauges or brook_desired_replicas). Default: 5 s
  std::chrono::milliseconds scaling_interval{5000};
  // Span of the scaling observation (scaling signal). Default: 30 s
  std::chrono::milliseconds scaling_window{30000};
  // The DS2 model's tunables (src/scaling/README.md). Defaults: 0.8, 120 s, 1, 0 (= tasks)
  double scaling_target_utilisation = 0.8;
  double scaling_catch_up_target_seconds = 120.0;
  int scaling_min_replicas = 1;
  int scaling_max_replicas = 0;
};

void DefineRuntimeKeys(ConfigSchema& schema);

[[nodiscard]] Result<RuntimeOptions> RuntimeOptionsFromConfig(const Config& config);

std::string_view ErrorHandlingName(ErrorHandling h);

// An application's properties map as config overrides ("key=value", in key order).
[[nodiscard]] ConfigSources SourcesFromProperties(
    const std::map<std::string, std::string>& properties);

}  // namespace brook::runtime
