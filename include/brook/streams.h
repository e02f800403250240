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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brook/config.h"
#include "brook/ids.h"
#include "brook/state/serde.h"
#include "brook/topology.h"

namespace brook {

namespace runtime {
class Instance;
}  // namespace runtime

enum class StreamsState { kCreated, kRebalancing, kRunning, kPendingShutdown, kNotRunning, kError };

// One source partition of an active task (its input as the task sees it).
struct StreamsPartitionInfo {
  std::string topic;
  int32_t partition = 0;
  uint64_t consumed = 0;     // records fetched into the task since it started here
  int64_t position = -1;     // next offset to process; -1 unknown (nothing fetched/committed)
  int64_t end_offset = -1;   // log end offset (high watermark) as last seen; -1 unknown
  int64_t lag = -1;          // end_offset - position, >= 0; -1 when either is unknown
  uint64_t buffered = 0;     // fetched, not processed yet
  int64_t stall_ms = 0;      // records have waited this long without progress (0: none)
  int64_t max_stall_ms = 0;  // longest such wait since the task started here
};

struct StreamsTaskInfo {
  TaskId id;
  std::string role;        // "active", "standby" or "warmup"
  bool restoring = false;  // active task still restoring its state
  uint64_t processed = 0;
  // Records its processors dropped on purpose (ProcessingContext::RecordDropped; Kafka
  // Streams' dropped-records): late records, null keys in aggregations, ...
  uint64_t dropped = 0;
  uint64_t restored = 0;
  int64_t lag = 0;           // changelog offsets behind (standby, warmup, restoring)
  int64_t max_stall_ms = 0;  // longest time its records waited without progress
  int64_t last_progress_ms = 0;
  // Active tasks: input. consumed = records fetched, skipped = deserialization errors
  // skipped by the handler; input_lag = sum of the partitions' lag (-1 unknown).
  uint64_t consumed = 0;
  uint64_t skipped = 0;
  int64_t input_lag = -1;
  // Time its stream thread spent processing and punctuating it (not waiting for records).
  double busy_seconds = 0;
  uint64_t punctuations = 0;
  // Restore (active: to the changelog end; standby/warmup: following it), in changelog
  // offsets: restore_total = offsets to read since registration (upper bound of records),
  // restore_done = read so far, lag above = still to read. ETA in seconds, -1 unknown.
  int64_t restore_total = 0;
  int64_t restore_done = 0;
  double restore_eta_seconds = -1;
  // Active tasks: wall-clock ms (since the epoch) when the task was created needing a
  // restore, and when the restore finished and it started processing; -1: not applicable
  // (no changelogged state) or not yet.
  int64_t restore_started_ms = -1;
  int64_t restore_finished_ms = -1;
  // Bytes of its local state on disk (RocksDB files of its task directory); -1 unknown.
  int64_t state_bytes = -1;
  std::vector<StreamsPartitionInfo> partitions;  // active tasks, sorted
};

// One thread of the instance: "stream-<i>" (processing) or "restore".
struct StreamsThreadInfo {
  std::string name;
  bool alive = false;        // its loop runs (false once it exited)
  int64_t last_loop_ms = 0;  // wall clock of its last loop iteration
  // Time spent working: stream threads processing, punctuating and committing (not
  // waiting in poll); the restore thread applying changelog records.
  double busy_seconds = 0;
  int tasks = 0;  // active tasks (stream thread) or registered changelog tasks (restore)
};

// A rebalance as this instance lived it: from its start (the member starts to join, or tasks
// are revoked or lost) until every active task of the new assignment runs (restored).
struct StreamsRebalanceInfo {
  int32_t generation = -1;      // of the last assignment in it
  int64_t started_ms = 0;       // wall clock
  int64_t finished_ms = -1;     // -1 while active tasks are still restoring
  int64_t duration_ms = -1;     // finished - started; -1 while in progress
  std::vector<TaskId> added;    // active tasks it gained
  std::vector<TaskId> removed;  // active tasks it gave up (revoked or lost)
  int active = 0;               // active tasks after it
};

// This instance's view of the scaling signal (src/metrics/README.md).
struct StreamsScalingInfo {
  int desired_replicas = -1;  // brook_desired_replicas; -1 before the first decision
  int current_replicas = -1;  // members of the group
  std::string basis;          // model, idle, hold_no_rate, hold_no_input_rate, ...
  std::string reason;         // one line, e.g. "9 replicas = ceil(...)"
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
  // Records processors dropped on purpose, every task of this instance since start.
  uint64_t dropped = 0;
  uint64_t dead_lettered = 0;
  uint64_t commits = 0;
  std::string application_id;
  std::string instance_id;                 // group.instance.id, else the process id of the group
  int64_t process_start_ms = 0;            // when the instance was created (wall clock)
  int64_t now_ms = 0;                      // when this status was taken
  bool assigned = false;                   // holds an assignment of the current generation
  uint64_t consumed = 0;                   // records fetched, every task since start
  double busy_seconds = 0;                 // every stream thread since start
  std::vector<StreamsThreadInfo> threads;  // stream threads, then "restore"
  std::vector<StreamsRebalanceInfo> recent_rebalances;  // oldest first, at most 10
  StreamsScalingInfo scaling;
};

inline std::string_view StreamsStateName(StreamsState state) {
  switch (state) {
    case StreamsState::kCreated:
      return "CREATED";
    case StreamsState::kRebalancing:
      return "REBALANCING";
    case StreamsState::kRunning:
      return "RUNNING";
    case StreamsState::kPendingShutdown:
      return "PENDING_SHUTDOWN";
    case StreamsState::kNotRunning:
      return "NOT_RUNNING";
    case StreamsState::kError:
      return "ERROR";
  }
  return "?";
}
// One JSON object (for status files and the /status endpoint): every field above, unknown
// values (-1) as null.
std::string StatusToJson(const StreamsStatus& status);

// Interactive queries: one instance of the application as the last assignment describes it
// (Kafka Streams' StreamsMetadata). Only instances that set application.server are listed.
struct StreamsHostInfo {
  std::string endpoint;               // its application.server, "host:port"
  std::vector<TaskId> active_tasks;   // sorted
  std::vector<TaskId> standby_tasks;  // sorted
  std::vector<std::string> stores;    // stores of its active tasks, sorted
  bool local = false;                 // this instance
};

// Where the key of a store lives (Kafka Streams' KeyQueryMetadata).
struct StreamsKeyLocation {
  TaskId task;                                 // sub-topology of the store, key's partition
  std::string active_endpoint;                 // "" when unknown (rebalancing, no endpoint)
  std::vector<std::string> standby_endpoints;  // instances with a standby replica
  bool local = false;                          // the task is active on this instance
};

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
  // dynamic member (a static member stays until session.timeout.ms unless leave or it is
  // draining: SetDraining(true), POST /drain, means it is being scaled away). Returns
  // false when something could not be committed or the instance had failed.
  bool Close(std::chrono::milliseconds timeout = std::chrono::milliseconds(30000),
             bool leave = false);
  void SetDraining(bool draining);

