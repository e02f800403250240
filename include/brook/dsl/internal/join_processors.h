// The processors and value getters behind the DSL's joins (brook/dsl/joins.h; not for
// applications): stream-table, table-table and windowed stream-stream joins.
//
// Contract:
//  * Joiners are stored by value and called as the join kind dictates: inner joins give both
//    values, left joins std::optional for the right side, outer joins std::optional for both
//    (std::nullopt: no match). Stream joins also accept a joiner taking the key first.
//  * Stream-table: each stream record looks its key up through the table's value getter;
//    table updates reach only the table. Table-table: an update of either side looks the other
//    side up and forwards Change{new result, old result}; no change when the key is in the
//    join neither before nor after.
//  * Stream-stream: each side keeps its records in a window store, one entry per (key,
//    timestamp) holding the list of values with that key and timestamp (duplicates join
//    too). Left/outer joins keep the records still without a match in a shared key-value
//    store keyed [side][timestamp][key] until their window closes (see joins.h).
//  * Dropped records are reported through ProcessingContext::RecordDropped with the
//    reasons "null-key", "null-value" and "late".
//
// Thread-safety: processors belong to one task, used by one thread at a time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "brook/dsl/internal/builder_state.h"
#include "brook/dsl/internal/processors.h"
#include "brook/dsl/options.h"
#include "brook/internal/record_serde.h"
#include "brook/processor.h"
#include "brook/record.h"
#include "brook/state/key_value_store.h"
#include "brook/state/typed_views.h"
#include "brook/state/window_store.h"

namespace brook::internal::dsl {

enum class JoinKind { kInner, kLeft, kOuter };

// ---------------------------------------------------------------------------------------
// Joiners

// joiner(key, a, b) when it takes the key, else joiner(a, b) (Kafka's ValueJoinerWithKey
// and ValueJoiner).
template <typename F, typename K, typename A, typename B>
decltype(auto) InvokeJoiner(F& f, const K& key, const A& a, const B& b) {
  if constexpr (std::is_invocable_v<F&, const K&, const A&, const B&>) {
    return f(key, a, b);
  } else {
    static_assert(std::is_invocable_v<F&, const A&, const B&>,
                  "the joiner must take (value, other_value) or (key, value, other_value); "
                  "a left join's other value is a std::optional, an outer join's both are");
    return f(a, b);
  }
}

template <typename T>
std::optional<T> OptionalOf(const T* p) {
  return p ? std::optional<T>(*p) : std::nullopt;
}

// The joiner of a join kind applied to a left and a right value, either possibly absent
// (nullptr) as the kind allows: inner needs both, left the left one.
template <JoinKind kKind, bool kWithKey, typename F, typename K, typename L, typename R>
auto CallJoiner(F& f, const K& key, const L* l, const R* r) {
  auto call = [&](const auto& a, const auto& b) {
    if constexpr (kWithKey) {
      return InvokeJoiner(f, key, a, b);
    } else {
      static_assert(std::is_invocable_v<F&, decltype(a), decltype(b)>,
                    "a table join's joiner takes (value, other_value); a left join's other "
                    "value is a std::optional, an outer join's both are");
      return f(a, b);
    }
  };
  if constexpr (kKind == JoinKind::kInner) {
    return call(*l, *r);
  } else if constexpr (kKind == JoinKind::kLeft) {
    return call(*l, OptionalOf(r));
  } else {
    return call(OptionalOf(l), OptionalOf(r));
  }
}

// The value type a stream join's joiner returns (kWithKey) or a table join's.
template <JoinKind kKind, bool kWithKey, typename F, typename K, typename L, typename R>
using JoinResultT = std::remove_cvref_t<decltype(CallJoiner<kKind, kWithKey>(
    std::declval<F&>(), std::declval<const K&>(), std::declval<const L*>(),
    std::declval<const R*>()))>;

// The value type of a stream-table join's joiner: the table value is a std::optional for a
// left join.
template <bool kLeft, typename F, typename K, typename V, typename VT>
using StreamTableJoinResultT = std::remove_cvref_t<decltype(InvokeJoiner(
    std::declval<F&>(), std::declval<const K&>(), std::declval<const V&>(),
    std::declval<const std::conditional_t<kLeft, std::optional<VT>, VT>&>()))>;

// Whether a key is in the join result, given which sides have it.
template <JoinKind kKind>
constexpr bool InJoin(bool left, bool right) {
  if constexpr (kKind == JoinKind::kInner) {
    return left && right;
  } else if constexpr (kKind == JoinKind::kLeft) {
    return left;
  } else {
    return left || right;
  }
}

// ---------------------------------------------------------------------------------------
// Stream-table

template <typename K, typename V, typename VT, typename VR, typename F, bool kLeft>
class StreamTableJoinProcessor final : public ContextualProcessor<K, V, K, VR> {
 public:
  StreamTableJoinProcessor(F joiner, ValueGetterSupplierPtr<K, VT> table)
      : joiner_(std::move(joiner)), table_(std::move(table)) {}
  void Init(ProcessorContext<K, VR>& context) override {
    ContextualProcessor<K, V, K, VR>::Init(context);
    getter_ = table_->make();
    getter_->Init(context);
  }
  void Process(const Record<K, V>& r) override {
    if constexpr (kIsOptional<V>) {
      if (!r.value) {
        this->context().RecordDropped(kDroppedNullValue);
        return;
      }
    }
    std::optional<VT> table_value;
    bool null_key = false;
    if constexpr (kIsOptional<K>) null_key = !r.key;
    if (null_key) {
      // A left join joins a null key with "no row" (Kafka Streams 3.7+, KIP-962).
      if (!kLeft) {
        this->context().RecordDropped(kDroppedNullKey);
        return;
      }
    } else {
      table_value = getter_->Get(r.key);
    }
    if constexpr (kLeft) {
      this->context().Forward(Record<K, VR>{r.key,
                                            VR(InvokeJoiner(joiner_, r.key, r.value, table_value)),
                                            r.timestamp_ms, r.headers});
    } else {
      if (!table_value) return;
      this->context().Forward(Record<K, VR>{r.key,
                                            VR(InvokeJoiner(joiner_, r.key, r.value, *table_value)),
                                            r.timestamp_ms, r.headers});
    }
  }

