#include "assignor/assignor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "assignor/test_util.h"

namespace brook::assignor {
namespace {

using testing::ActiveOwners;
using testing::CountMoves;
using testing::FeedBack;
using testing::MakeMember;
using testing::MakeTasks;
using testing::Own;
using testing::Task;
using testing::Violations;

AssignmentResult MustAssign(const std::vector<MemberInfo>& members,
                            const std::vector<TaskSpec>& tasks, const AssignorConfig& config = {}) {
  Result<AssignmentResult> r = Assign(members, tasks, config);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  const std::vector<std::string> v = Violations(members, tasks, config, *r);
  EXPECT_TRUE(v.empty()) << v.front() << "\n" << DebugString(*r);
  return std::move(r).value();
}

std::vector<size_t> ActiveCounts(const AssignmentResult& r) {
  std::vector<size_t> out;
  for (const auto& [id, a] : r.members) out.push_back(a.active.size());
  return out;
}

size_t Spread(const AssignmentResult& r) {
  const std::vector<size_t> c = ActiveCounts(r);
  return *std::max_element(c.begin(), c.end()) - *std::min_element(c.begin(), c.end());
}

// Members m0..m{n-1}; member i owns tasks i*per .. i*per+per-1 of subtopology 0.
std::vector<MemberInfo> OwningMembers(int n, int per) {
  std::vector<MemberInfo> out;
  for (int i = 0; i < n; ++i) {
    MemberInfo m = MakeMember("m" + std::to_string(i));
    std::vector<TaskId> mine;
    for (int p = i * per; p < (i + 1) * per; ++p) mine.push_back(Task(0, p));
    Own(&m, mine);
    out.push_back(m);
  }
  return out;
}

TEST(Assign, FirstAssignmentIsBalanced) {
  const std::vector<MemberInfo> members = {MakeMember("a"), MakeMember("b"), MakeMember("c")};
  const auto tasks = MakeTasks(10, /*stateful=*/true);
  const AssignmentResult r = MustAssign(members, tasks);
  EXPECT_LE(Spread(r), 1U) << DebugString(r);
  EXPECT_EQ(r.unowned_tasks, 10);
  EXPECT_EQ(r.moved_tasks, 0);
  EXPECT_EQ(r.warmup_count, 0);  // nobody has state: nothing to warm up from
  EXPECT_FALSE(r.followup_rebalance);
  EXPECT_EQ(r.followup_delay_ms, -1);
  EXPECT_FALSE(r.load_aware);
}

TEST(Assign, FirstAssignmentSpreadsStatefulAndStatelessAlike) {
  const std::vector<MemberInfo> members = {MakeMember("a"), MakeMember("b")};
  auto tasks = MakeTasks(4, true, 0);
  const auto stateless = MakeTasks(4, false, 1);
  tasks.insert(tasks.end(), stateless.begin(), stateless.end());
  const AssignmentResult r = MustAssign(members, tasks);
  for (const auto& [id, a] : r.members) {
    const auto n_stateful = std::count_if(a.active.begin(), a.active.end(),
                                          [](const TaskId& t) { return t.subtopology == 0; });
    EXPECT_EQ(n_stateful, 2) << id << "\n" << DebugString(r);
  }
}

TEST(Assign, JoiningMemberCausesMinimalMoves) {
  std::vector<MemberInfo> members = OwningMembers(3, 4);
  members.push_back(MakeMember("m3"));
  const auto tasks = MakeTasks(12, /*stateful=*/false);
  const AssignmentResult r = MustAssign(members, tasks);
  EXPECT_EQ(Spread(r), 0U) << DebugString(r);
  EXPECT_EQ(CountMoves(members, r), 3);
  EXPECT_EQ(r.moved_tasks, 3);
  EXPECT_EQ(r.members.at("m3").active.size(), 3U);
  // Every old member keeps 3 of its own 4 tasks.
  for (int i = 0; i < 3; ++i) {
    const MemberInfo& m = members[static_cast<size_t>(i)];
    const auto& now = r.members.at(m.member_id).active;
    EXPECT_TRUE(std::includes(m.prev_active.begin(), m.prev_active.end(), now.begin(), now.end()));
  }
}

TEST(Assign, LeavingMemberTasksAreSpread) {
  std::vector<MemberInfo> members = OwningMembers(4, 3);
  const MemberInfo gone = members.back();
  members.pop_back();
  const auto tasks = MakeTasks(12, /*stateful=*/false);
  const AssignmentResult r = MustAssign(members, tasks);
  EXPECT_EQ(Spread(r), 0U) << DebugString(r);
  EXPECT_EQ(CountMoves(members, r), 0);
  EXPECT_EQ(r.unowned_tasks, 3);
  for (const MemberInfo& m : members) {
    const auto& now = r.members.at(m.member_id).active;
    EXPECT_TRUE(std::includes(now.begin(), now.end(), m.prev_active.begin(), m.prev_active.end()));
    // Exactly one of the departed member's tasks each.
    int from_gone = 0;
    for (const TaskId& t : now) from_gone += gone.prev_active.count(t) != 0 ? 1 : 0;
    EXPECT_EQ(from_gone, 1) << m.member_id;
  }
}

TEST(Assign, CapacityWeightsTaskCounts) {
  std::vector<MemberInfo> members = {MakeMember("big", 2.0), MakeMember("small", 1.0)};
  const AssignmentResult r = MustAssign(members, MakeTasks(12, true));
  EXPECT_EQ(r.members.at("big").active.size(), 8U);
  EXPECT_EQ(r.members.at("small").active.size(), 4U);

  members.push_back(MakeMember("small2", 1.0));
  const AssignmentResult r3 = MustAssign(members, MakeTasks(12, false));
  EXPECT_EQ(r3.members.at("big").active.size(), 6U);
  EXPECT_EQ(r3.members.at("small").active.size(), 3U);
  EXPECT_EQ(r3.members.at("small2").active.size(), 3U);
}

TEST(Assign, CountStaysWithinOneTaskOfTheCapacityShare) {
  // Shares 1.8 / 0.6 / 0.6: minimising max tasks/capacity alone would give "big" all 3.
  const std::vector<MemberInfo> members = {MakeMember("big", 3.0), MakeMember("x"),
                                           MakeMember("y")};
  const AssignmentResult r = MustAssign(members, MakeTasks(3, false));
  EXPECT_EQ(r.members.at("big").active.size(), 2U) << DebugString(r);
  EXPECT_EQ(r.members.at("x").active.size() + r.members.at("y").active.size(), 1U);
}

// Optimum lower bound for min max load/capacity: the fluid share, and the heaviest task on
// the biggest member.
double LoadLowerBound(const std::vector<MemberInfo>& members, const std::vector<double>& loads) {
  double cap = 0;
  double max_cap = 0;
  for (const MemberInfo& m : members) {
    cap += m.capacity;
    max_cap = std::max(max_cap, m.capacity);
  }
  const double total = std::accumulate(loads.begin(), loads.end(), 0.0);
  return std::max(total / cap, *std::max_element(loads.begin(), loads.end()) / max_cap);
}

double MaxRatio(const std::vector<MemberInfo>& members, const AssignmentResult& r,
                const std::vector<double>& loads) {
  double worst = 0;
  for (const MemberInfo& m : members) {
    double load = 0;
    for (const TaskId& t : r.members.at(m.member_id).active)
      load += loads[static_cast<size_t>(t.partition)];
    worst = std::max(worst, load / m.capacity);
  }
  return worst;
}

TEST(Assign, LoadAwareSpreadsHotTasks) {
  // 3 hot tasks (10) and 17 cold ones (1), all owned by m0 last generation, which reported
  // their loads. A count-balanced split could put two hot tasks together (max >= 20).
  std::vector<MemberInfo> members = {MakeMember("m0"), MakeMember("m1"), MakeMember("m2"),
                                     MakeMember("m3")};
  std::vector<double> loads(20, 1.0);
  loads[2] = loads[7] = loads[11] = 10.0;
  for (int p = 0; p < 20; ++p) {
    members[0].prev_active.insert(Task(0, p));
    members[0].task_load[Task(0, p)] = loads[static_cast<size_t>(p)];
  }
  const auto tasks = MakeTasks(20, /*stateful=*/false);
  const AssignmentResult r = MustAssign(members, tasks);
  EXPECT_TRUE(r.load_aware);
  const double bound = LoadLowerBound(members, loads);  // 11.75; the optimum is 12
  const double got = MaxRatio(members, r, loads);
  EXPECT_LE(got, bound + 1.0 + 1e-9) << DebugString(r);
  EXPECT_NEAR(got, r.max_load_ratio, 1e-9);
  // Hot tasks are on distinct members.
  const auto owners = ActiveOwners(r);
  EXPECT_EQ(
      std::set<std::string>({owners.at(Task(0, 2)), owners.at(Task(0, 7)), owners.at(Task(0, 11))})
          .size(),
      3U);
}

TEST(Assign, LoadAwareWithCapacitiesIsNearOptimal) {
  std::vector<MemberInfo> members = {MakeMember("a", 1.0), MakeMember("b", 2.0),
                                     MakeMember("c", 1.0)};
  std::vector<double> loads;
  loads.reserve(24);
  for (int p = 0; p < 24; ++p) loads.push_back(p % 5 == 0 ? 6.0 : 1.0 + (p % 3));
  for (int p = 0; p < 24; ++p) {
    MemberInfo& m = members[static_cast<size_t>(p % 3)];
    m.prev_active.insert(Task(0, p));
    m.task_load[Task(0, p)] = loads[static_cast<size_t>(p)];
  }
  const auto tasks = MakeTasks(24, false);
  const AssignmentResult r = MustAssign(members, tasks);
  const double bound = LoadLowerBound(members, loads);
  // Within the configured slack (one mean task load) of the fluid optimum.
  const double mean = std::accumulate(loads.begin(), loads.end(), 0.0) / 24;
  EXPECT_LE(MaxRatio(members, r, loads), bound + mean + 1e-9) << DebugString(r);
}

TEST(Assign, UnknownLoadsCountAsTheMeanKnownLoad) {
  // Only 0_0 reports a load (4): the other three count as 4 each, so a 2-2 split.
  std::vector<MemberInfo> members = {MakeMember("a"), MakeMember("b")};
  members[0].prev_active = {Task(0, 0), Task(0, 1), Task(0, 2), Task(0, 3)};
  members[0].task_load[Task(0, 0)] = 4.0;
  const AssignmentResult r = MustAssign(members, MakeTasks(4, false));
  EXPECT_TRUE(r.load_aware);
  EXPECT_EQ(Spread(r), 0U) << DebugString(r);
}

TEST(Assign, StickyWhenAlreadyBalanced) {
  // An unusual but balanced layout is kept as it is: zero moves, same standbys.
  std::vector<MemberInfo> members = {MakeMember("a"), MakeMember("b"), MakeMember("c")};
  Own(&members[0], {Task(0, 0), Task(0, 4), Task(1, 2)});
  Own(&members[1], {Task(0, 1), Task(0, 2), Task(1, 0), Task(1, 1)});
  Own(&members[2], {Task(0, 3), Task(1, 3), Task(1, 4)});
  auto tasks = MakeTasks(5, true, 0);
  const auto more = MakeTasks(5, false, 1);
  tasks.insert(tasks.end(), more.begin(), more.end());
  AssignorConfig config;
  config.num_standby_replicas = 1;
  AssignmentResult r = MustAssign(members, tasks, config);
  EXPECT_EQ(CountMoves(members, r), 0) << DebugString(r);
  for (const MemberInfo& m : members) EXPECT_EQ(r.members.at(m.member_id).active, m.prev_active);
  // Feed back with the standbys caught up: the next round changes nothing at all.
  FeedBack(r, &members);
  for (MemberInfo& m : members) {
    for (const TaskId& t : m.prev_standby) m.task_lag[t] = 5;
  }
  const AssignmentResult again = MustAssign(members, tasks, config);
  EXPECT_EQ(again.members, r.members);
  EXPECT_FALSE(again.followup_rebalance);

  // Load-aware: within one mean task load (2) of the ideal share (5) is balanced enough;
  // with no slack, a 1.5 task would move.
  std::vector<MemberInfo> loaded = {MakeMember("a"), MakeMember("b")};
  loaded[0].prev_active = {Task(0, 0), Task(0, 1), Task(0, 2)};
  loaded[0].task_load = {{Task(0, 0), 3.0}, {Task(0, 1), 1.5}, {Task(0, 2), 1.5}};
  loaded[1].prev_active = {Task(0, 3), Task(0, 4)};
  loaded[1].task_load = {{Task(0, 3), 2.0}, {Task(0, 4), 2.0}};
  const AssignmentResult lr = MustAssign(loaded, MakeTasks(5, false));
  EXPECT_TRUE(lr.load_aware);
  EXPECT_EQ(CountMoves(loaded, lr), 0) << DebugString(lr);
  AssignorConfig strict;
  strict.load_balance_slack_tasks = 0;
  EXPECT_EQ(CountMoves(loaded, MustAssign(loaded, MakeTasks(5, false), strict)), 1);
}

TEST(Assign, StatefulMoveToNewMemberCreatesWarmupNotActiveMove) {
  std::vector<MemberInfo> members = OwningMembers(3, 2);
  members.push_back(MakeMember("m3"));  // no state at all
  AssignorConfig config;
  config.max_warmup_replicas = 5;
  const AssignmentResult r = MustAssign(members, MakeTasks(6, true), config);
  EXPECT_EQ(CountMoves(members, r), 0) << DebugString(r);
  EXPECT_TRUE(r.members.at("m3").active.empty());
  EXPECT_FALSE(r.members.at("m3").warmup.empty());
  EXPECT_EQ(r.pending_moves.size(), r.members.at("m3").warmup.size());
  for (const auto& [t, to] : r.pending_moves) EXPECT_EQ(to, "m3");
  EXPECT_TRUE(r.followup_rebalance);
  EXPECT_EQ(r.followup_delay_ms, config.probing_rebalance_interval_ms);
}

TEST(Assign, WarmupIsPromotedOnceCaughtUp) {
  std::vector<MemberInfo> members = OwningMembers(3, 2);
  members.push_back(MakeMember("m3"));
  const auto tasks = MakeTasks(6, true);
  const AssignorConfig config;
  const AssignmentResult r1 = MustAssign(members, tasks, config);
  ASSERT_EQ(r1.members.at("m3").warmup.size(), 1U) << DebugString(r1);
  const TaskId warm = *r1.members.at("m3").warmup.begin();

  // Still too far behind: stays a warmup.
  FeedBack(r1, &members);
  members[3].task_lag[warm] = config.acceptable_recovery_lag + 1;
  const AssignmentResult r2 = MustAssign(members, tasks, config);
  EXPECT_EQ(r2.members.at("m3").warmup, std::set<TaskId>{warm}) << DebugString(r2);
  EXPECT_TRUE(r2.members.at("m3").active.empty());

  // Caught up: promoted, and nothing else moves.
  FeedBack(r2, &members);
  members[3].task_lag[warm] = config.acceptable_recovery_lag;
  const AssignmentResult r3 = MustAssign(members, tasks, config);
  EXPECT_EQ(r3.members.at("m3").active, std::set<TaskId>{warm}) << DebugString(r3);
  EXPECT_TRUE(r3.members.at("m3").warmup.empty());
  EXPECT_EQ(CountMoves(members, r3), 1);
  EXPECT_FALSE(r3.followup_rebalance);
  EXPECT_EQ(Spread(r3), 1U);
}

TEST(Assign, MaxWarmupReplicasIsGroupWide) {
  // 2 members own 10 tasks each; 3 empty members join: 12 tasks should move.
  std::vector<MemberInfo> members = OwningMembers(2, 10);
  for (const char* id : {"n0", "n1", "n2"}) members.push_back(MakeMember(id));
  const auto tasks = MakeTasks(20, true);
  for (int max_warmups : {1, 2, 5}) {
    AssignorConfig config;
    config.max_warmup_replicas = max_warmups;
    const AssignmentResult r = MustAssign(members, tasks, config);
    EXPECT_EQ(r.warmup_count, max_warmups);
    EXPECT_EQ(r.pending_moves.size(), 12U);
    EXPECT_EQ(CountMoves(members, r), 0);
  }
}

TEST(Assign, StandbysAvoidTheActiveAndSpreadAcrossRacks) {
  std::vector<MemberInfo> members;
  for (int i = 0; i < 6; ++i) {
    MemberInfo m = MakeMember("m" + std::to_string(i));
    m.rack = "rack" + std::to_string(i % 3);
    members.push_back(m);
  }
  const auto tasks = MakeTasks(12, true);
  AssignorConfig config;
  config.num_standby_replicas = 2;
  const AssignmentResult r = MustAssign(members, tasks, config);
  std::map<std::string, std::string> rack;
  for (const MemberInfo& m : members) rack[m.member_id] = m.rack;
  const auto owners = ActiveOwners(r);
  std::map<std::string, size_t> standbys_per_member;
  for (const TaskSpec& t : tasks) {
    std::set<std::string> racks = {rack[owners.at(t.id)]};
    int copies = 0;
    for (const auto& [id, a] : r.members) {
      if (a.standby.count(t.id) == 0) continue;
      ++copies;
      ++standbys_per_member[id];
      EXPECT_NE(id, owners.at(t.id));
      EXPECT_TRUE(racks.insert(rack[id]).second) << t.id << " rack " << rack[id] << " reused";
    }
    EXPECT_EQ(copies, 2) << t.id;
  }
  EXPECT_EQ(r.standby_count, 24);
  EXPECT_EQ(r.missing_standbys, 0);
  for (const auto& [id, n] : standbys_per_member) EXPECT_EQ(n, 4U) << id;
}

TEST(Assign, StandbysPreferMembersWithState) {
  std::vector<MemberInfo> members = {MakeMember("a"), MakeMember("b"), MakeMember("c")};
  Own(&members[0], {Task(0, 0)});
  Own(&members[1], {Task(0, 1)});
  Own(&members[2], {Task(0, 2)});
  members[2].task_lag[Task(0, 0)] = 40000;  // stale copy of 0_0: better than nothing
  members[1].task_lag[Task(0, 2)] = 10;     // near caught-up copy of 0_2
  AssignorConfig config;
  config.num_standby_replicas = 1;
  const AssignmentResult r = MustAssign(members, MakeTasks(3, true), config);
  EXPECT_TRUE(r.members.at("c").standby.count(Task(0, 0)) != 0) << DebugString(r);
  EXPECT_TRUE(r.members.at("b").standby.count(Task(0, 2)) != 0) << DebugString(r);
}

TEST(Assign, TooFewMembersForStandbysIsReported) {
  std::vector<MemberInfo> members = {MakeMember("a"), MakeMember("b")};
  AssignorConfig config;
  config.num_standby_replicas = 2;
  const AssignmentResult r = MustAssign(members, MakeTasks(4, true), config);
  EXPECT_EQ(r.standby_count, 4);
  EXPECT_EQ(r.missing_standbys, 4);
}

TEST(Assign, DrainingMemberKeepsActivesUntilWarmupsCatchUp) {
  std::vector<MemberInfo> members = OwningMembers(3, 3);
  members[0].draining = true;
  const auto tasks = MakeTasks(9, true);
  AssignorConfig config;
  config.max_warmup_replicas = 2;
  config.num_standby_replicas = 1;
  int rounds = 0;
  for (; rounds < 10; ++rounds) {
    const AssignmentResult r = MustAssign(members, tasks, config);
    // No downtime: the draining member keeps what nobody else is caught up on.
    EXPECT_TRUE(r.members.at("m0").standby.empty());
    EXPECT_TRUE(r.members.at("m0").warmup.empty());
    if (rounds == 0) {
      EXPECT_EQ(r.members.at("m0").active, members[0].prev_active);
      EXPECT_EQ(r.warmup_count, 2);
      EXPECT_TRUE(r.drained_members.empty());
    }
    if (r.members.at("m0").active.empty()) {
      EXPECT_EQ(r.drained_members, std::set<std::string>{"m0"});
      const std::set<size_t> sizes = {r.members.at("m1").active.size(),
                                      r.members.at("m2").active.size()};
      EXPECT_EQ(sizes, (std::set<size_t>{4, 5})) << DebugString(r);
      break;
    }
    EXPECT_TRUE(r.drained_members.empty());
    FeedBack(r, &members);
    // Warmups and standbys restore fully between rounds.
    for (MemberInfo& m : members) {
      for (const TaskId& t : m.prev_standby) m.task_lag[t] = 0;
    }
  }
  EXPECT_GE(rounds, 1);
  EXPECT_LE(rounds, 3);  // 3 tasks, 2 warmups a round (standbys help too)
}

TEST(Assign, StatelessTasksLeaveDrainingMemberImmediately) {
  std::vector<MemberInfo> members = OwningMembers(3, 3);
  members[2].draining = true;
  const AssignmentResult r = MustAssign(members, MakeTasks(9, false));
  EXPECT_TRUE(r.members.at("m2").active.empty());
  EXPECT_EQ(r.drained_members, std::set<std::string>{"m2"});
  EXPECT_EQ(r.warmup_count, 0);
  EXPECT_FALSE(r.followup_rebalance);
  EXPECT_EQ(r.moved_tasks, 3);
}

TEST(Assign, AllMembersDrainingAreTreatedAsNotDraining) {
  std::vector<MemberInfo> members = {MakeMember("a"), MakeMember("b")};
  members[0].draining = members[1].draining = true;
  const AssignmentResult r = MustAssign(members, MakeTasks(4, true));
  EXPECT_EQ(Spread(r), 0U);
  EXPECT_TRUE(r.drained_members.empty());
}

TEST(Assign, StatelessTasksMoveImmediately) {
  std::vector<MemberInfo> members = OwningMembers(1, 4);
  members.push_back(MakeMember("m1"));
  const AssignmentResult r = MustAssign(members, MakeTasks(4, false));
  EXPECT_EQ(r.members.at("m1").active.size(), 2U);
  EXPECT_EQ(r.warmup_count, 0);
  EXPECT_TRUE(r.members.at("m1").standby.empty());
  EXPECT_TRUE(r.pending_moves.empty());
}

TEST(Assign, CaughtUpStandbyTakesOverWithoutWarmup) {
  // m0 owned 0_0..0_3 and m1 holds a caught-up standby of 0_1: moving 0_1 is free.
  std::vector<MemberInfo> members = OwningMembers(1, 4);
  members.push_back(MakeMember("m1"));
  members[1].prev_standby.insert(Task(0, 1));
  members[1].task_lag[Task(0, 1)] = 3;
  const AssignmentResult r = MustAssign(members, MakeTasks(4, true));
  EXPECT_TRUE(r.members.at("m1").active.count(Task(0, 1)) != 0) << DebugString(r);
  EXPECT_EQ(r.members.at("m1").active.size(), 1U);
  EXPECT_EQ(r.warmup_count, 1);
}

TEST(Assign, OrphanedStatefulTaskGoesToACaughtUpMember) {
  // m9 left. Its 0_2 has a caught-up standby on m1, a stale copy on m2 and none on m3.
  std::vector<MemberInfo> members = OwningMembers(3, 2);
  members[1].prev_standby = {Task(0, 6)};
  members[1].task_lag[Task(0, 6)] = 500;
  members[2].task_lag[Task(0, 6)] = 90000;
  members.push_back(MakeMember("m3"));
  const AssignmentResult r = MustAssign(members, MakeTasks(7, true));
  EXPECT_EQ(ActiveOwners(r).at(Task(0, 6)), "m1") << DebugString(r);
  EXPECT_EQ(r.unowned_tasks, 1);
  EXPECT_EQ(r.moved_tasks, 0);
}

TEST(Assign, OwnedTasksWaitWhileUnownedTasksArePlaced) {
  // A new stateless task and a new member in one rebalance: the new task is placed, but the
  // owned task that balance would also move waits (deferred) so that nothing is revoked in
  // the same rebalance; the next rebalance moves it.
  std::vector<MemberInfo> members = OwningMembers(1, 4);
  members.push_back(MakeMember("m1"));
  const auto tasks = MakeTasks(5, false);
  const AssignmentResult r = MustAssign(members, tasks);
  EXPECT_EQ(r.members.at("m0").active, members[0].prev_active) << DebugString(r);
  EXPECT_EQ(r.members.at("m1").active, std::set<TaskId>{Task(0, 4)});
  EXPECT_EQ(r.deferred_moves, 1);
  EXPECT_EQ(r.moved_tasks, 0);
  EXPECT_TRUE(r.followup_rebalance);
  EXPECT_EQ(r.followup_delay_ms, 0);  // the deferred move has nothing to wait for
  EXPECT_TRUE(ApplyCooperative(members, r).withheld.empty());

  FeedBack(r, &members);
  const AssignmentResult next = MustAssign(members, tasks);
  EXPECT_EQ(next.members.at("m1").active.size(), 2U) << DebugString(next);
  EXPECT_EQ(next.moved_tasks, 1);
  EXPECT_EQ(next.deferred_moves, 0);
  EXPECT_FALSE(next.followup_rebalance);
}

TEST(ApplyCooperative, FollowUpAssignsTheWithheldTasksAndRevokesNothing) {
  // m0 owns 6 stateless tasks; m1 and m2 join. Phase 1 withholds 4; phase 2 (the withheld
  // tasks now unowned) gives exactly those to m1 and m2 and withholds nothing.
  std::vector<MemberInfo> members = OwningMembers(1, 6);
  members.push_back(MakeMember("m1"));
  members.push_back(MakeMember("m2"));
  const auto tasks = MakeTasks(6, false);
  const AssignmentResult phase1 = ApplyCooperative(members, MustAssign(members, tasks));
  ASSERT_EQ(phase1.withheld.size(), 4U) << DebugString(phase1);
  FeedBack(phase1, &members);
  const AssignmentResult phase2 = ApplyCooperative(members, MustAssign(members, tasks));
  EXPECT_TRUE(phase2.withheld.empty()) << DebugString(phase2);
  EXPECT_FALSE(phase2.followup_rebalance);
  for (const auto& [task, to] : phase1.withheld) {
    EXPECT_EQ(ActiveOwners(phase2).at(task), to) << task;
  }
  EXPECT_EQ(Spread(phase2), 0U);
}

TEST(ApplyCooperative, MovedTaskIsAbsentInPhaseOneAndAssignedInPhaseTwo) {
  std::vector<MemberInfo> members = OwningMembers(1, 4);
  members.push_back(MakeMember("m1"));
  const auto tasks = MakeTasks(4, false);
  const AssignmentResult target = MustAssign(members, tasks);
  ASSERT_EQ(target.members.at("m1").active.size(), 2U);
  const std::set<TaskId> moving = target.members.at("m1").active;

  const AssignmentResult phase1 = ApplyCooperative(members, target);
  EXPECT_TRUE(phase1.members.at("m1").active.empty()) << DebugString(phase1);
  for (const TaskId& t : moving) EXPECT_EQ(phase1.members.at("m0").active.count(t), 0U);
  EXPECT_EQ(phase1.withheld.size(), 2U);
  EXPECT_TRUE(phase1.followup_rebalance);
  EXPECT_EQ(phase1.followup_delay_ms, 0);
  EXPECT_TRUE(Violations(members, tasks, {}, phase1, /*allow_withheld=*/true).empty());

  FeedBack(phase1, &members);
  const AssignmentResult target2 = MustAssign(members, tasks);
  const AssignmentResult phase2 = ApplyCooperative(members, target2);
  EXPECT_EQ(phase2.members.at("m1").active, moving) << DebugString(phase2);
  EXPECT_TRUE(phase2.withheld.empty());
  EXPECT_FALSE(phase2.followup_rebalance);
  EXPECT_EQ(phase2.followup_delay_ms, -1);
}

TEST(ApplyCooperative, NothingWithheldWhenNothingMoves) {
  const std::vector<MemberInfo> members = OwningMembers(2, 2);
  const AssignmentResult target = MustAssign(members, MakeTasks(4, true));
  const AssignmentResult out = ApplyCooperative(members, target);
  EXPECT_EQ(out.members, target.members);
  EXPECT_FALSE(out.followup_rebalance);
}

TEST(ApplyCooperative, ImmediateFollowupWinsOverProbingDelay) {
  // A promotion (withheld) and a further pending warmup in the same round.
  std::vector<MemberInfo> members = OwningMembers(1, 6);
  members.push_back(MakeMember("m1"));
  members[1].prev_standby = {Task(0, 0)};
  members[1].task_lag[Task(0, 0)] = 0;
  const AssignmentResult target = MustAssign(members, MakeTasks(6, true));
  EXPECT_EQ(target.followup_delay_ms, AssignorConfig{}.probing_rebalance_interval_ms);
  const AssignmentResult out = ApplyCooperative(members, target);
  EXPECT_EQ(out.withheld.count(Task(0, 0)), 1U) << DebugString(out);
  EXPECT_EQ(out.followup_delay_ms, 0);
}

void ExpectInvalid(const std::vector<MemberInfo>& members, const std::vector<TaskSpec>& tasks,
                   const AssignorConfig& config, const std::string& needle) {
  const Result<AssignmentResult> r = Assign(members, tasks, config);
  ASSERT_FALSE(r.ok()) << "expected an error mentioning " << needle;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().ToString();
}

TEST(Assign, InvalidInputsAreErrors) {
  const auto tasks = MakeTasks(2, true);
  const std::vector<MemberInfo> ok = {MakeMember("a"), MakeMember("b")};
  {
    auto m = ok;
    m[1].member_id = "a";
    ExpectInvalid(m, tasks, {}, "duplicate member_id \"a\"");
  }
  {
    auto m = ok;
    m[1].member_id.clear();
    ExpectInvalid(m, tasks, {}, "empty member_id");
  }
  {
    auto m = ok;
    m[1].process_id = m[0].process_id;
    ExpectInvalid(m, tasks, {}, "share process_id");
  }
  for (double bad : {0.0, -1.0, std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
    auto m = ok;
    m[0].capacity = bad;
    ExpectInvalid(m, tasks, {}, "member \"a\": capacity");
  }
  {
    auto m = ok;
    m[0].prev_active = {Task(0, 1)};
    m[1].prev_active = {Task(0, 1)};
    ExpectInvalid(m, tasks, {}, "task 0_1 is owned as active by both \"a\" and \"b\"");
  }
  {
    auto m = ok;
    m[1].task_lag[Task(0, 0)] = -5;
    ExpectInvalid(m, tasks, {}, "member \"b\": lag of task 0_0");
  }
  {
    auto m = ok;
    m[1].task_load[Task(0, 1)] = -0.5;
    ExpectInvalid(m, tasks, {}, "member \"b\": load of task 0_1");
  }
  {
    auto m = ok;
    m[0].state_bytes = -1;
    ExpectInvalid(m, tasks, {}, "state_bytes");
  }
  {
    auto t = tasks;
    t.push_back(t[0]);
    ExpectInvalid(ok, t, {}, "task 0_0 is listed twice");
  }
  ExpectInvalid(ok, {{.id = Task(-1, 0)}}, {}, "task -1_0 has a negative id");
  ExpectInvalid({}, tasks, {}, "no members");
  {
    AssignorConfig c;
    c.num_standby_replicas = -1;
    ExpectInvalid(ok, tasks, c, "num_standby_replicas");
  }
  {
    AssignorConfig c;
    c.acceptable_recovery_lag = -1;
    ExpectInvalid(ok, tasks, c, "acceptable_recovery_lag");
  }
  {
    AssignorConfig c;
    c.max_warmup_replicas = 0;
    ExpectInvalid(ok, tasks, c, "max_warmup_replicas");
  }
  {
    AssignorConfig c;
    c.probing_rebalance_interval_ms = -1;
    ExpectInvalid(ok, tasks, c, "probing_rebalance_interval_ms");
  }
  {
    AssignorConfig c;
    c.load_balance_slack_tasks = -0.1;
    ExpectInvalid(ok, tasks, c, "load_balance_slack_tasks");
  }
}

TEST(Assign, UnknownTasksInReportsAreIgnored) {
  std::vector<MemberInfo> members = {MakeMember("a"), MakeMember("b")};
  members[0].prev_active = {Task(9, 9)};  // a task that no longer exists
  members[1].prev_active = {Task(9, 9)};
  members[0].task_lag[Task(7, 7)] = -3;
  members[1].task_load[Task(7, 7)] = -1;
  const AssignmentResult r = MustAssign(members, MakeTasks(2, true));
  EXPECT_EQ(Spread(r), 0U);
}

TEST(Assign, EmptyInputsGiveAnEmptyAssignment) {
  const AssignmentResult r = MustAssign({MakeMember("a")}, {});
  EXPECT_TRUE(r.members.at("a").active.empty());
  EXPECT_TRUE(MustAssign({}, {}).members.empty());
}

TEST(Assign, DeterministicUnderMemberPermutation) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    uint64_t state = seed;
    auto next = [&state](uint64_t n) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return (state >> 33) % n;
    };
    std::vector<MemberInfo> members;
    const int n = 2 + static_cast<int>(next(5));
    std::vector<TaskSpec> tasks = MakeTasks(4 + static_cast<int>(next(16)), true);
    const auto stateless = MakeTasks(static_cast<int>(next(6)), false, 1);
    tasks.insert(tasks.end(), stateless.begin(), stateless.end());
    for (int i = 0; i < n; ++i) {
      MemberInfo m = MakeMember("m" + std::to_string(i), 1.0 + static_cast<double>(next(2)));
      m.rack = "r" + std::to_string(next(2));
      m.draining = next(5) == 0;
      members.push_back(m);
    }
    for (const TaskSpec& t : tasks) {
      if (next(4) != 0) {
        MemberInfo& o = members[next(static_cast<uint64_t>(n))];
        o.prev_active.insert(t.id);
        if (seed % 2 == 0) o.task_load[t.id] = static_cast<double>(next(10));
      }
      if (t.stateful && next(2) == 0) {
        members[next(static_cast<uint64_t>(n))].task_lag[t.id] = static_cast<int64_t>(next(30000));
      }
    }
    AssignorConfig config;
    config.num_standby_replicas = static_cast<int>(next(3));
    const AssignmentResult base = MustAssign(members, tasks, config);
    for (int perm = 0; perm < 5; ++perm) {
      std::vector<MemberInfo> shuffled = members;
      for (size_t i = shuffled.size() - 1; i > 0; --i) {
        std::swap(shuffled[i], shuffled[next(i + 1)]);
      }
      std::vector<TaskSpec> tasks_shuffled(tasks.rbegin(), tasks.rend());
      const AssignmentResult r = MustAssign(shuffled, tasks_shuffled, config);
      EXPECT_EQ(DebugString(r), DebugString(base)) << "seed " << seed;
      EXPECT_EQ(r.members, base.members);
      EXPECT_EQ(r.pending_moves, base.pending_moves);
      EXPECT_EQ(r.drained_members, base.drained_members);
    }
  }
}