  [[nodiscard]] StreamsState state() const;
  [[nodiscard]] StreamsStatus status() const;
  [[nodiscard]] std::string error() const;

  // Interactive queries (src/runtime/README.md, "Interactive queries"). The same data the
  // HTTP server (http.listen) serves at /stores, for applications with their own server.
  // Do not call them from a processor or punctuator (kFailedPrecondition).
  //
  // Every instance of the group with an application.server, from the last assignment.
  [[nodiscard]] std::vector<StreamsHostInfo> HostMap() const;
  // Where the serialized key of `store` lives. Throws brook::Error: kNotFound for an unknown
  // store, kUnavailable when the partition count of its source topics is not known yet.
  [[nodiscard]] StreamsKeyLocation LocateKey(std::string_view store,
                                             std::string_view key_bytes) const;
  // The value bytes of a serialized key in a key-value store of a task active on this
  // instance; nullopt when the key is absent. Throws brook::Error: kNotFound (unknown
  // store), kInvalidArgument (not a key-value store), kUnavailable (the key's task is not
  // active and running here: another instance's, restoring, or moving — the message names
  // the owner's endpoint when known; ask it, or retry).
  [[nodiscard]] std::optional<std::string> QueryKeyValue(std::string_view store,
                                                         std::string_view key_bytes) const;
  // The same with typed keys and values through serdes (the store's own).
  template <typename K, typename V, typename KS = state::DefaultSerde<K>,
            typename VS = state::DefaultSerde<V>>
  [[nodiscard]] std::optional<V> QueryKeyValue(std::string_view store, const K& key,
                                               const KS& key_serde = KS(),
                                               const VS& value_serde = VS()) const {
    const std::string key_bytes = key_serde.Serialize(key);
    std::optional<std::string> bytes = QueryKeyValue(store, std::string_view(key_bytes));
    if (!bytes) return std::nullopt;
    return value_serde.Deserialize(*bytes).ValueOrThrow();
  }

 private:
  std::unique_ptr<runtime::Instance> impl_;
};

// Blocks SIGTERM and SIGINT in the calling thread (and every thread it creates later).
void BlockShutdownSignals();
// Waits for SIGTERM or SIGINT (blocked with BlockShutdownSignals); returns the signal.
int WaitForShutdownSignal();

}  // namespace brook