 private:
  F joiner_;
  ValueGetterSupplierPtr<K, VT> table_;
  std::unique_ptr<ValueGetter<K, VT>> getter_;
};

// ---------------------------------------------------------------------------------------
// Table-table

// Updates of one side ("this", the left table when kThisIsLeft) looked up against the other
// side's current value.
template <typename K, typename VThis, typename VOther, typename VR, typename F, JoinKind kKind,
          bool kThisIsLeft>
class TableTableJoinProcessor final : public ContextualProcessor<K, Change<VThis>, K, Change<VR>> {
 public:
  TableTableJoinProcessor(F joiner, ValueGetterSupplierPtr<K, VOther> other)
      : joiner_(std::move(joiner)), other_(std::move(other)) {}
  void Init(ProcessorContext<K, Change<VR>>& context) override {
    ContextualProcessor<K, Change<VThis>, K, Change<VR>>::Init(context);
    getter_ = other_->make();
    getter_->Init(context);
  }
  void Process(const Record<K, Change<VThis>>& r) override {
    const std::optional<VOther> other = getter_->Get(r.key);
    const VOther* o = other ? &*other : nullptr;
    std::optional<VR> new_value = Result(r.key, r.value.new_value, o);
    std::optional<VR> old_value = Result(r.key, r.value.old_value, o);
    if (!new_value && !old_value) return;  // the key is not in the join, before or after
    this->context().Forward(Record<K, Change<VR>>{
        r.key, Change<VR>{std::move(new_value), std::move(old_value)}, r.timestamp_ms, r.headers});
  }

 private:
  std::optional<VR> Result(const K& key, const std::optional<VThis>& value, const VOther* other) {
    const VThis* t = value ? &*value : nullptr;
    if constexpr (kThisIsLeft) {
      if (!InJoin<kKind>(t != nullptr, other != nullptr)) return std::nullopt;
      return VR(CallJoiner<kKind, false>(joiner_, key, t, other));
    } else {
      if (!InJoin<kKind>(other != nullptr, t != nullptr)) return std::nullopt;
      return VR(CallJoiner<kKind, false>(joiner_, key, other, t));
    }
  }

