// Helpers for the assignor tests: building inputs, and checking the invariants every
// assignment must satisfy with code independent of the assignor's own.
//
// Thread-safety: pure functions over values.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "assignor/assignor.h"

namespace brook::assignor::testing {

inline TaskId Task(int subtopology, int partition) {
  return TaskId{subtopology, partition};
}

// n tasks 0_0 .. 0_{n-1} (or of the given subtopology).
inline std::vector<TaskSpec> MakeTasks(int n, bool stateful, int subtopology = 0) {
  std::vector<TaskSpec> out;
  out.reserve(static_cast<size_t>(std::max(n, 0)));
  for (int p = 0; p < n; ++p) out.push_back({.id = Task(subtopology, p), .stateful = stateful});
  return out;
}

inline MemberInfo MakeMember(const std::string& id, double capacity = 1.0) {
  MemberInfo m;
  m.member_id = id;
  m.process_id = "proc-" + id;
  m.capacity = capacity;
  return m;
}

// Marks `tasks` as m's previous active tasks, with lag 0 (running actives are caught up).
inline void Own(MemberInfo* m, const std::vector<TaskId>& tasks) {
  for (const TaskId& t : tasks) {
    m->prev_active.insert(t);
    m->task_lag[t] = 0;
  }
}

inline std::map<TaskId, std::string> ActiveOwners(const AssignmentResult& r) {
  std::map<TaskId, std::string> out;
  for (const auto& [id, a] : r.members) {
    for (const TaskId& t : a.active) out[t] = id;
  }
  return out;
}

// Tasks whose active owner differs from their previous owner (when that owner is present).
inline int CountMoves(const std::vector<MemberInfo>& members, const AssignmentResult& r) {
  const std::map<TaskId, std::string> owners = ActiveOwners(r);
  int moves = 0;
  for (const MemberInfo& m : members) {
    for (const TaskId& t : m.prev_active) {
      auto it = owners.find(t);
      if (it != owners.end() && it->second != m.member_id) ++moves;
    }
  }
  return moves;
}

// Every broken invariant, as readable lines; empty = valid. With allow_withheld, a task may
// have no active owner (the output of ApplyCooperative).
inline std::vector<std::string> Violations(const std::vector<MemberInfo>& members,
                                           const std::vector<TaskSpec>& tasks,
                                           const AssignorConfig& config, const AssignmentResult& r,
                                           bool allow_withheld = false) {
  std::vector<std::string> out;
  std::map<TaskId, bool> stateful;
  for (const TaskSpec& t : tasks) stateful[t.id] = t.stateful;
  const bool all_draining =
      std::all_of(members.begin(), members.end(), [](const MemberInfo& m) { return m.draining; });
  std::map<std::string, const MemberInfo*> by_id;
  for (const MemberInfo& m : members) by_id[m.member_id] = &m;
  auto draining = [&](const MemberInfo& m) { return m.draining && !all_draining; };

  if (r.members.size() != members.size()) out.push_back("member count differs from the input");
  std::map<TaskId, int> active_count;
  std::map<TaskId, int> standby_count;
  int warmups = 0;
  for (const auto& [id, a] : r.members) {
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      out.push_back("unknown member " + id);
      continue;
    }
    const MemberInfo& info = *it->second;
    auto check_known = [&, &id = id](const std::set<TaskId>& s, const char* what) {
      for (const TaskId& t : s) {
        if (stateful.count(t) == 0)
          out.push_back(id + ": unknown " + what + " task " + t.ToString());
      }
    };
    check_known(a.active, "active");
    check_known(a.standby, "standby");
    check_known(a.warmup, "warmup");
    for (const TaskId& t : a.active) {
      ++active_count[t];
      if (a.standby.count(t) != 0 || a.warmup.count(t) != 0) {
        out.push_back(id + ": " + t.ToString() + " is active and a standby/warmup copy");
      }
      if (draining(info) && info.prev_active.count(t) == 0) {
        out.push_back(id + ": draining member got new active " + t.ToString());
      }
    }
    for (const TaskId& t : a.standby) {
      ++standby_count[t];
      if (a.warmup.count(t) != 0) out.push_back(id + ": " + t.ToString() + " standby and warmup");
      if (stateful.count(t) != 0 && !stateful[t]) {
        out.push_back(id + ": standby of stateless " + t.ToString());
      }
    }
    for (const TaskId& t : a.warmup) {
      ++warmups;
      if (stateful.count(t) != 0 && !stateful[t]) {
        out.push_back(id + ": warmup of stateless " + t.ToString());
      }
    }
    if (draining(info) && (!a.standby.empty() || !a.warmup.empty())) {
      out.push_back(id + ": draining member got a standby or warmup");
    }
  }
  for (const TaskSpec& t : tasks) {
    const int n = active_count[t.id];
    if (n > 1 || (n == 0 && !allow_withheld)) {
      out.push_back(t.id.ToString() + " has " + std::to_string(n) + " active owners");
    }
    // ApplyCooperative keeps a withheld task's state on its receiver as one extra standby.
    const int extra = allow_withheld && r.withheld.contains(t.id) ? 1 : 0;
    if (standby_count[t.id] > config.num_standby_replicas + extra) {
      out.push_back(t.id.ToString() + " has too many standbys");
    }
  }
  if (warmups > config.max_warmup_replicas) {
    out.push_back(std::to_string(warmups) + " warmups exceed max_warmup_replicas");
  }
  if (warmups > 0 && (!r.followup_rebalance || r.followup_delay_ms < 0)) {
    out.push_back("warmups without a follow-up rebalance");
  }
  // A stateful active goes on a caught-up member when one exists.
  const std::map<TaskId, std::string> owners = ActiveOwners(r);
  for (const TaskSpec& t : tasks) {
    if (!t.stateful || owners.count(t.id) == 0) continue;
    std::set<std::string> caught_up;
    for (const MemberInfo& m : members) {
      auto lag = m.task_lag.find(t.id);
      const bool within =
          !draining(m) && lag != m.task_lag.end() && lag->second <= config.acceptable_recovery_lag;
      if (m.prev_active.count(t.id) != 0 || within) caught_up.insert(m.member_id);
    }
    if (!caught_up.empty() && caught_up.count(owners.at(t.id)) == 0) {
      out.push_back(t.id.ToString() + " active on " + owners.at(t.id) +
                    " which is not caught up, though a caught-up member exists");
    }
  }
  return out;
}

// Builds next generation's input from a final assignment: prev_active/prev_standby are
// replaced, everything else is kept.
inline void FeedBack(const AssignmentResult& r, std::vector<MemberInfo>* members) {
  for (MemberInfo& m : *members) {
    auto it = r.members.find(m.member_id);
    m.prev_active.clear();
    m.prev_standby.clear();
    if (it == r.members.end()) continue;
    m.prev_active = it->second.active;
    m.prev_standby = it->second.standby;
    m.prev_standby.insert(it->second.warmup.begin(), it->second.warmup.end());
  }
}

}  // namespace brook::assignor::testing
