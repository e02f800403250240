// InteractiveQueries: reading state stores from outside the topology (Kafka Streams'
// interactive queries), over the instance's HTTP server and through brook::Streams.
//
// A key lives in one task: (the store's sub-topology, Kafka's default partition of the key
// bytes: murmur2 positive % the partition count of the sub-topology's source topics). That
// task runs on one instance. A request for a key whose task is active here is answered from
// the local store; otherwise the host map of the last assignment (AssignmentInfo v2) names
// the instance that runs it and the request is forwarded there (one hop: a forwarded request
// is never forwarded again) and its answer passed on; when nobody is known to run it (a
// rebalance moves it, the owner advertises no application.server, no assignment yet) the
// answer is 503 with a JSON error saying why. Range and full scans answer for this
// instance's active tasks, or with scope=all fan out to every instance of the host map and
// merge, checking that every task answered exactly once.
//
// HTTP (JSON; errors are {"error": "...", "store": ..., ...}):
//   GET /stores                                 stores, kinds, tasks and where they run
//   GET /stores/<store>                         the same for one store
//   GET /stores/<store>/keys/<key>              key-value: 200 {"key","value","task"} or 404;
//       [?from=<ms>&to=<ms>&limit=]             window: the key's windows in [from, to];
//                                               session: the key's sessions
//   GET /stores/<store>/range?from=&to=[&limit=&scope=all]   key-value, bounds inclusive and
//                                               optional, key text like <key>
//   GET /stores/<store>/all[?limit=&scope=all]  key-value: every entry; window: every window
//       [&from=<ms>&to=<ms>]                    in [from, to]
// Answers carry X-Brook-Answered-By: the endpoint (application.server, or "local" when none
// is set) of the instance whose store answered. Status codes: 400 bad key text, bad
// parameter or a store without a query codec; 404 unknown store, absent key; 503 the owner
// is unknown, restoring, or unreachable (retry).
//
// Consistency: reads see the store as the stream thread left it after its last batch,
// including writes not committed yet (as in Kafka Streams; under exactly_once_v2 they may
// be rolled back by a crash). Standby replicas are not queried.
//
// Thread-safety: every method is thread-safe; handlers run on the HTTP server's threads.
// The backend decides how a store is read safely (see QueryBackend).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "brook/ids.h"
#include "brook/status.h"
#include "brook/stores.h"
#include "group/user_data.h"
#include "http/server.h"
#include "runtime/task_state.h"

namespace brook::runtime {

// What the last assignment says about where tasks run.
struct QueryRouting {
  std::string self;               // this instance's endpoint (application.server); may be ""
  bool assigned = false;          // an assignment was received
  int32_t generation = -1;        // of that assignment
  std::string state;              // the instance state, for error messages
  group::HostMap host_map;        // endpoint -> active/standby tasks
  std::set<TaskId> local_active;  // active tasks of this instance (a hint; see WithActiveTask)
};

// The instance side of interactive queries.
class QueryBackend {
 public:
  virtual ~QueryBackend() = default;
  [[nodiscard]] virtual QueryRouting Routing() const = 0;
  // Runs fn with the stores of active task `task` while no stream thread processes it (the
  // task's stores are never closed or restored while fn runs). kNotFound when the task is
  // not active on this instance; kUnavailable when it is but cannot be read now (restoring,
  // failed, the instance busy with a rebalance for too long), saying why; else fn's status.
  [[nodiscard]] virtual Status WithActiveTask(
      const TaskId& task, const std::function<Status(TaskStateAccess&)>& fn) = 0;
  // Partition count of a source topic.
  [[nodiscard]] virtual Result<int32_t> TopicPartitions(const std::string& topic) = 0;
};

// A store of the topology as queries see it.
struct QueryStore {
  std::string name;
  StoreKind kind = StoreKind::kKeyValue;
  int32_t subtopology = 0;
  std::vector<std::string> source_topics;        // of the sub-topology; non-empty
  std::shared_ptr<const StoreQueryCodec> codec;  // nullptr: not queryable over HTTP
};

struct InteractiveQueryOptions {
  // Forwarded requests and fan-out calls wait this long for the peer. Default: 5 s
  std::chrono::milliseconds forward_timeout{5000};
  // Entries of a range/all/window answer without limit=. Default: 1000
  size_t default_limit = 1000;
  // The largest limit= accepted. Default: 100000
  size_t max_limit = 100000;
};

// Where a key lives.
struct KeyLocation {
  TaskId task;
  int32_t partitions = 0;            // of the store's sub-topology
  std::string active;                // endpoint running the task; "" when unknown
  std::vector<std::string> standby;  // endpoints with a standby replica
  bool local = false;                // the task is active on this instance (per the hint)
};

class InteractiveQueries {
 public:
  InteractiveQueries(std::vector<QueryStore> stores, QueryBackend& backend,
                     InteractiveQueryOptions options);

