// The HTTP wrapper with an in-process server and the client: routing on raw segments
// (encoded '/' stays in its parameter), literal-over-parameter precedence, JSON errors (404,
// 405, 400, 500, 413), request bodies (byte for byte, chunked, keep-alive, no length), headers
// both ways, start/stop, port 0, bind failures, concurrent requests, and the URL helpers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"
#include "http/server.h"

namespace brook::http {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

nlohmann::json Body(const HttpClientResponse& r) {
  return nlohmann::json::parse(r.body);
}

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = HttpServer::Create({.listen = "127.0.0.1:0", .threads = 4}).value();
  }
  void StartServer() {
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
    endpoint_ = "127.0.0.1:" + std::to_string(server_->port());
  }
  HttpClientResponse Get(const std::string& target,
                         const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    Result<HttpClientResponse> r = HttpGet(endpoint_, target, headers, milliseconds(2000));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : HttpClientResponse{};
  }

  std::unique_ptr<HttpServer> server_;
  std::string endpoint_;
};

TEST_F(HttpTest, RoutesOnRawSegmentsAndDecodesParameters) {
  ASSERT_TRUE(server_
                  ->Route("GET", "/stores/{store}/keys/{key}",
                          [](const HttpRequest& r) {
                            return HttpResponse::Json(200,
                                                      {{"store", r.Param("store")},
                                                       {"key", r.Param("key")},
                                                       {"path", r.path},
                                                       {"from", r.Query("from").value_or("-")}});
                          })
                  .ok());
  StartServer();
  // %2F stays inside the key; %20 and non-ASCII bytes decode; '+' in a path is literal.
  const HttpClientResponse r = Get("/stores/counts/keys/a%2Fb%20c+d%C3%A9?from=1%2B2");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type").value_or(""), "application/json");
  const nlohmann::json j = Body(r);
  EXPECT_EQ(j["store"], "counts");
  EXPECT_EQ(j["key"], "a/b c+d\xC3\xA9");
  EXPECT_EQ(j["path"], "/stores/counts/keys/a%2Fb%20c+d%C3%A9");
  EXPECT_EQ(j["from"], "1+2");
}

TEST_F(HttpTest, LiteralSegmentsWinAndUnknownPathsAndMethodsAreJsonErrors) {
  ASSERT_TRUE(server_
                  ->Route("GET", "/stores/{store}",
                          [](const HttpRequest&) { return HttpResponse::Json(200, "param"); })
                  .ok());
  ASSERT_TRUE(server_
                  ->Route("GET", "/stores/all",
                          [](const HttpRequest&) { return HttpResponse::Json(200, "literal"); })
                  .ok());
  StartServer();
  EXPECT_EQ(Body(Get("/stores/all")), "literal");
  EXPECT_EQ(Body(Get("/stores/x")), "param");

  const HttpClientResponse missing = Get("/nothing/here");
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(Body(missing)["error"].get<std::string>(), HasSubstr("/nothing/here"));
  // An empty segment never matches a parameter.
  EXPECT_EQ(Get("/stores/").status, 404);
}

TEST_F(HttpTest, BadEscapesAre400AndThrowingHandlersAre500) {
  ASSERT_TRUE(
      server_
          ->Route("GET", "/k/{key}",
                  [](const HttpRequest& r) { return HttpResponse::Json(200, r.Param("key")); })
          .ok());
  ASSERT_TRUE(
      server_
          ->Route("GET", "/boom",
                  [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("kaputt"); })
          .ok());
  StartServer();
  const HttpClientResponse bad = Get("/k/%zz");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(Body(bad)["error"].get<std::string>(), HasSubstr("path parameter 'key'"));
  const HttpClientResponse boom = Get("/boom");
  EXPECT_EQ(boom.status, 500);
  EXPECT_THAT(Body(boom)["error"].get<std::string>(), HasSubstr("kaputt"));
}

