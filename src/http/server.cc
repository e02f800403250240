#include "http/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <mutex>
#include <thread>

#include "common/log.h"
#include "http/client.h"

namespace brook::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

struct RouteSegment {
  std::string text;  // literal text, or the parameter name
  bool param = false;
};

struct RouteEntry {
  std::string method;
  std::string pattern;
  std::vector<RouteSegment> segments;
  HttpHandler handler;
};

// Score of a match (more literal segments first); nullopt when the path does not match.
std::optional<size_t> MatchScore(const RouteEntry& route,
                                 const std::vector<std::string_view>& path) {
  if (route.segments.size() != path.size()) return std::nullopt;
  size_t literals = 0;
  for (size_t i = 0; i < path.size(); ++i) {
    const RouteSegment& s = route.segments[i];
    if (s.param) {
      if (path[i].empty()) return std::nullopt;
    } else if (s.text != path[i]) {
      return std::nullopt;
    } else {
      ++literals;
    }
  }
  return literals;
}

// A request with a body: a positive Content-Length or chunked transfer coding.
bool HasBody(const httplib::Request& req) {
  if (Lower(req.get_header_value("Transfer-Encoding")).find("chunked") != std::string::npos) {
    return true;
  }
  const std::string length = req.get_header_value("Content-Length");
  return !length.empty() && length.find_first_not_of('0') != std::string::npos;
}

// Methods whose body httplib reads before its routing.
bool ReadsBody(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

}  // namespace

const std::string& HttpRequest::Param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = path_params.find(name);
  return it == path_params.end() ? kEmpty : it->second;
}

