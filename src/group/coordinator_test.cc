// CoordinatorClient against FakeCoordinator on loopback: discovery through a bootstrap
// broker, retries with backoff, rediscovery, broken responses, timeouts, bootstrap parsing.
#include "group/coordinator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "group/testing/fake_coordinator.h"

namespace brook::group {
namespace {

using protocol::ApiKey;
using protocol::ErrorCode;
using std::chrono::milliseconds;
using testing::FakeCoordinator;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

const std::atomic<bool> kNoStop{false};

CoordinatorOptions Options(const FakeCoordinator& bootstrap) {
  CoordinatorOptions o;
  o.bootstrap = {bootstrap.endpoint()};
  o.group_id = "g1";
  o.client_id = "brook-test";
  o.request_timeout = milliseconds(2000);
  o.retry_backoff = milliseconds(20);
  o.retry_backoff_max = milliseconds(100);
  return o;
}

Status Ready(CoordinatorClient& c, milliseconds within = milliseconds(5000)) {
  return c.EnsureReady(Clock::now() + within, kNoStop);
}

// A heartbeat for a member the fake does not know: answered with UNKNOWN_MEMBER_ID, which
// is enough to see which broker served it.
Result<protocol::HeartbeatResponse> Ping(CoordinatorClient& c,
                                         milliseconds timeout = milliseconds(2000)) {
  protocol::HeartbeatRequest hb;
  hb.group_id = "g1";
  hb.generation_id = 1;
  hb.member_id = "nobody";
  return c.Call(hb, timeout, kNoStop);
}

TEST(CoordinatorClient, FindsTheCoordinatorThroughTheBootstrapBrokerAtEveryVersion) {
  for (const int16_t find_version : {int16_t{0}, int16_t{3}, int16_t{6}}) {
    SCOPED_TRACE("FindCoordinator v" + std::to_string(find_version));
    FakeCoordinator coordinator(/*node_id=*/7);
    FakeCoordinator boot(/*node_id=*/1);
    boot.SetMaxVersion(ApiKey::kFindCoordinator, find_version);
    boot.PointCoordinatorAt(coordinator.endpoint(), coordinator.node_id());
    CoordinatorClient client(Options(boot));
    EXPECT_FALSE(client.ready());
    EXPECT_EQ(client.VersionFor(ApiKey::kHeartbeat).status().code(),
              StatusCode::kFailedPrecondition);

    ASSERT_TRUE(Ready(client).ok());
    EXPECT_TRUE(client.ready());
    EXPECT_EQ(client.Describe(), coordinator.bootstrap() + " (node 7)");
    EXPECT_EQ(client.VersionFor(ApiKey::kHeartbeat).value(), 4);

    Result<protocol::HeartbeatResponse> hb = Ping(client);
    ASSERT_TRUE(hb.ok()) << hb.status().ToString();
    EXPECT_EQ(hb->error_code, static_cast<int16_t>(ErrorCode::kUnknownMemberId));

    const auto finds = boot.requests(ApiKey::kFindCoordinator);
    ASSERT_EQ(finds.size(), 1U);
    EXPECT_EQ(finds[0].version, find_version);
    EXPECT_EQ(finds[0].key, "g1");
    EXPECT_EQ(boot.Count(ApiKey::kApiVersions), 1);
    EXPECT_EQ(boot.Count(ApiKey::kHeartbeat), 0);
    EXPECT_EQ(coordinator.Count(ApiKey::kFindCoordinator), 0);
    EXPECT_EQ(coordinator.Count(ApiKey::kApiVersions), 1);
    EXPECT_EQ(coordinator.Count(ApiKey::kHeartbeat), 1);
  }
}

TEST(CoordinatorClient, NegotiatesApiVersionsDownWhenTheBrokerLacksV3) {
  FakeCoordinator fake;
  fake.SetMaxVersion(ApiKey::kApiVersions, 2);  // answers v3 with UNSUPPORTED_VERSION
  CoordinatorClient client(Options(fake));
  const Status s = Ready(client);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::vector<int16_t> versions;
  for (const auto& r : fake.requests(ApiKey::kApiVersions)) versions.push_back(r.version);
  // Bootstrap connection, then the coordinator connection: v3 refused, v2 accepted.
  EXPECT_THAT(versions, ::testing::ElementsAre(3, 2, 3, 2));
  EXPECT_TRUE(Ping(client).ok());
}

TEST(CoordinatorClient, RetriesCoordinatorNotAvailableWithBackoff) {
  FakeCoordinator fake;
  fake.InjectError(ApiKey::kFindCoordinator, ErrorCode::kCoordinatorNotAvailable, 2);
  CoordinatorClient client(Options(fake));
  const auto start = Clock::now();
  const Status s = Ready(client);
  const auto took = Clock::now() - start;
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(fake.Count(ApiKey::kFindCoordinator), 3);
  // Two backoffs: 20 ms and 40 ms, each with at most 20% jitter off.
  EXPECT_GE(took, milliseconds(48));
  EXPECT_LT(took, milliseconds(2000));
}

TEST(CoordinatorClient, NonRetriableFindCoordinatorErrorIsReturnedAtOnce) {
  FakeCoordinator fake;
  fake.InjectError(ApiKey::kFindCoordinator, ErrorCode::kGroupAuthorizationFailed, 5);
  CoordinatorClient client(Options(fake));
  const Status s = Ready(client);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("GROUP_AUTHORIZATION_FAILED"));
  EXPECT_THAT(s.message(), HasSubstr("'g1'"));
  EXPECT_EQ(fake.Count(ApiKey::kFindCoordinator), 1);
}

TEST(CoordinatorClient, MarkDeadAfterNotCoordinatorRediscovers) {
  FakeCoordinator fake;
  CoordinatorClient client(Options(fake));
  ASSERT_TRUE(Ready(client).ok());
  fake.InjectError(ApiKey::kHeartbeat, ErrorCode::kNotCoordinator);
  Result<protocol::HeartbeatResponse> hb = Ping(client);
  ASSERT_TRUE(hb.ok()) << hb.status().ToString();
  ASSERT_EQ(hb->error_code, static_cast<int16_t>(ErrorCode::kNotCoordinator));

  client.MarkDead("Heartbeat: NOT_COORDINATOR");
  EXPECT_FALSE(client.ready());
  EXPECT_EQ(client.Describe(), "unknown");
  EXPECT_EQ(client.rediscoveries(), 1);
  EXPECT_EQ(Ping(client).status().code(), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(Ready(client).ok());
  EXPECT_EQ(fake.Count(ApiKey::kFindCoordinator), 2);
  EXPECT_TRUE(Ping(client).ok());
  EXPECT_EQ(fake.Count(ApiKey::kHeartbeat), 2);
}

TEST(CoordinatorClient, TruncatedResponseClosesTheConnectionAndNamesTheApi) {
  FakeCoordinator fake;
  CoordinatorClient client(Options(fake));
  ASSERT_TRUE(Ready(client).ok());
  const int accepted = fake.connections_accepted();
  fake.TruncateNextResponse(ApiKey::kHeartbeat);
  Result<protocol::HeartbeatResponse> hb = Ping(client);
  ASSERT_FALSE(hb.ok());
  EXPECT_THAT(hb.status().message(), HasSubstr("HeartbeatResponse"));
  EXPECT_THAT(hb.status().message(), HasSubstr(fake.bootstrap()));
  EXPECT_FALSE(client.ready());

  ASSERT_TRUE(Ready(client).ok());
  EXPECT_GT(fake.connections_accepted(), accepted);
  EXPECT_TRUE(Ping(client).ok());
}

TEST(CoordinatorClient, DroppedConnectionFailsTheCallAndTheNextEnsureReadyReconnects) {
  FakeCoordinator fake;
  CoordinatorClient client(Options(fake));
  ASSERT_TRUE(Ready(client).ok());
  fake.DropConnectionOnNext(ApiKey::kHeartbeat);
  Result<protocol::HeartbeatResponse> hb = Ping(client);
  ASSERT_FALSE(hb.ok());
  EXPECT_EQ(hb.status().code(), StatusCode::kUnavailable) << hb.status().ToString();
  EXPECT_THAT(hb.status().message(), HasSubstr("Heartbeat"));
  EXPECT_FALSE(client.ready());
  ASSERT_TRUE(Ready(client).ok());
  EXPECT_TRUE(Ping(client).ok());
}

TEST(CoordinatorClient, UnansweredRequestTimesOut) {
  FakeCoordinator fake;
  CoordinatorClient client(Options(fake));
  ASSERT_TRUE(Ready(client).ok());
  fake.NeverAnswerNext(ApiKey::kHeartbeat);
  const auto start = Clock::now();
  Result<protocol::HeartbeatResponse> hb = Ping(client, milliseconds(200));
  const auto took = Clock::now() - start;
  ASSERT_FALSE(hb.ok());
  EXPECT_EQ(hb.status().code(), StatusCode::kTimedOut) << hb.status().ToString();
  EXPECT_THAT(hb.status().message(), HasSubstr("Heartbeat"));
  EXPECT_GE(took, milliseconds(190));
  EXPECT_LT(took, milliseconds(1500));
  EXPECT_FALSE(client.ready());
  ASSERT_TRUE(Ready(client).ok());
  EXPECT_TRUE(Ping(client).ok());
}

TEST(CoordinatorClient, StopFlagEndsAWaitingCall) {
  FakeCoordinator fake;
  CoordinatorClient client(Options(fake));
  ASSERT_TRUE(Ready(client).ok());
  fake.NeverAnswerNext(ApiKey::kHeartbeat);
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    fake.WaitForCount(ApiKey::kHeartbeat, 1, milliseconds(2000));
    stop = true;
  });
  protocol::HeartbeatRequest hb;
  hb.group_id = "g1";
  const auto start = Clock::now();
  Result<protocol::HeartbeatResponse> r = client.Call(hb, milliseconds(10000), stop);
  stopper.join();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("stopping"));
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  EXPECT_FALSE(client.ready());
}

