#include "runtime/processor_topology.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>
#include <utility>

namespace brook::runtime {
namespace {

using internal::NodeKind;
using internal::NodeSpec;

class UnionFind {
 public:
  explicit UnionFind(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  size_t Root(size_t i) {
    while (parent_[i] != i) {
      parent_[i] = parent_[parent_[i]];
      i = parent_[i];
    }
    return i;
  }
  void Join(size_t a, size_t b) { parent_[Root(a)] = Root(b); }

 private:
  std::vector<size_t> parent_;
};

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

bool SubtopologySpec::stateful() const {
  return std::any_of(stores.begin(), stores.end(), [](const StoreSpec& s) { return s.logging; });
}

const internal::NodeSpec* SubtopologySpec::SourceFor(std::string_view topic) const {
  auto it = topic_sources.find(topic);
  return it == topic_sources.end() ? nullptr : it->second;
}

std::string ProcessorTopology::ResolveTopic(std::string_view topic) const {
  if (spec_ && spec_->FindInternalTopic(topic) != nullptr) {
    return application_id_ + "-" + std::string(topic);
  }
  return std::string(topic);
}

const InternalTopicInfo* ProcessorTopology::FindInternalTopic(std::string_view full_name) const {
  for (const InternalTopicInfo& t : internal_topics_) {
    if (t.full_name == full_name) return &t;
  }
  return nullptr;
}

Status ProcessorTopology::CheckInternalTopicNames() const {
  if (internal_topics_.empty()) return Status::Ok();
  if (application_id_.empty()) {
    return Status::InvalidArgument(
        "the topology declares internal topics; their names need an application.id");
  }
  for (const InternalTopicInfo& t : internal_topics_) {
    for (const NodeSpec& n : spec_->nodes) {
      const bool reads = std::find(n.topics.begin(), n.topics.end(), t.full_name) != n.topics.end();
      const bool writes = n.kind == NodeKind::kSink && n.extractor.empty() && !n.internal_topic &&
                          n.topic == t.full_name;
      if (reads || writes) {
        return Status::InvalidArgument(
            "topic '" + t.full_name + "' is the internal topic '" + t.name + "' of application '" +
            application_id_ + "' and an external topic of " +
            std::string(internal::NodeKindName(n.kind)) + " '" + n.name + "'");
      }
    }
    for (const StoreSpec& store : spec_->stores) {
      if (store.logging && store.ChangelogTopic(application_id_) == t.full_name) {
        return Status::InvalidArgument(
            "internal topic '" + t.name + "' of application '" + application_id_ +
            "' has the name of the changelog of store '" + store.name + "': '" + t.full_name + "'");
      }
    }
  }
  return Status::Ok();
}

Result<ProcessorTopology> ProcessorTopology::Build(const Topology& topology,
                                                   const std::string& application_id) {
  ProcessorTopology out;
  auto spec = std::make_shared<const internal::TopologySpec>(topology.spec());
  out.spec_ = spec;
  out.application_id_ = application_id;
  const std::vector<NodeSpec>& nodes = spec->nodes;
  if (std::none_of(nodes.begin(), nodes.end(),
                   [](const NodeSpec& n) { return n.kind == NodeKind::kSource; })) {
    return Status::InvalidArgument("topology has no source nodes");
  }
  for (const internal::InternalTopicDecl& t : spec->internal_topics) {
    out.internal_topics_.push_back(
        {.name = t.name, .full_name = application_id + "-" + t.name, .spec = t.spec});
  }
  BROOK_RETURN_IF_ERROR(out.CheckInternalTopicNames());

  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 0; i < nodes.size(); ++i) index.emplace(nodes[i].name, i);
  UnionFind sets(nodes.size());
  std::map<std::string_view, size_t> store_user;  // store -> first processor using it
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& p : nodes[i].parents) sets.Join(i, index.at(p));
    for (const std::string& s : nodes[i].stores) {
      auto [it, fresh] = store_user.emplace(s, i);
      if (!fresh) sets.Join(i, it->second);
    }
  }

