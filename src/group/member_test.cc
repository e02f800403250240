// GroupMember against FakeCoordinator on loopback (no broker): the join handshake, the
// subscription on the wire, cooperative and eager rebalances, the error codes that lose the
// membership or stop the member, coordinator rediscovery, commits, and what Stop() sends.
#include "group/member.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "group/testing/fake_coordinator.h"
#include "protocol/consumer_protocol.h"

namespace brook::group {
namespace {

using protocol::ApiKey;
using protocol::ErrorCode;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using testing::FakeCoordinator;
using ::testing::HasSubstr;
using testing::RecordedRequest;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kWait{5000};

struct Event {
  enum Kind { kRevoked, kLost, kAssigned, kFatal } kind;
  std::set<TaskId> tasks;  // revoked/lost, or the active set of an assignment
  int32_t generation = -1;
  std::string text;  // kFatal: the error
  Clock::time_point at;
};

class Listener : public GroupListener {
 public:
  using Hook = std::function<void(const std::set<TaskId>&)>;
  // Runs inside OnTasksRevoked, after the event was recorded (e.g. to commit).
  void SetOnRevoked(Hook hook) {
    std::lock_guard lock(mu_);
    on_revoked_ = std::move(hook);
  }
  void OnTasksRevoked(const std::set<TaskId>& tasks) override {
    Add({Event::kRevoked, tasks});
    Hook hook;
    {
      std::lock_guard lock(mu_);
      hook = on_revoked_;
    }
    if (hook) hook(tasks);
  }
  void OnTasksLost(const std::set<TaskId>& tasks) override { Add({Event::kLost, tasks}); }
  void OnAssignment(const GroupAssignment& a) override {
    Add({Event::kAssigned, a.active, a.generation});
  }
  void OnFatalError(const Status& error) override {
    Add({Event::kFatal, {}, -1, error.ToString()});
  }
  std::vector<Event> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<Event> events(Event::Kind kind) const {
    std::vector<Event> out;
    for (const Event& e : events()) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }

