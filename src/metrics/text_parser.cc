#include "metrics/text_parser.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

namespace brook::metrics {
namespace {

bool IsNameStart(char c, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
}
bool IsNameChar(char c, bool colon_ok) {
  return IsNameStart(c, colon_ok) || (c >= '0' && c <= '9');
}

bool ValidName(std::string_view s, bool colon_ok) {
  if (s.empty() || !IsNameStart(s[0], colon_ok)) return false;
  for (char c : s) {
    if (!IsNameChar(c, colon_ok)) return false;
  }
  return true;
}

// Reads a name at `pos`; empty when none.
std::string_view ReadName(std::string_view line, size_t& pos, bool colon_ok) {
  const size_t start = pos;
  if (pos < line.size() && IsNameStart(line[pos], colon_ok)) {
    ++pos;
    while (pos < line.size() && IsNameChar(line[pos], colon_ok)) ++pos;
  }
  return line.substr(start, pos - start);
}

std::optional<double> ParseValue(std::string_view s) {
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "+Inf" || s == "Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  if (s.empty()) return std::nullopt;
  // Go's ParseFloat grammar, as Prometheus uses it: decimal or exponent notation.
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
      return std::nullopt;
    }
  }
  const std::string text(s);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE) return std::nullopt;
  return v;
}

std::optional<int64_t> ParseTimestamp(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] < '0' || s[j] > '9') return std::nullopt;
  }
  const std::string text(s);
  errno = 0;
  const long long v = std::strtoll(text.c_str(), nullptr, 10);
  if (errno == ERANGE) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<std::string> UnescapeHelp(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size()) return std::nullopt;
    if (s[i] == '\\') {
      out += '\\';
    } else if (s[i] == 'n') {
      out += '\n';
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// The family a sample name belongs to, given its type.
bool BelongsTo(std::string_view sample, const ParsedFamily& f) {
  if (sample == f.name) return f.type != "histogram";
  auto suffixed = [&](std::string_view suffix) {
    return sample.size() == f.name.size() + suffix.size() && sample.starts_with(f.name) &&
           sample.ends_with(suffix);
  };
  if (f.type == "histogram") return suffixed("_bucket") || suffixed("_sum") || suffixed("_count");
  if (f.type == "summary") return suffixed("_sum") || suffixed("_count");
  return false;
}

struct Parser {
  std::vector<ParsedFamily> families;
  std::map<std::string, size_t, std::less<>> by_name;
  std::set<std::string> help_seen;
  std::set<std::pair<std::string, std::map<std::string, std::string>>> series;
  ParsedFamily* current = nullptr;
  size_t line_no = 0;
  std::string_view line;

  Status Error(std::string_view what) const {
    return Status::InvalidArgument("line " + std::to_string(line_no) + ": " + std::string(what) +
                                   ": " + std::string(line));
  }

  Status Comment() {
    // "# HELP name text", "# TYPE name type", other comments are skipped.
    std::string_view rest = line.substr(1);
    if (!rest.starts_with(" HELP ") && !rest.starts_with(" TYPE ")) return Status::Ok();
    const bool help = rest.starts_with(" HELP ");
    rest.remove_prefix(6);
    size_t pos = 0;
    const std::string name(ReadName(rest, pos, true));
    if (name.empty()) return Error("missing metric name");
    if (pos < rest.size() && rest[pos] != ' ') return Error("bad metric name");
    std::string_view tail = pos < rest.size() ? rest.substr(pos + 1) : std::string_view();
    if (help) {
      if (!help_seen.insert(name).second) return Error("second HELP for " + name);
      std::optional<std::string> text = UnescapeHelp(tail);
      if (!text) return Error("bad escape in HELP");
      auto it = by_name.find(name);
      if (it != by_name.end()) {
        families[it->second].help = std::move(*text);
      } else {
        pending_help[name] = std::move(*text);
      }
      return Status::Ok();
    }
    static const std::set<std::string, std::less<>> kTypes = {"counter", "gauge", "histogram",
                                                              "summary", "untyped"};
    if (!kTypes.contains(tail)) return Error("unknown type '" + std::string(tail) + "'");
    if (by_name.contains(name)) return Error("second TYPE for " + name);
    // (A sample before its TYPE line was refused already.)
    ParsedFamily f;
    f.name = name;
    f.type = std::string(tail);
    if (auto h = pending_help.find(name); h != pending_help.end()) {
      f.help = std::move(h->second);
      pending_help.erase(h);
    }
    by_name[name] = families.size();
    families.push_back(std::move(f));
    current = &families.back();
    return Status::Ok();
  }

  Status Sample() {
    size_t pos = 0;
    ParsedSample s;
    s.name = std::string(ReadName(line, pos, true));
    if (s.name.empty()) return Error("bad metric name");
    if (pos < line.size() && line[pos] == '{') {
      ++pos;
      while (true) {
        if (pos < line.size() && line[pos] == '}') {
          ++pos;
          break;
        }
        const std::string label(ReadName(line, pos, false));
        if (label.empty()) return Error("bad label name");
        if (pos >= line.size() || line[pos] != '=')
          return Error("expected '=' after label " + label);
        ++pos;
        if (pos >= line.size() || line[pos] != '"')
          return Error("expected '\"' for label " + label);
        ++pos;
        std::string value;
        bool done = false;
        while (pos < line.size()) {
          const char c = line[pos++];
          if (c == '"') {
            done = true;
            break;
          }
          if (c == '\\') {
            if (pos >= line.size()) break;
            const char e = line[pos++];
            if (e == '\\') {
              value += '\\';
            } else if (e == '"') {
              value += '"';
            } else if (e == 'n') {
              value += '\n';
            } else {
              return Error("bad escape in label " + label);
            }
          } else {
            value += c;
          }
        }
        if (!done) return Error("unterminated value of label " + label);
        if (!s.labels.emplace(label, std::move(value)).second) {
          return Error("repeated label " + label);
        }
        if (pos < line.size() && line[pos] == ',') {
          ++pos;
        } else if (pos >= line.size() || line[pos] != '}') {
          return Error("expected ',' or '}' after label " + label);
        }
      }
    }
    if (pos >= line.size() || line[pos] != ' ') return Error("expected a space before the value");
    const std::string_view rest = line.substr(pos + 1);
    const size_t space = rest.find(' ');
    std::optional<double> v = ParseValue(rest.substr(0, space));
    if (!v) return Error("bad value");
    s.value = *v;
    if (space != std::string_view::npos) {
      s.timestamp_ms = ParseTimestamp(rest.substr(space + 1));
      if (!s.timestamp_ms) return Error("bad timestamp");
    }
    if (current == nullptr || !BelongsTo(s.name, *current)) {
      for (const ParsedFamily& f : families) {
        if (BelongsTo(s.name, f)) return Error("samples of " + f.name + " are not contiguous");
      }
      return Error("sample without a TYPE line");
    }
    if (!series.emplace(s.name, s.labels).second) return Error("duplicate series");
    if (current->type == "counter" && (std::isnan(s.value) || s.value < 0)) {
      return Error("counter value must be >= 0");
    }
    if (current->type == "histogram" && s.name.ends_with("_bucket")) {
      auto le = s.labels.find("le");
      if (le == s.labels.end()) return Error("bucket without le");
      if (!ParseValue(le->second)) return Error("bad le");
    }
    current->samples.push_back(std::move(s));
    return Status::Ok();
  }

  // Histogram checks once every sample is read.
  static Status CheckHistogram(const ParsedFamily& f) {
    // Group the series by their labels without `le`.
    struct Series {
      std::vector<std::pair<double, double>> buckets;  // le, count, in order
      std::optional<double> count;
      bool sum = false;
    };
    std::map<std::map<std::string, std::string>, Series> groups;
    for (const ParsedSample& s : f.samples) {
      std::map<std::string, std::string> key = s.labels;
      key.erase("le");
      Series& g = groups[key];
      if (s.name.ends_with("_bucket")) {
        g.buckets.emplace_back(*ParseValue(s.labels.at("le")), s.value);
      } else if (s.name.ends_with("_count")) {
        g.count = s.value;
      } else {
        g.sum = true;
      }
    }
    for (const auto& [labels, g] : groups) {
      const std::string what = "histogram " + f.name;
      if (g.buckets.empty() || !std::isinf(g.buckets.back().first)) {
        return Status::InvalidArgument(what + ": no +Inf bucket (or not last)");
      }
      for (size_t i = 1; i < g.buckets.size(); ++i) {
        if (!(g.buckets[i].first > g.buckets[i - 1].first)) {
          return Status::InvalidArgument(what + ": bucket bounds do not increase");
        }
        if (g.buckets[i].second < g.buckets[i - 1].second) {
          return Status::InvalidArgument(what + ": bucket counts decrease");
        }
      }
      if (!g.count || !g.sum) return Status::InvalidArgument(what + ": missing _count or _sum");
      if (*g.count != g.buckets.back().second) {
        return Status::InvalidArgument(what + ": +Inf bucket differs from _count");
      }
    }
    return Status::Ok();
  }

  std::map<std::string, std::string> pending_help;
};

}  // namespace

