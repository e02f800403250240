// TypedKeyValueStore<K, V>: the outer, typed layer over a KeyValueBytesStore (Kafka
// Streams' outermost store layer, the only one that knows serdes). Keys and values pass
// through the serdes KS and VS (serde.h); everything else is the bytes store's behaviour
// (ranges order by SERIALIZED key bytes).
//
// Errors: a value or key that does not deserialize is returned as a Status (code from the
// serde, kInvalidArgument for the built-ins) whose message names the store, whether the key
// or the value failed, the serde, and the key bytes (escaped). No exceptions.
//
// Lifetime: owns the bytes store stack below it. Iterators follow key_value_store.h.
// Thread-safety: one thread at a time, like the bytes store.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "state/encoding.h"
#include "brook/state/key_value_store.h"
#include "brook/state/serde.h"

namespace brook::state {

template <typename K, typename V>
struct KeyValue {
  K key;
  V value;
  bool operator==(const KeyValue&) const = default;
};

namespace internal {

template <typename T, typename S>
Result<T> DeserializeField(const S& serde, std::string_view bytes, const std::string& store,
                           std::string_view what, std::string_view key_bytes) {
  Result<T> r = serde.Deserialize(bytes);
  if (!r.ok()) {
    return r.status().WithContext("state store '" + store + "': cannot deserialize " +
                                  std::string(what) + " (" + std::string(S::kName) + ") of key '" +
                                  EscapeBytes(key_bytes) + "'");
  }
  return r;
}

}  // namespace internal

template <typename K, typename V, typename KS = DefaultSerde<K>, typename VS = DefaultSerde<V>>
requires SerdeFor<KS, K> && SerdeFor<VS, V>
class TypedKeyValueIterator {
 public:
  TypedKeyValueIterator(std::unique_ptr<KeyValueIterator> inner, const std::string& store,
                        const KS& key_serde, const VS& value_serde)
      : inner_(std::move(inner)), store_(store), key_serde_(key_serde), value_serde_(value_serde) {}

  [[nodiscard]] bool Valid() const { return inner_->Valid(); }
  void Next() { inner_->Next(); }
  [[nodiscard]] Status status() const { return inner_->status(); }
  // Preconditions: Valid(). Deserializes the current entry.
  [[nodiscard]] Result<KeyValue<K, V>> Get() const {
    const std::string_view kb = inner_->key();
    BROOK_ASSIGN_OR_RETURN(K key, internal::DeserializeField<K>(key_serde_, kb, store_, "key", kb));
    BROOK_ASSIGN_OR_RETURN(
        V value, internal::DeserializeField<V>(value_serde_, inner_->value(), store_, "value", kb));
    return KeyValue<K, V>{std::move(key), std::move(value)};
  }

 private:
  std::unique_ptr<KeyValueIterator> inner_;
  std::string store_;
  KS key_serde_;
  VS value_serde_;
};

template <typename K, typename V, typename KS = DefaultSerde<K>, typename VS = DefaultSerde<V>>
requires SerdeFor<KS, K> && SerdeFor<VS, V>
class TypedKeyValueStore {
 public:
  using Iterator = TypedKeyValueIterator<K, V, KS, VS>;

  explicit TypedKeyValueStore(std::unique_ptr<KeyValueBytesStore> bytes, KS key_serde = KS(),
                              VS value_serde = VS())
      : bytes_(std::move(bytes)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  [[nodiscard]] const std::string& name() const { return bytes_->name(); }
  // The bytes store below (for the runtime: restore, flush, close).
  [[nodiscard]] KeyValueBytesStore& bytes() { return *bytes_; }

  [[nodiscard]] Status Put(const K& key, const V& value) {
    return bytes_->Put(key_serde_.Serialize(key), value_serde_.Serialize(value));
  }
  [[nodiscard]] Result<std::optional<V>> Get(const K& key) const {
    const std::string kb = key_serde_.Serialize(key);
    BROOK_ASSIGN_OR_RETURN(std::optional<std::string> vb, bytes_->Get(kb));
    if (!vb) return std::optional<V>();
    BROOK_ASSIGN_OR_RETURN(V v,
                           internal::DeserializeField<V>(value_serde_, *vb, name(), "value", kb));
    return std::optional<V>(std::move(v));
  }
  [[nodiscard]] Status Delete(const K& key) { return bytes_->Delete(key_serde_.Serialize(key)); }

  [[nodiscard]] Result<Iterator> Range(const std::optional<K>& from,
                                       const std::optional<K>& to) const {
    return Wrap(bytes_->Range(Serialize(from), Serialize(to)));
  }
  [[nodiscard]] Result<Iterator> ReverseRange(const std::optional<K>& from,
                                              const std::optional<K>& to) const {
    return Wrap(bytes_->ReverseRange(Serialize(from), Serialize(to)));
  }
  [[nodiscard]] Result<Iterator> All() const { return Wrap(bytes_->All()); }

  [[nodiscard]] Status Flush() { return bytes_->Flush(); }
  [[nodiscard]] Status Close() { return bytes_->Close(); }

 private:
  [[nodiscard]] std::optional<std::string> Serialize(const std::optional<K>& k) const {
    return k ? std::optional<std::string>(key_serde_.Serialize(*k)) : std::nullopt;
  }
  [[nodiscard]] Result<Iterator> Wrap(Result<std::unique_ptr<KeyValueIterator>> it) const {
    if (!it.ok()) return it.status();
    return Iterator(std::move(it).value(), name(), key_serde_, value_serde_);
  }

  std::unique_ptr<KeyValueBytesStore> bytes_;
  KS key_serde_;
  VS value_serde_;
};

}  // namespace brook::state
