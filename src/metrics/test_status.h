// Test support: a brook::StreamsStatus with every kind of task, thread and partition filled
// in, as a running instance would report it. Not part of brook_metrics.
// Thread-safety: returns a value.
#pragma once

#include "brook/streams.h"

namespace brook::metrics::testing {

// Instance "pod-0" of "app" at now_ms: RUNNING, assigned, generation 7; stream threads
// stream-0 and stream-1 and the restore thread; active 0_0 (running, partitions in-0 and
// in-1 of topic "in"), active 0_1 (restoring, ETA 12.5 s), standby 1_0, warmup 1_1; one
// finished rebalance.
inline StreamsStatus FakeStatus(int64_t now_ms = 1'700'000'010'000) {
  StreamsStatus s;
  s.state = StreamsState::kRunning;
  s.member_id = "member-1";
  s.generation = 7;
  s.rebalances = 3;
  s.processed = 1000;
  s.restored = 50;
  s.skipped = 2;
  s.dropped = 1;
  s.dead_lettered = 4;
  s.commits = 9;
  s.application_id = "app";
  s.instance_id = "pod-0";
  s.process_start_ms = 1'700'000'000'000;
  s.now_ms = now_ms;
  s.assigned = true;
  s.consumed = 1200;
  s.busy_seconds = 3.5;
  s.threads = {
      StreamsThreadInfo{.name = "stream-0",
                        .alive = true,
                        .last_loop_ms = now_ms - 5,
                        .busy_seconds = 2.0,
                        .tasks = 1},
      StreamsThreadInfo{.name = "stream-1",
                        .alive = true,
                        .last_loop_ms = now_ms - 7,
                        .busy_seconds = 1.5,
                        .tasks = 1},
      StreamsThreadInfo{.name = "restore",
                        .alive = true,
                        .last_loop_ms = now_ms - 20,
                        .busy_seconds = 0.25,
                        .tasks = 3},
  };
  StreamsTaskInfo a0{.id = TaskId{0, 0},
                     .role = "active",
                     .processed = 1000,
                     .dropped = 1,
                     .max_stall_ms = 40,
                     .last_progress_ms = now_ms - 1,
                     .consumed = 1200,
                     .skipped = 2,
                     .input_lag = 30,
                     .busy_seconds = 3.0,
                     .punctuations = 5,
                     .state_bytes = 4096};
  a0.partitions = {
      StreamsPartitionInfo{.topic = "in",
                           .partition = 0,
                           .consumed = 700,
                           .position = 600,
                           .end_offset = 610,
                           .lag = 10,
                           .buffered = 100,
                           .stall_ms = 0,
                           .max_stall_ms = 40},
      StreamsPartitionInfo{.topic = "in",
                           .partition = 1,
                           .consumed = 500,
                           .position = 480,
                           .end_offset = 500,
                           .lag = 20,
                           .buffered = 20,
                           .stall_ms = 250,
                           .max_stall_ms = 250},
  };
  StreamsTaskInfo a1{.id = TaskId{0, 1},
                     .role = "active",
                     .restoring = true,
                     .restored = 30,
                     .lag = 70,
                     .restore_total = 100,
                     .restore_done = 30,
                     .restore_eta_seconds = 12.5,
                     .state_bytes = 1024};
  StreamsTaskInfo s0{.id = TaskId{1, 0},
                     .role = "standby",
                     .restored = 15,
                     .lag = 3,
                     .restore_total = 18,
                     .restore_done = 15,
                     .state_bytes = 2048};
  StreamsTaskInfo w1{.id = TaskId{1, 1},
                     .role = "warmup",
                     .restored = 5,
                     .lag = 900,
                     .restore_total = 905,
                     .restore_done = 5};
  s.tasks = {a0, a1, s0, w1};
  s.recent_rebalances = {StreamsRebalanceInfo{.generation = 7,
                                              .started_ms = now_ms - 5000,
                                              .finished_ms = now_ms - 3000,
                                              .duration_ms = 2000,
                                              .added = {TaskId{0, 1}},
                                              .removed = {TaskId{0, 2}},
                                              .active = 2}};
  return s;
}

}  // namespace brook::metrics::testing
