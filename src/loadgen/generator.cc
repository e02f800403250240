#include "loadgen/generator.h"

#include <charconv>
#include <cstdio>

namespace brook::loadgen {

uint64_t Mix(uint64_t seed, uint64_t i) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (i + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t RecordGenerator::KeyId(uint64_t i) const {
  return Mix(spec_.seed, i) % spec_.key_cardinality;
}

std::string RecordGenerator::Key(uint64_t i) const {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "key-%08llu",
                              static_cast<unsigned long long>(KeyId(i)));  // NOLINT(google-runtime-int)
  return {buf, static_cast<size_t>(n)};
}

void RecordGenerator::Value(uint64_t i, std::string* out) const {
  out->resize(spec_.value_size);
  char prefix[24];
  auto [end, ec] = std::to_chars(prefix, prefix + sizeof prefix - 1, i);
  *end++ = '|';
  const size_t plen = static_cast<size_t>(end - prefix);
  size_t pos = 0;
  for (; pos < plen && pos < out->size(); ++pos) (*out)[pos] = prefix[pos];
  uint64_t state = Mix(spec_.seed ^ 0x5eedULL, i);
  for (; pos < out->size(); ++pos) {
    if ((pos & 7U) == 0) state = Mix(state, pos);
    (*out)[pos] = static_cast<char>('a' + (state % 26));
    state /= 26;
  }
}

std::string RecordGenerator::Value(uint64_t i) const {
  std::string s;
  Value(i, &s);
  return s;
}

int64_t RecordGenerator::IndexOf(std::string_view value) {
  const size_t bar = value.find('|');
  if (bar == std::string_view::npos || bar == 0) return -1;
  uint64_t i = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + bar, i);
  if (ec != std::errc() || ptr != value.data() + bar) return -1;
  return static_cast<int64_t>(i);
}

}  // namespace brook::loadgen
