#include "group/topology.h"

#include <algorithm>

namespace brook::group {

Status GroupTopology::Validate() const {
  if (subtopologies.empty()) return Status::InvalidArgument("topology: no sub-topologies");
  std::set<int32_t> ids;
  std::map<std::string, int32_t> owner;
  for (const Subtopology& s : subtopologies) {
    if (s.id < 0) return Status::InvalidArgument("topology: negative sub-topology id");
    if (!ids.insert(s.id).second) {
      return Status::InvalidArgument("topology: sub-topology " + std::to_string(s.id) +
                                     " listed twice");
    }
    if (s.source_topics.empty()) {
      return Status::InvalidArgument("topology: sub-topology " + std::to_string(s.id) +
                                     " has no source topics");
    }
    for (const std::string& t : s.source_topics) {
      if (t.empty()) return Status::InvalidArgument("topology: empty source topic name");
      auto [it, fresh] = owner.emplace(t, s.id);
      if (!fresh) {
        return Status::InvalidArgument("topology: topic '" + t +
                                       "' is a source of sub-topologies " +
                                       std::to_string(it->second) + " and " + std::to_string(s.id));
      }
    }
  }
  return Status::Ok();
}

std::vector<std::string> GroupTopology::SourceTopics() const {
  std::set<std::string> all;
  for (const Subtopology& s : subtopologies)
    all.insert(s.source_topics.begin(), s.source_topics.end());
  return {all.begin(), all.end()};
}

Result<std::vector<assignor::TaskSpec>> TasksFor(
    const GroupTopology& topology, const std::map<std::string, int32_t>& partition_counts) {
  BROOK_RETURN_IF_ERROR(topology.Validate());
  std::vector<assignor::TaskSpec> tasks;
  for (const Subtopology& s : topology.subtopologies) {
    int32_t count = -1;
    std::string first;
    for (const std::string& t : s.source_topics) {
      auto it = partition_counts.find(t);
      if (it == partition_counts.end()) {
        return Status::NotFound("source topic '" + t + "' of sub-topology " + std::to_string(s.id) +
                                " does not exist");
      }
      if (it->second <= 0) {
        return Status::InvalidArgument("source topic '" + t + "' has " +
                                       std::to_string(it->second) + " partitions");
      }
      if (count >= 0 && it->second != count) {
        std::string msg = "source topics of sub-topology " + std::to_string(s.id);
        msg += " are not co-partitioned: '" + first + "' has " + std::to_string(count);
        msg += " partitions, '" + t + "' has " + std::to_string(it->second);
        return Status::InvalidArgument(std::move(msg));
      }
      count = it->second;
      if (first.empty()) first = t;
    }
    for (int32_t p = 0; p < count; ++p) tasks.push_back({TaskId{s.id, p}, s.stateful});
  }
  std::sort(tasks.begin(), tasks.end(),
            [](const assignor::TaskSpec& a, const assignor::TaskSpec& b) { return a.id < b.id; });
  return tasks;
}

std::vector<TopicPartition> PartitionsOf(const GroupTopology& topology,
                                         const std::set<TaskId>& tasks) {
  std::vector<TopicPartition> out;
  for (const TaskId& t : tasks) {
    for (const Subtopology& s : topology.subtopologies) {
      if (s.id != t.subtopology) continue;
      for (const std::string& topic : s.source_topics) out.push_back({topic, t.partition});
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string TaskSetString(const std::set<TaskId>& tasks) {
  std::string out;
  for (const TaskId& t : tasks) {
    if (!out.empty()) out += ' ';
    out += t.ToString();
  }
  return out.empty() ? "-" : out;
}

}  // namespace brook::group