std::optional<std::string> HttpRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> HttpRequest::Header(std::string_view name) const {
  auto it = headers.find(Lower(name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpResponse HttpResponse::Json(int status, const nlohmann::json& body) {
  HttpResponse r;
  r.status = status;
  r.body = DumpJson(body);
  return r;
}

HttpResponse HttpResponse::Error(int status, std::string_view message,
                                 const nlohmann::json& details) {
  nlohmann::json body = nlohmann::json::object();
  body["error"] = std::string(message);
  if (details.is_object()) {
    for (const auto& [k, v] : details.items()) body[k] = v;
  }
  return Json(status, body);
}

HttpResponse HttpResponse::Text(int status, std::string body, std::string content_type) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

HttpResponse& HttpResponse::WithHeader(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("listen address '" + std::string(text) + "': " +
                                   std::string(why) + " (expected host:port, [v6]:port or :port)");
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.starts_with('[')) {
    if (!host.ends_with(']') || host.size() < 3) return bad("unbalanced [ ]");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("an IPv6 host needs [ ]");
  }
  int port = -1;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port < 0 || port > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  return ListenAddress{.host = std::string(host), .port = port};
}

struct HttpServer::Impl {
  HttpServerOptions options;
  ListenAddress address;
  httplib::Server server;
  std::vector<RouteEntry> routes;
  std::mutex mu;  // guards started, stopped and thread
  bool started = false;
  bool stopped = false;
  std::thread thread;
  std::atomic<int> bound_port{0};
  std::atomic<bool> listener_done{false};

  [[nodiscard]] std::string Address() const {
    const std::string& h = address.host;
    const std::string shown = h.find(':') != std::string::npos ? "[" + h + "]" : h;
    return shown + ":" + std::to_string(bound_port.load());
  }
  void Dispatch(const httplib::Request& req, httplib::Response& res) const;
  HttpResponse Handle(const httplib::Request& req) const;
};

HttpResponse HttpServer::Impl::Handle(const httplib::Request& req) const {
  HttpRequest r;
  r.method = req.method;
  r.target = req.target;
  const size_t q = req.target.find('?');
  r.path = req.target.substr(0, q);
  const std::vector<std::string_view> path = Segments(r.path);
  const RouteEntry* best = nullptr;
  size_t best_score = 0;
  bool path_matched = false;
  for (const RouteEntry& route : routes) {
    const std::optional<size_t> score = MatchScore(route, path);
    if (!score) continue;
    path_matched = true;
    if (route.method != req.method && !(req.method == "HEAD" && route.method == "GET")) continue;
    if (best == nullptr || *score > best_score) {
      best = &route;
      best_score = *score;
    }
  }
  if (best == nullptr) {
    if (path_matched) {
      return HttpResponse::Error(405, "method " + req.method + " not allowed on " + r.path);
    }
    return HttpResponse::Error(404, "no such resource: " + r.path);
  }
  for (size_t i = 0; i < best->segments.size(); ++i) {
    if (!best->segments[i].param) continue;
    Result<std::string> decoded = PercentDecode(path[i]);
    if (!decoded.ok()) {
      return HttpResponse::Error(
          400, "path parameter '" + best->segments[i].text + "': " + decoded.status().message());
    }
    r.path_params[best->segments[i].text] = std::move(decoded).value();
  }
  for (const auto& [k, v] : req.params) r.query.emplace(k, v);
  for (const auto& [k, v] : req.headers) r.headers.emplace(Lower(k), v);
  r.body = req.body;
  r.remote_addr = req.remote_addr;
  try {
    return best->handler(r);
  } catch (const std::exception& e) {
    Logger().error("http: {} {} failed: {}", req.method, req.target, e.what());
    return HttpResponse::Error(500, std::string("internal error: ") + e.what());
  } catch (...) {
    Logger().error("http: {} {} failed with a non-standard exception", req.method, req.target);
    return HttpResponse::Error(500, "internal error");
  }
}

void HttpServer::Impl::Dispatch(const httplib::Request& req, httplib::Response& res) const {
  const HttpResponse out = Handle(req);
  res.status = out.status;
  for (const auto& [name, value] : out.headers) res.set_header(name, value);
  res.set_content(out.body, out.content_type);
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Create(HttpServerOptions options) {
  BROOK_ASSIGN_OR_RETURN(ListenAddress address, ParseListenAddress(options.listen));
  if (options.threads < 1) return Status::InvalidArgument("http server: threads must be >= 1");
  if (options.max_body_bytes < 1) {
    return Status::InvalidArgument("http server: max_body_bytes must be >= 1");
  }
  auto impl = std::make_unique<Impl>();
  impl->address = std::move(address);
  impl->bound_port.store(impl->address.port);
  impl->options = std::move(options);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

Status HttpServer::Route(std::string_view method, std::string_view pattern, HttpHandler handler) {
  std::lock_guard lock(impl_->mu);
  if (impl_->started) {
    return Status::FailedPrecondition("http server: route " + std::string(pattern) +
                                      " registered after Start()");
  }
  if (method.empty() || !handler) {
    return Status::InvalidArgument("http server: route " + std::string(pattern) +
                                   " needs a method and a handler");
  }
  if (!pattern.starts_with('/')) {
    return Status::InvalidArgument("http server: route '" + std::string(pattern) +
                                   "' must start with /");
  }
  RouteEntry route;
  route.method = std::string(method);
  route.pattern = std::string(pattern);
  route.handler = std::move(handler);
  for (const std::string_view seg : Segments(pattern)) {
    if (seg.starts_with('{') && seg.ends_with('}') && seg.size() > 2) {
      route.segments.push_back({std::string(seg.substr(1, seg.size() - 2)), true});
    } else if (seg.find_first_of("{}") != std::string_view::npos) {
      return Status::InvalidArgument("http server: route '" + std::string(pattern) +
                                     "': a parameter must be a whole segment {name}");
    } else {
      route.segments.push_back({std::string(seg), false});
    }
  }
  for (const RouteEntry& r : impl_->routes) {
    if (r.method != route.method || r.segments.size() != route.segments.size()) continue;
    bool same = true;
    for (size_t i = 0; i < r.segments.size() && same; ++i) {
      same = r.segments[i].param == route.segments[i].param &&
             (r.segments[i].param || r.segments[i].text == route.segments[i].text);
    }
    if (same) {
      return Status::InvalidArgument("http server: route " + route.method + " " +
                                     std::string(pattern) + " duplicates " + r.pattern);
    }
  }
  impl_->routes.push_back(std::move(route));
  return Status::Ok();
}

Status HttpServer::Start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started) return Status::FailedPrecondition("http server: started already");
  if (impl_->stopped) return Status::FailedPrecondition("http server: stopped");
  Impl* impl = impl_.get();
  httplib::Server& s = impl->server;
  const size_t threads = static_cast<size_t>(impl->options.threads);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  const auto io = impl->options.io_timeout;
  s.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(io));
  s.set_write_timeout(std::chrono::duration_cast<std::chrono::microseconds>(io));
  // httplib's default adds SO_REUSEPORT, which would let a second process bind the same
  // port and steal half the connections: only SO_REUSEADDR (fast restarts).
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  s.set_keep_alive_timeout(std::max<time_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(impl->options.io_timeout).count()));
  // Every request goes through Dispatch (brook's own matching on the raw target), never
  // httplib's regex routing (which would see the decoded path). httplib reads a request's
  // body only after its pre-routing handler, and only for POST, PUT, PATCH and DELETE: a
  // request of those with a body (Content-Length > 0 or chunked) falls through the
  // pre-routing handler to a catch-all route that sees the body read (at most
  // max_body_bytes, else httplib answers 413 after discarding it). Every other request is
  // dispatched before routing, so one without a body never waits for one (httplib 0.11 would
  // read a body without a length until the connection closes).
  s.set_pre_routing_handler([impl](const httplib::Request& req, httplib::Response& res) {
    if (HasBody(req) && ReadsBody(req.method)) return httplib::Server::HandlerResponse::Unhandled;
    impl->Dispatch(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  const auto with_body = [impl](const httplib::Request& req, httplib::Response& res) {
    impl->Dispatch(req, res);
  };
  const std::string any = R"([\s\S]*)";
  s.Post(any, with_body);
  s.Put(any, with_body);
  s.Patch(any, with_body);
  s.Delete(any, with_body);
  s.set_payload_max_length(impl->options.max_body_bytes);
  // httplib's own errors (413 body too large, 400 malformed request or body, 414 target too
  // long) come without a body: the JSON error every other error has.
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [impl](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message = "request rejected (HTTP " + std::to_string(res.status) + ")";
        if (res.status == 413) {
          message =
              "request body larger than " + std::to_string(impl->options.max_body_bytes) + " bytes";
        } else if (res.status == 404) {
          message = "no such resource: " + req.path;
        }
        res.set_content(DumpJson({{"error", message}}), "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  const std::string host = impl->address.host.empty() ? "0.0.0.0" : impl->address.host;
  int port = impl->address.port;
  if (port == 0) {
    port = s.bind_to_any_port(host);
  } else if (!s.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return Status::Unavailable("http server: cannot listen on " + impl->options.listen +
                               " (address in use, or not an address of this host?)");
  }
  impl->bound_port.store(port);
  impl->thread = std::thread([impl] {
    if (!impl->server.listen_after_bind()) {
      Logger().warn("http server on {}: the listener stopped with an error", impl->Address());
    }
    impl->listener_done.store(true);
  });
  // A stop() before the accept loop runs would be lost: return only once it runs.
  while (!s.is_running() && !impl->listener_done.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl->started = true;
  if (!s.is_running()) {
    impl->thread.join();
    impl->stopped = true;
    return Status::Internal("http server on " + impl->Address() + " did not start");
  }
  Logger().info("http server listening on {}", impl->Address());
  return Status::Ok();
}

void HttpServer::Stop() {
  std::lock_guard lock(impl_->mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (!impl_->started) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int HttpServer::port() const {
  return impl_->bound_port.load();
}

std::string HttpServer::listen_address() const {
  return impl_->Address();
}

}  // namespace brook::http
