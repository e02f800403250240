// Windowed keys: what windowed aggregations of the DSL produce (Kafka Streams' Window,
// Windowed<K>, TimeWindowedSerde and SessionWindowedSerde), and their serdes.
//
//   brook::Windowed<std::string> k{"alice", {.start_ms = 5000, .end_ms = 10000}};
//   brook::ToString(k)                                           // "[alice@5000/10000]"
//   brook::TimeWindowedSerde<std::string>(5000).Serialize(k)     // "alice" + 8-byte BE 5000
//
// Contract:
//  * Window is [start_ms, end_ms) for time windows (tumbling, hopping, sliding) and
//    [start_ms, end_ms] for session windows (end = the timestamp of the session's last
//    record), as in Kafka Streams.
//  * Windowed<K> compares by key, then window start, then window end. Ordering (<=>) needs K
//    to have <=> or <; equality needs ==.
//  * Byte formats, equal to Kafka Streams' (TimeWindowedSerializer/-Deserializer,
//    SessionWindowedSerializer/-Deserializer), so windowed results are readable by Kafka's
//    consumers and vice versa:
//        time-windowed:     key bytes | int64 BE window start
//        session-windowed:  key bytes | int64 BE window end | int64 BE window start
//    The key bytes are the inner serde's output, without a length: the window fields are
//    read from the end. The time-windowed format has no end: Deserialize computes it as
//    start + window_size_ms, or INT64_MAX when the window size is unknown (0, the default) or
//    when the sum overflows, like Kafka's deserializer.
//  * Serialize writes any window. Deserialize rejects with kInvalidArgument, naming lengths
//    and values: input shorter than the window fields, a negative window start, a session
//    end before its start (windows Kafka cannot represent either), a negative window size;
//    an error of the key's serde is returned with the prefix "<kName>: key (<inner kName>)".
//    Empty (non-null) bytes are an error; a null key maps to Windowed<K>{} or std::nullopt
//    like every other type (brook/internal/record_serde.h).
//  * DefaultSerde<Windowed<K>> is TimeWindowedSerde<K> with the window size unknown, over
//    DefaultSerde<K>. Pass the serde explicitly to deserialize window ends, or for
//    session-windowed keys.
//
// Thread-safety: values; the serdes are immutable after construction and usable from any
// thread when their key serde is.
#pragma once

#include <charconv>
#include <compare>
#include <concepts>
#include <cstdint>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "brook/internal/type_name.h"
#include "brook/state/serde.h"
#include "brook/status.h"

namespace brook {

struct Window {
  // Inclusive. Default: 0
  int64_t start_ms = 0;
  // Exclusive for time windows, inclusive for session windows. Default: 0
  int64_t end_ms = 0;

  friend bool operator==(const Window&, const Window&) = default;
  // Written out: clang-tidy 14 misreads a defaulted <=> (see ids.h).
  friend std::strong_ordering operator<=>(const Window& a, const Window& b) {
    const std::strong_ordering c = a.start_ms <=> b.start_ms;
    return std::is_neq(c) ? c : a.end_ms <=> b.end_ms;
  }
};

namespace internal {

// K can be ordered: it has <=>, or at least <.
template <typename K>
concept OrderedKey = std::three_way_comparable<K> || requires(const K& a, const K& b) {
  { a < b } -> std::convertible_to<bool>;
};

// a <=> b, or a weak ordering synthesised from < for a K without <=>.
template <OrderedKey K>
constexpr auto CompareKeys(const K& a, const K& b) {
  if constexpr (std::three_way_comparable<K>) {
    return a <=> b;
  } else {
    if (a < b) return std::weak_ordering::less;
    if (b < a) return std::weak_ordering::greater;
    return std::weak_ordering::equivalent;
  }
}

// K prints: an arithmetic type, text, or a type with operator<<.
template <typename K>
concept PrintableKey = std::is_arithmetic_v<K> || std::convertible_to<const K&, std::string_view> ||
    requires(std::ostream& os, const K& k) {
  os << k;
};

template <PrintableKey K>
void AppendPrintable(std::string& out, const K& key) {
  if constexpr (std::is_same_v<K, bool>) {
    out += key ? "true" : "false";
  } else if constexpr (std::is_arithmetic_v<K>) {
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), key);  // shortest round trip
    if (ec == std::errc()) out.append(buf, end);
  } else if constexpr (std::convertible_to<const K&, std::string_view>) {
    out += std::string_view(key);
  } else {
    std::ostringstream os;
    os << key;
    out += os.str();
  }
}

}  // namespace internal

