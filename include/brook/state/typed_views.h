// Typed store views: the typed layer over the bytes stores (Kafka Streams' outermost store
// layer, the only one that knows serdes). A view is a small non-owning handle over a
// KeyValueBytesStore, WindowBytesStore or SessionBytesStore plus the serdes KS and VS
// (serde.h); processors get them from their context (processor.h), tests from the topology
// test driver. Everything but (de)serialization is the bytes store's behaviour: ranges and
// prefix scans order by SERIALIZED key bytes; window/session retention as in their headers.
//
// Errors: views throw brook::Error (they are part of the Processor API, whose callbacks may
// throw; the runtime catches and fails the task). A store error keeps its code and message;
// a key or value that does not deserialize throws the serde's code (kInvalidArgument for the
// built-ins) with a message naming the store, whether the key or the value failed, the serde
// and the key bytes (escaped), e.g.
//   state store 'counts': cannot deserialize value (int64) of key 'bad\x01': int64 needs ...
//
// Lifetime: a view refers to the bytes store and must not outlive it. Iterators own the
// bytes iterator below and follow its contract (key_value_store.h): entries are deserialized
// on access, writes during iteration are allowed, destroy iterators before the store closes.
// Iterators can be used with range-for; an iteration ended by a store error throws from the
// Valid() call (or loop test) that finds it.
//
// Thread-safety: like the bytes stores, one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brook/record.h"
#include "brook/state/key_value_store.h"
#include "brook/state/serde.h"
#include "brook/state/session_store.h"
#include "brook/state/window_store.h"
#include "brook/status.h"

namespace brook::state {

namespace internal {

// Throws brook::Error with `status`'s code and the message described in the header comment.
// `what` is "key" or "value".
[[noreturn]] void ThrowDeserializationError(const Status& status, std::string_view store,
                                            std::string_view what, std::string_view serde,
                                            std::string_view key_bytes);

template <typename T, typename S>
T DeserializeOrThrow(const S& serde, std::string_view bytes, const std::string& store,
                     std::string_view what, std::string_view key_bytes) {
  Result<T> r = serde.Deserialize(bytes);
  if (!r.ok()) ThrowDeserializationError(r.status(), store, what, S::kName, key_bytes);
  return std::move(r).value();
}

template <typename T>
T ValueOrThrow(Result<T> r) {
  return std::move(r).ValueOrThrow();
}

// Range-for support: `for (const auto& kv : iterator)` over any iterator class with
// Valid(), Next() and Get().
template <typename Iter>
class IteratorRange {
 public:
  struct Sentinel {};
  class Cursor {
   public:
    explicit Cursor(Iter* it) : it_(it) {}
    auto operator*() const { return it_->Get(); }
    Cursor& operator++() {
      it_->Next();
      return *this;
    }
    bool operator==(Sentinel /*end*/) const { return !it_->Valid(); }

   private:
    Iter* it_;
  };
};

// What the typed iterators share: the inner bytes iterator, deserialization with errors
// naming the store, Valid() that throws on an iteration error, ToVector() and range-for.
// Derived adds its extra accessor (window start, session) and Get().
template <typename Derived, typename Inner, typename K, typename V, typename KS, typename VS>
class TypedIteratorBase {
 public:
  TypedIteratorBase(std::unique_ptr<Inner> inner, const std::string& store, const KS& key_serde,
                    const VS& value_serde)
      : inner_(std::move(inner)), store_(store), key_serde_(key_serde), value_serde_(value_serde) {}

  // True while positioned at an entry; throws when the iteration ended with an error.
  [[nodiscard]] bool Valid() const {
    if (inner_->Valid()) return true;
    inner_->status().ThrowIfError();
    return false;
  }
  // Preconditions for the rest: Valid().
  void Next() { inner_->Next(); }
  [[nodiscard]] K key() const {
    const std::string_view kb = inner_->key();
    return DeserializeOrThrow<K>(key_serde_, kb, store_, "key", kb);
  }
  [[nodiscard]] V value() const {
    return DeserializeOrThrow<V>(value_serde_, inner_->value(), store_, "value", inner_->key());
  }
  // Reads the remaining entries.
  [[nodiscard]] auto ToVector() {
    std::vector<decltype(self().Get())> out;
    for (; Valid(); Next()) out.push_back(self().Get());
    return out;
  }

