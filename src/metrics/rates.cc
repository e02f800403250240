#include "metrics/rates.h"

#include <algorithm>

namespace brook::metrics {
namespace {

double Ratio(double busy, double wall) {
  if (wall <= 0) return 0.0;
  return std::clamp(busy / wall, 0.0, 1.0);
}

const StreamsTaskInfo* FindActive(const StreamsStatus& s, const TaskId& id) {
  for (const StreamsTaskInfo& t : s.tasks) {
    if (t.id == id && t.role == "active") return &t;
  }
  return nullptr;
}

}  // namespace

void StallTracker::Reset(int64_t now_ms) {
  last_progress_ms = now_ms;
  max_stall_ms = 0;
  waiting = false;
}

int64_t StallTracker::Turn(size_t buffered_before, size_t buffered_after, int64_t now_ms) {
  const bool progressed = buffered_after < buffered_before;
  int64_t ended = 0;
  if (waiting) {
    const int64_t gap = std::max<int64_t>(0, now_ms - last_progress_ms);
    max_stall_ms = std::max(max_stall_ms, gap);
    if (progressed) ended = gap;
  }
  if (progressed || buffered_after == 0) last_progress_ms = now_ms;
  waiting = buffered_after > 0;
  return ended;
}

void CompletePartition(StreamsPartitionInfo& p, int64_t read_end_offset, int64_t waiting_since_ms,
                       int64_t now_ms) {
  p.end_offset = std::max(p.end_offset, read_end_offset);
  p.lag =
      p.end_offset >= 0 && p.position >= 0 ? std::max<int64_t>(0, p.end_offset - p.position) : -1;
  p.stall_ms = waiting_since_ms >= 0 ? std::max<int64_t>(0, now_ms - waiting_since_ms) : 0;
  p.max_stall_ms = std::max(p.max_stall_ms, p.stall_ms);
}

int64_t InputLag(const std::vector<StreamsPartitionInfo>& partitions) {
  if (partitions.empty()) return -1;
  int64_t lag = 0;
  for (const StreamsPartitionInfo& p : partitions) {
    if (p.lag < 0) return -1;
    lag += p.lag;
  }
  return lag;
}

double CounterDelta(double before, double after) {
  return after >= before ? after - before : after;
}

std::optional<Rates> ComputeRates(const StreamsStatus& before, const StreamsStatus& after) {
  const double window = static_cast<double>(after.now_ms - before.now_ms) / 1000.0;
  if (window <= 0) return std::nullopt;
  Rates r;
  r.window_seconds = window;
  r.consumed_per_second =
      CounterDelta(static_cast<double>(before.consumed), static_cast<double>(after.consumed)) /
      window;
  r.processed_per_second =
      CounterDelta(static_cast<double>(before.processed), static_cast<double>(after.processed)) /
      window;
  for (const StreamsTaskInfo& t : after.tasks) {
    if (t.role != "active") continue;
    const StreamsTaskInfo* b = FindActive(before, t.id);
    const StreamsTaskInfo zero;
    const StreamsTaskInfo& from = b != nullptr ? *b : zero;
    TaskRates tr;
    tr.consumed_per_second =
        CounterDelta(static_cast<double>(from.consumed), static_cast<double>(t.consumed)) / window;
    tr.processed_per_second =
        CounterDelta(static_cast<double>(from.processed), static_cast<double>(t.processed)) /
        window;
    tr.busy_ratio = Ratio(CounterDelta(from.busy_seconds, t.busy_seconds), window);
    r.tasks[t.id] = tr;
  }
  int stream_threads = 0;
  double stream_busy = 0;
  for (const StreamsThreadInfo& th : after.threads) {
    double from = 0;
    for (const StreamsThreadInfo& b : before.threads) {
      if (b.name == th.name) from = b.busy_seconds;
    }
    const double busy = CounterDelta(from, th.busy_seconds);
    r.threads[th.name] = Ratio(busy, window);
    if (th.name != "restore") {
      ++stream_threads;
      stream_busy += busy;
    }
  }
  r.busy_ratio = Ratio(stream_busy, window * std::max(1, stream_threads));
  return r;
}

}  // namespace brook::metrics
