// brook consume and brook pipe.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/throughput.h"
#include "client/consumer.h"
#include "client/producer.h"

namespace brook::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Shared stop rules of consume and pipe.
struct StopRules {
  uint64_t max_records = 0;
  bool until_end = false;
  uint64_t idle_timeout_ms = 0;

  [[nodiscard]] bool Done(uint64_t records, const client::Consumer& c,
                          Clock::time_point last_record) const {
    if (StopRequested().load(std::memory_order_relaxed)) return true;
    if (max_records > 0 && records >= max_records) return true;
    if (until_end && c.AllAtEnd()) return true;
    return idle_timeout_ms > 0 &&
           Clock::now() - last_record > std::chrono::milliseconds(idle_timeout_ms);
  }
  [[nodiscard]] size_t BatchLimit(uint64_t records) const {
    constexpr size_t kBatch = 10000;
    if (max_records == 0) return kBatch;
    return static_cast<size_t>(std::min<uint64_t>(kBatch, max_records - records));
  }
};

void Transform(const std::string& how, std::string_view in, std::string* out) {
  out->assign(in);
  if (how == "uppercase") {
    std::transform(out->begin(), out->end(), out->begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  } else if (how == "reverse") {
    std::reverse(out->begin(), out->end());
  }
}

}  // namespace

Status Consume(const Config& config, const ConsumeOptions& o, std::ostream& out,
               std::ostream& err) {
  BROOK_ASSIGN_OR_RETURN(auto consumer, client::Consumer::Create(config));
  BROOK_RETURN_IF_ERROR(consumer->Assign(
      o.topics, o.from == "end" ? client::StartFrom::kEnd : client::StartFrom::kBeginning));
  const StopRules stop{
      .max_records = o.max_records, .until_end = o.until_end, .idle_timeout_ms = o.idle_timeout_ms};
  Throughput tp(o.count || o.format == "none" ? 1000 : 0);
  std::map<std::pair<std::string, int32_t>, uint64_t> per_partition;
  // The counter of the partition of the previous record: records come in runs per partition,
  // so the map is looked up (and a topic string built) once per run, not per record.
  std::string_view cached_topic;
  int32_t cached_partition = -1;
  uint64_t* cached_count = nullptr;
  auto last_record = Clock::now();
  while (!stop.Done(tp.records(), *consumer, last_record)) {
    BROOK_ASSIGN_OR_RETURN(
        size_t n,
        consumer->Poll(
            std::chrono::milliseconds(100), stop.BatchLimit(tp.records()),
            [&](const client::RecordView& r) {
              tp.Add(1, r.key.size() + r.value.size());
              if (cached_count == nullptr || r.partition != cached_partition ||
                  r.topic != cached_topic) {
                auto it = per_partition.try_emplace({std::string(r.topic), r.partition}).first;
                cached_topic = it->first.first;  // owned by the map node
                cached_partition = r.partition;
                cached_count = &it->second;
              }
              ++*cached_count;
              if (o.format == "kv") {
                out << r.key << '\t' << r.value << '\n';
              } else if (o.format == "value") {
                out << r.value << '\n';
              } else if (o.format == "full") {
                out << r.topic << '\t' << r.partition << '\t' << r.offset << '\t' << r.timestamp_ms
                    << '\t' << (r.key_is_null ? "<null>" : r.key) << '\t'
                    << (r.value_is_null ? "<null>" : r.value) << '\n';
              }
            }));
    if (n > 0) {
      last_record = Clock::now();
      tp.MarkActive();
    }
    tp.MaybeReport(err, "consumed");
  }
  if (o.count) {
    if (o.json) {
      std::string parts;
      for (const auto& [tp_key, n] : per_partition) {
        parts += fmt::format(R"({}{{"topic":"{}","partition":{},"records":{}}})",
                             parts.empty() ? "" : ",", tp_key.first, tp_key.second, n);
      }
      out << tp.Summary("consumed", true, ",\"partitions\":[" + parts + "]") << "\n";
    } else {
      for (const auto& [tp_key, n] : per_partition) {
        out << tp_key.first << '\t' << tp_key.second << '\t' << n << '\n';
      }
      out << tp.Summary("consumed", false) << "\n";
    }
  }
  return Status::Ok();
}

Status Pipe(const Config& config, const PipeOptions& o, std::ostream& out, std::ostream& err) {
  BROOK_ASSIGN_OR_RETURN(auto consumer, client::Consumer::Create(config));
  BROOK_ASSIGN_OR_RETURN(auto producer, client::Producer::Create(config));
  BROOK_RETURN_IF_ERROR(consumer->Assign({o.from}, client::StartFrom::kBeginning));
  const StopRules stop{
      .max_records = o.max_records, .until_end = o.until_end, .idle_timeout_ms = o.idle_timeout_ms};
  Throughput tp(o.progress_ms);
  std::string value;
  Status send_status;
  auto last_record = Clock::now();
  while (send_status.ok() && !stop.Done(tp.records(), *consumer, last_record)) {
    BROOK_ASSIGN_OR_RETURN(
        size_t n, consumer->Poll(std::chrono::milliseconds(100), stop.BatchLimit(tp.records()),
                                 [&](const client::RecordView& r) {
                                   if (!send_status.ok()) return;
                                   Transform(o.transform, r.value, &value);
                                   send_status = producer->Send(
                                       o.to, r.key, value, client::kAnyPartition, r.key_is_null);
                                   if (!send_status.ok()) {
                                     send_status = send_status.WithContext(
                                         fmt::format("record from '{}' partition {} offset {}",
                                                     r.topic, r.partition, r.offset));
                                     return;
                                   }
                                   tp.Add(1, r.key.size() + value.size());
                                 }));
    if (n > 0) last_record = Clock::now();
    producer->Poll();
    tp.MaybeReport(err, "piped");
  }
  BROOK_RETURN_IF_ERROR(send_status);
  BROOK_RETURN_IF_ERROR(producer->Flush().WithContext("flush to topic '" + o.to + "'"));
  out << tp.Summary("piped", o.json, fmt::format(R"(,"from":"{}","to":"{}")", o.from, o.to))
      << (o.json ? "" : fmt::format(" from '{}' to '{}' ({})", o.from, o.to, o.transform)) << "\n";
  return Status::Ok();
}

}  // namespace brook::cli
