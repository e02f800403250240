// WorkGate: a writer-preferring shared/exclusive gate between the stream threads (shared:
// while they process a batch of their own tasks) and the instance's control paths
// (exclusive: rebalance callbacks, commits, shutdown), which may then touch every task of
// every thread. Unlike std::shared_mutex on glibc, a waiting exclusive caller stops new
// shared entries, so a busy stream thread cannot starve a commit or a rebalance.
//
// Thread-safety: all methods are thread-safe. Not reentrant: a thread inside the gate must
// not enter it again in either mode.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace brook::runtime {

class WorkGate {
 public:
  void EnterShared() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !writer_ && writers_waiting_ == 0; });
    ++readers_;
  }
  // EnterShared, giving up after `timeout` (false: not entered, nothing to exit). For
  // callers that must not wait out a long rebalance callback (interactive queries).
  bool TryEnterSharedFor(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return !writer_ && writers_waiting_ == 0; })) {
      return false;
    }
    ++readers_;
    return true;
  }
  void ExitShared() {
    std::lock_guard lock(mu_);
    if (--readers_ == 0) cv_.notify_all();
  }
  void EnterExclusive() {
    std::unique_lock lock(mu_);
    ++writers_waiting_;
    cv_.wait(lock, [&] { return !writer_ && readers_ == 0; });
    --writers_waiting_;
    writer_ = true;
  }
  void ExitExclusive() {
    std::lock_guard lock(mu_);
    writer_ = false;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int readers_ = 0;          // guarded by mu_
  int writers_waiting_ = 0;  // guarded by mu_
  bool writer_ = false;      // guarded by mu_
};

// RAII holders.
class SharedEntry {
 public:
  explicit SharedEntry(WorkGate& g) : g_(g) { g_.EnterShared(); }
  ~SharedEntry() { g_.ExitShared(); }
  SharedEntry(const SharedEntry&) = delete;
  SharedEntry& operator=(const SharedEntry&) = delete;

 private:
  WorkGate& g_;
};

class ExclusiveEntry {
 public:
  explicit ExclusiveEntry(WorkGate& g) : g_(g) { g_.EnterExclusive(); }
  ~ExclusiveEntry() { g_.ExitExclusive(); }
  ExclusiveEntry(const ExclusiveEntry&) = delete;
  ExclusiveEntry& operator=(const ExclusiveEntry&) = delete;

 private:
  WorkGate& g_;
};

}  // namespace brook::runtime