 private:
  void Add(Event e) {
    e.at = Clock::now();
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
  }
  mutable std::mutex mu_;
  std::vector<Event> events_;
  Hook on_revoked_;
};

std::set<TaskId> Tasks(std::initializer_list<int32_t> partitions) {
  std::set<TaskId> out;
  for (int32_t p : partitions) out.insert(TaskId{0, p});
  return out;
}
std::set<TaskId> AllTasks() {
  return Tasks({0, 1, 2, 3});
}

GroupOptions Options(const FakeCoordinator& fake, const std::string& process = "proc-a") {
  GroupOptions o;
  o.bootstrap_servers = fake.bootstrap();
  o.group_id = "app";
  o.client_id = "brook-test";
  o.process_id = process;
  o.session_timeout = milliseconds(1000);
  o.heartbeat_interval = milliseconds(100);
  o.rebalance_timeout = milliseconds(2000);
  o.request_timeout = milliseconds(2000);
  o.retry_backoff = milliseconds(20);
  o.retry_backoff_max = milliseconds(100);
  o.max_poll_interval = milliseconds(600000);
  o.topology.subtopologies = {{0, {"in"}, false}};
  o.partition_counts =
      [](const std::vector<std::string>& topics) -> Result<std::map<std::string, int32_t>> {
    std::map<std::string, int32_t> out;
    for (const std::string& t : topics) out[t] = 4;
    return out;
  };
  return o;
}

struct Running {
  std::unique_ptr<Listener> listener = std::make_unique<Listener>();
  std::unique_ptr<GroupMember> member;
};

Running StartMember(GroupOptions options) {
  Running r;
  Result<std::unique_ptr<GroupMember>> m =
      GroupMember::Create(std::move(options), r.listener.get());
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return r;
  r.member = std::move(*m);
  EXPECT_TRUE(r.member->Start().ok());
  return r;
}

// Stable after `rebalances` completed rounds.
bool WaitStable(const Running& r, int rebalances) {
  return r.member->WaitFor(
      [rebalances](const MemberStatus& s) {
        return s.state == MemberState::kStable && s.rebalances == rebalances;
      },
      kWait);
}

struct Subscription {
  protocol::ConsumerProtocolSubscription wire;
  SubscriptionInfo info;
};

Subscription DecodeSubscription(const RecordedRequest& join) {
  Subscription out;
  auto sub = protocol::DecodeConsumerProtocolSubscription(join.metadata);
  EXPECT_TRUE(sub.ok()) << sub.status().ToString();
  if (!sub.ok()) return out;
  out.wire = sub->message;
  EXPECT_TRUE(out.wire.user_data.has_value());
  if (!out.wire.user_data) return out;
  auto info = DecodeSubscriptionInfo(*out.wire.user_data);
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  if (info.ok()) out.info = *info;
  return out;
}

std::vector<ApiKey> Apis(const std::vector<RecordedRequest>& requests) {
  std::vector<ApiKey> out;
  out.reserve(requests.size());
  for (const RecordedRequest& r : requests) out.push_back(r.api);
  return out;
}

TEST(GroupMember, JoinHandshakeThenStableWithAllTasks) {
  FakeCoordinator fake;
  Running a = StartMember(Options(fake));
  ASSERT_TRUE(WaitStable(a, 1));
  ASSERT_TRUE(fake.WaitForCount(ApiKey::kHeartbeat, 2, kWait));

  const MemberStatus s = a.member->status();
  EXPECT_EQ(s.member_id, "member-1");
  EXPECT_EQ(s.generation, 1);
  EXPECT_TRUE(s.leader);
  EXPECT_EQ(s.assignment.active, AllTasks());
  EXPECT_EQ(s.assignment.added, AllTasks());

  const std::vector<RecordedRequest> all = fake.requests();
  ASSERT_GE(all.size(), 7U);
  const std::vector<ApiKey> apis = Apis(all);
  EXPECT_THAT(
      std::vector<ApiKey>(apis.begin(), apis.begin() + 7),
      ElementsAre(ApiKey::kApiVersions, ApiKey::kFindCoordinator, ApiKey::kApiVersions,
                  ApiKey::kJoinGroup, ApiKey::kJoinGroup, ApiKey::kSyncGroup, ApiKey::kHeartbeat));
  // The bootstrap connection only looks the coordinator up.
  EXPECT_EQ(all[0].connection, all[1].connection);
  EXPECT_NE(all[2].connection, all[1].connection);
  EXPECT_EQ(all[1].key, "app");

  const auto joins = fake.requests(ApiKey::kJoinGroup);
  ASSERT_EQ(joins.size(), 2U);
  EXPECT_EQ(joins[0].member_id, "");  // answered MEMBER_ID_REQUIRED
  EXPECT_EQ(joins[1].member_id, "member-1");
  for (const RecordedRequest& j : joins) {
    EXPECT_EQ(j.version, 9);
    EXPECT_EQ(j.key, "app");
    EXPECT_EQ(j.protocol_type, "consumer");
    EXPECT_THAT(j.protocol_names, ElementsAre("brook"));
    EXPECT_FALSE(j.group_instance_id.has_value());
    const Subscription sub = DecodeSubscription(j);
    EXPECT_THAT(sub.wire.topics, ElementsAre("in"));
    EXPECT_TRUE(sub.wire.owned_partitions.empty());
    EXPECT_EQ(sub.wire.generation_id, -1);
    EXPECT_EQ(sub.info.process_id, "proc-a");
    EXPECT_TRUE(sub.info.prev_active.empty());
  }
  const auto syncs = fake.requests(ApiKey::kSyncGroup);
  ASSERT_EQ(syncs.size(), 1U);
  EXPECT_EQ(syncs[0].generation, 1);
  EXPECT_EQ(syncs[0].member_id, "member-1");
  EXPECT_EQ(syncs[0].assignments, 1U);  // the leader assigns itself
  const auto beats = fake.requests(ApiKey::kHeartbeat);
  EXPECT_EQ(beats[0].member_id, "member-1");
  EXPECT_EQ(beats[0].generation, 1);

  const auto events = a.listener->events();
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].kind, Event::kAssigned);
  EXPECT_EQ(events[0].tasks, AllTasks());
  EXPECT_EQ(events[0].generation, 1);
}

