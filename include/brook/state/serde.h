// Serdes of the typed store layer: how a T becomes the bytes a store keeps, and back.
//
// A serde for T is any type S with
//     std::string S::Serialize(const T&) const;
//     Result<T>   S::Deserialize(std::string_view bytes) const;   // no exceptions
//     static constexpr std::string_view kName;                    // for error messages
// (the SerdeFor<S, T> concept). Deserialize returns kInvalidArgument for malformed bytes,
// saying what was expected and what it got; the typed store adds the store name and which
// key or value failed.
//
// Built-in serdes, byte-compatible with Kafka's StringSerde, LongSerde and DoubleSerde:
//   StringSerde  std::string  the bytes as they are
//   Int64Serde   int64_t      8 bytes, big-endian two's complement. Note: range scans order
//                             by bytes, so negative numbers sort after positive ones.
//   DoubleSerde  double       8 bytes, big-endian IEEE 754 bits
// DefaultSerde<T> names the built-in serde of T.
//
// Thread-safety: serdes are stateless values.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

#include "brook/status.h"

namespace brook::state {

template <typename S, typename T>
concept SerdeFor = requires(const S& serde, const T& value, std::string_view bytes) {
  { serde.Serialize(value) } -> std::same_as<std::string>;
  { serde.Deserialize(bytes) } -> std::same_as<Result<T>>;
  { S::kName } -> std::convertible_to<std::string_view>;
};

struct StringSerde {
  static constexpr std::string_view kName = "string";
  [[nodiscard]] std::string Serialize(const std::string& v) const { return v; }
  [[nodiscard]] Result<std::string> Deserialize(std::string_view bytes) const {
    return std::string(bytes);
  }
};

struct Int64Serde {
  static constexpr std::string_view kName = "int64";
  [[nodiscard]] std::string Serialize(const int64_t& v) const;
  [[nodiscard]] Result<int64_t> Deserialize(std::string_view bytes) const;
};

struct DoubleSerde {
  static constexpr std::string_view kName = "double";
  [[nodiscard]] std::string Serialize(const double& v) const;
  [[nodiscard]] Result<double> Deserialize(std::string_view bytes) const;
};

template <typename T>
struct DefaultSerdeOf;
template <>
struct DefaultSerdeOf<std::string> {
  using type = StringSerde;
};
template <>
struct DefaultSerdeOf<int64_t> {
  using type = Int64Serde;
};
template <>
struct DefaultSerdeOf<double> {
  using type = DoubleSerde;
};
template <typename T>
using DefaultSerde = typename DefaultSerdeOf<T>::type;

}  // namespace brook::state
