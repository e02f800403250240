// LocalRunner: plays a Kubernetes StatefulSet on one machine. It supervises instances
// `<name>-0 .. <name>-(N-1)` as child processes started from a command template, with one
// state directory per ordinal that survives restarts (the persistent volume), restarts a
// child that exits while its ordinal is wanted (with exponential backoff, counted), starts
// missing ordinals on scale-up and, on scale-down, stops the highest ordinal first, one at a
// time (SIGTERM, then SIGKILL after the grace period), as a StatefulSet does.
//
// Contract:
//   - Create() validates the options and creates the base state directory; nothing runs
//     until Scale(). Children are started with posix_spawnp (no shell): every argument of
//     the command has "{ordinal}" and "{name}" (the instance name) replaced, and the
//     environment gets BROOK_GROUP_INSTANCE_ID=<name>-<i>, BROOK_STATE_DIR=<state>/<name>-<i>,
//     BROOK_HTTP_LISTEN and BROOK_APPLICATION_SERVER = 127.0.0.1:<base_port+i>. Each child
//     runs in its own process group (signals go to the whole group); stdout and stderr are
//     appended to <state>/<name>-<i>.log.
//   - Scale(n) only records the wanted count; a supervisor thread converges to it (polling
//     every `poll_interval`). WaitForStable() waits until the running set is exactly
//     0..n-1 with nothing stopping.
//   - Stop() stops every child gracefully (highest ordinal first), then the supervisor
//     thread; idempotent, also run by the destructor.
//
// Thread-safety: every public member is thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "brook/status.h"

namespace brook::autoscale {

struct LocalRunnerOptions {
  std::string name;                  // instance names are <name>-<ordinal>
  std::vector<std::string> command;  // argv template; command[0] looked up in PATH
  std::filesystem::path state_dir;   // base; one sub-directory per ordinal
  int base_port = 0;                 // ordinal i listens on 127.0.0.1:<base_port+i>
  std::chrono::milliseconds grace_period{10000};
  std::chrono::milliseconds restart_backoff_initial{200};
  std::chrono::milliseconds restart_backoff_max{10000};
  std::chrono::milliseconds poll_interval{20};
};

enum class ChildState { kRunning, kBackoff, kStopping };
const char* ChildStateName(ChildState state);

struct ChildStatus {
  int ordinal = 0;
  std::string name;
  pid_t pid = 0;  // 0 while in backoff
  ChildState state = ChildState::kRunning;
  int restarts = 0;
  std::chrono::milliseconds uptime{0};
};

class LocalRunner {
 public:
  [[nodiscard]] static Result<std::unique_ptr<LocalRunner>> Create(LocalRunnerOptions options);
  ~LocalRunner();
  LocalRunner(const LocalRunner&) = delete;
  LocalRunner& operator=(const LocalRunner&) = delete;

  // Sets the wanted replica count (>= 0); the supervisor converges asynchronously.
  [[nodiscard]] Status Scale(int replicas);
  [[nodiscard]] int replicas() const;
  // Children by ordinal (running, in backoff or stopping).
  [[nodiscard]] std::vector<ChildStatus> Children() const;
  // Waits until exactly ordinals 0..replicas-1 run and none is stopping; kTimedOut if not.
  [[nodiscard]] Status WaitForStable(std::chrono::milliseconds timeout) const;
  // Gracefully stops every child and the supervisor thread.
  void Stop();

  [[nodiscard]] std::string InstanceName(int ordinal) const;
  [[nodiscard]] std::filesystem::path InstanceStateDir(int ordinal) const;

 private:
  struct Child {
    pid_t pid = 0;
    ChildState state = ChildState::kRunning;
    int restarts = 0;
    int consecutive_failures = 0;
    std::chrono::steady_clock::time_point started_at;
    std::chrono::steady_clock::time_point next_start_at;
    std::chrono::steady_clock::time_point term_sent_at;
  };

  explicit LocalRunner(LocalRunnerOptions options);
  void Loop();
  void Reconcile();                            // with mu_ held
  void Reap();                                 // with mu_ held
  void StartChild(int ordinal, Child& child);  // with mu_ held
  [[nodiscard]] bool StableLocked() const;

  const LocalRunnerOptions options_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  int replicas_ = 0;
  bool stopping_ = false;
  bool stopped_ = false;
  std::map<int, Child> children_;
  std::thread thread_;
};

}  // namespace brook::autoscale
