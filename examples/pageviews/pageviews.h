// Page views per user in time windows, final results only (Kafka Streams' windowed count
// with suppress(untilWindowCloses)).
//
//   pageviews (key: user id, value: PageView JSON; event time: the view's "ts" field,
//              read by a TimestampExtractor)
//     -> GroupByKey                              already partitioned by user: no repartition
//     -> WindowedBy(tumbling 1 min, grace 10 s)  -> Count(store "pageviews-per-minute",
//                                                   windows kept 1 hour)
//          -> Suppress(UntilWindowCloses)        one final count per user and window
//          -> pageviews-per-minute               key: Windowed<user> (TimeWindowedSerde:
//                                                user bytes + 8-byte window start), value:
//                                                count (int64)
//     -> WindowedBy(hopping 5 min every 1 min, grace 10 s) -> Count(store
//          "pageviews-per-5min") -> Suppress -> pageviews-per-5min (same format)
//
// A window [start, end) is final, and written once, when the task's stream time (the
// largest event time it has seen) reaches end + grace; views arriving later for a closed
// window are dropped (counted as dropped records). So the last windows of a partition stay
// open until a later view arrives there: the generator ends with one view per user that
// closes every earlier window (PageViewGenerator::ClosingViews).
//
// Thread-safety: the functions are pure; PageViewGenerator is a plain value (one per thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "brook/config.h"
#include "brook/topology.h"
#include "common/example_app.h"

namespace brook::examples::pageviews {

// One page view; `ts` is its event time (ms since the epoch).
struct PageView {
  std::string user;
  std::string page;
  int64_t ts = 0;
  bool operator==(const PageView&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PageView, user, page, ts)

struct Topics {
  // Default: "pageviews"
  std::string input = "pageviews";
  // Default: "pageviews-per-minute"
  std::string per_minute = "pageviews-per-minute";
  // Default: "pageviews-per-5min"
  std::string per_5min = "pageviews-per-5min";
};

// The windows.
inline constexpr std::chrono::milliseconds kMinute = std::chrono::minutes(1);
inline constexpr std::chrono::milliseconds kHoppingSize = std::chrono::minutes(5);
inline constexpr std::chrono::milliseconds kHoppingAdvance = std::chrono::minutes(1);
inline constexpr std::chrono::milliseconds kGrace = std::chrono::seconds(10);
// The window stores (queryable by these names) keep an hour of windows (the default would
// be size + grace: closed windows would leave the store almost at once).
inline constexpr std::chrono::milliseconds kRetention = std::chrono::hours(1);
inline constexpr std::string_view kPerMinuteStore = "pageviews-per-minute";
inline constexpr std::string_view kPer5MinStore = "pageviews-per-5min";

// The event time of a page view record: its "ts" field; -1 for a value that is not a
// PageView, which the task's deserialization handler then treats as a poison record.
int64_t EventTime(std::optional<std::string_view> raw_value);

brook::Topology BuildTopology(const Topics& topics);

// Seeded sample views: `users` users ("user-00" ...), pages from a fixed list, event times
// from `start_ms` on, 100 ms apart on average and up to 5 s out of order (less than the
// grace period: no view is late).
class PageViewGenerator {
 public:
  static constexpr int64_t kDefaultStartMs = 1704067200000;  // 2024-01-01T00:00:00Z

  explicit PageViewGenerator(uint64_t seed, int users = 50, int64_t start_ms = kDefaultStartMs)
      : rng_(seed), users_(users), next_ms_(start_ms) {}

  PageView Next();
  // One view per user, 6 minutes after the latest view so far: in every partition that has
  // users, they move stream time past the end + grace of every window holding earlier views,
  // so those windows are final. Their own windows stay open.
  std::vector<PageView> ClosingViews() const;
  [[nodiscard]] int64_t max_ts() const { return max_ts_; }

  static std::string UserName(int user);

 private:
  std::mt19937_64 rng_;
  int users_;
  int64_t next_ms_;
  int64_t max_ts_ = 0;
};

// The example for brook::examples::Main: keys pageviews.input.topic,
// pageviews.per-minute.topic, pageviews.per-5min.topic; `produce` writes count views keyed
// by user, then the closing views.
ExampleApp App();

}  // namespace brook::examples::pageviews
