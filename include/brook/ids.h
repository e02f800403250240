// Strong types for the identifiers brook passes around (partition, offset, generation,
// member id, ...), so that a partition cannot be passed where an offset is expected.
//
// Contract: StrongId<T, Tag> wraps one T, is ordered and hashable, and converts back only
// explicitly through value(). Thread-safety: values.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>

namespace brook {

template <typename T, typename Tag>
class StrongId {
 public:
  using value_type = T;
  constexpr StrongId() = default;
  constexpr explicit StrongId(T v) : v_(std::move(v)) {}
  [[nodiscard]] constexpr const T& value() const { return v_; }
  constexpr auto operator<=>(const StrongId&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const StrongId& id) { return os << id.v_; }

 private:
  T v_{};
};

using PartitionId = StrongId<int32_t, struct PartitionIdTag>;
using Offset = StrongId<int64_t, struct OffsetTag>;
using GenerationId = StrongId<int32_t, struct GenerationIdTag>;
using MemberId = StrongId<std::string, struct MemberIdTag>;

// A task is the unit of work and of state: one partition of one sub-topology, written
// "<subtopology>_<partition>" as in Kafka Streams (e.g. "0_3"). Ordered by subtopology,
// then partition.
struct TaskId {
  int32_t subtopology = 0;
  int32_t partition = 0;
  // Written out rather than defaulted: clang-tidy 14 misreads the defaulted <=> (its
  // comparison against the literal 0) as a modernize-use-nullptr finding.
  constexpr std::strong_ordering operator<=>(const TaskId& o) const {
    const std::strong_ordering c = subtopology <=> o.subtopology;
    return std::is_neq(c) ? c : partition <=> o.partition;
  }
  constexpr bool operator==(const TaskId&) const = default;
  [[nodiscard]] std::string ToString() const {
    return std::to_string(subtopology) + "_" + std::to_string(partition);
  }
  friend std::ostream& operator<<(std::ostream& os, const TaskId& t) {
    return os << t.subtopology << '_' << t.partition;
  }
};

}  // namespace brook

template <>
struct std::hash<brook::TaskId> {
  size_t operator()(const brook::TaskId& t) const noexcept {
    return std::hash<uint64_t>{}(
        (static_cast<uint64_t>(static_cast<uint32_t>(t.subtopology)) << 32) |
        static_cast<uint32_t>(t.partition));
  }
};

template <typename T, typename Tag>
struct std::hash<brook::StrongId<T, Tag>> {
  size_t operator()(const brook::StrongId<T, Tag>& id) const noexcept {
    return std::hash<T>{}(id.value());
  }
};