TEST(CoordinatorClient, UnreachableBootstrapTimesOutWithTheLastError) {
  // A port nobody listens on: bind, read the port, close.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  const net::Endpoint dead{"127.0.0.1", ntohs(addr.sin_port)};

  CoordinatorOptions o;
  o.bootstrap = {dead};
  o.group_id = "g1";
  o.retry_backoff = milliseconds(20);
  o.retry_backoff_max = milliseconds(100);
  CoordinatorClient client(o);
  const auto start = Clock::now();
  const Status s = client.EnsureReady(start + milliseconds(400), kNoStop);
  const auto took = Clock::now() - start;
  EXPECT_EQ(s.code(), StatusCode::kTimedOut) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("no coordinator connection in time"));
  EXPECT_THAT(s.message(), HasSubstr("'g1'"));
  EXPECT_THAT(s.message(), HasSubstr(dead.ToString()));
  EXPECT_GE(took, milliseconds(390));
  EXPECT_LT(took, milliseconds(1500));
}

TEST(CoordinatorClient, EnsureReadyHonoursTheStopFlag) {
  CoordinatorOptions o;
  o.bootstrap = {{"127.0.0.1", 1}};
  o.group_id = "g1";
  CoordinatorClient client(o);
  const std::atomic<bool> stop{true};
  EXPECT_EQ(client.EnsureReady(Clock::now() + milliseconds(5000), stop).code(),
            StatusCode::kUnavailable);
}

TEST(ParseBootstrap, AcceptsListsAndNamesBadEntries) {
  Result<std::vector<net::Endpoint>> two = ParseBootstrap(" a:1, b:2 ,,[::1]:9092");
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  ASSERT_EQ(two->size(), 3U);
  EXPECT_EQ((*two)[0], (net::Endpoint{"a", 1}));
  EXPECT_EQ((*two)[1], (net::Endpoint{"b", 2}));
  EXPECT_EQ((*two)[2].port, 9092);

  for (const char* empty : {"", " ", " , ,"}) {
    const Status s = ParseBootstrap(empty).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << empty;
    EXPECT_THAT(s.message(), HasSubstr("no broker address")) << empty;
  }
  for (const char* bad : {"a:1,nocolon", "a:1,b:notaport", "b:99999"}) {
    const Status s = ParseBootstrap(bad).status();
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_THAT(s.message(), HasSubstr("bootstrap.servers")) << bad;
  }
  EXPECT_THAT(ParseBootstrap("a:1,nocolon").status().message(), HasSubstr("nocolon"));
}

}  // namespace
}  // namespace brook::group
