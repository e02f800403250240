// Test helpers for the state layer: a temporary directory removed on destruction, and
// collecting iterators into vectors.
//
// Thread-safety: single-threaded test code.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "brook/state/key_value_store.h"

namespace brook::state::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "brook_state_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

using KvPairs = std::vector<std::pair<std::string, std::string>>;

// Drains a KeyValueIterator; fails the test on an iterator error.
inline KvPairs Drain(KeyValueIterator& it) {
  KvPairs out;
  for (; it.Valid(); it.Next()) out.emplace_back(it.key(), it.value());
  EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  return out;
}

inline KvPairs Drain(Result<std::unique_ptr<KeyValueIterator>> it) {
  EXPECT_TRUE(it.ok()) << it.status().ToString();
  if (!it.ok()) return {};
  return Drain(**it);
}

}  // namespace brook::state::testing
