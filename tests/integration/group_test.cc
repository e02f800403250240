// Integration, real broker: brook's group membership (src/group) driving Kafka's classic
// group protocol. Scale-out and scale-in with cooperative rebalancing (kept tasks never
// revoked), warmup promotion, eager contrast, static membership restart, fencing, kill -9,
// max.poll liveness, drain, offset commits with generation fencing, and Kafka's own
// kafka-consumer-groups tool describing brook's members.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <sstream>
#include <thread>

#include "client/admin.h"
#include "group/coordinator.h"
#include "group_test_util.h"

extern char** environ;

namespace brook {
namespace {

using group::GroupMember;
using group::MemberState;
using group::MemberStatus;
using std::chrono::milliseconds;
using testing::GroupEvent;
using ::testing::HasSubstr;
using testing::RecordingListener;

constexpr milliseconds kConverge{60000};

struct Instance {
  std::unique_ptr<RecordingListener> listener;
  std::unique_ptr<GroupMember> member;
};

Instance StartMember(group::GroupOptions options) {
  Instance in;
  in.listener = std::make_unique<RecordingListener>();
  auto m = GroupMember::Create(std::move(options), in.listener.get());
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return in;
  in.member = std::move(*m);
  in.listener->member = in.member.get();
  EXPECT_TRUE(in.member->Start().ok());
  return in;
}

std::string Describe(const std::vector<Instance*>& group) {
  std::ostringstream os;
  for (const Instance* in : group) {
    const MemberStatus s = in->member->status();
    os << "  " << s.member_id << " state=" << group::MemberStateName(s.state)
       << " gen=" << s.generation << " active=[" << group::TaskSetString(s.assignment.active)
       << "] warmup=[" << group::TaskSetString(s.assignment.warmup) << "]\n";
  }
  return os.str();
}

// Every member stable in one generation; active sets partition the tasks 0_0..0_{n-1};
// counts balanced within one task; no warmups pending.
bool Converged(const std::vector<Instance*>& group, int tasks) {
  std::set<TaskId> all;
  size_t total = 0;
  size_t lo = SIZE_MAX;
  size_t hi = 0;
  int32_t generation = -2;
  for (const Instance* in : group) {
    const MemberStatus s = in->member->status();
    if (s.state != MemberState::kStable || s.rebalances == 0) return false;
    if (generation != -2 && s.generation != generation) return false;
    generation = s.generation;
    if (!s.assignment.warmup.empty()) return false;
    all.insert(s.assignment.active.begin(), s.assignment.active.end());
    total += s.assignment.active.size();
    lo = std::min(lo, s.assignment.active.size());
    hi = std::max(hi, s.assignment.active.size());
  }
  return total == static_cast<size_t>(tasks) && all.size() == total && hi - lo <= 1;
}

void WaitConverged(const std::vector<Instance*>& group, int tasks) {
  const auto deadline = std::chrono::steady_clock::now() + kConverge;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Converged(group, tasks)) {
      // Stable for a moment (no follow-up rebalance right behind).
      std::this_thread::sleep_for(milliseconds(1500));
      if (Converged(group, tasks)) return;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  ADD_FAILURE() << "group did not converge on " << tasks << " tasks in " << kConverge.count()
                << " ms:\n"
                << Describe(group);
}

// Cooperative guarantee: a task in two consecutive assignments of a member was never revoked
// or lost in between. Returns the violations.
std::vector<std::string> KeptTasksRevoked(const std::vector<GroupEvent>& events) {
  std::vector<std::string> bad;
  std::optional<std::set<TaskId>> prev;
  std::set<TaskId> taken;  // revoked or lost since prev
  for (const GroupEvent& e : events) {
    if (e.kind != GroupEvent::kAssigned) {
      taken.insert(e.tasks.begin(), e.tasks.end());
      continue;
    }
    if (prev) {
      for (const TaskId& t : taken) {
        if (prev->contains(t) && e.tasks.contains(t)) {
          bad.push_back("task " + t.ToString() + " kept into generation " +
                        std::to_string(e.generation) + " but revoked before it");
        }
      }
    }
    prev = e.tasks;
    taken.clear();
  }
  return bad;
}

int CountRevocations(const std::vector<GroupEvent>& events) {
  return static_cast<int>(std::count_if(events.begin(), events.end(), [](const GroupEvent& e) {
    return e.kind == GroupEvent::kRevoked;
  }));
}

group::GroupOptions Options(const std::string& group, bool stateful, int partitions = 6) {
  group::GroupOptions o = testing::FastGroupOptions(group, group + "-in", partitions, stateful);
  o.max_poll_interval = milliseconds(600000);
  return o;
}

TEST(Group, CooperativeOneTwoThreeTwoNeverRevokesKeptTasks) {
  const std::string g = testing::UniqueTopic("coop");
  // Each task's state is 1000 offsets (RecordingListener); with acceptable.recovery.lag at
  // 100 a newcomer without state is not caught up, so tasks move through warmups.
  auto options = [&] {
    group::GroupOptions o = Options(g, /*stateful=*/true);
    o.assignor.acceptable_recovery_lag = 100;
    return o;
  };
  Instance a = StartMember(options());
  WaitConverged({&a}, 6);
  EXPECT_EQ(a.member->status().assignment.active.size(), 6u);

  Instance b = StartMember(options());
  WaitConverged({&a, &b}, 6);
  Instance c = StartMember(options());
  WaitConverged({&a, &b, &c}, 6);
  for (Instance* in : {&a, &b, &c}) EXPECT_EQ(in->member->status().assignment.active.size(), 2u);

  c.member->Stop(GroupMember::LeaveMode::kDefault);  // dynamic member: sends LeaveGroup
  WaitConverged({&a, &b}, 6);

  for (Instance* in : {&a, &b, &c}) {
    const auto events = in->listener->events();
    EXPECT_THAT(KeptTasksRevoked(events), ::testing::IsEmpty());
    for (const GroupEvent& e : events) EXPECT_NE(e.kind, GroupEvent::kLost);
  }
  // Tasks did move (a gave up 4 of its 6 to b and c), and moved only via revocation.
  EXPECT_GE(CountRevocations(a.listener->events()), 1);
  // The newcomers had no state: they warmed tasks up first and were promoted to active on
  // them as soon as they reported being caught up.
  for (Instance* in : {&b, &c}) {
    std::set<TaskId> warmed;
    std::set<TaskId> promoted;
    for (const GroupEvent& e : in->listener->events()) {
      if (e.kind != GroupEvent::kAssigned) continue;
      for (const TaskId& t : e.tasks) {
        if (warmed.contains(t)) promoted.insert(t);
      }
      warmed.insert(e.warmup.begin(), e.warmup.end());
    }
    EXPECT_FALSE(warmed.empty());
    EXPECT_FALSE(promoted.empty());
  }
  EXPECT_TRUE(a.listener->fatal().ok());
}

TEST(Group, EagerRevokesEverythingOnEachRebalance) {
  const std::string g = testing::UniqueTopic("eager");
  group::GroupOptions o = Options(g, /*stateful=*/false);
  o.rebalance_protocol = group::RebalanceProtocol::kEager;
  Instance a = StartMember(o);
  WaitConverged({&a}, 6);
  Instance b = StartMember(o);
  WaitConverged({&a, &b}, 6);

  // a kept 3 tasks, yet eager revoked all 6 before rejoining.
  const auto events = a.listener->events();
  ASSERT_GE(CountRevocations(events), 1);
  const auto first_revoke = std::find_if(events.begin(), events.end(), [](const GroupEvent& e) {
    return e.kind == GroupEvent::kRevoked;
  });
  EXPECT_EQ(first_revoke->tasks.size(), 6u);
  EXPECT_THAT(KeptTasksRevoked(events), ::testing::Not(::testing::IsEmpty()));
}

TEST(Group, StaticMemberRestartWithinSessionTimeoutCausesNoRebalance) {
  const std::string g = testing::UniqueTopic("static");
  group::GroupOptions o1 = Options(g, false);
  o1.group_instance_id = "pod-0";
  group::GroupOptions o2 = Options(g, false);
  o2.group_instance_id = "pod-1";
  Instance a = StartMember(o1);
  Instance b = StartMember(o2);
  WaitConverged({&a, &b}, 6);
  const MemberStatus before_a = a.member->status();
  const MemberStatus before_b = b.member->status();
  // Revocations so far: b may have joined after a's first generation (a loaded machine), and
  // then a handed 3 tasks over cooperatively; only the restart must revoke nothing.
  const int revoked_before = CountRevocations(a.listener->events());

  b.member->Stop(GroupMember::LeaveMode::kDefault);  // static: no LeaveGroup
  b.member.reset();
  Instance b2 = StartMember(o2);  // the pod comes back with the same identity
  ASSERT_TRUE(b2.member->WaitFor(
      [](const MemberStatus& s) { return s.state == MemberState::kStable; }, kConverge));
  const MemberStatus after_b = b2.member->status();
  EXPECT_EQ(after_b.generation, before_b.generation);
  EXPECT_EQ(after_b.assignment.active, before_b.assignment.active);
  // a saw no rebalance at all: same generation, no extra JoinGroup round, nothing revoked.
  std::this_thread::sleep_for(milliseconds(2000));
  const MemberStatus after_a = a.member->status();
  EXPECT_EQ(after_a.generation, before_a.generation);
  EXPECT_EQ(after_a.rebalances, before_a.rebalances);
  EXPECT_EQ(CountRevocations(a.listener->events()), revoked_before);
}

TEST(Group, DuplicateInstanceIdIsFenced) {
  const std::string g = testing::UniqueTopic("fenced");
  group::GroupOptions o = Options(g, false);
  o.group_instance_id = "pod-0";
  Instance a = StartMember(o);
  ASSERT_TRUE(a.member->WaitFor(
      [](const MemberStatus& s) { return s.state == MemberState::kStable; }, kConverge));
  Instance a2 = StartMember(o);  // a second process with the same pod name
  ASSERT_TRUE(a.member->WaitFor(
      [](const MemberStatus& s) { return s.state == MemberState::kFailed; }, kConverge))
      << Describe({&a, &a2});
  EXPECT_THAT(a.member->status().error.message(), HasSubstr("FENCED_INSTANCE_ID"));
  EXPECT_THAT(a.listener->fatal().message(), HasSubstr("pod-0"));
  ASSERT_TRUE(a2.member->WaitFor(
      [](const MemberStatus& s) { return s.state == MemberState::kStable; }, kConverge));
  EXPECT_EQ(a2.member->status().assignment.active.size(), 6u);
}

TEST(Group, KilledMemberTasksMoveAfterSessionTimeout) {
  const std::string g = testing::UniqueTopic("kill");
  Instance a = StartMember(Options(g, false));
  WaitConverged({&a}, 6);

  const std::string tool = BROOK_GROUP_MEMBER_TOOL;
  std::vector<std::string> args = {tool, testing::Bootstrap(), g, g + "-in", "6", "pod-x"};
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, tool.c_str(), nullptr, nullptr, argv.data(), environ), 0);
  ASSERT_TRUE(a.member->WaitFor(
      [](const MemberStatus& s) {
        return s.state == MemberState::kStable && s.assignment.active.size() == 3;
      },
      kConverge));
  const int32_t generation = a.member->status().generation;