TEST_F(HttpTest, MethodMismatchIs405) {
  ASSERT_TRUE(server_
                  ->Route("POST", "/only-post",
                          [](const HttpRequest&) { return HttpResponse::Json(200, "ok"); })
                  .ok());
  StartServer();
  const HttpClientResponse r = Get("/only-post");
  EXPECT_EQ(r.status, 405);
  EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr("method GET not allowed"));
}

TEST_F(HttpTest, PostCarriesContentType) {
  ASSERT_TRUE(server_
                  ->Route("POST", "/echo",
                          [](const HttpRequest& req) {
                            return HttpResponse::Json(
                                201, {{"body", req.body},
                                      {"type", req.Header("content-type").value_or("")}});
                          })
                  .ok());
  StartServer();
  Result<HttpClientResponse> r =
      HttpPost(endpoint_, "/echo", "{\"a\":1}", "application/json", {}, milliseconds(2000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(Body(*r)["body"], "{\"a\":1}");
  EXPECT_EQ(Body(*r)["type"], "application/json");
  const Result<HttpClientResponse> refused =
      HttpPost("127.0.0.1:1", "/echo", "", "text/plain", {}, milliseconds(500));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("POST http://127.0.0.1:1/echo"));
}

// Raw HTTP/1.1 over one keep-alive connection: sends each request once the answer to the
// previous one (with a Content-Length) is complete; returns everything read.
std::string RawExchange(int port, const std::vector<std::string>& requests) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string in;
  size_t at = 0;  // where the next answer starts in `in`
  // True once `in` holds a complete answer from `at` on; moves `at` past it.
  const auto answered = [&] {
    const size_t head_end = in.find("\r\n\r\n", at);
    if (head_end == std::string::npos) return false;
    const size_t cl = in.find("Content-Length: ", at);
    const size_t len = cl < head_end ? std::stoul(in.substr(cl + 16)) : 0;
    if (in.size() < head_end + 4 + len) return false;
    at = head_end + 4 + len;
    return true;
  };
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    for (const std::string& request : requests) {
      if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(request.size())) {
        break;
      }
      char buf[4096];
      bool closed = false;
      while (!answered()) {
        const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
          closed = true;
          break;
        }
        in.append(buf, static_cast<size_t>(n));
      }
      if (closed) break;
    }
  }
  ::close(fd);
  return in;
}

TEST_F(HttpTest, PostHandlersSeeTheBodyByteForByte) {
  std::atomic<int> calls{0};
  ASSERT_TRUE(server_
                  ->Route("POST", "/echo/{name}",
                          [&](const HttpRequest& req) {
                            ++calls;
                            return HttpResponse::Text(200, req.body, "application/octet-stream")
                                .WithHeader("X-Name", req.Param("name"))
                                .WithHeader("X-Size", std::to_string(req.body.size()));
                          })
                  .ok());
  StartServer();
  // Every byte value, CR LF and NUL included, then a body of 512 KiB.
  std::string all;
  for (int round = 0; round < 3; ++round) {
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  }
  all += "\r\n\r\nPOST /echo/x HTTP/1.1\r\n\r\n";
  std::string big(size_t{512} * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131 + 7) % 251);
  for (const std::string* body : {&all, &big}) {
    Result<HttpClientResponse> r = HttpPost(endpoint_, "/echo/a%2Fb", *body,
                                            "application/octet-stream", {}, milliseconds(5000));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("x-name").value_or(""), "a/b");
    EXPECT_EQ(r->Header("x-size").value_or(""), std::to_string(body->size()));
    EXPECT_TRUE(r->body == *body) << "body of " << body->size() << " bytes came back altered";
  }
  // An empty body (Content-Length: 0) is still an empty body.
  Result<HttpClientResponse> empty =
      HttpPost(endpoint_, "/echo/e", "", "text/plain", {}, milliseconds(2000));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->status, 200);
  EXPECT_EQ(empty->body, "");
  EXPECT_EQ(calls.load(), 3);
}

