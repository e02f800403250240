// Subprocess: a child program of the elastic demo (`brook local run`, `brook autoscale`),
// started without a shell in its own process group, stdin from /dev/null, stdout and stderr
// appended to a log file.
//
// Contract: Start() returns once the child is spawned (kInternal naming the program and
// errno's text when it cannot be). Running() reaps without blocking. Stop() sends SIGTERM to
// the child's process group, waits up to `grace`, then SIGKILLs it, and returns the exit
// code (128 + signal when killed by one). The destructor stops a running child.
//
// Thread-safety: one thread owns a Subprocess.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "brook/status.h"

namespace brook::demo {

class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  [[nodiscard]] Status Start(const std::vector<std::string>& argv,
                             const std::filesystem::path& log);
  [[nodiscard]] bool Running();
  // The exit code once the child ended (after Running() returned false or Stop()).
  [[nodiscard]] int exit_code() const { return exit_code_; }
  int Stop(std::chrono::milliseconds grace);
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = 0;
  int exit_code_ = -1;
};

// "a b 'c d'": argv as a shell would need it to be typed (for printing commands).
std::string ShellQuote(const std::vector<std::string>& argv);

}  // namespace brook::demo
