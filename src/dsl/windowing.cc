// Windows, suppression options and the suppression buffer (brook/dsl/windowing.h,
// brook/dsl/internal/window_processors.h).
#include "brook/dsl/windowing.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brook/dsl/internal/builder_state.h"
#include "brook/dsl/internal/window_processors.h"
#include "brook/status.h"
#include "brook/topology.h"

namespace brook {

using internal::dsl::ThrowDslError;

// ---- TimeWindows, SessionWindows ----

TimeWindows::TimeWindows(int64_t size_ms, int64_t advance_ms, int64_t grace_ms)
    : size_ms_(size_ms), advance_ms_(advance_ms), grace_ms_(grace_ms) {}

TimeWindows TimeWindows::OfSizeWithNoGrace(std::chrono::milliseconds size) {
  return OfSizeAndGrace(size, std::chrono::milliseconds(0));
}

TimeWindows TimeWindows::OfSizeAndGrace(std::chrono::milliseconds size,
                                        std::chrono::milliseconds grace) {
  if (size.count() <= 0) {
    ThrowDslError("TimeWindows",
                  fmt::format("the window size must be > 0 ms, got size = {} ms", size.count()));
  }
  if (grace.count() < 0) {
    ThrowDslError("TimeWindows", fmt::format("the grace period must be >= 0 ms, got grace = {} ms",
                                             grace.count()));
  }
  return {size.count(), size.count(), grace.count()};
}

TimeWindows TimeWindows::AdvanceBy(std::chrono::milliseconds advance) const {
  if (advance.count() <= 0 || advance.count() > size_ms_) {
    ThrowDslError("TimeWindows::AdvanceBy",
                  fmt::format("the advance must be > 0 ms and <= the window size ({} ms), got "
                              "advance = {} ms",
                              size_ms_, advance.count()));
  }
  return {size_ms_, advance.count(), grace_ms_};
}

std::vector<Window> TimeWindows::WindowsFor(int64_t timestamp_ms) const {
  std::vector<Window> out;
  if (timestamp_ms < 0) return out;
  const int64_t last = timestamp_ms / advance_ms_ * advance_ms_;
  for (int64_t start = internal::dsl::FirstWindowStart(timestamp_ms, size_ms_, advance_ms_);;
       start += advance_ms_) {
    out.push_back(Window{start, internal::dsl::SaturatingAdd(start, size_ms_)});
    if (start >= last) break;
  }
  return out;
}

SessionWindows::SessionWindows(int64_t gap_ms, int64_t grace_ms)
    : gap_ms_(gap_ms), grace_ms_(grace_ms) {}

SessionWindows SessionWindows::OfInactivityGapWithNoGrace(std::chrono::milliseconds gap) {
  return OfInactivityGapAndGrace(gap, std::chrono::milliseconds(0));
}

SessionWindows SessionWindows::OfInactivityGapAndGrace(std::chrono::milliseconds gap,
                                                       std::chrono::milliseconds grace) {
  if (gap.count() <= 0) {
    ThrowDslError("SessionWindows",
                  fmt::format("the inactivity gap must be > 0 ms, got gap = {} ms", gap.count()));
  }
  if (grace.count() < 0) {
    ThrowDslError(
        "SessionWindows",
        fmt::format("the grace period must be >= 0 ms, got grace = {} ms", grace.count()));
  }
  return {gap.count(), grace.count()};
}

// ---- Suppressed ----

Suppressed Suppressed::UntilWindowCloses(BufferConfig buffer) {
  if (buffer.when_full == BufferConfig::WhenFull::kEmitEarly) {
    ThrowDslError("Suppressed::UntilWindowCloses",
                  "the buffer must not emit early (when_full = kEmitEarly would forward "
                  "windows before they close): use BufferConfig::Unbounded() or "
                  "ShutDownWhenFull()");
  }
  return {Kind::kUntilWindowCloses, 0, std::move(buffer)};
}

Suppressed Suppressed::UntilTimeLimit(std::chrono::milliseconds time_to_wait, BufferConfig buffer) {
  if (time_to_wait.count() < 0) {
    ThrowDslError("Suppressed::UntilTimeLimit",
                  fmt::format("the time to wait must be >= 0 ms, got time_to_wait = {} ms",
                              time_to_wait.count()));
  }
  return {Kind::kUntilTimeLimit, time_to_wait.count(), std::move(buffer)};
}

Suppressed Suppressed::WithName(std::string name) const {
  Suppressed s = *this;
  s.name_ = std::move(name);
  return s;
}

namespace internal::dsl {

// ---- Windowed aggregations ----

StoreSpec WindowedStoreSpec(std::string_view op, const std::string& store, StoreKind kind,
                            bool logging, const std::map<std::string, std::string>& configs,
                            int64_t retention_ms, int64_t min_retention_ms) {
  const bool window = kind == StoreKind::kWindow;
  if (retention_ms == -1) {
    retention_ms = min_retention_ms;
  } else if (retention_ms < min_retention_ms) {
    ThrowDslError(op, fmt::format("the retention of {} store '{}' must be at least {} ({} ms), "
                                  "got retention_ms = {}",
                                  window ? "window" : "session", store,
                                  window ? "the window size plus the grace period"
                                         : "the inactivity gap plus the grace period",
                                  min_retention_ms, retention_ms));
  }
  // brook's session store expires a session when end <= stream time - retention, while a
  // session closes only when end + gap + grace < stream time: one more millisecond keeps
  // every open session readable (the window store's rule already does for time windows).
  if (!window) retention_ms = SaturatingAdd(retention_ms, 1);
  return StoreSpec{.name = store,
                   .kind = kind,
                   .backend = StoreBackend::kRocksDb,
                   .logging = logging,
                   .changelog_configs = configs,
                   .retention_ms = retention_ms};
}

namespace {

int64_t WalkUpstream(const TopologySpec& spec, const std::map<std::string, int64_t>& closes,
                     const std::string& node, const std::string& chain, std::set<std::string>& path,
                     std::string_view op) {
  if (auto it = closes.find(node); it != closes.end()) return it->second;
  const std::string new_chain = chain.empty() ? node : node + "->" + chain;
  std::vector<std::string> parents;
  if (const NodeSpec* n = spec.Find(node)) {
    parents = n->parents;
    if (n->kind == NodeKind::kSource) {  // through a topic: the sinks writing it
      for (const NodeSpec& sink : spec.nodes) {
        if (sink.kind == NodeKind::kSink && !sink.topic.empty() &&
            std::find(n->topics.begin(), n->topics.end(), sink.topic) != n->topics.end()) {
          parents.push_back(sink.name);
        }
      }
    }
  }
  if (parents.empty() || !path.insert(node).second) {
    ThrowDslError(op, fmt::format("Suppressed::UntilWindowCloses: window close time is only "
                                  "defined for windowed aggregations, got [{}]",
                                  new_chain));
  }
  int64_t close = -1;
  for (const std::string& parent : parents) {
    close = std::max(close, WalkUpstream(spec, closes, parent, new_chain, path, op));
  }
  path.erase(node);
  return close;
}

}  // namespace

void RegisterWindowClose(const BuilderPtr& b, const std::string& node, int64_t close_after_ms) {
  b->window_close_ms[node] = close_after_ms;
}

int64_t FindWindowClose(const BuilderPtr& b, const std::string& node, std::string_view op) {
  std::set<std::string> path;
  return WalkUpstream(b->topology.spec(), b->window_close_ms, node, "", path, op);
}

// ---- Suppression ----

SuppressParams SuppressParamsFor(const Suppressed& suppressed, int64_t close_after_ms) {
  const BufferConfig& buffer = suppressed.buffer();
  if (buffer.max_records < 0) {
    ThrowDslError("KTable::Suppress", fmt::format("BufferConfig::max_records must be >= 0, got {}",
                                                  buffer.max_records));
  }
  if (buffer.max_bytes < 0) {
    ThrowDslError("KTable::Suppress",
                  fmt::format("BufferConfig::max_bytes must be >= 0, got {}", buffer.max_bytes));
  }
  const bool final_results = suppressed.kind() == Suppressed::Kind::kUntilWindowCloses;
  return SuppressParams{
      .window_end_time = final_results,
      .delay_ms = final_results ? close_after_ms : suppressed.time_to_wait_ms(),
      .drop_tombstones = final_results,
      .max_records = buffer.max_records,
      .max_bytes = buffer.max_bytes,
      .emit_early_when_full =
          !final_results && buffer.when_full == BufferConfig::WhenFull::kEmitEarly};
}

void ThrowBufferFull(std::string_view node, uint64_t records, int64_t max_records, uint64_t bytes,
                     int64_t max_bytes) {
  throw Error(StatusCode::kFailedPrecondition,
              fmt::format("{} buffer exceeded its max capacity. Currently [{}/{}] records and "
                          "[{}/{}] bytes.",
                          node, records, max_records, bytes, max_bytes));
}

namespace {

constexpr char kTimePrefix = 't';
constexpr char kIndexPrefix = 'k';
constexpr size_t kTimeKeyHeader = 1 + 8;  // prefix + time
constexpr uint64_t kSignBit = uint64_t{1} << 63;

void AppendU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void AppendU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// Reads big-endian integers and byte strings; any overrun marks the reader failed.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  uint64_t U64() { return Uint(8); }
  uint32_t U32() { return static_cast<uint32_t>(Uint(4)); }
  uint8_t U8() { return static_cast<uint8_t>(Uint(1)); }
  std::string Bytes(size_t n) {
    if (!ok_ || bytes_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string out(bytes_.substr(pos_, n));
    pos_ += n;
    return out;
  }
  [[nodiscard]] bool ok() const { return ok_; }
  // Everything read, nothing overran.
  [[nodiscard]] bool done() const { return ok_ && pos_ == bytes_.size(); }

 private:
  uint64_t Uint(size_t n) {
    if (!ok_ || bytes_.size() - pos_ < n) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_ + i]);
    pos_ += n;
    return v;
  }

