// A minimal HTTP/1.1 client for instance-to-instance calls (a query forwarded to the
// instance that owns a key, a fan-out over every instance), plus the URL escaping both sides
// use. Plain http only; one connection per call (no keep-alive), so a call never blocks on
// a connection another call holds.
//
// Contract: HttpGet returns the peer's answer whatever its status code; a transport failure
// (refused, unreachable, timed out, a malformed answer) is kUnavailable naming the URL and
// the cause. The timeout bounds the connect and each read and write.
//
// Thread-safety: free functions, safe from any thread.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brook/status.h"

namespace brook::http {

struct HttpClientResponse {
  int status = 0;
  std::string body;
  std::multimap<std::string, std::string> headers;  // names lower-cased

  // The first value of a header (name case-insensitive), nullopt when absent.
  [[nodiscard]] std::optional<std::string> Header(std::string_view name) const;
};

// GET http://<endpoint><target>. endpoint: "host:port" (or "[v6]:port"); target: path and
// query, already percent-encoded, starting with '/'.
[[nodiscard]] Result<HttpClientResponse> HttpGet(
    std::string_view endpoint, std::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers,
    std::chrono::milliseconds timeout);

// POST http://<endpoint><target> with `body` of `content_type`; otherwise as HttpGet.
[[nodiscard]] Result<HttpClientResponse> HttpPost(
    std::string_view endpoint, std::string_view target, const std::string& body,
    std::string_view content_type, const std::vector<std::pair<std::string, std::string>>& headers,
    std::chrono::milliseconds timeout);

// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), so
// the result is safe as one path segment or one query value.
std::string PercentEncode(std::string_view text);
// Decodes %XX escapes (and '+' as a space when plus_is_space). A '%' not followed by two
// hex digits is kInvalidArgument naming its position.
[[nodiscard]] Result<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);

}  // namespace brook::http
