#include "group/testing/fake_coordinator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace brook::group::testing {

using protocol::ApiKey;
using protocol::ErrorCode;

namespace {

constexpr int16_t E(ErrorCode code) {
  return static_cast<int16_t>(code);
}

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::abort();
}

bool WriteAll(int fd, const std::vector<uint8_t>& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t w = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (w <= 0) return false;
    off += static_cast<size_t>(w);
  }
  return true;
}

uint32_t Get32(const std::vector<uint8_t>& b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

void Put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

}  // namespace

FakeCoordinator::FakeCoordinator(int32_t node_id) : node_id_(node_id) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) Die("FakeCoordinator: socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Die("FakeCoordinator: bind");
  }
  if (::listen(listen_fd_, 16) != 0) Die("FakeCoordinator: listen");
  socklen_t len = sizeof addr;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die("FakeCoordinator: getsockname");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

FakeCoordinator::~FakeCoordinator() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  thread_.join();
  for (auto& [id, conn] : conns_) ::close(conn.fd);
  ::close(listen_fd_);
}

void FakeCoordinator::PointCoordinatorAt(const net::Endpoint& target, int32_t node_id) {
  std::lock_guard lock(mu_);
  coordinator_ = {target, node_id};
}

void FakeCoordinator::SetMaxVersion(ApiKey api, int16_t max) {
  std::lock_guard lock(mu_);
  max_versions_[api] = max;
}

void FakeCoordinator::InjectError(ApiKey api, ErrorCode code, int times) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < times; ++i) faults_[api].push_back({FaultKind::kError, E(code)});
}

void FakeCoordinator::DropConnectionOnNext(ApiKey api) {
  std::lock_guard lock(mu_);
  faults_[api].push_back({FaultKind::kDrop, 0});
}

void FakeCoordinator::TruncateNextResponse(ApiKey api) {
  std::lock_guard lock(mu_);
  faults_[api].push_back({FaultKind::kTruncate, 0});
}

void FakeCoordinator::NeverAnswerNext(ApiKey api) {
  std::lock_guard lock(mu_);
  faults_[api].push_back({FaultKind::kSilence, 0});
}

void FakeCoordinator::TriggerRebalance() {
  std::lock_guard lock(mu_);
  if (!members_.empty()) StartRebalance();
}

std::vector<RecordedRequest> FakeCoordinator::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<RecordedRequest> FakeCoordinator::requests(ApiKey api) const {
  std::lock_guard lock(mu_);
  std::vector<RecordedRequest> out;
  std::copy_if(requests_.begin(), requests_.end(), std::back_inserter(out),
               [api](const RecordedRequest& r) { return r.api == api; });
  return out;
}

int FakeCoordinator::Count(ApiKey api) const {
  std::lock_guard lock(mu_);
  return static_cast<int>(std::count_if(requests_.begin(), requests_.end(),
                                        [api](const RecordedRequest& r) { return r.api == api; }));
}

bool FakeCoordinator::WaitForCount(ApiKey api, int count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    return std::count_if(requests_.begin(), requests_.end(),
                         [api](const RecordedRequest& r) { return r.api == api; }) >= count;
  });
}

int FakeCoordinator::connections_accepted() const {
  std::lock_guard lock(mu_);
  return accepted_;
}

int32_t FakeCoordinator::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

std::set<std::string> FakeCoordinator::members() const {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [id, m] : members_) out.insert(id);
  return out;
}

FakeCoordinator::Offsets FakeCoordinator::committed() const {
  std::lock_guard lock(mu_);
  return offsets_;
}

// ---- I/O (server thread) ----

void FakeCoordinator::Loop() {
  std::vector<pollfd> fds;
  std::vector<int> ids;
  while (true) {
    fds.clear();
    ids.clear();
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      fds.push_back({listen_fd_, POLLIN, 0});
      for (const auto& [id, conn] : conns_) {
        fds.push_back({conn.fd, POLLIN, 0});
        ids.push_back(id);
      }
    }
    ::poll(fds.data(), fds.size(), 10);
    std::lock_guard lock(mu_);
    if (stop_) return;
    if ((fds[0].revents & POLLIN) != 0) Accept();
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents != 0) ReadFrom(ids[i - 1]);
    }
    Tick();
  }
}