  // Registers the /stores routes.
  [[nodiscard]] Status RegisterRoutes(http::HttpServer& server);

  // Programmatic access (brook::Streams). kNotFound for an unknown store.
  [[nodiscard]] Result<KeyLocation> Locate(std::string_view store, std::string_view key_bytes);
  // The value bytes of a key-value store's key from the local active task; nullopt when the
  // key is absent. kInvalidArgument for a window or session store; kUnavailable when the
  // key's task is not active and readable here (naming the owner's endpoint when known).
  [[nodiscard]] Result<std::optional<std::string>> GetLocal(std::string_view store,
                                                            std::string_view key_bytes);
  // Every endpoint of the host map with its tasks and the stores those tasks hold.
  struct HostInfo {
    std::string endpoint;
    std::set<TaskId> active;
    std::set<TaskId> standby;
    std::set<std::string> stores;  // stores of the sub-topologies of its active tasks
    bool local = false;            // this instance
  };
  [[nodiscard]] std::vector<HostInfo> Hosts() const;

 private:
  struct Scan;
  [[nodiscard]] const QueryStore* FindStore(std::string_view name) const;
  [[nodiscard]] Result<int32_t> Partitions(const QueryStore& store, int32_t generation);
  [[nodiscard]] std::string Self(const QueryRouting& routing) const;

  http::HttpResponse ListStores(const http::HttpRequest& req);
  http::HttpResponse DescribeStore(const http::HttpRequest& req);
  http::HttpResponse GetKey(const http::HttpRequest& req);
  http::HttpResponse ScanRange(const http::HttpRequest& req);
  http::HttpResponse ScanAll(const http::HttpRequest& req);
  http::HttpResponse RunScan(const http::HttpRequest& req, const QueryStore& store, Scan& scan);
  [[nodiscard]] nlohmann::json StoreJson(const QueryStore& store, const QueryRouting& routing);
  // Reads `task` locally into a response (key lookups).
  http::HttpResponse LocalKey(const QueryStore& store, const TaskId& task,
                              const std::string& key_text, const std::string& key_bytes,
                              const http::HttpRequest& req, const QueryRouting& routing,
                              Status* not_here);
  http::HttpResponse Forward(const std::string& endpoint, const http::HttpRequest& req,
                             const QueryRouting& routing, const nlohmann::json& context);

  const std::vector<QueryStore> stores_;
  QueryBackend& backend_;
  const InteractiveQueryOptions options_;

  std::mutex mu_;
  struct CachedCount {
    int32_t generation = -1;
    int32_t partitions = 0;
  };
  std::map<int32_t, CachedCount> partitions_;  // by sub-topology; guarded by mu_
};

// The header naming the instance that answered.
inline constexpr std::string_view kAnsweredByHeader = "X-Brook-Answered-By";
// Set on forwarded requests: the receiver answers from its own tasks only.
inline constexpr std::string_view kForwardedHeader = "X-Brook-Forwarded";

}  // namespace brook::runtime
