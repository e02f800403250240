#include "group/member.h"

#include <algorithm>
#include <future>
#include <random>
#include <utility>

#include "common/log.h"
#include "group/leader.h"
#include "protocol/consumer_protocol.h"

namespace brook::group {

using protocol::ErrorCode;

namespace {

constexpr std::string_view kCooperativeName = "brook";
constexpr std::string_view kEagerName = "brook-eager";
// Immediate follow-up rebalances for deferred moves alone, in a row, before the leader
// falls back to the probing interval.
constexpr int kMaxImmediateFollowups = 3;

bool Is(int16_t code, ErrorCode e) {
  return code == static_cast<int16_t>(e);
}

bool IsCoordinatorError(int16_t code) {
  return Is(code, ErrorCode::kNotCoordinator) || Is(code, ErrorCode::kCoordinatorNotAvailable) ||
         Is(code, ErrorCode::kCoordinatorLoadInProgress);
}

std::string RandomId() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> d;
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(d(rd)));
  return buf;
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::set<TaskId> Minus(const std::set<TaskId>& a, const std::set<TaskId>& b) {
  std::set<TaskId> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

std::string ErrorText(int16_t code) {
  return protocol::DescribeErrorCode(code);
}

}  // namespace

std::string_view ProtocolName(RebalanceProtocol protocol) {
  return protocol == RebalanceProtocol::kCooperative ? kCooperativeName : kEagerName;
}

Result<RebalanceProtocol> ParseRebalanceProtocol(std::string_view text) {
  if (text == "cooperative") return RebalanceProtocol::kCooperative;
  if (text == "eager") return RebalanceProtocol::kEager;
  return Status::InvalidArgument("rebalance.protocol: '" + std::string(text) +
                                 "' is not one of cooperative, eager");
}

std::string_view MemberStateName(MemberState state) {
  switch (state) {
    case MemberState::kCreated:
      return "created";
    case MemberState::kJoining:
      return "joining";
    case MemberState::kStable:
      return "stable";
    case MemberState::kWaitingForPoll:
      return "waiting-for-poll";
    case MemberState::kStopped:
      return "stopped";
    case MemberState::kFailed:
      return "failed";
  }
  return "unknown";
}

Result<std::unique_ptr<GroupMember>> GroupMember::Create(GroupOptions options,
                                                         GroupListener* listener) {
  if (listener == nullptr) return Status::InvalidArgument("group member: listener is null");
  if (options.group_id.empty()) return Status::InvalidArgument("group.id: must not be empty");
  BROOK_RETURN_IF_ERROR(ParseBootstrap(options.bootstrap_servers).status());
  BROOK_RETURN_IF_ERROR(options.topology.Validate());
  if (!options.partition_counts) {
    return Status::InvalidArgument("group member: partition_counts callback is required");
  }
  if (options.group_instance_id && options.group_instance_id->empty()) {
    return Status::InvalidArgument("group.instance.id: must not be empty when set");
  }
  using std::chrono::milliseconds;
  if (options.session_timeout <= milliseconds(0) || options.heartbeat_interval <= milliseconds(0) ||
      options.heartbeat_interval >= options.session_timeout) {
    return Status::InvalidArgument("heartbeat.interval.ms (" +
                                   std::to_string(options.heartbeat_interval.count()) +
                                   ") must be > 0 and lower than session.timeout.ms (" +
                                   std::to_string(options.session_timeout.count()) + ")");
  }
  if (options.rebalance_timeout <= milliseconds(0) || options.request_timeout <= milliseconds(0) ||
      options.max_poll_interval <= milliseconds(0)) {
    return Status::InvalidArgument(
        "rebalance.timeout.ms, request.timeout.ms and max.poll.interval.ms must be > 0");
  }
  if (options.process_id.empty()) {
    options.process_id = options.group_instance_id.value_or("process-" + RandomId());
  }
  return std::unique_ptr<GroupMember>(new GroupMember(std::move(options), listener));
}

GroupMember::GroupMember(GroupOptions options, GroupListener* listener)
    : options_(std::move(options)), listener_(listener), coordinator_([this] {
        CoordinatorOptions c;
        c.bootstrap = ParseBootstrap(options_.bootstrap_servers).value();
        c.group_id = options_.group_id;
        c.client_id = options_.client_id;
        c.request_timeout = options_.request_timeout;
        c.retry_backoff = options_.retry_backoff;
        c.retry_backoff_max = options_.retry_backoff_max;
        c.transport_factory = options_.transport_factory;
        return c;
      }()) {}

GroupMember::~GroupMember() {
  Stop(LeaveMode::kDefault);
}

Status GroupMember::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || state_ != MemberState::kCreated) {
    return Status::FailedPrecondition("group member already started");
  }
  last_poll_ns_ = NowNs();
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void GroupMember::Stop(LeaveMode mode) {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    leave_mode_ = mode;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void GroupMember::RequestRejoin(const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    rejoin_request_ = reason;
  }
  cv_.notify_all();
}

