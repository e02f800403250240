#include "group/coordinator.h"

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <thread>

#include "common/log.h"

namespace brook::group {

using protocol::ApiKey;
using protocol::ErrorCode;

namespace {

constexpr std::array<ApiKey, 7> kCoordinatorApis = {
    ApiKey::kFindCoordinator, ApiKey::kJoinGroup,    ApiKey::kSyncGroup,  ApiKey::kHeartbeat,
    ApiKey::kLeaveGroup,      ApiKey::kOffsetCommit, ApiKey::kOffsetFetch};

// ApiVersions v3 is the first flexible version; every 2.4+ broker serves it.
constexpr int16_t kApiVersionsProbe = 3;

// Sends `frame` on `conn` and polls until its answer, the request timeout, or `stop`. The
// answer slot is shared with the callback: a request abandoned on stop is failed by Close()
// and its callback may run at a later Poll(), after this function returned.
Result<std::vector<uint8_t>> SendAndWait(net::KafkaConnection& conn, std::vector<uint8_t> frame,
                                         std::chrono::milliseconds timeout,
                                         const std::atomic<bool>& stop) {
  auto answer = std::make_shared<std::optional<Result<std::vector<uint8_t>>>>();
  BROOK_RETURN_IF_ERROR(
      conn.Send(std::move(frame), timeout, [answer](auto r) { answer->emplace(std::move(r)); }));
  while (!answer->has_value()) {
    if (stop.load()) {
      conn.Close("stopping");
      return Status::Unavailable("stopping");
    }
    conn.Poll(std::chrono::milliseconds(50));
  }
  return std::move(**answer);
}

bool IsCoordinatorError(int16_t code) {
  const auto e = static_cast<ErrorCode>(code);
  return e == ErrorCode::kNotCoordinator || e == ErrorCode::kCoordinatorNotAvailable ||
         e == ErrorCode::kCoordinatorLoadInProgress;
}

}  // namespace

Result<std::vector<net::Endpoint>> ParseBootstrap(std::string_view list) {
  std::vector<net::Endpoint> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    std::string_view item = list.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      Result<net::Endpoint> ep = net::ParseEndpoint(item);
      if (!ep.ok()) return ep.status().WithContext("bootstrap.servers");
      out.push_back(*ep);
    }
    start = comma + 1;
  }
  if (out.empty()) return Status::InvalidArgument("bootstrap.servers: no broker address given");
  return out;
}

CoordinatorClient::CoordinatorClient(CoordinatorOptions options)
    : options_(std::move(options)), backoff_(options_.retry_backoff, options_.retry_backoff_max) {}

Result<int16_t> CoordinatorClient::VersionFor(ApiKey api) const {
  auto it = versions_.find(api);
  if (!ready_ || it == versions_.end()) {
    return Status::FailedPrecondition(std::string(protocol::ApiKeyName(api)) +
                                      ": no coordinator connection with negotiated versions");
  }
  return it->second;
}

std::string CoordinatorClient::Describe() const {
  if (!coordinator_) return "unknown";
  return coordinator_->ToString() + " (node " + std::to_string(coordinator_node_) + ")";
}

void CoordinatorClient::MarkDead(const std::string& reason) {
  if (coordinator_) {
    Logger().info("group {}: coordinator {} marked dead: {}", options_.group_id, Describe(),
                  reason);
  }
  if (conn_) conn_->Close(reason);
  conn_.reset();
  ready_ = false;
  coordinator_.reset();
  not_before_ = Clock::now() + backoff_.Next();
  ++rediscoveries_;
}

Result<std::vector<uint8_t>> CoordinatorClient::RoundTrip(std::vector<uint8_t> frame,
                                                          std::chrono::milliseconds timeout,
                                                          const std::atomic<bool>& stop,
                                                          std::string_view what) {
  if (!conn_ || !conn_->connected()) {
    ready_ = false;
    return Status::Unavailable(std::string(what) + ": not connected to the coordinator");
  }
  Result<std::vector<uint8_t>> answer = SendAndWait(*conn_, std::move(frame), timeout, stop);
  if (!answer.ok()) {
    ready_ = false;
    return answer.status().WithContext(std::string(what) + " to coordinator " + Describe());
  }
  return std::move(answer).value();
}

template <typename Req>
Result<typename Req::Response> CoordinatorClient::CallOn(net::KafkaConnection& conn,
                                                         int16_t version, const Req& request,
                                                         const std::atomic<bool>& stop) {
  using Resp = typename Req::Response;
  const int32_t corr = conn.NextCorrelationId();
  BROOK_ASSIGN_OR_RETURN(protocol::Bytes frame,
                         protocol::EncodeRequest(request, version, corr, options_.client_id));
  BROOK_ASSIGN_OR_RETURN(std::vector<uint8_t> payload,
                         SendAndWait(conn, std::move(frame), options_.request_timeout, stop));
  BROOK_ASSIGN_OR_RETURN(protocol::ResponseFrame<Resp> decoded,
                         protocol::DecodeResponse<Resp>(version, payload, corr));
  return std::move(decoded.body);
}

