// Deterministic test data for the load generator (`brook produce`), the benchmarks and the
// tests that check what came back: record i of a (seed, keys, value size) data set always
// has the same key and value, so a reader can recompute what it should have received.
//
//  * Key(i) = "key-" + 8-digit id, id = mix(seed, i) mod key_cardinality.
//  * Value(i) = "<i>|" followed by letters drawn from mix(seed, i), exactly value_size bytes
//    (if value_size is smaller than the prefix, the prefix is cut to value_size).
//
// Thread-safety: const methods are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace brook::loadgen {

struct DataSetSpec {
  uint64_t seed = 42;              // Default: 42
  uint64_t key_cardinality = 1000;  // Default: 1000 distinct keys; must be > 0
  uint32_t value_size = 100;       // Default: 100 bytes
};

class RecordGenerator {
 public:
  explicit RecordGenerator(DataSetSpec spec) : spec_(spec) {}

  [[nodiscard]] uint64_t KeyId(uint64_t i) const;
  [[nodiscard]] std::string Key(uint64_t i) const;
  // Writes value i into *out (resized to value_size), reusing its capacity.
  void Value(uint64_t i, std::string* out) const;
  [[nodiscard]] std::string Value(uint64_t i) const;
  // Recovers i from a value made by Value(), or -1 if the value does not start with "<i>|".
  [[nodiscard]] static int64_t IndexOf(std::string_view value);

  [[nodiscard]] const DataSetSpec& spec() const { return spec_; }

 private:
  DataSetSpec spec_;
};

// splitmix64 of (seed, i): a fast, well-mixed, reproducible 64-bit hash.
uint64_t Mix(uint64_t seed, uint64_t i);

}  // namespace brook::loadgen