TEST_F(HttpTest, BodiesOnOneConnectionChunkedAndWithoutLength) {
  ASSERT_TRUE(server_
                  ->Route("POST", "/echo",
                          [](const HttpRequest& req) {
                            return HttpResponse::Text(200, "[" + req.body + "]");
                          })
                  .ok());
  StartServer();
  // Two requests on one keep-alive connection: the first body is consumed, not parsed as the
  // next request; a chunked body is reassembled.
  const std::string got = RawExchange(
      server_->port(), {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nGET / HTTP/",
                        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n"});
  EXPECT_THAT(got, HasSubstr("[GET / HTTP/]"));
  EXPECT_THAT(got, HasSubstr("[abcdefg]"));
  // A POST with neither Content-Length nor chunked has no body: answered at once, not after
  // waiting for the connection to close.
  const auto start = std::chrono::steady_clock::now();
  const std::string bare = RawExchange(server_->port(), {"POST /echo HTTP/1.1\r\nHost: x\r\n\r\n"});
  EXPECT_THAT(bare, HasSubstr("[]"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
}

TEST(HttpServerBody, LongerThanTheLimitIs413WithoutReachingTheHandler) {
  auto server =
      HttpServer::Create({.listen = "127.0.0.1:0", .threads = 2, .max_body_bytes = 1000}).value();
  std::atomic<int> calls{0};
  ASSERT_TRUE(server
                  ->Route("POST", "/echo",
                          [&](const HttpRequest& req) {
                            ++calls;
                            return HttpResponse::Text(200, req.body);
                          })
                  .ok());
  ASSERT_TRUE(server->Start().ok());
  const std::string endpoint = "127.0.0.1:" + std::to_string(server->port());
  Result<HttpClientResponse> at_limit =
      HttpPost(endpoint, "/echo", std::string(1000, 'x'), "text/plain", {}, milliseconds(2000));
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().ToString();
  EXPECT_EQ(at_limit->status, 200);
  EXPECT_EQ(at_limit->body, std::string(1000, 'x'));
  Result<HttpClientResponse> over =
      HttpPost(endpoint, "/echo", std::string(1001, 'x'), "text/plain", {}, milliseconds(2000));
  ASSERT_TRUE(over.ok()) << over.status().ToString();
  EXPECT_EQ(over->status, 413);
  EXPECT_THAT(Body(*over)["error"].get<std::string>(), HasSubstr("larger than 1000 bytes"));
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(HttpServer::Create({.listen = ":1", .max_body_bytes = 0}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(HttpTest, HeadersTravelBothWaysAndInvalidUtf8IsReplaced) {
  ASSERT_TRUE(server_
                  ->Route("GET", "/echo",
                          [](const HttpRequest& r) {
                            return HttpResponse::Json(
                                       200, {{"seen", r.Header("x-brook-test").value_or("")},
                                             {"bytes", std::string("\xff\xfe ok")}})
                                .WithHeader("X-Answered-By", "me");
                          })
                  .ok());
  StartServer();
  const HttpClientResponse r = Get("/echo", {{"X-Brook-Test", "hello"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("x-answered-by").value_or(""), "me");
  const nlohmann::json j = Body(r);
  EXPECT_EQ(j["seen"], "hello");
  EXPECT_EQ(j["bytes"], "\xEF\xBF\xBD\xEF\xBF\xBD ok");
}

TEST_F(HttpTest, ConcurrentRequestsAreServedInParallel) {
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  ASSERT_TRUE(server_
                  ->Route("GET", "/slow",
                          [&](const HttpRequest&) {
                            const int now = ++inside;
                            int seen = most.load();
                            while (now > seen && !most.compare_exchange_weak(seen, now)) {
                            }
                            std::this_thread::sleep_for(milliseconds(200));
                            --inside;
                            return HttpResponse::Json(200, "done");
                          })
                  .ok());
  StartServer();
  std::vector<std::future<int>> calls;
  calls.reserve(4);
  for (int i = 0; i < 4; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      Result<HttpClientResponse> r = HttpGet(endpoint_, "/slow", {}, milliseconds(5000));
      return r.ok() ? r->status : -1;
    }));
  }
  for (auto& c : calls) EXPECT_EQ(c.get(), 200);
  EXPECT_GE(most.load(), 2);
}

TEST_F(HttpTest, StartStopAndRegistrationRules) {
  const HttpHandler ok = [](const HttpRequest&) { return HttpResponse::Json(200, "ok"); };
  EXPECT_EQ(server_->Route("GET", "no-slash", ok).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->Route("GET", "/a/x{y}", ok).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(server_->Route("GET", "/a/{x}", ok).ok());
  const Status dup = server_->Route("GET", "/a/{other}", ok);
  EXPECT_EQ(dup.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(dup.message(), HasSubstr("duplicates /a/{x}"));
  EXPECT_TRUE(server_->Route("POST", "/a/{x}", ok).ok());  // another method is fine
  StartServer();
  EXPECT_EQ(server_->Route("GET", "/late", ok).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(server_->Start().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Get("/a/1").status, 200);

  // A second server cannot bind the same port: kUnavailable naming the address.
  auto other = HttpServer::Create({.listen = endpoint_}).value();
  const Status bind = other->Start();
  EXPECT_EQ(bind.code(), StatusCode::kUnavailable);
  EXPECT_THAT(bind.message(), HasSubstr(endpoint_));

  server_->Stop();
  server_->Stop();  // idempotent
  const Result<HttpClientResponse> after = HttpGet(endpoint_, "/a/1", {}, milliseconds(500));
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(after.status().message(), HasSubstr("GET http://" + endpoint_ + "/a/1"));
}

TEST(HttpServerCreate, StopWithoutStartAndBadOptions) {
  auto s = HttpServer::Create({.listen = ":0"}).value();
  s->Stop();
  EXPECT_EQ(s->Start().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(HttpServer::Create({.listen = "nope"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpServer::Create({.listen = ":1", .threads = 0}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(HttpListenAddress, Parses) {
  EXPECT_EQ(ParseListenAddress("127.0.0.1:8080")->host, "127.0.0.1");
  EXPECT_EQ(ParseListenAddress("127.0.0.1:8080")->port, 8080);
  EXPECT_EQ(ParseListenAddress(":9")->host, "");
  EXPECT_EQ(ParseListenAddress(":9")->port, 9);
  EXPECT_EQ(ParseListenAddress("[::1]:0")->host, "::1");
  EXPECT_EQ(ParseListenAddress("pod-0.svc:80")->host, "pod-0.svc");
  for (const char* bad :
       {"", "host", "host:", "host:x", "host:65536", "host:-1", "::1:80", "[::1:80", "h:80x"}) {
    SCOPED_TRACE(bad);
    const Result<ListenAddress> r = ParseListenAddress(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("'" + std::string(bad) + "'"));
  }
}

TEST(HttpUrl, PercentEncodingRoundTrips) {
  EXPECT_EQ(PercentEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(PercentEncode("a/b c?&=%+"), "a%2Fb%20c%3F%26%3D%25%2B");
  EXPECT_EQ(PercentEncode(std::string("\x00\xff", 2)), "%00%FF");
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(PercentDecode(PercentEncode(all)).value(), all);
  EXPECT_EQ(PercentDecode("a+b").value(), "a+b");
  EXPECT_EQ(PercentDecode("a+b", true).value(), "a b");
  EXPECT_EQ(PercentDecode("%41%6a").value(), "Aj");
  for (const char* bad : {"%", "%4", "%g0", "ab%0"}) {
    SCOPED_TRACE(bad);
    const Result<std::string> r = PercentDecode(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("bad percent-escape"));
  }
}

TEST(HttpClient, RejectsBadArguments) {
  EXPECT_EQ(HttpGet("", "/x", {}, milliseconds(100)).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HttpGet("127.0.0.1:1", "x", {}, milliseconds(100)).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace brook::http