void GroupMember::SetDraining(bool draining) {
  if (draining_.exchange(draining) == draining) return;
  RequestRejoin(draining ? "draining" : "no longer draining");
}

void GroupMember::NotifyPollProgress() {
  last_poll_ns_ = NowNs();
  std::lock_guard lock(mu_);
  if (status_.state == MemberState::kWaitingForPoll) cv_.notify_all();
}

MemberStatus GroupMember::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

bool GroupMember::WaitFor(const std::function<bool(const MemberStatus&)>& pred,
                          std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pred(status_); });
}

void GroupMember::Publish() {
  {
    std::lock_guard lock(mu_);
    status_.state = state_;
    status_.member_id = member_id_;
    status_.generation = generation_;
    status_.leader = !member_id_.empty() && leader_id_ == member_id_;
    status_.rebalances = rebalances_;
    status_.assignment = last_assignment_;
    status_.warnings = last_warnings_;
  }
  cv_.notify_all();
}

Status GroupMember::FencedStatus() const {
  return Status::FailedPrecondition("group '" + options_.group_id + "': group.instance.id '" +
                                    options_.group_instance_id.value_or("") +
                                    "' is used by another running instance (FENCED_INSTANCE_ID); "
                                    "this one stops");
}

void GroupMember::Fail(const Status& error) {
  Logger().error("group {}: member {} stopped: {}", options_.group_id, member_id_,
                 error.ToString());
  state_ = MemberState::kFailed;
  // The listener hears it before anyone waiting on status() sees kFailed.
  listener_->OnFatalError(error);
  {
    std::lock_guard lock(mu_);
    status_.error = error;
  }
  Publish();
}

void GroupMember::LoseTasks(const std::string& why, bool reset_member_id) {
  Logger().warn("group {}: member {} lost its membership ({}); {} active tasks dropped",
                options_.group_id, member_id_, why, active_.size());
  const std::set<TaskId> lost = std::exchange(active_, {});
  if (!lost.empty()) listener_->OnTasksLost(lost);
  generation_ = -1;
  if (reset_member_id) member_id_.clear();
  need_join_ = true;
  join_reason_ = why;
  Publish();
}

bool GroupMember::HandleCoordinatorError(int16_t code, std::string_view api) {
  if (!IsCoordinatorError(code)) return false;
  coordinator_.MarkDead(std::string(api) + ": " + ErrorText(code));
  return true;
}

Result<protocol::Bytes> GroupMember::BuildSubscription() {
  const LocalState local = listener_->GetLocalState();
  SubscriptionInfo info;
  info.process_id = options_.process_id;
  info.endpoint = options_.endpoint;
  info.capacity = local.capacity;
  info.draining = draining_.load();
  info.state_bytes = local.state_bytes;
  info.prev_active = active_;
  info.prev_active.insert(eager_revoked_.begin(), eager_revoked_.end());
  info.prev_standby = standby_;
  info.prev_standby.insert(warmup_.begin(), warmup_.end());
  info.task_offset_sums = local.task_offset_sums;
  info.task_loads = local.task_loads;

  protocol::ConsumerProtocolSubscription sub;
  sub.topics = options_.topology.SourceTopics();
  BROOK_ASSIGN_OR_RETURN(sub.user_data, EncodeSubscriptionInfo(info));
  std::map<std::string, std::vector<int32_t>> owned;
  for (const TopicPartition& tp : PartitionsOf(options_.topology, active_)) {
    owned[tp.topic].push_back(tp.partition);
  }
  for (auto& [topic, parts] : owned) sub.owned_partitions.push_back({topic, std::move(parts)});
  sub.generation_id = generation_;
  if (!options_.rack.empty()) sub.rack_id = options_.rack;
  return protocol::EncodeConsumerProtocolSubscription(sub);
}

Result<std::vector<JoinedMember>> GroupMember::ToJoined(
    const protocol::JoinGroupResponse& resp) const {
  std::vector<JoinedMember> out;
  out.reserve(resp.members.size());
  for (const auto& m : resp.members) {
    out.push_back({m.member_id, m.group_instance_id, m.metadata});
  }
  return out;
}

