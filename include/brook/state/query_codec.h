// MakeQueryCodec: a StoreQueryCodec (brook/stores.h) built from a store's key and value
// serdes, so that the store can be read over HTTP (interactive queries):
//
//   topology.AddStateStore(brook::stores::PersistentKeyValue("counts").WithQueryCodec(
//                              brook::state::MakeQueryCodec<std::string, int64_t>()),
//                          {"count"});
//
// Key text (the <key> of GET /stores/<store>/keys/<key>, percent-decoded) by key type:
//   std::string              the text as it is
//   integers (int32, int64)  a decimal number in the type's range ("42", "-7"); nothing else
//   double, float            a decimal or scientific number ("2.5", "1e3")
//   bool                     "true" or "false"
//   other types              the JSON of the key ({"id":7}) when nlohmann::json converts it
//                            (from_json), e.g. keys with a JsonSerde (brook/json_serde.h)
// JSON rendering of keys and values: strings as JSON strings (invalid UTF-8 replaced by
// U+FFFD), numbers as numbers (NaN and infinities as null), other types through nlohmann's
// to_json. The bytes go through the given serdes (default: DefaultSerde<K>, DefaultSerde<V>),
// which must be the serdes the store is written with. For a nullable value type
// std::optional<X>, use MakeQueryCodec<K, X> (a null value is a deleted entry anyway).
//
// Errors: kInvalidArgument naming the text (bad key text) or the serde (bytes that do not
// deserialize). A key or value type with no text or JSON form is a compile error.
//
// Thread-safety: the codec is immutable; its serdes must be stateless (all brook serdes are).
#pragma once

#include <charconv>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "brook/state/serde.h"
#include "brook/status.h"
#include "brook/stores.h"

namespace brook::state {
namespace query_codec_internal {

template <typename T>
inline constexpr bool kAlwaysFalse = false;

template <typename T>
concept JsonReadable = requires(const nlohmann::json& j) {
  j.template get<T>();
};

}  // namespace query_codec_internal

// Key types MakeQueryCodec can parse from URL text, value types it can render as JSON.
template <typename K>
concept QueryKeyType = std::is_same_v<K, std::string> || std::is_integral_v<K> ||
    std::is_floating_point_v<K> || query_codec_internal::JsonReadable<K>;
template <typename V>
concept QueryValueType = std::is_constructible_v<nlohmann::json, const V&>;

namespace query_codec_internal {

inline std::string Quoted(std::string_view text) {
  constexpr size_t kMax = 80;
  return "'" + std::string(text.substr(0, kMax)) + (text.size() > kMax ? "...'" : "'");
}

template <typename K>
Result<K> ParseKeyText(std::string_view text, std::string_view serde_name) {
  if constexpr (std::is_same_v<K, std::string>) {
    return std::string(text);
  } else if constexpr (std::is_same_v<K, bool>) {
    if (text == "true") return true;
    if (text == "false") return false;
    return Status::InvalidArgument("key " + Quoted(text) + " is not a valid " +
                                   std::string(serde_name) + " (true or false)");
  } else if constexpr (std::is_integral_v<K>) {
    K value{};
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end) {
      return Status::InvalidArgument("key " + Quoted(text) + " is not a valid " +
                                     std::string(serde_name) + " (a decimal integer from " +
                                     std::to_string(std::numeric_limits<K>::min()) + " to " +
                                     std::to_string(std::numeric_limits<K>::max()) + ")");
    }
    return value;
  } else if constexpr (std::is_floating_point_v<K>) {
    K value{};
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end) {
      return Status::InvalidArgument("key " + Quoted(text) + " is not a valid " +
                                     std::string(serde_name) + " (a decimal number)");
    }
    return value;
  } else if constexpr (JsonReadable<K>) {
    try {
      return nlohmann::json::parse(text).template get<K>();
    } catch (const nlohmann::json::exception& e) {
      return Status::InvalidArgument("key " + Quoted(text) + " is not the JSON of a " +
                                     std::string(serde_name) + " key: " + e.what());
    }
  } else {
    static_assert(kAlwaysFalse<K>,
                  "MakeQueryCodec: the key type has no text form (string, integer, floating "
                  "point, bool, or a type nlohmann::json can read)");
  }
}

template <typename T>
nlohmann::json ToJson(const T& value) {
  // Strings, numbers and bool directly; other types through their to_json.
  if constexpr (std::is_constructible_v<nlohmann::json, const T&>) {
    return nlohmann::json(value);
  } else {
    static_assert(kAlwaysFalse<T>,
                  "MakeQueryCodec: the type has no JSON form (string, number, bool, or a type "
                  "with an nlohmann to_json)");
  }
}

inline std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

template <typename K, typename V, typename KS, typename VS>
class SerdeQueryCodec final : public StoreQueryCodec {
 public:
  SerdeQueryCodec(KS key_serde, VS value_serde)
      : key_serde_(std::move(key_serde)), value_serde_(std::move(value_serde)) {}

  [[nodiscard]] Result<std::string> KeyFromText(std::string_view text) const override {
    Result<K> key = ParseKeyText<K>(text, KS::kName);
    if (!key.ok()) return key.status();
    return key_serde_.Serialize(*key);
  }
  [[nodiscard]] Result<std::string> KeyToJson(std::string_view bytes) const override {
    Result<K> key = key_serde_.Deserialize(bytes);
    if (!key.ok()) {
      return Status::InvalidArgument("key bytes do not deserialize with the " +
                                     std::string(KS::kName) + " serde: " + key.status().message());
    }
    return Dump(ToJson(*key));
  }
  [[nodiscard]] Result<std::string> ValueToJson(std::string_view bytes) const override {
    Result<V> value = value_serde_.Deserialize(bytes);
    if (!value.ok()) {
      return Status::InvalidArgument("value bytes do not deserialize with the " +
                                     std::string(VS::kName) +
                                     " serde: " + value.status().message());
    }
    return Dump(ToJson(*value));
  }

 private:
  KS key_serde_;
  VS value_serde_;
};

}  // namespace query_codec_internal

template <typename K, typename V, typename KS = DefaultSerde<K>, typename VS = DefaultSerde<V>>
requires SerdeFor<KS, K> && SerdeFor<VS, V> std::shared_ptr<const StoreQueryCodec> MakeQueryCodec(
    KS key_serde = KS(), VS value_serde = VS()) {
  return std::make_shared<const query_codec_internal::SerdeQueryCodec<K, V, KS, VS>>(
      std::move(key_serde), std::move(value_serde));
}

}  // namespace brook::state
