#include "assignor/assignor.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <tuple>
#include <utility>

#include "assignor/balance.h"

namespace brook::assignor {
namespace {

using internal::kNoState;

// In load-aware mode a task weighs at least this fraction of the mean known task load, so
// idle tasks do not all pile up on one member.
constexpr double kMinTaskLoadFraction = 0.05;

size_t Idx(int i) {
  return static_cast<size_t>(i);
}

std::string Quote(const std::string& s) {
  return "\"" + s + "\"";
}

Status ValidateConfig(const AssignorConfig& c) {
  if (c.num_standby_replicas < 0) {
    return Status::InvalidArgument("assignor config num_standby_replicas must be >= 0, got " +
                                   std::to_string(c.num_standby_replicas));
  }
  if (c.acceptable_recovery_lag < 0) {
    return Status::InvalidArgument("assignor config acceptable_recovery_lag must be >= 0, got " +
                                   std::to_string(c.acceptable_recovery_lag));
  }
  if (c.max_warmup_replicas < 1) {
    return Status::InvalidArgument("assignor config max_warmup_replicas must be >= 1, got " +
                                   std::to_string(c.max_warmup_replicas));
  }
  if (c.probing_rebalance_interval_ms < 0) {
    return Status::InvalidArgument(
        "assignor config probing_rebalance_interval_ms must be >= 0, got " +
        std::to_string(c.probing_rebalance_interval_ms));
  }
  if (!std::isfinite(c.load_balance_slack_tasks) || c.load_balance_slack_tasks < 0) {
    return Status::InvalidArgument(
        "assignor config load_balance_slack_tasks must be finite and >= 0, got " +
        std::to_string(c.load_balance_slack_tasks));
  }
  return Status::Ok();
}

// The input, validated and indexed: members sorted by member id, tasks by TaskId.
struct Model {
  std::vector<const MemberInfo*> members;
  std::vector<TaskSpec> tasks;
  std::map<TaskId, int> task_index;
  std::vector<int> prev_owner;  // per task: member index or -1
  std::vector<bool> draining;   // per member: draining, unless every member is
  std::vector<int64_t> lag;     // [t * M + m]: 0 for the previous owner, kNoState if no state
  std::vector<double> weight;   // per task, load-aware mode
  bool load_aware = false;

