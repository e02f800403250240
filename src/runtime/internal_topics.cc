#include "runtime/internal_topics.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include "common/log.h"
#include "runtime/changelog_topics.h"

namespace brook::runtime {
namespace {

std::string Quoted(const std::vector<std::string>& names, std::string_view separator) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += separator;
    out += "'" + n + "'";
  }
  return out;
}

class Resolver {
 public:
  Resolver(const std::vector<InternalTopicPartitioning>& topics,
           const SubtopologySourceTopics& sources,
           const std::map<std::string, int32_t>& external_counts)
      : sources_(sources), external_(external_counts) {
    for (const InternalTopicPartitioning& t : topics) by_name_.emplace(t.topic, &t);
  }

  Result<std::map<std::string, int32_t>> Run() {
    for (const auto& [name, t] : by_name_) {
      if (t->partitions == 0 || t->partitions < -1) {
        return Status::InvalidArgument(fmt::format(
            "internal topic '{}': partitions must be -1 (derived) or at least 1, got {}", name,
            t->partitions));
      }
      if (t->partitions >= 1) counts_[name] = t->partitions;
    }
    bool progress = true;
    while (progress) {
      progress = false;
      for (const auto& [name, t] : by_name_) {
        if (!counts_.contains(name) && Step(*t)) progress = true;
      }
    }
    for (const auto& [name, t] : by_name_) {
      if (!counts_.contains(name)) return Unresolved();
    }
    return counts_;
  }

 private:
  const std::vector<std::string>& SourcesOf(int32_t sub) const {
    static const std::vector<std::string> kNone;
    auto it = sources_.find(sub);
    return it == sources_.end() ? kNone : it->second;
  }
  const InternalTopicPartitioning* Internal(const std::string& topic) const {
    auto it = by_name_.find(topic);
    return it == by_name_.end() ? nullptr : it->second;
  }
  // The count of a topic a sub-topology reads, if known yet.
  std::optional<int32_t> Known(const std::string& topic) const {
    if (Internal(topic) != nullptr) {
      auto it = counts_.find(topic);
      return it == counts_.end() ? std::nullopt : std::optional<int32_t>(it->second);
    }
    auto it = external_.find(topic);
    return it == external_.end() ? std::nullopt : std::optional<int32_t>(it->second);
  }

  // Tries to resolve the derived topic t (and the derived topics read with it); true on
  // progress.
  bool Step(const InternalTopicPartitioning& t) {
    std::vector<std::string> group{t.topic};
    if (t.reader >= 0) {
      std::vector<std::string> read = SourcesOf(t.reader);
      std::sort(read.begin(), read.end());
      for (const std::string& s : read) {
        const InternalTopicPartitioning* in = Internal(s);
        if (in == nullptr || in->partitions >= 1) {
          const std::optional<int32_t> fixed = Known(s);
          if (!fixed) continue;  // an unknown external topic: reported by its describe
          counts_[t.topic] = *fixed;
          return true;
        }
        if (s != t.topic) group.push_back(s);
      }
    }
    int32_t max = 0;
    for (const std::string& g : group) {
      for (int32_t w : Internal(g)->writers) {
        for (const std::string& s : SourcesOf(w)) {
          const std::optional<int32_t> c = Known(s);
          if (!c) return false;
          max = std::max(max, *c);
        }
      }
    }
    if (max <= 0) return false;
    for (const std::string& g : group) counts_[g] = max;
    return true;
  }

  // The error for what is left unresolved.
  Status Unresolved() const {
    std::vector<const InternalTopicPartitioning*> left;
    for (const auto& [name, t] : by_name_) {
      if (!counts_.contains(name)) left.push_back(t);
    }
    for (const InternalTopicPartitioning* t : left) {
      if (t->writers.empty()) {
        return Status::InvalidArgument(fmt::format(
            "internal topic '{}': no sink writes it, so its partition count cannot be derived; "
            "set InternalTopicSpec::partitions",
            t->topic));
      }
    }
    for (const InternalTopicPartitioning* t : left) {
      for (int32_t w : t->writers) {
        for (const std::string& s : SourcesOf(w)) {
          if (Internal(s) == nullptr && !external_.contains(s)) {
            return Status::InvalidArgument(fmt::format(
                "internal topic '{}': the partition count of topic '{}' (read by sub-topology "
                "{}, which writes it) is unknown",
                t->topic, s, w));
          }
        }
      }
    }
    // Every unresolved topic waits for another unresolved one: find a cycle of "is written
    // by a sub-topology reading".
    std::vector<std::string> path;
    std::set<std::string> done;
    std::function<bool(const std::string&)> visit = [&](const std::string& topic) -> bool {
      auto on_path = std::find(path.begin(), path.end(), topic);
      if (on_path != path.end()) {
        path.erase(path.begin(), on_path);
        path.push_back(topic);
        return true;
      }
      if (done.contains(topic)) return false;
      path.push_back(topic);
      for (int32_t w : Internal(topic)->writers) {
        for (const std::string& s : SourcesOf(w)) {
          if (Internal(s) != nullptr && !counts_.contains(s) && visit(s)) return true;
        }
      }
      path.pop_back();
      done.insert(topic);
      return false;
    };
    for (const InternalTopicPartitioning* t : left) {
      if (visit(t->topic)) {
        return Status::InvalidArgument(
            "the partition counts of internal topics " + Quoted(path, " <- ") +
            " depend on each other (each is written by a sub-topology reading the next); set "
            "InternalTopicSpec::partitions on one of them");
      }
    }
    std::vector<std::string> names;
    names.reserve(left.size());
    for (const InternalTopicPartitioning* t : left) names.push_back(t->topic);
    return Status::InvalidArgument("cannot derive the partition counts of internal topics " +
                                   Quoted(names, ", ") + "; set InternalTopicSpec::partitions");
  }