void FakeCoordinator::Accept() {
  const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  conns_[next_conn_++].fd = fd;
  ++accepted_;
}

void FakeCoordinator::Close(int conn_id) {
  auto it = conns_.find(conn_id);
  if (it == conns_.end()) return;
  ::close(it->second.fd);
  conns_.erase(it);
}

void FakeCoordinator::ReadFrom(int conn_id) {
  auto it = conns_.find(conn_id);
  if (it == conns_.end()) return;
  uint8_t buf[65536];
  const ssize_t r = ::recv(it->second.fd, buf, sizeof buf, 0);
  if (r <= 0) return Close(conn_id);
  it->second.in.insert(it->second.in.end(), buf, buf + r);
  while (true) {
    it = conns_.find(conn_id);
    if (it == conns_.end()) return;  // closed while handling
    std::vector<uint8_t>& in = it->second.in;
    if (in.size() < 4) return;
    const uint32_t size = Get32(in);
    if (size > (64U << 20)) return Close(conn_id);
    if (in.size() < 4 + size) return;
    std::vector<uint8_t> payload(in.begin() + 4, in.begin() + 4 + size);
    in.erase(in.begin(), in.begin() + 4 + size);
    Handle(conn_id, std::move(payload));
  }
}

template <typename Resp>
void FakeCoordinator::Send(int conn_id, int32_t correlation_id, int16_t version, const Resp& body,
                           bool truncate) {
  auto it = conns_.find(conn_id);
  if (it == conns_.end()) return;  // the requester went away
  Result<protocol::Bytes> frame = protocol::EncodeResponse(correlation_id, version, body);
  if (!frame.ok()) {
    std::fprintf(stderr, "FakeCoordinator: cannot encode %s v%d: %s\n",
                 std::string(Resp::kName).c_str(), version, frame.status().ToString().c_str());
    return Close(conn_id);
  }
  std::vector<uint8_t> bytes = std::move(*frame);
  if (truncate) {
    // Size prefix and header intact, half of the body.
    const size_t header =
        protocol::ResponseHeaderVersion(Resp::kApiKey, version).value() == 0 ? 4 : 5;
    bytes.resize(4 + header + (bytes.size() - 4 - header) / 2);
    Put32(bytes, static_cast<uint32_t>(bytes.size() - 4));
  }
  if (!WriteAll(it->second.fd, bytes)) Close(conn_id);
}

std::optional<FakeCoordinator::Fault> FakeCoordinator::TakeFault(ApiKey api) {
  auto it = faults_.find(api);
  if (it == faults_.end() || it->second.empty()) return std::nullopt;
  Fault f = it->second.front();
  it->second.pop_front();
  return f;
}