template <typename K>
struct Windowed {
  // Default: K{}
  K key{};
  // Default: [0, 0)
  Window window;

  friend bool operator==(const Windowed&, const Windowed&) = default;
  friend auto operator<=>(const Windowed& a, const Windowed& b) requires internal::OrderedKey<K> {
    using Ordering =
        std::common_comparison_category_t<decltype(internal::CompareKeys(a.key, b.key)),
                                          std::strong_ordering>;
    if (const auto c = internal::CompareKeys(a.key, b.key); std::is_neq(c)) return Ordering(c);
    return Ordering(a.window <=> b.window);
  }
};

// Kafka's Window#toString: "Window{start=5, end=10}".
inline std::string ToString(const Window& window) {
  return "Window{start=" + std::to_string(window.start_ms) +
         ", end=" + std::to_string(window.end_ms) + "}";
}

// Kafka's Windowed#toString: "[key@start/end]", e.g. "[alice@5000/10000]". Numbers print in
// their shortest exact form, bool as true/false, brook::Bytes escaped (\xNN).
template <internal::PrintableKey K>
std::string ToString(const Windowed<K>& windowed) {
  std::string out = "[";
  internal::AppendPrintable(out, windowed.key);
  out += "@" + std::to_string(windowed.window.start_ms) + "/" +
         std::to_string(windowed.window.end_ms) + "]";
  return out;
}

namespace internal {

inline constexpr size_t kWindowTimestampSize = 8;

inline void AppendWindowTimestamp(std::string& out, int64_t ms) {
  out += state::Int64Serde().Serialize(ms);
}

// Precondition: bytes.size() >= pos + 8.
inline int64_t ReadWindowTimestamp(std::string_view bytes, size_t pos) {
  // Exactly 8 bytes cannot fail.
  return state::Int64Serde().Deserialize(bytes.substr(pos, kWindowTimestampSize)).value();
}

template <typename K, typename KS>
Result<K> DeserializeWindowedKey(const KS& key_serde, std::string_view key_bytes,
                                 std::string_view outer_name) {
  Result<K> key = key_serde.Deserialize(key_bytes);
  if (!key.ok()) {
    return key.status().WithContext(std::string(outer_name) + ": key (" + std::string(KS::kName) +
                                    ")");
  }
  return key;
}

inline Status TooShort(std::string_view name, std::string_view layout, size_t needed, size_t got) {
  return Status::InvalidArgument(std::string(name) + " needs at least " + std::to_string(needed) +
                                 " bytes (" + std::string(layout) + "), got " +
                                 std::to_string(got));
}

inline Status NegativeStart(std::string_view name, int64_t start_ms) {
  return Status::InvalidArgument(std::string(name) + ": window start " + std::to_string(start_ms) +
                                 " is negative");
}

}  // namespace internal

// Kafka's TimeWindowedSerde: key bytes | int64 BE window start.
template <typename K, typename KS = state::DefaultSerde<K>>
requires state::SerdeFor<KS, K>
struct TimeWindowedSerde {
  static constexpr std::string_view kName = "time-windowed";

  // The size of the windows, to compute a deserialized window's end (start + size). 0: not
  // known, the end is INT64_MAX. Negative: Deserialize fails. Default: 0
  int64_t window_size_ms = 0;
  // The serde of the key. Default: KS{}
  KS key_serde{};