void GroupMember::JoinAndSync() {
  state_ = MemberState::kJoining;
  Publish();
  if (options_.rebalance_protocol == RebalanceProtocol::kEager && !active_.empty()) {
    Logger().info("group {}: eager rebalance, revoking all {} tasks: {}", options_.group_id,
                  active_.size(), TaskSetString(active_));
    eager_revoked_ = std::exchange(active_, {});
    listener_->OnTasksRevoked(eager_revoked_);
  }
  Result<protocol::Bytes> metadata = BuildSubscription();
  if (!metadata.ok()) {
    Fail(metadata.status().WithContext("building the subscription"));
    return;
  }
  protocol::JoinGroupRequest join;
  join.group_id = options_.group_id;
  join.session_timeout_ms = static_cast<int32_t>(options_.session_timeout.count());
  join.rebalance_timeout_ms = static_cast<int32_t>(options_.rebalance_timeout.count());
  join.member_id = member_id_;
  join.group_instance_id = options_.group_instance_id;
  join.protocol_type = std::string(protocol::kConsumerProtocolType);
  join.protocols.push_back(
      {std::string(ProtocolName(options_.rebalance_protocol)), std::move(*metadata)});
  join.reason = join_reason_;
  if (options_.group_instance_id) {
    Result<int16_t> v = coordinator_.VersionFor(protocol::ApiKey::kJoinGroup);
    if (v.ok() && *v < 5) {
      Fail(Status::FailedPrecondition(
          "group.instance.id needs JoinGroup v5+ (Kafka 2.3+); coordinator " +
          coordinator_.Describe() + " speaks v" + std::to_string(*v)));
      return;
    }
  }
  Logger().info("group {}: joining as '{}' generation {} ({})", options_.group_id, member_id_,
                generation_, join_reason_);
  Result<protocol::JoinGroupResponse> resp =
      coordinator_.Call(join, options_.rebalance_timeout + std::chrono::milliseconds(5000), stop_);
  if (!resp.ok()) {
    Logger().warn("group {}: JoinGroup failed: {}", options_.group_id, resp.status().ToString());
    if (!stop_) coordinator_.MarkDead("JoinGroup failed");
    return;  // need_join_ stays set
  }
  const int16_t code = resp->error_code;
  if (code != 0) {
    if (Is(code, ErrorCode::kMemberIdRequired)) {
      member_id_ = resp->member_id;
      join_reason_ = "rejoin with the member id the coordinator gave";
      return;
    }
    if (HandleCoordinatorError(code, "JoinGroup")) return;
    if (Is(code, ErrorCode::kUnknownMemberId)) {
      LoseTasks("JoinGroup: " + ErrorText(code), true);
      return;
    }
    if (Is(code, ErrorCode::kIllegalGeneration)) {
      LoseTasks("JoinGroup: " + ErrorText(code), false);
      return;
    }
    if (Is(code, ErrorCode::kRebalanceInProgress)) return;
    if (Is(code, ErrorCode::kFencedInstanceId)) {
      Fail(FencedStatus());
      return;
    }
    Fail(Status::FailedPrecondition("group '" + options_.group_id +
                                    "': JoinGroup rejected: " + ErrorText(code)));
    return;
  }
  member_id_ = resp->member_id;
  generation_ = resp->generation_id;
  leader_id_ = resp->leader;
  if (resp->protocol_name && *resp->protocol_name != ProtocolName(options_.rebalance_protocol)) {
    Fail(Status::FailedPrecondition(
        "group '" + options_.group_id + "': coordinator chose protocol '" + *resp->protocol_name +
        "', this member speaks '" + std::string(ProtocolName(options_.rebalance_protocol)) + "'"));
    return;
  }

  protocol::SyncGroupRequest sync;
  sync.group_id = options_.group_id;
  sync.generation_id = generation_;
  sync.member_id = member_id_;
  sync.group_instance_id = options_.group_instance_id;
  sync.protocol_type = std::string(protocol::kConsumerProtocolType);
  sync.protocol_name = std::string(ProtocolName(options_.rebalance_protocol));
  std::optional<int64_t> leader_followup;
  bool retry_soon = false;  // rejoin_at_ was set for a retry in this round: keep it
  const bool is_leader = leader_id_ == member_id_;
  if (is_leader && !resp->skip_assignment) {
    Result<std::map<std::string, int32_t>> counts =
        options_.partition_counts(options_.topology.SourceTopics());
    Result<std::vector<assignor::TaskSpec>> tasks =
        counts.ok() ? TasksFor(options_.topology, *counts)
                    : Result<std::vector<assignor::TaskSpec>>(counts.status());
    if (!tasks.ok()) {
      // Without the task list nobody can be assigned; retry the whole rebalance shortly.
      Logger().error("group {}: leader cannot list tasks: {}", options_.group_id,
                     tasks.status().ToString());
      rejoin_at_ = Clock::now() + options_.retry_backoff_max;
      retry_soon = true;
      tasks = std::vector<assignor::TaskSpec>{};
    }
    Result<std::vector<JoinedMember>> joined = ToJoined(*resp);
    Result<LeaderOutput> out =
        RunLeaderAssignment(*joined, *tasks, options_.topology, options_.assignor,
                            options_.rebalance_protocol == RebalanceProtocol::kCooperative);
    if (!out.ok()) {
      Fail(out.status().WithContext("leader assignment"));
      return;
    }
    for (const std::string& w : out->warnings) {
      Logger().warn("group {}: {}", options_.group_id, w);
    }
    last_warnings_ = out->warnings;
    Logger().info("group {}: generation {} assignment by leader {}:\n{}", options_.group_id,
                  generation_, member_id_, assignor::DebugString(out->result));
    for (auto& [id, bytes] : out->assignments) sync.assignments.push_back({id, std::move(bytes)});
    if (!out->result.followup_rebalance) {
      immediate_followups_ = 0;
      last_outstanding_moves_.reset();
    } else if (out->result.followup_delay_ms > 0) {
      leader_followup = out->result.followup_delay_ms;
      immediate_followups_ = 0;
      last_outstanding_moves_.reset();
    } else if (out->result.withheld.empty()) {
      // Only deferred moves: the leader itself asks for the next round, but damps a chain
      // of them that makes no progress (the assignor could alternate between equally good
      // plans): after kMaxImmediateFollowups in a row it falls back to the probing interval.
      // A round that leaves fewer moves outstanding (pending + deferred) than the previous
      // such round made progress and starts the count again: a drain or scale-in moves
      // max_warmup_replicas tasks per warmup cycle, each cycle ending in one of these rounds,
      // and must not be cut off after kMaxImmediateFollowups cycles.
      const size_t outstanding = out->result.pending_moves.size() +
                                 static_cast<size_t>(std::max(0, out->result.deferred_moves));
      if (last_outstanding_moves_ && outstanding < *last_outstanding_moves_) {
        immediate_followups_ = 0;
      }
      last_outstanding_moves_ = outstanding;
      leader_followup = ++immediate_followups_ > kMaxImmediateFollowups
                            ? options_.assignor.probing_rebalance_interval_ms
                            : 0;
    }
    // Withheld tasks: the members that revoke them rejoin by themselves.
  }
  Result<protocol::SyncGroupResponse> sresp =
      coordinator_.Call(sync, options_.request_timeout + options_.rebalance_timeout, stop_);
  if (!sresp.ok()) {
    Logger().warn("group {}: SyncGroup failed: {}", options_.group_id, sresp.status().ToString());
    if (!stop_) coordinator_.MarkDead("SyncGroup failed");
    return;
  }
  const int16_t scode = sresp->error_code;
  if (scode != 0) {
    if (HandleCoordinatorError(scode, "SyncGroup")) return;
    if (Is(scode, ErrorCode::kRebalanceInProgress)) {
      join_reason_ = "rebalance in progress at SyncGroup";
      return;
    }
    if (Is(scode, ErrorCode::kUnknownMemberId)) {
      LoseTasks("SyncGroup: " + ErrorText(scode), true);
      return;
    }
    if (Is(scode, ErrorCode::kIllegalGeneration)) {
      LoseTasks("SyncGroup: " + ErrorText(scode), false);
      return;
    }
    if (Is(scode, ErrorCode::kFencedInstanceId)) {
      Fail(FencedStatus());
      return;
    }
    Fail(Status::FailedPrecondition("group '" + options_.group_id +
                                    "': SyncGroup rejected: " + ErrorText(scode)));
    return;
  }

  AssignmentInfo info;
  if (sresp->assignment.empty()) {
    Logger().warn("group {}: generation {} gave member {} an empty assignment", options_.group_id,
                  generation_, member_id_);
  } else {
    Result<protocol::ConsumerProtocolPayload<protocol::ConsumerProtocolAssignment>> a =
        protocol::DecodeConsumerProtocolAssignment(sresp->assignment);
    Result<AssignmentInfo> decoded =
        !a.ok() ? Result<AssignmentInfo>(a.status())
                : (a->message.user_data ? DecodeAssignmentInfo(*a->message.user_data)
                                        : Result<AssignmentInfo>(Status::Corruption(
                                              "assignment carries no brook userData")));
    if (!decoded.ok()) {
      // The leader runs other code than ours: without a readable assignment, take nothing
      // and ask again later rather than guess.
      Logger().error("group {}: cannot read the assignment of generation {}: {}", options_.group_id,
                     generation_, decoded.status().ToString());
      rejoin_at_ = Clock::now() + options_.retry_backoff_max;
      retry_soon = true;
    } else {
      info = std::move(*decoded);
    }
  }

  const std::set<TaskId> revoked = Minus(active_, info.active);
  const std::set<TaskId> added = Minus(info.active, active_);
  if (!revoked.empty()) {
    Logger().info("group {}: generation {}: revoking {}", options_.group_id, generation_,
                  TaskSetString(revoked));
    listener_->OnTasksRevoked(revoked);
  }
  active_ = info.active;
  eager_revoked_.clear();
  standby_ = info.standby;
  warmup_ = info.warmup;
  need_join_ = false;
  ++rebalances_;
  state_ = MemberState::kStable;
  next_heartbeat_ = Clock::now() + options_.heartbeat_interval;
  last_assignment_ = GroupAssignment{generation_, member_id_,      is_leader,
                                     active_,     added,           standby_,
                                     warmup_,     info.error_code, std::move(info.host_map)};
  Logger().info("group {}: generation {} member {}{}: active=[{}] standby=[{}] warmup=[{}]",
                options_.group_id, generation_, member_id_, is_leader ? " (leader)" : "",
                TaskSetString(active_), TaskSetString(standby_), TaskSetString(warmup_));
  listener_->OnAssignment(last_assignment_);
  if (!revoked.empty() && options_.rebalance_protocol == RebalanceProtocol::kCooperative) {
    // Second phase: the revoked tasks can now go to their new owners.
    need_join_ = true;
    join_reason_ = "revoked " + std::to_string(revoked.size()) + " tasks";
  } else if (leader_followup) {
    rejoin_at_ = Clock::now() + std::chrono::milliseconds(*leader_followup);
  } else if (is_leader && !resp->skip_assignment && !retry_soon) {
    rejoin_at_.reset();
  }
  Publish();
}