TEST(GroupMember, CooperativeRebalanceRejoinsWithOwnedTasksAndKeepsThem) {
  FakeCoordinator fake;
  Running a = StartMember(Options(fake));
  ASSERT_TRUE(WaitStable(a, 1));
  fake.TriggerRebalance();  // the next heartbeat gets REBALANCE_IN_PROGRESS
  ASSERT_TRUE(WaitStable(a, 2));

  const auto joins = fake.requests(ApiKey::kJoinGroup);
  ASSERT_EQ(joins.size(), 3U);
  EXPECT_EQ(joins[2].member_id, "member-1");
  const Subscription sub = DecodeSubscription(joins[2]);
  ASSERT_EQ(sub.wire.owned_partitions.size(), 1U);
  EXPECT_EQ(sub.wire.owned_partitions[0].topic, "in");
  EXPECT_THAT(sub.wire.owned_partitions[0].partitions, ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(sub.wire.generation_id, 1);
  EXPECT_EQ(sub.info.prev_active, AllTasks());
  EXPECT_EQ(joins[2].reason, "the coordinator started a rebalance");

  const MemberStatus s = a.member->status();
  EXPECT_EQ(s.generation, 2);
  EXPECT_EQ(s.assignment.active, AllTasks());
  EXPECT_TRUE(s.assignment.added.empty());
  EXPECT_TRUE(a.listener->events(Event::kRevoked).empty());
  EXPECT_TRUE(a.listener->events(Event::kLost).empty());
  EXPECT_EQ(a.listener->events(Event::kAssigned).size(), 2U);
}

TEST(GroupMember, TwoMembersHandOverTasksCooperativelyAndLeaveGroupGivesThemBack) {
  FakeCoordinator fake;
  Running a = StartMember(Options(fake, "proc-a"));
  ASSERT_TRUE(WaitStable(a, 1));
  Running b = StartMember(Options(fake, "proc-b"));
  auto halves = [](const MemberStatus& s) {
    return s.state == MemberState::kStable && s.assignment.active.size() == 2;
  };
  ASSERT_TRUE(b.member->WaitFor(halves, kWait));
  ASSERT_TRUE(a.member->WaitFor(halves, kWait));
  const MemberStatus sa = a.member->status();
  const MemberStatus sb = b.member->status();
  EXPECT_TRUE(sa.leader);
  EXPECT_FALSE(sb.leader);
  EXPECT_EQ(sa.generation, sb.generation);
  EXPECT_GE(sa.generation, 3);  // one round withholds, the next hands over
  std::set<TaskId> both = sa.assignment.active;
  both.insert(sb.assignment.active.begin(), sb.assignment.active.end());
  EXPECT_EQ(both, AllTasks());

  // a revoked exactly what b got, once; nobody lost anything; b revoked nothing.
  const auto revoked = a.listener->events(Event::kRevoked);
  ASSERT_EQ(revoked.size(), 1U);
  EXPECT_EQ(revoked[0].tasks, sb.assignment.active);
  EXPECT_TRUE(a.listener->events(Event::kLost).empty());
  EXPECT_TRUE(b.listener->events(Event::kRevoked).empty());
  EXPECT_TRUE(b.listener->events(Event::kLost).empty());

  b.member->Stop();
  EXPECT_EQ(fake.Count(ApiKey::kLeaveGroup), 1);
  ASSERT_TRUE(a.member->WaitFor(
      [](const MemberStatus& s) {
        return s.state == MemberState::kStable && s.assignment.active.size() == 4;
      },
      kWait));
  EXPECT_EQ(fake.members(), std::set<std::string>{sa.member_id});
}

TEST(GroupMember, IllegalGenerationLosesTasksAndRejoinsWithTheSameId) {
  FakeCoordinator fake;
  Running a = StartMember(Options(fake));
  ASSERT_TRUE(WaitStable(a, 1));
  fake.InjectError(ApiKey::kHeartbeat, ErrorCode::kIllegalGeneration);
  ASSERT_TRUE(WaitStable(a, 2));

  const auto events = a.listener->events();
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[1].kind, Event::kLost);
  EXPECT_EQ(events[1].tasks, AllTasks());
  EXPECT_EQ(events[2].kind, Event::kAssigned);
  EXPECT_EQ(events[2].tasks, AllTasks());
  EXPECT_TRUE(a.listener->events(Event::kRevoked).empty());

  const auto joins = fake.requests(ApiKey::kJoinGroup);
  ASSERT_EQ(joins.size(), 3U);
  EXPECT_EQ(joins[2].member_id, "member-1");
  const Subscription sub = DecodeSubscription(joins[2]);
  EXPECT_TRUE(sub.wire.owned_partitions.empty());
  EXPECT_EQ(sub.wire.generation_id, -1);
  EXPECT_TRUE(sub.info.prev_active.empty());
  EXPECT_EQ(a.member->status().member_id, "member-1");
  EXPECT_EQ(a.member->status().assignment.added, AllTasks());
}

TEST(GroupMember, UnknownMemberIdLosesTasksAndRejoinsWithAFreshId) {
  FakeCoordinator fake;
  Running a = StartMember(Options(fake));
  ASSERT_TRUE(WaitStable(a, 1));
  fake.InjectError(ApiKey::kHeartbeat, ErrorCode::kUnknownMemberId);
  ASSERT_TRUE(WaitStable(a, 2));

  const auto lost = a.listener->events(Event::kLost);
  ASSERT_EQ(lost.size(), 1U);
  EXPECT_EQ(lost[0].tasks, AllTasks());
  const auto joins = fake.requests(ApiKey::kJoinGroup);
  ASSERT_EQ(joins.size(), 4U);
  EXPECT_EQ(joins[2].member_id, "");  // MEMBER_ID_REQUIRED again
  EXPECT_EQ(joins[3].member_id, "member-2");
  const MemberStatus s = a.member->status();
  EXPECT_EQ(s.member_id, "member-2");
  EXPECT_EQ(s.assignment.active, AllTasks());
}

