#include "pageviews/pageviews.h"

#include <algorithm>
#include <array>
#include <iostream>
#include <map>
#include <utility>
#include <vector>

#include "brook/dsl.h"
#include "brook/json_serde.h"
#include "brook/windowed.h"

namespace brook::examples::pageviews {
namespace {

constexpr std::array<std::string_view, 10> kPages = {
    "/",     "/home",     "/products", "/products/42", "/products/7",
    "/cart", "/checkout", "/search",   "/help",        "/account",
};

using PageViewSerde = JsonSerde<PageView>;
using WindowedUserSerde = TimeWindowedSerde<std::string, state::StringSerde>;

// Prints one windowed output topic: "user-07  2024-01-01T00:03:00Z .. 00:04:00Z  17".
Status PrintWindowed(const Config& c, const std::string& topic, std::chrono::milliseconds size,
                     const PrintOptions& o, std::ostream& out) {
  BROOK_ASSIGN_OR_RETURN(auto latest, ReadLatest(c, topic));
  const WindowedUserSerde key_serde(size.count());
  std::map<Windowed<std::string>, int64_t> counts;
  for (const auto& [key, value] : latest) {
    BROOK_ASSIGN_OR_RETURN(Windowed<std::string> window, key_serde.Deserialize(key));
    BROOK_ASSIGN_OR_RETURN(const int64_t n, state::Int64Serde().Deserialize(value));
    counts.emplace(std::move(window), n);
  }
  // A sample spread over users and time: every step-th window in (user, window) order.
  const size_t step =
      o.max_lines > 0 ? std::max<size_t>(1, counts.size() / static_cast<size_t>(o.max_lines)) : 1;
  out << topic << ": " << counts.size() << " final window counts (user, window, views)";
  out << (step > 1 ? ", every " + std::to_string(step) + "th:\n" : ":\n");
  size_t i = 0;
  int64_t printed = 0;
  for (const auto& [window, n] : counts) {
    if (i++ % step != 0) continue;
    if (printed++ >= o.max_lines) break;
    out << "  " << window.key << "  " << FormatUtc(window.window.start_ms) << " .. "
        << FormatUtc(window.window.end_ms) << "  " << n << "\n";
  }
  return Status::Ok();
}

}  // namespace

int64_t EventTime(std::optional<std::string_view> raw_value) {
  if (!raw_value) return -1;
  Result<PageView> view = PageViewSerde().Deserialize(*raw_value);
  return view.ok() ? view->ts : -1;
}

brook::Topology BuildTopology(const Topics& topics) {
  brook::StreamsBuilder builder;
  auto by_user = builder
                     .Stream<std::string, PageView>(
                         topics.input,
                         brook::Consumed<state::StringSerde, PageViewSerde>{
                             .timestamp_extractor =
                                 [](const RecordMetadata& /*metadata*/, int64_t /*record_ts*/,
                                    std::optional<std::string_view> raw_value,
                                    int64_t /*partition_time*/) { return EventTime(raw_value); }})
                     .GroupByKey();

  by_user.WindowedBy(brook::TimeWindows::OfSizeAndGrace(kMinute, kGrace))
      .Count(brook::Materialized<state::StringSerde, state::Int64Serde>{
          .store_name = std::string(kPerMinuteStore), .retention_ms = kRetention.count()})
      .Suppress(brook::Suppressed::UntilWindowCloses().WithName("pageviews-per-minute-final"))
      .ToStream()
      .To(topics.per_minute,
          brook::Produced{WindowedUserSerde(kMinute.count()), state::Int64Serde{}});

  by_user
      .WindowedBy(
          brook::TimeWindows::OfSizeAndGrace(kHoppingSize, kGrace).AdvanceBy(kHoppingAdvance))
      .Count(brook::Materialized<state::StringSerde, state::Int64Serde>{
          .store_name = std::string(kPer5MinStore), .retention_ms = kRetention.count()})
      .Suppress(brook::Suppressed::UntilWindowCloses().WithName("pageviews-per-5min-final"))
      .ToStream()
      .To(topics.per_5min,
          brook::Produced{WindowedUserSerde(kHoppingSize.count()), state::Int64Serde{}});
  return builder.Build();
}

std::string PageViewGenerator::UserName(int user) {
  std::string n = std::to_string(user);
  if (n.size() < 2) n.insert(0, 2 - n.size(), '0');
  return "user-" + n;
}

PageView PageViewGenerator::Next() {
  next_ms_ += 50 + static_cast<int64_t>(rng_() % 101);                // 50..150 ms: 100 on average
  const int64_t ts = next_ms_ - static_cast<int64_t>(rng_() % 5001);  // up to 5 s early
  max_ts_ = std::max(max_ts_, ts);
  // A few users are far busier than the rest (the smaller of two uniform picks).
  const auto users = static_cast<uint64_t>(users_);
  const int user = static_cast<int>(std::min(rng_() % users, rng_() % users));
  return PageView{
      .user = UserName(user), .page = std::string(kPages[rng_() % kPages.size()]), .ts = ts};
}

std::vector<PageView> PageViewGenerator::ClosingViews() const {
  const int64_t ts = max_ts_ + std::chrono::milliseconds(std::chrono::minutes(6)).count();
  std::vector<PageView> views;
  views.reserve(static_cast<size_t>(users_));
  for (int u = 0; u < users_; ++u) views.push_back({.user = UserName(u), .page = "/", .ts = ts});
  return views;
}

ExampleApp App() {
  ExampleApp app;
  app.name = "pageviews";
  app.summary =
      "brook page views: views per user in tumbling 1-minute and hopping 5-minute windows, "
      "final counts only";
  app.keys = {
      {.name = "pageviews.input.topic",
       .default_value = Topics{}.input,
       .doc = "page views: user -> PageView JSON"},
      {.name = "pageviews.per-minute.topic",
       .default_value = Topics{}.per_minute,
       .doc = "final views per user and 1-minute window"},
      {.name = "pageviews.per-5min.topic",
       .default_value = Topics{}.per_5min,
       .doc = "final views per user and 5-minute window (advancing by 1 minute)"},
  };
  app.default_count = 20000;
  auto topics_of = [](const Config& c) {
    return Topics{.input = c.GetString("pageviews.input.topic"),
                  .per_minute = c.GetString("pageviews.per-minute.topic"),
                  .per_5min = c.GetString("pageviews.per-5min.topic")};
  };
  app.build = [topics_of](const Config& c) { return BuildTopology(topics_of(c)); };
  app.produce = [topics_of](const Config& c, const ProduceOptions& o, RecordSink& sink) {
    if (!o.only.empty()) return Status::InvalidArgument("--only: pageviews has one input");
    const Topics topics = topics_of(c);
    const PageViewSerde serde;
    PageViewGenerator views(o.seed);
    for (int64_t i = 0; i < o.count; ++i) {
      const PageView v = views.Next();
      BROOK_RETURN_IF_ERROR(sink.Send(topics.input, v.user, serde.Serialize(v)));
    }
    for (const PageView& v : views.ClosingViews()) {
      BROOK_RETURN_IF_ERROR(sink.Send(topics.input, v.user, serde.Serialize(v)));
    }
    return Status::Ok();
  };
  app.print = [topics_of](const Config& c, const PrintOptions& o, std::ostream& out) -> Status {
    const Topics topics = topics_of(c);
    BROOK_RETURN_IF_ERROR(PrintWindowed(c, topics.per_minute, kMinute, o, out));
    return PrintWindowed(c, topics.per_5min, kHoppingSize, o, out);
  };
  return app;
}

}  // namespace brook::examples::pageviews