void FakeCoordinator::Handle(int conn_id, std::vector<uint8_t> payload) {
  Result<protocol::RequestHeader> header = protocol::PeekRequestHeader(payload);
  if (!header.ok()) return Close(conn_id);
  const auto api = static_cast<ApiKey>(header->request_api_key);
  const int16_t v = header->request_api_version;
  const Reply reply{conn_id, header->correlation_id, v};
  RecordedRequest rec;
  rec.api = api;
  rec.version = v;
  rec.connection = conn_id;
  rec.at = Clock::now();
  const std::optional<Fault> fault = TakeFault(api);
  const int16_t code = fault && fault->kind == FaultKind::kError ? fault->code : 0;
  const bool truncate = fault && fault->kind == FaultKind::kTruncate;
  // Records the request; false when it gets no answer.
  auto admit = [&]() {
    requests_.push_back(rec);
    cv_.notify_all();
    if (fault && fault->kind == FaultKind::kDrop) {
      Close(conn_id);
      return false;
    }
    return !(fault && fault->kind == FaultKind::kSilence);
  };
  // An injected UNKNOWN_MEMBER_ID means the coordinator forgot the member.
  auto forget = [&](const std::string& member_id) {
    if (code == E(ErrorCode::kUnknownMemberId) && members_.contains(member_id)) {
      RemoveMember(member_id);
      if (!members_.empty()) StartRebalance();
    }
  };
  auto decode_failed = [&](const Status& why) {
    std::fprintf(stderr, "FakeCoordinator: undecodable request: %s\n", why.ToString().c_str());
    Close(conn_id);
  };

  switch (api) {
    case ApiKey::kApiVersions: {
      auto req = protocol::DecodeRequest<protocol::ApiVersionsRequest>(payload);
      if (!req.ok()) return decode_failed(req.status());
      if (!admit()) return;
      protocol::ApiVersionsResponse resp = OnApiVersions();
      resp.error_code = code;
      const auto own = std::find_if(resp.api_keys.begin(), resp.api_keys.end(), [](auto& k) {
        return k.api_key == static_cast<int16_t>(ApiKey::kApiVersions);
      });
      if (own != resp.api_keys.end() && v > own->max_version) {
        // As Kafka: a v0 body with UNSUPPORTED_VERSION and the supported ranges.
        resp.error_code = E(ErrorCode::kUnsupportedVersion);
        return Send(conn_id, reply.correlation_id, 0, resp, truncate);
      }
      return Send(conn_id, reply.correlation_id, v, resp, truncate);
    }
    case ApiKey::kFindCoordinator: {
      auto req = protocol::DecodeRequest<protocol::FindCoordinatorRequest>(payload);
      if (!req.ok()) return decode_failed(req.status());
      rec.key = v >= 4 && !req->body.coordinator_keys.empty() ? req->body.coordinator_keys.front()
                                                              : req->body.key;
      if (!admit()) return;
      return Send(conn_id, reply.correlation_id, v, OnFindCoordinator(req->body, v, code),
                  truncate);
    }
    case ApiKey::kJoinGroup: {
      auto req = protocol::DecodeRequest<protocol::JoinGroupRequest>(payload);
      if (!req.ok()) return decode_failed(req.status());
      const protocol::JoinGroupRequest& r = req->body;
      rec.key = r.group_id;
      rec.member_id = r.member_id;
      rec.group_instance_id = r.group_instance_id;
      rec.protocol_type = r.protocol_type;
      for (const auto& p : r.protocols) rec.protocol_names.push_back(p.name);
      if (!r.protocols.empty()) rec.metadata = r.protocols.front().metadata;
      rec.reason = r.reason;
      if (!admit()) return;
      if (code != 0 || truncate) {
        forget(r.member_id);
        protocol::JoinGroupResponse resp;
        resp.error_code = code;
        resp.member_id = r.member_id;
        return Send(conn_id, reply.correlation_id, v, resp, truncate);
      }
      if (std::optional<protocol::JoinGroupResponse> resp = OnJoinGroup(r, reply)) {
        Answer(reply, *resp);
      }
      return;
    }
    case ApiKey::kSyncGroup: {
      auto req = protocol::DecodeRequest<protocol::SyncGroupRequest>(payload);
      if (!req.ok()) return decode_failed(req.status());
      const protocol::SyncGroupRequest& r = req->body;
      rec.key = r.group_id;
      rec.member_id = r.member_id;
      rec.group_instance_id = r.group_instance_id;
      rec.generation = r.generation_id;
      rec.assignments = r.assignments.size();
      if (!admit()) return;
      if (code != 0 || truncate) {
        forget(r.member_id);
        protocol::SyncGroupResponse resp;
        resp.error_code = code;
        return Send(conn_id, reply.correlation_id, v, resp, truncate);
      }
      if (std::optional<protocol::SyncGroupResponse> resp = OnSyncGroup(r, reply)) {
        Answer(reply, *resp);
      }
      return;
    }
    case ApiKey::kHeartbeat: {
      auto req = protocol::DecodeRequest<protocol::HeartbeatRequest>(payload);
      if (!req.ok()) return decode_failed(req.status());
      const protocol::HeartbeatRequest& r = req->body;
      rec.key = r.group_id;
      rec.member_id = r.member_id;
      rec.group_instance_id = r.group_instance_id;
      rec.generation = r.generation_id;
      if (!admit()) return;
      protocol::HeartbeatResponse resp;
      resp.error_code = code != 0 || truncate ? code : OnHeartbeat(r);
      forget(r.member_id);
      return Send(conn_id, reply.correlation_id, v, resp, truncate);
    }
    case ApiKey::kLeaveGroup: {
      auto req = protocol::DecodeRequest<protocol::LeaveGroupRequest>(payload);
      if (!req.ok()) return decode_failed(req.status());
      const protocol::LeaveGroupRequest& r = req->body;
      rec.key = r.group_id;
      rec.member_id = v >= 3 && !r.members.empty() ? r.members.front().member_id : r.member_id;
      if (v >= 3 && !r.members.empty()) {
        rec.group_instance_id = r.members.front().group_instance_id;
        rec.reason = r.members.front().reason;
      }
      if (!admit()) return;
      if (code != 0 || truncate) {
        protocol::LeaveGroupResponse resp;
        resp.error_code = code;
        return Send(conn_id, reply.correlation_id, v, resp, truncate);
      }
      return Answer(reply, OnLeaveGroup(r, v));
    }
    case ApiKey::kOffsetCommit: {
      auto req = protocol::DecodeRequest<protocol::OffsetCommitRequest>(payload);
      if (!req.ok()) return decode_failed(req.status());
      const protocol::OffsetCommitRequest& r = req->body;
      rec.key = r.group_id;
      rec.member_id = r.member_id;
      rec.group_instance_id = r.group_instance_id;
      rec.generation = r.generation_id_or_member_epoch;
      for (const auto& t : r.topics) {
        for (const auto& p : t.partitions) {
          rec.offsets[{t.name, p.partition_index}] = p.committed_offset;
        }
      }
      if (!admit()) return;
      if (code != 0 || truncate) {
        forget(r.member_id);
        protocol::OffsetCommitResponse resp;
        for (const auto& t : r.topics) {
          auto& out = resp.topics.emplace_back();
          out.name = t.name;
          for (const auto& p : t.partitions) out.partitions.push_back({p.partition_index, code});
        }
        return Send(conn_id, reply.correlation_id, v, resp, truncate);
      }
      return Answer(reply, OnOffsetCommit(r));
    }
    case ApiKey::kOffsetFetch: {
      auto req = protocol::DecodeRequest<protocol::OffsetFetchRequest>(payload);
      if (!req.ok()) return decode_failed(req.status());
      rec.key = v >= 8 && !req->body.groups.empty() ? req->body.groups.front().group_id
                                                    : req->body.group_id;
      if (!admit()) return;
      return Send(conn_id, reply.correlation_id, v, OnOffsetFetch(req->body, v, code), truncate);
    }
  }
  decode_failed(Status::InvalidArgument("unexpected API key " + std::to_string(int{v})));
}