void GroupMember::Heartbeat() {
  protocol::HeartbeatRequest hb;
  hb.group_id = options_.group_id;
  hb.generation_id = generation_;
  hb.member_id = member_id_;
  hb.group_instance_id = options_.group_instance_id;
  Result<protocol::HeartbeatResponse> resp =
      coordinator_.Call(hb, std::min(options_.request_timeout, options_.session_timeout), stop_);
  if (!resp.ok()) {
    if (!stop_) coordinator_.MarkDead("Heartbeat failed: " + resp.status().ToString());
    return;  // retried after rediscovery
  }
  const int16_t code = resp->error_code;
  next_heartbeat_ = Clock::now() + options_.heartbeat_interval;
  if (code == 0) return;
  if (HandleCoordinatorError(code, "Heartbeat")) {
    next_heartbeat_ = Clock::now();
    return;
  }
  if (Is(code, ErrorCode::kRebalanceInProgress)) {
    need_join_ = true;
    join_reason_ = "the coordinator started a rebalance";
    return;
  }
  if (Is(code, ErrorCode::kUnknownMemberId))
    return LoseTasks("Heartbeat: " + ErrorText(code), true);
  if (Is(code, ErrorCode::kIllegalGeneration)) {
    return LoseTasks("Heartbeat: " + ErrorText(code), false);
  }
  if (Is(code, ErrorCode::kFencedInstanceId)) {
    return Fail(FencedStatus());
  }
  Fail(Status::FailedPrecondition("group '" + options_.group_id +
                                  "': Heartbeat rejected: " + ErrorText(code)));
}