  using Range = IteratorRange<Derived>;
  typename Range::Cursor begin() { return typename Range::Cursor(&self()); }
  typename Range::Sentinel end() { return {}; }

 protected:
  [[nodiscard]] const Inner& inner() const { return *inner_; }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
  std::unique_ptr<Inner> inner_;
  std::string store_;
  KS key_serde_;
  VS value_serde_;
};
}  // namespace internal

// One window of a window store: (key, window start) -> value.
template <typename K, typename V>
struct WindowedEntry {
  K key{};
  int64_t window_start_ms = 0;
  V value{};
  bool operator==(const WindowedEntry&) const = default;
};

// One session of a session store: (key, session) -> value.
template <typename K, typename V>
struct SessionEntry {
  K key{};
  SessionWindow session;
  V value{};
  bool operator==(const SessionEntry&) const = default;
};

template <typename K, typename V, typename KS = DefaultSerde<K>, typename VS = DefaultSerde<V>>
requires SerdeFor<KS, K> && SerdeFor<VS, V>
class KeyValueStoreIterator
    : public internal::TypedIteratorBase<KeyValueStoreIterator<K, V, KS, VS>, KeyValueIterator, K,
                                         V, KS, VS> {
 public:
  using internal::TypedIteratorBase<KeyValueStoreIterator<K, V, KS, VS>, KeyValueIterator, K, V, KS,
                                    VS>::TypedIteratorBase;
  [[nodiscard]] KeyValue<K, V> Get() const { return {this->key(), this->value()}; }
};

template <typename K, typename V, typename KS = DefaultSerde<K>, typename VS = DefaultSerde<V>>
requires SerdeFor<KS, K> && SerdeFor<VS, V>
class KeyValueStore {
 public:
  using Iterator = KeyValueStoreIterator<K, V, KS, VS>;

  explicit KeyValueStore(KeyValueBytesStore& bytes, KS key_serde = KS(), VS value_serde = VS())
      : bytes_(&bytes), key_serde_(std::move(key_serde)), value_serde_(std::move(value_serde)) {}

  [[nodiscard]] const std::string& name() const { return bytes_->name(); }
  // The bytes store below.
  [[nodiscard]] KeyValueBytesStore& bytes() const { return *bytes_; }

  [[nodiscard]] std::optional<V> Get(const K& key) const {
    const std::string kb = key_serde_.Serialize(key);
    std::optional<std::string> vb = internal::ValueOrThrow(bytes_->Get(kb));
    if (!vb) return std::nullopt;
    return internal::DeserializeOrThrow<V>(value_serde_, *vb, name(), "value", kb);
  }
  void Put(const K& key, const V& value) {
    bytes_->Put(key_serde_.Serialize(key), value_serde_.Serialize(value)).ThrowIfError();
  }
  // Puts only when the key is absent; returns the existing value otherwise.
  std::optional<V> PutIfAbsent(const K& key, const V& value) {
    std::optional<V> existing = Get(key);
    if (!existing) Put(key, value);
    return existing;
  }
  void PutAll(const std::vector<KeyValue<K, V>>& entries) {
    std::vector<std::pair<std::string, std::string>> bytes;
    bytes.reserve(entries.size());
    for (const KeyValue<K, V>& e : entries) {
      bytes.emplace_back(key_serde_.Serialize(e.key), value_serde_.Serialize(e.value));
    }
    std::vector<KeyValueWrite> batch;
    batch.reserve(bytes.size());
    for (const auto& [k, v] : bytes) batch.push_back({k, v});
    bytes_->Write(batch).ThrowIfError();
  }
  void Delete(const K& key) { bytes_->Delete(key_serde_.Serialize(key)).ThrowIfError(); }

