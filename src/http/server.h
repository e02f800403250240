// HttpServer: the one HTTP server of a brook instance (interactive queries today; metrics,
// health and status endpoints later). A thin wrapper around cpp-httplib that keeps the
// library out of every other header: routes are registered as "/a/{name}/b" patterns with
// handlers that take an HttpRequest and return an HttpResponse (JSON by default).
//
// Contract:
//   - Create() validates the options (listen address "host:port", "[v6]:port" or ":port";
//     an empty host means every interface; port 0 picks a free port). Nothing is bound yet.
//   - Route() registers a handler for a method and pattern before Start(). A pattern is a
//     path of '/'-separated segments, each literal or "{name}" (one whole segment, matched
//     against the raw, still percent-encoded request path and then percent-decoded, so an
//     encoded '/' stays inside its segment). Literal segments win over "{name}" ones of the
//     same position; otherwise the first registered route wins. Duplicate or malformed
//     patterns are kInvalidArgument.
//   - Start() binds (kUnavailable naming the address when it cannot) and serves on its own
//     listener thread plus a pool of worker threads; it returns once the server accepts
//     connections. Stop() stops accepting, lets running handlers finish and joins every
//     thread; idempotent, also run by the destructor.
//   - Errors are JSON objects {"error": "..."}: 404 for a path no route matches, 405 when a
//     route matches the path but not the method, 400 for a bad percent-escape in a
//     parameter, 500 when a handler throws (the exception text, logged as well), 413 when a
//     request body is longer than max_body_bytes.
//   - A handler sees the request body of POST, PUT, PATCH and DELETE (Content-Length or
//     chunked); other methods' bodies are not read.
//
// Thread-safety: Route() only before Start(), from one thread. Start(), Stop(), port() and
// listen_address() are thread-safe. Handlers run concurrently on the worker threads and must
// be thread-safe themselves; they must not call Stop().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brook/status.h"

namespace brook::http {

// One request as a handler sees it.
struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: raw path and query, e.g. "/stores/a%2Fb?x=1"
  std::string path;    // the raw (percent-encoded) path part of target
  // "{name}" segments of the route, percent-decoded.
  std::map<std::string, std::string> path_params;
  // Query parameters, percent-decoded ('+' is a space); a repeated name keeps every value.
  std::multimap<std::string, std::string> query;
  // Header names lower-cased.
  std::multimap<std::string, std::string> headers;
  std::string body;
  std::string remote_addr;

  // The path parameter (empty when the route has none of that name).
  [[nodiscard]] const std::string& Param(const std::string& name) const;
  // The first value of a query parameter, nullopt when absent.
  [[nodiscard]] std::optional<std::string> Query(const std::string& name) const;
  // The first value of a header (name case-insensitive), nullopt when absent.
  [[nodiscard]] std::optional<std::string> Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers

  // body = the JSON text of `body` (invalid UTF-8 in strings is replaced, never thrown).
  static HttpResponse Json(int status, const nlohmann::json& body);
  // {"error": message} plus the fields of `details` (an object).
  static HttpResponse Error(int status, std::string_view message,
                            const nlohmann::json& details = nlohmann::json::object());
  static HttpResponse Text(int status, std::string body,
                           std::string content_type = "text/plain; charset=utf-8");
  HttpResponse& WithHeader(std::string name, std::string value);
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// JSON text of `value`, never throwing on invalid UTF-8 (replaced by U+FFFD).
std::string DumpJson(const nlohmann::json& value);

struct ListenAddress {
  std::string host;  // "" = every interface
  int port = 0;      // 0 = any free port
};
// "host:port", "[v6]:port" or ":port"; errors name the text.
[[nodiscard]] Result<ListenAddress> ParseListenAddress(std::string_view text);

struct HttpServerOptions {
  // Where to listen (see ParseListenAddress). Required.
  std::string listen;
  // Worker threads serving requests (one connection at a time each). Default: 8
  int threads = 8;
  // Socket read and write timeouts of a connection. Default: 5 s
  std::chrono::milliseconds io_timeout{5000};
  // Largest request body read (POST, PUT, PATCH, DELETE); a longer one is answered 413
  // without reaching a handler. Default: 1 MiB
  size_t max_body_bytes = size_t{1} << 20;
};

class HttpServer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> Create(HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  [[nodiscard]] Status Route(std::string_view method, std::string_view pattern,
                             HttpHandler handler);
  [[nodiscard]] Status Start();
  void Stop();

  // The bound port once started (the chosen one for port 0), else the configured one.
  [[nodiscard]] int port() const;
  // "host:port" as configured, with the bound port.
  [[nodiscard]] std::string listen_address() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace brook::http
