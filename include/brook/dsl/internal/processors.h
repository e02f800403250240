// The processors behind the stateless KStream operators, the table operators and the
// aggregations of the DSL (not for applications; the DSL adds them to the Topology).
//
// Contract: each is a Processor of the Processor API; user functions are stored by value
// (no std::function, no virtual call per record beyond the node graph's own), called once
// per record, and may throw (the runtime fails the task naming the node and record).
// Table operators exchange Record<K, Change<V>>; ToStream turns a change into its new value
// (std::nullopt for a delete). Aggregations keep one row per key in a key-value store and
// emit Change{new, old} for every input record.
//
// Thread-safety: processors belong to one task, used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "brook/dsl/internal/builder_state.h"
#include "brook/dsl/options.h"
#include "brook/processor.h"
#include "brook/record.h"
#include "brook/state/typed_views.h"

namespace brook::internal::dsl {

// ---------------------------------------------------------------------------------------
// Stateless stream operators

template <typename K, typename V, typename F>
class FilterProcessor final : public ContextualProcessor<K, V, K, V> {
 public:
  FilterProcessor(F f, bool negate) : f_(std::move(f)), negate_(negate) {}
  void Process(const Record<K, V>& r) override {
    if (static_cast<bool>(InvokeKV(f_, r.key, r.value)) != negate_) this->context().Forward(r);
  }

 private:
  F f_;
  bool negate_;
};

template <typename K, typename V, typename KR, typename VR, typename F>
class MapProcessor final : public ContextualProcessor<K, V, KR, VR> {
 public:
  explicit MapProcessor(F f) : f_(std::move(f)) {}
  void Process(const Record<K, V>& r) override {
    auto kv = f_(r.key, r.value);
    using T = KeyValueTraits<decltype(kv)>;
    this->context().Forward(
        Record<KR, VR>{T::TakeKey(kv), T::TakeValue(kv), r.timestamp_ms, r.headers});
  }

 private:
  F f_;
};

template <typename K, typename V, typename VR, typename F>
class MapValuesProcessor final : public ContextualProcessor<K, V, K, VR> {
 public:
  explicit MapValuesProcessor(F f) : f_(std::move(f)) {}
  void Process(const Record<K, V>& r) override {
    this->context().Forward(
        Record<K, VR>{r.key, InvokeKV(f_, r.key, r.value), r.timestamp_ms, r.headers});
  }

 private:
  F f_;
};

template <typename K, typename V, typename KR, typename F>
class SelectKeyProcessor final : public ContextualProcessor<K, V, KR, V> {
 public:
  explicit SelectKeyProcessor(F f) : f_(std::move(f)) {}
  void Process(const Record<K, V>& r) override {
    this->context().Forward(Record<KR, V>{f_(r.key, r.value), r.value, r.timestamp_ms, r.headers});
  }

 private:
  F f_;
};

template <typename K, typename V, typename KR, typename VR, typename F>
class FlatMapProcessor final : public ContextualProcessor<K, V, KR, VR> {
 public:
  explicit FlatMapProcessor(F f) : f_(std::move(f)) {}
  void Process(const Record<K, V>& r) override {
    auto results = f_(r.key, r.value);
    for (auto& kv : results) {
      using T = KeyValueTraits<std::remove_cvref_t<decltype(kv)>>;
      this->context().Forward(
          Record<KR, VR>{T::TakeKey(kv), T::TakeValue(kv), r.timestamp_ms, r.headers});
    }
  }

 private:
  F f_;
};

template <typename K, typename V, typename VR, typename F>
class FlatMapValuesProcessor final : public ContextualProcessor<K, V, K, VR> {
 public:
  explicit FlatMapValuesProcessor(F f) : f_(std::move(f)) {}
  void Process(const Record<K, V>& r) override {
    auto results = InvokeKV(f_, r.key, r.value);
    for (auto& v : results) {
      this->context().Forward(Record<K, VR>{r.key, std::move(v), r.timestamp_ms, r.headers});
    }
  }