  // Entries with from <= key <= to (by serialized bytes), ascending; nullopt bounds are open.
  [[nodiscard]] Iterator Range(const std::optional<K>& from, const std::optional<K>& to) const {
    const std::optional<std::string> f = Serialize(from);
    const std::optional<std::string> t = Serialize(to);
    return Wrap(bytes_->Range(View(f), View(t)));
  }
  [[nodiscard]] Iterator ReverseRange(const std::optional<K>& from,
                                      const std::optional<K>& to) const {
    const std::optional<std::string> f = Serialize(from);
    const std::optional<std::string> t = Serialize(to);
    return Wrap(bytes_->ReverseRange(View(f), View(t)));
  }
  [[nodiscard]] Iterator All() const { return Wrap(bytes_->All()); }
  // Entries whose serialized key starts with the serialized prefix.
  [[nodiscard]] Iterator PrefixScan(const K& prefix) const {
    return Wrap(bytes_->PrefixScan(key_serde_.Serialize(prefix)));
  }
  // Kafka Streams' prefixScan(prefix, prefixKeySerializer): the prefix has its own serde.
  template <typename P, typename PS>
  requires SerdeFor<PS, P>
  [[nodiscard]] Iterator PrefixScan(const P& prefix, const PS& prefix_serde) const {
    return Wrap(bytes_->PrefixScan(prefix_serde.Serialize(prefix)));
  }
  [[nodiscard]] uint64_t ApproximateNumEntries() const {
    return internal::ValueOrThrow(bytes_->ApproximateNumEntries());
  }

 private:
  [[nodiscard]] std::optional<std::string> Serialize(const std::optional<K>& k) const {
    return k ? std::optional<std::string>(key_serde_.Serialize(*k)) : std::nullopt;
  }
  static std::optional<std::string_view> View(const std::optional<std::string>& s) {
    return s ? std::optional<std::string_view>(*s) : std::nullopt;
  }
  [[nodiscard]] Iterator Wrap(Result<std::unique_ptr<KeyValueIterator>> it) const {
    return Iterator(internal::ValueOrThrow(std::move(it)), name(), key_serde_, value_serde_);
  }

  KeyValueBytesStore* bytes_;
  KS key_serde_;
  VS value_serde_;
};

template <typename K, typename V, typename KS = DefaultSerde<K>, typename VS = DefaultSerde<V>>
requires SerdeFor<KS, K> && SerdeFor<VS, V>
class WindowStoreIterator : public internal::TypedIteratorBase<WindowStoreIterator<K, V, KS, VS>,
                                                               WindowIterator, K, V, KS, VS> {
 public:
  using internal::TypedIteratorBase<WindowStoreIterator<K, V, KS, VS>, WindowIterator, K, V, KS,
                                    VS>::TypedIteratorBase;
  [[nodiscard]] int64_t window_start_ms() const { return this->inner().window_start_ms(); }
  [[nodiscard]] WindowedEntry<K, V> Get() const {
    return {this->key(), window_start_ms(), this->value()};
  }
};

template <typename K, typename V, typename KS = DefaultSerde<K>, typename VS = DefaultSerde<V>>
requires SerdeFor<KS, K> && SerdeFor<VS, V>
class WindowStore {
 public:
  using Iterator = WindowStoreIterator<K, V, KS, VS>;

  explicit WindowStore(WindowBytesStore& bytes, KS key_serde = KS(), VS value_serde = VS())
      : bytes_(&bytes), key_serde_(std::move(key_serde)), value_serde_(std::move(value_serde)) {}

  [[nodiscard]] const std::string& name() const { return bytes_->name(); }
  [[nodiscard]] WindowBytesStore& bytes() const { return *bytes_; }

  // Writes (key, window start) -> value; kExpired when retention already dropped the window.
  // Throws kInvalidArgument for a negative window start.
  WriteOutcome Put(const K& key, const V& value, int64_t window_start_ms) {
    return internal::ValueOrThrow(
        bytes_->Put(key_serde_.Serialize(key), value_serde_.Serialize(value), window_start_ms));
  }
  WriteOutcome Delete(const K& key, int64_t window_start_ms) {
    return internal::ValueOrThrow(bytes_->Delete(key_serde_.Serialize(key), window_start_ms));
  }
  // The value of one window; nullopt when absent or expired.
  [[nodiscard]] std::optional<V> Fetch(const K& key, int64_t window_start_ms) const {
    const std::string kb = key_serde_.Serialize(key);
    std::optional<std::string> vb = internal::ValueOrThrow(bytes_->Fetch(kb, window_start_ms));
    if (!vb) return std::nullopt;
    return internal::DeserializeOrThrow<V>(value_serde_, *vb, name(), "value", kb);
  }
  // The windows of key with time_from <= window start <= time_to, ascending by start.
  [[nodiscard]] Iterator Fetch(const K& key, int64_t time_from_ms, int64_t time_to_ms) const {
    return Wrap(bytes_->Fetch(key_serde_.Serialize(key), time_from_ms, time_to_ms));
  }
  [[nodiscard]] Iterator FetchBackward(const K& key, int64_t time_from_ms,
                                       int64_t time_to_ms) const {
    return Wrap(bytes_->FetchBackward(key_serde_.Serialize(key), time_from_ms, time_to_ms));
  }
  // Every key's windows in [time_from, time_to] (order: see window_store.h).
  [[nodiscard]] Iterator FetchAll(int64_t time_from_ms, int64_t time_to_ms) const {
    return Wrap(bytes_->FetchAll(time_from_ms, time_to_ms));
  }

