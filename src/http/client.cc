#include "http/client.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

namespace brook::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> HttpClientResponse::Header(std::string_view name) const {
  auto it = headers.find(Lower(name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

namespace {

Result<HttpClientResponse> Call(std::string_view method, std::string_view endpoint,
                                std::string_view target, const std::string* body,
                                std::string_view content_type,
                                const std::vector<std::pair<std::string, std::string>>& headers,
                                std::chrono::milliseconds timeout) {
  const std::string what =
      std::string(method) + " http://" + std::string(endpoint) + std::string(target);
  if (endpoint.empty() || target.empty() || target.front() != '/') {
    return Status::InvalidArgument(what + ": need host:port and a target starting with /");
  }
  httplib::Client client("http://" + std::string(endpoint));
  if (!client.is_valid()) return Status::InvalidArgument(what + ": bad endpoint");
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_keep_alive(false);
  client.set_url_encode(false);  // the target is encoded already
  httplib::Headers h;
  for (const auto& [name, value] : headers) h.emplace(name, value);
  httplib::Result res = body == nullptr
                            ? client.Get(std::string(target), h)
                            : client.Post(std::string(target), h, *body, std::string(content_type));
  if (!res) return Status::Unavailable(what + ": " + httplib::to_string(res.error()));
  HttpClientResponse out;
  out.status = res->status;
  out.body = std::move(res->body);
  for (const auto& [name, value] : res->headers) out.headers.emplace(Lower(name), value);
  return out;
}

}  // namespace

Result<HttpClientResponse> HttpGet(std::string_view endpoint, std::string_view target,
                                   const std::vector<std::pair<std::string, std::string>>& headers,
                                   std::chrono::milliseconds timeout) {
  return Call("GET", endpoint, target, nullptr, {}, headers, timeout);
}

Result<HttpClientResponse> HttpPost(std::string_view endpoint, std::string_view target,
                                    const std::string& body, std::string_view content_type,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    std::chrono::milliseconds timeout) {
  return Call("POST", endpoint, target, &body, content_type, headers, timeout);
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const bool complete = i + 2 < text.size();
      const int hi = complete ? HexValue(text[i + 1]) : -1;
      const int lo = complete ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("bad percent-escape at position " + std::to_string(i) +
                                       " of '" + std::string(text) + "'");
      }
      out += static_cast<char>((hi << 4) | lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace brook::http