 private:
  F f_;
};

// peek (forward = true) and foreach (a terminal node).
template <typename K, typename V, typename F, bool kForward>
class ActionProcessor final
    : public ContextualProcessor<K, V, std::conditional_t<kForward, K, void>,
                                 std::conditional_t<kForward, V, void>> {
 public:
  explicit ActionProcessor(F f) : f_(std::move(f)) {}
  void Process(const Record<K, V>& r) override {
    InvokeKV(f_, r.key, r.value);
    if constexpr (kForward) this->context().Forward(r);
  }

 private:
  F f_;
};

// Forwards every record unchanged (merge, and the heads of split branches).
template <typename K, typename V>
class PassThroughProcessor final : public ContextualProcessor<K, V, K, V> {
 public:
  void Process(const Record<K, V>& r) override { this->context().Forward(r); }
};

// split(): the first branch whose predicate holds gets the record (by child name); records
// no predicate takes go to the default branch, if any.
template <typename K, typename V>
struct BranchSpec {
  std::vector<std::pair<std::string, std::function<bool(const K&, const V&)>>> branches;
  std::string default_branch;  // empty: records matching no predicate are dropped
};

template <typename K, typename V>
class BranchProcessor final : public ContextualProcessor<K, V, K, V> {
 public:
  explicit BranchProcessor(std::shared_ptr<const BranchSpec<K, V>> spec) : spec_(std::move(spec)) {}
  void Process(const Record<K, V>& r) override {
    for (const auto& [child, predicate] : spec_->branches) {
      if (predicate(r.key, r.value)) {
        this->context().Forward(r, child);
        return;
      }
    }
    if (!spec_->default_branch.empty()) this->context().Forward(r, spec_->default_branch);
  }

 private:
  std::shared_ptr<const BranchSpec<K, V>> spec_;
};

// ---------------------------------------------------------------------------------------
// Tables

// Reads a table's current value of a key, from within a processor that is connected to
// the stores the getter's supplier names. Init() once, from the processor's Init().
template <typename K, typename V>
class ValueGetter {
 public:
  virtual ~ValueGetter() = default;
  virtual void Init(ProcessingContext& context) = 0;
  [[nodiscard]] virtual std::optional<V> Get(const K& key) = 0;
};

template <typename K, typename V>
struct ValueGetterSupplier {
  std::function<std::unique_ptr<ValueGetter<K, V>>()> make;
  // The stores a processor using the getter must be connected to.
  std::vector<std::string> stores;
};
template <typename K, typename V>
using ValueGetterSupplierPtr = std::shared_ptr<const ValueGetterSupplier<K, V>>;

template <typename K, typename V, typename KS, typename VS>
class StoreValueGetter final : public ValueGetter<K, V> {
 public:
  StoreValueGetter(std::string store, KS key_serde, VS value_serde)
      : store_(std::move(store)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}
  void Init(ProcessingContext& context) override {
    view_.emplace(context.GetKeyValueStore<K, V, KS, VS>(store_, key_serde_, value_serde_));
  }
  std::optional<V> Get(const K& key) override { return view_->Get(key); }

 private:
  std::string store_;
  KS key_serde_;
  VS value_serde_;
  std::optional<state::KeyValueStore<K, V, KS, VS>> view_;
};

template <typename K, typename V, typename KS, typename VS>
ValueGetterSupplierPtr<K, V> StoreGetter(const std::string& store, const KS& key_serde,
                                         const VS& value_serde) {
  auto s = std::make_shared<ValueGetterSupplier<K, V>>();
  s->make = [store, key_serde, value_serde]() -> std::unique_ptr<ValueGetter<K, V>> {
    return std::make_unique<StoreValueGetter<K, V, KS, VS>>(store, key_serde, value_serde);
  };
  s->stores = {store};
  return s;
}

// The getter of a filtered table: the parent's value when it passes.
template <typename K, typename V, typename F>
class FilterValueGetter final : public ValueGetter<K, V> {
 public:
  FilterValueGetter(std::unique_ptr<ValueGetter<K, V>> parent, F f, bool negate)
      : parent_(std::move(parent)), f_(std::move(f)), negate_(negate) {}
  void Init(ProcessingContext& context) override { parent_->Init(context); }
  std::optional<V> Get(const K& key) override {
    std::optional<V> v = parent_->Get(key);
    if (v && static_cast<bool>(InvokeKV(f_, key, *v)) == negate_) return std::nullopt;
    return v;
  }