  const SubtopologySourceTopics& sources_;
  const std::map<std::string, int32_t>& external_;
  std::map<std::string, const InternalTopicPartitioning*> by_name_;
  std::map<std::string, int32_t> counts_;
};

Status EnsureInternalTopic(client::Admin& admin, const InternalTopicInfo& topic, int32_t partitions,
                           const InternalTopicOptions& options) {
  const auto check = [&](const client::TopicInfo& info) -> Status {
    if (info.partitions == partitions) return Status::Ok();
    return Status::FailedPrecondition(fmt::format(
        "internal topic '{}' has {} partitions, but {} are required ({}); delete the topic or "
        "fix the input topics",
        info.name, info.partitions, partitions,
        topic.spec.partitions >= 1 ? "InternalTopicSpec::partitions"
                                   : "derived from the topics of the sub-topologies around it"));
  };
  Result<client::TopicInfo> existing = admin.DescribeTopic(topic.full_name);
  if (existing.ok()) return check(*existing);
  if (existing.status().code() != StatusCode::kNotFound) {
    return existing.status().WithContext("internal topic '" + topic.full_name + "'");
  }
  const Status created = admin.CreateTopic({.name = topic.full_name,
                                            .partitions = partitions,
                                            .replication_factor = options.replication_factor,
                                            .configs = InternalTopicConfigs(topic.spec)});
  if (created.ok()) {
    Logger().info("created internal topic '{}' ({} partitions)", topic.full_name, partitions);
    return Status::Ok();
  }
  if (created.code() != StatusCode::kAlreadyExists) {
    return created.WithContext("creating internal topic '" + topic.full_name + "'");
  }
  // Another instance created it meanwhile: it must agree on the count.
  BROOK_ASSIGN_OR_RETURN(const client::TopicInfo info,
                         DescribeCreatedTopic(admin, topic.full_name));
  return check(info);
}

}  // namespace

Result<std::map<std::string, int32_t>> ResolveInternalTopicPartitions(
    const std::vector<InternalTopicPartitioning>& topics, const SubtopologySourceTopics& sources,
    const std::map<std::string, int32_t>& external_counts) {
  std::set<std::string> seen;
  for (const InternalTopicPartitioning& t : topics) {
    if (!seen.insert(t.topic).second) {
      return Status::InvalidArgument("internal topic '" + t.topic + "' is listed twice");
    }
  }
  return Resolver(topics, sources, external_counts).Run();
}

Result<std::map<std::string, int32_t>> ResolveInternalTopicPartitions(
    const ProcessorTopology& topology, const std::map<std::string, int32_t>& external_counts) {
  std::vector<InternalTopicPartitioning> topics;
  for (const InternalTopicInfo& t : topology.internal_topics()) {
    if (t.reader < 0 && t.writers.empty()) continue;  // unused: never created
    topics.push_back({.topic = t.full_name,
                      .partitions = t.spec.partitions,
                      .writers = t.writers,
                      .reader = t.reader});
  }
  SubtopologySourceTopics sources;
  for (const SubtopologySpec& s : topology.subtopologies()) sources[s.id] = s.source_topics;
  return ResolveInternalTopicPartitions(topics, sources, external_counts);
}

std::map<std::string, std::string> InternalTopicConfigs(const InternalTopicSpec& spec) {
  std::map<std::string, std::string> configs = {
      {"cleanup.policy", "delete"},
      {"segment.bytes", "52428800"},
      {"message.timestamp.type", "CreateTime"},
  };
  for (const auto& [k, v] : spec.configs) configs[k] = v;
  return configs;
}

Result<std::map<std::string, int32_t>> PrepareSourceTopics(client::Admin& admin,
                                                           const ProcessorTopology& topology,
                                                           const InternalTopicOptions& options) {
  std::map<std::string, int32_t> counts;
  for (const SubtopologySpec& sub : topology.subtopologies()) {
    for (const std::string& topic : sub.source_topics) {
      if (topology.FindInternalTopic(topic) != nullptr || counts.contains(topic)) continue;
      Result<client::TopicInfo> info = admin.DescribeTopic(topic);
      if (!info.ok()) {
        return info.status().WithContext("source topic '" + topic + "' of sub-topology " +
                                         std::to_string(sub.id));
      }
      counts[topic] = info->partitions;
    }
  }
  BROOK_ASSIGN_OR_RETURN(const auto internal, ResolveInternalTopicPartitions(topology, counts));
  for (const InternalTopicInfo& t : topology.internal_topics()) {
    auto it = internal.find(t.full_name);
    if (it == internal.end()) continue;
    BROOK_RETURN_IF_ERROR(EnsureInternalTopic(admin, t, it->second, options));
    counts[t.full_name] = it->second;
  }
  return counts;
}

}  // namespace brook::runtime