Result<std::vector<ParsedFamily>> ParseTextFormat(std::string_view text) {
  Parser p;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    p.line = text.substr(start, end - start);
    ++p.line_no;
    start = end + 1;
    if (p.line.empty()) continue;
    if (p.line[0] == '#') {
      BROOK_RETURN_IF_ERROR(p.Comment());
    } else {
      BROOK_RETURN_IF_ERROR(p.Sample());
    }
  }
  for (const ParsedFamily& f : p.families) {
    if (!ValidName(f.name, true)) return Status::InvalidArgument("bad metric name " + f.name);
    if (f.type == "histogram") BROOK_RETURN_IF_ERROR(Parser::CheckHistogram(f));
  }
  return std::move(p.families);
}

const ParsedFamily* FindFamily(const std::vector<ParsedFamily>& families, std::string_view name) {
  for (const ParsedFamily& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<const ParsedSample*> FindSamples(const ParsedFamily& family,
                                             std::string_view sample_name,
                                             const std::map<std::string, std::string>& labels) {
  std::vector<const ParsedSample*> out;
  for (const ParsedSample& s : family.samples) {
    if (s.name != sample_name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      match = match && it != s.labels.end() && it->second == v;
    }
    if (match) out.push_back(&s);
  }
  return out;
}

}  // namespace brook::metrics