  std::string_view bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

std::string TimeKey(int64_t time_ms, std::string_view key) {
  std::string out;
  out.reserve(kTimeKeyHeader + key.size());
  out.push_back(kTimePrefix);
  AppendU64(out, static_cast<uint64_t>(time_ms) ^ kSignBit);
  out.append(key);
  return out;
}

std::string IndexKey(std::string_view key) {
  std::string out;
  out.reserve(1 + key.size());
  out.push_back(kIndexPrefix);
  out.append(key);
  return out;
}

std::string EncodeTime(int64_t time_ms) {
  std::string out;
  AppendU64(out, static_cast<uint64_t>(time_ms) ^ kSignBit);
  return out;
}

std::optional<int64_t> DecodeTime(std::string_view bytes) {
  Reader r(bytes);
  const uint64_t v = r.U64();
  if (!r.done()) return std::nullopt;
  return static_cast<int64_t>(v ^ kSignBit);
}

constexpr uint8_t kHasNew = 1;
constexpr uint8_t kHasPrior = 2;

void AppendBytes(std::string& out, std::string_view bytes) {
  AppendU32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

// timestamp u64 | flags u8 | [new: u32 len, bytes] | [prior: u32 len, bytes] |
// header count u32 | per header: key (u32 len, bytes), has value u8, [value (u32 len, bytes)]
std::string EncodeChange(const BufferedChange& c) {
  std::string out;
  AppendU64(out, static_cast<uint64_t>(c.timestamp_ms));
  out.push_back(static_cast<char>((c.new_value ? kHasNew : 0) | (c.prior_value ? kHasPrior : 0)));
  if (c.new_value) AppendBytes(out, *c.new_value);
  if (c.prior_value) AppendBytes(out, *c.prior_value);
  AppendU32(out, static_cast<uint32_t>(c.headers.size()));
  for (const Header& h : c.headers) {
    AppendBytes(out, h.key);
    out.push_back(static_cast<char>(h.value ? 1 : 0));
    if (h.value) AppendBytes(out, *h.value);
  }
  return out;
}

std::optional<BufferedChange> DecodeChange(std::string_view bytes) {
  Reader r(bytes);
  BufferedChange c;
  c.timestamp_ms = static_cast<int64_t>(r.U64());
  const uint8_t flags = r.U8();
  if ((flags & kHasNew) != 0) c.new_value = r.Bytes(r.U32());
  if ((flags & kHasPrior) != 0) c.prior_value = r.Bytes(r.U32());
  const uint32_t headers = r.U32();
  for (uint32_t i = 0; i < headers && r.ok(); ++i) {
    Header h;
    h.key = r.Bytes(r.U32());
    if (r.U8() != 0) h.value = r.Bytes(r.U32());
    c.headers.push_back(std::move(h));
  }
  if (!r.done() || c.headers.size() != headers) return std::nullopt;
  return c;
}

uint64_t EntrySize(std::string_view key, std::string_view encoded) {
  return 8 + key.size() + encoded.size();
}

[[noreturn]] void ThrowCorrupt(const std::string& store, std::string_view what) {
  throw Error(StatusCode::kCorruption, fmt::format("suppression buffer '{}': {}", store, what));
}

void ThrowIfError(const Status& s) {
  if (!s.ok()) throw Error(s.code(), s.message());
}

template <typename T>
T ValueOrThrow(Result<T> r) {
  if (!r.ok()) ThrowIfError(r.status());
  return std::move(r).value();
}

}  // namespace

void SuppressionBuffer::Load() {
  if (loaded_) return;
  std::unique_ptr<state::KeyValueIterator> it =
      ValueOrThrow(store_->PrefixScan(std::string_view(&kTimePrefix, 1)));
  records_ = 0;
  bytes_ = 0;
  min_time_ms_ = std::numeric_limits<int64_t>::max();
  for (; it->Valid(); it->Next()) {
    const std::string_view tk = it->key();
    if (tk.size() < kTimeKeyHeader) ThrowCorrupt(store_->name(), "short time key");
    if (records_ == 0) min_time_ms_ = *DecodeTime(tk.substr(1, 8));
    ++records_;
    bytes_ += EntrySize(tk.substr(kTimeKeyHeader), it->value());
  }
  ThrowIfError(it->status());
  loaded_ = true;
}

uint64_t SuppressionBuffer::num_records() {
  Load();
  return records_;
}

uint64_t SuppressionBuffer::size_bytes() {
  Load();
  return bytes_;
}

int64_t SuppressionBuffer::min_time_ms() {
  Load();
  return min_time_ms_;
}

void SuppressionBuffer::Put(int64_t time_ms, std::string_view key,
                            std::optional<std::string> new_value,
                            std::optional<std::string> old_value, int64_t timestamp_ms,
                            const Headers& headers) {
  Load();
  const std::string index_key = IndexKey(key);
  BufferedChange change{
      .timestamp_ms = timestamp_ms, .new_value = std::move(new_value), .headers = headers};
  std::optional<std::string> indexed = ValueOrThrow(store_->Get(index_key));
  if (indexed) {
    // Already buffered: replace the change in place, keep its time and prior value.
    const std::optional<int64_t> time = DecodeTime(*indexed);
    if (!time) ThrowCorrupt(store_->name(), "bad index entry");
    const std::string time_key = TimeKey(*time, key);
    std::optional<std::string> previous = ValueOrThrow(store_->Get(time_key));
    if (!previous) ThrowCorrupt(store_->name(), "index entry without a buffered change");
    std::optional<BufferedChange> decoded = DecodeChange(*previous);
    if (!decoded) ThrowCorrupt(store_->name(), "undecodable buffered change");
    change.prior_value = std::move(decoded->prior_value);
    const std::string encoded = EncodeChange(change);
    ThrowIfError(store_->Put(time_key, encoded));
    bytes_ = bytes_ - EntrySize(key, *previous) + EntrySize(key, encoded);
    return;
  }
  change.prior_value = std::move(old_value);
  const std::string time_key = TimeKey(time_ms, key);
  const std::string encoded = EncodeChange(change);
  const std::string time_bytes = EncodeTime(time_ms);
  const std::array<state::KeyValueWrite, 2> batch{state::KeyValueWrite{time_key, encoded},
                                                  state::KeyValueWrite{index_key, time_bytes}};
  ThrowIfError(store_->Write(batch));
  ++records_;
  bytes_ += EntrySize(key, encoded);
  min_time_ms_ = std::min(min_time_ms_, time_ms);
}

std::optional<BufferedChange> SuppressionBuffer::Get(std::string_view key) const {
  std::optional<std::string> indexed = ValueOrThrow(store_->Get(IndexKey(key)));
  if (!indexed) return std::nullopt;
  const std::optional<int64_t> time = DecodeTime(*indexed);
  if (!time) ThrowCorrupt(store_->name(), "bad index entry");
  std::optional<std::string> entry = ValueOrThrow(store_->Get(TimeKey(*time, key)));
  if (!entry) ThrowCorrupt(store_->name(), "index entry without a buffered change");
  std::optional<BufferedChange> decoded = DecodeChange(*entry);
  if (!decoded) ThrowCorrupt(store_->name(), "undecodable buffered change");
  return decoded;
}

void SuppressionBuffer::EvictWhile(
    const std::function<bool()>& more,
    const std::function<void(std::string_view key, BufferedChange change)>& emit) {
  Load();
  if (records_ == 0 || !more()) return;
  std::unique_ptr<state::KeyValueIterator> it =
      ValueOrThrow(store_->PrefixScan(std::string_view(&kTimePrefix, 1)));
  while (it->Valid() && records_ > 0 && more()) {
    const std::string time_key(it->key());
    if (time_key.size() < kTimeKeyHeader) ThrowCorrupt(store_->name(), "short time key");
    const std::string_view key = std::string_view(time_key).substr(kTimeKeyHeader);
    const std::string encoded(it->value());
    std::optional<BufferedChange> change = DecodeChange(encoded);
    if (!change) ThrowCorrupt(store_->name(), "undecodable buffered change");
    emit(key, std::move(*change));
    const std::string index_key = IndexKey(key);
    const std::array<state::KeyValueWrite, 2> batch{state::KeyValueWrite{time_key, std::nullopt},
                                                    state::KeyValueWrite{index_key, std::nullopt}};
    ThrowIfError(store_->Write(batch));
    --records_;
    bytes_ -= std::min(bytes_, EntrySize(key, encoded));
    it->Next();
    min_time_ms_ = std::numeric_limits<int64_t>::max();
    if (it->Valid()) {
      if (it->key().size() < kTimeKeyHeader) ThrowCorrupt(store_->name(), "short time key");
      min_time_ms_ = *DecodeTime(it->key().substr(1, 8));
    }
  }
  ThrowIfError(it->status());
}

}  // namespace internal::dsl
}  // namespace brook
