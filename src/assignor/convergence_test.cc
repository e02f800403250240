// Randomized multi-round simulation of a group driven by Assign() + ApplyCooperative().
//
// Each seed builds a task set and a config, then runs kRounds generations. Each generation:
// membership events (joins, leaves, draining flags, capacity changes; only during the first
// kChurnRounds, except that drained members always leave), MemberInfo built from the previous
// generation's result, Assign, ApplyCooperative, and, when the result asks for an immediate
// follow-up (withheld tasks), a second Assign + ApplyCooperative at once, which must withhold
// nothing. Between generations warmup and standby copies catch up by a random amount. Lag
// entries exist only for tasks a member holds or was just assigned (the active owner has lag
// 0; a new copy starts behind acceptable_recovery_lag). Members subscribe in a shuffled order.
//
// Checked every generation: the invariants of testing::Violations (one active owner per task
// after the follow-up, no task both active and standby/warmup on a member, caught-up
// placement, draining members get nothing new, warmup budget); the follow-up hint (0 after
// withholding or deferring, else the probing interval iff warmups are pending); and
// drained_members. Checked after membership stops changing: within kConvergeRounds the
// group is stable (the same assignment again, no warmups, no follow-up), with no draining
// member left, and balanced (count mode: every member within one task of its
// capacity-weighted share; load mode: every member within its allowance, ideal share +
// load_balance_slack_tasks mean task loads, unless it runs a single task). Once stable, one
// member joins: that generation moves at most ceil(share of the new member) + 1 tasks (+ 2
// in load mode), and
// the moves up to the next stable state are bounded the same way.
//
// Failure messages start with the seed and generation, the events and the rebalances of
// that generation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "assignor/assignor.h"
#include "assignor/test_util.h"

namespace brook::assignor {
namespace {

constexpr int kSeeds = 20;
constexpr int kRounds = 60;
constexpr int kChurnRounds = 20;
// Generations from the last membership change (a drained member leaving counts) to a
// stable, balanced assignment. The worst over these seeds is 7 (warmups catch up in at most
// 5 generations here, and max_warmup_replicas can be 1).
constexpr int kConvergeRounds = 12;
// The stable group gets one more member at this generation (if stable by then).
constexpr int kJoinRound = 40;
// Immediate rebalances in a row within one generation: a cooperative revocation and its
// follow-up.
constexpr int kMaxPhases = 12;
// As group::GroupMember does: immediate follow-ups for deferred moves only, in a row.
constexpr int kMaxDeferredFollowups = 3;

// SplitMix64: the same sequence on every platform and standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  int64_t Uniform(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Percent(int p) { return Uniform(0, 99) < p; }

 private:
  uint64_t state_;
};

class GroupSim {
 public:
  GroupSim(uint64_t seed, bool load_mode) : seed_(seed), load_mode_(load_mode), rng_(seed) {
    const int n = static_cast<int>(rng_.Uniform(4, 24));
    for (int p = 0; p < n; ++p) {
      TaskSpec t{.id = TaskId{static_cast<int32_t>(p % 2), p / 2}, .stateful = rng_.Percent(70)};
      tasks_.push_back(t);
      if (load_mode_) load_[t.id] = static_cast<double>(rng_.Uniform(1, 20)) / 4.0;
    }
    config_.num_standby_replicas = static_cast<int>(rng_.Uniform(0, 2));
    config_.max_warmup_replicas = static_cast<int>(rng_.Uniform(1, 3));
    use_racks_ = rng_.Percent(50);
    for (int i = 0; i < 3; ++i) Join();
  }