  TimeWindowedSerde() = default;
  explicit TimeWindowedSerde(int64_t window_size, KS inner = KS())
      : window_size_ms(window_size), key_serde(std::move(inner)) {}

  [[nodiscard]] std::string Serialize(const Windowed<K>& value) const {
    std::string out = key_serde.Serialize(value.key);
    internal::AppendWindowTimestamp(out, value.window.start_ms);
    return out;
  }

  [[nodiscard]] Result<Windowed<K>> Deserialize(std::string_view bytes) const {
    if (window_size_ms < 0) {
      return Status::InvalidArgument(std::string(kName) + ": window size " +
                                     std::to_string(window_size_ms) + " is negative (0 = unknown)");
    }
    constexpr size_t kSuffix = internal::kWindowTimestampSize;
    if (bytes.size() < kSuffix) {
      return internal::TooShort(kName, "key bytes + 8-byte window start", kSuffix, bytes.size());
    }
    const size_t key_size = bytes.size() - kSuffix;
    const int64_t start = internal::ReadWindowTimestamp(bytes, key_size);
    if (start < 0) return internal::NegativeStart(kName, start);
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    const int64_t end =
        window_size_ms == 0 || start > kMax - window_size_ms ? kMax : start + window_size_ms;
    BROOK_ASSIGN_OR_RETURN(
        K key, internal::DeserializeWindowedKey<K>(key_serde, bytes.substr(0, key_size), kName));
    return Windowed<K>{std::move(key), Window{start, end}};
  }
};

// Kafka's SessionWindowedSerde: key bytes | int64 BE window end | int64 BE window start.
template <typename K, typename KS = state::DefaultSerde<K>>
requires state::SerdeFor<KS, K>
struct SessionWindowedSerde {
  static constexpr std::string_view kName = "session-windowed";

  // The serde of the key. Default: KS{}
  KS key_serde{};

  SessionWindowedSerde() = default;
  explicit SessionWindowedSerde(KS inner) : key_serde(std::move(inner)) {}

  [[nodiscard]] std::string Serialize(const Windowed<K>& value) const {
    std::string out = key_serde.Serialize(value.key);
    internal::AppendWindowTimestamp(out, value.window.end_ms);
    internal::AppendWindowTimestamp(out, value.window.start_ms);
    return out;
  }

  [[nodiscard]] Result<Windowed<K>> Deserialize(std::string_view bytes) const {
    constexpr size_t kSuffix = 2 * internal::kWindowTimestampSize;
    if (bytes.size() < kSuffix) {
      return internal::TooShort(kName, "key bytes + 8-byte window end + 8-byte window start",
                                kSuffix, bytes.size());
    }
    const size_t key_size = bytes.size() - kSuffix;
    const int64_t end = internal::ReadWindowTimestamp(bytes, key_size);
    const int64_t start =
        internal::ReadWindowTimestamp(bytes, key_size + internal::kWindowTimestampSize);
    if (start < 0) return internal::NegativeStart(kName, start);
    if (end < start) {
      return Status::InvalidArgument(std::string(kName) + ": window end " + std::to_string(end) +
                                     " is before its start " + std::to_string(start));
    }
    BROOK_ASSIGN_OR_RETURN(
        K key, internal::DeserializeWindowedKey<K>(key_serde, bytes.substr(0, key_size), kName));
    return Windowed<K>{std::move(key), Window{start, end}};
  }
};

namespace internal {

template <typename K>
struct TypeNameOf<Windowed<K>> {
  static std::string Get() { return "brook::Windowed<" + TypeNameOf<K>::Get() + ">"; }
};

}  // namespace internal

}  // namespace brook

namespace brook::state {

// Windowed<K> defaults to the time-windowed format, window size unknown.
template <HasDefaultSerde K>
struct DefaultSerdeOf<Windowed<K>> {
  using type = TimeWindowedSerde<K>;
};

}  // namespace brook::state