void GroupMember::Leave(const std::string& reason) {
  if (member_id_.empty()) return;
  protocol::LeaveGroupRequest leave;
  leave.group_id = options_.group_id;
  leave.members.push_back({member_id_, options_.group_instance_id, reason});
  Result<int16_t> v = coordinator_.VersionFor(protocol::ApiKey::kLeaveGroup);
  if (v.ok() && *v < 3) {
    leave.members.clear();
    leave.member_id = member_id_;
  }
  std::atomic<bool> never{false};
  Result<protocol::LeaveGroupResponse> resp = coordinator_.Call(
      leave, std::min(options_.request_timeout, std::chrono::milliseconds(5000)), never);
  if (!resp.ok()) {
    Logger().warn("group {}: LeaveGroup failed: {}", options_.group_id, resp.status().ToString());
    return;
  }
  int16_t code = resp->error_code;
  if (code == 0 && !resp->members.empty()) code = resp->members.front().error_code;
  if (code != 0) {
    Logger().warn("group {}: LeaveGroup: {}", options_.group_id, ErrorText(code));
  } else {
    Logger().info("group {}: member {} left the group ({})", options_.group_id, member_id_, reason);
  }
}

void GroupMember::RunJobs() {
  std::deque<std::function<void()>> jobs;
  {
    std::lock_guard lock(mu_);
    jobs.swap(jobs_);
  }
  for (auto& job : jobs) job();
}