 private:
  [[nodiscard]] Iterator Wrap(Result<std::unique_ptr<WindowIterator>> it) const {
    return Iterator(internal::ValueOrThrow(std::move(it)), name(), key_serde_, value_serde_);
  }

  WindowBytesStore* bytes_;
  KS key_serde_;
  VS value_serde_;
};

template <typename K, typename V, typename KS = DefaultSerde<K>, typename VS = DefaultSerde<V>>
requires SerdeFor<KS, K> && SerdeFor<VS, V>
class SessionStoreIterator : public internal::TypedIteratorBase<SessionStoreIterator<K, V, KS, VS>,
                                                                SessionIterator, K, V, KS, VS> {
 public:
  using internal::TypedIteratorBase<SessionStoreIterator<K, V, KS, VS>, SessionIterator, K, V, KS,
                                    VS>::TypedIteratorBase;
  [[nodiscard]] SessionWindow session() const { return this->inner().session(); }
  [[nodiscard]] SessionEntry<K, V> Get() const { return {this->key(), session(), this->value()}; }
};

template <typename K, typename V, typename KS = DefaultSerde<K>, typename VS = DefaultSerde<V>>
requires SerdeFor<KS, K> && SerdeFor<VS, V>
class SessionStore {
 public:
  using Iterator = SessionStoreIterator<K, V, KS, VS>;

  explicit SessionStore(SessionBytesStore& bytes, KS key_serde = KS(), VS value_serde = VS())
      : bytes_(&bytes), key_serde_(std::move(key_serde)), value_serde_(std::move(value_serde)) {}

  [[nodiscard]] const std::string& name() const { return bytes_->name(); }
  [[nodiscard]] SessionBytesStore& bytes() const { return *bytes_; }

  // Throws kInvalidArgument unless 0 <= start <= end.
  WriteOutcome Put(const K& key, SessionWindow session, const V& value) {
    return internal::ValueOrThrow(
        bytes_->Put(key_serde_.Serialize(key), session, value_serde_.Serialize(value)));
  }
  WriteOutcome Remove(const K& key, SessionWindow session) {
    return internal::ValueOrThrow(bytes_->Remove(key_serde_.Serialize(key), session));
  }
  // The value of exactly this session; nullopt when absent or expired.
  [[nodiscard]] std::optional<V> FetchSession(const K& key, SessionWindow session) const {
    const std::string kb = key_serde_.Serialize(key);
    std::optional<std::string> vb = internal::ValueOrThrow(bytes_->FetchSession(kb, session));
    if (!vb) return std::nullopt;
    return internal::DeserializeOrThrow<V>(value_serde_, *vb, name(), "value", kb);
  }
  // Sessions of key that end at or after earliest_session_end and start at or before
  // latest_session_start (Kafka Streams' findSessions), ordered by end, then start.
  [[nodiscard]] Iterator FindSessions(const K& key, int64_t earliest_session_end_ms,
                                      int64_t latest_session_start_ms) const {
    return Wrap(bytes_->FindSessions(key_serde_.Serialize(key), earliest_session_end_ms,
                                     latest_session_start_ms));
  }
  // Every live session of key.
  [[nodiscard]] Iterator Fetch(const K& key) const {
    return Wrap(bytes_->FetchSessions(key_serde_.Serialize(key)));
  }

 private:
  [[nodiscard]] Iterator Wrap(Result<std::unique_ptr<SessionIterator>> it) const {
    return Iterator(internal::ValueOrThrow(std::move(it)), name(), key_serde_, value_serde_);
  }

  SessionBytesStore* bytes_;
  KS key_serde_;
  VS value_serde_;
};

}  // namespace brook::state
