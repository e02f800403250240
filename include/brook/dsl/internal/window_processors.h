// The processors behind windowed aggregations and suppression (not for applications; the
// DSL adds them to the Topology, see brook/dsl/windowing.h for the semantics).
//
// Contract:
//  * TimeWindowAggregateProcessor and SessionWindowAggregateProcessor keep one aggregate
//    per (key, window) in a window or session store and forward Record<Windowed<K>,
//    Change<VA>> for every update; records whose window is closed (window end + grace <=
//    observed stream time; sessions: end + gap + grace < observed stream time) are dropped
//    and reported with ProcessingContext::RecordDropped(kLateRecordReason); so are records
//    with a null value (kDroppedNullValue).
//  * SuppressProcessor buffers Record<K, Change<V>> in a key-value store through
//    SuppressionBuffer and forwards each key's latest change once its buffer time is due.
//  * User functions are stored by value and may throw (the task fails naming the node).
//  * Observed stream time is the largest record timestamp the processor has seen. The
//    aggregations start it, after a restart, from their store's observed stream time (a
//    lower bound of the real one); the suppression buffer starts at -1 as Kafka Streams does.
//
// Thread-safety: processors belong to one task, used by one thread at a time;
// RegisterWindowClose/FindWindowClose: the building thread only (the builder's state).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brook/dsl/internal/builder_state.h"
#include "brook/dsl/internal/processors.h"
#include "brook/dsl/options.h"
#include "brook/processor.h"
#include "brook/record.h"
#include "brook/state/key_value_store.h"
#include "brook/state/typed_views.h"
#include "brook/status.h"
#include "brook/windowed.h"