  // Components, each named by its smallest source name.
  std::map<size_t, std::vector<size_t>> members;  // root -> node indices (ascending)
  for (size_t i = 0; i < nodes.size(); ++i) members[sets.Root(i)].push_back(i);
  std::vector<std::pair<std::string, const std::vector<size_t>*>> ordered;
  for (const auto& [root, idx] : members) {
    std::string first;
    for (size_t i : idx) {
      if (nodes[i].kind == NodeKind::kSource && (first.empty() || nodes[i].name < first)) {
        first = nodes[i].name;
      }
    }
    ordered.emplace_back(first, &idx);
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  for (size_t id = 0; id < ordered.size(); ++id) {
    SubtopologySpec sub;
    sub.id = static_cast<int32_t>(id);
    std::set<std::string> sources;
    std::set<std::string> sinks;
    std::set<std::string> stores;
    for (size_t i : *ordered[id].second) {
      const NodeSpec& n = nodes[i];
      sub.nodes.push_back(&n);
      for (const std::string& t : n.topics) {
        std::string full = out.ResolveTopic(t);
        sub.topic_sources.emplace(full, &n);
        sources.insert(std::move(full));
      }
      if (n.kind == NodeKind::kSink && n.extractor.empty()) sinks.insert(out.ResolveTopic(n.topic));
      stores.insert(n.stores.begin(), n.stores.end());
    }
    for (const StoreSpec& s : spec->stores) {
      if (stores.count(s.name) != 0) sub.stores.push_back(s);
    }
    sub.source_topics.assign(sources.begin(), sources.end());
    sub.sink_topics.assign(sinks.begin(), sinks.end());
    out.subtopologies_.push_back(std::move(sub));
  }
  for (InternalTopicInfo& t : out.internal_topics_) {
    for (const SubtopologySpec& sub : out.subtopologies_) {
      if (std::binary_search(sub.sink_topics.begin(), sub.sink_topics.end(), t.full_name)) {
        t.writers.push_back(sub.id);
      }
      if (sub.SourceFor(t.full_name) != nullptr) t.reader = sub.id;
    }
  }
  return out;
}

const SubtopologySpec* ProcessorTopology::Find(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= subtopologies_.size()) return nullptr;
  return &subtopologies_[static_cast<size_t>(id)];
}

const SubtopologySpec* ProcessorTopology::ForSourceTopic(std::string_view topic) const {
  for (const SubtopologySpec& s : subtopologies_) {
    if (std::binary_search(s.source_topics.begin(), s.source_topics.end(), topic)) return &s;
  }
  return nullptr;
}

std::vector<std::string> ProcessorTopology::RepartitionTopics() const {
  std::set<std::string> out;
  for (const SubtopologySpec& s : subtopologies_) {
    for (const std::string& t : s.sink_topics) {
      if (ForSourceTopic(t) != nullptr) out.insert(t);
    }
  }
  return {out.begin(), out.end()};
}

group::GroupTopology ProcessorTopology::ToGroupTopology() const {
  group::GroupTopology g;
  for (const SubtopologySpec& s : subtopologies_) {
    g.subtopologies.push_back({s.id, s.source_topics, s.stateful()});
  }
  return g;
}

std::string ProcessorTopology::Describe() const {
  std::string out = "Topologies:\n";
  for (const SubtopologySpec& s : subtopologies_) {
    // Kafka Streams indents the first sub-topology by three spaces, the others by two.
    out += s.id == 0 ? "   " : "  ";
    out += "Sub-topology: " + std::to_string(s.id) + "\n";
    for (const NodeSpec* n : s.nodes) {
      switch (n->kind) {
        case NodeKind::kSource:
          out += "    Source: " + n->name + " (topics: [" + JoinNames(n->topics) + "])\n";
          break;
        case NodeKind::kProcessor:
          out += "    Processor: " + n->name + " (stores: [" + JoinNames(n->stores) + "])\n";
          break;
        case NodeKind::kSink:
          if (n->extractor.empty()) {
            out += "    Sink: " + n->name + " (topic: " + n->topic + ")\n";
          } else {
            out += "    Sink: " + n->name + " (extractor: " + n->extractor + ")\n";
          }
          break;
      }
      if (n->kind != NodeKind::kSink) {
        out += "      --> " + (n->children.empty() ? std::string("none") : JoinNames(n->children)) +
               "\n";
      }
      if (n->kind != NodeKind::kSource) out += "      <-- " + JoinNames(n->parents) + "\n";
    }
    out += "\n";
  }
  return out;
}

}  // namespace brook::runtime
