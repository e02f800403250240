#include "autoscale/local_runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <system_error>
#include <utility>

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace brook::autoscale {

namespace {

using Clock = std::chrono::steady_clock;

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  for (size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

}  // namespace

const char* ChildStateName(ChildState state) {
  switch (state) {
    case ChildState::kRunning:
      return "running";
    case ChildState::kBackoff:
      return "backoff";
    case ChildState::kStopping:
      return "stopping";
  }
  return "unknown";
}

Result<std::unique_ptr<LocalRunner>> LocalRunner::Create(LocalRunnerOptions options) {
  if (options.name.empty()) return Status::InvalidArgument("local runner: name is empty");
  if (options.command.empty()) return Status::InvalidArgument("local runner: command is empty");
  if (options.state_dir.empty()) {
    return Status::InvalidArgument("local runner: state dir is empty");
  }
  if (options.base_port <= 0 || options.base_port > 65535) {
    return Status::InvalidArgument("local runner: base port must be in 1..65535");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) {
    return Status::IoError("local runner: cannot create " + options.state_dir.string() + ": " +
                           ec.message());
  }
  std::unique_ptr<LocalRunner> runner(new LocalRunner(std::move(options)));
  runner->thread_ = std::thread([r = runner.get()] { r->Loop(); });
  return runner;
}

LocalRunner::LocalRunner(LocalRunnerOptions options) : options_(std::move(options)) {}

LocalRunner::~LocalRunner() {
  Stop();
}

std::string LocalRunner::InstanceName(int ordinal) const {
  return options_.name + "-" + std::to_string(ordinal);
}

std::filesystem::path LocalRunner::InstanceStateDir(int ordinal) const {
  return options_.state_dir / InstanceName(ordinal);
}

Status LocalRunner::Scale(int replicas) {
  if (replicas < 0) return Status::InvalidArgument("local runner: replicas must be >= 0");
  const int max_replicas = 65536 - options_.base_port;
  if (replicas > max_replicas) {
    return Status::InvalidArgument("local runner: at most " + std::to_string(max_replicas) +
                                   " replicas fit above base port " +
                                   std::to_string(options_.base_port));
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::FailedPrecondition("local runner: stopped");
    replicas_ = replicas;
  }
  changed_.notify_all();
  return Status::Ok();
}

int LocalRunner::replicas() const {
  std::lock_guard lock(mu_);
  return replicas_;
}

std::vector<ChildStatus> LocalRunner::Children() const {
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  std::vector<ChildStatus> out;
  out.reserve(children_.size());
  for (const auto& [ordinal, child] : children_) {
    ChildStatus s;
    s.ordinal = ordinal;
    s.name = InstanceName(ordinal);
    s.pid = child.pid;
    s.state = child.state;
    s.restarts = child.restarts;
    if (child.pid > 0) {
      s.uptime = std::chrono::duration_cast<std::chrono::milliseconds>(now - child.started_at);
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool LocalRunner::StableLocked() const {
  if (static_cast<int>(children_.size()) != replicas_) return false;
  return std::all_of(children_.begin(), children_.end(), [&](const auto& entry) {
    return entry.first < replicas_ && entry.second.state == ChildState::kRunning;
  });
}

Status LocalRunner::WaitForStable(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  if (changed_.wait_for(lock, timeout, [&] { return StableLocked(); })) return Status::Ok();
  return Status::TimedOut("local runner: not stable at " + std::to_string(replicas_) +
                          " replicas after " + std::to_string(timeout.count()) + " ms");
}

void LocalRunner::Stop() {
  {
    std::unique_lock lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LocalRunner::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    Reap();
    Reconcile();
    changed_.notify_all();
    if (stopping_ && children_.empty()) break;
    changed_.wait_for(lock, options_.poll_interval);
  }
  stopped_ = true;
}

void LocalRunner::Reap() {
  const auto now = Clock::now();
  const int wanted = stopping_ ? 0 : replicas_;
  for (auto it = children_.begin(); it != children_.end();) {
    Child& child = it->second;
    if (child.pid <= 0) {
      ++it;
      continue;
    }
    int wstatus = 0;
    const pid_t r = waitpid(child.pid, &wstatus, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR)) {
      ++it;
      continue;
    }
    // Exited (or not ours any more): clean up whatever is left of its process group.
    ::kill(-child.pid, SIGKILL);
    child.pid = 0;
    if (child.state == ChildState::kStopping || it->first >= wanted) {
      it = children_.erase(it);
      continue;
    }
    // A crash (any exit of a wanted ordinal): restart after a backoff.
    const auto uptime = now - child.started_at;
    if (uptime >= options_.restart_backoff_max) child.consecutive_failures = 0;
    ++child.consecutive_failures;
    ++child.restarts;
    auto backoff = options_.restart_backoff_initial;
    for (int i = 1; i < child.consecutive_failures && backoff < options_.restart_backoff_max; ++i) {
      backoff *= 2;
    }
    backoff = std::min(backoff, options_.restart_backoff_max);
    child.state = ChildState::kBackoff;
    child.next_start_at = now + backoff;
    ++it;
  }
}

void LocalRunner::Reconcile() {
  const auto now = Clock::now();
  const int wanted = stopping_ ? 0 : replicas_;
  // Scale-up and restarts.
  for (int ordinal = 0; ordinal < wanted; ++ordinal) {
    auto it = children_.find(ordinal);
    if (it == children_.end()) {
      StartChild(ordinal, children_[ordinal]);
    } else if (it->second.state == ChildState::kBackoff && now >= it->second.next_start_at) {
      StartChild(ordinal, it->second);
    }
  }
  // Unwanted ordinals in backoff just go.
  for (auto it = children_.lower_bound(wanted); it != children_.end();) {
    if (it->second.pid <= 0) {
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
  // Ordered scale-down: only the highest unwanted ordinal, one at a time.
  if (children_.empty() || children_.rbegin()->first < wanted) return;
  Child& last = children_.rbegin()->second;
  if (last.state != ChildState::kStopping) {
    ::kill(-last.pid, SIGTERM);
    last.state = ChildState::kStopping;
    last.term_sent_at = now;
  } else if (now - last.term_sent_at >= options_.grace_period) {
    ::kill(-last.pid, SIGKILL);
  }
}

void LocalRunner::StartChild(int ordinal, Child& child) {
  const std::string name = InstanceName(ordinal);
  const std::filesystem::path dir = InstanceStateDir(ordinal);
  const std::string listen = "127.0.0.1:" + std::to_string(options_.base_port + ordinal);
  const std::string log_path = (options_.state_dir / (name + ".log")).string();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);

  std::vector<std::string> args;
  args.reserve(options_.command.size());
  for (const auto& arg : options_.command) {
    args.push_back(
        ReplaceAll(ReplaceAll(arg, "{ordinal}", std::to_string(ordinal)), "{name}", name));
  }
  std::vector<std::string> env;
  const std::vector<std::pair<std::string, std::string>> overrides = {
      {"BROOK_GROUP_INSTANCE_ID", name},
      {"BROOK_STATE_DIR", dir.string()},
      {"BROOK_HTTP_LISTEN", listen},
      {"BROOK_APPLICATION_SERVER", listen},
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const bool overridden = std::any_of(overrides.begin(), overrides.end(), [&](const auto& o) {
      return entry.size() > o.first.size() && entry.substr(0, o.first.size()) == o.first &&
             entry[o.first.size()] == '=';
    });
    if (!overridden) env.emplace_back(entry);
  }
  for (const auto& [key, value] : overrides) {
    std::string entry = key;
    entry += '=';
    entry += value;
    env.push_back(std::move(entry));
  }

  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);

  const auto now = Clock::now();
  child.started_at = now;
  if (rc != 0) {
    // Counted like a crash: retried after the backoff.
    child.pid = 0;
    ++child.consecutive_failures;
    ++child.restarts;
    child.state = ChildState::kBackoff;
    child.next_start_at = now + options_.restart_backoff_max;
    return;
  }
  child.pid = pid;
  child.state = ChildState::kRunning;
}

}  // namespace brook::autoscale