  // Runs every generation; returns the first failure ("" = none).
  std::string Run() {
    for (round_ = 0; round_ < kRounds; ++round_) {
      events_.clear();
      bool changed = false;
      // Drained members are stopped (scale-down completes).
      for (const std::string& id : drained_) {
        Remove(id);
        changed = true;
      }
      drained_.clear();
      int joins = 0;
      if (round_ < kChurnRounds) {
        changed = Churn(&joins) || changed;
      } else if (round_ == kJoinRound && stable_) {
        Join();
        joins = 1;
        changed = true;
        join_check_ = true;
        join_done_ = true;
        join_moves_ = 0;
        join_bound_ = JoinBound();
      }
      if (changed) last_change_ = round_;
      const bool check_join_round = joins == 1 && events_.size() == 1 && stable_;

      const std::map<TaskId, std::string> before = Owners();
      const std::map<std::string, MemberAssignment> before_assignment = Current();
      if (std::string e = Generation(); !e.empty()) return Fail(e);
      const int moved = Moves(before);
      if (check_join_round && moved > JoinBound()) {
        return Fail("a join moved " + std::to_string(moved) + " tasks, bound " +
                    std::to_string(JoinBound()));
      }
      if (join_check_) {
        join_moves_ += moved;
        if (join_moves_ > join_bound_) {
          return Fail("moves since the join: " + std::to_string(join_moves_) + ", bound " +
                      std::to_string(join_bound_));
        }
      }

      const bool same = !changed && Current() == before_assignment;
      const bool was_stable = stable_;
      stable_ = same && last_.warmup_count == 0 && !last_.followup_rebalance &&
                last_.deferred_moves == 0 && last_.pending_moves.empty() && NoDraining();
      if (was_stable && !changed && !stable_) return Fail("a stable assignment changed");
      if (stable_) {
        join_check_ = false;
        if (std::string e = CheckBalanced(); !e.empty()) return Fail(e);
      } else if (round_ >= kChurnRounds && round_ - last_change_ > kConvergeRounds) {
        return Fail("not stable " + std::to_string(kConvergeRounds) +
                    " generations after the last membership change");
      }
      CatchUp();
    }
    if (!stable_) return Fail("not stable at the end");
    if (!join_done_) return Fail("never stable at the planned join");
    return "";
  }

 private:
  std::string Fail(const std::string& what) const {
    std::ostringstream out;
    out << "seed " << seed_ << (load_mode_ ? " (load mode)" : " (count mode)") << " generation "
        << round_ << ": " << what << "\nevents this generation:";
    for (const std::string& e : events_) out << ' ' << e;
    out << "\nstandbys=" << config_.num_standby_replicas
        << " max_warmups=" << config_.max_warmup_replicas << " tasks=" << tasks_.size()
        << "\nlast result:\n"
        << DebugString(last_);
    return out.str();
  }

  void Join() {
    MemberInfo m;
    m.member_id = "m" + std::to_string(next_id_);
    m.process_id = "p" + std::to_string(next_id_);
    ++next_id_;
    m.capacity = static_cast<double>(rng_.Uniform(1, 3));
    if (use_racks_) m.rack = "r" + std::to_string(rng_.Uniform(0, 2));
    events_.push_back("join:" + m.member_id);
    members_.push_back(m);
  }

  void Remove(const std::string& id) {
    events_.push_back("leave:" + id);
    members_.erase(std::remove_if(members_.begin(), members_.end(),
                                  [&](const MemberInfo& m) { return m.member_id == id; }),
                   members_.end());
  }

  // A random non-draining member, or nullptr if fewer than two are left.
  MemberInfo* PickActiveMember() {
    std::vector<MemberInfo*> live;
    for (MemberInfo& m : members_) {
      if (!m.draining) live.push_back(&m);
    }
    if (live.size() < 2) return nullptr;
    return live[static_cast<size_t>(rng_.Uniform(0, static_cast<int64_t>(live.size()) - 1))];
  }

  bool Churn(int* joins) {
    bool changed = false;
    if (members_.size() < 8 && rng_.Percent(30)) {
      Join();
      ++*joins;
      changed = true;
    }
    if (rng_.Percent(15)) {
      if (MemberInfo* m = PickActiveMember()) {
        Remove(m->member_id);
        changed = true;
      }
    }
    if (rng_.Percent(15)) {
      if (MemberInfo* m = PickActiveMember()) {
        m->draining = true;
        events_.push_back("drain:" + m->member_id);
        changed = true;
      }
    }
    if (rng_.Percent(10) && !members_.empty()) {
      MemberInfo& m =
          members_[static_cast<size_t>(rng_.Uniform(0, static_cast<int64_t>(members_.size()) - 1))];
      m.capacity = static_cast<double>(rng_.Uniform(1, 3));
      events_.push_back("capacity:" + m.member_id);
      changed = true;
    }
    return changed;
  }

  // The members as they subscribe: in a shuffled order, loads reported by active owners.
  std::vector<MemberInfo> Subscriptions() {
    std::vector<MemberInfo> out = members_;
    for (MemberInfo& m : out) {
      m.task_load.clear();
      if (load_mode_) {
        for (const TaskId& t : m.prev_active) m.task_load[t] = load_.at(t);
      }
    }
    for (size_t i = out.size(); i > 1; --i) {
      std::swap(out[i - 1], out[static_cast<size_t>(rng_.Uniform(0, static_cast<int64_t>(i) - 1))]);
    }
    return out;
  }

