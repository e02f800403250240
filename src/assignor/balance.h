// Internal to src/assignor: the balanced, sticky *target* owner of every active task, before
// the caught-up rule (which may keep a stateful task on its current owner while the target
// warms up). Callers use indexes: members sorted by member id, tasks sorted by TaskId, so the
// result does not depend on input order.
//
// Contract: ComputeTargets() is a pure, deterministic function. Preconditions: at least one
// eligible member; capacity > 0 for every eligible member; all vectors sized consistently.
// Postcondition: every task has a target among the eligible members (with keep_owned, a task
// with an eligible previous owner keeps it).
//
// Thread-safety: pure function over values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace brook::assignor::internal {

// Move cost meaning "this member has no local state for the task".
inline constexpr int64_t kNoState = std::numeric_limits<int64_t>::max();

struct BalanceProblem {
  int num_members = 0;
  int num_tasks = 0;
  std::vector<double> capacity;  // per member
  std::vector<bool> eligible;    // per member: may be a target
  std::vector<double> weight;    // per task: load (load-aware mode); ignored in count mode
  std::vector<bool> stateful;    // per task
  std::vector<int> prev_owner;   // per task: member index, or -1
  // Cost of making member m the owner of task t, row-major [t * num_members + m]: 0 for
  // stateless tasks and for the previous owner, else m's changelog lag, or kNoState.
  std::vector<int64_t> cost;
  bool load_aware = false;
  double slack_tasks = 1.0;  // load-aware tolerance, in mean task loads
  // Place only the tasks without an eligible previous owner; every other task keeps its owner
  // (members over their share stay over it).
  bool keep_owned = false;

  [[nodiscard]] int64_t Cost(int t, int m) const {
    return cost[static_cast<size_t>(t) * static_cast<size_t>(num_members) + static_cast<size_t>(m)];
  }
};

struct BalanceResult {
  std::vector<int> target;   // per task: member index
  std::vector<double> load;  // per member: assigned load (task count in count mode)
};

BalanceResult ComputeTargets(const BalanceProblem& problem);

}  // namespace brook::assignor::internal
