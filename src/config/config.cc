#include "brook/config.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace brook {
namespace {

// Variables of brook's scripts and test harness (scripts/, tests/), not config keys:
// BROOK_TEST_*, BROOK_KAFKA_*, BROOK_FUZZ_*, BROOK_ROOT, BROOK_QUIET, ...
bool IsToolingEnv(std::string_view name) {
  for (std::string_view p : {"BROOK_TEST_", "BROOK_KAFKA_", "BROOK_FUZZ_", "BROOK_BENCH_",
                             "BROOK_DEMO_"}) {
    if (name.rfind(p, 0) == 0) return true;
  }
  return name == "BROOK_ROOT" || name == "BROOK_QUIET" || name == "BROOK_COMMON_SH" ||
         name == "BROOK_APT_UPDATED";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  s = Trim(s);
  int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end || s.empty()) return std::nullopt;
  return v;
}

std::optional<bool> ParseBool(std::string_view s) {
  const std::string l = Lower(Trim(s));
  if (l == "true") return true;
  if (l == "false") return false;
  return std::nullopt;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::string Describe(std::string_view key, std::string_view value, std::string_view origin) {
  std::string s = "config key '";
  s += key;
  s += "' = '";
  s += value;
  s += "' (from ";
  s += origin;
  s += ")";
  return s;
}

Status ValidateValue(const ConfigKey& def, std::string_view value, std::string_view origin) {
  switch (def.type) {
    case ConfigType::kString:
    case ConfigType::kList:
      return Status::Ok();
    case ConfigType::kInt: {
      auto v = ParseInt(value);
      if (!v) return Status::InvalidArgument(Describe(def.name, value, origin) + ": not an integer");
      if (*v < def.min || *v > def.max) {
        return Status::InvalidArgument(Describe(def.name, value, origin) + ": must be in [" +
                                       std::to_string(def.min) + ", " + std::to_string(def.max) +
                                       "]");
      }
      return Status::Ok();
    }
    case ConfigType::kBool:
      if (!ParseBool(value)) {
        return Status::InvalidArgument(Describe(def.name, value, origin) +
                                       ": must be true or false");
      }
      return Status::Ok();
    case ConfigType::kEnum: {
      const std::string v(Trim(value));
      if (std::find(def.allowed_values.begin(), def.allowed_values.end(), v) ==
          def.allowed_values.end()) {
        return Status::InvalidArgument(Describe(def.name, value, origin) + ": must be one of " +
                                       Join(def.allowed_values, ", "));
      }
      return Status::Ok();
    }
  }
  return Status::Internal("unhandled config type");
}

// Maps an environment variable name to a key: a defined key whose EnvName matches, or a
// prefix whose EnvName matches the variable's beginning (the rest becomes a dotted key).
std::optional<std::string> KeyForEnv(const ConfigSchema& schema, std::string_view var) {
  for (const auto& k : schema.keys()) {
    if (Config::EnvName(k.name) == var) return k.name;
  }
  for (const auto& p : schema.prefixes()) {
    const std::string env_prefix = Config::EnvName(p.prefix);  // "BROOK_PRODUCER_"
    if (var.size() > env_prefix.size() && var.substr(0, env_prefix.size()) == env_prefix) {
      std::string rest = Lower(var.substr(env_prefix.size()));
      std::replace(rest.begin(), rest.end(), '_', '.');
      return p.prefix + rest;
    }
  }
  return std::nullopt;
}

}  // namespace

ConfigSchema& ConfigSchema::Define(ConfigKey key) {
  assert(Find(key.name) == nullptr && "config key defined twice");
  keys_.push_back(std::move(key));
  return *this;
}

ConfigSchema& ConfigSchema::DefinePrefix(std::string prefix, std::string doc,
                                         PrefixValidator validator) {
  prefixes_.push_back({std::move(prefix), std::move(doc), std::move(validator)});
  return *this;
}

