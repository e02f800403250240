// Serdes: how a T becomes the bytes of a record key or value or of a store entry, and back.
//
// A serde for T is any type S with
//     std::string S::Serialize(const T&) const;
//     Result<T>   S::Deserialize(std::string_view bytes) const;   // no exceptions
//     static constexpr std::string_view kName;                    // for error messages
// (the SerdeFor<S, T> concept). Deserialize returns kInvalidArgument for malformed bytes,
// saying what was expected and what it got; the caller (typed store, source node, test
// driver) adds the store or topic and whether the key or the value failed. Serdes are copied
// freely (each node and store view holds its own copy), so keep them small.
//
// Built-in serdes, byte-compatible with Kafka's (org.apache.kafka.common.serialization):
//   StringSerde  std::string   the bytes as they are (StringSerde, UTF-8 or not)
//   BytesSerde   brook::Bytes  the bytes as they are (BytesSerde / ByteArraySerde)
//   Int32Serde   int32_t       4 bytes, big-endian two's complement (IntegerSerde)
//   Int64Serde   int64_t       8 bytes, big-endian two's complement (LongSerde)
//   DoubleSerde  double        8 bytes, big-endian IEEE 754 bits (DoubleSerde)
// Range scans order by bytes, so negative integers sort after positive ones.
// More serdes: JsonSerde<T> (brook/json_serde.h), TimeWindowedSerde<K> and
// SessionWindowedSerde<K> (brook/windowed.h).
//
// Defaults: DefaultSerde<T> (= DefaultSerdeOf<T>::type) is the serde used wherever a key or
// value type is given without a serde (Topology::AddSource/AddSink, the test driver's
// topics, typed store views, the DSL). The built-in types above have one; including
// brook/json_serde.h gives one to every class type nlohmann::json can convert, and
// brook/windowed.h to Windowed<K>. To make your own serde the default for your type, fully
// specialise DefaultSerdeOf in namespace brook::state, before the first use:
//     template <>
//     struct brook::state::DefaultSerdeOf<Order> { using type = OrderSerde; };
// A full specialisation wins over the generic JSON default. Any SerdeFor type can also be
// passed explicitly wherever a default would be used. A type without a default is a compile
// error at the point of use (HasDefaultSerde<T> tells).
//
// Thread-safety: the built-in serdes are stateless values, usable from any thread.
#pragma once

#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

#include "brook/status.h"

namespace brook {

// An opaque byte buffer: a record key or value kept as raw bytes (Kafka's Bytes / byte[]).
// A type of its own, distinct from std::string (text), so that it gets its own default serde
// (BytesSerde) and reads as "binary" in signatures. The bytes are a std::string, which holds
// any byte value including NUL and converts to std::string_view for free.
// Ordering (<=>) is lexicographic over unsigned bytes, like Kafka's Bytes.compareTo and like
// RocksDB's key order. Printing (operator<<) shows printable ASCII as is and other bytes as
// \xNN.
struct Bytes {
  std::string data;

  Bytes() = default;
  explicit Bytes(std::string bytes) : data(std::move(bytes)) {}
  explicit Bytes(std::string_view bytes) : data(bytes) {}
  explicit Bytes(const char* bytes) : data(bytes) {}
  // Bytes{0x00, 0xff, 0x61}
  Bytes(std::initializer_list<uint8_t> bytes) : data(bytes.begin(), bytes.end()) {}

  [[nodiscard]] size_t size() const { return data.size(); }
  [[nodiscard]] bool empty() const { return data.empty(); }
  [[nodiscard]] std::string_view view() const { return data; }
  // The byte at i as an unsigned value. Precondition: i < size().
  [[nodiscard]] uint8_t at(size_t i) const { return static_cast<uint8_t>(data[i]); }

  friend bool operator==(const Bytes&, const Bytes&) = default;
  // Written out rather than defaulted: clang-tidy 14 misreads a defaulted <=> as a
  // modernize-use-nullptr finding (as in ids.h).
  friend std::strong_ordering operator<=>(const Bytes& a, const Bytes& b) {
    return a.data <=> b.data;
  }
};

std::ostream& operator<<(std::ostream& os, const Bytes& bytes);

}  // namespace brook

template <>
struct std::hash<brook::Bytes> {
  size_t operator()(const brook::Bytes& b) const noexcept {
    return std::hash<std::string>()(b.data);
  }
};

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

struct BytesSerde {
  static constexpr std::string_view kName = "bytes";
  [[nodiscard]] std::string Serialize(const Bytes& v) const { return v.data; }
  [[nodiscard]] Result<Bytes> Deserialize(std::string_view bytes) const { return Bytes(bytes); }
};

struct Int32Serde {
  static constexpr std::string_view kName = "int32";
  [[nodiscard]] std::string Serialize(const int32_t& v) const;
  // Exactly 4 bytes.
  [[nodiscard]] Result<int32_t> Deserialize(std::string_view bytes) const;
};

struct Int64Serde {
  static constexpr std::string_view kName = "int64";
  [[nodiscard]] std::string Serialize(const int64_t& v) const;
  // Exactly 8 bytes.
  [[nodiscard]] Result<int64_t> Deserialize(std::string_view bytes) const;
};

struct DoubleSerde {
  static constexpr std::string_view kName = "double";
  [[nodiscard]] std::string Serialize(const double& v) const;
  // Exactly 8 bytes.
  [[nodiscard]] Result<double> Deserialize(std::string_view bytes) const;
};

// The default serde of T: `type`. Declared only; specialised per type (see the header
// comment). Generic defaults are constrained partial specialisations (brook/json_serde.h).
template <typename T>
struct DefaultSerdeOf;
template <>
struct DefaultSerdeOf<std::string> {
  using type = StringSerde;
};
template <>
struct DefaultSerdeOf<Bytes> {
  using type = BytesSerde;
};
template <>
struct DefaultSerdeOf<int32_t> {
  using type = Int32Serde;
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

// True when T has a default serde that is a serde for T. Evaluated where first used: use it
// after including the headers that declare the defaults.
template <typename T>
concept HasDefaultSerde = SerdeFor<typename DefaultSerdeOf<T>::type, T>;

}  // namespace brook::state