// ---- the group (server thread, mu_ held) ----

protocol::ApiVersionsResponse FakeCoordinator::OnApiVersions() const {
  protocol::ApiVersionsResponse resp;
  for (const protocol::ApiInfo& info : protocol::kApis) {
    int16_t max = info.max_version;
    if (auto it = max_versions_.find(info.key); it != max_versions_.end()) {
      max = std::min(max, it->second);
    }
    resp.api_keys.push_back({static_cast<int16_t>(info.key), info.min_version, max});
  }
  return resp;
}

protocol::FindCoordinatorResponse FakeCoordinator::OnFindCoordinator(
    const protocol::FindCoordinatorRequest& r, int16_t version, int16_t code) const {
  const net::Endpoint target = coordinator_ ? coordinator_->first : endpoint();
  const int32_t node = coordinator_ ? coordinator_->second : node_id_;
  const std::optional<std::string> message =
      code == 0 ? std::nullopt : std::optional<std::string>(protocol::ErrorCodeName(code));
  protocol::FindCoordinatorResponse resp;
  if (version >= 4) {
    for (const std::string& key : r.coordinator_keys) {
      if (code != 0) {
        resp.coordinators.push_back({key, -1, "", -1, code, message});
      } else {
        resp.coordinators.push_back({key, node, target.host, target.port, 0, message});
      }
    }
    return resp;
  }
  resp.error_code = code;
  resp.error_message = message;
  if (code == 0) {
    resp.node_id = node;
    resp.host = target.host;
    resp.port = target.port;
  } else {
    resp.node_id = -1;
    resp.port = -1;
  }
  return resp;
}