TEST(GroupMember, NotCoordinatorOnHeartbeatRediscoversAndKeepsTasks) {
  FakeCoordinator fake;
  Running a = StartMember(Options(fake));
  ASSERT_TRUE(WaitStable(a, 1));
  ASSERT_EQ(fake.Count(ApiKey::kFindCoordinator), 1);
  const int accepted = fake.connections_accepted();
  fake.InjectError(ApiKey::kHeartbeat, ErrorCode::kNotCoordinator);
  ASSERT_TRUE(fake.WaitForCount(ApiKey::kFindCoordinator, 2, kWait));
  const int beats = fake.Count(ApiKey::kHeartbeat);
  ASSERT_TRUE(fake.WaitForCount(ApiKey::kHeartbeat, beats + 2, kWait));

  EXPECT_GT(fake.connections_accepted(), accepted);  // a new coordinator connection
  const auto hb = fake.requests(ApiKey::kHeartbeat).back();
  EXPECT_EQ(hb.member_id, "member-1");
  EXPECT_EQ(hb.generation, 1);
  const MemberStatus s = a.member->status();
  EXPECT_EQ(s.state, MemberState::kStable);
  EXPECT_EQ(s.rebalances, 1);
  EXPECT_EQ(s.assignment.active, AllTasks());
  EXPECT_EQ(fake.Count(ApiKey::kJoinGroup), 2);
  EXPECT_TRUE(a.listener->events(Event::kLost).empty());
  EXPECT_TRUE(a.listener->events(Event::kRevoked).empty());
}

TEST(GroupMember, FencedInstanceIdStopsTheStaticMember) {
  FakeCoordinator fake;
  GroupOptions o = Options(fake);
  o.group_instance_id = "pod-1";
  Running a = StartMember(o);
  ASSERT_TRUE(WaitStable(a, 1));
  const auto joins = fake.requests(ApiKey::kJoinGroup);
  ASSERT_EQ(joins.size(), 1U);  // a static member gets its id at once
  EXPECT_EQ(joins[0].group_instance_id, "pod-1");
  EXPECT_EQ(a.member->status().member_id, "pod-1-1");

  fake.InjectError(ApiKey::kHeartbeat, ErrorCode::kFencedInstanceId);
  ASSERT_TRUE(a.member->WaitFor(
      [](const MemberStatus& s) { return s.state == MemberState::kFailed; }, kWait));
  const MemberStatus s = a.member->status();
  EXPECT_EQ(s.error.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.error.message(), HasSubstr("'pod-1'"));
  EXPECT_THAT(s.error.message(), HasSubstr("FENCED_INSTANCE_ID"));

  const int beats = fake.Count(ApiKey::kHeartbeat);
  a.member->Stop(GroupMember::LeaveMode::kLeave);  // joins: OnFatalError has run
  const auto fatal = a.listener->events(Event::kFatal);
  ASSERT_EQ(fatal.size(), 1U);
  EXPECT_THAT(fatal[0].text, HasSubstr("'pod-1'"));
  EXPECT_EQ(a.member->status().state, MemberState::kFailed);
  EXPECT_EQ(fake.Count(ApiKey::kHeartbeat), beats);  // nothing after the failure
  EXPECT_EQ(fake.Count(ApiKey::kLeaveGroup), 0);
}

TEST(GroupMember, InconsistentGroupProtocolFailsTheJoiningMember) {
  FakeCoordinator fake;
  Running a = StartMember(Options(fake, "proc-a"));
  ASSERT_TRUE(WaitStable(a, 1));
  GroupOptions eager = Options(fake, "proc-b");
  eager.rebalance_protocol = RebalanceProtocol::kEager;
  Running b = StartMember(eager);
  ASSERT_TRUE(b.member->WaitFor(
      [](const MemberStatus& s) { return s.state == MemberState::kFailed; }, kWait));
  const MemberStatus s = b.member->status();
  EXPECT_THAT(s.error.message(), HasSubstr("INCONSISTENT_GROUP_PROTOCOL"));
  EXPECT_THAT(s.error.message(), HasSubstr("JoinGroup"));
  b.member->Stop();  // joins: OnFatalError has run
  ASSERT_EQ(b.listener->events(Event::kFatal).size(), 1U);
  EXPECT_THAT(fake.requests(ApiKey::kJoinGroup).back().protocol_names, ElementsAre("brook-eager"));
  // The running member is not disturbed.
  EXPECT_EQ(a.member->status().state, MemberState::kStable);
  EXPECT_EQ(a.member->status().generation, 1);
}

