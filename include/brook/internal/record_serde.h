// How record keys and values meet serdes, including Kafka's null keys and values (see
// brook/record.h): for T = std::optional<X> the serde may be a serde for X, and a null
// maps to std::nullopt both ways; for any other T a null deserializes to T{} and values are
// always written as bytes.
//
// RecordSerdeFor<S, T>: S is a serde for T (serde.h), or T is std::optional<X> and S is a
// serde for X. DefaultRecordSerde<T>: the built-in serde of T, or of X for optional<X>.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "brook/state/serde.h"
#include "brook/status.h"

namespace brook::internal {

template <typename T>
struct OptionalTraits {
  static constexpr bool kIsOptional = false;
  using Inner = T;
};
template <typename X>
struct OptionalTraits<std::optional<X>> {
  static constexpr bool kIsOptional = true;
  using Inner = X;
};

// True when T is std::optional<X> and S serializes X (not the optional itself).
template <typename S, typename T>
inline constexpr bool kSerdeOfInner =
    OptionalTraits<T>::kIsOptional&& state::SerdeFor<S, typename OptionalTraits<T>::Inner>;

template <typename S, typename T>
concept RecordSerdeFor = state::SerdeFor<S, T> || kSerdeOfInner<S, T>;

template <typename T>
using DefaultRecordSerde = state::DefaultSerde<typename OptionalTraits<T>::Inner>;

// Null bytes -> std::nullopt (optional T) or T{}; otherwise the serde's result.
template <typename T, typename S>
requires RecordSerdeFor<S, T> Result<T> DeserializeNullable(const S& serde,
                                                            std::optional<std::string_view> bytes) {
  if (!bytes) return T{};
  if constexpr (kSerdeOfInner<S, T>) {
    auto r = serde.Deserialize(*bytes);
    if (!r.ok()) return std::move(r).status();
    return T(std::move(r).value());
  } else {
    return serde.Deserialize(*bytes);
  }
}

// std::nullopt (null) for an empty optional T whose serde is for X; bytes otherwise.
template <typename T, typename S>
requires RecordSerdeFor<S, T> std::optional<std::string> SerializeNullable(const S& serde,
                                                                           const T& value) {
  if constexpr (kSerdeOfInner<S, T>) {
    if (!value) return std::nullopt;
    return serde.Serialize(*value);
  } else {
    return serde.Serialize(value);
  }
}

}  // namespace brook::internal