int16_t FakeCoordinator::CheckMember(const std::string& member_id,
                                     const std::optional<std::string>& instance) {
  if (instance) {
    auto it = instances_.find(*instance);
    if (it != instances_.end() && it->second != member_id) return E(ErrorCode::kFencedInstanceId);
  }
  auto it = members_.find(member_id);
  if (it == members_.end()) return E(ErrorCode::kUnknownMemberId);
  it->second.last_seen = Clock::now();
  return 0;
}

void FakeCoordinator::RemoveMember(const std::string& member_id) {
  auto it = members_.find(member_id);
  if (it == members_.end()) return;
  if (it->second.instance_id) {
    auto inst = instances_.find(*it->second.instance_id);
    if (inst != instances_.end() && inst->second == member_id) instances_.erase(inst);
  }
  members_.erase(it);
  std::erase(join_order_, member_id);
  pending_joins_.erase(member_id);
  pending_syncs_.erase(member_id);
  if (leader_ == member_id) leader_.clear();
  if (members_.empty()) {
    state_ = GroupState::kEmpty;
    have_assignments_ = false;
  }
}

void FakeCoordinator::StartRebalance() {
  if (state_ == GroupState::kPreparing) return;
  state_ = GroupState::kPreparing;
  std::chrono::milliseconds longest{1000};
  for (const auto& [id, m] : members_) longest = std::max(longest, m.rebalance_timeout);
  rebalance_deadline_ = Clock::now() + longest;
  have_assignments_ = false;
  assignments_.clear();
  protocol::SyncGroupResponse busy;
  busy.error_code = E(ErrorCode::kRebalanceInProgress);
  for (const auto& [id, to] : pending_syncs_) Answer(to, busy);
  pending_syncs_.clear();
}

std::optional<protocol::JoinGroupResponse> FakeCoordinator::OnJoinGroup(
    const protocol::JoinGroupRequest& r, const Reply& reply) {
  protocol::JoinGroupResponse error;
  error.member_id = r.member_id;
  auto fail = [&error](ErrorCode code) {
    error.error_code = E(code);
    return error;
  };
  for (const auto& entry : members_) {  // (clang 14 cannot capture structured bindings)
    const Member& m = entry.second;
    if (entry.first == r.member_id) continue;
    const bool shared = std::any_of(r.protocols.begin(), r.protocols.end(), [&m](const auto& p) {
      return std::any_of(m.protocols.begin(), m.protocols.end(),
                         [&p](const auto& q) { return q.first == p.name; });
    });
    if (m.protocol_type != r.protocol_type || !shared) {
      return fail(ErrorCode::kInconsistentGroupProtocol);
    }
  }
  std::string id = r.member_id;
  if (r.group_instance_id) {
    auto it = instances_.find(*r.group_instance_id);
    if (id.empty()) {
      if (it != instances_.end()) RemoveMember(it->second);  // the old incarnation is fenced
      id = *r.group_instance_id + "-" + std::to_string(next_member_++);
      instances_[*r.group_instance_id] = id;
    } else if (it != instances_.end() && it->second != id) {
      return fail(ErrorCode::kFencedInstanceId);
    } else if (!members_.contains(id)) {
      return fail(ErrorCode::kUnknownMemberId);
    }
  } else if (id.empty()) {
    id = "member-" + std::to_string(next_member_++);
    if (reply.version >= 4) {
      pending_ids_.insert(id);
      error.member_id = id;
      return fail(ErrorCode::kMemberIdRequired);
    }
  } else if (!members_.contains(id) && !pending_ids_.contains(id)) {
    return fail(ErrorCode::kUnknownMemberId);
  }
  pending_ids_.erase(id);
  if (!members_.contains(id)) join_order_.push_back(id);
  Member& m = members_[id];
  m.instance_id = r.group_instance_id;
  m.protocol_type = r.protocol_type;
  m.protocols.clear();
  for (const auto& p : r.protocols) m.protocols.emplace_back(p.name, p.metadata);
  m.session_timeout = std::chrono::milliseconds(r.session_timeout_ms);
  m.rebalance_timeout = std::chrono::milliseconds(std::max(r.rebalance_timeout_ms, 0));
  m.last_seen = Clock::now();
  pending_joins_[id] = reply;
  StartRebalance();
  MaybeCompleteJoin(false);
  return std::nullopt;
}