 private:
  std::unique_ptr<ValueGetter<K, V>> parent_;
  F f_;
  bool negate_;
};

// The getter of a mapped table: the parent's value, mapped.
template <typename K, typename V, typename VR, typename F>
class MapValuesValueGetter final : public ValueGetter<K, VR> {
 public:
  MapValuesValueGetter(std::unique_ptr<ValueGetter<K, V>> parent, F f)
      : parent_(std::move(parent)), f_(std::move(f)) {}
  void Init(ProcessingContext& context) override { parent_->Init(context); }
  std::optional<VR> Get(const K& key) override {
    std::optional<V> v = parent_->Get(key);
    if (!v) return std::nullopt;
    return VR(InvokeKV(f_, key, *v));
  }

 private:
  std::unique_ptr<ValueGetter<K, V>> parent_;
  F f_;
};

// Writes a table's rows into its store (when materialized) and forwards the change.
// `store` empty: not materialized.
template <typename K, typename V, typename KS, typename VS>
class TableMaterializer {
 public:
  TableMaterializer(std::string store, KS key_serde, VS value_serde)
      : store_(std::move(store)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}
  void Init(ProcessingContext& context) {
    if (!store_.empty()) {
      view_.emplace(context.GetKeyValueStore<K, V, KS, VS>(store_, key_serde_, value_serde_));
    }
  }
  [[nodiscard]] bool materialized() const { return view_.has_value(); }
  // Stores the row; returns the previous value.
  std::optional<V> Apply(const K& key, const std::optional<V>& value) {
    std::optional<V> old = view_->Get(key);
    if (value) {
      view_->Put(key, *value);
    } else if (old) {
      view_->Delete(key);
    }
    return old;
  }

 private:
  std::string store_;
  KS key_serde_;
  VS value_serde_;
  std::optional<state::KeyValueStore<K, V, KS, VS>> view_;
};

// builder.Table(): the topic's records are the rows; a null value deletes the row.
template <typename K, typename V, typename KS, typename VS>
class TableSourceProcessor final : public ContextualProcessor<K, std::optional<V>, K, Change<V>> {
 public:
  TableSourceProcessor(std::string store, KS key_serde, VS value_serde)
      : table_(std::move(store), std::move(key_serde), std::move(value_serde)) {}
  void Init(ProcessorContext<K, Change<V>>& context) override {
    ContextualProcessor<K, std::optional<V>, K, Change<V>>::Init(context);
    table_.Init(context);
  }
  void Process(const Record<K, std::optional<V>>& r) override {
    std::optional<V> old = table_.Apply(r.key, r.value);
    if (!r.value && !old) return;  // deleting an absent row changes nothing
    this->context().Forward(
        Record<K, Change<V>>{r.key, Change<V>{r.value, std::move(old)}, r.timestamp_ms, r.headers});
  }

 private:
  TableMaterializer<K, V, KS, VS> table_;
};

template <typename K, typename V, typename F, typename KS, typename VS>
class TableFilterProcessor final : public ContextualProcessor<K, Change<V>, K, Change<V>> {
 public:
  TableFilterProcessor(F f, bool negate, std::string store, KS key_serde, VS value_serde)
      : f_(std::move(f)),
        negate_(negate),
        table_(std::move(store), std::move(key_serde), std::move(value_serde)) {}
  void Init(ProcessorContext<K, Change<V>>& context) override {
    ContextualProcessor<K, Change<V>, K, Change<V>>::Init(context);
    table_.Init(context);
  }
  void Process(const Record<K, Change<V>>& r) override {
    std::optional<V> new_value = Pass(r.key, r.value.new_value);
    std::optional<V> old_value = Pass(r.key, r.value.old_value);
    if (!new_value && !old_value) return;  // not in the filtered table before or after
    if (table_.materialized()) old_value = table_.Apply(r.key, new_value);
    this->context().Forward(Record<K, Change<V>>{
        r.key, Change<V>{std::move(new_value), std::move(old_value)}, r.timestamp_ms, r.headers});
  }

