// Configuration keys of group membership and task assignment, and GroupOptions built from a
// loaded Config. Keys follow Kafka Streams' names where one exists (application.id,
// group.instance.id, session.timeout.ms, heartbeat.interval.ms, max.poll.interval.ms,
// num.standby.replicas, acceptable.recovery.lag, max.warmup.replicas,
// probing.rebalance.interval.ms, application.server, client.rack); every key can also come
// from the environment as BROOK_<KEY> (e.g. BROOK_GROUP_INSTANCE_ID=$(POD_NAME) in a
// StatefulSet).
//
// Contract: GroupOptionsFromConfig needs a Config loaded with DefineClientKeys and
// DefineGroupKeys; it fills everything but the topology and the partition-count callback,
// and reports inconsistent values (heartbeat not below the session timeout) naming the keys.
// Thread-safety: pure functions.
#pragma once

#include "brook/config.h"
#include "brook/status.h"
#include "group/member.h"

namespace brook::group {

void DefineGroupKeys(ConfigSchema& schema);

[[nodiscard]] Result<GroupOptions> GroupOptionsFromConfig(const Config& config);

}  // namespace brook::group
