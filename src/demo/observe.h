// What the elastic demo observes at each tick, and how a tick becomes a row of the live
// table (a demo::Sample): rates from the difference with the previous tick, the group's lag
// from offsets, rebalances from generations, stalls from the instances' stall trackers.
//
// Contract:
//   - ParseInstanceStatus() reads an instance's GET /status JSON (brook::StatusToJson) into
//     an InstanceView; kInvalidArgument naming the field when the JSON is not such a status.
//   - SampleBuilder::Add() takes observations in time order. The first gives rates of 0.
//     processed_rate sums, over instances seen at both ticks in the same process
//     (process_start_ms), the growth of `processed`; an instance that restarted contributes
//     its whole new count. input_rate is the growth of the input's end offsets. lag is end
//     offsets - committed offsets (a partition without a committed offset counts from 0).
//     rebalances counts generations after the first one seen. max_stall_ms is the longest
//     stall that happened in the interval: the ongoing stalls now, and any task's max stall
//     that grew since the previous tick (a new process's whole max stall).
//   - The desired replica count is the upper median of the instances' desired counts, as
//     `brook autoscale` computes it.
//
// Thread-safety: pure functions; SampleBuilder is a plain value for one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brook/status.h"
#include "demo/report.h"

namespace brook::demo {

struct InstanceView {
  int ordinal = 0;
  std::string state;             // "RUNNING", "REBALANCING", ... ("" when unreachable)
  bool ready = false;            // RUNNING, assigned, no active task restoring
  int64_t process_start_ms = 0;  // identifies the process (a restart changes it)
  int64_t processed = 0;         // records processed by this process
  int64_t generation = -1;
  int active_tasks = 0;
  std::optional<int> desired;  // its brook_desired_replicas
  // Per active task: the longest stall since the task started here.
  std::map<std::string, int64_t> task_max_stall_ms;
  int64_t ongoing_stall_ms = 0;  // the longest stall going on now (any partition)
};

[[nodiscard]] Result<InstanceView> ParseInstanceStatus(int ordinal, std::string_view json);

struct Observation {
  double t = 0;  // seconds since the demo started
  std::string phase;
  int replicas = 0;                     // the runner's wanted count
  std::vector<InstanceView> instances;  // the reachable ones
  std::optional<int64_t> end_offsets;   // sum over the input's partitions
  std::optional<int64_t> committed;     // the group's committed offsets, summed
};

// Upper median of the values (std::nullopt for none).
std::optional<int> UpperMedian(std::vector<int> values);

class SampleBuilder {
 public:
  Sample Add(const Observation& obs);

 private:
  struct Seen {
    int64_t process_start_ms = 0;
    int64_t processed = 0;
    std::map<std::string, int64_t> task_max_stall_ms;
  };
  std::optional<Observation> last_;
  std::map<int, Seen> seen_;
  int64_t first_generation_ = -1;
  int64_t max_generation_ = -1;
  int64_t last_lag_ = 0;
};

}  // namespace brook::demo
