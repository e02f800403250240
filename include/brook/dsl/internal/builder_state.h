// The shared state behind a StreamsBuilder and every KStream/KTable it made (not for
// applications): the Topology being built and the counter of generated names.
//
// Contract: DSL operators add their nodes to `topology` at once (eagerly), in the order
// the application calls them, so a parent always exists before its child. Generated names
// are "<PREFIX><10-digit index>" with one index per builder, incremented for each name, as
// Kafka Streams does ("KSTREAM-FILTER-0000000001").
//
// Thread-safety: one thread builds; KStream/KTable handles share this state.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brook/internal/record_serde.h"
#include "brook/record.h"
#include "brook/state/query_codec.h"
#include "brook/status.h"
#include "brook/stores.h"
#include "brook/topology.h"

namespace brook::internal::dsl {

struct BuilderState {
  Topology topology;
  int64_t next_index = 0;
  // Windowed aggregation nodes -> how long after a window's end it closes (the grace), for
  // Suppressed::UntilWindowCloses (see windowing.h).
  std::map<std::string, int64_t> window_close_ms;

  // A fresh "<prefix><index>" name.
  std::string NewName(std::string_view prefix);
  // `given` when non-empty, else a fresh name.
  std::string NameOr(const std::string& given, std::string_view prefix) {
    return given.empty() ? NewName(prefix) : given;
  }
};

using BuilderPtr = std::shared_ptr<BuilderState>;

// Reasons passed to ProcessingContext::RecordDropped by the DSL's processors.
inline constexpr std::string_view kDroppedLate = "late";             // window closed
inline constexpr std::string_view kDroppedNullKey = "null-key";      // a key is needed
inline constexpr std::string_view kDroppedNullValue = "null-value";  // a value is needed

// Throws brook::Error (kInvalidArgument) "<operator>: <message>".
[[noreturn]] void ThrowDslError(std::string_view op, std::string_view message);

template <typename T>
inline constexpr bool kIsOptional = OptionalTraits<T>::kIsOptional;

// The default serde of T for DSL options, or NoDefaultSerde<T> when T has none. Options
// name their serdes as template arguments defaulted to DslSerde<K>; a placeholder instead
// of a hard error lets the compiler get past the declarations, and CheckSerdes() says what
// is missing where a serde is actually needed.
template <typename T>
struct NoDefaultSerde {
  static constexpr std::string_view kName = "none";
};
template <typename T>
struct DslSerdeOf {
  using type = NoDefaultSerde<T>;
};
template <typename T>
requires requires {
  typename DefaultRecordSerde<T>;
}
struct DslSerdeOf<T> {
  using type = DefaultRecordSerde<T>;
};
template <typename T>
using DslSerde = typename DslSerdeOf<T>::type;

template <typename K, typename V, typename KS, typename VS>
constexpr void CheckSerdes() {
  static_assert(RecordSerdeFor<KS, K>,
                "no serde for the key type: pass one in the operator's options (Consumed, "
                "Produced, Grouped, Materialized, ...) or specialise "
                "brook::state::DefaultSerdeOf for it");
  static_assert(RecordSerdeFor<VS, V>,
                "no serde for the value type: pass one in the operator's options (Consumed, "
                "Produced, Grouped, Materialized, ...) or specialise "
                "brook::state::DefaultSerdeOf for it");
}

// The interactive-query codec of a DSL store: set whenever the key has a text form and
// the value a JSON form (state/query_codec.h), so every named store is queryable over HTTP;
// nullptr otherwise (the store is still usable, just not over HTTP).
template <typename K, typename V, typename KS, typename VS>
std::shared_ptr<const StoreQueryCodec> QueryCodecFor(const KS& key_serde, const VS& value_serde) {
  if constexpr (state::QueryKeyType<K> && state::QueryValueType<V> && state::SerdeFor<KS, K> &&
                state::SerdeFor<VS, V>) {
    return state::MakeQueryCodec<K, V, KS, VS>(key_serde, value_serde);
  } else {
    return nullptr;
  }
}

// Adds the sink -> internal topic -> source hop that re-partitions the output of `parent`
// by key: internal topic "<base>-repartition" (resolved to "<application.id>-<base>-
// repartition" by the runtime) with `partitions` (-1: derived), sink "<base>-repartition-
// sink", source "<base>-repartition-source". Returns the source's name.
template <typename K, typename V, typename KS, typename VS>
std::string AddRepartition(BuilderState& b, const std::string& parent, const std::string& base,
                           const KS& key_serde, const VS& value_serde, int32_t partitions) {
  CheckSerdes<K, V, KS, VS>();
  const std::string topic = base + "-repartition";
  b.topology.AddInternalTopic(topic, InternalTopicSpec{.partitions = partitions});
  b.topology.AddSink<K, V, KS, VS>(base + "-repartition-sink", topic, {parent}, key_serde,
                                   value_serde);
  std::string source = base + "-repartition-source";
  b.topology.AddSource<K, V, KS, VS>(source, {topic}, key_serde, value_serde);
  return source;
}

// Re-partitions a grouped stream when its key changed; given the base name (the grouping's
// name or the aggregation's store name), returns the node the aggregation reads.
using RepartitionFn = std::function<std::string(BuilderState& b, const std::string& base)>;

// Key-value traits of what a Map function returns: KeyValue<K, V> or std::pair<K, V>.
template <typename T>
struct KeyValueTraits;
template <typename K, typename V>
struct KeyValueTraits<KeyValue<K, V>> {
  using Key = K;
  using Value = V;
  static K&& TakeKey(KeyValue<K, V>& kv) { return std::move(kv.key); }
  static V&& TakeValue(KeyValue<K, V>& kv) { return std::move(kv.value); }
};
template <typename K, typename V>
struct KeyValueTraits<std::pair<K, V>> {
  using Key = K;
  using Value = V;
  static K&& TakeKey(std::pair<K, V>& kv) { return std::move(kv.first); }
  static V&& TakeValue(std::pair<K, V>& kv) { return std::move(kv.second); }
};

// Calls f(key, value) when f takes both, else f(value) (Kafka's ValueMapperWithKey vs
// ValueMapper, and the same for predicates and actions).
template <typename F, typename K, typename V>
decltype(auto) InvokeKV(F& f, const K& key, const V& value) {
  if constexpr (std::is_invocable_v<F&, const K&, const V&>) {
    return f(key, value);
  } else {
    static_assert(std::is_invocable_v<F&, const V&>,
                  "the function must take (const K& key, const V& value) or (const V& value)");
    return f(value);
  }
}
template <typename F, typename K, typename V>
struct KVResult {
  using type = typename std::conditional_t<std::is_invocable_v<F&, const K&, const V&>,
                                           std::invoke_result<F&, const K&, const V&>,
                                           std::invoke_result<F&, const V&>>::type;
};
template <typename F, typename K, typename V>
using KVResultT = typename KVResult<F, K, V>::type;

}  // namespace brook::internal::dsl