  F joiner_;
  ValueGetterSupplierPtr<K, VOther> other_;
  std::unique_ptr<ValueGetter<K, VOther>> getter_;
};

// Merges both sides' updates; writes the result rows into the join's store when
// materialized (`store` non-empty). Forwards every update as it comes.
template <typename K, typename VR, typename KS, typename VS>
class TableJoinMergeProcessor final : public ContextualProcessor<K, Change<VR>, K, Change<VR>> {
 public:
  TableJoinMergeProcessor(std::string store, KS key_serde, VS value_serde)
      : table_(std::move(store), std::move(key_serde), std::move(value_serde)) {}
  void Init(ProcessorContext<K, Change<VR>>& context) override {
    ContextualProcessor<K, Change<VR>, K, Change<VR>>::Init(context);
    table_.Init(context);
  }
  void Process(const Record<K, Change<VR>>& r) override {
    if (table_.materialized()) table_.Apply(r.key, r.value.new_value);
    this->context().Forward(r);
  }

 private:
  TableMaterializer<K, VR, KS, VS> table_;
};

// The getter of a joined table that has no store: the join of both parents' values.
template <typename K, typename VL, typename VRight, typename VR, typename F, JoinKind kKind>
class TableJoinValueGetter final : public ValueGetter<K, VR> {
 public:
  TableJoinValueGetter(std::unique_ptr<ValueGetter<K, VL>> left,
                       std::unique_ptr<ValueGetter<K, VRight>> right, F joiner)
      : left_(std::move(left)), right_(std::move(right)), joiner_(std::move(joiner)) {}
  void Init(ProcessingContext& context) override {
    left_->Init(context);
    right_->Init(context);
  }
  std::optional<VR> Get(const K& key) override {
    const std::optional<VL> l = left_->Get(key);
    if (kKind != JoinKind::kOuter && !l) return std::nullopt;
    const std::optional<VRight> r = right_->Get(key);
    if (!InJoin<kKind>(l.has_value(), r.has_value())) return std::nullopt;
    return VR(CallJoiner<kKind, false>(joiner_, key, l ? &*l : nullptr, r ? &*r : nullptr));
  }

