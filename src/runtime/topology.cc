// Topology builder checks and Describe() (brook/topology.h).
#include "brook/topology.h"

#include <algorithm>
#include <set>

#include "runtime/processor_topology.h"

namespace brook {
namespace {

using internal::NodeKind;
using internal::NodeKindName;
using internal::NodeSpec;

[[noreturn]] void Invalid(const std::string& message) {
  throw Error(StatusCode::kInvalidArgument, "Topology: " + message);
}

// Kafka's legal topic characters; also safe in a directory name.
bool LegalNameChars(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

constexpr size_t kMaxTopicLength = 249;  // Kafka's limit
// Leaves room for "<application.id>-" and "-changelog" within Kafka's topic name limit.
constexpr size_t kMaxStoreNameLength = 180;

void CheckTopicName(std::string_view topic, const std::string& node) {
  if (topic.empty()) Invalid("node '" + node + "' names an empty topic");
  if (topic.size() > kMaxTopicLength || topic == "." || topic == ".." || !LegalNameChars(topic)) {
    Invalid("node '" + node + "': invalid topic name '" + std::string(topic) +
            "' (use up to 249 of [a-zA-Z0-9._-], not '.' or '..')");
  }
}

std::string RecordTypeName(const internal::TypeTag& key, const internal::TypeTag& value) {
  return "Record<" + key.name + ", " + value.name + ">";
}

}  // namespace

const internal::NodeSpec* internal::TopologySpec::Find(std::string_view name) const {
  for (const NodeSpec& n : nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

void Topology::ThrowNullProcessor(const std::string& name) {
  throw Error(StatusCode::kInvalidArgument,
              "the processor supplier of '" + name + "' returned a null processor");
}

void Topology::AddNode(internal::NodeSpec spec) {
  const std::string kind(NodeKindName(spec.kind));
  if (spec.name.empty()) Invalid("a " + kind + " node needs a non-empty name");
  if (spec_.Find(spec.name) != nullptr) {
    Invalid("a node named '" + spec.name + "' already exists; node names must be unique");
  }

  if (spec.kind == NodeKind::kSource) {
    if (spec.topics.empty()) Invalid("source '" + spec.name + "' reads no topics");
    std::set<std::string> seen;
    for (const std::string& t : spec.topics) {
      CheckTopicName(t, spec.name);
      if (!seen.insert(t).second)
        Invalid("source '" + spec.name + "' lists topic '" + t + "' twice");
      for (const NodeSpec& other : spec_.nodes) {
        if (other.kind == NodeKind::kSource &&
            std::find(other.topics.begin(), other.topics.end(), t) != other.topics.end()) {
          Invalid("topic '" + t + "' is already read by source '" + other.name + "'; source '" +
                  spec.name + "' cannot read it too");
        }
      }
    }
  } else {
    if (spec.kind == NodeKind::kSink) CheckTopicName(spec.topic, spec.name);
    if (spec.parents.empty()) Invalid(kind + " '" + spec.name + "' needs at least one parent");
    std::set<std::string> seen;
    for (const std::string& p : spec.parents) {
      if (!seen.insert(p).second) {
        Invalid(kind + " '" + spec.name + "' lists parent '" + p + "' twice");
      }
      if (p == spec.name) Invalid(kind + " '" + spec.name + "' cannot be its own parent");
      const NodeSpec* parent = spec_.Find(p);
      if (parent == nullptr) {
        Invalid(kind + " '" + spec.name + "' names parent '" + p +
                "', which does not exist (add parents before their children)");
      }
      if (parent->kind == NodeKind::kSink) {
        Invalid(kind + " '" + spec.name + "' names sink '" + p +
                "' as its parent; sinks have no children");
      }
      if (!(parent->key_out == spec.key_in) || !(parent->value_out == spec.value_in)) {
        const std::string parent_kind(NodeKindName(parent->kind));
        if (parent->key_out.name == "void" && parent->value_out.name == "void") {
          Invalid(kind + " '" + spec.name + "' takes " +
                  RecordTypeName(spec.key_in, spec.value_in) + " but its parent " + parent_kind +
                  " '" + p + "' forwards nothing (its output types are void)");
        }
        Invalid(kind + " '" + spec.name + "' takes " + RecordTypeName(spec.key_in, spec.value_in) +
                " but its parent " + parent_kind + " '" + p + "' forwards " +
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
    Invalid("invalid state store name '" + name + "' (use up to " +
            std::to_string(kMaxStoreNameLength) + " of [a-zA-Z0-9._-], not '.' or '..')");
  }
  for (const StoreSpec& s : spec_.stores) {
    if (s.name == name) Invalid("a state store named '" + name + "' already exists");
  }
  if (store.kind != StoreKind::kKeyValue) {
    const std::string kind = store.kind == StoreKind::kWindow ? "window" : "session";
    if (store.backend == StoreBackend::kInMemory) {
      Invalid(kind + " store '" + name + "' cannot be in-memory (only key-value stores can)");
    }
    if (store.retention_ms <= 0) {
      Invalid(kind + " store '" + name + "' needs a positive retention, got " +
              std::to_string(store.retention_ms) + " ms");
    }
    if (store.segment_interval_ms < 0) {
      Invalid(kind + " store '" + name + "' has a negative segment interval");
    }
  }
  // Check every processor before changing anything.
  for (const std::string& p : processors) {
    const NodeSpec* node = spec_.Find(p);
    if (node == nullptr) {
      Invalid("state store '" + name + "' is connected to processor '" + p +
              "', which does not exist (add the processor first)");
    }
    if (node->kind != NodeKind::kProcessor) {
      Invalid("state store '" + name + "' is connected to " +
              std::string(NodeKindName(node->kind)) + " '" + p +
              "'; only processors can use stores");
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
    Invalid("cannot connect state stores to processor '" + processor + "', which does not exist");
  }
  if (node->kind != NodeKind::kProcessor) {
    Invalid("cannot connect state stores to " + std::string(NodeKindName(node->kind)) + " '" +
            processor + "'; only processors can use stores");
  }
  for (const std::string& s : stores) {
    if (std::none_of(spec_.stores.begin(), spec_.stores.end(),
                     [&](const StoreSpec& st) { return st.name == s; })) {
      Invalid("cannot connect processor '" + processor + "' to state store '" + s +
              "', which was not added (AddStateStore)");
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
  Result<runtime::ProcessorTopology> p = runtime::ProcessorTopology::Build(*this);
  if (!p.ok()) return "Topologies:\n";
  return p->Describe();
}

}  // namespace brook
