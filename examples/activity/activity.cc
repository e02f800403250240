#include "activity/activity.h"

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <thread>
#include <utility>
#include <vector>

#include "brook/dsl.h"
#include "loadgen/generator.h"

namespace brook::examples::activity {
namespace {

constexpr int64_t kSleepThresholdNs = 1'000'000;

}  // namespace

int64_t SimulatedWork(int64_t work_us) {
  thread_local int64_t owed_ns = 0;
  if (work_us <= 0) return 0;
  owed_ns += work_us * 1000;
  if (owed_ns < kSleepThresholdNs) return 0;
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::nanoseconds(owed_ns));
  const int64_t slept =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  // Oversleeping is credited (bounded, so a long descheduling does not buy free records).
  owed_ns = std::max<int64_t>(owed_ns - slept, -kSleepThresholdNs);
  return slept / 1000;
}

brook::Topology BuildTopology(const Options& options) {
  brook::StreamsBuilder builder;
  const int64_t work_us = options.work_us;
  builder.Stream<std::string, std::string>(options.input)
      .Peek([work_us](const std::string& /*user*/, const std::string& /*event*/) {
        SimulatedWork(work_us);
      })
      .GroupByKey()
      .Count(brook::Materialized<state::StringSerde, state::Int64Serde>{
          .store_name = std::string(kCountsStore)})
      .ToStream()
      .To(options.output, brook::Produced<state::StringSerde, state::Int64Serde>{});
  return builder.Build();
}

std::string UserOf(uint64_t seed, int64_t n, int64_t users) {
  const loadgen::RecordGenerator gen(
      {.seed = seed, .key_cardinality = static_cast<uint64_t>(std::max<int64_t>(users, 1))});
  return "user-" + std::to_string(gen.KeyId(static_cast<uint64_t>(n)));
}

ExampleApp App() {
  ExampleApp app;
  app.name = "activity";
  app.summary =
      "brook activity counts (the elastic demo's app): user events in, the running count per "
      "user out, with a simulated cost per record";
  app.keys = {
      {.name = "activity.input.topic",
       .default_value = Options{}.input,
       .doc = "user events: key user id, value anything"},
      {.name = "activity.output.topic",
       .default_value = Options{}.output,
       .doc = "user id -> count (int64)"},
      {.name = "activity.work.us",
       .type = ConfigType::kInt,
       .default_value = "0",
       .doc = "simulated work per record in microseconds (the stream thread sleeps: a call to "
              "an external service); sets one instance's capacity to about 1e6/work.us records/s",
       .min = 0,
       .max = 1'000'000},
      {.name = "activity.users",
       .type = ConfigType::kInt,
       .default_value = "10000",
       .doc = "distinct users of `produce`",
       .min = 1},
  };
  app.default_count = 10000;
  auto options_of = [](const Config& c) {
    return Options{.input = c.GetString("activity.input.topic"),
                   .output = c.GetString("activity.output.topic"),
                   .work_us = c.GetInt("activity.work.us")};
  };
  app.build = [options_of](const Config& c) { return BuildTopology(options_of(c)); };
  app.produce = [options_of](const Config& c, const ProduceOptions& o, RecordSink& sink) {
    if (!o.only.empty()) return Status::InvalidArgument("--only: activity has one input");
    const Options options = options_of(c);
    const int64_t users = c.GetInt("activity.users");
    for (int64_t i = 0; i < o.count; ++i) {
      BROOK_RETURN_IF_ERROR(
          sink.Send(options.input, UserOf(o.seed, i, users), "/page/" + std::to_string(i % 50)));
    }
    return Status::Ok();
  };
  app.print = [options_of](const Config& c, const PrintOptions& o, std::ostream& out) -> Status {
    const Options options = options_of(c);
    BROOK_ASSIGN_OR_RETURN(auto latest, ReadLatest(c, options.output));
    std::vector<std::pair<int64_t, std::string>> counts;
    int64_t total = 0;
    for (const auto& [user, bytes] : latest) {
      BROOK_ASSIGN_OR_RETURN(const int64_t n, state::Int64Serde().Deserialize(bytes));
      counts.emplace_back(n, user);
      total += n;
    }
    std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    out << options.output << ": " << counts.size() << " users, " << total
        << " events, most active first\n";
    for (size_t i = 0; i < counts.size() && std::cmp_less(i, o.max_lines); ++i) {
      out << "  " << std::left << std::setw(12) << counts[i].second << ' ' << counts[i].first
          << "\n";
    }
    return Status::Ok();
  };
  return app;
}

}  // namespace brook::examples::activity