 private:
  std::unique_ptr<ValueGetter<K, VL>> left_;
  std::unique_ptr<ValueGetter<K, VRight>> right_;
  F joiner_;
};

// ---------------------------------------------------------------------------------------
// Stream-stream: store formats and the non-template parts (src/dsl/joins.cc)

// The byte order is Kafka Streams' tie order in its outer-join store (right before left).
enum class JoinSide : uint8_t { kRight = 0, kLeft = 1 };

// A list of values as kept in the join stores: per value a 4-byte big-endian length and the
// bytes, in arrival order.
void AppendJoinValue(std::string& list, std::string_view value);
// The values of a list (views into `list`); throws brook::Error (kCorruption) naming the
// store when malformed.
std::vector<std::string_view> SplitJoinValues(std::string_view list, std::string_view store);

// The key of the shared outer-join store: [side][8-byte big-endian timestamp][key bytes].
std::string OuterJoinKey(JoinSide side, int64_t timestamp_ms, std::string_view key);

// Appends value to the list at (key, timestamp) of a join window store.
void AppendToWindowStore(state::WindowBytesStore& store, std::string_view key,
                         std::string_view value, int64_t timestamp_ms);
// Appends value to the list at key of the outer-join store.
void AppendToOuterStore(state::KeyValueBytesStore& store, std::string_view key,
                        std::string_view value);
// Deletes key from the outer-join store when present (no changelog record otherwise).
void DeleteFromOuterStore(state::KeyValueBytesStore& store, std::string_view key);

struct OuterJoinScan {
  int64_t stream_time_ms = 0;
  int64_t grace_ms = 0;
  // How long after its timestamp a record of each side can still find a match: the join
  // window's `after` for left records, `before` for right ones.
  int64_t left_window_ms = 0;
  int64_t right_window_ms = 0;
  bool scan_left = false;
  bool scan_right = false;
};
// Calls emit(side, timestamp, key bytes, value bytes) for every value of the outer-join
// store whose window closed (stream time > timestamp + window + grace), in timestamp order
// (ties: right side first, then key bytes), deleting each entry once emitted.
void EmitClosedOuterJoinRecords(
    state::KeyValueBytesStore& store, const OuterJoinScan& scan,
    const std::function<void(JoinSide, int64_t, std::string_view, std::string_view)>& emit);

// What one side's processor of a stream-stream join needs besides types.
struct StreamJoinSpec {
  std::string this_store;
  std::string other_store;
  std::string outer_store;  // empty: an inner join, no outer store
  // This side's window: other records in [ts - before_ms, ts + after_ms].
  int64_t before_ms = 0;
  int64_t after_ms = 0;
  int64_t grace_ms = 0;
  // The join window's before/after (left side's view), for the outer store's scan.
  int64_t windows_before_ms = 0;
  int64_t windows_after_ms = 0;
  bool this_outer = false;   // this side's records without a match are emitted
  bool other_outer = false;  // the other side's are
};

// ---------------------------------------------------------------------------------------
// Stream-stream: the processor of one side

template <typename T, typename S>
std::string SerializeJoinValue(const S& serde, const T& value) {
  // Null keys and values never reach the stores (dropped or joined at once).
  return *internal::SerializeNullable<T>(serde, value);
}

template <typename T, typename S>
T DeserializeJoinValue(const S& serde, std::string_view bytes, const std::string& store,
                       std::string_view what, std::string_view key_bytes) {
  Result<T> r = internal::DeserializeNullable<T>(serde, bytes);
  if (!r.ok()) {
    state::internal::ThrowDeserializationError(r.status(), store, what, S::kName, key_bytes);
  }
  return std::move(r).value();
}

// K, VL, VRight: the key and the left and right value types; this side is the left one when
// kThisIsLeft. KS, VLS, VRS: their serdes (StreamJoined).
template <typename K, typename VL, typename VRight, typename VR, typename F, JoinKind kKind,
          bool kThisIsLeft, typename KS, typename VLS, typename VRS>
class StreamStreamJoinProcessor final
    : public ContextualProcessor<K, std::conditional_t<kThisIsLeft, VL, VRight>, K, VR> {
  using VThis = std::conditional_t<kThisIsLeft, VL, VRight>;
  using VOther = std::conditional_t<kThisIsLeft, VRight, VL>;
  using Base = ContextualProcessor<K, VThis, K, VR>;
  static constexpr JoinSide kThisSide = kThisIsLeft ? JoinSide::kLeft : JoinSide::kRight;
  static constexpr JoinSide kOtherSide = kThisIsLeft ? JoinSide::kRight : JoinSide::kLeft;

 public:
  StreamStreamJoinProcessor(F joiner, StreamJoinSpec spec, KS key_serde, VLS left_serde,
                            VRS right_serde)
      : joiner_(std::move(joiner)),
        spec_(std::move(spec)),
        key_serde_(std::move(key_serde)),
        left_serde_(std::move(left_serde)),
        right_serde_(std::move(right_serde)) {}

  void Init(ProcessorContext<K, VR>& context) override {
    Base::Init(context);
    this_store_ = &context.GetWindowStore(spec_.this_store);
    other_store_ = &context.GetWindowStore(spec_.other_store);
    if (!spec_.outer_store.empty()) outer_store_ = &context.GetKeyValueStore(spec_.outer_store);
  }

  void Process(const Record<K, VThis>& r) override {
    if constexpr (kIsOptional<K>) {
      if (!r.key) {
        bool has_value = true;
        if constexpr (kIsOptional<VThis>) has_value = r.value.has_value();
        // Left/outer joins emit a null key's record at once (Kafka Streams 3.7+, KIP-962).
        if (spec_.this_outer && has_value) {
          Emit(r.key, &r.value, nullptr, r.timestamp_ms, r.headers);
        } else {
          this->context().RecordDropped(kDroppedNullKey);
        }
        return;
      }
    }
    if constexpr (kIsOptional<VThis>) {
      if (!r.value) {
        this->context().RecordDropped(kDroppedNullValue);
        return;
      }
    }
    const int64_t ts = r.timestamp_ms;
    const int64_t stream_time =
        std::max(this_store_->observed_stream_time_ms(), other_store_->observed_stream_time_ms());
    if (stream_time > ts + std::max<int64_t>(spec_.after_ms, 0) + spec_.grace_ms) {
      // Its window closed: a left/outer join already emitted what it could have matched.
      this->context().RecordDropped(kDroppedLate);
      return;
    }
    if (outer_store_ != nullptr && ts >= stream_time) EmitClosed(ts, r.headers);

    const std::string key = SerializeJoinValue(key_serde_, r.key);
    const std::string value = SerializeJoinValue(ThisSerde(), r.value);
    bool matched = false;
    std::unique_ptr<state::WindowIterator> it =
        other_store_
            ->Fetch(key, std::max<int64_t>(0, ts - spec_.before_ms),
                    std::max<int64_t>(0, ts + spec_.after_ms))
            .ValueOrThrow();
    for (; it->Valid(); it->Next()) {
      const int64_t other_ts = it->window_start_ms();
      if (outer_store_ != nullptr) {
        DeleteFromOuterStore(*outer_store_, OuterJoinKey(kOtherSide, other_ts, key));
      }
      for (std::string_view bytes : SplitJoinValues(it->value(), spec_.other_store)) {
        const VOther other =
            DeserializeJoinValue<VOther>(OtherSerde(), bytes, spec_.other_store, "value", key);
        matched = true;
        Emit(r.key, &r.value, &other, std::max(ts, other_ts), r.headers);
      }
    }
    it->status().ThrowIfError();
    if (!matched && spec_.this_outer) {
      if (std::max(stream_time, ts) > ts + spec_.after_ms + spec_.grace_ms) {
        // Closed already (a negative `after`): no match can come any more.
        Emit(r.key, &r.value, nullptr, ts, r.headers);
      } else {
        AppendToOuterStore(*outer_store_, OuterJoinKey(kThisSide, ts, key), value);
      }
    }
    AppendToWindowStore(*this_store_, key, value, ts);
  }

 private:
  const auto& ThisSerde() const {
    if constexpr (kThisIsLeft) {
      return left_serde_;
    } else {
      return right_serde_;
    }
  }
  const auto& OtherSerde() const {
    if constexpr (kThisIsLeft) {
      return right_serde_;
    } else {
      return left_serde_;
    }
  }

  // Forwards the join of this side's value and the other side's (nullptr: none).
  void Emit(const K& key, const VThis* this_value, const VOther* other_value, int64_t ts,
            const Headers& headers) {
    if constexpr (kThisIsLeft) {
      Forward(key, this_value, other_value, ts, headers);
    } else {
      Forward(key, other_value, this_value, ts, headers);
    }
  }
  void Forward(const K& key, const VL* l, const VRight* r, int64_t ts, const Headers& headers) {
    this->context().Forward(
        Record<K, VR>{key, VR(CallJoiner<kKind, true>(joiner_, key, l, r)), ts, headers});
  }

  // Emits the non-joined records whose window closed, with the headers of the record that
  // moved stream time (as Kafka Streams does).
  void EmitClosed(int64_t stream_time, const Headers& headers) {
    OuterJoinScan scan{.stream_time_ms = stream_time,
                       .grace_ms = spec_.grace_ms,
                       .left_window_ms = spec_.windows_after_ms,
                       .right_window_ms = spec_.windows_before_ms,
                       .scan_left = kThisIsLeft ? spec_.this_outer : spec_.other_outer,
                       .scan_right = kThisIsLeft ? spec_.other_outer : spec_.this_outer};
    EmitClosedOuterJoinRecords(
        *outer_store_, scan,
        [&](JoinSide side, int64_t ts, std::string_view key_bytes, std::string_view value_bytes) {
          const K key =
              DeserializeJoinValue<K>(key_serde_, key_bytes, spec_.outer_store, "key", key_bytes);
          if (side == JoinSide::kLeft) {
            const VL v = DeserializeJoinValue<VL>(left_serde_, value_bytes, spec_.outer_store,
                                                  "value", key_bytes);
            Forward(key, &v, nullptr, ts, headers);
          } else if constexpr (kKind == JoinKind::kOuter) {
            const VRight v = DeserializeJoinValue<VRight>(right_serde_, value_bytes,
                                                          spec_.outer_store, "value", key_bytes);
            Forward(key, nullptr, &v, ts, headers);
          }
        });
  }

  F joiner_;
  StreamJoinSpec spec_;
  KS key_serde_;
  VLS left_serde_;
  VRS right_serde_;
  state::WindowBytesStore* this_store_ = nullptr;
  state::WindowBytesStore* other_store_ = nullptr;
  state::KeyValueBytesStore* outer_store_ = nullptr;
};

}  // namespace brook::internal::dsl
