#include "demo/profile.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>

namespace brook::demo {
namespace {

std::vector<std::string_view> Split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

bool ParseNumber(std::string_view text, double* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && std::isfinite(*out);
}

std::string Number(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

}  // namespace

Result<std::vector<Phase>> ParseProfile(std::string_view text) {
  std::vector<Phase> profile;
  const std::vector<std::string_view> items = Split(text, ',');
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string where =
        "load profile item " + std::to_string(i + 1) + " '" + std::string(items[i]) + "'";
    const std::vector<std::string_view> f = Split(items[i], ':');
    if (f.size() != 3) {
      return Status::InvalidArgument(where + ": expected name:rate:seconds");
    }
    if (f[0].empty() || !std::all_of(f[0].begin(), f[0].end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
        })) {
      return Status::InvalidArgument(where + ": the name must be letters, digits, '-' or '_'");
    }
    Phase p{.name = std::string(f[0])};
    if (!ParseNumber(f[1], &p.rate) || p.rate < 0) {
      return Status::InvalidArgument(where + ": the rate '" + std::string(f[1]) +
                                     "' is not a number of records/s >= 0");
    }
    if (!ParseNumber(f[2], &p.seconds) || p.seconds <= 0) {
      return Status::InvalidArgument(where + ": the duration '" + std::string(f[2]) +
                                     "' is not a number of seconds > 0");
    }
    profile.push_back(std::move(p));
  }
  return profile;
}

std::string FormatProfile(const std::vector<Phase>& profile) {
  std::string out;
  for (const Phase& p : profile) {
    if (!out.empty()) out += ',';
    out += p.name + ":" + Number(p.rate) + ":" + Number(p.seconds);
  }
  return out;
}

double ProfileSeconds(const std::vector<Phase>& profile) {
  double total = 0;
  for (const Phase& p : profile) total += p.seconds;
  return total;
}

size_t PhaseAt(const std::vector<Phase>& profile, double t) {
  double start = 0;
  for (size_t i = 0; i < profile.size(); ++i) {
    start += profile[i].seconds;
    if (t < start) return i;
  }
  return profile.empty() ? 0 : profile.size() - 1;
}

double RecordsBy(const std::vector<Phase>& profile, double t) {
  double records = 0;
  double start = 0;
  for (const Phase& p : profile) {
    if (t <= start) break;
    records += p.rate * std::min(p.seconds, t - start);
    start += p.seconds;
  }
  return records;
}

}  // namespace brook::demo
