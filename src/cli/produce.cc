// brook produce: the load generator.
#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/throughput.h"
#include "client/producer.h"
#include "loadgen/generator.h"
#include "loadgen/rate_limiter.h"

namespace brook::cli {

Status Produce(const Config& config, const ProduceOptions& o, std::ostream& out,
               std::ostream& err) {
  BROOK_ASSIGN_OR_RETURN(auto producer, client::Producer::Create(config));
  const loadgen::RecordGenerator gen(
      {.seed = o.seed, .key_cardinality = o.keys, .value_size = o.value_size});
  const loadgen::RateLimiter limiter(o.rate);
  Throughput tp(o.progress_ms);
  std::string value;
  uint64_t i = 0;
  for (; i < o.count && !StopRequested().load(std::memory_order_relaxed); ++i) {
    if (o.rate > 0) limiter.Acquire(i);
    const std::string key = gen.Key(i);
    gen.Value(i, &value);
    BROOK_RETURN_IF_ERROR(producer->Send(o.topic, key, value)
                              .WithContext(fmt::format("record {} of {}", i, o.count)));
    tp.Add(1, key.size() + value.size());
    if ((i & 1023U) == 0) {
      producer->Poll();
      tp.MaybeReport(err, "produced", o.count);
    }
  }
  BROOK_RETURN_IF_ERROR(producer->Flush().WithContext("flush to topic '" + o.topic + "'"));
  if (i < o.count) err << "stopped by signal after " << i << " records\n";
  out << tp.Summary("produced", o.json,
                    fmt::format(R"(,"topic":"{}","delivered":{})", o.topic, producer->delivered()))
      << (o.json ? "" : fmt::format(" to '{}'", o.topic)) << "\n";
  return Status::Ok();
}

}  // namespace brook::cli
