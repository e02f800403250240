// GroupMember: one brook instance's membership in its Kafka consumer group, driven with the
// classic group protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup/OffsetCommit/OffsetFetch)
// on a dedicated group thread, with brook's assignor run by whichever member the coordinator
// elects leader. The state machine is described in src/group/README.md.
//
// Contract:
//   - Protocol type "consumer", protocol name "brook" (cooperative, KIP-429) or
//     "brook-eager"; subscription/assignment in ConsumerProtocol format with brook's
//     SubscriptionInfo/AssignmentInfo as userData (user_data.h).
//   - Cooperative: a member keeps processing every task it keeps through the rebalance;
//     OnTasksRevoked is called only for tasks that move away, after SyncGroup, and the member
//     then rejoins at once so the second phase hands them to their new owner. Eager: every
//     active task is revoked before JoinGroup.
//   - Static membership (group_instance_id set): a restart within session_timeout gets the
//     same assignment without a rebalance; no LeaveGroup on an ordinary Stop(), but
//     LeaveGroup when stopping with LeaveMode::kLeave (drain / scale-down).
//     FENCED_INSTANCE_ID stops the member: OnFatalError, state kFailed.
//   - ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID: OnTasksLost(all active), reset, rejoin.
//   - If NotifyPollProgress() is not called for max_poll_interval, the member gives up its
//     tasks (OnTasksLost), leaves the group (dynamic members) and rejoins on the next call.
//   - Listener callbacks run on the group thread, one at a time, and block it: a revocation
//     callback should commit the revoked tasks before returning. CommitOffsets and
//     FetchCommittedOffsets may be called from inside callbacks (they run inline there).
//
// Thread-safety: every public method is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "assignor/assignor.h"
#include "brook/ids.h"
#include "brook/status.h"
#include "group/coordinator.h"
#include "group/leader.h"
#include "group/topology.h"
#include "group/user_data.h"

namespace brook::group {

enum class RebalanceProtocol { kCooperative, kEager };
// "brook" or "brook-eager": the JoinGroup protocol name.
std::string_view ProtocolName(RebalanceProtocol protocol);
[[nodiscard]] Result<RebalanceProtocol> ParseRebalanceProtocol(std::string_view text);

struct GroupOptions {
  std::string bootstrap_servers;    // "host:port[,host:port...]"; required
  std::string group_id;             // the application id; required
  std::string client_id = "brook";  // Default: "brook"
  // Static membership identity, e.g. the pod name. Default: none (dynamic member).
  std::optional<std::string> group_instance_id;
  // Identifies the process in the assignment. Default: the instance id, else a random id.
  std::string process_id;
  std::string endpoint;  // host:port for interactive queries. Default: empty
  std::string rack;      // Default: empty (no rack awareness)
  RebalanceProtocol rebalance_protocol = RebalanceProtocol::kCooperative;  // Default: cooperative
  std::chrono::milliseconds session_timeout{45000};                        // Default: 45 s
  std::chrono::milliseconds heartbeat_interval{3000};                      // Default: 3 s
  std::chrono::milliseconds rebalance_timeout{300000};                     // Default: 5 min
  std::chrono::milliseconds max_poll_interval{300000};                     // Default: 5 min
  std::chrono::milliseconds request_timeout{30000};                        // Default: 30 s
  std::chrono::milliseconds retry_backoff{100};                            // Default: 100 ms
  std::chrono::milliseconds retry_backoff_max{1000};                       // Default: 1 s
  assignor::AssignorConfig assignor;  // Default: see assignor.h
  GroupTopology topology;             // required
  // Partition counts of the given topics (the leader asks for the source topics). Required.
  std::function<Result<std::map<std::string, int32_t>>(const std::vector<std::string>&)>
      partition_counts;
  // Default: plaintext TCP.
  std::function<std::unique_ptr<net::Transport>()> transport_factory = net::MakeTcpTransport;
};

// What the runtime reports about itself at each join.
struct LocalState {
  double capacity = 1.0;
  int64_t state_bytes = 0;
  std::map<TaskId, int64_t> task_offset_sums;
  std::map<TaskId, TaskLoad> task_loads;
};

struct GroupAssignment {
  int32_t generation = -1;
  std::string member_id;
  bool leader = false;
  std::set<TaskId> active;  // every active task, kept and new
  std::set<TaskId> added;   // active tasks new in this assignment
  std::set<TaskId> standby;
  std::set<TaskId> warmup;
  int32_t error_code = 0;  // AssignmentInfo.error_code
  // Every endpoint of the group and its active/standby tasks (AssignmentInfo.host_map; empty
  // from a version-1 leader or when nobody sets application.server).
  HostMap host_map;
};

class GroupListener {
 public:
  virtual ~GroupListener() = default;
  virtual LocalState GetLocalState() { return {}; }
  // The tasks move to another member: finish and commit them before returning.
  virtual void OnTasksRevoked(const std::set<TaskId>& tasks) = 0;
  // The membership was lost (generation fenced): drop the tasks without committing.
  virtual void OnTasksLost(const std::set<TaskId>& tasks) = 0;
  // After every completed rebalance (also when nothing changed for this member).
  virtual void OnAssignment(const GroupAssignment& assignment) = 0;
  // The member stopped for good (e.g. FENCED_INSTANCE_ID, invalid configuration).
  virtual void OnFatalError(const Status& error) { (void)error; }
};

enum class MemberState { kCreated, kJoining, kStable, kWaitingForPoll, kStopped, kFailed };
std::string_view MemberStateName(MemberState state);

struct MemberStatus {
  MemberState state = MemberState::kCreated;
  std::string member_id;
  int32_t generation = -1;
  bool leader = false;
  int rebalances = 0;  // completed JoinGroup+SyncGroup rounds
  GroupAssignment assignment;
  Status error;                       // set in kFailed
  std::vector<std::string> warnings;  // the leader's last assignment warnings
};

class GroupMember {
 public:
  enum class LeaveMode {
    kDefault,  // dynamic member: LeaveGroup; static member: stay (a restart is expected)
    kLeave,    // always LeaveGroup: the instance is scaled away
    kAbandon,  // no revocation callback, no LeaveGroup: as if the process died
  };

