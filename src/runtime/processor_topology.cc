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
  for (const NodeSpec* n : nodes) {
    if (n->kind == NodeKind::kSource &&
        std::find(n->topics.begin(), n->topics.end(), topic) != n->topics.end()) {
      return n;
    }
  }
  return nullptr;
}

Result<ProcessorTopology> ProcessorTopology::Build(const Topology& topology) {
  ProcessorTopology out;
  auto spec = std::make_shared<const internal::TopologySpec>(topology.spec());
  out.spec_ = spec;
  const std::vector<NodeSpec>& nodes = spec->nodes;
  if (std::none_of(nodes.begin(), nodes.end(),
                   [](const NodeSpec& n) { return n.kind == NodeKind::kSource; })) {
    return Status::InvalidArgument("topology has no source nodes");
  }

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
      sources.insert(n.topics.begin(), n.topics.end());
      if (n.kind == NodeKind::kSink) sinks.insert(n.topic);
      stores.insert(n.stores.begin(), n.stores.end());
    }
    for (const StoreSpec& s : spec->stores) {
      if (stores.count(s.name) != 0) sub.stores.push_back(s);
    }
    sub.source_topics.assign(sources.begin(), sources.end());
    sub.sink_topics.assign(sinks.begin(), sinks.end());
    out.subtopologies_.push_back(std::move(sub));
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
          out += "    Sink: " + n->name + " (topic: " + n->topic + ")\n";
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
