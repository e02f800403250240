// The plumbing brook's example applications share — command line, configuration, the run
// loop, writing sample input and reading output back — so that each example's own files
// hold only its topology, its data and a short main():
//
//   int main(int argc, char** argv) {
//     return brook::examples::Main(brook::examples::wordcount::App(), argc, argv);
//   }
//
// Commands of every example binary (`<app> --help` lists them):
//   <app> [run]     runs the application until SIGTERM or SIGINT, then closes it cleanly
//   <app> produce   writes seeded sample input to the input topics (-n records, --seed,
//                   --only <part>)
//   <app> print     prints the output topics decoded, latest value per key (--max lines)
//   <app> describe  prints the topology
// Options of every command: -c FILE (properties file, repeatable), --set key=value
// (repeatable), --log-level. Configuration comes, later winning, from: the keys' defaults
// (application.id defaults to "brook-<app>"), the files, the environment (BROOK_<KEY>, e.g.
// BROOK_BOOTSTRAP_SERVERS), then --set: the precedence of brook's own CLI. The keys are every
// key of brook::Streams (src/runtime/README.md) plus the example's own (its topic names,
// "<app>.<what>.topic"). A misspelt key is an error naming it and where it came from.
//
// Contract: Main() returns the process exit code: 0 after a clean stop, 1 for a
// configuration, start or I/O error (message on stderr), 2 for bad usage, 3 when the
// instance failed while running (its error is logged), 4 when Close() could not commit.
// While running it logs every state change and, every 10 s, the records processed so far.
//
// Thread-safety: Main() is for the main thread of a process (it blocks the shutdown signals
// before any other thread starts). RecordSink and the Read* helpers are single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "brook/config.h"
#include "brook/status.h"
#include "brook/topology.h"

namespace brook::examples {

// Where sample input goes: a Kafka producer in `<app> produce`, anything in tests.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Writes one record (key and value bytes) to `topic`; the partition is chosen from the key
  // by Kafka's default partitioner (murmur2), as Kafka Streams expects.
  [[nodiscard]] virtual Status Send(const std::string& topic, const std::string& key,
                                    const std::string& value) = 0;
};

// Options of `<app> produce`.
struct ProduceOptions {
  // Records of the main input. Default: the example's own default
  int64_t count = 0;
  // Seed of the generator: the same seed gives the same records. Default: 42
  uint64_t seed = 42;
  // Only this part of the input (examples with several inputs name theirs, e.g. orders:
  // "customers" or "orders"); the generator still runs from the start, so the records are
  // those of a full run. Default: "" (everything)
  std::string only;
};

// Options of `<app> print`.
struct PrintOptions {
  // Lines printed per output topic (the rest are counted). Default: 20
  int64_t max_lines = 20;
};

// One example application.
struct ExampleApp {
  // The binary's name: "wordcount". application.id defaults to "brook-<name>".
  std::string name;
  // One line for --help.
  std::string summary;
  // The example's own configuration keys (topic names), with their defaults.
  std::vector<ConfigKey> keys;
  // Records `produce` writes when -n is not given.
  int64_t default_count = 10000;
  // The topology, from the loaded configuration (its topic names).
  std::function<Topology(const Config&)> build;
  // Writes the sample input (options.count records of the main input plus whatever else
  // the example needs: a table's rows, records that close the last windows).
  std::function<Status(const Config&, const ProduceOptions&, RecordSink&)> produce;
  // Prints the output topics, decoded.
  std::function<Status(const Config&, const PrintOptions&, std::ostream&)> print;
};

// Runs the command line (see the header comment) and returns the exit code.
int Main(const ExampleApp& app, int argc, char** argv);

// The configuration schema of `app`: every key of brook::Streams, the app's own keys, and
// application.id defaulting to "brook-<name>".
ConfigSchema SchemaOf(const ExampleApp& app);

// A key-value pair of a topic, bytes as written (std::nullopt: null).
struct TopicRecord {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
};

// Every record of `topic`, from the beginning to its end as of the call, partition by
// partition in offset order. kNotFound when the topic does not exist; kTimedOut when the
// end is not reached within `timeout`.
[[nodiscard]] Result<std::vector<TopicRecord>> ReadTopic(
    const Config& config, const std::string& topic,
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// The latest value of each key of `topic` (keys and values as bytes; a null value deletes
// its key; records with a null key are skipped). Errors as ReadTopic.
[[nodiscard]] Result<std::map<std::string, std::string>> ReadLatest(
    const Config& config, const std::string& topic,
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// "2024-01-01T00:01:00Z" for an epoch time in milliseconds (UTC, whole seconds; ".250" is
// appended when the milliseconds are not 0).
std::string FormatUtc(int64_t epoch_ms);

}  // namespace brook::examples
