// Records of the Processor API: what a processor receives and forwards (Kafka Streams'
// api.Record), their headers, where a record came from (RecordMetadata), and KeyValue pairs.
//
// Contract: Record<K, V> is a plain value: key, value, timestamp (ms since the epoch) and
// headers. The With* helpers return a modified copy, possibly of other key/value types, and
// leave the original alone. A record forwarded unchanged keeps the timestamp and headers of
// the input record; sinks write the headers as Kafka record headers.
//
// Null keys and values: Kafka records may carry a null key or value. When K (or V) is
// std::optional<X>, a null deserializes to std::nullopt (the serde is a serde for X) and a
// sink writes std::nullopt as null. For any other type a null key/value deserializes to a
// value-initialized T{} (an empty string, 0), and sinks never write nulls.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brook {

// A record header. Kafka allows several headers with the same key, and null values.
struct Header {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const Header&) const = default;
};
using Headers = std::vector<Header>;

template <typename K, typename V>
struct Record {
  using KeyType = K;
  using ValueType = V;

  K key{};
  V value{};
  // Milliseconds since the epoch. Default: 0
  int64_t timestamp_ms = 0;
  // Default: none
  Headers headers;

  template <typename NewK>
  [[nodiscard]] Record<NewK, V> WithKey(NewK new_key) const& {
    return {std::move(new_key), value, timestamp_ms, headers};
  }
  template <typename NewK>
  [[nodiscard]] Record<NewK, V> WithKey(NewK new_key) && {
    return {std::move(new_key), std::move(value), timestamp_ms, std::move(headers)};
  }
  template <typename NewV>
  [[nodiscard]] Record<K, NewV> WithValue(NewV new_value) const& {
    return {key, std::move(new_value), timestamp_ms, headers};
  }
  template <typename NewV>
  [[nodiscard]] Record<K, NewV> WithValue(NewV new_value) && {
    return {std::move(key), std::move(new_value), timestamp_ms, std::move(headers)};
  }
  [[nodiscard]] Record WithTimestamp(int64_t new_timestamp_ms) const& {
    return {key, value, new_timestamp_ms, headers};
  }
  [[nodiscard]] Record WithTimestamp(int64_t new_timestamp_ms) && {
    return {std::move(key), std::move(value), new_timestamp_ms, std::move(headers)};
  }
  [[nodiscard]] Record WithHeaders(Headers new_headers) const& {
    return {key, value, timestamp_ms, std::move(new_headers)};
  }
  [[nodiscard]] Record WithHeaders(Headers new_headers) && {
    return {std::move(key), std::move(value), timestamp_ms, std::move(new_headers)};
  }

  bool operator==(const Record&) const = default;
};

// Where the record being processed was consumed from. `topic` views a string owned by the
// task and stays valid while the task exists.
struct RecordMetadata {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = -1;
};

// What a sink's TopicNameExtractor (topology.h) sees besides the key and value (Kafka
// Streams' RecordContext). Views are valid during the extractor call only.
struct RecordContext {
  // The input record the task is processing: "" and -1 inside a punctuation.
  std::string_view topic;
  int32_t partition = -1;
  int64_t offset = -1;
  // The timestamp of the record being written (ms since the epoch).
  int64_t timestamp_ms = 0;
  // The headers of the record being written; never null in an extractor call.
  const Headers* headers = nullptr;
};

template <typename K, typename V>
struct KeyValue {
  K key{};
  V value{};
  bool operator==(const KeyValue&) const = default;
};

}  // namespace brook
