// Non-template parts of the node graph (brook/internal/node.h) and type names
// (brook/internal/type_name.h).
#include "brook/internal/node.h"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <memory>
#include <typeinfo>

#include "brook/internal/type_name.h"

namespace brook::internal {

std::string DemangledName(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(type.name());
}

std::string_view NodeKindName(NodeKind kind) {
  switch (kind) {
    case NodeKind::kSource:
      return "source";
    case NodeKind::kProcessor:
      return "processor";
    case NodeKind::kSink:
      return "sink";
  }
  return "node";
}

Status CurrentExceptionStatus() {
  try {
    throw;
  } catch (const Error& e) {
    return {e.code(), e.what()};
  } catch (const std::exception& e) {
    return Status::Internal(DemangledName(typeid(e)) + ": " + e.what());
  } catch (...) {
    return Status::Internal("an exception of unknown type");
  }
}

void CheckStoreConnected(const NodeInstance& node, std::string_view store) {
  const std::vector<std::string>& stores = node.stores();
  if (std::find(stores.begin(), stores.end(), store) != stores.end()) return;
  throw Error(StatusCode::kFailedPrecondition,
              std::string(NodeKindName(node.kind())) + " '" + node.name() +
                  "' is not connected to state store '" + std::string(store) +
                  "' (connect them with Topology::AddStateStore or "
                  "ConnectProcessorAndStateStores)");
}

void ThrowWrongStoreKind(const NodeInstance& node, std::string_view store,
                         std::string_view wanted_kind) {
  throw Error(StatusCode::kFailedPrecondition,
              std::string(NodeKindName(node.kind())) + " '" + node.name() + "': state store '" +
                  std::string(store) + "' is not a " + std::string(wanted_kind) + " store");
}

void ThrowUnknownChild(const NodeInstance& node, std::string_view child) {
  std::string children;
  for (const NodeInstance* c : node.children()) {
    if (!children.empty()) children += ", ";
    children += c->name();
  }
  throw Error(StatusCode::kInvalidArgument, std::string(NodeKindName(node.kind())) + " '" +
                                                node.name() + "' cannot forward to '" +
                                                std::string(child) +
                                                "': not one of its children [" + children + "]");
}

void ThrowBadInterval(const NodeInstance& node, int64_t interval_ms) {
  throw Error(StatusCode::kInvalidArgument,
              std::string(NodeKindName(node.kind())) + " '" + node.name() +
                  "': a punctuation interval must be at least 1 ms, got " +
                  std::to_string(interval_ms) + " ms");
}

Status DeserializationError(const Status& status, const NodeInstance& node, std::string_view what,
                            std::string_view serde) {
  return status.WithContext(std::string(NodeKindName(node.kind())) + " '" + node.name() +
                            "': cannot deserialize " + std::string(what) + " (" +
                            std::string(serde) + ")");
}

Status CheckTopicName(std::string_view topic) {
  constexpr size_t kMaxTopicLength = 249;  // Kafka's limit
  if (topic.empty()) return Status::InvalidArgument("empty topic name");
  const bool legal_chars = std::all_of(topic.begin(), topic.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
  if (topic.size() > kMaxTopicLength || topic == "." || topic == ".." || !legal_chars) {
    return Status::InvalidArgument("invalid topic name '" + std::string(topic) + "' (use up to " +
                                   std::to_string(kMaxTopicLength) +
                                   " of [a-zA-Z0-9._-], not '.' or '..')");
  }
  return Status::Ok();
}

}  // namespace brook::internal
