// The leader's side of a rebalance, as a pure function: from the members JoinGroup returned
// (their ConsumerProtocol subscriptions carrying brook's SubscriptionInfo) and the task
// list, run the assignor and produce the SyncGroup assignment bytes for every member.
//
// Contract:
//   - Each member's metadata is decoded; a member whose subscription or userData cannot be
//     decoded gets an empty assignment with error_code kAssignmentErrorBadSubscription and a
//     warning naming it (the group keeps working for everyone else).
//   - Ownership claims are reconciled as KIP-429 does: when two members claim the same
//     active task, the claim from the higher subscription generation wins (ties: the lower
//     member id), the loser's claim is dropped.
//   - Changelog lag of member m for task t = max over members of their offset sum for t
//     minus m's offset sum (the active owner is up to date by definition: lag 0). Members
//     without local state for t report no sum and get no lag entry (never caught up).
//   - Cooperative mode applies assignor::ApplyCooperative: a task another member still owns
//     is withheld until that owner revoked it; the follow-up rebalance is immediate.
//     Eager mode hands the target out directly (members revoked everything before joining).
//   - assigned_partitions of each ConsumerProtocol assignment are the active tasks' source
//     partitions, so kafka-consumer-groups shows them.
//   - Every member's AssignmentInfo carries the same host map: for each member with a
//     non-empty endpoint (application.server), its active and standby tasks of this
//     assignment (after the cooperative step, so a withheld task is in no entry until its
//     new owner gets it). Members sharing an endpoint share one entry.
//
// Thread-safety: pure function.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "assignor/assignor.h"
#include "brook/status.h"
#include "group/topology.h"
#include "group/user_data.h"
#include "protocol/codec.h"

namespace brook::group {

struct JoinedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  protocol::Bytes metadata;  // ConsumerProtocolSubscription bytes
};

struct LeaderOutput {
  std::map<std::string, protocol::Bytes> assignments;  // member id -> assignment bytes
  std::map<std::string, AssignmentInfo> infos;         // what each member was given
  assignor::AssignmentResult result;                   // after the cooperative step
  std::vector<std::string> warnings;                   // members left out and why
};

[[nodiscard]] Result<LeaderOutput> RunLeaderAssignment(const std::vector<JoinedMember>& members,
                                                       const std::vector<assignor::TaskSpec>& tasks,
                                                       const GroupTopology& topology,
                                                       const assignor::AssignorConfig& config,
                                                       bool cooperative);

}  // namespace brook::group
