// RunLeaderAssignment: from JoinGroup members' ConsumerProtocol subscriptions (carrying
// SubscriptionInfo) to SyncGroup assignment bytes: balance, stickiness, cooperative
// withholding, lag from offset sums, ownership reconciliation, bad members, determinism.
#include "group/leader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "protocol/consumer_protocol.h"

namespace brook::group {
namespace {

using ::testing::HasSubstr;

TaskId T(int32_t subtopology, int32_t partition) {
  return TaskId{subtopology, partition};
}

std::set<TaskId> Range(int32_t subtopology, int32_t from, int32_t to) {
  std::set<TaskId> out;
  for (int32_t p = from; p <= to; ++p) out.insert(T(subtopology, p));
  return out;
}

// Sub-topology 0 reads "orders" (6 partitions).
GroupTopology OrdersTopology(bool stateful) {
  GroupTopology t;
  t.subtopologies.push_back({.id = 0, .source_topics = {"orders"}, .stateful = stateful});
  return t;
}

std::vector<assignor::TaskSpec> TasksOf(const GroupTopology& topology,
                                        const std::map<std::string, int32_t>& counts) {
  Result<std::vector<assignor::TaskSpec>> tasks = TasksFor(topology, counts);
  EXPECT_TRUE(tasks.ok()) << tasks.status().ToString();
  return tasks.ok() ? std::move(tasks).value() : std::vector<assignor::TaskSpec>{};
}

SubscriptionInfo Info(const std::string& process_id) {
  SubscriptionInfo info;
  info.process_id = process_id;
  info.endpoint = process_id + ":8080";
  return info;
}

// A JoinGroup member whose metadata is a ConsumerProtocolSubscription v3 carrying info.
JoinedMember Member(const std::string& id, const SubscriptionInfo& info, int32_t generation = -1,
                    const GroupTopology& topology = OrdersTopology(false)) {
  protocol::ConsumerProtocolSubscription sub;
  sub.topics = topology.SourceTopics();
  Result<protocol::Bytes> user_data = EncodeSubscriptionInfo(info);
  EXPECT_TRUE(user_data.ok()) << user_data.status().ToString();
  if (user_data.ok()) sub.user_data = *user_data;
  std::map<std::string, std::vector<int32_t>> owned;
  for (const TopicPartition& tp : PartitionsOf(topology, info.prev_active)) {
    owned[tp.topic].push_back(tp.partition);
  }
  for (const auto& [topic, parts] : owned) sub.owned_partitions.push_back({topic, parts});
  sub.generation_id = generation;
  Result<protocol::Bytes> metadata = protocol::EncodeConsumerProtocolSubscription(sub);
  EXPECT_TRUE(metadata.ok()) << metadata.status().ToString();
  JoinedMember m;
  m.member_id = id;
  if (metadata.ok()) m.metadata = *metadata;
  return m;
}

LeaderOutput RunLeader(const std::vector<JoinedMember>& members, const GroupTopology& topology,
                       const std::map<std::string, int32_t>& counts, bool cooperative,
                       const assignor::AssignorConfig& config = {}) {
  Result<LeaderOutput> out =
      RunLeaderAssignment(members, TasksOf(topology, counts), topology, config, cooperative);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? std::move(out).value() : LeaderOutput{};
}

// Decodes the SyncGroup bytes for one member, checks they are ConsumerProtocolAssignment v0
// whose partitions are the active tasks' source partitions, and returns the userData.
AssignmentInfo DecodeFor(const LeaderOutput& out, const std::string& member,
                         const GroupTopology& topology) {
  SCOPED_TRACE("assignment of " + member);
  const auto it = out.assignments.find(member);
  EXPECT_NE(it, out.assignments.end());
  if (it == out.assignments.end()) return {};
  EXPECT_GE(it->second.size(), 2U);
  if (it->second.size() >= 2) {
    EXPECT_EQ(it->second[0], 0);  // int16 version 0 on the wire
    EXPECT_EQ(it->second[1], 0);
  }
  const auto decoded = protocol::DecodeConsumerProtocolAssignment(it->second);
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  if (!decoded.ok()) return {};
  EXPECT_EQ(decoded->version, 0);
  EXPECT_TRUE(decoded->message.user_data.has_value());
  if (!decoded->message.user_data) return {};
  Result<AssignmentInfo> info = DecodeAssignmentInfo(*decoded->message.user_data);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  if (!info.ok()) return {};
  EXPECT_EQ(*info, out.infos.at(member));

  std::vector<TopicPartition> partitions;
  for (const auto& tp : decoded->message.assigned_partitions) {
    for (const int32_t p : tp.partitions) partitions.push_back({tp.topic, p});
  }
  EXPECT_EQ(partitions, PartitionsOf(topology, info->active));
  return std::move(info).value();
}

// Active owner of every task across the infos.
std::map<TaskId, std::string> Owners(const LeaderOutput& out) {
  std::map<TaskId, std::string> owners;
  for (const auto& [member, info] : out.infos) {
    for (const TaskId& t : info.active) {
      EXPECT_TRUE(owners.emplace(t, member).second) << t << " assigned twice";
    }
  }
  return owners;
}

TEST(GroupLeader, ThreeFreshMembersShareSixTasks) {
  // Two sub-topologies, one of them reading two co-partitioned topics, so the assignment's
  // partitions must group by topic and include both topics of a 1_x task.
  GroupTopology topology;
  topology.subtopologies.push_back({.id = 0, .source_topics = {"orders"}, .stateful = false});
  topology.subtopologies.push_back(
      {.id = 1, .source_topics = {"views", "clicks"}, .stateful = false});
  const std::map<std::string, int32_t> counts = {{"orders", 3}, {"views", 3}, {"clicks", 3}};
  const std::vector<JoinedMember> members = {Member("m-a", Info("pa"), -1, topology),
                                             Member("m-b", Info("pb"), -1, topology),
                                             Member("m-c", Info("pc"), -1, topology)};
  const LeaderOutput out = RunLeader(members, topology, counts, /*cooperative=*/true);

  EXPECT_TRUE(out.warnings.empty()) << out.warnings.front();
  ASSERT_EQ(out.assignments.size(), 3U);
  ASSERT_EQ(out.infos.size(), 3U);
  const std::map<TaskId, std::string> owners = Owners(out);
  std::set<TaskId> assigned;
  for (const auto& [t, m] : owners) assigned.insert(t);
  EXPECT_EQ(assigned, (std::set<TaskId>{T(0, 0), T(0, 1), T(0, 2), T(1, 0), T(1, 1), T(1, 2)}));
  for (const std::string id : {"m-a", "m-b", "m-c"}) {
    const AssignmentInfo info = DecodeFor(out, id, topology);
    EXPECT_EQ(info.active.size(), 2U) << id;
    EXPECT_TRUE(info.standby.empty()) << id;
    EXPECT_TRUE(info.warmup.empty()) << id;
    EXPECT_EQ(info.error_code, 0);
    EXPECT_EQ(info.followup_delay_ms, -1) << "nothing withheld, nothing pending";
    EXPECT_EQ(info.version, kUserDataVersion);
    EXPECT_EQ(out.result.members.at(id).active, info.active);
  }
  EXPECT_TRUE(out.result.withheld.empty());
}

TEST(GroupLeader, PartitionsOfAnAssignmentSpellOutEveryTopic) {
  // One member gets everything: the ConsumerProtocol payload lists "clicks" and "views" with
  // partitions 0..2 and "orders" with 0..2, sorted by topic.
  GroupTopology topology;
  topology.subtopologies.push_back({.id = 0, .source_topics = {"orders"}, .stateful = false});
  topology.subtopologies.push_back(
      {.id = 1, .source_topics = {"views", "clicks"}, .stateful = false});
  const LeaderOutput out = RunLeader({Member("solo", Info("p"), -1, topology)}, topology,
                                     {{"orders", 3}, {"views", 3}, {"clicks", 3}}, true);
  const auto decoded = protocol::DecodeConsumerProtocolAssignment(out.assignments.at("solo"));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto& parts = decoded->message.assigned_partitions;
  ASSERT_EQ(parts.size(), 3U);
  EXPECT_EQ(parts[0].topic, "clicks");
  EXPECT_EQ(parts[0].partitions, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(parts[1].topic, "orders");
  EXPECT_EQ(parts[1].partitions, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(parts[2].topic, "views");
  EXPECT_EQ(parts[2].partitions, (std::vector<int32_t>{0, 1, 2}));
}

TEST(GroupLeader, StickyWhenMembersReportTheirTasks) {
  const GroupTopology topology = OrdersTopology(false);
  const std::map<TaskId, std::string> previous = {{T(0, 0), "m-c"}, {T(0, 1), "m-a"},
                                                  {T(0, 2), "m-b"}, {T(0, 3), "m-c"},
                                                  {T(0, 4), "m-a"}, {T(0, 5), "m-b"}};
  std::map<std::string, SubscriptionInfo> infos = {
      {"m-a", Info("pa")}, {"m-b", Info("pb")}, {"m-c", Info("pc")}};
  for (const auto& [t, m] : previous) infos[m].prev_active.insert(t);
  std::vector<JoinedMember> members;
  members.reserve(infos.size());
  for (const auto& [id, info] : infos) members.push_back(Member(id, info, 4, topology));

  for (const bool cooperative : {true, false}) {
    SCOPED_TRACE(cooperative ? "cooperative" : "eager");
    const LeaderOutput out = RunLeader(members, topology, {{"orders", 6}}, cooperative);
    EXPECT_EQ(Owners(out), previous);
    for (const auto& [id, info] : infos) {
      EXPECT_EQ(DecodeFor(out, id, topology).active, info.prev_active) << id;
      EXPECT_EQ(out.infos.at(id).followup_delay_ms, -1);
    }
    EXPECT_TRUE(out.result.withheld.empty());
    EXPECT_EQ(out.result.moved_tasks, 0);
  }
}

// A owned all six stateless tasks; B joins fresh.
std::vector<JoinedMember> OwnerAndNewcomer() {
  SubscriptionInfo a = Info("pa");
  a.prev_active = Range(0, 0, 5);
  return {Member("m-a", a, 7), Member("m-b", Info("pb"), -1)};
}

TEST(GroupLeader, CooperativeWithholdsTasksTheOwnerMustRevokeFirst) {
  const GroupTopology topology = OrdersTopology(false);
  const LeaderOutput out = RunLeader(OwnerAndNewcomer(), topology, {{"orders", 6}}, true);
  const AssignmentInfo a = DecodeFor(out, "m-a", topology);
  const AssignmentInfo b = DecodeFor(out, "m-b", topology);
  // A keeps its balanced share and revokes the rest; B gets nothing of A's in this round.
  EXPECT_EQ(a.active.size(), 3U);
  EXPECT_TRUE(std::includes(Range(0, 0, 5).begin(), Range(0, 0, 5).end(), a.active.begin(),
                            a.active.end()));
  EXPECT_TRUE(b.active.empty()) << TaskSetString(b.active);
  // The three tasks A gives up are withheld for B, and everyone rebalances again at once.
  std::set<TaskId> withheld;
  for (const auto& [t, to] : out.result.withheld) {
    EXPECT_EQ(to, "m-b") << t;
    withheld.insert(t);
  }
  EXPECT_EQ(withheld.size(), 3U);
  std::set<TaskId> all = a.active;
  all.insert(withheld.begin(), withheld.end());
  EXPECT_EQ(all, Range(0, 0, 5));
  EXPECT_TRUE(out.result.followup_rebalance);
  EXPECT_EQ(a.followup_delay_ms, 0);
  EXPECT_EQ(b.followup_delay_ms, 0);
}

TEST(GroupLeader, EagerHandsTheNewcomerItsShareDirectly) {
  const GroupTopology topology = OrdersTopology(false);
  const LeaderOutput out = RunLeader(OwnerAndNewcomer(), topology, {{"orders", 6}}, false);
  const AssignmentInfo a = DecodeFor(out, "m-a", topology);
  const AssignmentInfo b = DecodeFor(out, "m-b", topology);
  EXPECT_EQ(a.active.size(), 3U);
  EXPECT_EQ(b.active.size(), 3U);
  std::set<TaskId> all = a.active;
  all.insert(b.active.begin(), b.active.end());
  EXPECT_EQ(all, Range(0, 0, 5));
  EXPECT_TRUE(out.result.withheld.empty());
  EXPECT_EQ(a.followup_delay_ms, -1);
  EXPECT_EQ(b.followup_delay_ms, -1);
}

// Stateful tasks: A owns 0_0..0_5 with offset sums 1000; B has 0_3 fully restored (1000) and
// empty stores for the others (0), i.e. lag 1000 > acceptable_recovery_lag 100.
std::vector<JoinedMember> StatefulOwnerAndPartialNewcomer() {
  const GroupTopology topology = OrdersTopology(true);
  SubscriptionInfo a = Info("pa");
  a.prev_active = Range(0, 0, 5);
  SubscriptionInfo b = Info("pb");
  for (const TaskId& t : Range(0, 0, 5)) {
    a.task_offset_sums[t] = 1000;
    b.task_offset_sums[t] = t == T(0, 3) ? 1000 : 0;
  }
  b.prev_standby = {T(0, 3)};
  return {Member("m-a", a, 3, topology), Member("m-b", b, 3, topology)};
}

assignor::AssignorConfig LagConfig() {
  assignor::AssignorConfig config;
  config.acceptable_recovery_lag = 100;
  config.max_warmup_replicas = 2;
  config.probing_rebalance_interval_ms = 60000;
  return config;
}

TEST(GroupLeader, ANewcomerWithoutStateIsCaughtUpWhenTheWholeChangelogIsSmall) {
  const GroupTopology topology = OrdersTopology(true);
  SubscriptionInfo a = Info("pa");
  a.prev_active = Range(0, 0, 5);
  for (const TaskId& t : Range(0, 0, 5)) a.task_offset_sums[t] = t == T(0, 0) ? 5000 : 60;
  const SubscriptionInfo b = Info("pb");  // a new instance: no state, no offset sums
  const LeaderOutput out = RunLeader({Member("m-a", a, 3, topology), Member("m-b", b, 3, topology)},
                                     topology, {{"orders", 6}}, true, LagConfig());
  const AssignmentInfo ia = DecodeFor(out, "m-a", topology);
  const AssignmentInfo ib = DecodeFor(out, "m-b", topology);
  // Tasks with 60 offsets (<= acceptable_recovery_lag 100) move without a warmup: withheld
  // for the cooperative second phase. 0_0 (5000 offsets) may only move through a warmup.
  EXPECT_FALSE(out.result.withheld.empty()) << assignor::DebugString(out.result);
  for (const auto& [t, to] : out.result.withheld) {
    EXPECT_NE(t, T(0, 0));
    EXPECT_EQ(to, "m-b");
  }
  EXPECT_FALSE(ib.warmup.contains(T(0, 1)));
  EXPECT_FALSE(ib.warmup.contains(T(0, 2)));
  EXPECT_TRUE(ia.active.contains(T(0, 0)) || ib.warmup.contains(T(0, 0)) ||
              ib.active.contains(T(0, 0)));
  EXPECT_EQ(ia.followup_delay_ms, 0);  // the withheld tasks move in the immediate follow-up
}

TEST(GroupLeader, LagFromOffsetSumsCooperative) {
  const GroupTopology topology = OrdersTopology(true);
  const LeaderOutput out =
      RunLeader(StatefulOwnerAndPartialNewcomer(), topology, {{"orders", 6}}, true, LagConfig());
  const AssignmentInfo a = DecodeFor(out, "m-a", topology);
  const AssignmentInfo b = DecodeFor(out, "m-b", topology);
  // B is caught up on 0_3 only: that one may move as an active task, but A must revoke it
  // first, so it is withheld. The other moves towards B go through warmups.
  EXPECT_EQ(out.result.withheld, (std::map<TaskId, std::string>{{T(0, 3), "m-b"}}))
      << assignor::DebugString(out.result);
  EXPECT_TRUE(b.active.empty()) << TaskSetString(b.active);
  EXPECT_EQ(b.warmup.size(), 2U) << TaskSetString(b.warmup);  // max_warmup_replicas
  EXPECT_FALSE(b.warmup.contains(T(0, 3)));
  std::set<TaskId> expected_a = Range(0, 0, 5);
  expected_a.erase(T(0, 3));
  EXPECT_EQ(a.active, expected_a);  // A keeps every not-caught-up task meanwhile
  for (const TaskId& t : b.warmup) {
    EXPECT_TRUE(a.active.contains(t)) << t;
    EXPECT_EQ(out.result.pending_moves.at(t), "m-b") << t;
  }
  EXPECT_TRUE(a.warmup.empty());
  // The withheld task makes the follow-up immediate.
  EXPECT_EQ(a.followup_delay_ms, 0);
  EXPECT_EQ(b.followup_delay_ms, 0);
}

TEST(GroupLeader, LagFromOffsetSumsEager) {
  const GroupTopology topology = OrdersTopology(true);
  const LeaderOutput out =
      RunLeader(StatefulOwnerAndPartialNewcomer(), topology, {{"orders", 6}}, false, LagConfig());
  const AssignmentInfo a = DecodeFor(out, "m-a", topology);
  const AssignmentInfo b = DecodeFor(out, "m-b", topology);
  EXPECT_EQ(b.active, (std::set<TaskId>{T(0, 3)})) << assignor::DebugString(out.result);
  EXPECT_EQ(b.warmup.size(), 2U);
  EXPECT_FALSE(b.warmup.contains(T(0, 3)));
  std::set<TaskId> expected_a = Range(0, 0, 5);
  expected_a.erase(T(0, 3));
  EXPECT_EQ(a.active, expected_a);
  // Warmups pending: the fallback probing rebalance.
  EXPECT_EQ(a.followup_delay_ms, 60000);
  EXPECT_EQ(b.followup_delay_ms, 60000);
}

TEST(GroupLeader, LagWithinToleranceMovesWithoutWarmup) {
  // Same as above but B's stores are only 50 records behind everywhere: all of B's share
  // moves as active (withheld until A revokes), no warmups.
  const GroupTopology topology = OrdersTopology(true);
  SubscriptionInfo a = Info("pa");
  a.prev_active = Range(0, 0, 5);
  SubscriptionInfo b = Info("pb");
  for (const TaskId& t : Range(0, 0, 5)) {
    a.task_offset_sums[t] = 1000;
    b.task_offset_sums[t] = 950;
  }
  const LeaderOutput out = RunLeader({Member("m-a", a, 3, topology), Member("m-b", b, 3, topology)},
                                     topology, {{"orders", 6}}, true, LagConfig());
  EXPECT_EQ(out.result.withheld.size(), 3U) << assignor::DebugString(out.result);
  EXPECT_TRUE(out.infos.at("m-b").warmup.empty());
  EXPECT_TRUE(out.result.pending_moves.empty());
  EXPECT_EQ(out.infos.at("m-a").active.size(), 3U);
}

TEST(GroupLeader, HigherGenerationWinsADuplicateOwnershipClaim) {
  // m-b is sorted first but its claim on 0_1 is from generation 3; m-z's is from 5.
  const GroupTopology topology = OrdersTopology(false);
  SubscriptionInfo z = Info("pz");
  z.prev_active = {T(0, 1)};
  SubscriptionInfo b = Info("pb");
  b.prev_active = {T(0, 0), T(0, 1)};
  const std::vector<JoinedMember> members = {Member("m-z", z, 5), Member("m-b", b, 3)};
  for (const bool cooperative : {true, false}) {
    SCOPED_TRACE(cooperative ? "cooperative" : "eager");
    const LeaderOutput out = RunLeader(members, topology, {{"orders", 2}}, cooperative);
    // Had m-b's claim won, it would own both and shed 0_0 to m-z.
    EXPECT_EQ(DecodeFor(out, "m-z", topology).active, (std::set<TaskId>{T(0, 1)}));
    EXPECT_EQ(DecodeFor(out, "m-b", topology).active, (std::set<TaskId>{T(0, 0)}));
    EXPECT_TRUE(out.result.withheld.empty());
    EXPECT_EQ(out.result.moved_tasks, 0);
    EXPECT_EQ(out.infos.at("m-z").followup_delay_ms, -1);
  }
}

TEST(GroupLeader, EqualGenerationClaimGoesToTheLowerMemberId) {
  const GroupTopology topology = OrdersTopology(false);
  SubscriptionInfo z = Info("pz");
  z.prev_active = {T(0, 0), T(0, 1)};
  SubscriptionInfo b = Info("pb");
  b.prev_active = {T(0, 1)};
  // Listed with m-z first: the order of the JoinGroup list does not matter.
  const LeaderOutput out =
      RunLeader({Member("m-z", z, 5), Member("m-b", b, 5)}, topology, {{"orders", 2}}, true);
  EXPECT_EQ(out.infos.at("m-b").active, (std::set<TaskId>{T(0, 1)}));
  EXPECT_EQ(out.infos.at("m-z").active, (std::set<TaskId>{T(0, 0)}));
  EXPECT_TRUE(out.result.withheld.empty());
}

TEST(GroupLeader, BadMetadataGetsAnErrorAndOthersAreAssigned) {
  const GroupTopology topology = OrdersTopology(false);
  JoinedMember garbage;
  garbage.member_id = "m-garbage";
  garbage.metadata = {0xde, 0xad, 0xbe, 0xef};
  // A valid ConsumerProtocol subscription whose userData is not brook's.
  protocol::ConsumerProtocolSubscription foreign;
  foreign.topics = {"orders"};
  foreign.user_data = protocol::Bytes{0x00, 0x00, 0x00, 0x00};  // version 0
  JoinedMember bad_user_data;
  bad_user_data.member_id = "m-foreign";
  bad_user_data.metadata = *protocol::EncodeConsumerProtocolSubscription(foreign);
  // A plain Kafka consumer: no userData at all.
  protocol::ConsumerProtocolSubscription plain;
  plain.topics = {"orders"};
  JoinedMember no_user_data;
  no_user_data.member_id = "m-plain";
  no_user_data.metadata = *protocol::EncodeConsumerProtocolSubscription(plain);

  const std::vector<JoinedMember> members = {Member("m-a", Info("pa")), garbage, bad_user_data,
                                             Member("m-b", Info("pb")), no_user_data};
  const LeaderOutput out = RunLeader(members, topology, {{"orders", 6}}, true);

  ASSERT_EQ(out.assignments.size(), 5U);
  ASSERT_EQ(out.warnings.size(), 3U);
  for (const std::string id : {"m-garbage", "m-foreign", "m-plain"}) {
    SCOPED_TRACE(id);
    const AssignmentInfo info = DecodeFor(out, id, topology);
    EXPECT_EQ(info.error_code, kAssignmentErrorBadSubscription);
    EXPECT_TRUE(info.active.empty());
    EXPECT_TRUE(info.standby.empty());
    EXPECT_TRUE(info.warmup.empty());
    EXPECT_FALSE(out.result.members.contains(id));
    const bool warned = std::any_of(
        out.warnings.begin(), out.warnings.end(),
        [&](const std::string& w) { return w.find("member " + id + " left out") == 0; });
    EXPECT_TRUE(warned) << ::testing::PrintToString(out.warnings);
  }
  EXPECT_THAT(out.warnings, ::testing::Contains(HasSubstr("version")));  // m-foreign's reason
  EXPECT_THAT(out.warnings, ::testing::Contains(HasSubstr("no brook userData")));  // m-plain

  const AssignmentInfo a = DecodeFor(out, "m-a", topology);
  const AssignmentInfo b = DecodeFor(out, "m-b", topology);
  EXPECT_EQ(a.error_code, 0);
  EXPECT_EQ(b.error_code, 0);
  EXPECT_EQ(a.active.size(), 3U);
  EXPECT_EQ(b.active.size(), 3U);
  std::set<TaskId> all = a.active;
  all.insert(b.active.begin(), b.active.end());
  EXPECT_EQ(all, Range(0, 0, 5));
}

TEST(GroupLeader, OnlyBadMembersGetErrorsAndNoFailure) {
  const GroupTopology topology = OrdersTopology(false);
  JoinedMember garbage;
  garbage.member_id = "m-garbage";
  garbage.metadata = {0x00};
  const LeaderOutput out = RunLeader({garbage}, topology, {{"orders", 6}}, true);
  ASSERT_EQ(out.infos.size(), 1U);
  EXPECT_EQ(out.infos.at("m-garbage").error_code, kAssignmentErrorBadSubscription);
  EXPECT_TRUE(out.result.members.empty());
}

TEST(GroupLeader, MemberOrderDoesNotChangeTheAssignment) {
  const GroupTopology topology = OrdersTopology(true);
  SubscriptionInfo a = Info("pa");
  a.prev_active = {T(0, 0), T(0, 1), T(0, 2), T(0, 3)};
  for (const TaskId& t : Range(0, 0, 7)) a.task_offset_sums[t] = 500;
  SubscriptionInfo b = Info("pb");
  b.prev_active = {T(0, 4), T(0, 3)};  // 0_3 claimed twice, same generation
  b.task_offset_sums = {{T(0, 4), 500}, {T(0, 5), 480}, {T(0, 6), 0}};
  SubscriptionInfo c = Info("pc");
  c.capacity = 2.0;
  c.prev_standby = {T(0, 7)};
  c.task_offset_sums = {{T(0, 7), 499}};
  std::vector<JoinedMember> members = {Member("m-a", a, 4, topology), Member("m-b", b, 4, topology),
                                       Member("m-c", c, -1, topology)};
  JoinedMember garbage;
  garbage.member_id = "m-bad";
  garbage.metadata = {0x00, 0x03, 0xff};
  members.push_back(garbage);
  std::sort(members.begin(), members.end(),
            [](const JoinedMember& x, const JoinedMember& y) { return x.member_id < y.member_id; });

  assignor::AssignorConfig config = LagConfig();
  config.num_standby_replicas = 1;
  const LeaderOutput first = RunLeader(members, topology, {{"orders", 8}}, true, config);
  ASSERT_EQ(first.assignments.size(), 4U);
  int permutations = 0;
  do {
    const LeaderOutput out = RunLeader(members, topology, {{"orders", 8}}, true, config);
    EXPECT_EQ(out.assignments, first.assignments);
    EXPECT_EQ(out.infos, first.infos);
    EXPECT_EQ(out.result.withheld, first.result.withheld);
    ++permutations;
  } while (std::next_permutation(
      members.begin(), members.end(),
      [](const JoinedMember& x, const JoinedMember& y) { return x.member_id < y.member_id; }));
  EXPECT_EQ(permutations, 24);
}

TEST(GroupLeader, DuplicateProcessIdsAreSeparatedWithAWarning) {
  const GroupTopology topology = OrdersTopology(false);
  const LeaderOutput out =
      RunLeader({Member("m-old", Info("pod-0")), Member("m-new", Info("pod-0"))}, topology,
                {{"orders", 4}}, true);
  ASSERT_EQ(out.warnings.size(), 1U);
  EXPECT_THAT(out.warnings[0], HasSubstr("process id 'pod-0' used by several members"));
  EXPECT_THAT(out.warnings[0], HasSubstr("m-old"));  // sorted second: renamed
  EXPECT_EQ(out.infos.at("m-new").active.size(), 2U);
  EXPECT_EQ(out.infos.at("m-old").active.size(), 2U);
}

TEST(GroupLeader, TasksThatNoLongerExistAreIgnored) {
  // A reports 0_9 (the topic shrank, or a stale subscription) as active and with state.
  const GroupTopology topology = OrdersTopology(true);
  SubscriptionInfo a = Info("pa");
  a.prev_active = {T(0, 0), T(0, 9)};
  a.prev_standby = {T(5, 5)};
  a.task_offset_sums = {{T(0, 0), 10}, {T(0, 9), 10}};
  const LeaderOutput out =
      RunLeader({Member("m-a", a, 2, topology)}, topology, {{"orders", 2}}, true);
  EXPECT_EQ(DecodeFor(out, "m-a", topology).active, (std::set<TaskId>{T(0, 0), T(0, 1)}));
  EXPECT_TRUE(out.result.withheld.empty());
}

TEST(GroupLeader, HostMapListsEveryEndpointWithItsActiveAndStandbyTasks) {
  // Three stateful members, one standby each; C has no endpoint (no interactive queries).
  const GroupTopology topology = OrdersTopology(true);
  SubscriptionInfo c = Info("pc");
  c.endpoint.clear();
  const std::vector<JoinedMember> members = {Member("m-a", Info("pa"), -1, topology),
                                             Member("m-b", Info("pb"), -1, topology),
                                             Member("m-c", c, -1, topology)};
  assignor::AssignorConfig config;
  config.num_standby_replicas = 1;
  const LeaderOutput out = RunLeader(members, topology, {{"orders", 6}}, true, config);

  HostMap expected;
  for (const auto& [id, endpoint] :
       std::map<std::string, std::string>{{"m-a", "pa:8080"}, {"m-b", "pb:8080"}}) {
    const AssignmentInfo info = DecodeFor(out, id, topology);
    expected[endpoint] = HostTasks{.active = info.active, .standby = info.standby};
  }
  EXPECT_EQ(expected.at("pa:8080").active.size(), 2U);
  EXPECT_FALSE(expected.at("pa:8080").standby.empty());
  for (const std::string id : {"m-a", "m-b", "m-c"}) {
    const AssignmentInfo info = DecodeFor(out, id, topology);
    EXPECT_EQ(info.host_map, expected) << id;  // the same map for everyone, C left out
  }
  // Every active task of an endpoint member is in exactly its entry.
  std::set<TaskId> mapped;
  for (const auto& [endpoint, tasks] : expected) {
    for (const TaskId& t : tasks.active) EXPECT_TRUE(mapped.insert(t).second) << t;
  }
  EXPECT_EQ(mapped.size(), 4U);  // C's two tasks are not mapped
}

TEST(GroupLeader, HostMapLeavesWithheldTasksOutAndMergesSharedEndpoints) {
  const GroupTopology topology = OrdersTopology(false);
  // Cooperative: B's share is withheld while A revokes it, so no endpoint holds it yet.
  const LeaderOutput out = RunLeader(OwnerAndNewcomer(), topology, {{"orders", 6}}, true);
  const AssignmentInfo b = DecodeFor(out, "m-b", topology);
  ASSERT_EQ(b.host_map.size(), 2U);
  EXPECT_EQ(b.host_map.at("pa:8080").active, out.infos.at("m-a").active);
  EXPECT_TRUE(b.host_map.at("pb:8080").active.empty());
  for (const auto& [t, to] : out.result.withheld) {
    EXPECT_FALSE(b.host_map.at("pa:8080").active.contains(t)) << t;
  }

  // Two members advertising the same endpoint share one entry holding both their tasks.
  SubscriptionInfo twin = Info("pb");
  twin.endpoint = "pa:8080";
  const LeaderOutput shared = RunLeader({Member("m-a", Info("pa")), Member("m-twin", twin)},
                                        topology, {{"orders", 6}}, true);
  const AssignmentInfo a = DecodeFor(shared, "m-a", topology);
  ASSERT_EQ(a.host_map.size(), 1U);
  EXPECT_EQ(a.host_map.at("pa:8080").active, Range(0, 0, 5));
}

}  // namespace
}  // namespace brook::group
