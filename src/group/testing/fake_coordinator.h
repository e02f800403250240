// FakeCoordinator: a broker-free stand-in for a Kafka group coordinator, for unit tests of
// CoordinatorClient and GroupMember. It listens on 127.0.0.1 (ephemeral port), serves any
// number of connections from one thread, decodes every request frame with brook's own
// codecs and answers ApiVersions, FindCoordinator (v0-3 and v4+ layouts), JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup, OffsetCommit and OffsetFetch.
//
// Contract (a minimal classic group, good for one or two members):
//   - ApiVersions lists brook's own ranges (protocol::kApis), capped by SetMaxVersion; a
//     request above the ApiVersions cap gets a v0 body with UNSUPPORTED_VERSION (as Kafka).
//   - FindCoordinator answers with this fake itself, or with PointCoordinatorAt's target.
//   - JoinGroup: a dynamic member joining with an empty id at v4+ gets MEMBER_ID_REQUIRED
//     and an id ("member-N"); a static member gets "<instance>-N" at once (an older id of the
//     same instance is fenced: FENCED_INSTANCE_ID). The first member to join leads (as long
//     as it stays). A join completes, with generation + 1, once every known member has sent
//     JoinGroup, or when the rebalance timeout passes (silent members are dropped). Only the
//     leader gets the member list. A member whose protocol type or names share nothing with
//     the others gets INCONSISTENT_GROUP_PROTOCOL.
//   - SyncGroup hands each member what the leader sent for it; followers wait for the
//     leader. Heartbeat: REBALANCE_IN_PROGRESS while a rebalance is pending, ILLEGAL_GENERATION
//     / UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID as Kafka checks them. A member silent for its
//     session timeout is removed (which starts a rebalance). LeaveGroup removes members.
//   - OffsetCommit checks member and generation (generation -1 with an empty member id is a
//     plain commit) and keeps the offsets; OffsetFetch returns them (-1 when none).
//   - Faults, consumed per API in the order queued, one per request: an error code (the
//     request is not processed; the code goes in every error field of the response, and
//     UNKNOWN_MEMBER_ID also removes the sending member, as the real coordinator would have
//     forgotten it), closing the connection without an answer, a truncated response (valid
//     size prefix and header, half a body), or no answer at all.
//   - Every request is recorded (api, version, connection, decoded summary, arrival time).
//
// Thread-safety: every public method is thread-safe. Declare the fake before the clients
// that talk to it, so that it outlives them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/transport.h"
#include "protocol/protocol.h"

namespace brook::group::testing {

struct RecordedRequest {
  protocol::ApiKey api = protocol::ApiKey::kApiVersions;
  int16_t version = 0;
  int connection = 0;  // 1, 2, ... in accept order
  std::string key;     // FindCoordinator key, else the group id
  // JoinGroup/SyncGroup/Heartbeat/OffsetCommit: the sender; LeaveGroup: the first leaver.
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t generation = -1;                  // SyncGroup/Heartbeat/OffsetCommit
  std::string protocol_type;                // JoinGroup
  std::vector<std::string> protocol_names;  // JoinGroup
  protocol::Bytes metadata;                 // JoinGroup: the first protocol's metadata
  std::optional<std::string> reason;        // JoinGroup/LeaveGroup
  size_t assignments = 0;                   // SyncGroup: how many the leader sent
  std::map<std::pair<std::string, int32_t>, int64_t> offsets;  // OffsetCommit
  std::chrono::steady_clock::time_point at;                    // when it arrived
};

class FakeCoordinator {
 public:
  using Clock = std::chrono::steady_clock;
  using Offsets = std::map<std::pair<std::string, int32_t>, int64_t>;

  explicit FakeCoordinator(int32_t node_id = 1);
  ~FakeCoordinator();
  FakeCoordinator(const FakeCoordinator&) = delete;
  FakeCoordinator& operator=(const FakeCoordinator&) = delete;

  [[nodiscard]] net::Endpoint endpoint() const { return {"127.0.0.1", port_}; }
  [[nodiscard]] std::string bootstrap() const { return endpoint().ToString(); }
  [[nodiscard]] int32_t node_id() const { return node_id_; }

  // FindCoordinator answers with `target` (default: this fake).
  void PointCoordinatorAt(const net::Endpoint& target, int32_t node_id);
  // ApiVersions advertises at most `max` for api.
  void SetMaxVersion(protocol::ApiKey api, int16_t max);

  // Faults for the next requests of api (see the contract above).
  void InjectError(protocol::ApiKey api, protocol::ErrorCode code, int times = 1);
  void DropConnectionOnNext(protocol::ApiKey api);
  void TruncateNextResponse(protocol::ApiKey api);
  void NeverAnswerNext(protocol::ApiKey api);

  // Starts a rebalance: heartbeats get REBALANCE_IN_PROGRESS until every member rejoined.
  void TriggerRebalance();