  [[nodiscard]] int num_members() const { return static_cast<int>(members.size()); }
  [[nodiscard]] int num_tasks() const { return static_cast<int>(tasks.size()); }
  [[nodiscard]] int64_t Lag(int t, int m) const { return lag[Idx(t) * members.size() + Idx(m)]; }
};

Status ValidateMembers(const std::vector<MemberInfo>& members) {
  std::set<std::string> ids;
  std::map<std::string, std::string> processes;
  for (const MemberInfo& m : members) {
    if (m.member_id.empty()) return Status::InvalidArgument("a member has an empty member_id");
    if (!ids.insert(m.member_id).second) {
      return Status::InvalidArgument("duplicate member_id " + Quote(m.member_id));
    }
    if (!m.process_id.empty()) {
      auto [it, inserted] = processes.emplace(m.process_id, m.member_id);
      if (!inserted) {
        return Status::InvalidArgument("members " + Quote(it->second) + " and " +
                                       Quote(m.member_id) + " share process_id " +
                                       Quote(m.process_id));
      }
    }
    if (!std::isfinite(m.capacity) || m.capacity <= 0) {
      return Status::InvalidArgument("member " + Quote(m.member_id) +
                                     ": capacity must be finite and > 0, got " +
                                     std::to_string(m.capacity));
    }
    if (m.state_bytes < 0) {
      return Status::InvalidArgument("member " + Quote(m.member_id) +
                                     ": state_bytes must be >= 0, got " +
                                     std::to_string(m.state_bytes));
    }
  }
  return Status::Ok();
}

Result<Model> BuildModel(const std::vector<MemberInfo>& members,
                         const std::vector<TaskSpec>& tasks) {
  BROOK_RETURN_IF_ERROR(ValidateMembers(members));
  Model model;
  for (const MemberInfo& m : members) model.members.push_back(&m);
  std::sort(model.members.begin(), model.members.end(),
            [](const MemberInfo* a, const MemberInfo* b) { return a->member_id < b->member_id; });
  model.tasks = tasks;
  std::sort(model.tasks.begin(), model.tasks.end(),
            [](const TaskSpec& a, const TaskSpec& b) { return a.id < b.id; });
  for (size_t i = 0; i < model.tasks.size(); ++i) {
    const TaskId id = model.tasks[i].id;
    if (id.subtopology < 0 || id.partition < 0) {
      return Status::InvalidArgument("task " + id.ToString() + " has a negative id");
    }
    if (!model.task_index.emplace(id, static_cast<int>(i)).second) {
      return Status::InvalidArgument("task " + id.ToString() + " is listed twice");
    }
  }
  if (model.members.empty() && !model.tasks.empty()) {
    return Status::InvalidArgument("no members to assign " + std::to_string(model.tasks.size()) +
                                   " tasks to");
  }
  const int nm = model.num_members();
  const int nt = model.num_tasks();

  model.prev_owner.assign(Idx(nt), -1);
  for (int m = 0; m < nm; ++m) {
    const MemberInfo& info = *model.members[Idx(m)];
    for (const TaskId& id : info.prev_active) {
      auto it = model.task_index.find(id);
      if (it == model.task_index.end()) continue;  // a task that no longer exists
      int& owner = model.prev_owner[Idx(it->second)];
      if (owner >= 0) {
        return Status::InvalidArgument("task " + id.ToString() + " is owned as active by both " +
                                       Quote(model.members[Idx(owner)]->member_id) + " and " +
                                       Quote(info.member_id));
      }
      owner = m;
    }
    for (const auto& [id, lag] : info.task_lag) {
      if (model.task_index.count(id) != 0 && lag < 0) {
        return Status::InvalidArgument("member " + Quote(info.member_id) + ": lag of task " +
                                       id.ToString() + " is negative (" + std::to_string(lag) +
                                       ")");
      }
    }
    for (const auto& [id, load] : info.task_load) {
      if (model.task_index.count(id) != 0 && (!std::isfinite(load) || load < 0)) {
        return Status::InvalidArgument("member " + Quote(info.member_id) + ": load of task " +
                                       id.ToString() + " must be finite and >= 0, got " +
                                       std::to_string(load));
      }
    }
  }

  bool all_draining = true;
  for (const MemberInfo* m : model.members) all_draining = all_draining && m->draining;
  model.draining.assign(Idx(nm), false);
  for (int m = 0; m < nm; ++m)
    model.draining[Idx(m)] = model.members[Idx(m)]->draining && !all_draining;

  model.lag.assign(Idx(nt) * Idx(nm), kNoState);
  for (int m = 0; m < nm; ++m) {
    for (const auto& [id, lag] : model.members[Idx(m)]->task_lag) {
      auto it = model.task_index.find(id);
      if (it != model.task_index.end()) model.lag[Idx(it->second) * Idx(nm) + Idx(m)] = lag;
    }
  }
  for (int t = 0; t < nt; ++t) {
    if (model.prev_owner[Idx(t)] >= 0) {
      model.lag[Idx(t) * Idx(nm) + Idx(model.prev_owner[Idx(t)])] = 0;
    }
  }

  // Loads: the owner's report, else the highest report (a stale owner's, e.g. after a
  // cooperative revocation); unknown loads count as the mean known load.
  std::vector<double> load(Idx(nt), -1.0);
  double known_sum = 0;
  int known_count = 0;
  for (int t = 0; t < nt; ++t) {
    const TaskId id = model.tasks[Idx(t)].id;
    const int owner = model.prev_owner[Idx(t)];
    if (owner >= 0) {
      const auto& reports = model.members[Idx(owner)]->task_load;
      if (auto it = reports.find(id); it != reports.end()) load[Idx(t)] = it->second;
    }
    if (load[Idx(t)] < 0) {
      for (const MemberInfo* m : model.members) {
        if (auto it = m->task_load.find(id); it != m->task_load.end()) {
          load[Idx(t)] = std::max(load[Idx(t)], it->second);
        }
      }
    }
    if (load[Idx(t)] >= 0) {
      known_sum += load[Idx(t)];
      ++known_count;
    }
  }
  model.load_aware = known_count > 0 && known_sum > 0;
  model.weight.assign(Idx(nt), 1.0);
  if (model.load_aware) {
    const double mean = known_sum / known_count;
    for (int t = 0; t < nt; ++t) {
      const double w = load[Idx(t)] >= 0 ? load[Idx(t)] : mean;
      model.weight[Idx(t)] = std::max(w, kMinTaskLoadFraction * mean);
    }
  }
  return model;
}

internal::BalanceProblem MakeBalanceProblem(const Model& model, const AssignorConfig& config) {
  const int nm = model.num_members();
  const int nt = model.num_tasks();
  internal::BalanceProblem p;
  p.num_members = nm;
  p.num_tasks = nt;
  for (const MemberInfo* m : model.members) p.capacity.push_back(m->capacity);
  for (int m = 0; m < nm; ++m) p.eligible.push_back(!model.draining[Idx(m)]);
  p.weight = model.weight;
  for (const TaskSpec& t : model.tasks) p.stateful.push_back(t.stateful);
  p.prev_owner = model.prev_owner;
  p.cost.assign(Idx(nt) * Idx(nm), 0);
  for (int t = 0; t < nt; ++t) {
    if (!model.tasks[Idx(t)].stateful) continue;
    for (int m = 0; m < nm; ++m) p.cost[Idx(t) * Idx(nm) + Idx(m)] = model.Lag(t, m);
  }
  p.load_aware = model.load_aware;
  p.slack_tasks = config.load_balance_slack_tasks;
  return p;
}

// The member's state class for a task: 0 caught up, 1 partial local state, 2 none.
int StateClass(int64_t lag, const AssignorConfig& config) {
  if (lag <= config.acceptable_recovery_lag) return 0;
  return lag == kNoState ? 2 : 1;
}

}  // namespace

Result<AssignmentResult> Assign(const std::vector<MemberInfo>& members,
                                const std::vector<TaskSpec>& tasks, const AssignorConfig& config) {
  BROOK_RETURN_IF_ERROR(ValidateConfig(config));
  BROOK_ASSIGN_OR_RETURN(const Model model, BuildModel(members, tasks));
  const int nm = model.num_members();
  const int nt = model.num_tasks();

  AssignmentResult result;
  result.load_aware = model.load_aware;
  for (const MemberInfo* m : model.members) result.members[m->member_id];
  if (nt == 0) return result;

  // Caught up: the previous owner (even if draining: it keeps the task meanwhile), or a
  // non-draining member within acceptable_recovery_lag.
  auto caught_up = [&](int t, int m) {
    return m == model.prev_owner[Idx(t)] ||
           (!model.draining[Idx(m)] && model.Lag(t, m) <= config.acceptable_recovery_lag);
  };

  // Step 1, only when some task has no present owner (revoked by a cooperative first phase,
  // orphaned, or new): place those tasks without moving any owned task, so that the
  // follow-up of a cooperative revocation never revokes again. A stateful task whose
  // balanced place is not caught up goes to a caught-up member when one exists.
  internal::BalanceProblem problem = MakeBalanceProblem(model, config);
  std::vector<int> current = model.prev_owner;  // per task: its owner unless it moves
  const bool any_unowned = std::any_of(current.begin(), current.end(), [](int o) { return o < 0; });
  if (any_unowned) {
    internal::BalanceProblem fill_problem = problem;
    fill_problem.keep_owned = true;
    const internal::BalanceResult fill = internal::ComputeTargets(fill_problem);
    // Where the full balance wants the task: a task withheld by a cooperative first phase
    // goes where that phase meant it to go, not back to its old owner (which would make the
    // next balance move it again, and again).
    const internal::BalanceResult full = internal::ComputeTargets(problem);
    for (int t = 0; t < nt; ++t) {
      if (current[Idx(t)] >= 0) continue;
      const int wanted = full.target[Idx(t)];
      const bool wanted_ok = wanted >= 0 && !model.draining[Idx(wanted)] &&
                             (!model.tasks[Idx(t)].stateful || caught_up(t, wanted));
      const int target = wanted_ok ? wanted : fill.target[Idx(t)];
      int pick = target;
      if (model.tasks[Idx(t)].stateful && !caught_up(t, target)) {
        // The least loaded caught-up member, then the least lag.
        std::tuple<double, int64_t, int> best{};
        bool found = false;
        for (int m = 0; m < nm; ++m) {
          if (!caught_up(t, m)) continue;
          const std::tuple<double, int64_t, int> key{
              fill.load[Idx(m)] / model.members[Idx(m)]->capacity, model.Lag(t, m), m};
          if (!found || key < best) {
            pick = m;
            best = key;
            found = true;
          }
        }
      }
      current[Idx(t)] = pick;
      // The balance below treats it as owned by `pick`.
      problem.prev_owner[Idx(t)] = pick;
      problem.cost[Idx(t) * Idx(nm) + Idx(pick)] = 0;
    }
  }

  // Step 2: the balanced, sticky target of every task, and the caught-up rule. A stateful
  // task whose target is not caught up stays and the target gets a warmup (pending move).
  // After step 1, moves to caught-up targets wait for the probing follow-up instead.
  const internal::BalanceResult balance = internal::ComputeTargets(problem);
  std::vector<int> owner(Idx(nt), -1);
  std::vector<std::pair<int, int>> pending;  // (task, target)
  for (int t = 0; t < nt; ++t) {
    const int cur = current[Idx(t)];
    const int target = balance.target[Idx(t)];
    owner[Idx(t)] = cur;
    if (target == cur) continue;
    if (model.tasks[Idx(t)].stateful && !caught_up(t, target)) {
      pending.emplace_back(t, target);
    } else if (any_unowned) {
      ++result.deferred_moves;
    } else {
      owner[Idx(t)] = target;
    }
  }

  // Warmups, group-wide budget: continue existing copies first, then the least lag.
  std::vector<std::set<int>> warmup_holders(Idx(nt));
  {
    std::vector<std::tuple<int, int64_t, int, int>> order;
    for (const auto& [t, target] : pending) {
      const bool had_copy =
          model.members[Idx(target)]->prev_standby.count(model.tasks[Idx(t)].id) != 0;
      order.emplace_back(had_copy ? 0 : 1, model.Lag(t, target), t, target);
    }
    std::sort(order.begin(), order.end());
    int budget = config.max_warmup_replicas;
    for (const auto& [had_copy, lag, t, target] : order) {
      if (budget == 0) break;
      warmup_holders[Idx(t)].insert(target);
      --budget;
    }
  }

  // Standbys: distinct non-draining members other than the owner and the warmup holders;
  // spread across racks, within a capacity-weighted share of the standby count, preferring
  // members that hold state (their current copy first).
  std::vector<std::set<int>> standby_holders(Idx(nt));
  if (config.num_standby_replicas > 0) {
    std::vector<int> receivers;
    double receiver_capacity = 0;
    for (int m = 0; m < nm; ++m) {
      if (model.draining[Idx(m)]) continue;
      receivers.push_back(m);
      receiver_capacity += model.members[Idx(m)]->capacity;
    }
    int64_t expected = 0;
    for (int t = 0; t < nt; ++t) {
      if (!model.tasks[Idx(t)].stateful) continue;
      int64_t available = static_cast<int64_t>(receivers.size());
      if (!model.draining[Idx(owner[Idx(t)])]) --available;
      available -= static_cast<int64_t>(warmup_holders[Idx(t)].size());
      expected += std::max<int64_t>(0, std::min<int64_t>(config.num_standby_replicas, available));
    }
    std::vector<double> share(Idx(nm), 0.0);
    for (int m : receivers) {
      share[Idx(m)] = std::ceil(static_cast<double>(expected) * model.members[Idx(m)]->capacity /
                                    receiver_capacity -
                                1e-9);
    }
    std::vector<int> count(Idx(nm), 0);
    for (int t = 0; t < nt; ++t) {
      if (!model.tasks[Idx(t)].stateful) continue;
      const TaskId id = model.tasks[Idx(t)].id;
      std::set<std::string> used_racks;
      const std::string& owner_rack = model.members[Idx(owner[Idx(t)])]->rack;
      if (!owner_rack.empty()) used_racks.insert(owner_rack);
      for (int copy = 0; copy < config.num_standby_replicas; ++copy) {
        using Key = std::tuple<int, int, int, int, int64_t, double, int>;
        Key best{};
        int pick = -1;
        for (int m : receivers) {
          if (m == owner[Idx(t)] || warmup_holders[Idx(t)].count(m) != 0 ||
              standby_holders[Idx(t)].count(m) != 0) {
            continue;
          }
          const MemberInfo& info = *model.members[Idx(m)];
          const bool rack_clash = !info.rack.empty() && used_racks.count(info.rack) != 0;
          const bool had_copy = info.prev_standby.count(id) != 0 || info.prev_active.count(id) != 0;
          const Key key{rack_clash ? 1 : 0,
                        count[Idx(m)] >= share[Idx(m)] ? 1 : 0,
                        StateClass(model.Lag(t, m), config),
                        had_copy ? 0 : 1,
                        model.Lag(t, m),
                        count[Idx(m)] / info.capacity,
                        m};
          if (pick < 0 || key < best) {
            pick = m;
            best = key;
          }
        }
        if (pick < 0) {
          result.missing_standbys += config.num_standby_replicas - copy;
          break;
        }
        standby_holders[Idx(t)].insert(pick);
        ++count[Idx(pick)];
        const std::string& rack = model.members[Idx(pick)]->rack;
        if (!rack.empty()) used_racks.insert(rack);
      }
    }
  }

  // Assemble.
  std::vector<double> active_load(Idx(nm), 0.0);
  for (int t = 0; t < nt; ++t) {
    const TaskId id = model.tasks[Idx(t)].id;
    const int o = owner[Idx(t)];
    result.members[model.members[Idx(o)]->member_id].active.insert(id);
    active_load[Idx(balance.target[Idx(t)])] += model.load_aware ? model.weight[Idx(t)] : 1.0;
    if (model.prev_owner[Idx(t)] < 0) {
      ++result.unowned_tasks;
    } else if (model.prev_owner[Idx(t)] != o) {
      ++result.moved_tasks;
    }
    for (int m : warmup_holders[Idx(t)]) {
      result.members[model.members[Idx(m)]->member_id].warmup.insert(id);
      ++result.warmup_count;
    }
    for (int m : standby_holders[Idx(t)]) {
      result.members[model.members[Idx(m)]->member_id].standby.insert(id);
      ++result.standby_count;
    }
  }
  for (const auto& [t, target] : pending) {
    result.pending_moves[model.tasks[Idx(t)].id] = model.members[Idx(target)]->member_id;
  }
  for (int m = 0; m < nm; ++m) {
    const std::string& id = model.members[Idx(m)]->member_id;
    if (model.draining[Idx(m)] && result.members[id].active.empty()) {
      result.drained_members.insert(id);
    }
    result.max_load_ratio =
        std::max(result.max_load_ratio, active_load[Idx(m)] / model.members[Idx(m)]->capacity);
  }
  if (!pending.empty() || result.deferred_moves > 0) {
    result.followup_rebalance = true;
    // Deferred moves go to caught-up members: nothing to wait for, so the follow-up comes
    // at once (it has no unowned tasks left, so it makes them). Pending warmups alone wait
    // for their member's catch-up rejoin, with the probing interval as the fallback.
    result.followup_delay_ms = result.deferred_moves > 0 ? 0 : config.probing_rebalance_interval_ms;
  }
  return result;
}

AssignmentResult ApplyCooperative(const std::vector<MemberInfo>& members, AssignmentResult target) {
  std::map<TaskId, std::set<std::string>> owners;
  for (const MemberInfo& m : members) {
    for (const TaskId& id : m.prev_active) owners[id].insert(m.member_id);
  }
  auto has_state = [&members](const std::string& member_id, const TaskId& task) {
    return std::any_of(members.begin(), members.end(), [&](const MemberInfo& m) {
      return m.member_id == member_id && m.task_lag.contains(task);
    });
  };
  for (auto& [member_id, assignment] : target.members) {
    for (auto it = assignment.active.begin(); it != assignment.active.end();) {
      auto found = owners.find(*it);
      const bool owned_elsewhere =
          found != owners.end() &&
          std::any_of(found->second.begin(), found->second.end(),
                      [&, &id = member_id](const std::string& o) { return o != id; });
      if (owned_elsewhere) {
        target.withheld[*it] = member_id;
        // The receiver keeps its local copy current meanwhile (as a standby), so that it is
        // still caught up when the follow-up hands the task over.
        if (has_state(member_id, *it)) assignment.standby.insert(*it);
        it = assignment.active.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (!target.withheld.empty()) {
    target.followup_rebalance = true;
    target.followup_delay_ms = 0;
  }
  return target;
}

std::string DebugString(const AssignmentResult& result) {
  auto list = [](const std::set<TaskId>& tasks) {
    std::string s = "[";
    for (const TaskId& t : tasks) {
      if (s.size() > 1) s += ' ';
      s += t.ToString();
    }
    return s + "]";
  };
  std::ostringstream out;
  for (const auto& [id, a] : result.members) {
    out << id << ": active=" << list(a.active) << " standby=" << list(a.standby)
        << " warmup=" << list(a.warmup) << '\n';
  }
  if (!result.pending_moves.empty()) {
    out << "pending:";
    for (const auto& [t, m] : result.pending_moves) out << ' ' << t << "->" << m;
    out << '\n';
  }
  if (!result.withheld.empty()) {
    out << "withheld:";
    for (const auto& [t, m] : result.withheld) out << ' ' << t << "->" << m;
    out << '\n';
  }
  out << "followup=" << (result.followup_rebalance ? "yes" : "no")
      << " delay_ms=" << result.followup_delay_ms;
  return out.str();
}

}  // namespace brook::assignor