  // Validates the options (errors name the option).
  [[nodiscard]] static Result<std::unique_ptr<GroupMember>> Create(GroupOptions options,
                                                                   GroupListener* listener);
  ~GroupMember();
  GroupMember(const GroupMember&) = delete;
  GroupMember& operator=(const GroupMember&) = delete;

  // Starts the group thread, which joins the group.
  [[nodiscard]] Status Start();
  // Revokes (kDefault, kLeave) and leaves as the mode says, then joins the thread.
  void Stop(LeaveMode mode = LeaveMode::kDefault);

  // Ask for a rebalance (e.g. a warmup caught up): the member rejoins.
  void RequestRejoin(const std::string& reason);
  // Mark the member as draining (reported in its subscription) and rejoin.
  void SetDraining(bool draining);
  // The processing loop is alive (max.poll-style liveness).
  void NotifyPollProgress();

  // OffsetCommit with the member's generation and id. A commit from a stale generation is
  // rejected with kFailedPrecondition naming the error; nothing is applied then.
  [[nodiscard]] Status CommitOffsets(const std::map<TopicPartition, int64_t>& offsets,
                                     std::chrono::milliseconds timeout);
  // As CommitOffsets, without waiting: the commit is queued for the group thread (in order
  // with other commits) and `done` is called there with its outcome. For callers that must
  // not block while the member is in a JoinGroup/SyncGroup round (a stream thread's interval
  // commit). When the member is not running `done` is called at once, on the caller.
  void CommitOffsetsAsync(const std::map<TopicPartition, int64_t>& offsets,
                          std::chrono::milliseconds timeout, std::function<void(Status)> done);
  // Committed offsets; partitions without a commit are absent from the result.
  [[nodiscard]] Result<std::map<TopicPartition, int64_t>> FetchCommittedOffsets(
      const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout);

  [[nodiscard]] MemberStatus status() const;
  // Waits until pred(status()) holds; false on timeout.
  bool WaitFor(const std::function<bool(const MemberStatus&)>& pred,
               std::chrono::milliseconds timeout) const;

 private:
  using Clock = std::chrono::steady_clock;
  GroupMember(GroupOptions options, GroupListener* listener);

  void Run();
  void JoinAndSync();
  void Heartbeat();
  void RunJobs();
  void Leave(const std::string& reason);
  void LoseTasks(const std::string& why, bool reset_member_id);
  void Fail(const Status& error);
  [[nodiscard]] Status FencedStatus() const;
  bool HandleCoordinatorError(int16_t code, std::string_view api);
  Result<protocol::Bytes> BuildSubscription();
  Result<std::vector<JoinedMember>> ToJoined(const protocol::JoinGroupResponse& resp) const;
  Status DoCommit(const std::map<TopicPartition, int64_t>& offsets,
                  std::chrono::milliseconds timeout);
  Result<std::map<TopicPartition, int64_t>> DoFetch(const std::vector<TopicPartition>& partitions,
                                                    std::chrono::milliseconds timeout);
  void Publish();  // copies the group-thread state into status_ and notifies waiters
  bool OnGroupThread() const { return std::this_thread::get_id() == thread_.get_id(); }

  GroupOptions options_;
  GroupListener* listener_;
  CoordinatorClient coordinator_;

  // Group-thread state.
  std::map<TopicPartition, int64_t> committed_;  // highest offset committed per partition
  std::string member_id_;
  int32_t generation_ = -1;
  std::string leader_id_;
  bool need_join_ = true;
  std::string join_reason_ = "initial join";
  std::optional<Clock::time_point> rejoin_at_;
  Clock::time_point next_heartbeat_{};
  std::set<TaskId> active_;
  // Eager: the tasks revoked before this join. Still reported as prev_active (as Kafka
  // Streams' eager members do): the leader needs the previous owners to stay sticky and to
  // move stateful tasks through warmups; without them every task looks unowned, goes back to
  // the member with the most state, and the immediate follow-up repeats that forever.
  std::set<TaskId> eager_revoked_;
  std::set<TaskId> standby_;
  std::set<TaskId> warmup_;
  MemberState state_ = MemberState::kCreated;
  int rebalances_ = 0;
  int immediate_followups_ = 0;  // leader: deferred-move follow-ups in a row without progress
  // Leader: moves outstanding (pending + deferred) after the last deferred-move follow-up.
  std::optional<size_t> last_outstanding_moves_;
  GroupAssignment last_assignment_;
  std::vector<std::string> last_warnings_;

  // Shared with other threads.
  std::atomic<bool> stop_{false};
  std::atomic<bool> draining_{false};
  std::atomic<int64_t> last_poll_ns_{0};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // status changes and wake-ups of the group thread
  std::deque<std::function<void()>> jobs_;
  std::optional<std::string> rejoin_request_;
  LeaveMode leave_mode_ = LeaveMode::kDefault;
  MemberStatus status_;
  std::thread thread_;
};

}  // namespace brook::group
