#include "state/in_memory_key_value_store.h"

#include <cassert>
#include <utility>

namespace brook::state {
namespace {

using Map = InMemoryKeyValueStore::Map;

// Walks the map by re-seeking from the last key returned, so that erasing or inserting
// entries between steps is harmless. Holds copies of the current entry.
class InMemoryIterator final : public KeyValueIterator {
 public:
  struct Bounds {
    std::optional<std::string> from;    // inclusive
    std::optional<std::string> to;      // inclusive
    std::optional<std::string> prefix;  // every key must start with it
    bool reverse = false;
  };

  InMemoryIterator(const Map& map, Bounds bounds, std::shared_ptr<int> open_iterators)
      : map_(map), bounds_(std::move(bounds)), open_iterators_(std::move(open_iterators)) {
    ++*open_iterators_;
    Map::const_iterator it;
    if (!bounds_.reverse) {
      it = bounds_.from ? map_.lower_bound(*bounds_.from) : map_.begin();
    } else {
      it = bounds_.to ? map_.upper_bound(*bounds_.to) : map_.end();
      it = it == map_.begin() ? map_.end() : std::prev(it);
    }
    Load(it);
  }
  ~InMemoryIterator() override { --*open_iterators_; }
  InMemoryIterator(const InMemoryIterator&) = delete;
  InMemoryIterator& operator=(const InMemoryIterator&) = delete;

  [[nodiscard]] bool Valid() const override { return valid_; }
  [[nodiscard]] std::string_view key() const override { return key_; }
  [[nodiscard]] std::string_view value() const override { return value_; }
  void Next() override {
    assert(valid_);
    Map::const_iterator it;
    if (!bounds_.reverse) {
      it = map_.upper_bound(key_);
    } else {
      it = map_.lower_bound(key_);
      it = it == map_.begin() ? map_.end() : std::prev(it);
    }
    Load(it);
  }
  [[nodiscard]] Status status() const override { return Status::Ok(); }

 private:
  void Load(Map::const_iterator it) {
    valid_ = false;
    if (it == map_.end()) return;
    const std::string& k = it->first;
    if (bounds_.reverse ? (bounds_.from && k < *bounds_.from) : (bounds_.to && k > *bounds_.to)) {
      return;
    }
    if (bounds_.prefix && !k.starts_with(*bounds_.prefix)) return;
    key_ = k;
    value_ = it->second;
    valid_ = true;
  }

  const Map& map_;
  Bounds bounds_;
  std::shared_ptr<int> open_iterators_;
  bool valid_ = false;
  std::string key_;
  std::string value_;
};

std::optional<std::string> ToOwned(std::optional<std::string_view> v) {
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

}  // namespace

InMemoryKeyValueStore::InMemoryKeyValueStore(std::string name) : name_(std::move(name)) {}

InMemoryKeyValueStore::~InMemoryKeyValueStore() {
  assert(*open_iterators_ == 0 && "iterators must be destroyed before their store");
}

Status InMemoryKeyValueStore::CheckOpen() const {
  if (closed_) return Status::FailedPrecondition("state store '" + name_ + "' is closed");
  return Status::Ok();
}

void InMemoryKeyValueStore::PutInternal(std::string_view key, std::string_view value) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    map_.emplace(std::string(key), std::string(value));
    bytes_ += key.size() + value.size();
  } else {
    bytes_ = bytes_ - it->second.size() + value.size();
    it->second.assign(value);
  }
}

void InMemoryKeyValueStore::DeleteInternal(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return;
  bytes_ -= it->first.size() + it->second.size();
  map_.erase(it);
}

Status InMemoryKeyValueStore::Put(std::string_view key, std::string_view value) {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  PutInternal(key, value);
  return Status::Ok();
}

Result<std::optional<std::string>> InMemoryKeyValueStore::Get(std::string_view key) const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  auto it = map_.find(key);
  if (it == map_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status InMemoryKeyValueStore::Delete(std::string_view key) {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  DeleteInternal(key);
  return Status::Ok();
}

Status InMemoryKeyValueStore::Write(std::span<const KeyValueWrite> batch) {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  for (const KeyValueWrite& w : batch) {
    if (w.value) {
      PutInternal(w.key, *w.value);
    } else {
      DeleteInternal(w.key);
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<KeyValueIterator>> InMemoryKeyValueStore::Range(
    std::optional<std::string_view> from, std::optional<std::string_view> to) const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  return std::unique_ptr<KeyValueIterator>(std::make_unique<InMemoryIterator>(
      map_, InMemoryIterator::Bounds{ToOwned(from), ToOwned(to), std::nullopt, false},
      open_iterators_));
}

Result<std::unique_ptr<KeyValueIterator>> InMemoryKeyValueStore::ReverseRange(
    std::optional<std::string_view> from, std::optional<std::string_view> to) const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  return std::unique_ptr<KeyValueIterator>(std::make_unique<InMemoryIterator>(
      map_, InMemoryIterator::Bounds{ToOwned(from), ToOwned(to), std::nullopt, true},
      open_iterators_));
}

Result<std::unique_ptr<KeyValueIterator>> InMemoryKeyValueStore::PrefixScan(
    std::string_view prefix) const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  return std::unique_ptr<KeyValueIterator>(std::make_unique<InMemoryIterator>(
      map_, InMemoryIterator::Bounds{std::string(prefix), std::nullopt, std::string(prefix), false},
      open_iterators_));
}

Result<uint64_t> InMemoryKeyValueStore::ApproximateNumEntries() const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  return static_cast<uint64_t>(map_.size());
}

Result<uint64_t> InMemoryKeyValueStore::ApproximateSizeBytes() const {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  return bytes_;
}

Status InMemoryKeyValueStore::ApplyRestoreBatch(std::span<const ChangelogRecord> records) {
  BROOK_RETURN_IF_ERROR(CheckOpen());
  for (const ChangelogRecord& r : records) {
    if (r.value) {
      PutInternal(r.key, *r.value);
    } else {
      DeleteInternal(r.key);
    }
  }
  return Status::Ok();
}

Status InMemoryKeyValueStore::FlushAfterRestore() {
  return CheckOpen();
}

Status InMemoryKeyValueStore::Flush() {
  return CheckOpen();
}

Status InMemoryKeyValueStore::Close() {
  if (closed_) return Status::Ok();
  if (*open_iterators_ != 0) {
    return Status::FailedPrecondition("state store '" + name_ + "': Close with " +
                                      std::to_string(*open_iterators_) + " open iterator(s)");
  }
  closed_ = true;
  map_.clear();
  bytes_ = 0;
  return Status::Ok();
}

}  // namespace brook::state