void FakeCoordinator::MaybeCompleteJoin(bool deadline_passed) {
  if (state_ != GroupState::kPreparing) return;
  std::vector<std::string> silent;
  for (const auto& [id, m] : members_) {
    if (!pending_joins_.contains(id)) silent.push_back(id);
  }
  if (!silent.empty() && !deadline_passed) return;
  for (const std::string& id : silent) RemoveMember(id);
  if (members_.empty()) return;
  ++generation_;
  if (!members_.contains(leader_)) leader_ = join_order_.front();
  const Member& leader = members_.at(leader_);
  std::string chosen;
  for (const auto& protocol : leader.protocols) {
    const std::string& name = protocol.first;
    const bool everyone = std::all_of(members_.begin(), members_.end(), [&](const auto& entry) {
      const auto& ps = entry.second.protocols;
      return std::any_of(ps.begin(), ps.end(), [&](const auto& p) { return p.first == name; });
    });
    if (everyone) {
      chosen = name;
      break;
    }
  }
  for (const auto& [id, to] : pending_joins_) {
    protocol::JoinGroupResponse resp;
    resp.generation_id = generation_;
    resp.protocol_type = leader.protocol_type;
    resp.protocol_name = chosen;
    resp.leader = leader_;
    resp.member_id = id;
    if (id == leader_) {
      for (const auto& [mid, m] : members_) {
        auto p = std::find_if(m.protocols.begin(), m.protocols.end(),
                              [&](const auto& q) { return q.first == chosen; });
        resp.members.push_back(
            {mid, m.instance_id, p == m.protocols.end() ? protocol::Bytes{} : p->second});
      }
    }
    Answer(to, resp);
  }
  pending_joins_.clear();
  state_ = GroupState::kAwaitingSync;
  protocol_type_ = leader.protocol_type;
  protocol_name_ = chosen;
}

std::optional<protocol::SyncGroupResponse> FakeCoordinator::OnSyncGroup(
    const protocol::SyncGroupRequest& r, const Reply& reply) {
  protocol::SyncGroupResponse resp;
  resp.protocol_type = protocol_type_;
  resp.protocol_name = protocol_name_;
  resp.error_code = CheckMember(r.member_id, r.group_instance_id);
  if (resp.error_code != 0) return resp;
  if (state_ == GroupState::kPreparing) {
    resp.error_code = E(ErrorCode::kRebalanceInProgress);
    return resp;
  }
  if (r.generation_id != generation_) {
    resp.error_code = E(ErrorCode::kIllegalGeneration);
    return resp;
  }
  if (r.member_id == leader_ && !have_assignments_) {
    for (const auto& a : r.assignments) assignments_[a.member_id] = a.assignment;
    have_assignments_ = true;
    state_ = GroupState::kStable;
    for (const auto& [id, to] : pending_syncs_) {
      protocol::SyncGroupResponse theirs = resp;
      theirs.assignment = assignments_[id];
      Answer(to, theirs);
    }
    pending_syncs_.clear();
  }
  if (!have_assignments_) {
    pending_syncs_[r.member_id] = reply;
    return std::nullopt;
  }
  resp.assignment = assignments_[r.member_id];
  return resp;
}

int16_t FakeCoordinator::OnHeartbeat(const protocol::HeartbeatRequest& r) {
  const int16_t code = CheckMember(r.member_id, r.group_instance_id);
  if (code != 0) return code;
  if (state_ == GroupState::kPreparing) return E(ErrorCode::kRebalanceInProgress);
  if (r.generation_id != generation_) return E(ErrorCode::kIllegalGeneration);
  return 0;
}

