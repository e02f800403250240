// The task assignor: which member of a brook application's group runs each task as active,
// which members keep standby replicas, and which members warm up a task's state before it
// moves to them (KIP-441 style), plus the cooperative revocation step (KIP-429 semantics).
//
// Contract: Assign() and ApplyCooperative() are pure, deterministic functions of their
// arguments: no I/O, no clock, no randomness, no unordered iteration; the same inputs in any
// member order give the same output. Assign() reports invalid input as a Status naming what
// was wrong (member, task, config field) and never throws. The rules, the algorithm, a worked
// example and the follow-up rebalance logic are in src/assignor/README.md.
//
// Thread-safety: free functions over values; safe to call concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "brook/ids.h"
#include "brook/status.h"

namespace brook::assignor {

// One task of the topology: one partition of one sub-topology.
struct TaskSpec {
  TaskId id;
  bool stateful = true;  // has state stores backed by changelog topics
};

// What one group member reported in its subscription.
struct MemberInfo {
  std::string member_id;         // group member id; unique and non-empty
  std::string process_id;        // brook process (pod); one member per process, unique if non-empty
  double capacity = 1.0;         // relative processing capacity; finite and > 0
  std::set<TaskId> prev_active;  // tasks this member ran as active last generation
  std::set<TaskId> prev_standby;  // standby and warmup copies it held last generation
  // Changelog records behind, for stateful tasks it has local state for (0 = fully caught
  // up). Absent = no local state (infinitely far behind). Entries for tasks that are not in
  // the task list are ignored; negative values are invalid.
  std::map<TaskId, int64_t> task_lag;
  // Measured load per task (busy fraction, records/s, ... one unit for the whole group),
  // reported by the task's current active owner. May be empty. Non-negative and finite.
  std::map<TaskId, double> task_load;
  int64_t state_bytes = 0;  // local state size (diagnostic only); >= 0
  std::string rack;         // empty = unknown
  // Being scaled away: it receives no new active task and no standby or warmup; its active
  // tasks move off once their new owner is caught up (it keeps them meanwhile).
  bool draining = false;
};

struct AssignorConfig {
  // Standby copies per stateful task, on members other than the active owner.
  int num_standby_replicas = 0;  // Default: 0
  // A member at most this many changelog records behind counts as caught up.
  int64_t acceptable_recovery_lag = 10000;  // Default: 10000
  // Warmup replicas for the whole group per rebalance; must be >= 1.
  int max_warmup_replicas = 2;  // Default: 2
  // Delay of the follow-up rebalance while warmups are pending (a member whose warmup
  // catches up rejoins earlier by itself; this is the fallback).
  int64_t probing_rebalance_interval_ms = 600000;  // Default: 600000 (10 min)
  // Load-aware mode: an assignment is balanced enough (kept as it is) while every member's
  // load stays within ideal share + this many mean task loads. Count mode instead keeps every
  // member within one task of its capacity-weighted share.
  double load_balance_slack_tasks = 1.0;  // Default: 1.0
};

struct MemberAssignment {
  std::set<TaskId> active;
  std::set<TaskId> standby;
  std::set<TaskId> warmup;  // standby copies restoring state for a planned move to this member
  bool operator==(const MemberAssignment&) const = default;
};

struct AssignmentResult {
  std::map<std::string, MemberAssignment> members;  // by member_id; every input member
  // A follow-up rebalance is needed: after followup_delay_ms, or 0 = immediately (the second
  // phase of a cooperative revocation). -1 = none.
  bool followup_rebalance = false;
  int64_t followup_delay_ms = -1;

  // Diagnostics.
  // Draining members left with no active task: safe to stop.
  std::set<std::string> drained_members;
  // Stateful tasks kept on a caught-up member while the member they should move to (the
  // value) warms up; a warmup exists for the first max_warmup_replicas of them.
  std::map<TaskId, std::string> pending_moves;
  // Set by ApplyCooperative: tasks left unassigned until their owner revoked them, with the
  // member the follow-up rebalance is expected to give them to.
  std::map<TaskId, std::string> withheld;
  int moved_tasks = 0;  // active tasks placed on a member other than their present owner
  // Owned tasks left with their owner because this rebalance placed unowned tasks; an
  // immediate follow-up rebalance (followup_delay_ms = 0) moves them. Default: 0.
  int deferred_moves = 0;
  int unowned_tasks = 0;     // tasks without a present previous owner (new, or owner gone)
  int warmup_count = 0;      // warmup replicas in this assignment
  int standby_count = 0;     // standby replicas in this assignment
  int missing_standbys = 0;  // standby copies that could not be placed (too few members)
  bool load_aware = false;   // balanced by measured load; else by capacity-weighted count
  // Max over receiving members of assigned active load / capacity (load = 1 a task in
  // count mode), for the assignment as it will run (including pending moves).
  double max_load_ratio = 0.0;
};

// Computes the assignment for one rebalance.
//
// Every task gets exactly one active owner among the non-draining members (all members if
// every member is draining), balanced by load when loads are known, else by capacity-weighted
// task count, and sticky. A stateful task goes active only on a caught-up member (its
// previous owner, or a non-draining member with lag <= acceptable_recovery_lag) when one
// exists; when its balanced owner is not caught up, the task stays and the balanced owner
// gets a warmup (at most max_warmup_replicas in the group). Standbys go on distinct
// non-draining members other than the active owner and the warmup holders. When some task has
// no present owner (new, orphaned, or revoked by a cooperative first phase), no owned task
// moves in this rebalance (deferred_moves; an immediate follow-up makes them), so the
// follow-up of a cooperative revocation never revokes again. followup_delay_ms is 0 when
// moves were deferred, else the probing interval while warmups are pending, else -1.
//
// Returns kInvalidArgument for: duplicate or empty member ids, duplicate process ids,
// capacity not finite or <= 0, negative state_bytes, lag or load, a non-finite load,
// duplicate or negative task ids, a task owned as active by two members, tasks but no
// members, or a config field out of range.
Result<AssignmentResult> Assign(const std::vector<MemberInfo>& members,
                                const std::vector<TaskSpec>& tasks, const AssignorConfig& config);

// The cooperative step (KIP-429): given what each member owned (prev_active) and the target
// from Assign(), removes from each member's active set every task that another member still
// owns as active, since that owner must revoke it first. If anything was withheld, sets
// followup_rebalance with followup_delay_ms = 0 so the withheld tasks get assigned in an
// immediate second rebalance, once revoked. `members` is the list given to Assign().
AssignmentResult ApplyCooperative(const std::vector<MemberInfo>& members, AssignmentResult target);

// A one-line-per-member rendering for logs and test failure messages, e.g.
// "m1: active=[0_0 0_1] standby=[0_2] warmup=[]".
std::string DebugString(const AssignmentResult& result);

}  // namespace brook::assignor
