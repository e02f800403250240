// The elastic demo (`brook demo`, run by scripts/demo): brook scaling itself under a load
// step, end to end on one machine.
//
// What RunElasticDemo() does, against the broker at `bootstrap`:
//   1. creates a fresh input topic (`partitions` partitions) and output topic;
//   2. runs the activity example (examples/activity: counts per user, with a simulated cost
//      of `work_us` per record) under `brook local run` (a StatefulSet played locally,
//      starting with `initial_replicas`), and `brook autoscale --target local:<dir>`
//      (median of the instances' brook_desired_replicas, stabilisation windows, drain
//      before scale-down) — both child processes, their commands printed;
//   3. a load generator (in this process) follows the profile (rate per phase), remembering
//      how many events it sent per user (the truth);
//   4. every `sample_interval` prints a row of the live table (replicas, desired, input and
//      processed rate, total lag, rebalances, max stall), from the runner's status, the
//      instances' /status and the group's offsets;
//   5. after the profile, waits for the group to catch up (lag 0), reads the output topic
//      back and compares each user's count with the truth;
//   6. stops everything, prints a summary and writes samples.json and report.html (plots)
//      into the work directory.
//
// Contract: returns OK when the run completed and every user's count read back equals the
// truth; kInvalidArgument for bad options (naming the option), kUnavailable when the broker
// or a child cannot be reached or a child died, kTimedOut when the group did not catch up,
// kCorruption when counts differ from the truth (naming how many and the first),
// kFailedPrecondition on SIGINT/SIGTERM. `run` receives whatever was observed on every path once
// the demo got started, and samples.json and report.html are written into the work directory then
// (the report says what went wrong). Children are stopped on every path. The topics are deleted at
// the end unless `keep_topics`.
//
// Thread-safety: one demo per process (it reads brook's SIGINT/SIGTERM stop flag through
// `stop_requested`).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "brook/status.h"
#include "demo/report.h"

namespace brook::demo {

struct DemoOptions {
  // Kafka bootstrap servers. Default: "127.0.0.1:9092"
  std::string bootstrap = "127.0.0.1:9092";
  // The brook CLI (for `brook local run` and `brook autoscale`). Default: this program
  std::string brook_binary;
  // The activity example's program. Default: found next to the brook binary in a build tree
  // (../../examples/activity/activity), else "activity" on PATH
  std::string app_binary;
  // Where logs, instance state, samples.json and report.html go. Default:
  // /tmp/brook-demo-<time>
  std::filesystem::path work_dir;
  // Input partitions = tasks = the most instances that can help. Default: 16
  int partitions = 16;
  // The load profile (see profile.h). Default: kDefaultProfile
  std::vector<Phase> profile;
  // Simulated work per record (activity.work.us): one instance's capacity is about
  // 1e6 / work_us records/s. Default: 250
  int64_t work_us = 250;
  // Distinct users (keys). Default: 20000
  int64_t users = 20000;
  // Instances at the start. Default: 1
  int initial_replicas = 1;
  // Bounds of the autoscaler. Default: 1 and 4 (a laptop)
  int min_replicas = 1;
  int max_replicas = 4;
  // Live table period. Default: 2 s
  std::chrono::milliseconds sample_interval{2000};
  // Autoscaler: decision interval, scale-down window, cooldown. Defaults: 5 s, 30 s, 15 s
  std::chrono::milliseconds autoscale_interval{5000};
  std::chrono::milliseconds scale_down_window{30000};
  std::chrono::milliseconds cooldown{15000};
  // Instances' rate window (scaling.window.ms) and the lag catch-up target. Defaults: 10 s,
  // 30 s
  std::chrono::milliseconds rate_window{10000};
  int catch_up_seconds = 30;
  // Longest wait for the group to catch up after the profile. Default: 180 s
  std::chrono::milliseconds settle_timeout{180000};
  // First port of the instances' HTTP servers (ordinal i: base + i); 0 = pick free ones.
  // Default: 0
  int base_port = 0;
  // Keep the demo's topics after the run. Default: false
  bool keep_topics = false;
};

// The defaults above, with the brook binary resolved from /proc/self/exe.
DemoOptions DefaultDemoOptions();

[[nodiscard]] Status RunElasticDemo(DemoOptions options, std::ostream& out,
                                    const std::atomic<bool>& stop_requested, Run* run);

// The live table's header and one row.
std::string TableHeader();
std::string TableRow(const Sample& s);

}  // namespace brook::demo