  const auto killed_at = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  ASSERT_TRUE(a.member->WaitFor(
      [](const MemberStatus& s) {
        return s.state == MemberState::kStable && s.assignment.active.size() == 6;
      },
      kConverge));
  const auto waited = std::chrono::steady_clock::now() - killed_at;
  EXPECT_GT(a.member->status().generation, generation);
  // The tasks came back through the coordinator's session expiry (4 s), not a LeaveGroup.
  EXPECT_GE(waited, milliseconds(2000));
  EXPECT_THAT(KeptTasksRevoked(a.listener->events()), ::testing::IsEmpty());
}

TEST(Group, PollTimeoutGivesUpTasksAndRejoinsOnProgress) {
  const std::string g = testing::UniqueTopic("poll");
  Instance a = StartMember(Options(g, false));
  group::GroupOptions slow = Options(g, false);
  slow.max_poll_interval = milliseconds(3000);
  Instance b = StartMember(slow);
  WaitConverged({&a, &b}, 6);
  // b's processing loop never reports progress: it gives its tasks up and a gets them all.
  ASSERT_TRUE(b.member->WaitFor(
      [](const MemberStatus& s) { return s.state == MemberState::kWaitingForPoll; }, kConverge));
  ASSERT_TRUE(a.member->WaitFor(
      [](const MemberStatus& s) { return s.assignment.active.size() == 6; }, kConverge));
  const auto events = b.listener->events();
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const GroupEvent& e) {
    return e.kind == GroupEvent::kLost && e.tasks.size() == 3;
  }));
  // Progress again: b rejoins and gets its share back.
  std::atomic<bool> done{false};
  std::thread poller([&] {
    while (!done) {
      b.member->NotifyPollProgress();
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  WaitConverged({&a, &b}, 6);
  done = true;
  poller.join();
}

TEST(Group, DrainingMemberHandsOffItsTasksThenLeaves) {
  const std::string g = testing::UniqueTopic("drain");
  std::vector<Instance> pods;
  for (int i = 0; i < 3; ++i) {
    group::GroupOptions o = Options(g, /*stateful=*/true);
    o.group_instance_id = "pod-" + std::to_string(i);
    pods.push_back(StartMember(o));
  }
  WaitConverged({&pods[0], &pods[1], &pods[2]}, 6);
  pods[2].member->SetDraining(true);
  ASSERT_TRUE(pods[2].member->WaitFor(
      [](const MemberStatus& s) {
        return s.state == MemberState::kStable && s.assignment.active.empty() &&
               s.assignment.standby.empty() && s.assignment.warmup.empty();
      },
      kConverge))
      << Describe({&pods[0], &pods[1], &pods[2]});
  WaitConverged({&pods[0], &pods[1]}, 6);
  const int32_t generation = pods[0].member->status().generation;
  pods[2].member->Stop(GroupMember::LeaveMode::kLeave);  // static, but scaled away: leaves
  // The LeaveGroup makes the coordinator rebalance at once (no session-timeout wait); the
  // survivors keep every task.
  ASSERT_TRUE(pods[0].member->WaitFor(
      [&](const MemberStatus& s) { return s.generation > generation; }, milliseconds(3500)));
  WaitConverged({&pods[0], &pods[1]}, 6);
  for (Instance* in : {&pods[0], &pods[1]}) {
    EXPECT_THAT(KeptTasksRevoked(in->listener->events()), ::testing::IsEmpty());
    EXPECT_EQ(in->member->status().assignment.active.size(), 3u);
  }
}

TEST(Group, CommitsCarryTheGenerationAndStaleOnesAreRejected) {
  const std::string g = testing::UniqueTopic("commit");
  const std::string topic = g + "-in";
  auto admin = client::Admin::Create(testing::ClientConfig());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->CreateTopic({topic, 6, 1, {}}).ok());
  Instance a = StartMember(Options(g, false));
  WaitConverged({&a}, 6);
  const group::TopicPartition tp{topic, 2};
  const Status committed = a.member->CommitOffsets({{tp, 42}}, milliseconds(10000));
  ASSERT_TRUE(committed.ok()) << committed.ToString();
  auto fetched = a.member->FetchCommittedOffsets({tp, {topic, 3}}, milliseconds(10000));
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(fetched->at(tp), 42);
  EXPECT_FALSE(fetched->contains(group::TopicPartition{topic, 3}));

  // A zombie committing with an old generation is rejected by the coordinator.
  const MemberStatus s = a.member->status();
  group::CoordinatorOptions co;
  co.bootstrap = group::ParseBootstrap(testing::Bootstrap()).value();
  co.group_id = g;
  group::CoordinatorClient zombie(co);
  std::atomic<bool> stop{false};
  ASSERT_TRUE(zombie.EnsureReady(std::chrono::steady_clock::now() + kConverge, stop).ok());
  protocol::OffsetCommitRequest req;
  req.group_id = g;
  req.generation_id_or_member_epoch = s.generation - 1;
  req.member_id = s.member_id;
  protocol::OffsetCommitRequest::Topic t;
  t.name = topic;
  t.partitions.push_back({});
  t.partitions.back().partition_index = 2;
  t.partitions.back().committed_offset = 7;
  req.topics.push_back(t);
  auto resp = zombie.Call(req, milliseconds(10000), stop);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->topics.at(0).partitions.at(0).error_code,
            static_cast<int16_t>(protocol::ErrorCode::kIllegalGeneration));
  fetched = a.member->FetchCommittedOffsets({tp}, milliseconds(10000));
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->at(tp), 42);  // not applied
  ASSERT_TRUE((*admin)->DeleteTopic(topic).ok());
}

