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

struct LocalRunOptions {
  std::string name = "brook";
  int replicas = 1;
  std::string state_dir;
  int base_port = 7070;
  uint64_t grace_ms = 30000;
  std::vector<std::string> command;  // after "--"
};
// `brook local run`: supervises the instances in the foreground until SIGINT/SIGTERM.
[[nodiscard]] Status LocalRun(const LocalRunOptions& o, std::ostream& out);
// `brook local scale N` and `brook local status` against the runner of a state dir.
[[nodiscard]] Status LocalScale(const std::string& state_dir, int replicas, std::ostream& out);
[[nodiscard]] Status LocalStatus(const std::string& state_dir, bool json, std::ostream& out);

struct AutoscaleOptions {
  std::string target;               // local:<state-dir> | k8s:<ns>/<statefulset>
  std::string kubeconfig;           // k8s: a kubeconfig file instead of the in-cluster account
  std::string context;              // kubeconfig context ("" = current-context)
  std::string instances = "local";  // "local" or host:port,... (ordinal order)
  std::string instances_pattern;    // host:port with {ordinal} ({namespace}, {statefulset})
  std::string listen;               // "" = no HTTP server; else /metrics, /healthz there
  bool recommend_only = false;      // compute and export, never scale or drain
  bool check = false;               // validate the arguments, print the plan, exit
  uint64_t interval_ms = 15000;
  uint64_t scale_up_window_ms = 0;
  uint64_t scale_down_window_ms = 300000;
  uint64_t cooldown_ms = 60000;
  int max_scale_up_step = 0;
  int max_scale_down_step = 0;
  int min_replicas = 1;
  int max_replicas = 100;
  uint64_t drain_timeout_ms = 120000;
  uint64_t http_timeout_ms = 5000;
  bool once = false;  // one tick, then exit
};
// `brook autoscale`: the control loop until SIGINT/SIGTERM (or one tick with --once). Every
// argument is validated before any file is read or connection made (errors name the flag);
// with --check that is all it does: the plan is printed to `out`.
[[nodiscard]] Status Autoscale(const AutoscaleOptions& o, std::ostream& out);

struct DemoCliOptions {
  std::string app;       // the activity example's binary ("" = next to brook in the build tree)
  std::string work_dir;  // "" = /tmp/brook-demo-<time>
  std::string profile;   // "" = the default profile
  int partitions = 16;
  int64_t work_us = 250;
  int64_t users = 20000;
  int replicas = 1;
  int min_replicas = 1;
  int max_replicas = 4;
  uint64_t sample_interval_ms = 2000;
  uint64_t autoscale_interval_ms = 5000;
  uint64_t scale_down_window_ms = 30000;
  uint64_t cooldown_ms = 15000;
  uint64_t settle_timeout_ms = 180000;
  bool keep_topics = false;
};
// `brook demo`: the elastic demo (src/demo/elastic_demo.h).
[[nodiscard]] Status Demo(const Config& config, const DemoCliOptions& o, std::ostream& out);

}  // namespace brook::cli