// The worked example of README.md: 3 members, 6 stateful tasks, a 4th member joins.
TEST(Assign, ReadmeWorkedExample) {
  std::vector<MemberInfo> members = {MakeMember("A"), MakeMember("B"), MakeMember("C")};
  Own(&members[0], {Task(0, 0), Task(0, 1)});
  Own(&members[1], {Task(0, 2), Task(0, 3)});
  Own(&members[2], {Task(0, 4), Task(0, 5)});
  members.push_back(MakeMember("D"));
  const auto tasks = MakeTasks(6, true);
  const AssignorConfig config;  // max 2 warmups, acceptable lag 10000

  // Round 1: quotas A=2 B=2 C=1 D=1; C's 0_4 should go to D, which has no state.
  const AssignmentResult r1 = MustAssign(members, tasks, config);
  EXPECT_EQ(r1.members.at("C").active, (std::set<TaskId>{Task(0, 4), Task(0, 5)}));
  EXPECT_EQ(r1.members.at("D").warmup, std::set<TaskId>{Task(0, 4)}) << DebugString(r1);
  EXPECT_EQ(r1.pending_moves, (std::map<TaskId, std::string>{{Task(0, 4), "D"}}));
  EXPECT_EQ(r1.followup_delay_ms, 600000);
  // Nothing moves yet, so nothing is withheld and the probing delay stands.
  const AssignmentResult c1 = ApplyCooperative(members, r1);
  EXPECT_TRUE(c1.withheld.empty());
  EXPECT_EQ(c1.members, r1.members);
  EXPECT_EQ(c1.followup_delay_ms, 600000);

  // Round 2: D restored to 2000 behind: promotion. Cooperative: phase 1 withholds 0_4.
  FeedBack(r1, &members);
  members[3].task_lag[Task(0, 4)] = 2000;
  const AssignmentResult r2 = MustAssign(members, tasks, config);
  EXPECT_EQ(r2.members.at("D").active, std::set<TaskId>{Task(0, 4)});
  EXPECT_EQ(r2.members.at("C").active, std::set<TaskId>{Task(0, 5)});
  const AssignmentResult p1 = ApplyCooperative(members, r2);
  EXPECT_TRUE(p1.members.at("D").active.empty());
  EXPECT_EQ(p1.followup_delay_ms, 0);

  // Phase 2: C revoked 0_4 and still has its state (lag 0): D gets it.
  FeedBack(p1, &members);
  members[2].task_lag[Task(0, 4)] = 0;
  const AssignmentResult r3 = ApplyCooperative(members, MustAssign(members, tasks, config));
  EXPECT_EQ(r3.members.at("D").active, std::set<TaskId>{Task(0, 4)}) << DebugString(r3);
  EXPECT_FALSE(r3.followup_rebalance);
}

}  // namespace
}  // namespace brook::assignor