TEST(GroupMember, CommitsAndFetchesOffsetsAndStaleGenerationLosesTasks) {
  FakeCoordinator fake;
  Running a = StartMember(Options(fake));
  ASSERT_TRUE(WaitStable(a, 1));
  const std::map<TopicPartition, int64_t> offsets = {{{"in", 0}, 42}, {{"in", 1}, 7}};
  ASSERT_TRUE(a.member->CommitOffsets(offsets, milliseconds(2000)).ok());
  const auto commits = fake.requests(ApiKey::kOffsetCommit);
  ASSERT_EQ(commits.size(), 1U);
  EXPECT_EQ(commits[0].member_id, "member-1");
  EXPECT_EQ(commits[0].generation, 1);
  EXPECT_EQ(commits[0].offsets.size(), 2U);
  EXPECT_EQ(fake.committed().at({"in", 0}), 42);

  Result<std::map<TopicPartition, int64_t>> fetched =
      a.member->FetchCommittedOffsets({{"in", 0}, {"in", 1}, {"in", 2}}, milliseconds(2000));
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(*fetched, offsets);  // in-2 has no commit: absent

  fake.InjectError(ApiKey::kOffsetCommit, ErrorCode::kIllegalGeneration);
  const Status stale = a.member->CommitOffsets({{{"in", 0}, 50}}, milliseconds(2000));
  EXPECT_EQ(stale.code(), StatusCode::kFailedPrecondition) << stale.ToString();
  EXPECT_THAT(stale.message(), HasSubstr("ILLEGAL_GENERATION"));
  EXPECT_THAT(stale.message(), HasSubstr("in-0"));
  const auto lost = a.listener->events(Event::kLost);
  ASSERT_EQ(lost.size(), 1U);
  EXPECT_EQ(lost[0].tasks, AllTasks());
  EXPECT_EQ(fake.committed().at({"in", 0}), 42);
  ASSERT_TRUE(WaitStable(a, 2));
}

