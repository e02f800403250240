// Streams: the application entry point (Kafka Streams' KafkaStreams). It runs a Topology as
// one instance of the application: a member of the group named by application.id, with
// num.stream.threads worker threads, local state under state.dir, and the processing
// guarantee of processing.guarantee. Start as many instances (processes, pods) as wanted;
// tasks spread over them and move without stopping the others (cooperative rebalancing).
//
//   brook::Streams app(topology, {{"application.id", "counts"},
//                                 {"bootstrap.servers", "127.0.0.1:9092"}});
//   app.Start();
//   brook::WaitForShutdownSignal();   // SIGTERM (Kubernetes stop) or SIGINT
//   app.Close();                      // commit, checkpoint, leave
//
// Configuration keys are listed by `brook config --list` and in src/runtime/README.md;
// every key may also come from the environment as BROOK_<KEY>.
//
// Errors: the constructor and Start() throw brook::Error naming the bad key, topic or node.
// Once running, a fatal error (a poison record under the "fail" handler, a store I/O error,
// a fenced producer) moves the state to kError and error() says what and where; call Close().
//
// Thread-safety: every method is thread-safe. Call BlockShutdownSignals() before starting
// any thread (first thing in main) so that WaitForShutdownSignal() receives the signals.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "brook/config.h"
#include "brook/ids.h"
#include "brook/topology.h"

namespace brook {

namespace runtime {
class Instance;
}  // namespace runtime

enum class StreamsState { kCreated, kRebalancing, kRunning, kPendingShutdown, kNotRunning, kError };

struct StreamsTaskInfo {
  TaskId id;
  std::string role;        // "active", "standby" or "warmup"
  bool restoring = false;  // active task still restoring its state
  uint64_t processed = 0;
  uint64_t restored = 0;
  int64_t lag = 0;           // changelog offsets behind (standby, warmup, restoring)
  int64_t max_stall_ms = 0;  // longest time its records waited without progress
  int64_t last_progress_ms = 0;
};

struct StreamsStatus {
  StreamsState state = StreamsState::kCreated;
  std::string error;
  std::string member_id;
  int32_t generation = -1;
  int rebalances = 0;
  std::vector<StreamsTaskInfo> tasks;
  uint64_t processed = 0;
  uint64_t restored = 0;
  uint64_t skipped = 0;
  uint64_t dead_lettered = 0;
  uint64_t commits = 0;
};

std::string_view StreamsStateName(StreamsState state);
// One JSON object (for status files and the /status endpoint).
std::string StatusToJson(const StreamsStatus& status);

class Streams {
 public:
  // Loads the configuration from `properties` (plus BROOK_* environment variables when
  // use_environment). Throws brook::Error naming a bad key or topology node.
  Streams(const Topology& topology, const std::map<std::string, std::string>& properties,
          bool use_environment = true);
  // Uses an already loaded configuration (schema from DefineKeys).
  Streams(const Topology& topology, const Config& config);
  ~Streams();  // Close() with shutdown.timeout.ms
  Streams(const Streams&) = delete;
  Streams& operator=(const Streams&) = delete;

  // Every configuration key an instance understands (client, group and runtime keys).
  static void DefineKeys(ConfigSchema& schema);

  // Throws brook::Error (broker unreachable, missing source topic, changelog mismatch).
  void Start();
  // Clean shutdown: finish in-flight work, commit, write checkpoints, leave the group as a
  // dynamic member (a static member stays until session.timeout.ms unless leave). Returns
  // false when something could not be committed or the instance had failed.
  bool Close(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000),
             bool leave = false);
  void SetDraining(bool draining);

  [[nodiscard]] StreamsState state() const;
  [[nodiscard]] StreamsStatus status() const;
  [[nodiscard]] std::string error() const;

 private:
  std::unique_ptr<runtime::Instance> impl_;
};

// Blocks SIGTERM and SIGINT in the calling thread (and every thread it creates later).
void BlockShutdownSignals();
// Waits for SIGTERM or SIGINT (blocked with BlockShutdownSignals); returns the signal.
int WaitForShutdownSignal();

}  // namespace brook