  [[nodiscard]] std::vector<RecordedRequest> requests() const;
  [[nodiscard]] std::vector<RecordedRequest> requests(protocol::ApiKey api) const;
  [[nodiscard]] int Count(protocol::ApiKey api) const;
  // Waits until at least `count` requests of api were recorded; false on timeout.
  bool WaitForCount(protocol::ApiKey api, int count, std::chrono::milliseconds timeout) const;
  [[nodiscard]] int connections_accepted() const;
  [[nodiscard]] int32_t generation() const;
  [[nodiscard]] std::set<std::string> members() const;
  [[nodiscard]] Offsets committed() const;

 private:
  enum class FaultKind { kError, kDrop, kTruncate, kSilence };
  struct Fault {
    FaultKind kind = FaultKind::kError;
    int16_t code = 0;
  };
  enum class GroupState { kEmpty, kPreparing, kAwaitingSync, kStable };
  struct Conn {
    int fd = -1;
    std::vector<uint8_t> in;
  };
  struct Reply {  // where a deferred answer goes
    int conn = 0;
    int32_t correlation_id = 0;
    int16_t version = 0;
  };
  struct Member {
    std::optional<std::string> instance_id;
    std::string protocol_type;
    std::vector<std::pair<std::string, protocol::Bytes>> protocols;
    std::chrono::milliseconds session_timeout{10000};
    std::chrono::milliseconds rebalance_timeout{10000};
    Clock::time_point last_seen;
  };

  void Loop();
  void Accept();
  void ReadFrom(int conn_id);
  void Close(int conn_id);
  void Handle(int conn_id, std::vector<uint8_t> payload);
  void Tick();  // session expiry and rebalance deadlines
  template <typename Resp>
  void Send(int conn_id, int32_t correlation_id, int16_t version, const Resp& body,
            bool truncate = false);
  template <typename Resp>
  void Answer(const Reply& to, const Resp& body) {
    Send(to.conn, to.correlation_id, to.version, body);
  }
  std::optional<Fault> TakeFault(protocol::ApiKey api);

  protocol::ApiVersionsResponse OnApiVersions() const;
  protocol::FindCoordinatorResponse OnFindCoordinator(const protocol::FindCoordinatorRequest& r,
                                                      int16_t version, int16_t code) const;
  // Returns nullopt when the answer is deferred (pending join).
  std::optional<protocol::JoinGroupResponse> OnJoinGroup(const protocol::JoinGroupRequest& r,
                                                         const Reply& reply);
  std::optional<protocol::SyncGroupResponse> OnSyncGroup(const protocol::SyncGroupRequest& r,
                                                         const Reply& reply);
  int16_t OnHeartbeat(const protocol::HeartbeatRequest& r);
  protocol::LeaveGroupResponse OnLeaveGroup(const protocol::LeaveGroupRequest& r, int16_t version);
  protocol::OffsetCommitResponse OnOffsetCommit(const protocol::OffsetCommitRequest& r);
  protocol::OffsetFetchResponse OnOffsetFetch(const protocol::OffsetFetchRequest& r,
                                              int16_t version, int16_t code) const;
  // Common member checks: UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, else 0 (and marks it seen).
  int16_t CheckMember(const std::string& member_id, const std::optional<std::string>& instance);
  void RemoveMember(const std::string& member_id);
  void StartRebalance();
  void MaybeCompleteJoin(bool deadline_passed);

  const int32_t node_id_;
  int listen_fd_ = -1;
  int32_t port_ = 0;
  std::thread thread_;
  bool stop_ = false;  // guarded by mu_

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // a request was recorded
  std::map<int, Conn> conns_;
  int next_conn_ = 1;
  int accepted_ = 0;
  std::optional<std::pair<net::Endpoint, int32_t>> coordinator_;
  std::map<protocol::ApiKey, int16_t> max_versions_;
  std::map<protocol::ApiKey, std::deque<Fault>> faults_;
  std::vector<RecordedRequest> requests_;

  // The group.
  GroupState state_ = GroupState::kEmpty;
  int32_t generation_ = 0;
  int next_member_ = 1;
  std::string leader_;
  std::map<std::string, Member> members_;
  std::vector<std::string> join_order_;           // for picking the leader
  std::set<std::string> pending_ids_;             // handed out with MEMBER_ID_REQUIRED
  std::map<std::string, std::string> instances_;  // instance id -> current member id
  std::map<std::string, Reply> pending_joins_;
  std::map<std::string, Reply> pending_syncs_;
  std::map<std::string, protocol::Bytes> assignments_;
  std::string protocol_type_;  // of the current generation
  std::string protocol_name_;
  bool have_assignments_ = false;
  Clock::time_point rebalance_deadline_{};
  Offsets offsets_;
};

}  // namespace brook::group::testing
