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

}  // namespace brook

template <typename T, typename Tag>
struct std::hash<brook::StrongId<T, Tag>> {
  size_t operator()(const brook::StrongId<T, Tag>& id) const noexcept {
    return std::hash<T>{}(id.value());
  }
};
