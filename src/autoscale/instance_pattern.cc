#include "autoscale/instance_pattern.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <utility>

namespace brook::autoscale {

namespace {
constexpr std::string_view kOrdinal = "ordinal";
}  // namespace

Status ValidateEndpoint(std::string_view endpoint) {
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::InvalidArgument("'" + std::string(endpoint) + "' is not host:port");
  }
  const std::string_view port = endpoint.substr(colon + 1);
  int value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 1 ||
      value > 65535) {
    return Status::InvalidArgument("'" + std::string(endpoint) +
                                   "' is not host:port (port 1..65535)");
  }
  return Status::Ok();
}

Result<InstancePattern> InstancePattern::Parse(std::string_view pattern,
                                               const std::map<std::string, std::string>& vars) {
  const std::string quoted = "instance pattern '" + std::string(pattern) + "'";
  std::string text(pattern);
  if (text.rfind("http://", 0) == 0) text = text.substr(7);
  while (!text.empty() && text.back() == '/') text.pop_back();
  if (text.empty()) return Status::InvalidArgument(quoted + ": empty");

  std::vector<std::string> parts(1);
  std::string substituted;
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '}') return Status::InvalidArgument(quoted + ": '}' without '{'");
    if (c != '{') {
      parts.back() += c;
      substituted += c;
      ++i;
      continue;
    }
    const size_t close = text.find('}', i);
    if (close == std::string::npos) return Status::InvalidArgument(quoted + ": '{' without '}'");
    const std::string name = text.substr(i + 1, close - i - 1);
    if (name == kOrdinal) {
      parts.emplace_back();
      substituted += "{ordinal}";
    } else if (auto it = vars.find(name); it != vars.end()) {
      parts.back() += it->second;
      substituted += it->second;
    } else {
      std::string known = "{ordinal}";
      for (const auto& [k, v] : vars) known.append(", {").append(k).append("}");
      return Status::InvalidArgument(
          fmt::format("{}: unknown placeholder {{{}}} (known here: {})", quoted, name, known));
    }
    i = close + 1;
  }
  if (parts.size() < 2) return Status::InvalidArgument(quoted + ": no {ordinal} placeholder");
  InstancePattern p(std::move(substituted), std::move(parts));
  if (Status s = ValidateEndpoint(p.Endpoint(0)); !s.ok()) {
    return Status::InvalidArgument(quoted + ": ordinal 0 gives " + s.message());
  }
  return p;
}

std::string InstancePattern::Endpoint(int ordinal) const {
  const std::string n = std::to_string(ordinal);
  std::string out = parts_.front();
  for (size_t i = 1; i < parts_.size(); ++i) out += n + parts_[i];
  return out;
}

std::vector<std::string> InstancePattern::Endpoints(int replicas) const {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(std::max(replicas, 0)));
  for (int i = 0; i < replicas; ++i) out.push_back(Endpoint(i));
  return out;
}

}  // namespace brook::autoscale
