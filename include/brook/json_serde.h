// JsonSerde<T>: record keys and values as JSON text (UTF-8), through nlohmann::json.
//
//   struct Order { std::string id; int64_t cents = 0; };
//   NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Order, id, cents)
//   t.AddSource<std::string, Order>("orders", {"orders"});   // JsonSerde<Order> by default
//
// Contract:
//  * T is anything nlohmann::json converts both ways (JsonConvertible<T>): a type with
//    to_json/from_json found by ADL (or NLOHMANN_DEFINE_TYPE_[NON_]INTRUSIVE), an
//    nlohmann::adl_serializer specialisation, a standard container or arithmetic type, or
//    nlohmann::json itself (any JSON document).
//  * Serialize writes compact JSON (json::dump() without indentation). Strings that are not
//    valid UTF-8 are written with U+FFFD in place of the bad bytes instead of throwing; NaN
//    and infinities become null (JSON has no such numbers). Exceptions thrown by a user's
//    to_json propagate.
//  * Deserialize never throws (except std::bad_alloc). The bytes must be exactly one JSON
//    document (surrounding whitespace allowed, no comments, no trailing data), with arrays
//    and objects nested at most kMaxDepth = 1000 deep (Jackson's default limit: nlohmann
//    copies and serializes recursively, so a deeper document could exhaust the stack of
//    whoever copies or re-serializes it). Errors, all kInvalidArgument:
//      too deep        "json: nesting deeper than 1000 levels at byte offset <i>"
//      invalid JSON    "json: invalid JSON at byte offset <i> of <n>: <nlohmann message>"
//                      (i: 0-based offset of the byte where parsing stopped, n at the end)
//      number overflow "json: invalid JSON (<n> bytes): <nlohmann message>" (e.g. 1e999)
//      not a T         "json: cannot convert the JSON document: <message>" (wrong type,
//                      missing key, or any exception of a user's from_json)
//    Caveat (nlohmann): a floating-point number out of the range of an integer field is
//    converted with a plain static_cast, not reported (undefined behaviour in C++; INT_MIN
//    in practice on x86-64). Validate such fields in your from_json when it matters.
//  * Defaults: including this header makes JsonSerde<T> the default serde
//    (state::DefaultSerde<T>) of every class type T that is JsonConvertible and has no other
//    default: a full specialisation of state::DefaultSerdeOf<T> (string, Bytes, your own)
//    and more specialised partial ones (Windowed<K>) win over it. Opt a type out with
//        template <> inline constexpr bool brook::kJsonIsDefaultSerde<MyType> = false;
//    (needed when another generic, constrained default also matches it). Include this
//    header in every translation unit that relies on the JSON default, before the first
//    use: a TU without it does not compile rather than silently picking another serde.
//
// Thread-safety: JsonSerde is a stateless value, usable from any thread.
#pragma once

#include <concepts>
#include <exception>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>

#include "brook/state/serde.h"
#include "brook/status.h"

namespace brook {

// nlohmann::json converts T to JSON and back (json(value) and json.get<T>() compile).
template <typename T>
concept JsonConvertible = std::same_as<T, nlohmann::json> ||
    requires(const T& value, const nlohmann::json& json) {
  nlohmann::json(value);
  json.template get<T>();
};

namespace internal {

// kInvalidArgument when the arrays and objects of `bytes` (read as JSON, strings skipped)
// nest deeper than max_depth; OK otherwise, whether or not the rest is valid JSON.
inline Status CheckJsonDepth(std::string_view bytes, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return Status::InvalidArgument("json: nesting deeper than " + std::to_string(max_depth) +
                                       " levels at byte offset " + std::to_string(i));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return Status::Ok();
}

}  // namespace internal

template <typename T>
requires JsonConvertible<T>
struct JsonSerde {
  static constexpr std::string_view kName = "json";
  // The deepest nesting of arrays and objects Deserialize accepts.
  static constexpr size_t kMaxDepth = 1000;

  [[nodiscard]] std::string Serialize(const T& value) const {
    constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
    if constexpr (std::is_same_v<T, nlohmann::json>) {
      return value.dump(-1, ' ', false, kReplace);
    } else {
      return nlohmann::json(value).dump(-1, ' ', false, kReplace);
    }
  }

  [[nodiscard]] Result<T> Deserialize(std::string_view bytes) const {
    BROOK_RETURN_IF_ERROR(internal::CheckJsonDepth(bytes, kMaxDepth));
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::parse_error& e) {
      // e.byte: 1-based index of the last byte read (n + 1 at the end of the input).
      const size_t offset = e.byte == 0 ? bytes.size() : e.byte - 1;
      return Status::InvalidArgument("json: invalid JSON at byte offset " + std::to_string(offset) +
                                     " of " + std::to_string(bytes.size()) + ": " + e.what());
    } catch (const nlohmann::json::exception& e) {  // e.g. out_of_range 406: number overflow
      return Status::InvalidArgument("json: invalid JSON (" + std::to_string(bytes.size()) +
                                     " bytes): " + e.what());
    }
    if constexpr (std::is_same_v<T, nlohmann::json>) {
      return json;
    } else {
      try {
        return json.template get<T>();
      } catch (const std::bad_alloc&) {
        throw;
      } catch (const std::exception& e) {
        return Status::InvalidArgument(std::string("json: cannot convert the JSON document: ") +
                                       e.what());
      } catch (...) {
        return Status::InvalidArgument(
            "json: cannot convert the JSON document: from_json threw a non-standard exception");
      }
    }
  }
};

// false: T never gets JsonSerde as its default serde (see the header comment).
template <typename T>
inline constexpr bool kJsonIsDefaultSerde = true;

}  // namespace brook

namespace brook::state {

// The generic JSON default: class types nlohmann converts, without a more specific default.
template <typename T>
requires std::is_class_v<T> && kJsonIsDefaultSerde<T> && JsonConvertible<T>
struct DefaultSerdeOf<T> {
  using type = JsonSerde<T>;
};

}  // namespace brook::state
