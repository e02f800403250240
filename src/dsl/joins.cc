// The non-template parts of the DSL's joins: JoinWindows, the names of a stream-stream
// join, and the stores' value lists and outer-join scan (brook/dsl/joins.h,
// brook/dsl/internal/join_processors.h).
#include "brook/dsl/joins.h"

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brook/dsl/internal/builder_state.h"
#include "brook/dsl/internal/join_processors.h"
#include "brook/state/key_value_store.h"
#include "brook/state/window_store.h"
#include "brook/status.h"

namespace brook {

JoinWindows::JoinWindows(int64_t before_ms, int64_t after_ms, int64_t grace_ms)
    : before_ms_(before_ms), after_ms_(after_ms), grace_ms_(grace_ms) {
  if (before_ms + after_ms < 0) {
    throw Error(StatusCode::kInvalidArgument,
                fmt::format("JoinWindows: the window size (before + after) must not be negative, "
                            "got before {} ms and after {} ms",
                            before_ms, after_ms));
  }
  if (grace_ms < 0) {
    throw Error(
        StatusCode::kInvalidArgument,
        fmt::format("JoinWindows: the grace period must not be negative, got {} ms", grace_ms));
  }
}

JoinWindows JoinWindows::OfTimeDifferenceWithNoGrace(std::chrono::milliseconds time_difference) {
  return OfTimeDifferenceAndGrace(time_difference, std::chrono::milliseconds(0));
}

JoinWindows JoinWindows::OfTimeDifferenceAndGrace(std::chrono::milliseconds time_difference,
                                                  std::chrono::milliseconds grace) {
  if (time_difference.count() < 0) {
    throw Error(StatusCode::kInvalidArgument,
                fmt::format("JoinWindows: the time difference must not be negative, got {} ms",
                            time_difference.count()));
  }
  return {time_difference.count(), time_difference.count(), grace.count()};
}

JoinWindows JoinWindows::Before(std::chrono::milliseconds time_difference) const {
  return {time_difference.count(), after_ms_, grace_ms_};
}

JoinWindows JoinWindows::After(std::chrono::milliseconds time_difference) const {
  return {before_ms_, time_difference.count(), grace_ms_};
}

namespace internal::dsl {

void CheckSameBuilder(const BuilderState* a, const BuilderState* b, std::string_view op) {
  if (a != b) ThrowDslError(op, "both sides must come from the same StreamsBuilder");
}

StreamJoinNames MakeStreamJoinNames(BuilderState& b, JoinKind kind, const std::string& name,
                                    const std::string& store_name) {
  // Kafka Streams' order of generated names: the two windowed nodes (brook has none, the
  // indices are kept), this side, the other side, the merge.
  const bool left_outer = kind != JoinKind::kInner;  // this side's records may stay unjoined
  const bool right_outer = kind == JoinKind::kOuter;
  if (name.empty()) {
    (void)b.NewName("KSTREAM-WINDOWED-");
    (void)b.NewName("KSTREAM-WINDOWED-");
  }
  const std::string this_prefix = right_outer ? "KSTREAM-OUTERTHIS-" : "KSTREAM-JOINTHIS-";
  const std::string this_generated = b.NewName(this_prefix);
  const std::string other_generated =
      b.NewName(left_outer ? "KSTREAM-OUTEROTHER-" : "KSTREAM-JOINOTHER-");
  const std::string this_suffix = right_outer ? "-outer-this-join" : "-this-join";
  const std::string other_suffix = left_outer ? "-outer-other-join" : "-other-join";

  StreamJoinNames n;
  n.this_node = name.empty() ? this_generated : name + this_suffix;
  n.other_node = name.empty() ? other_generated : name + other_suffix;
  n.merge_node = name.empty() ? b.NewName("KSTREAM-MERGE-") : name + "-merge";
  n.this_store = (store_name.empty() ? this_generated : store_name + this_suffix) + "-store";
  n.other_store = (store_name.empty() ? other_generated : store_name + other_suffix) + "-store";
  if (left_outer) {
    n.outer_store =
        (store_name.empty()
             ? "KSTREAM-OUTERSHARED-" + this_generated.substr(this_prefix.size())
             : store_name + (right_outer ? "-outer-shared-join" : "-left-shared-join")) +
        "-store";
  }
  return n;
}

namespace {

constexpr size_t kLengthBytes = 4;
constexpr size_t kOuterPrefixBytes = 9;  // side + timestamp

void PutBigEndian(std::string& out, uint64_t v, size_t bytes) {
  for (size_t i = bytes; i-- > 0;) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBigEndian(std::string_view in, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

}  // namespace

void AppendJoinValue(std::string& list, std::string_view value) {
  PutBigEndian(list, value.size(), kLengthBytes);
  list.append(value);
}

std::vector<std::string_view> SplitJoinValues(std::string_view list, std::string_view store) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    const uint64_t n = list.size() < kLengthBytes ? 0 : GetBigEndian(list, kLengthBytes);
    if (list.size() < kLengthBytes || n > list.size() - kLengthBytes) {
      throw Error(StatusCode::kCorruption,
                  fmt::format("state store '{}': a join entry's value list is malformed", store));
    }
    out.push_back(list.substr(kLengthBytes, n));
    list.remove_prefix(kLengthBytes + n);
  }
  return out;
}

std::string OuterJoinKey(JoinSide side, int64_t timestamp_ms, std::string_view key) {
  std::string out;
  out.reserve(kOuterPrefixBytes + key.size());
  out.push_back(static_cast<char>(side));
  PutBigEndian(out, static_cast<uint64_t>(timestamp_ms), 8);
  out.append(key);
  return out;
}

void AppendToWindowStore(state::WindowBytesStore& store, std::string_view key,
                         std::string_view value, int64_t timestamp_ms) {
  std::string list = store.Fetch(key, timestamp_ms).ValueOrThrow().value_or("");
  AppendJoinValue(list, value);
  // An expired write is ignored by the store (and counted there): a record older than the
  // store's retention can no longer meet a match in time.
  (void)store.Put(key, list, timestamp_ms).ValueOrThrow();
}

void AppendToOuterStore(state::KeyValueBytesStore& store, std::string_view key,
                        std::string_view value) {
  std::string list = store.Get(key).ValueOrThrow().value_or("");
  AppendJoinValue(list, value);
  store.Put(key, list).ThrowIfError();
}

void DeleteFromOuterStore(state::KeyValueBytesStore& store, std::string_view key) {
  if (store.Get(key).ValueOrThrow().has_value()) store.Delete(key).ThrowIfError();
}

void EmitClosedOuterJoinRecords(
    state::KeyValueBytesStore& store, const OuterJoinScan& scan,
    const std::function<void(JoinSide, int64_t, std::string_view, std::string_view)>& emit) {
  // One ordered scan per side ([side][timestamp][key]); each stops at its first entry whose
  // window is still open (later ones are open too); merged by timestamp, right side first.
  struct Cursor {
    JoinSide side;
    int64_t window_ms;
    std::unique_ptr<state::KeyValueIterator> it;
    bool done = false;
    [[nodiscard]] int64_t timestamp() const {
      return static_cast<int64_t>(GetBigEndian(it->key().substr(1), 8));
    }
  };
  std::array<std::optional<Cursor>, 2> cursors;
  auto open = [&](size_t i, JoinSide side, int64_t window_ms) {
    const std::string prefix(1, static_cast<char>(side));
    cursors.at(i).emplace(Cursor{side, window_ms, store.PrefixScan(prefix).ValueOrThrow()});
  };
  if (scan.scan_right) open(0, JoinSide::kRight, scan.right_window_ms);
  if (scan.scan_left) open(1, JoinSide::kLeft, scan.left_window_ms);

  auto live = [&](std::optional<Cursor>& c) {
    if (!c || c->done) return false;
    if (!c->it->Valid()) {
      c->it->status().ThrowIfError();
      c->done = true;
      return false;
    }
    if (c->it->key().size() < kOuterPrefixBytes) {
      throw Error(StatusCode::kCorruption,
                  fmt::format("state store '{}': an outer-join key is malformed", store.name()));
    }
    if (c->timestamp() + c->window_ms + scan.grace_ms >= scan.stream_time_ms) {
      c->done = true;  // still open, and so is every later entry of this side
      return false;
    }
    return true;
  };
  while (true) {
    const bool right = live(cursors[0]);
    const bool left = live(cursors[1]);
    if (!right && !left) break;
    Cursor& c = !left || (right && cursors[0]->timestamp() <= cursors[1]->timestamp())
                    ? *cursors[0]
                    : *cursors[1];
    const std::string key(c.it->key());
    const std::string list(c.it->value());
    const int64_t ts = c.timestamp();
    const std::string_view key_bytes = std::string_view(key).substr(kOuterPrefixBytes);
    for (std::string_view value : SplitJoinValues(list, store.name())) {
      emit(c.side, ts, key_bytes, value);
    }
    store.Delete(key).ThrowIfError();
    c.it->Next();
  }
}

}  // namespace internal::dsl
}  // namespace brook