namespace brook::internal::dsl {

// The reason windowed aggregations report dropped late records with.
inline constexpr std::string_view kLateRecordReason = kDroppedLate;

// a + b and a - b for b >= 0, saturating at the int64 limits.
inline int64_t SaturatingAdd(int64_t a, int64_t b) {
  return a > std::numeric_limits<int64_t>::max() - b ? std::numeric_limits<int64_t>::max() : a + b;
}
inline int64_t SaturatingSub(int64_t a, int64_t b) {
  return a < std::numeric_limits<int64_t>::min() + b ? std::numeric_limits<int64_t>::min() : a - b;
}

// The start of the first window [start, start + size) containing timestamp, windows starting
// at the multiples of advance since the epoch, none before 0 (Kafka's TimeWindows#windowsFor).
// The windows containing timestamp start there and every advance up to timestamp.
// Preconditions: timestamp >= 0, 0 < advance <= size.
inline int64_t FirstWindowStart(int64_t timestamp_ms, int64_t size_ms, int64_t advance_ms) {
  return std::max<int64_t>(0, timestamp_ms - size_ms + advance_ms) / advance_ms * advance_ms;
}

template <typename T>
struct WindowedTraits {
  static constexpr bool kIsWindowed = false;
};
template <typename K>
struct WindowedTraits<Windowed<K>> {
  static constexpr bool kIsWindowed = true;
  using Key = K;
};
template <typename T>
inline constexpr bool kIsWindowed = WindowedTraits<T>::kIsWindowed;

// The buffer's default key serde: for windowed keys the session-windowed format, which keeps
// the window's start and end (the time-windowed format loses the end); else the default.
template <typename K>
struct SuppressKeySerdeOf {
  using type = DslSerde<K>;
};
template <typename K>
struct SuppressKeySerdeOf<Windowed<K>> {
  using type = NoDefaultSerde<Windowed<K>>;
};
template <state::HasDefaultSerde K>
struct SuppressKeySerdeOf<Windowed<K>> {
  using type = SessionWindowedSerde<K, state::DefaultSerde<K>>;
};
template <typename K>
using SuppressKeySerde = typename SuppressKeySerdeOf<K>::type;

// ---------------------------------------------------------------------------------------
// Windowed aggregations

// Records with a null value (V = std::optional<X>) are skipped and counted, as the DSL's
// other aggregations do; returns true for those.
template <typename K, typename V>
bool DropNullValue(ProcessingContext& context, const Record<K, V>& r) {
  if constexpr (kIsOptional<V>) {
    if (!r.value) {
      context.RecordDropped(kDroppedNullValue);
      return true;
    }
  }
  return false;
}

struct TimeWindowParams {
  int64_t size_ms = 0;
  int64_t advance_ms = 0;
  int64_t grace_ms = 0;
};

// count, reduce and aggregate of a time-windowed stream: step(key, value, old) returns the
// new aggregate of a window from its previous one (nullopt for a new window).
template <typename K, typename V, typename VA, typename Step, typename KS, typename VAS>
class TimeWindowAggregateProcessor final
    : public ContextualProcessor<K, V, Windowed<K>, Change<VA>> {
 public:
  TimeWindowAggregateProcessor(Step step, TimeWindowParams windows, std::string store, KS key_serde,
                               VAS value_serde)
      : step_(std::move(step)),
        windows_(windows),
        store_(std::move(store)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  void Init(ProcessorContext<Windowed<K>, Change<VA>>& context) override {
    ContextualProcessor<K, V, Windowed<K>, Change<VA>>::Init(context);
    view_.emplace(
        context.template GetWindowStore<K, VA, KS, VAS>(store_, key_serde_, value_serde_));
    observed_ms_ = view_->bytes().observed_stream_time_ms();
  }

  void Process(const Record<K, V>& r) override {
    if (DropNullValue(this->context(), r)) return;
    observed_ms_ = std::max(observed_ms_, r.timestamp_ms);
    const int64_t close_ms = SaturatingSub(observed_ms_, windows_.grace_ms);
    // The windows containing the record start at `first` and every advance up to `last`.
    const int64_t first = FirstWindowStart(r.timestamp_ms, windows_.size_ms, windows_.advance_ms);
    const int64_t last = r.timestamp_ms / windows_.advance_ms * windows_.advance_ms;
    for (int64_t start = first;; start += windows_.advance_ms) {
      const int64_t end = SaturatingAdd(start, windows_.size_ms);
      if (end <= close_ms) {
        this->context().RecordDropped(kLateRecordReason);
      } else {
        Update(r, start, end);
      }
      if (start >= last) break;
    }
  }

 private:
  void Update(const Record<K, V>& r, int64_t start, int64_t end) {
    std::optional<VA> old = view_->Fetch(r.key, start);
    VA agg = step_(r.key, r.value, old);
    if (view_->Put(r.key, agg, start) == state::WriteOutcome::kExpired) {
      this->context().RecordDropped(kLateRecordReason);  // the store's retention has passed it
      return;
    }
    this->context().Forward(Record<Windowed<K>, Change<VA>>{
        Windowed<K>{r.key, Window{start, end}}, Change<VA>{std::move(agg), std::move(old)},
        r.timestamp_ms, r.headers});
  }

  Step step_;
  TimeWindowParams windows_;
  std::string store_;
  KS key_serde_;
  VAS value_serde_;
  std::optional<state::WindowStore<K, VA, KS, VAS>> view_;
  int64_t observed_ms_ = -1;
};

struct SessionWindowParams {
  int64_t gap_ms = 0;
  int64_t grace_ms = 0;
};

// count, reduce and aggregate of a session-windowed stream. init() -> std::optional<VA> is
// the aggregate a new session starts from (nullopt for reduce); merge(key, agg, session)
// folds an existing session's aggregate into agg; step(key, value, agg) folds the record in.
template <typename K, typename V, typename VA, typename InitFn, typename MergeFn, typename Step,
          typename KS, typename VAS>
class SessionWindowAggregateProcessor final
    : public ContextualProcessor<K, V, Windowed<K>, Change<VA>> {
 public:
  SessionWindowAggregateProcessor(InitFn init, MergeFn merge, Step step,
                                  SessionWindowParams windows, std::string store, KS key_serde,
                                  VAS value_serde)
      : init_(std::move(init)),
        merge_(std::move(merge)),
        step_(std::move(step)),
        windows_(windows),
        store_(std::move(store)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  void Init(ProcessorContext<Windowed<K>, Change<VA>>& context) override {
    ContextualProcessor<K, V, Windowed<K>, Change<VA>>::Init(context);
    view_.emplace(
        context.template GetSessionStore<K, VA, KS, VAS>(store_, key_serde_, value_serde_));
    observed_ms_ = view_->bytes().observed_stream_time_ms();
  }

  void Process(const Record<K, V>& r) override {
    if (DropNullValue(this->context(), r)) return;
    const int64_t ts = r.timestamp_ms;
    observed_ms_ = std::max(observed_ms_, ts);
    const int64_t close_ms =
        SaturatingSub(SaturatingSub(observed_ms_, windows_.grace_ms), windows_.gap_ms);
    const state::SessionWindow own{ts, ts};
    state::SessionWindow merged = own;
    std::optional<VA> agg = init_();
    std::vector<state::SessionEntry<K, VA>> overlapping;
    for (auto it = view_->FindSessions(r.key, SaturatingSub(ts, windows_.gap_ms),
                                       SaturatingAdd(ts, windows_.gap_ms));
         it.Valid(); it.Next()) {
      state::SessionEntry<K, VA> e = it.Get();
      agg = merge_(r.key, std::move(agg), e.value);
      merged.start_ms = std::min(merged.start_ms, e.session.start_ms);
      merged.end_ms = std::max(merged.end_ms, e.session.end_ms);
      overlapping.push_back(std::move(e));
    }
    if (merged.end_ms < close_ms) {
      this->context().RecordDropped(kLateRecordReason);
      return;
    }
    // The record's own session [ts, ts] already exists: it is updated in place, not merged.
    std::optional<VA> old;
    if (merged == own && !overlapping.empty()) {
      old = std::move(overlapping.front().value);
    } else {
      for (state::SessionEntry<K, VA>& e : overlapping) {
        view_->Remove(r.key, e.session);
        this->context().Forward(Record<Windowed<K>, Change<VA>>{
            Windowed<K>{r.key, Window{e.session.start_ms, e.session.end_ms}},
            Change<VA>{std::nullopt, std::move(e.value)}, e.session.end_ms, r.headers});
      }
    }
    VA result = step_(r.key, r.value, std::move(agg));
    if (view_->Put(r.key, merged, result) == state::WriteOutcome::kExpired) {
      // Only a new one-record session exactly at the store's retention boundary.
      this->context().RecordDropped(kLateRecordReason);
      return;
    }
    this->context().Forward(Record<Windowed<K>, Change<VA>>{
        Windowed<K>{r.key, Window{merged.start_ms, merged.end_ms}},
        Change<VA>{std::move(result), std::move(old)}, merged.end_ms, r.headers});
  }

 private:
  InitFn init_;
  MergeFn merge_;
  Step step_;
  SessionWindowParams windows_;
  std::string store_;
  KS key_serde_;
  VAS value_serde_;
  std::optional<state::SessionStore<K, VA, KS, VAS>> view_;
  int64_t observed_ms_ = -1;
};

// The value getter of a time-windowed aggregation: the window store's value of (key, window
// start).
template <typename K, typename VA, typename KS, typename VAS>
class WindowStoreValueGetter final : public ValueGetter<Windowed<K>, VA> {
 public:
  WindowStoreValueGetter(std::string store, KS key_serde, VAS value_serde)
      : store_(std::move(store)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}
  void Init(ProcessingContext& context) override {
    view_.emplace(context.GetWindowStore<K, VA, KS, VAS>(store_, key_serde_, value_serde_));
  }
  std::optional<VA> Get(const Windowed<K>& key) override {
    return view_->Fetch(key.key, key.window.start_ms);
  }

 private:
  std::string store_;
  KS key_serde_;
  VAS value_serde_;
  std::optional<state::WindowStore<K, VA, KS, VAS>> view_;
};

// The value getter of a session-windowed aggregation: the session store's value of exactly
// (key, [window start, window end]).
template <typename K, typename VA, typename KS, typename VAS>
class SessionStoreValueGetter final : public ValueGetter<Windowed<K>, VA> {
 public:
  SessionStoreValueGetter(std::string store, KS key_serde, VAS value_serde)
      : store_(std::move(store)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}
  void Init(ProcessingContext& context) override {
    view_.emplace(context.GetSessionStore<K, VA, KS, VAS>(store_, key_serde_, value_serde_));
  }
  std::optional<VA> Get(const Windowed<K>& key) override {
    if (key.window.start_ms < 0 || key.window.end_ms < key.window.start_ms) return std::nullopt;
    return view_->FetchSession(key.key,
                               state::SessionWindow{key.window.start_ms, key.window.end_ms});
  }

 private:
  std::string store_;
  KS key_serde_;
  VAS value_serde_;
  std::optional<state::SessionStore<K, VA, KS, VAS>> view_;
};

template <typename Getter, typename K, typename VA, typename KS, typename VAS>
ValueGetterSupplierPtr<Windowed<K>, VA> WindowedStoreGetter(const std::string& store,
                                                            const KS& key_serde,
                                                            const VAS& value_serde) {
  auto s = std::make_shared<ValueGetterSupplier<Windowed<K>, VA>>();
  s->make = [store, key_serde, value_serde]() -> std::unique_ptr<ValueGetter<Windowed<K>, VA>> {
    return std::make_unique<Getter>(store, key_serde, value_serde);
  };
  s->stores = {store};
  return s;
}

// Window close times for Suppressed::UntilWindowCloses, per builder: RegisterWindowClose
// records that the node `node` is a windowed aggregation whose windows close
// `close_after_ms` after their end (grace; inactivity gap + grace for sessions).
// FindWindowClose walks upstream from `node` (parents, and from a source reading a topic to
// the sinks writing it) and returns the largest close delay over all paths (Kafka Streams'
// GraphGraceSearchUtil); a path without a windowed aggregation throws brook::Error
// (kInvalidArgument) naming `op` and the chain of nodes. The delays live in a process-wide
// table keyed by the builder (entries of destroyed builders are purged) and guarded by a
// mutex, as BuilderState has no field for them.
void RegisterWindowClose(const BuilderPtr& b, const std::string& node, int64_t close_after_ms);
int64_t FindWindowClose(const BuilderPtr& b, const std::string& node, std::string_view op);

// ---------------------------------------------------------------------------------------
// Suppression

// One buffered change, its values serialized.
struct BufferedChange {
  // The timestamp of the latest update.
  int64_t timestamp_ms = 0;
  // The latest new value; nullopt: a delete.
  std::optional<std::string> new_value;
  // The value downstream saw before the key was buffered (the first buffered update's old
  // value): the suppressed table's current value while the key waits.
  std::optional<std::string> prior_value;
  // The latest update's headers.
  Headers headers;
};

// The suppression buffer (Kafka Streams' TimeOrderedKeyValueBuffer) over a key-value bytes
// store, so that it is change-logged and survives restarts. Layout:
//   't' | 8-byte big-endian buffer time (sign bit flipped) | key  ->  the BufferedChange
//   'k' | key                                                     ->  8-byte buffer time
// A prefix scan of 't' reads the entries by buffer time, then key; the 'k' index finds a
// key's entry. Buffering a key that is already buffered replaces its change in place (it
// keeps its buffer time and prior value, Kafka's non-resetting semantics). The count, size
// and smallest buffer time are loaded from the store on first use (after restore).
// Store errors throw brook::Error; an undecodable entry throws kCorruption naming the store.
class SuppressionBuffer {
 public:
  explicit SuppressionBuffer(state::KeyValueBytesStore& store) : store_(&store) {}

  // Buffers key's change at `time_ms`; `old_value` becomes the prior value of a key not
  // buffered yet.
  void Put(int64_t time_ms, std::string_view key, std::optional<std::string> new_value,
           std::optional<std::string> old_value, int64_t timestamp_ms, const Headers& headers);
  // The buffered change of key, nullopt when the key is not buffered.
  [[nodiscard]] std::optional<BufferedChange> Get(std::string_view key) const;

  [[nodiscard]] uint64_t num_records();
  // Serialized bytes held: per entry 8 + key + encoded change.
  [[nodiscard]] uint64_t size_bytes();
  // The smallest buffer time; INT64_MAX when empty.
  [[nodiscard]] int64_t min_time_ms();

  // While more() holds and the buffer is not empty: passes the oldest entry (smallest
  // buffer time, then key bytes) to emit, then removes it (an exception from emit leaves it
  // buffered).
  void EvictWhile(const std::function<bool()>& more,
                  const std::function<void(std::string_view key, BufferedChange change)>& emit);

 private:
  void Load();

  state::KeyValueBytesStore* store_;
  bool loaded_ = false;
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
  int64_t min_time_ms_ = std::numeric_limits<int64_t>::max();
};

struct SuppressParams {
  // Buffer time = the key's window end (final results); else the record's timestamp.
  bool window_end_time = false;
  // An entry is due when its buffer time <= observed stream time - delay_ms.
  int64_t delay_ms = 0;
  // Drop deletes when they are due instead of forwarding them (final results: downstream
  // never saw the deleted window).
  bool drop_tombstones = false;
  int64_t max_records = std::numeric_limits<int64_t>::max();
  int64_t max_bytes = std::numeric_limits<int64_t>::max();
  // When over a limit: emit the oldest entries early, else fail the task.
  bool emit_early_when_full = false;
};

// Throws the shutDownWhenFull error (kFailedPrecondition).
[[noreturn]] void ThrowBufferFull(std::string_view node, uint64_t records, int64_t max_records,
                                  uint64_t bytes, int64_t max_bytes);

template <typename K, typename V, typename KS, typename VS>
class SuppressProcessor final : public ContextualProcessor<K, Change<V>, K, Change<V>> {
 public:
  SuppressProcessor(SuppressParams params, std::string store, KS key_serde, VS value_serde)
      : params_(params),
        store_(std::move(store)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  void Init(ProcessorContext<K, Change<V>>& context) override {
    ContextualProcessor<K, Change<V>, K, Change<V>>::Init(context);
    buffer_.emplace(context.GetKeyValueStore(store_));
  }

  void Process(const Record<K, Change<V>>& r) override {
    observed_ms_ = std::max(observed_ms_, r.timestamp_ms);
    int64_t time_ms = r.timestamp_ms;
    if constexpr (kIsWindowed<K>) {
      if (params_.window_end_time) time_ms = r.key.window.end_ms;
    }
    buffer_->Put(time_ms, key_serde_.Serialize(r.key), Serialize(r.value.new_value),
                 Serialize(r.value.old_value), r.timestamp_ms, r.headers);
    Enforce();
  }

 private:
  std::optional<std::string> Serialize(const std::optional<V>& v) const {
    if (!v) return std::nullopt;
    return value_serde_.Serialize(*v);
  }
  std::optional<V> Deserialize(const std::optional<std::string>& bytes,
                               std::string_view key) const {
    if (!bytes) return std::nullopt;
    return state::internal::DeserializeOrThrow<V>(value_serde_, *bytes, store_, "value", key);
  }

  bool OverCapacity() {
    return buffer_->num_records() > static_cast<uint64_t>(params_.max_records) ||
           buffer_->size_bytes() > static_cast<uint64_t>(params_.max_bytes);
  }

  void Enforce() {
    const int64_t expiry_ms = SaturatingSub(observed_ms_, params_.delay_ms);
    auto emit = [this](std::string_view key, BufferedChange change) { Emit(key, change); };
    buffer_->EvictWhile([&] { return buffer_->min_time_ms() <= expiry_ms; }, emit);
    if (!OverCapacity()) return;
    if (params_.emit_early_when_full) {
      buffer_->EvictWhile([&] { return OverCapacity(); }, emit);
      return;
    }
    ThrowBufferFull(this->context().node_name(), buffer_->num_records(), params_.max_records,
                    buffer_->size_bytes(), params_.max_bytes);
  }

  void Emit(std::string_view key_bytes, BufferedChange& change) {
    if (!change.new_value && params_.drop_tombstones) return;
    K key = state::internal::DeserializeOrThrow<K>(key_serde_, key_bytes, store_, "key", key_bytes);
    this->context().Forward(
        Record<K, Change<V>>{std::move(key),
                             Change<V>{Deserialize(change.new_value, key_bytes),
                                       Deserialize(change.prior_value, key_bytes)},
                             change.timestamp_ms, std::move(change.headers)});
  }

  SuppressParams params_;
  std::string store_;
  KS key_serde_;
  VS value_serde_;
  std::optional<SuppressionBuffer> buffer_;
  int64_t observed_ms_ = -1;
};

// The value getter of a suppressed table: a buffered key's prior value (what downstream
// last saw), else the parent table's value.
template <typename K, typename V, typename KS, typename VS>
class SuppressValueGetter final : public ValueGetter<K, V> {
 public:
  SuppressValueGetter(std::unique_ptr<ValueGetter<K, V>> parent, std::string store, KS key_serde,
                      VS value_serde)
      : parent_(std::move(parent)),
        store_(std::move(store)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}
  void Init(ProcessingContext& context) override {
    parent_->Init(context);
    buffer_.emplace(context.GetKeyValueStore(store_));
  }
  std::optional<V> Get(const K& key) override {
    const std::string kb = key_serde_.Serialize(key);
    std::optional<BufferedChange> buffered = buffer_->Get(kb);
    if (!buffered) return parent_->Get(key);
    if (!buffered->prior_value) return std::nullopt;
    return state::internal::DeserializeOrThrow<V>(value_serde_, *buffered->prior_value, store_,
                                                  "value", kb);
  }

 private:
  std::unique_ptr<ValueGetter<K, V>> parent_;
  std::string store_;
  KS key_serde_;
  VS value_serde_;
  std::optional<SuppressionBuffer> buffer_;
};

}  // namespace brook::internal::dsl