  // One rebalance: Assign + ApplyCooperative, then immediate follow-ups while asked for.
  std::string Generation() {
    std::string trace;
    bool after_withholding = false;
    int deferred_followups = 0;
    for (int phase = 1;; ++phase) {
      if (phase > kMaxPhases)
        return "more than " + std::to_string(kMaxPhases) + " immediate rebalances in a row\n" +
               trace;
      const std::vector<MemberInfo> subs = Subscriptions();
      Result<AssignmentResult> target = Assign(subs, tasks_, config_);
      if (!target.ok()) return "Assign failed: " + target.status().ToString();
      std::vector<std::string> v = testing::Violations(subs, tasks_, config_, *target);
      if (!v.empty()) return "target: " + v.front() + "\n" + DebugString(*target);
      const AssignmentResult r = ApplyCooperative(subs, *target);
      trace += "phase " + std::to_string(phase) + " target:\n" + DebugString(*target) +
               "\nafter ApplyCooperative:\n" + DebugString(r) + "\n";
      const bool withheld = !r.withheld.empty();
      if (after_withholding && withheld) {
        return "the follow-up of a cooperative revocation withheld tasks again\n" + trace;
      }
      v = testing::Violations(subs, tasks_, config_, r, /*allow_withheld=*/withheld);
      if (!v.empty()) return "phase " + std::to_string(phase) + ": " + v.front() + "\n" + trace;
      // Withheld tasks and deferred moves both ask for an immediate follow-up.
      const bool immediate = withheld || r.deferred_moves > 0;
      if (immediate != (r.followup_delay_ms == 0) || (immediate && !r.followup_rebalance)) {
        return "immediate follow-up hint is wrong\n" + trace;
      }
      if (!immediate &&
          r.followup_rebalance != (!r.pending_moves.empty() || r.deferred_moves > 0)) {
        return "follow-up hint does not match the pending and deferred moves\n" + trace;
      }
      if (!immediate && r.followup_rebalance &&
          r.followup_delay_ms != config_.probing_rebalance_interval_ms) {
        return "pending warmups without the probing delay\n" + trace;
      }
      if (std::string e = CheckDrained(subs, r); !e.empty()) return e;
      Apply(r);
      if (!immediate) return "";
      // The group leader damps immediate follow-ups that only carry deferred moves: after
      // kMaxDeferredFollowups in a row it waits for the probing interval (the next
      // generation here). Withheld tasks are always handed over at once.
      if (!withheld && ++deferred_followups > kMaxDeferredFollowups) return "";
      after_withholding = withheld;
    }
  }

  static std::string CheckDrained(const std::vector<MemberInfo>& subs, const AssignmentResult& r) {
    const bool all =
        std::all_of(subs.begin(), subs.end(), [](const MemberInfo& m) { return m.draining; });
    std::set<std::string> expect;
    for (const MemberInfo& m : subs) {
      if (m.draining && !all && r.members.at(m.member_id).active.empty()) {
        expect.insert(m.member_id);
      }
    }
    if (expect != r.drained_members) return "drained_members is wrong\n" + DebugString(r);
    return "";
  }

  void Apply(const AssignmentResult& r) {
    last_ = r;
    drained_ = r.drained_members;
    std::map<TaskId, bool> stateful;
    for (const TaskSpec& t : tasks_) stateful[t.id] = t.stateful;
    for (MemberInfo& m : members_) {
      const MemberAssignment& a = r.members.at(m.member_id);
      m.prev_active = a.active;
      m.prev_standby = a.standby;
      m.prev_standby.insert(a.warmup.begin(), a.warmup.end());
      std::map<TaskId, int64_t> lag;
      for (const TaskId& t : a.active) {
        if (stateful.at(t)) lag[t] = 0;
      }
      // A member keeps the state of a task withheld from it (it is about to run it).
      for (const auto& [t, to] : r.withheld) {
        auto it = m.task_lag.find(t);
        if (to == m.member_id && it != m.task_lag.end()) lag[t] = it->second;
      }
      for (const TaskId& t : m.prev_standby) {
        auto it = m.task_lag.find(t);
        // A new copy starts behind (no time passes before an immediate follow-up).
        lag[t] = it != m.task_lag.end() ? it->second
                                        : rng_.Uniform(config_.acceptable_recovery_lag + 1, 40000);
      }
      m.task_lag = lag;
    }
  }

