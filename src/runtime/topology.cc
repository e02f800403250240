// Topology builder checks and Describe() (brook/topology.h).
#include "brook/topology.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "runtime/processor_topology.h"

namespace brook {
namespace {

using internal::NodeKind;
using internal::NodeKindName;
using internal::NodeSpec;

template <typename... Args>
[[noreturn]] void Invalid(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(StatusCode::kInvalidArgument,
              "Topology: " + fmt::format(format, std::forward<Args>(args)...));
}

// Kafka's legal topic characters; also safe in a directory name.
bool LegalNameChars(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// Leaves room for "<application.id>-" and "-changelog" within Kafka's topic name limit.
constexpr size_t kMaxStoreNameLength = 180;
// Leaves room for "<application.id>-" within Kafka's topic name limit.
constexpr size_t kMaxInternalTopicNameLength = 180;

void CheckTopicName(std::string_view topic, const std::string& node) {
  if (topic.empty()) Invalid("node '{}' names an empty topic", node);
  const Status s = internal::CheckTopicName(topic);
  if (!s.ok()) Invalid("node '{}': {}", node, s.message());
}

std::string RecordTypeName(const internal::TypeTag& key, const internal::TypeTag& value) {
  return fmt::format("Record<{}, {}>", key.name, value.name);
}

}  // namespace

const internal::NodeSpec* internal::TopologySpec::Find(std::string_view name) const {
  for (const NodeSpec& n : nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

const internal::InternalTopicDecl* internal::TopologySpec::FindInternalTopic(
    std::string_view name) const {
  for (const InternalTopicDecl& t : internal_topics) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void Topology::ThrowNullExtractor(const std::string& sink) {
  Invalid("sink '{}' needs a topic name extractor (got an empty std::function)", sink);
}

Topology& Topology::AddInternalTopic(std::string name, InternalTopicSpec spec) {
  if (name.empty()) Invalid("an internal topic needs a non-empty name");
  if (name.size() > kMaxInternalTopicNameLength || name == "." || name == ".." ||
      !LegalNameChars(name)) {
    Invalid("invalid internal topic name '{}' (use up to {} of [a-zA-Z0-9._-], not '.' or '..')",
            name, kMaxInternalTopicNameLength);
  }
  if (spec_.FindInternalTopic(name) != nullptr) {
    Invalid("internal topic '{}' is already declared", name);
  }
  if (spec.partitions == 0 || spec.partitions < -1) {
    Invalid("internal topic '{}': partitions must be -1 (derived) or at least 1, got {}", name,
            spec.partitions);
  }
  for (const auto& [key, value] : spec.configs) {
    if (key.empty()) Invalid("internal topic '{}': a topic config with an empty key", name);
  }
  for (const NodeSpec& n : spec_.nodes) {
    const bool reads = std::find(n.topics.begin(), n.topics.end(), name) != n.topics.end();
    if (reads || (n.kind == NodeKind::kSink && n.extractor.empty() && n.topic == name)) {
      Invalid(
          "internal topic '{}': {} '{}' already uses '{}' as an external topic; declare "
          "internal topics before the sources and sinks that use them",
          name, NodeKindName(n.kind), n.name, name);
    }
  }
  spec_.internal_topics.push_back({std::move(name), std::move(spec)});
  return *this;
}

void Topology::ThrowNullProcessor(const std::string& name) {
  throw Error(StatusCode::kInvalidArgument,
              "the processor supplier of '" + name + "' returned a null processor");
}

void Topology::AddNode(internal::NodeSpec spec) {
  const std::string kind(NodeKindName(spec.kind));
  if (spec.name.empty()) Invalid("a {} node needs a non-empty name", kind);
  if (spec_.Find(spec.name) != nullptr) {
    Invalid("a node named '{}' already exists; node names must be unique", spec.name);
  }

  if (spec.kind == NodeKind::kSource) {
    if (spec.topics.empty()) Invalid("source '{}' reads no topics", spec.name);
    std::set<std::string> seen;
    for (const std::string& t : spec.topics) {
      CheckTopicName(t, spec.name);
      if (!seen.insert(t).second) Invalid("source '{}' lists topic '{}' twice", spec.name, t);
      for (const NodeSpec& other : spec_.nodes) {
        if (other.kind == NodeKind::kSource &&
            std::find(other.topics.begin(), other.topics.end(), t) != other.topics.end()) {
          Invalid("topic '{}' is already read by source '{}'; source '{}' cannot read it too", t,
                  other.name, spec.name);
        }
      }
    }
  } else {
    if (spec.kind == NodeKind::kSink && spec.extractor.empty()) {
      CheckTopicName(spec.topic, spec.name);
    }
    if (spec.parents.empty()) Invalid("{} '{}' needs at least one parent", kind, spec.name);
    std::set<std::string> seen;
    for (const std::string& p : spec.parents) {
      if (!seen.insert(p).second) {
        Invalid("{} '{}' lists parent '{}' twice", kind, spec.name, p);
      }
      if (p == spec.name) Invalid("{} '{}' cannot be its own parent", kind, spec.name);
      const NodeSpec* parent = spec_.Find(p);
      if (parent == nullptr) {
        Invalid(
            "{} '{}' names parent '{}', which does not exist (add parents before their "
            "children)",
            kind, spec.name, p);
      }
      if (parent->kind == NodeKind::kSink) {
        Invalid("{} '{}' names sink '{}' as its parent; sinks have no children", kind, spec.name,
                p);
      }
      if (!(parent->key_out == spec.key_in) || !(parent->value_out == spec.value_in)) {
        const std::string_view parent_kind = NodeKindName(parent->kind);
        if (parent->key_out.name == "void" && parent->value_out.name == "void") {
          Invalid(
              "{} '{}' takes {} but its parent {} '{}' forwards nothing (its output types "
              "are void)",
              kind, spec.name, RecordTypeName(spec.key_in, spec.value_in), parent_kind, p);
        }
        Invalid("{} '{}' takes {} but its parent {} '{}' forwards {}", kind, spec.name,
                RecordTypeName(spec.key_in, spec.value_in), parent_kind, p,
                RecordTypeName(parent->key_out, parent->value_out));
      }
    }
  }

  for (const std::string& p : spec.parents) {
    for (NodeSpec& n : spec_.nodes) {
      if (n.name == p) n.children.push_back(spec.name);
    }
  }
  spec_.nodes.push_back(std::move(spec));
}

Topology& Topology::AddStateStore(StoreSpec store, const std::vector<std::string>& processors) {
  const std::string& name = store.name;
  if (name.empty()) Invalid("a state store needs a non-empty name");
  if (name.size() > kMaxStoreNameLength || name == "." || name == ".." || !LegalNameChars(name)) {
    Invalid("invalid state store name '{}' (use up to {} of [a-zA-Z0-9._-], not '.' or '..')", name,
            kMaxStoreNameLength);
  }
  for (const StoreSpec& s : spec_.stores) {
    if (s.name == name) Invalid("a state store named '{}' already exists", name);
  }
  if (store.kind != StoreKind::kKeyValue) {
    const std::string_view kind = store.kind == StoreKind::kWindow ? "window" : "session";
    if (store.backend == StoreBackend::kInMemory) {
      Invalid("{} store '{}' cannot be in-memory (only key-value stores can)", kind, name);
    }
    if (store.retention_ms <= 0) {
      Invalid("{} store '{}' needs a positive retention, got {} ms", kind, name,
              store.retention_ms);
    }
    if (store.segment_interval_ms < 0) {
      Invalid("{} store '{}' has a negative segment interval", kind, name);
    }
  }
  // Check every processor before changing anything.
  for (const std::string& p : processors) {
    const NodeSpec* node = spec_.Find(p);
    if (node == nullptr) {
      Invalid(
          "state store '{}' is connected to processor '{}', which does not exist (add the "
          "processor first)",
          name, p);
    }
    if (node->kind != NodeKind::kProcessor) {
      Invalid("state store '{}' is connected to {} '{}'; only processors can use stores", name,
              NodeKindName(node->kind), p);
    }
  }
  const std::string store_name = name;
  spec_.stores.push_back(std::move(store));
  for (const std::string& p : processors) ConnectProcessorAndStateStores(p, {store_name});
  return *this;
}

Topology& Topology::ConnectProcessorAndStateStores(const std::string& processor,
                                                   const std::vector<std::string>& stores) {
  NodeSpec* node = nullptr;
  for (NodeSpec& n : spec_.nodes) {
    if (n.name == processor) node = &n;
  }
  if (node == nullptr) {
    Invalid("cannot connect state stores to processor '{}', which does not exist", processor);
  }
  if (node->kind != NodeKind::kProcessor) {
    Invalid("cannot connect state stores to {} '{}'; only processors can use stores",
            NodeKindName(node->kind), processor);
  }
  for (const std::string& s : stores) {
    if (std::none_of(spec_.stores.begin(), spec_.stores.end(),
                     [&](const StoreSpec& st) { return st.name == s; })) {
      Invalid(
          "cannot connect processor '{}' to state store '{}', which was not added "
          "(AddStateStore)",
          processor, s);
    }
  }
  for (const std::string& s : stores) {
    if (std::find(node->stores.begin(), node->stores.end(), s) == node->stores.end()) {
      node->stores.push_back(s);
    }
  }
  return *this;
}

std::string Topology::Describe() const {
  // The application id only names internal topics, which the description shows as declared;
  // the placeholder cannot collide with a (legal) external topic name.
  Result<runtime::ProcessorTopology> p =
      runtime::ProcessorTopology::Build(*this, "<application.id>");
  if (!p.ok()) return "Topologies:\n";
  return p->Describe();
}

}  // namespace brook