void GroupMember::Run() {
  const auto ready_deadline = [this] { return Clock::now() + options_.request_timeout; };
  while (!stop_) {
    if (state_ == MemberState::kFailed) break;
    if (!coordinator_.ready()) {
      Status s = coordinator_.EnsureReady(ready_deadline(), stop_);
      if (!s.ok()) {
        if (stop_) break;
        if (s.code() == StatusCode::kInvalidArgument ||
            s.code() == StatusCode::kFailedPrecondition) {
          Fail(s);
          break;
        }
        Logger().warn("group {}: {}", options_.group_id, s.ToString());
        RunJobs();  // fail fast rather than let callers wait for their timeouts
        continue;
      }
    }
    {
      std::lock_guard lock(mu_);
      if (rejoin_request_) {
        if (state_ != MemberState::kWaitingForPoll) {
          need_join_ = true;
          join_reason_ = *rejoin_request_;
        }
        rejoin_request_.reset();
      }
    }
    const auto now = Clock::now();
    const auto since_poll = std::chrono::nanoseconds(NowNs() - last_poll_ns_.load());
    if (state_ == MemberState::kWaitingForPoll) {
      if (since_poll < options_.max_poll_interval) {
        need_join_ = true;
        join_reason_ = "the processing loop is back";
        state_ = MemberState::kJoining;
      }
    } else if (since_poll >= options_.max_poll_interval) {
      Logger().warn(
          "group {}: no poll progress for {} ms > max.poll.interval.ms {}: giving up the "
          "membership",
          options_.group_id,
          std::chrono::duration_cast<std::chrono::milliseconds>(since_poll).count(),
          options_.max_poll_interval.count());
      if (!options_.group_instance_id) Leave("max.poll.interval.ms expired");
      LoseTasks("max.poll.interval.ms expired", !options_.group_instance_id);
      need_join_ = false;
      state_ = MemberState::kWaitingForPoll;
      Publish();
    }
    if (state_ != MemberState::kWaitingForPoll) {
      if (!need_join_ && rejoin_at_ && now >= *rejoin_at_) {
        rejoin_at_.reset();
        need_join_ = true;
        join_reason_ = "follow-up rebalance";
      }
      if (need_join_) {
        RunJobs();
        JoinAndSync();
        continue;
      }
      if (now >= next_heartbeat_) {
        Heartbeat();
        continue;
      }
    }
    RunJobs();
    std::unique_lock lock(mu_);
    auto wake = state_ == MemberState::kWaitingForPoll ? now + std::chrono::milliseconds(100)
                                                       : next_heartbeat_;
    if (rejoin_at_) wake = std::min(wake, *rejoin_at_);
    // Poll liveness is checked at least every 100 ms.
    wake = std::min(wake, now + std::chrono::milliseconds(100));
    cv_.wait_until(lock, wake,
                   [this] { return stop_.load() || !jobs_.empty() || rejoin_request_; });
  }
  if (state_ != MemberState::kFailed) {
    LeaveMode mode;
    {
      std::lock_guard lock(mu_);
      mode = leave_mode_;
    }
    const bool leave =
        mode == LeaveMode::kLeave || (mode == LeaveMode::kDefault && !options_.group_instance_id);
    if (mode != LeaveMode::kAbandon && (leave || !active_.empty()) && !member_id_.empty() &&
        !coordinator_.ready()) {
      // A call that Stop() interrupted (e.g. a JoinGroup waiting for the rebalance) closed
      // the connection: reconnect, briefly, so that the revocation callback's commits and
      // the LeaveGroup still go out.
      std::atomic<bool> never{false};
      const Status s = coordinator_.EnsureReady(
          Clock::now() + std::min(options_.request_timeout, std::chrono::milliseconds(5000)),
          never);
      if (!s.ok())
        Logger().warn("group {}: stopping without the coordinator: {}", options_.group_id,
                      s.ToString());
    }
    Logger().info("group {}: member {} stopping with active=[{}]{}", options_.group_id, member_id_,
                  TaskSetString(active_),
                  mode == LeaveMode::kAbandon ? ", abandoning the membership"
                  : leave                     ? ", leaving the group"
                                              : ", staying in the group (static member)");
    if (mode != LeaveMode::kAbandon && !active_.empty()) {
      listener_->OnTasksRevoked(std::exchange(active_, {}));
    }
    if (leave && coordinator_.ready())
      Leave(mode == LeaveMode::kLeave ? "scaled away" : "stopping");
    state_ = MemberState::kStopped;
  }
  RunJobs();
  Publish();
}