TEST(GroupMember, AsyncCommitIsAppliedInOrderAndReportsItsOutcome) {
  FakeCoordinator fake;
  Running a = StartMember(Options(fake));
  ASSERT_TRUE(WaitStable(a, 1));
  std::promise<Status> first;
  std::promise<Status> second;
  a.member->CommitOffsetsAsync({{{"in", 0}, 10}}, milliseconds(2000),
                               [&](Status s) { first.set_value(std::move(s)); });
  a.member->CommitOffsetsAsync({{{"in", 0}, 20}}, milliseconds(2000),
                               [&](Status s) { second.set_value(std::move(s)); });
  auto f1 = first.get_future();
  auto f2 = second.get_future();
  ASSERT_EQ(f2.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(f1.get().ok());
  EXPECT_TRUE(f2.get().ok());
  EXPECT_EQ(fake.committed().at({"in", 0}), 20);  // in order: the later offset wins

  fake.InjectError(ApiKey::kOffsetCommit, ErrorCode::kIllegalGeneration);
  std::promise<Status> stale;
  a.member->CommitOffsetsAsync({{{"in", 0}, 30}}, milliseconds(2000),
                               [&](Status s) { stale.set_value(std::move(s)); });
  auto fs = stale.get_future();
  ASSERT_EQ(fs.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  const Status s = fs.get();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ(fake.committed().at({"in", 0}), 20);

  a.member->Stop(GroupMember::LeaveMode::kDefault);
  Status after;
  a.member->CommitOffsetsAsync({{{"in", 0}, 40}}, milliseconds(2000),
                               [&](Status st) { after = std::move(st); });
  EXPECT_EQ(after.code(), StatusCode::kFailedPrecondition);  // called at once, on the caller
  EXPECT_THAT(after.message(), HasSubstr("not running"));
}

TEST(GroupMember, FetchesOffsetsWithThePreV8Layout) {
  FakeCoordinator fake;
  fake.SetMaxVersion(ApiKey::kOffsetFetch, 7);
  Running a = StartMember(Options(fake));
  ASSERT_TRUE(WaitStable(a, 1));
  ASSERT_TRUE(a.member->CommitOffsets({{{"in", 3}, 9}}, milliseconds(2000)).ok());
  Result<std::map<TopicPartition, int64_t>> fetched =
      a.member->FetchCommittedOffsets({{"in", 3}, {"in", 0}}, milliseconds(2000));
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(*fetched, (std::map<TopicPartition, int64_t>{{{"in", 3}, 9}}));
  EXPECT_EQ(fake.requests(ApiKey::kOffsetFetch).back().version, 7);
}

TEST(GroupMember, WhatStopSendsDependsOnMembershipKindAndMode) {
  struct Case {
    const char* name;
    bool is_static;
    GroupMember::LeaveMode mode;
    bool leaves;
    bool revokes;
  };
  const Case cases[] = {
      {"dynamic default", false, GroupMember::LeaveMode::kDefault, true, true},
      {"static default", true, GroupMember::LeaveMode::kDefault, false, true},
      {"static leave", true, GroupMember::LeaveMode::kLeave, true, true},
      {"dynamic abandon", false, GroupMember::LeaveMode::kAbandon, false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FakeCoordinator fake;
    GroupOptions o = Options(fake);
    if (c.is_static) o.group_instance_id = "pod-7";
    Running a = StartMember(o);
    ASSERT_TRUE(WaitStable(a, 1));
    const std::string id = a.member->status().member_id;
    a.member->Stop(c.mode);
    EXPECT_EQ(a.member->status().state, MemberState::kStopped);
    const auto leaves = fake.requests(ApiKey::kLeaveGroup);
    ASSERT_EQ(leaves.size(), c.leaves ? 1U : 0U);
    if (c.leaves) {
      EXPECT_EQ(leaves[0].member_id, id);
      if (c.is_static) {
        EXPECT_EQ(leaves[0].group_instance_id, "pod-7");
      }
      EXPECT_EQ(leaves[0].reason,
                c.mode == GroupMember::LeaveMode::kLeave ? "scaled away" : "stopping");
      EXPECT_TRUE(fake.members().empty());
    } else {
      EXPECT_EQ(fake.members(), std::set<std::string>{id});
    }
    const auto revoked = a.listener->events(Event::kRevoked);
    ASSERT_EQ(revoked.size(), c.revokes ? 1U : 0U);
    if (c.revokes) {
      EXPECT_EQ(revoked[0].tasks, AllTasks());
    }
  }
}

TEST(GroupMember, RevocationCallbackOnStopCanCommitBeforeTheMemberLeaves) {
  FakeCoordinator fake;
  std::vector<Status> commits;  // before the member: its hook outlives the test body
  Running a = StartMember(Options(fake));
  ASSERT_TRUE(WaitStable(a, 1));
  a.listener->SetOnRevoked([&commits, m = a.member.get()](const std::set<TaskId>& tasks) {
    std::map<TopicPartition, int64_t> offsets;
    for (const TaskId& t : tasks) offsets[{"in", t.partition}] = 100 + t.partition;
    commits.push_back(m->CommitOffsets(offsets, milliseconds(2000)));
  });
  a.member->Stop();
  ASSERT_EQ(commits.size(), 1U);
  EXPECT_TRUE(commits[0].ok()) << commits[0].ToString();
  EXPECT_EQ(fake.committed().size(), 4U);
  const std::vector<ApiKey> apis = Apis(fake.requests());
  ASSERT_GE(apis.size(), 2U);
  EXPECT_THAT(std::vector<ApiKey>(apis.end() - 2, apis.end()),
              ElementsAre(ApiKey::kOffsetCommit, ApiKey::kLeaveGroup));
}

TEST(GroupMember, StopDuringAPendingJoinGroupStillLeaves) {
  FakeCoordinator fake;
  std::vector<Status> commits;  // before the member: its hook outlives the test body
  Running a = StartMember(Options(fake));
  ASSERT_TRUE(WaitStable(a, 1));
  a.listener->SetOnRevoked([&commits, m = a.member.get()](const std::set<TaskId>&) {
    commits.push_back(m->CommitOffsets({{{"in", 2}, 5}}, milliseconds(2000)));
  });
  fake.NeverAnswerNext(ApiKey::kJoinGroup);  // as if waiting for other members
  fake.TriggerRebalance();
  ASSERT_TRUE(fake.WaitForCount(ApiKey::kJoinGroup, 3, kWait));
  a.member->Stop();
  ASSERT_EQ(commits.size(), 1U);
  EXPECT_TRUE(commits[0].ok()) << commits[0].ToString();
  EXPECT_EQ(fake.committed().at({"in", 2}), 5);
  const auto leaves = fake.requests(ApiKey::kLeaveGroup);
  ASSERT_EQ(leaves.size(), 1U);
  EXPECT_EQ(leaves[0].member_id, "member-1");
  EXPECT_TRUE(fake.members().empty());
}

TEST(GroupMember, EagerRevocationCallbackKeepsItsTasksWhenItsCommitIsFenced) {
  FakeCoordinator fake;
  GroupOptions o = Options(fake);
  o.rebalance_protocol = RebalanceProtocol::kEager;
  // Before the member: its hook also runs when the member stops at the end.
  std::vector<size_t> sizes;  // the callback's task set: before and after its commit
  Status commit;
  Running a = StartMember(o);
  ASSERT_TRUE(WaitStable(a, 1));
  a.listener->SetOnRevoked([&, m = a.member.get()](const std::set<TaskId>& tasks) {
    sizes.push_back(tasks.size());
    commit = m->CommitOffsets({{{"in", 0}, 1}}, milliseconds(2000));
    sizes.push_back(tasks.size());
  });
  fake.InjectError(ApiKey::kOffsetCommit, ErrorCode::kIllegalGeneration);
  fake.TriggerRebalance();
  ASSERT_TRUE(WaitStable(a, 2));
  EXPECT_EQ(commit.code(), StatusCode::kFailedPrecondition) << commit.ToString();
  ASSERT_GE(sizes.size(), 2U);
  EXPECT_EQ(sizes[0], 4U);
  EXPECT_EQ(sizes[1], 4U);
  // The tasks were handed back by the revocation; they are not lost a second time.
  EXPECT_TRUE(a.listener->events(Event::kLost).empty());
  EXPECT_EQ(a.member->status().assignment.active, AllTasks());
}

TEST(GroupMember, LeaderRetriesSoonWhenItCannotListTheTasks) {
  FakeCoordinator fake;
  GroupOptions o = Options(fake);
  auto calls = std::make_shared<std::atomic<int>>(0);
  o.partition_counts =
      [calls](const std::vector<std::string>& topics) -> Result<std::map<std::string, int32_t>> {
    if ((*calls)++ == 0) return Status::NotFound("topic 'in' not known yet");
    std::map<std::string, int32_t> out;
    for (const std::string& t : topics) out[t] = 4;
    return out;
  };
  Running a = StartMember(o);
  ASSERT_TRUE(WaitStable(a, 1));
  EXPECT_TRUE(a.member->status().assignment.active.empty());
  // The follow-up round, retry_backoff_max (100 ms) later, assigns the tasks.
  ASSERT_TRUE(a.member->WaitFor(
      [](const MemberStatus& s) {
        return s.state == MemberState::kStable && s.assignment.active == AllTasks();
      },
      milliseconds(2000)));
  EXPECT_EQ(a.member->status().rebalances, 2);
  EXPECT_EQ(calls->load(), 2);
}

TEST(GroupMember, EagerRevokesEverythingBeforeJoinGroup) {
  FakeCoordinator fake;
  GroupOptions o = Options(fake);
  o.rebalance_protocol = RebalanceProtocol::kEager;
  Running a = StartMember(o);
  ASSERT_TRUE(WaitStable(a, 1));
  fake.TriggerRebalance();
  ASSERT_TRUE(WaitStable(a, 2));

  const auto revoked = a.listener->events(Event::kRevoked);
  ASSERT_EQ(revoked.size(), 1U);
  EXPECT_EQ(revoked[0].tasks, AllTasks());
  const auto joins = fake.requests(ApiKey::kJoinGroup);
  ASSERT_EQ(joins.size(), 3U);
  EXPECT_LT(revoked[0].at, joins[2].at);  // revoked, then rejoined
  EXPECT_THAT(joins[2].protocol_names, ElementsAre("brook-eager"));
  const Subscription sub = DecodeSubscription(joins[2]);
  EXPECT_TRUE(sub.wire.owned_partitions.empty());  // eager: nothing owned on the wire
  // ... but brook's userData still names the tasks it ran (as Kafka Streams' prevTasks), so
  // the leader stays sticky and moves stateful tasks through warmups.
  EXPECT_EQ(sub.info.prev_active, AllTasks());
  EXPECT_EQ(a.member->status().assignment.added, AllTasks());
  EXPECT_TRUE(a.listener->events(Event::kLost).empty());
}

// Listener whose local state is "caught up" (offset sum kCaughtUp) for its active tasks and
// every warmup it was given: a warmup catches up at once, as a small changelog would.
class WarmingListener : public Listener {
 public:
  static constexpr int64_t kCaughtUp = 1000;
  explicit WarmingListener(std::set<TaskId> initial) : held_(std::move(initial)) {}
  LocalState GetLocalState() override {
    std::lock_guard lock(mu_);
    LocalState s;
    for (const TaskId& t : held_) s.task_offset_sums[t] = kCaughtUp;
    return s;
  }
  void OnAssignment(const GroupAssignment& a) override {
    {
      std::lock_guard lock(mu_);
      held_.insert(a.active.begin(), a.active.end());
      held_.insert(a.warmup.begin(), a.warmup.end());
    }
    Listener::OnAssignment(a);
  }

 private:
  std::mutex mu_;
  std::set<TaskId> held_;
};

// A drain that moves more tasks than kMaxImmediateFollowups warmup cycles: every cycle ends
// in a round of deferred moves alone, and each such round makes progress, so the leader keeps
// asking for immediate follow-ups until every task moved (it used to fall back to the
// probing interval, 10 min, after the third such round, leaving the last moves on the
// draining member).
TEST(GroupMember, ADrainThroughManyWarmupCyclesIsNotCutOffByTheFollowupDamping) {
  FakeCoordinator fake;
  constexpr int32_t kTasks = 24;
  std::set<TaskId> all;
  for (int32_t p = 0; p < kTasks; ++p) all.insert(TaskId{0, p});
  auto options = [&](const std::string& process) {
    GroupOptions o = Options(fake, process);
    o.topology.subtopologies = {{0, {"in"}, true}};
    o.partition_counts =
        [](const std::vector<std::string>& topics) -> Result<std::map<std::string, int32_t>> {
      std::map<std::string, int32_t> out;
      for (const std::string& t : topics) out[t] = kTasks;
      return out;
    };
    o.assignor.acceptable_recovery_lag = 0;
    o.assignor.max_warmup_replicas = 2;
    return o;
  };
  // The draining member (and leader) owns every task; the other one starts empty.
  Running leaving;
  {
    auto listener = std::make_unique<WarmingListener>(all);
    auto m = GroupMember::Create(options("proc-b"), listener.get());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    leaving.listener = std::move(listener);
    leaving.member = std::move(*m);
    ASSERT_TRUE(leaving.member->Start().ok());
  }
  ASSERT_TRUE(leaving.member->WaitFor(
      [&](const MemberStatus& s) {
        return s.state == MemberState::kStable && s.assignment.active == all;
      },
      kWait));
  leaving.member->SetDraining(true);
  Running staying;
  {
    auto listener = std::make_unique<WarmingListener>(std::set<TaskId>{});
    auto m = GroupMember::Create(options("proc-a"), listener.get());
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    staying.listener = std::move(listener);
    staying.member = std::move(*m);
    ASSERT_TRUE(staying.member->Start().ok());
  }
  // The runtime rejoins when a warmup caught up; here every warmup is caught up at once.
  std::atomic<bool> done{false};
  std::thread warmups([&] {
    int32_t asked_for = -1;
    while (!done.load()) {
      const MemberStatus s = staying.member->status();
      if (s.state == MemberState::kStable && !s.assignment.warmup.empty() &&
          s.generation != asked_for) {
        asked_for = s.generation;
        staying.member->RequestRejoin("warmup caught up");
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  });
  const bool moved = staying.member->WaitFor(
      [&](const MemberStatus& s) {
        return s.state == MemberState::kStable && s.assignment.active == all;
      },
      milliseconds(10000));
  done.store(true);
  warmups.join();
  ASSERT_TRUE(moved) << "the drain stopped with "
                     << staying.member->status().assignment.active.size() << " of " << kTasks
                     << " tasks moved";
  ASSERT_TRUE(leaving.member->WaitFor(
      [](const MemberStatus& s) {
        return s.state == MemberState::kStable && s.assignment.active.empty();
      },
      kWait));
  // More warmup cycles than the damping allows in a row without progress.
  EXPECT_GE(staying.member->status().rebalances, 8);
}

TEST(GroupMember, MaxPollIntervalGivesUpTheMembershipUntilTheLoopIsBack) {
  FakeCoordinator fake;
  GroupOptions o = Options(fake);
  o.max_poll_interval = milliseconds(300);
  Running a = StartMember(o);
  std::atomic<bool> polling{true};
  std::thread loop([&] {
    while (polling) {
      a.member->NotifyPollProgress();
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  const bool first = WaitStable(a, 1);
  polling = false;
  loop.join();
  ASSERT_TRUE(first);
  ASSERT_TRUE(a.member->WaitFor(
      [](const MemberStatus& s) { return s.state == MemberState::kWaitingForPoll; }, kWait));
  const auto lost = a.listener->events(Event::kLost);
  ASSERT_EQ(lost.size(), 1U);
  EXPECT_EQ(lost[0].tasks, AllTasks());
  EXPECT_EQ(fake.Count(ApiKey::kLeaveGroup), 1);  // a dynamic member leaves

  a.member->NotifyPollProgress();
  ASSERT_TRUE(a.member->WaitFor(
      [](const MemberStatus& s) { return s.state == MemberState::kStable && s.rebalances == 2; },
      kWait));
  EXPECT_EQ(a.member->status().assignment.active, AllTasks());
}

}  // namespace
}  // namespace brook::group