  void CatchUp() {
    for (MemberInfo& m : members_) {
      for (auto& [t, lag] : m.task_lag) lag = std::max<int64_t>(0, lag - rng_.Uniform(6000, 20000));
    }
  }

  std::map<TaskId, std::string> Owners() const {
    std::map<TaskId, std::string> out;
    for (const MemberInfo& m : members_) {
      for (const TaskId& t : m.prev_active) out[t] = m.member_id;
    }
    return out;
  }

  std::map<std::string, MemberAssignment> Current() const {
    std::map<std::string, MemberAssignment> out;
    for (const auto& [id, a] : last_.members) {
      if (std::any_of(members_.begin(), members_.end(),
                      [&, &mid = id](const MemberInfo& m) { return m.member_id == mid; })) {
        out[id] = a;
      }
    }
    return out;
  }

  // Tasks whose owner changed from one present member to another.
  int Moves(const std::map<TaskId, std::string>& before) const {
    const std::map<TaskId, std::string> after = Owners();
    int moved = 0;
    for (const auto& [t, owner] : before) {
      const bool present =
          std::any_of(members_.begin(), members_.end(),
                      [&o = owner](const MemberInfo& m) { return m.member_id == o; });
      auto it = after.find(t);
      if (present && it != after.end() && it->second != owner) ++moved;
    }
    return moved;
  }

  // ceil(capacity-weighted share of the newest member) + 1.
  int JoinBound() const {
    double total = 0;
    for (const MemberInfo& m : members_) total += m.capacity;
    const double share = static_cast<double>(tasks_.size()) * members_.back().capacity / total;
    // Load mode balances load, not counts: light tasks may travel in pairs, so one more.
    return static_cast<int>(std::ceil(share - 1e-9)) + (load_mode_ ? 2 : 1);
  }

  bool NoDraining() const {
    return std::none_of(members_.begin(), members_.end(),
                        [](const MemberInfo& m) { return m.draining; });
  }

  std::string CheckBalanced() const {
    double total_capacity = 0;
    for (const MemberInfo& m : members_) total_capacity += m.capacity;
    const double n = static_cast<double>(tasks_.size());
    double total_load = 0;
    for (const auto& [t, l] : load_) total_load += l;
    for (const MemberInfo& m : members_) {
      const double cap_share = m.capacity / total_capacity;
      if (!load_mode_) {
        const double share = n * cap_share;
        const double count = static_cast<double>(m.prev_active.size());
        if (std::abs(count - share) >= 1.0 - 1e-9) {
          return "unbalanced: " + m.member_id + " runs " + std::to_string(m.prev_active.size()) +
                 " tasks, share " + std::to_string(share);
        }
        continue;
      }
      double load = 0;
      for (const TaskId& t : m.prev_active) load += load_.at(t);
      const double allowance =
          total_load * cap_share + config_.load_balance_slack_tasks * total_load / n;
      if (load > allowance + 1e-9 && m.prev_active.size() > 1) {
        return "unbalanced: " + m.member_id + " load " + std::to_string(load) + ", allowance " +
               std::to_string(allowance);
      }
    }
    return "";
  }

  uint64_t seed_;
  bool load_mode_;
  Rng rng_;
  std::vector<TaskSpec> tasks_;
  std::map<TaskId, double> load_;
  AssignorConfig config_;
  bool use_racks_ = false;
  std::vector<MemberInfo> members_;
  int next_id_ = 0;
  int round_ = 0;
  int last_change_ = 0;
  bool stable_ = false;
  bool join_check_ = false;
  bool join_done_ = false;
  int join_moves_ = 0;
  int join_bound_ = 0;
  AssignmentResult last_;
  std::set<std::string> drained_;
  std::vector<std::string> events_;
};

TEST(AssignorConvergence, CountMode) {
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const std::string failure = GroupSim(seed, /*load_mode=*/false).Run();
    EXPECT_EQ(failure, "");
  }
}

TEST(AssignorConvergence, LoadMode) {
  for (uint64_t seed = 101; seed <= 100 + kSeeds; ++seed) {
    const std::string failure = GroupSim(seed, /*load_mode=*/true).Run();
    EXPECT_EQ(failure, "");
  }
}

}  // namespace
}  // namespace brook::assignor