Status GroupMember::DoCommit(const std::map<TopicPartition, int64_t>& offsets,
                             std::chrono::milliseconds timeout) {
  if (generation_ < 0 || member_id_.empty()) {
    return Status::FailedPrecondition("OffsetCommit for group '" + options_.group_id +
                                      "': the member has no current generation");
  }
  if (!coordinator_.ready()) {
    return Status::Unavailable("OffsetCommit for group '" + options_.group_id +
                               "': no coordinator connection");
  }
  protocol::OffsetCommitRequest req;
  req.group_id = options_.group_id;
  req.generation_id_or_member_epoch = generation_;
  req.member_id = member_id_;
  req.group_instance_id = options_.group_instance_id;
  // Commits may arrive out of order (a queued commit from a processing thread after the one
  // a revocation callback made inline): an offset never moves back below what this member
  // committed for the partition.
  std::map<std::string, std::vector<std::pair<int32_t, int64_t>>> by_topic;
  for (const auto& [tp, off] : offsets) {
    auto it = committed_.find(tp);
    if (it != committed_.end() && off < it->second) continue;
    by_topic[tp.topic].emplace_back(tp.partition, off);
  }
  if (by_topic.empty()) return Status::Ok();
  for (const auto& [topic, parts] : by_topic) {
    protocol::OffsetCommitRequest::Topic t;
    t.name = topic;
    for (const auto& [p, off] : parts) {
      protocol::OffsetCommitRequest::Topic::Partition part;
      part.partition_index = p;
      part.committed_offset = off;
      t.partitions.push_back(part);
    }
    req.topics.push_back(std::move(t));
  }
  // Once stopping, only the final revocation callback commits here: that commit must still
  // go out (bounded by `timeout`) rather than be aborted by the stop flag.
  const std::atomic<bool> never{false};
  BROOK_ASSIGN_OR_RETURN(protocol::OffsetCommitResponse resp,
                         coordinator_.Call(req, timeout, stop_.load() ? never : stop_));
  for (const auto& t : resp.topics) {
    for (const auto& p : t.partitions) {
      if (p.error_code == 0) continue;
      const std::string what = "OffsetCommit " + t.name + "-" + std::to_string(p.partition_index) +
                               " (generation " + std::to_string(generation_) + ", member " +
                               member_id_ + "): " + ErrorText(p.error_code);
      if (HandleCoordinatorError(p.error_code, "OffsetCommit")) return Status::Unavailable(what);
      if (Is(p.error_code, ErrorCode::kRebalanceInProgress)) {
        need_join_ = true;
        return Status::FailedPrecondition(what);
      }
      if (Is(p.error_code, ErrorCode::kIllegalGeneration) ||
          Is(p.error_code, ErrorCode::kUnknownMemberId)) {
        // Rejected, not applied: the group moved on and the tasks may be elsewhere already.
        LoseTasks(what, Is(p.error_code, ErrorCode::kUnknownMemberId));
        return Status::FailedPrecondition(what);
      }
      if (Is(p.error_code, ErrorCode::kFencedInstanceId)) {
        Fail(Status::FailedPrecondition(what));
        return Status::FailedPrecondition(what);
      }
      return protocol::IsRetriableError(p.error_code) ? Status::Unavailable(what)
                                                      : Status::FailedPrecondition(what);
    }
  }
  for (const auto& [topic, parts] : by_topic) {
    for (const auto& [p, off] : parts) committed_[TopicPartition{topic, p}] = off;
  }
  return Status::Ok();
}