 private:
  std::optional<V> Pass(const K& key, const std::optional<V>& v) {
    if (v && static_cast<bool>(InvokeKV(f_, key, *v)) != negate_) return v;
    return std::nullopt;
  }

  F f_;
  bool negate_;
  TableMaterializer<K, V, KS, VS> table_;
};

template <typename K, typename V, typename VR, typename F, typename KS, typename VS>
class TableMapValuesProcessor final : public ContextualProcessor<K, Change<V>, K, Change<VR>> {
 public:
  TableMapValuesProcessor(F f, std::string store, KS key_serde, VS value_serde)
      : f_(std::move(f)), table_(std::move(store), std::move(key_serde), std::move(value_serde)) {}
  void Init(ProcessorContext<K, Change<VR>>& context) override {
    ContextualProcessor<K, Change<V>, K, Change<VR>>::Init(context);
    table_.Init(context);
  }
  void Process(const Record<K, Change<V>>& r) override {
    std::optional<VR> new_value;
    if (r.value.new_value) new_value = VR(InvokeKV(f_, r.key, *r.value.new_value));
    std::optional<VR> old_value;
    if (table_.materialized()) {
      old_value = table_.Apply(r.key, new_value);
    } else if (r.value.old_value) {
      old_value = VR(InvokeKV(f_, r.key, *r.value.old_value));
    }
    this->context().Forward(Record<K, Change<VR>>{
        r.key, Change<VR>{std::move(new_value), std::move(old_value)}, r.timestamp_ms, r.headers});
  }

 private:
  F f_;
  TableMaterializer<K, VR, KS, VS> table_;
};

template <typename K, typename V>
class ToStreamProcessor final : public ContextualProcessor<K, Change<V>, K, std::optional<V>> {
 public:
  void Process(const Record<K, Change<V>>& r) override {
    this->context().Forward(
        Record<K, std::optional<V>>{r.key, r.value.new_value, r.timestamp_ms, r.headers});
  }
};

// ---------------------------------------------------------------------------------------
// Aggregations

// count, reduce and aggregate of a grouped stream: `step(key, value, old)` returns the new
// aggregate from the previous one (nullopt for a new key).
template <typename K, typename V, typename VA, typename Step, typename KS, typename VAS>
class AggregateProcessor final : public ContextualProcessor<K, V, K, Change<VA>> {
 public:
  AggregateProcessor(Step step, std::string store, KS key_serde, VAS value_serde)
      : step_(std::move(step)),
        store_(std::move(store)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}
  void Init(ProcessorContext<K, Change<VA>>& context) override {
    ContextualProcessor<K, V, K, Change<VA>>::Init(context);
    view_.emplace(
        context.template GetKeyValueStore<K, VA, KS, VAS>(store_, key_serde_, value_serde_));
  }
  void Process(const Record<K, V>& r) override {
    if constexpr (kIsOptional<V>) {
      if (!r.value) {  // Kafka Streams' aggregations skip null values too
        this->context().RecordDropped(kDroppedNullValue);
        return;
      }
    }
    std::optional<VA> old = view_->Get(r.key);
    VA agg = step_(r.key, r.value, old);
    view_->Put(r.key, agg);
    this->context().Forward(Record<K, Change<VA>>{r.key, Change<VA>{std::move(agg), std::move(old)},
                                                  r.timestamp_ms, r.headers});
  }

 private:
  Step step_;
  std::string store_;
  KS key_serde_;
  VAS value_serde_;
  std::optional<state::KeyValueStore<K, VA, KS, VAS>> view_;
};

}  // namespace brook::internal::dsl
