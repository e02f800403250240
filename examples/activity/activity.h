// Activity counts: the stateful app of the elastic demo (scripts/demo). User events in, the
// running number of events of each user out, with a configurable simulated cost per record
// so that one instance's capacity is known and small enough to make scaling visible on a
// laptop.
//
//   activity-input (key: user id, value: anything, e.g. the page viewed)
//     -> Peek(SimulatedWork)               sleeps activity.work.us per record on average (a
//                                          call to an external service: the stream thread is
//                                          busy, the CPU is not)
//     -> GroupByKey -> Count(store "activity-counts")   persistent, changelogged
//     -> ToStream -> activity-output       key: user id, value: count (int64, 8 bytes
//                                          big-endian: Kafka's LongSerde)
//
// No repartition: one task per input partition, so a 16-partition input gives 16 tasks to
// spread over up to 16 instances. The output topic's latest value per user is the number of
// events of that user so far (at-least-once: more after a crash, never fewer).
//
// Thread-safety: SimulatedWork keeps its debt per thread (thread_local); the rest is pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "brook/config.h"
#include "brook/topology.h"
#include "common/example_app.h"

namespace brook::examples::activity {

struct Options {
  // Default: "activity-input"
  std::string input = "activity-input";
  // Default: "activity-output"
  std::string output = "activity-output";
  // Simulated work per record, microseconds. Default: 0 (none)
  int64_t work_us = 0;
};

// The store holding the counts (queryable by this name).
inline constexpr std::string_view kCountsStore = "activity-counts";

// Spends `work_us` microseconds per call on average, by sleeping once the calling thread's
// owed time reaches 1 ms (sleeping 100 us at a time would cost more in wake-ups than it
// simulates). The time slept beyond what was owed is credited to the next calls, so the
// average holds. Returns the microseconds slept by this call (0 for most calls).
int64_t SimulatedWork(int64_t work_us);

brook::Topology BuildTopology(const Options& options);

// The user id of event `n` of a seeded sequence over `users` users: "user-<k>", k being
// loadgen::RecordGenerator({seed, users}).KeyId(n) (the key ids of `brook produce`).
std::string UserOf(uint64_t seed, int64_t n, int64_t users);

// The example for brook::examples::Main: keys activity.input.topic, activity.output.topic,
// activity.work.us, activity.users; `produce` writes events keyed by UserOf().
ExampleApp App();

}  // namespace brook::examples::activity
