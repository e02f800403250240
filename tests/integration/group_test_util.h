// Shared by the group integration tests and the group member tool: a recording listener
// that plays a runtime with instant state restoration, and option defaults tuned for fast
// tests (short session timeout and heartbeats).
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "group/member.h"
#include "test_env.h"

namespace brook::testing {

// One callback as the member saw it.
struct GroupEvent {
  enum Kind { kRevoked, kLost, kAssigned } kind;
  std::set<TaskId> tasks;  // revoked/lost tasks, or the active set after an assignment
  int32_t generation = -1;
  std::set<TaskId> warmup;  // kAssigned: the warmup tasks of that assignment
};

// Plays the runtime: active tasks have changelog offset sum 1000; a warmup or standby copy
// "restores" instantly and then reports 1000 as well and, for warmups, asks for the rejoin
// that promotes it (brook's promote-as-soon-as-caught-up).
class RecordingListener : public group::GroupListener {
 public:
  group::GroupMember* member = nullptr;  // set after Create, for RequestRejoin

  group::LocalState GetLocalState() override {
    std::lock_guard lock(mu_);
    group::LocalState s;
    for (const TaskId& t : restored_) s.task_offset_sums[t] = 1000;
    return s;
  }
  void OnTasksRevoked(const std::set<TaskId>& tasks) override {
    std::lock_guard lock(mu_);
    events_.push_back({GroupEvent::kRevoked, tasks, -1});
  }
  void OnTasksLost(const std::set<TaskId>& tasks) override {
    std::lock_guard lock(mu_);
    events_.push_back({GroupEvent::kLost, tasks, -1});
  }
  void OnAssignment(const group::GroupAssignment& a) override {
    bool warmups = false;
    {
      std::lock_guard lock(mu_);
      events_.push_back({GroupEvent::kAssigned, a.active, a.generation, a.warmup});
      restored_.insert(a.active.begin(), a.active.end());
      restored_.insert(a.standby.begin(), a.standby.end());
      for (const TaskId& t : a.warmup) warmups |= restored_.insert(t).second;
    }
    if (warmups && member != nullptr) member->RequestRejoin("warmup caught up");
  }
  void OnFatalError(const Status& error) override {
    std::lock_guard lock(mu_);
    fatal_ = error;
  }

  std::vector<GroupEvent> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  Status fatal() const {
    std::lock_guard lock(mu_);
    return fatal_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<GroupEvent> events_;
  std::set<TaskId> restored_;
  Status fatal_;
};

inline group::GroupOptions FastGroupOptions(const std::string& group, const std::string& topic,
                                            int32_t partitions, bool stateful) {
  group::GroupOptions o;
  o.bootstrap_servers = Bootstrap();
  o.group_id = group;
  o.client_id = "brook-it";
  o.session_timeout = std::chrono::milliseconds(4000);
  o.heartbeat_interval = std::chrono::milliseconds(300);
  o.rebalance_timeout = std::chrono::milliseconds(15000);
  o.request_timeout = std::chrono::milliseconds(10000);
  o.topology.subtopologies = {{0, {topic}, stateful}};
  o.partition_counts =
      [topic, partitions](
          const std::vector<std::string>& topics) -> Result<std::map<std::string, int32_t>> {
    std::map<std::string, int32_t> out;
    for (const std::string& t : topics) {
      if (t != topic) return Status::NotFound("unknown topic " + t);
      out[t] = partitions;
    }
    return out;
  };
  return o;
}

}  // namespace brook::testing