Status CoordinatorClient::Open(net::KafkaConnection& conn, const net::Endpoint& endpoint,
                               std::map<ApiKey, int16_t>& versions, const std::atomic<bool>& stop) {
  BROOK_RETURN_IF_ERROR(conn.Connect(endpoint));
  protocol::ApiVersionsRequest req;
  req.client_software_name = "brook";
  req.client_software_version = "1";
  int16_t version = kApiVersionsProbe;
  for (int attempt = 0; attempt < 2; ++attempt) {
    Result<protocol::ApiVersionsResponse> resp = CallOn(conn, version, req, stop);
    if (!resp.ok()) return resp.status().WithContext("ApiVersions to " + endpoint.ToString());
    if (resp->error_code == static_cast<int16_t>(ErrorCode::kUnsupportedVersion) && attempt == 0) {
      // The broker lists its own range; ask again at the highest we both know. (PickVersion
      // rejects a response carrying an error, so clear it first.)
      resp->error_code = 0;
      Result<int16_t> v = protocol::PickVersion(ApiKey::kApiVersions, *resp);
      if (!v.ok()) return v.status().WithContext("broker " + endpoint.ToString());
      version = *v;
      continue;
    }
    Result<std::map<ApiKey, int16_t>> picked = protocol::PickVersions(kCoordinatorApis, *resp);
    if (!picked.ok()) return picked.status().WithContext("broker " + endpoint.ToString());
    versions = std::move(*picked);
    return Status::Ok();
  }
  return Status::FailedPrecondition("broker " + endpoint.ToString() +
                                    ": ApiVersions negotiation failed");
}

Result<net::Endpoint> CoordinatorClient::FindCoordinator(net::KafkaConnection& conn,
                                                         const std::map<ApiKey, int16_t>& versions,
                                                         const std::atomic<bool>& stop) {
  const int16_t version = versions.at(ApiKey::kFindCoordinator);
  protocol::FindCoordinatorRequest req;
  req.key_type = 0;
  if (version >= 4) {
    req.coordinator_keys = {options_.group_id};
  } else {
    req.key = options_.group_id;
  }
  BROOK_ASSIGN_OR_RETURN(protocol::FindCoordinatorResponse resp, CallOn(conn, version, req, stop));
  int16_t code = resp.error_code;
  std::optional<std::string> message = resp.error_message;
  net::Endpoint ep{resp.host, resp.port};
  int32_t node = resp.node_id;
  if (version >= 4) {
    if (resp.coordinators.size() != 1) {
      return Status::Corruption("FindCoordinator: expected 1 coordinator, got " +
                                std::to_string(resp.coordinators.size()));
    }
    const auto& c = resp.coordinators.front();
    code = c.error_code;
    message = c.error_message;
    ep = {c.host, c.port};
    node = c.node_id;
  }
  if (code != 0) {
    std::string text = "FindCoordinator for group '" + options_.group_id +
                       "': " + protocol::DescribeErrorCode(code);
    if (message && !message->empty()) text += " (" + *message + ")";
    if (IsCoordinatorError(code) || protocol::IsRetriableError(code)) {
      return Status::Unavailable(text);
    }
    return Status::FailedPrecondition(text);
  }
  if (ep.host.empty() || ep.port <= 0 || ep.port > 65535) {
    return Status::Corruption("FindCoordinator: invalid coordinator address '" + ep.ToString() +
                              "'");
  }
  coordinator_node_ = node;
  return ep;
}

Status CoordinatorClient::TryOnce(const std::atomic<bool>& stop) {
  if (options_.bootstrap.empty()) {
    return Status::InvalidArgument("bootstrap.servers: no broker address given");
  }
  const net::Endpoint& boot = options_.bootstrap[next_bootstrap_ % options_.bootstrap.size()];
  ++next_bootstrap_;
  net::KafkaConnection bootstrap(options_.transport_factory());
  std::map<ApiKey, int16_t> boot_versions;
  BROOK_RETURN_IF_ERROR(Open(bootstrap, boot, boot_versions, stop));
  Result<net::Endpoint> ep = FindCoordinator(bootstrap, boot_versions, stop);
  if (!ep.ok()) return ep.status().WithContext("via " + boot.ToString());
  auto conn = std::make_unique<net::KafkaConnection>(options_.transport_factory());
  bootstrap.Close("coordinator found");
  std::map<ApiKey, int16_t> versions;
  Status s = Open(*conn, *ep, versions, stop);
  if (!s.ok()) return s.WithContext("coordinator " + ep->ToString());
  conn_ = std::move(conn);
  versions_ = std::move(versions);
  coordinator_ = *ep;
  ready_ = true;
  backoff_.Reset();
  Logger().info("group {}: coordinator is {}", options_.group_id, Describe());
  return Status::Ok();
}

Status CoordinatorClient::EnsureReady(Clock::time_point deadline, const std::atomic<bool>& stop) {
  Status last = Status::Unavailable("no attempt made");
  while (!ready()) {
    if (stop.load()) return Status::Unavailable("stopping");
    const auto now = Clock::now();
    if (now >= deadline) {
      return Status::TimedOut(
          "group '" + options_.group_id +
          "': no coordinator connection in time; last error: " + last.ToString());
    }
    if (now < not_before_) {
      std::this_thread::sleep_for(
          std::min<Clock::duration>(not_before_ - now, std::chrono::milliseconds(50)));
      continue;
    }
    if (conn_) conn_->Close("reconnecting");
    conn_.reset();
    ready_ = false;
    last = TryOnce(stop);
    if (!last.ok()) {
      if (last.code() == StatusCode::kInvalidArgument ||
          last.code() == StatusCode::kFailedPrecondition) {
        return last;  // not going to get better by retrying
      }
      Logger().debug("group {}: coordinator lookup failed: {}", options_.group_id, last.ToString());
      not_before_ = Clock::now() + backoff_.Next();
    }
  }
  return Status::Ok();
}

}  // namespace brook::group
