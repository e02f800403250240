// brook's own data inside Kafka's ConsumerProtocol payloads: SubscriptionInfo travels as the
// subscription's userData in JoinGroup (member -> leader), AssignmentInfo as the assignment's
// userData in SyncGroup (leader -> member). Standard tools ignore these bytes; they only read
// the topics and partitions around them.
//
// Wire format (big-endian, Kafka primitive encodings):
//   int32 version, int32 latest_supported_version, then the fields of that version in order.
// Versioning rules:
//   - A decoder accepts every version from 1 to kUserDataVersion; a NEWER version is decoded
//     as kUserDataVersion, ignoring the bytes after the known fields (fields are only ever
//     appended). Version 0 and negative versions are errors.
//   - Bump checklist (when adding a field): append it at the end of the Encode/Decode
//     functions guarded by `version >= N`; raise kUserDataVersion to N; give the field a
//     default that means "unknown" for older senders; add a golden vector for version N to
//     user_data_test.cc and keep the older vectors passing; document it in README.md.
// Decoding never trusts input: every count is checked against the bytes left before
// anything is allocated, and errors name the field and offset.
//
// Versions (one number for both payloads; a payload whose layout did not change in a
// version is encoded the same as before, only the header says the newer version):
//   1  SubscriptionInfo and AssignmentInfo as below, without host_map.
//   2  AssignmentInfo appends host_map (interactive queries). SubscriptionInfo unchanged.
// A version-1 member reads a version-2 assignment as version 1 (it ignores host_map); a
// version-2 member reads a version-1 assignment with an empty host_map. So a rolling
// upgrade needs no version probing.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>

#include "brook/ids.h"
#include "brook/status.h"
#include "protocol/codec.h"

namespace brook::group {

inline constexpr int32_t kUserDataVersion = 2;

// Measured load of one task on its active owner.
struct TaskLoad {
  double records_per_sec = 0.0;  // input records processed per second
  double busy_fraction = 0.0;    // share of one thread's time spent on the task, 0..1+
  bool operator==(const TaskLoad&) const = default;
};

struct SubscriptionInfo {
  int32_t version = kUserDataVersion;  // as decoded (encoding always writes the given version)
  int32_t latest_supported_version = kUserDataVersion;
  std::string process_id;         // stable id of the brook process (pod name or a UUID)
  std::string endpoint;           // host:port for interactive queries; may be empty
  double capacity = 1.0;          // relative processing capacity (e.g. stream threads)
  bool draining = false;          // being scaled away: give it no new work
  int64_t state_bytes = 0;        // bytes of local state on disk
  std::set<TaskId> prev_active;   // active tasks owned now
  std::set<TaskId> prev_standby;  // standby and warmup copies held now
  // Sum over the task's changelog partitions of the local restored offset, for every task
  // with local state (active, standby, warmup or just left on disk).
  std::map<TaskId, int64_t> task_offset_sums;
  std::map<TaskId, TaskLoad> task_loads;  // for the active tasks
  bool operator==(const SubscriptionInfo&) const = default;
};

// The tasks one instance endpoint holds, for interactive queries (Kafka Streams'
// partitionsByHost and standbyPartitionsByHost, by task).
struct HostTasks {
  std::set<TaskId> active;
  std::set<TaskId> standby;  // standby replicas (not warmups)
  bool operator==(const HostTasks&) const = default;
};

// endpoint ("host:port", SubscriptionInfo.endpoint, never empty) -> its tasks.
using HostMap = std::map<std::string, HostTasks>;

struct AssignmentInfo {
  int32_t version = kUserDataVersion;
  int32_t latest_supported_version = kUserDataVersion;
  std::set<TaskId> active;
  std::set<TaskId> standby;
  std::set<TaskId> warmup;
  // The leader asks for another rebalance after this many ms (0 = right away); -1 = none.
  int64_t followup_delay_ms = -1;
  // 0, or why this member got no work: 1 = its subscription userData could not be decoded.
  int32_t error_code = 0;
  // Version 2: every member of the group that advertises an endpoint, with its active and
  // standby tasks of this assignment; the same map goes to every member. Members without an
  // endpoint are left out (their tasks are in no entry). Empty when decoded from version 1,
  // and not written when encoding version 1.
  HostMap host_map;
  bool operator==(const AssignmentInfo&) const = default;
};

inline constexpr int32_t kAssignmentErrorBadSubscription = 1;

[[nodiscard]] Result<protocol::Bytes> EncodeSubscriptionInfo(const SubscriptionInfo& info,
                                                             int32_t version = kUserDataVersion);
[[nodiscard]] Result<SubscriptionInfo> DecodeSubscriptionInfo(std::span<const uint8_t> bytes);

[[nodiscard]] Result<protocol::Bytes> EncodeAssignmentInfo(const AssignmentInfo& info,
                                                           int32_t version = kUserDataVersion);
[[nodiscard]] Result<AssignmentInfo> DecodeAssignmentInfo(std::span<const uint8_t> bytes);

}  // namespace brook::group