const ConfigKey* ConfigSchema::Find(std::string_view name) const {
  for (const auto& k : keys_) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string Config::EnvName(std::string_view key) {
  std::string out = "BROOK_";
  for (char c : key) {
    out += (c == '.' || c == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<std::vector<Property>> ParseProperties(std::string_view text,
                                              std::string_view source_name) {
  std::vector<Property> out;
  std::string logical;
  int line_no = 0;
  int start_line = 0;
  bool continuing = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    std::string_view line = continuing ? Trim(raw) : raw;
    if (!continuing) {
      const std::string_view t = Trim(line);
      if (t.empty() || t.front() == '#' || t.front() == '!') {
        if (nl == text.size()) break;
        continue;
      }
      start_line = line_no;
      logical.clear();
    }
    // A trailing backslash (not itself escaped) continues the logical line.
    size_t backslashes = 0;
    while (backslashes < line.size() && line[line.size() - 1 - backslashes] == '\\') ++backslashes;
    continuing = (backslashes % 2) == 1;
    if (continuing) line.remove_suffix(1);
    logical += line;
    if (continuing && nl < text.size()) continue;
    continuing = false;

    const std::string_view entry = Trim(logical);
    size_t sep = entry.find_first_of("=:");
    const size_t ws = entry.find_first_of(" \t");
    if (sep == std::string_view::npos || (ws != std::string_view::npos && ws < sep)) sep = ws;
    if (sep == std::string_view::npos) {
      return Status::InvalidArgument(std::string(source_name) + ":" + std::to_string(start_line) +
                                     ": expected 'key=value', got '" + std::string(entry) + "'");
    }
    std::string_view key = Trim(entry.substr(0, sep));
    std::string_view value = Trim(entry.substr(sep + 1));
    // "key = value" with the separator after whitespace.
    if (entry[sep] == ' ' || entry[sep] == '\t') {
      if (!value.empty() && (value.front() == '=' || value.front() == ':')) {
        value = Trim(value.substr(1));
      }
    }
    if (key.empty()) {
      return Status::InvalidArgument(std::string(source_name) + ":" + std::to_string(start_line) +
                                     ": empty key");
    }
    out.push_back({std::string(key), std::string(value), start_line});
    if (nl == text.size()) break;
  }
  return out;
}

Result<Config> Config::Load(const ConfigSchema& schema, const ConfigSources& sources) {
  Config cfg;
  auto set = [&](const std::string& key, const std::string& value,
                 const std::string& origin) -> Status {
    if (const ConfigKey* def = schema.Find(key)) {
      BROOK_RETURN_IF_ERROR(ValidateValue(*def, value, origin));
      cfg.values_[key] = {std::string(def->type == ConfigType::kString ||
                                              def->type == ConfigType::kList
                                          ? value
                                          : std::string(Trim(value))),
                          origin};
      return Status::Ok();
    }
    for (const auto& p : schema.prefixes()) {
      if (key.size() > p.prefix.size() && key.compare(0, p.prefix.size(), p.prefix) == 0) {
        if (p.validator) {
          Status s = p.validator(std::string_view(key).substr(p.prefix.size()), value);
          if (!s.ok()) {
            return Status::InvalidArgument(Describe(key, value, origin) + ": " + s.message());
          }
        }
        cfg.values_[key] = {value, origin};
        return Status::Ok();
      }
    }
    return Status::InvalidArgument("unknown config key '" + key + "' (from " + origin + ")");
  };

  for (const auto& def : schema.keys()) {
    if (def.default_value) cfg.values_[def.name] = {*def.default_value, "default"};
  }
  for (const auto& path : sources.files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::NotFound("cannot open config file '" + path + "'");
    std::stringstream buf;
    buf << in.rdbuf();
    if (in.bad()) return Status::IoError("cannot read config file '" + path + "'");
    BROOK_ASSIGN_OR_RETURN(auto props, ParseProperties(buf.str(), path));
    for (const auto& p : props) {
      BROOK_RETURN_IF_ERROR(set(p.key, p.value, "file " + path + ":" + std::to_string(p.line)));
    }
  }
  for (const auto& [name, value] : sources.env) {
    if (name.rfind("BROOK_", 0) != 0 || IsToolingEnv(name)) continue;
    auto key = KeyForEnv(schema, name);
    if (!key) {
      cfg.warnings_.push_back("ignoring environment variable " + name +
                              ": it names no brook config key");
      continue;
    }
    BROOK_RETURN_IF_ERROR(set(*key, value, "env " + name));
  }
  for (const auto& o : sources.overrides) {
    const size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("override '" + o + "' must have the form key=value");
    }
    BROOK_RETURN_IF_ERROR(
        set(std::string(Trim(o.substr(0, eq))), std::string(Trim(o.substr(eq + 1))), "override"));
  }
  for (const auto& def : schema.keys()) {
    if (!cfg.values_.contains(def.name)) {
      return Status::InvalidArgument("config key '" + def.name + "' is required (" + def.doc +
                                     ")");
    }
  }
  return cfg;
}

const std::string& Config::GetString(std::string_view key) const {
  static const std::string kEmpty;
  auto it = values_.find(key);
  assert(it != values_.end() && "config key not defined in the schema");
  return it == values_.end() ? kEmpty : it->second.value;
}

int64_t Config::GetInt(std::string_view key) const {
  return ParseInt(GetString(key)).value_or(0);
}

bool Config::GetBool(std::string_view key) const { return ParseBool(GetString(key)).value_or(false); }

std::vector<std::string> Config::GetList(std::string_view key) const {
  std::vector<std::string> out;
  std::string_view rest = GetString(key);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = Trim(rest.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

std::map<std::string, std::string> Config::WithPrefix(std::string_view prefix) const {
  std::map<std::string, std::string> out;
  for (const auto& [k, e] : values_) {
    if (k.size() > prefix.size() && std::string_view(k).substr(0, prefix.size()) == prefix) {
      out.emplace(k.substr(prefix.size()), e.value);
    }
  }
  return out;
}

std::string Config::Origin(std::string_view key) const {
  auto it = values_.find(key);
  return it == values_.end() ? "unset" : it->second.origin;
}

}  // namespace brook
