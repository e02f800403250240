#include "group/leader.h"

#include <algorithm>
#include <utility>

#include "protocol/consumer_protocol.h"

namespace brook::group {
namespace {

struct Decoded {
  const JoinedMember* joined = nullptr;
  int32_t generation = -1;
  std::optional<std::string> rack;
  SubscriptionInfo info;
};

Result<Decoded> DecodeMember(const JoinedMember& m) {
  Decoded d;
  d.joined = &m;
  BROOK_ASSIGN_OR_RETURN(auto sub, protocol::DecodeConsumerProtocolSubscription(m.metadata));
  d.generation = sub.message.generation_id;
  d.rack = sub.message.rack_id;
  if (!sub.message.user_data || sub.message.user_data->empty()) {
    return Status::InvalidArgument("subscription carries no brook userData (not a brook member?)");
  }
  BROOK_ASSIGN_OR_RETURN(d.info, DecodeSubscriptionInfo(*sub.message.user_data));
  return d;
}

Result<protocol::Bytes> EncodeFor(const GroupTopology& topology, const AssignmentInfo& info) {
  protocol::ConsumerProtocolAssignment a;
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (const TopicPartition& tp : PartitionsOf(topology, info.active)) {
    by_topic[tp.topic].push_back(tp.partition);
  }
  for (auto& [topic, parts] : by_topic) a.assigned_partitions.push_back({topic, std::move(parts)});
  BROOK_ASSIGN_OR_RETURN(a.user_data, EncodeAssignmentInfo(info));
  // Version 0 is what every Kafka consumer tool reads; brook's data is in user_data.
  return protocol::EncodeConsumerProtocolAssignment(a, 0);
}

}  // namespace

Result<LeaderOutput> RunLeaderAssignment(const std::vector<JoinedMember>& members,
                                         const std::vector<assignor::TaskSpec>& tasks,
                                         const GroupTopology& topology,
                                         const assignor::AssignorConfig& config, bool cooperative) {
  LeaderOutput out;
  std::vector<Decoded> good;
  std::vector<const JoinedMember*> bad;
  for (const JoinedMember& m : members) {
    Result<Decoded> d = DecodeMember(m);
    if (d.ok()) {
      good.push_back(std::move(*d));
    } else {
      bad.push_back(&m);
      out.warnings.push_back("member " + m.member_id +
                             " left out of the assignment: " + d.status().ToString());
    }
  }
  // Deterministic order whatever order the coordinator listed members in.
  std::sort(good.begin(), good.end(), [](const Decoded& a, const Decoded& b) {
    return a.joined->member_id < b.joined->member_id;
  });

  std::set<TaskId> known;
  for (const assignor::TaskSpec& t : tasks) known.insert(t.id);

  // Reconcile active claims: higher generation wins, then lower member id (sorted first).
  std::map<TaskId, size_t> claim;
  for (size_t i = 0; i < good.size(); ++i) {
    for (const TaskId& t : good[i].info.prev_active) {
      auto [it, fresh] = claim.emplace(t, i);
      if (!fresh && good[i].generation > good[it->second].generation) it->second = i;
    }
  }
  // Reference offset sum per task: the furthest any member got.
  std::map<TaskId, int64_t> reference;
  for (const Decoded& d : good) {
    for (const auto& [t, sum] : d.info.task_offset_sums) {
      int64_t& r = reference[t];
      r = std::max(r, sum);
    }
  }

  std::vector<assignor::MemberInfo> infos;
  for (size_t i = 0; i < good.size(); ++i) {
    const Decoded& d = good[i];
    assignor::MemberInfo mi;
    mi.member_id = d.joined->member_id;
    mi.process_id = d.info.process_id;
    mi.capacity = d.info.capacity;
    mi.draining = d.info.draining;
    mi.state_bytes = d.info.state_bytes;
    mi.rack = d.rack.value_or("");
    for (const TaskId& t : d.info.prev_active) {
      if (known.contains(t) && claim.at(t) == i) mi.prev_active.insert(t);
    }
    for (const TaskId& t : d.info.prev_standby) {
      if (known.contains(t) && !mi.prev_active.contains(t)) mi.prev_standby.insert(t);
    }
    for (const auto& [t, sum] : d.info.task_offset_sums) {
      if (known.contains(t)) mi.task_lag[t] = reference[t] - sum;
    }
    // No local state at all: it would restore the whole changelog, i.e. `reference` offsets.
    // When that is within acceptable_recovery_lag the member counts as caught up (as in
    // Kafka Streams), so a task with little state moves at once instead of through a
    // warmup and an extra rebalance; otherwise it stays "no state" (kNoState).
    for (const auto& [t, ref] : reference) {
      if (known.contains(t) && !mi.task_lag.contains(t) &&
          ref <= config.acceptable_recovery_lag) {
        mi.task_lag[t] = ref;
      }
    }
    for (const TaskId& t : mi.prev_active) mi.task_lag[t] = 0;
    for (const auto& [t, load] : d.info.task_loads) {
      if (mi.prev_active.contains(t)) mi.task_load[t] = load.busy_fraction;
    }
    infos.push_back(std::move(mi));
  }
  // Two brook processes must not share a process id; a restarted pod rejoining before its
  // old member expired would: keep the newer (higher generation claims are already handled)
  // by making later duplicates unique, since both are alive from the coordinator's view.
  std::map<std::string, int> seen;
  for (assignor::MemberInfo& mi : infos) {
    if (mi.process_id.empty()) continue;
    if (seen[mi.process_id]++ > 0) {
      out.warnings.push_back("process id '" + mi.process_id + "' used by several members; " +
                             mi.member_id + " treated as a separate process");
      mi.process_id += "#" + mi.member_id;
    }
  }

  if (!infos.empty()) {
    BROOK_ASSIGN_OR_RETURN(assignor::AssignmentResult target,
                           assignor::Assign(infos, tasks, config));
    out.result =
        cooperative ? assignor::ApplyCooperative(infos, std::move(target)) : std::move(target);
  }
  // The host map for interactive queries: every member that advertises an endpoint. Two
  // members with the same endpoint (a misconfiguration) share one entry.
  HostMap host_map;
  for (const Decoded& d : good) {
    if (d.info.endpoint.empty()) continue;
    HostTasks& h = host_map[d.info.endpoint];
    auto it = out.result.members.find(d.joined->member_id);
    if (it == out.result.members.end()) continue;
    h.active.insert(it->second.active.begin(), it->second.active.end());
    h.standby.insert(it->second.standby.begin(), it->second.standby.end());
  }
  for (const Decoded& d : good) {
    const std::string& id = d.joined->member_id;
    AssignmentInfo info;
    info.host_map = host_map;
    auto it = out.result.members.find(id);
    if (it != out.result.members.end()) {
      info.active = it->second.active;
      info.standby = it->second.standby;
      info.warmup = it->second.warmup;
    }
    info.followup_delay_ms = out.result.followup_rebalance ? out.result.followup_delay_ms : -1;
    BROOK_ASSIGN_OR_RETURN(out.assignments[id], EncodeFor(topology, info));
    out.infos[id] = std::move(info);
  }
  for (const JoinedMember* m : bad) {
    AssignmentInfo info;
    info.error_code = kAssignmentErrorBadSubscription;
    info.host_map = host_map;
    BROOK_ASSIGN_OR_RETURN(out.assignments[m->member_id], EncodeFor(topology, info));
    out.infos[m->member_id] = std::move(info);
  }
  return out;
}

}  // namespace brook::group