Result<std::map<TopicPartition, int64_t>> GroupMember::DoFetch(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) {
  if (!coordinator_.ready()) {
    return Status::Unavailable("OffsetFetch for group '" + options_.group_id +
                               "': no coordinator connection");
  }
  BROOK_ASSIGN_OR_RETURN(const int16_t version,
                         coordinator_.VersionFor(protocol::ApiKey::kOffsetFetch));
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (const TopicPartition& tp : partitions) by_topic[tp.topic].push_back(tp.partition);
  protocol::OffsetFetchRequest req;
  if (version >= 8) {
    protocol::OffsetFetchRequest::Group g;
    g.group_id = options_.group_id;
    g.topics.emplace();
    for (auto& [topic, parts] : by_topic) g.topics->push_back({topic, parts});
    req.groups.push_back(std::move(g));
  } else {
    req.group_id = options_.group_id;
    req.topics.emplace();
    for (auto& [topic, parts] : by_topic) req.topics->push_back({topic, parts});
  }
  req.require_stable = version >= 7;
  BROOK_ASSIGN_OR_RETURN(protocol::OffsetFetchResponse resp,
                         coordinator_.Call(req, timeout, stop_));
  std::map<TopicPartition, int64_t> out;
  auto check = [&](int16_t code, const std::string& where) -> Status {
    if (code == 0) return Status::Ok();
    HandleCoordinatorError(code, "OffsetFetch");
    const std::string what =
        "OffsetFetch " + where + " for group '" + options_.group_id + "': " + ErrorText(code);
    return protocol::IsRetriableError(code) ? Status::Unavailable(what)
                                            : Status::FailedPrecondition(what);
  };
  if (version >= 8) {
    for (const auto& g : resp.groups) {
      BROOK_RETURN_IF_ERROR(check(g.error_code, "(group)"));
      for (const auto& t : g.topics) {
        for (const auto& p : t.partitions) {
          BROOK_RETURN_IF_ERROR(
              check(p.error_code, t.name + "-" + std::to_string(p.partition_index)));
          if (p.committed_offset >= 0) out[{t.name, p.partition_index}] = p.committed_offset;
        }
      }
    }
  } else {
    BROOK_RETURN_IF_ERROR(check(resp.error_code, "(group)"));
    for (const auto& t : resp.topics) {
      for (const auto& p : t.partitions) {
        BROOK_RETURN_IF_ERROR(
            check(p.error_code, t.name + "-" + std::to_string(p.partition_index)));
        if (p.committed_offset >= 0) out[{t.name, p.partition_index}] = p.committed_offset;
      }
    }
  }
  return out;
}

Status GroupMember::CommitOffsets(const std::map<TopicPartition, int64_t>& offsets,
                                  std::chrono::milliseconds timeout) {
  if (OnGroupThread()) return DoCommit(offsets, timeout);
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> future = promise->get_future();
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable() || stop_) {
      return Status::FailedPrecondition("OffsetCommit: the group member is not running");
    }
    jobs_.emplace_back([this, promise, offsets, timeout] {
      promise->set_value(stop_ ? Status::Unavailable("OffsetCommit: stopping")
                               : DoCommit(offsets, timeout));
    });
  }
  cv_.notify_all();
  if (future.wait_for(timeout + options_.request_timeout) != std::future_status::ready) {
    return Status::TimedOut("OffsetCommit for group '" + options_.group_id +
                            "': no answer in time (the member may be rebalancing)");
  }
  return future.get();
}

void GroupMember::CommitOffsetsAsync(const std::map<TopicPartition, int64_t>& offsets,
                                     std::chrono::milliseconds timeout,
                                     std::function<void(Status)> done) {
  {
    std::lock_guard lock(mu_);
    if (thread_.joinable() && !stop_) {
      jobs_.emplace_back([this, offsets, timeout, done = std::move(done)] {
        done(stop_ ? Status::Unavailable("OffsetCommit: stopping") : DoCommit(offsets, timeout));
      });
      cv_.notify_all();
      return;
    }
  }
  done(Status::FailedPrecondition("OffsetCommit: the group member is not running"));
}

Result<std::map<TopicPartition, int64_t>> GroupMember::FetchCommittedOffsets(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) {
  using Out = Result<std::map<TopicPartition, int64_t>>;
  if (OnGroupThread()) return DoFetch(partitions, timeout);
  auto promise = std::make_shared<std::promise<Out>>();
  std::future<Out> future = promise->get_future();
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable() || stop_) {
      return Status::FailedPrecondition("OffsetFetch: the group member is not running");
    }
    jobs_.emplace_back([this, promise, partitions, timeout] {
      promise->set_value(stop_ ? Out(Status::Unavailable("OffsetFetch: stopping"))
                               : DoFetch(partitions, timeout));
    });
  }
  cv_.notify_all();
  if (future.wait_for(timeout + options_.request_timeout) != std::future_status::ready) {
    return Status::TimedOut("OffsetFetch for group '" + options_.group_id + "': no answer in time");
  }
  return future.get();
}

}  // namespace brook::group
