// Configuration: Kafka-style `key=value` properties from files, environment variables
// and command-line overrides, checked against a schema of known keys.
//
// Contract:
//  * Sources apply in this order, later ones winning: schema default < properties files (in
//    the order given) < environment (`BROOK_<KEY>`, the Kubernetes convention: the key
//    upper-cased with '.' and '-' turned into '_') < explicit overrides (`--set key=value`).
//  * Every key must be known to the schema, either by name or by one of its pass-through
//    prefixes (e.g. `producer.` for librdkafka producer settings, checked by the prefix's
//    validator). An unknown key or a bad value is an InvalidArgument error naming the key,
//    the value and where it came from (file:line, environment variable or override).
//  * Unknown `BROOK_*` environment variables are not errors (Kubernetes injects variables
//    such as BROOK_SERVICE_HOST for a Service named "brook"); they are listed in warnings().
//
// Thread-safety: a loaded Config is immutable; concurrent readers are safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brook/status.h"

namespace brook {

enum class ConfigType {
  kString,
  kInt,      // 64-bit integer, optionally range-checked
  kBool,     // true/false (case-insensitive)
  kEnum,     // one of allowed_values
  kList,     // comma-separated, items trimmed, empty items dropped
};

struct ConfigKey {
  std::string name;
  ConfigType type = ConfigType::kString;
  // The default as text; std::nullopt means the key is required.
  std::optional<std::string> default_value;
  std::string doc;
  // kInt only: inclusive bounds.
  int64_t min = INT64_MIN;
  int64_t max = INT64_MAX;
  // kEnum only.
  std::vector<std::string> allowed_values;
};

// Validates one pass-through key (the part after the prefix) and its value.
using PrefixValidator = std::function<Status(std::string_view key, std::string_view value)>;

class ConfigSchema {
 public:
  ConfigSchema& Define(ConfigKey key);
  // Keys starting with `prefix` (e.g. "producer.") are accepted and handed to `validator`
  // with the prefix removed. A null validator accepts everything.
  ConfigSchema& DefinePrefix(std::string prefix, std::string doc, PrefixValidator validator);

  [[nodiscard]] const ConfigKey* Find(std::string_view name) const;
  [[nodiscard]] const std::vector<ConfigKey>& keys() const { return keys_; }
  struct Prefix {
    std::string prefix;
    std::string doc;
    PrefixValidator validator;
  };
  [[nodiscard]] const std::vector<Prefix>& prefixes() const { return prefixes_; }

 private:
  std::vector<ConfigKey> keys_;
  std::vector<Prefix> prefixes_;
};

// Where configuration comes from. Environment defaults to none; the CLI passes environ.
struct ConfigSources {
  std::vector<std::string> files;                     // properties files, in order
  std::vector<std::pair<std::string, std::string>> env;  // (NAME, value) pairs
  std::vector<std::string> overrides;                 // "key=value", in order
};

class Config {
 public:
  // Loads and validates. Errors: InvalidArgument (unknown key, bad value, malformed line,
  // missing required key), NotFound/IoError (a file cannot be read).
  [[nodiscard]] static Result<Config> Load(const ConfigSchema& schema,
                                           const ConfigSources& sources);

  // Typed getters. Preconditions: `key` is defined in the schema with that type (checked
  // at Load, so these cannot fail for a defined key; an undefined key aborts in debug and
  // returns the empty value otherwise).
  [[nodiscard]] const std::string& GetString(std::string_view key) const;
  [[nodiscard]] int64_t GetInt(std::string_view key) const;
  [[nodiscard]] bool GetBool(std::string_view key) const;
  [[nodiscard]] std::vector<std::string> GetList(std::string_view key) const;

  // All pass-through entries under `prefix`, with the prefix removed.
  [[nodiscard]] std::map<std::string, std::string> WithPrefix(std::string_view prefix) const;

  // "default", "file app.properties:12", "env BROOK_X", "override".
  [[nodiscard]] std::string Origin(std::string_view key) const;

  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }

  // "BROOK_" + key upper-cased, '.' and '-' as '_'.
  static std::string EnvName(std::string_view key);

 private:
  struct Entry {
    std::string value;
    std::string origin;
  };
  std::map<std::string, Entry, std::less<>> values_;
  std::vector<std::string> warnings_;
};

// Parses Java-style properties text: '#'/'!' comments, `key=value`, `key: value` or
// `key value`, surrounding whitespace trimmed, a trailing backslash continues the line.
// `source_name` is used in error messages ("<source_name>:<line>: ...").
struct Property {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line where the entry starts
};
[[nodiscard]] Result<std::vector<Property>> ParseProperties(std::string_view text,
                                                            std::string_view source_name);

}  // namespace brook