std::string RunTool(const std::string& args) {
  const std::string cmd = std::string(BROOK_SOURCE_DIR) +
                          "/scripts/kafka-tool consumer-groups --bootstrap-server " +
                          testing::Bootstrap() + " " + args + " 2>&1";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return "popen failed";
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

TEST(Group, KafkaConsumerGroupsToolDescribesBrookMembers) {
  const std::string g = testing::UniqueTopic("tool");
  const std::string topic = g + "-in";
  auto admin = client::Admin::Create(testing::ClientConfig());
  ASSERT_TRUE(admin.ok()) << admin.status().ToString();
  ASSERT_TRUE((*admin)->CreateTopic({topic, 4, 1, {}}).ok());
  Instance a = StartMember(Options(g, false, 4));
  Instance b = StartMember(Options(g, false, 4));
  WaitConverged({&a, &b}, 4);
  for (Instance* in : {&a, &b}) {
    std::map<group::TopicPartition, int64_t> offsets;
    for (const TaskId& t : in->member->status().assignment.active)
      offsets[{topic, t.partition}] = 0;
    ASSERT_TRUE(in->member->CommitOffsets(offsets, milliseconds(10000)).ok());
  }
  const std::string members = RunTool("--describe --group " + g + " --members --verbose");
  for (Instance* in : {&a, &b}) {
    const MemberStatus s = in->member->status();
    std::string parts;
    for (const TaskId& t : s.assignment.active) {
      parts += (parts.empty() ? "" : ",") + std::to_string(t.partition);
    }
    // One row per member: its id, client id, partition count and its partitions.
    std::istringstream rows(members);
    std::string row;
    bool found = false;
    while (std::getline(rows, row)) {
      if (row.find(s.member_id) == std::string::npos) continue;
      found = true;
      EXPECT_THAT(row, HasSubstr("brook-it"));
      std::string expected = topic;  // Kafka 4.x prints "topic:0,2"
      expected += ':';
      expected += parts;
      EXPECT_THAT(row, HasSubstr(expected));
    }
    EXPECT_TRUE(found) << "member " << s.member_id << " missing from:\n" << members;
  }
  const std::string offsets = RunTool("--describe --group " + g);
  for (Instance* in : {&a, &b}) {
    const MemberStatus s = in->member->status();
    for (const TaskId& t : s.assignment.active) {
      std::istringstream rows(offsets);
      std::string row;
      bool found = false;
      while (std::getline(rows, row)) {
        std::istringstream cols(row);
        std::string grp, tpc, part;
        cols >> grp >> tpc >> part;
        if (tpc == topic && part == std::to_string(t.partition)) {
          found = true;
          EXPECT_THAT(row, HasSubstr(s.member_id));
        }
      }
      EXPECT_TRUE(found) << topic << "-" << t.partition << " missing from:\n" << offsets;
    }
  }
  ASSERT_TRUE((*admin)->DeleteTopic(topic).ok());
}

}  // namespace
}  // namespace brook