protocol::LeaveGroupResponse FakeCoordinator::OnLeaveGroup(const protocol::LeaveGroupRequest& r,
                                                           int16_t version) {
  std::vector<protocol::LeaveGroupRequest::Member> leaving = r.members;
  if (version < 3) leaving = {{r.member_id, std::nullopt, std::nullopt}};
  protocol::LeaveGroupResponse resp;
  bool removed = false;
  for (const auto& l : leaving) {
    int16_t code = CheckMember(l.member_id, l.group_instance_id);
    if (code == 0) {
      RemoveMember(l.member_id);
      removed = true;
    }
    if (version >= 3) {
      resp.members.push_back({l.member_id, l.group_instance_id, code});
    } else {
      resp.error_code = code;
    }
  }
  if (removed && !members_.empty()) {
    StartRebalance();
    MaybeCompleteJoin(false);
  }
  return resp;
}

protocol::OffsetCommitResponse FakeCoordinator::OnOffsetCommit(
    const protocol::OffsetCommitRequest& r) {
  int16_t code = 0;
  if (r.generation_id_or_member_epoch >= 0 || !r.member_id.empty()) {
    code = CheckMember(r.member_id, r.group_instance_id);
    if (code == 0 && r.generation_id_or_member_epoch != generation_) {
      code = E(ErrorCode::kIllegalGeneration);
    }
    // As Kafka: accepted while preparing (eager members commit before rejoining), not
    // between JoinGroup and SyncGroup.
    if (code == 0 && state_ == GroupState::kAwaitingSync) code = E(ErrorCode::kRebalanceInProgress);
  }
  protocol::OffsetCommitResponse resp;
  for (const auto& t : r.topics) {
    auto& out = resp.topics.emplace_back();
    out.name = t.name;
    for (const auto& p : t.partitions) {
      if (code == 0) offsets_[{t.name, p.partition_index}] = p.committed_offset;
      out.partitions.push_back({p.partition_index, code});
    }
  }
  return resp;
}

protocol::OffsetFetchResponse FakeCoordinator::OnOffsetFetch(const protocol::OffsetFetchRequest& r,
                                                             int16_t version, int16_t code) const {
  auto lookup = [this](const std::string& topic, int32_t partition) -> int64_t {
    auto it = offsets_.find({topic, partition});
    return it == offsets_.end() ? -1 : it->second;
  };
  protocol::OffsetFetchResponse resp;
  if (version >= 8) {
    for (const auto& g : r.groups) {
      auto& out = resp.groups.emplace_back();
      out.group_id = g.group_id;
      out.error_code = code;
      if (code != 0 || !g.topics) continue;
      for (const auto& t : *g.topics) {
        auto& ot = out.topics.emplace_back();
        ot.name = t.name;
        for (int32_t p : t.partition_indexes) {
          ot.partitions.push_back({p, lookup(t.name, p), -1, std::nullopt, 0});
        }
      }
    }
    return resp;
  }
  resp.error_code = code;
  if (code != 0 || !r.topics) return resp;
  for (const auto& t : *r.topics) {
    auto& ot = resp.topics.emplace_back();
    ot.name = t.name;
    for (int32_t p : t.partition_indexes) {
      ot.partitions.push_back({p, lookup(t.name, p), -1, std::nullopt, 0});
    }
  }
  return resp;
}

void FakeCoordinator::Tick() {
  const auto now = Clock::now();
  std::vector<std::string> expired;
  for (const auto& [id, m] : members_) {
    if (!pending_joins_.contains(id) && now - m.last_seen > m.session_timeout) {
      expired.push_back(id);
    }
  }
  for (const std::string& id : expired) RemoveMember(id);
  if (!expired.empty() && !members_.empty()) StartRebalance();
  if (state_ == GroupState::kPreparing) MaybeCompleteJoin(now >= rebalance_deadline_);
}

}  // namespace brook::group::testing
