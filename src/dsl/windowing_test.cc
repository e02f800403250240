// Test-driver tests of windowed aggregations and suppression (brook/dsl/windowing.h): window
// boundaries, hopping windows, grace periods and late-record drops, session merges and
// retention, old values, value getters, final results and time-limited suppression across
// restarts, buffer limits, windowed serdes and Describe().
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "brook/dsl.h"

namespace brook {
namespace {

using state::Int64Serde;
using state::StringSerde;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::chrono::milliseconds Ms(int64_t ms) {
  return std::chrono::milliseconds(ms);
}

template <typename F>
std::string ErrorOf(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

template <typename V>
std::string Show(const std::optional<V>& v) {
  if (!v) return "null";
  std::ostringstream os;
  os << *v;
  return os.str();
}

// "[a@0/10] 2 old 1 t=5": a windowed table update.
template <typename V>
std::string Show(const Record<Windowed<std::string>, Change<V>>& r) {
  return ToString(r.key) + " " + Show(r.value.new_value) + " old " + Show(r.value.old_value) +
         " t=" + std::to_string(r.timestamp_ms);
}

// "[a@0/10] 2 t=5": a windowed record as read back from a topic.
template <typename V>
std::string Show(const Record<Windowed<std::string>, std::optional<V>>& r) {
  return ToString(r.key) + " " + Show(r.value) + " t=" + std::to_string(r.timestamp_ms);
}

template <typename K, typename V>
class Capture final : public Processor<K, V> {
 public:
  explicit Capture(std::shared_ptr<std::vector<std::string>> out) : out_(std::move(out)) {}
  void Process(const Record<K, V>& r) override { out_->push_back(Show(r)); }

 private:
  std::shared_ptr<std::vector<std::string>> out_;
};

// Records every update `table` forwards, as Show() strings.
template <typename V>
std::shared_ptr<std::vector<std::string>> CaptureUpdates(
    Topology& t, const KTable<Windowed<std::string>, V>& table) {
  auto out = std::make_shared<std::vector<std::string>>();
  t.AddProcessor("capture-" + table.node_name(),
                 [out] { return std::make_unique<Capture<Windowed<std::string>, Change<V>>>(out); },
                 {table.node_name()});
  return out;
}

// Reads everything on `topic` with windowed keys.
template <typename V, typename KS, typename VS>
std::vector<std::string> ReadWindowed(TopologyTestDriver& d, const std::string& topic, KS ks,
                                      VS vs) {
  auto out = d.CreateOutputTopic<Windowed<std::string>, std::optional<V>>(topic, ks, vs);
  std::vector<std::string> lines;
  for (const auto& r : out.ReadRecordsToList()) lines.push_back(Show(r));
  return lines;
}

std::vector<std::string> ReadTimeWindowed(TopologyTestDriver& d, const std::string& topic,
                                          int64_t size_ms) {
  return ReadWindowed<int64_t>(d, topic, TimeWindowedSerde<std::string>(size_ms), Int64Serde{});
}

using CountMaterialized = Materialized<StringSerde, Int64Serde>;
using KV = KeyValue<std::string, std::string>;

template <typename V>
std::optional<V> WindowValue(TopologyTestDriver& d, std::string_view store, const std::string& key,
                             int64_t start_ms) {
  return d.GetWindowStore<std::string, V>(store).Fetch(key, start_ms);
}

template <typename V>
std::vector<state::SessionEntry<std::string, V>> Sessions(TopologyTestDriver& d,
                                                          std::string_view store,
                                                          const std::string& key) {
  return d.GetSessionStore<std::string, V>(store).Fetch(key).ToVector();
}

constexpr std::string_view kLate = "late";

// ---------------------------------------------------------------------------------------
// Windows

TEST(WindowsTest, ValidationErrorsNameTheParameter) {
  EXPECT_THAT(ErrorOf([] { (void)TimeWindows::OfSizeWithNoGrace(Ms(0)); }),
              HasSubstr("TimeWindows: the window size must be > 0 ms, got size = 0 ms"));
  EXPECT_THAT(ErrorOf([] { (void)TimeWindows::OfSizeAndGrace(Ms(10), Ms(-1)); }),
              HasSubstr("grace = -1 ms"));
  EXPECT_THAT(ErrorOf([] { (void)TimeWindows::OfSizeWithNoGrace(Ms(10)).AdvanceBy(Ms(11)); }),
              HasSubstr("TimeWindows::AdvanceBy: the advance must be > 0 ms and <= the window "
                        "size (10 ms), got advance = 11 ms"));
  EXPECT_THAT(ErrorOf([] { (void)TimeWindows::OfSizeWithNoGrace(Ms(10)).AdvanceBy(Ms(0)); }),
              HasSubstr("advance = 0 ms"));
  EXPECT_THAT(ErrorOf([] { (void)SessionWindows::OfInactivityGapWithNoGrace(Ms(0)); }),
              HasSubstr("SessionWindows: the inactivity gap must be > 0 ms, got gap = 0 ms"));
  EXPECT_THAT(ErrorOf([] { (void)SessionWindows::OfInactivityGapAndGrace(Ms(5), Ms(-2)); }),
              HasSubstr("grace = -2 ms"));
  EXPECT_THAT(ErrorOf([] { (void)Suppressed::UntilTimeLimit(Ms(-1)); }),
              HasSubstr("time_to_wait = -1 ms"));
  EXPECT_THAT(ErrorOf([] { (void)Suppressed::UntilWindowCloses(BufferConfig::MaxRecords(3)); }),
              HasSubstr("must not emit early"));
  const TimeWindows w = TimeWindows::OfSizeAndGrace(Ms(10), Ms(3)).AdvanceBy(Ms(5));
  EXPECT_EQ(w.size_ms(), 10);
  EXPECT_EQ(w.advance_ms(), 5);
  EXPECT_EQ(w.grace_ms(), 3);
}

TEST(WindowsTest, WindowsForTumblingAndHopping) {
  const TimeWindows tumbling = TimeWindows::OfSizeWithNoGrace(Ms(10));
  EXPECT_THAT(tumbling.WindowsFor(9), ElementsAre(Window{0, 10}));
  EXPECT_THAT(tumbling.WindowsFor(10), ElementsAre(Window{10, 20}));
  EXPECT_THAT(tumbling.WindowsFor(19), ElementsAre(Window{10, 20}));
  const TimeWindows hopping = tumbling.AdvanceBy(Ms(5));
  EXPECT_THAT(hopping.WindowsFor(12), ElementsAre(Window{5, 15}, Window{10, 20}));
  EXPECT_THAT(hopping.WindowsFor(3), ElementsAre(Window{0, 10}));  // none starts before 0
  const TimeWindows by3 = tumbling.AdvanceBy(Ms(3));
  EXPECT_THAT(by3.WindowsFor(20), ElementsAre(Window{12, 22}, Window{15, 25}, Window{18, 28}));
  EXPECT_THAT(by3.WindowsFor(21),
              ElementsAre(Window{12, 22}, Window{15, 25}, Window{18, 28}, Window{21, 31}));
}

// ---------------------------------------------------------------------------------------
// Time-windowed aggregations

TEST(TimeWindowedTest, TumblingWindowBoundaries) {
  StreamsBuilder b;
  auto counts = b.Stream<std::string, std::string>("in")
                    .GroupByKey()
                    .WindowedBy(TimeWindows::OfSizeAndGrace(Ms(10), Ms(100)))
                    .Count(CountMaterialized{.store_name = "counts"});
  counts.ToStream().To("out", Produced{TimeWindowedSerde<std::string>(10), Int64Serde{}});
  Topology t = b.Build();
  auto updates = CaptureUpdates(t, counts);
  TopologyTestDriver d(t);
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  // 9 = start of [10, 20) - 1, 10 = its start, 19 = its end - 1, 20 = its end.
  for (int64_t ts : {9, 10, 19, 20}) in.PipeInput("a", "v", ts);
  EXPECT_THAT(*updates, ElementsAre("[a@0/10] 1 old null t=9", "[a@10/20] 1 old null t=10",
                                    "[a@10/20] 2 old 1 t=19", "[a@20/30] 1 old null t=20"));
  EXPECT_THAT(ReadTimeWindowed(d, "out", 10), ElementsAre("[a@0/10] 1 t=9", "[a@10/20] 1 t=10",
                                                          "[a@10/20] 2 t=19", "[a@20/30] 1 t=20"));
  auto store = d.GetWindowStore<std::string, int64_t>("counts");
  EXPECT_EQ(store.Fetch("a", 0), 1);
  EXPECT_EQ(store.Fetch("a", 10), 2);
  EXPECT_EQ(store.Fetch("a", 20), 1);
  EXPECT_EQ(d.DroppedRecords(), 0U);
}

TEST(TimeWindowedTest, HoppingWindowsPutARecordInSizeOverAdvanceWindows) {
  StreamsBuilder b;
  auto counts = b.Stream<std::string, std::string>("in")
                    .GroupByKey()
                    .WindowedBy(TimeWindows::OfSizeAndGrace(Ms(10), Ms(100)).AdvanceBy(Ms(5)))
                    .Count();
  Topology t = b.Build();
  auto updates = CaptureUpdates(t, counts);
  TopologyTestDriver d(t);
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "v", 12);
  in.PipeInput("a", "v", 3);
  in.PipeInput("a", "v", 7);
  EXPECT_THAT(*updates, ElementsAre("[a@5/15] 1 old null t=12", "[a@10/20] 1 old null t=12",
                                    "[a@0/10] 1 old null t=3",  // no window starts before 0
                                    "[a@0/10] 2 old 1 t=7", "[a@5/15] 2 old 1 t=7"));
}

TEST(TimeWindowedTest, GraceAcceptsLateRecordsUntilWindowEndPlusGrace) {
  StreamsBuilder b;
  auto counts = b.Stream<std::string, std::string>("in")
                    .GroupByKey()
                    .WindowedBy(TimeWindows::OfSizeAndGrace(Ms(10), Ms(5)))
                    .Count(CountMaterialized{.store_name = "counts"});
  Topology t = b.Build();
  auto updates = CaptureUpdates(t, counts);
  TopologyTestDriver d(t);
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "v", 0);
  in.PipeInput("b", "v", 14);  // stream time 14: [0, 10) closes at 15
  in.PipeInput("a", "v", 5);   // late but within grace: updates
  EXPECT_EQ(d.DroppedRecords(), 0U);
  in.PipeInput("c", "v", 15);  // stream time 15 = end + grace: [0, 10) is closed
  in.PipeInput("a", "v", 6);   // dropped
  in.PipeInput("a", "v", 9);   // dropped
  EXPECT_THAT(*updates, ElementsAre("[a@0/10] 1 old null t=0", "[b@10/20] 1 old null t=14",
                                    "[a@0/10] 2 old 1 t=5", "[c@10/20] 1 old null t=15"));
  EXPECT_EQ(d.DroppedRecords(), 2U);
  EXPECT_EQ(d.DroppedRecordsByReason(), (std::map<std::string, uint64_t>{{std::string(kLate), 2}}));
  EXPECT_EQ(WindowValue<int64_t>(d, "counts", "a", 0), 2);
}

TEST(TimeWindowedTest, WithoutGraceEachClosedHoppingWindowCountsOneDrop) {
  StreamsBuilder b;
  auto counts = b.Stream<std::string, std::string>("in")
                    .GroupByKey()
                    .WindowedBy(TimeWindows::OfSizeWithNoGrace(Ms(10)).AdvanceBy(Ms(5)))
                    .Count();
  Topology t = b.Build();
  auto updates = CaptureUpdates(t, counts);
  TopologyTestDriver d(t);
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "v", 15);  // [10, 20), [15, 25)
  in.PipeInput("a", "v", 9);   // [0, 10) and [5, 15) both closed: 2 drops
  in.PipeInput("a", "v", 11);  // [5, 15) closed (end 15 <= 15), [10, 20) open
  EXPECT_THAT(*updates, ElementsAre("[a@10/20] 1 old null t=15", "[a@15/25] 1 old null t=15",
                                    "[a@10/20] 2 old 1 t=11"));
  EXPECT_EQ(d.DroppedRecords(), 3U);
}

TEST(TimeWindowedTest, NullValuesAreSkippedAndCounted) {
  StreamsBuilder b;
  auto grouped = b.Stream<std::string, std::optional<std::string>>("in").GroupByKey();
  auto windows = grouped.WindowedBy(TimeWindows::OfSizeWithNoGrace(Ms(10))).Count();
  auto sessions = grouped.WindowedBy(SessionWindows::OfInactivityGapWithNoGrace(Ms(10))).Count();
  Topology t = b.Build();
  auto window_updates = CaptureUpdates(t, windows);
  auto session_updates = CaptureUpdates(t, sessions);
  TopologyTestDriver d(t);
  auto in = d.CreateInputTopic<std::string, std::optional<std::string>>("in");
  in.PipeInput("a", "v", 1);
  in.PipeInput("a", std::nullopt, 2);
  EXPECT_THAT(*window_updates, ElementsAre("[a@0/10] 1 old null t=1"));
  EXPECT_THAT(*session_updates, ElementsAre("[a@1/1] 1 old null t=1"));
  EXPECT_EQ(d.DroppedRecordsByReason(),
            (std::map<std::string, uint64_t>{{"null-value", 2}}));
}

TEST(TimeWindowedTest, ReduceAndAggregateWithOldValues) {
  StreamsBuilder b;
  auto windowed = b.Stream<std::string, int64_t>("in").GroupByKey().WindowedBy(
      TimeWindows::OfSizeAndGrace(Ms(10), Ms(100)));
  auto sums = windowed.Reduce([](int64_t agg, int64_t v) { return agg + v; },
                              Materialized<StringSerde, Int64Serde>{.store_name = "sums"});
  auto logs = windowed.Aggregate([] { return std::string("<"); },
                                 [](const std::string& k, int64_t v, const std::string& agg) {
                                   return agg + k + std::to_string(v);
                                 },
                                 Materialized<StringSerde, StringSerde>{.store_name = "logs"});
  Topology t = b.Build();
  auto sum_updates = CaptureUpdates(t, sums);
  auto log_updates = CaptureUpdates(t, logs);
  TopologyTestDriver d(t);
  auto in = d.CreateInputTopic<std::string, int64_t>("in");
  in.PipeInput("a", 1, 0);
  in.PipeInput("a", 2, 3);
  in.PipeInput("a", 4, 12);
  in.PipeInput("b", 8, 9);
  EXPECT_THAT(*sum_updates, ElementsAre("[a@0/10] 1 old null t=0", "[a@0/10] 3 old 1 t=3",
                                        "[a@10/20] 4 old null t=12", "[b@0/10] 8 old null t=9"));
  EXPECT_THAT(*log_updates,
              ElementsAre("[a@0/10] <a1 old null t=0", "[a@0/10] <a1a2 old <a1 t=3",
                          "[a@10/20] <a4 old null t=12", "[b@0/10] <b8 old null t=9"));
  EXPECT_EQ(WindowValue<std::string>(d, "logs", "a", 0), "<a1a2");
}

TEST(TimeWindowedTest, GroupByRepartitionsThroughATopicNamedAfterTheStore) {
  StreamsBuilder b;
  b.Stream<std::string, std::string>("in")
      .GroupBy([](const std::string&, const std::string& v) { return v; })
      .WindowedBy(TimeWindows::OfSizeWithNoGrace(Ms(10)))
      .Count(CountMaterialized{.store_name = "by-value"})
      .ToStream()
      .To("out", Produced{TimeWindowedSerde<std::string>(10), Int64Serde{}});
  TopologyTestDriver d(b.Build(), {{"application.id", "rep"}});
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("k1", "x", 1);
  in.PipeInput("k2", "x", 2);
  in.PipeInput("k3", "y", 11);
  EXPECT_THAT(ReadTimeWindowed(d, "out", 10),
              ElementsAre("[x@0/10] 1 t=1", "[x@0/10] 2 t=2", "[y@10/20] 1 t=11"));
  EXPECT_EQ(d.UnreadCount("rep-by-value-repartition"), 3U);
}

TEST(TimeWindowedTest, RetentionIsSizePlusGraceOrTheGivenOneButNotLess) {
  {
    StreamsBuilder b;
    auto windowed = b.Stream<std::string, std::string>("in").GroupByKey().WindowedBy(
        TimeWindows::OfSizeAndGrace(Ms(10), Ms(5)));
    EXPECT_THAT(
        ErrorOf([&] {
          (void)windowed.Count(CountMaterialized{.store_name = "counts", .retention_ms = 14});
        }),
        HasSubstr("TimeWindowedKStream::Count: the retention of window store 'counts' must be "
                  "at least the window size plus the grace period (15 ms), got "
                  "retention_ms = 14"));
  }
  // Default retention 10 + 0: once stream time reaches 100 the window [0, 10) is gone.
  StreamsBuilder b;
  auto windowed = b.Stream<std::string, std::string>("in").GroupByKey().WindowedBy(
      TimeWindows::OfSizeWithNoGrace(Ms(10)));
  (void)windowed.Count(CountMaterialized{.store_name = "short"});
  (void)windowed.Count(CountMaterialized{.store_name = "long", .retention_ms = 1000});
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "v", 0);
  in.PipeInput("b", "v", 100);
  EXPECT_EQ(WindowValue<int64_t>(d, "short", "a", 0), std::nullopt);
  EXPECT_EQ(WindowValue<int64_t>(d, "long", "a", 0), 1);
}

// ---------------------------------------------------------------------------------------
// Session-windowed aggregations

TEST(SessionWindowedTest, MergesSessionsAndDropsLateRecords) {
  StreamsBuilder b;
  auto counts = b.Stream<std::string, std::string>("in")
                    .GroupByKey()
                    .WindowedBy(SessionWindows::OfInactivityGapAndGrace(Ms(5), Ms(10)))
                    .Count(CountMaterialized{.store_name = "sessions"});
  counts.ToStream().To("out", Produced{SessionWindowedSerde<std::string>{}, Int64Serde{}});
  Topology t = b.Build();
  auto updates = CaptureUpdates(t, counts);
  TopologyTestDriver d(t);
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "v", 0);
  in.PipeInput("a", "v", 3);   // within the gap: [0, 0] becomes [0, 3]
  in.PipeInput("a", "v", 10);  // 7 after 3: a new session
  in.PipeInput("a", "v", 7);   // out of order, within the gap of both: merges them
  in.PipeInput("c", "v", 10);  // a session at the same time as an existing one-record one
  in.PipeInput("c", "v", 10);  // updated in place
  EXPECT_THAT(*updates, ElementsAre("[a@0/0] 1 old null t=0", "[a@0/0] null old 1 t=0",
                                    "[a@0/3] 2 old null t=3", "[a@10/10] 1 old null t=10",
                                    "[a@0/3] null old 2 t=3", "[a@10/10] null old 1 t=10",
                                    "[a@0/10] 4 old null t=10", "[c@10/10] 1 old null t=10",
                                    "[c@10/10] 2 old 1 t=10"));
  EXPECT_EQ(d.DroppedRecords(), 0U);
  EXPECT_EQ(Sessions<int64_t>(d, "sessions", "a"),
            (std::vector<state::SessionEntry<std::string, int64_t>>{{"a", {0, 10}, 4}}));
  // Stream time 30, gap 5, grace 10: sessions ending before 15 are closed.
  in.PipeInput("z", "v", 30);
  in.PipeInput("b", "v", 14);  // [14, 14] ends before 15: dropped
  in.PipeInput("a", "v", 12);  // would extend the closed [0, 10] to [0, 12]: dropped
  in.PipeInput("b", "v", 15);  // [15, 15] is still open
  EXPECT_THAT(std::vector<std::string>(updates->begin() + 9, updates->end()),
              ElementsAre("[z@30/30] 1 old null t=30", "[b@15/15] 1 old null t=15"));
  EXPECT_EQ(d.DroppedRecords(), 2U);
  EXPECT_EQ(d.DroppedRecordsByReason(), (std::map<std::string, uint64_t>{{std::string(kLate), 2}}));
  // Windowed keys written with the session-windowed serde read back with start and end.
  EXPECT_THAT(
      ReadWindowed<int64_t>(d, "out", SessionWindowedSerde<std::string>{}, Int64Serde{}),
      ElementsAre("[a@0/0] 1 t=0", "[a@0/0] null t=0", "[a@0/3] 2 t=3", "[a@10/10] 1 t=10",
                  "[a@0/3] null t=3", "[a@10/10] null t=10", "[a@0/10] 4 t=10", "[c@10/10] 1 t=10",
                  "[c@10/10] 2 t=10", "[z@30/30] 1 t=30", "[b@15/15] 1 t=15"));
}

TEST(SessionWindowedTest, GraceExtendsTheCloseTime) {
  StreamsBuilder b;
  auto counts = b.Stream<std::string, std::string>("in")
                    .GroupByKey()
                    .WindowedBy(SessionWindows::OfInactivityGapAndGrace(Ms(5), Ms(10)))
                    .Count();
  Topology t = b.Build();
  auto updates = CaptureUpdates(t, counts);
  TopologyTestDriver d(t);
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "v", 30);  // close time 30 - 10 - 5 = 15
  in.PipeInput("b", "v", 15);  // ends at the close time: accepted
  in.PipeInput("b", "v", 14);  // merges into [14, 15]: still ends at 15, accepted
  in.PipeInput("c", "v", 14);  // a new session ending at 14 < 15: dropped
  EXPECT_THAT(*updates, ElementsAre("[a@30/30] 1 old null t=30", "[b@15/15] 1 old null t=15",
                                    "[b@15/15] null old 1 t=15", "[b@14/15] 2 old null t=15"));
  EXPECT_EQ(d.DroppedRecords(), 1U);
}

TEST(SessionWindowedTest, ReduceAndAggregateMergeWithTheMerger) {
  StreamsBuilder b;
  auto windowed = b.Stream<std::string, int64_t>("in").GroupByKey().WindowedBy(
      SessionWindows::OfInactivityGapAndGrace(Ms(5), Ms(100)));
  auto sums = windowed.Reduce([](int64_t agg, int64_t v) { return agg * 10 + v; });
  auto logs = windowed.Aggregate(
      [] { return std::string("<"); },
      [](const std::string&, int64_t v, const std::string& agg) { return agg + std::to_string(v); },
      [](const std::string& k, const std::string& a, const std::string& s) {
        return a + "|" + k + s;
      },
      Materialized<StringSerde, StringSerde>{.store_name = "logs"});
  Topology t = b.Build();
  auto sum_updates = CaptureUpdates(t, sums);
  auto log_updates = CaptureUpdates(t, logs);
  TopologyTestDriver d(t);
  auto in = d.CreateInputTopic<std::string, int64_t>("in");
  in.PipeInput("a", 1, 0);
  in.PipeInput("a", 2, 10);
  in.PipeInput("a", 3, 5);  // merges [0, 0] and [10, 10]
  EXPECT_THAT(*sum_updates, ElementsAre("[a@0/0] 1 old null t=0", "[a@10/10] 2 old null t=10",
                                        "[a@0/0] null old 1 t=0", "[a@10/10] null old 2 t=10",
                                        "[a@0/10] 123 old null t=10"));
  EXPECT_THAT(*log_updates, ElementsAre("[a@0/0] <1 old null t=0", "[a@10/10] <2 old null t=10",
                                        "[a@0/0] null old <1 t=0", "[a@10/10] null old <2 t=10",
                                        "[a@0/10] <|a<1|a<23 old null t=10"));
}

TEST(SessionWindowedTest, RetentionIsGapPlusGraceOrTheGivenOneButNotLess) {
  {
    StreamsBuilder b;
    auto windowed = b.Stream<std::string, std::string>("in").GroupByKey().WindowedBy(
        SessionWindows::OfInactivityGapAndGrace(Ms(5), Ms(2)));
    EXPECT_THAT(
        ErrorOf([&] {
          (void)windowed.Count(CountMaterialized{.store_name = "sessions", .retention_ms = 6});
        }),
        HasSubstr("SessionWindowedKStream::Count: the retention of session store 'sessions' "
                  "must be at least the inactivity gap plus the grace period (7 ms), got "
                  "retention_ms = 6"));
  }
  StreamsBuilder b;
  auto windowed = b.Stream<std::string, std::string>("in").GroupByKey().WindowedBy(
      SessionWindows::OfInactivityGapWithNoGrace(Ms(5)));
  (void)windowed.Count(CountMaterialized{.store_name = "short"});
  (void)windowed.Count(CountMaterialized{.store_name = "long", .retention_ms = 1000});
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "v", 0);
  in.PipeInput("b", "v", 100);
  EXPECT_THAT(Sessions<int64_t>(d, "short", "a"), IsEmpty());
  EXPECT_EQ(Sessions<int64_t>(d, "long", "a").size(), 1U);
  EXPECT_EQ(Sessions<int64_t>(d, "short", "b").size(), 1U);
}

// ---------------------------------------------------------------------------------------
// Value getters

// Looks up the windowed key (input key, window from the value "start end") in a table's
// value getter and forwards the value, or "null".
template <typename V>
class Probe final : public ContextualProcessor<std::string, std::string, std::string, std::string> {
 public:
  explicit Probe(internal::dsl::ValueGetterSupplierPtr<Windowed<std::string>, V> supplier)
      : supplier_(std::move(supplier)) {}
  void Init(ProcessorContext<std::string, std::string>& context) override {
    ContextualProcessor::Init(context);
    getter_ = supplier_->make();
    getter_->Init(context);
  }
  void Process(const Record<std::string, std::string>& r) override {
    std::istringstream window(r.value);
    Windowed<std::string> key{r.key, {}};
    window >> key.window.start_ms >> key.window.end_ms;
    context().Forward(r.WithValue(Show(getter_->Get(key))));
  }

 private:
  internal::dsl::ValueGetterSupplierPtr<Windowed<std::string>, V> supplier_;
  std::unique_ptr<internal::dsl::ValueGetter<Windowed<std::string>, V>> getter_;
};

template <typename V>
void AddProbe(Topology& t, const std::string& topic,
              const KTable<Windowed<std::string>, V>& table) {
  const std::string source = topic + "-source";
  t.AddSource<std::string, std::string>(source, {topic});
  const auto& supplier = table.value_getter();
  t.AddProcessor(topic + "-probe", [supplier] { return std::make_unique<Probe<V>>(supplier); },
                 {source});
  t.ConnectProcessorAndStateStores(topic + "-probe", supplier->stores);
  t.AddSink<std::string, std::string>(topic + "-sink", topic + "-out", {topic + "-probe"});
}

TEST(WindowedValueGetterTest, ReadsTheWindowAndSessionStores) {
  StreamsBuilder b;
  auto grouped = b.Stream<std::string, std::string>("in").GroupByKey();
  auto windows = grouped.WindowedBy(TimeWindows::OfSizeAndGrace(Ms(10), Ms(100))).Count();
  auto sessions =
      grouped.WindowedBy(SessionWindows::OfInactivityGapAndGrace(Ms(5), Ms(100))).Count();
  auto suppressed = windows.Suppress(Suppressed::UntilWindowCloses());
  Topology t = b.Build();
  AddProbe(t, "w", windows);
  AddProbe(t, "s", sessions);
  AddProbe(t, "x", suppressed);
  TopologyTestDriver d(t);
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "v", 1);
  in.PipeInput("a", "v", 3);
  auto w = d.CreateInputTopic<std::string, std::string>("w");
  w.PipeInput("a", "0 10", 3);
  w.PipeInput("a", "10 20", 3);
  auto s = d.CreateInputTopic<std::string, std::string>("s");
  s.PipeInput("a", "1 3", 3);
  s.PipeInput("a", "1 1", 3);  // merged away
  // The suppressed table shows what downstream saw: nothing yet for the buffered window.
  auto x = d.CreateInputTopic<std::string, std::string>("x");
  x.PipeInput("a", "0 10", 3);
  auto values = [&](const std::string& topic) {
    return d.CreateOutputTopic<std::string, std::string>(topic).ReadValuesToList();
  };
  EXPECT_THAT(values("w-out"), ElementsAre("2", "null"));
  EXPECT_THAT(values("s-out"), ElementsAre("2", "null"));
  EXPECT_THAT(values("x-out"), ElementsAre("null"));
}

// ---------------------------------------------------------------------------------------
// Suppression

TEST(SuppressTest, UntilWindowClosesEmitsOneFinalResultPerWindow) {
  StreamsBuilder b;
  b.Stream<std::string, std::string>("in")
      .GroupByKey()
      .WindowedBy(TimeWindows::OfSizeAndGrace(Ms(10), Ms(5)))
      .Count()
      .Suppress(Suppressed::UntilWindowCloses())
      .ToStream()
      .To("out", Produced{TimeWindowedSerde<std::string>(10), Int64Serde{}});
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "v", 1);
  in.PipeInput("a", "v", 5);
  in.PipeInput("b", "v", 7);
  in.PipeInput("a", "v", 12);
  in.PipeInput("a", "v", 14);  // stream time 14 < 10 + 5: nothing final yet
  EXPECT_THAT(ReadTimeWindowed(d, "out", 10), IsEmpty());
  in.PipeInput("b", "v", 15);  // stream time 15: [0, 10) closes
  EXPECT_THAT(ReadTimeWindowed(d, "out", 10), ElementsAre("[a@0/10] 2 t=5", "[b@0/10] 1 t=7"));
  in.PipeInput("a", "v", 9);  // too late: dropped, nothing re-emitted
  in.PipeInput("c", "v", 24);
  EXPECT_THAT(ReadTimeWindowed(d, "out", 10), IsEmpty());
  in.PipeInput("c", "v", 25);  // [10, 20) closes
  EXPECT_THAT(ReadTimeWindowed(d, "out", 10), ElementsAre("[a@10/20] 2 t=14", "[b@10/20] 1 t=15"));
  EXPECT_EQ(d.DroppedRecords(), 1U);
}

TEST(SuppressTest, UntilWindowClosesOnSessionsWaitsForGapAndGraceAndDropsMergedSessions) {
  StreamsBuilder b;
  b.Stream<std::string, std::string>("in")
      .GroupByKey()
      .WindowedBy(SessionWindows::OfInactivityGapAndGrace(Ms(5), Ms(2)))
      .Count()
      .Suppress(Suppressed::UntilWindowCloses())
      .ToStream()
      .To("out", Produced{SessionWindowedSerde<std::string>{}, Int64Serde{}});
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  auto read = [&] {
    return ReadWindowed<int64_t>(d, "out", SessionWindowedSerde<std::string>{}, Int64Serde{});
  };
  in.PipeInput("a", "v", 0);
  in.PipeInput("a", "v", 4);  // [0, 0] merged into [0, 4]: its delete is never forwarded
  in.PipeInput("b", "v", 10);
  EXPECT_THAT(read(), IsEmpty());
  in.PipeInput("b", "v", 11);  // [0, 4] closes at 4 + 5 + 2 = 11
  EXPECT_THAT(read(), ElementsAre("[a@0/4] 2 t=4"));
  in.PipeInput("c", "v", 100);
  EXPECT_THAT(read(), ElementsAre("[b@10/11] 2 t=11"));
}

TEST(SuppressTest, UntilWindowClosesFindsTheWindowsThroughFilterAndMapValues) {
  StreamsBuilder b;
  b.Stream<std::string, std::string>("in")
      .GroupByKey()
      .WindowedBy(TimeWindows::OfSizeAndGrace(Ms(10), Ms(5)))
      .Count()
      .Filter([](const Windowed<std::string>& k, int64_t) { return k.key != "x"; })
      .MapValues([](int64_t v) { return v * 100; })
      .Suppress(Suppressed::UntilWindowCloses().WithName("final"),
                TimeWindowedSerde<std::string>(10), Int64Serde{})  // the buffer's serdes
      .ToStream()
      .To("out", Produced{TimeWindowedSerde<std::string>(10), Int64Serde{}});
  const Topology t = b.Build();
  EXPECT_THAT(t.Describe(), HasSubstr("Processor: final (stores: [final-store])"));
  TopologyTestDriver d(t);
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "v", 1);
  in.PipeInput("x", "v", 2);
  in.PipeInput("a", "v", 3);
  in.PipeInput("b", "v", 15);
  EXPECT_THAT(ReadTimeWindowed(d, "out", 10), ElementsAre("[a@0/10] 200 t=3"));
}

TEST(SuppressTest, UntilWindowClosesNeedsAWindowedAggregationUpstream) {
  StreamsBuilder b;
  auto table = b.Table<std::string, std::string>("t");
  EXPECT_THAT(ErrorOf([&] { (void)table.Suppress(Suppressed::UntilWindowCloses()); }),
              HasSubstr("KTable::Suppress: Suppressed::UntilWindowCloses needs a windowed table"));
  auto windowed_keys = b.Table<Windowed<std::string>, std::string>("w");
  EXPECT_THAT(ErrorOf([&] { (void)windowed_keys.Suppress(Suppressed::UntilWindowCloses()); }),
              HasSubstr("KTable::Suppress: Suppressed::UntilWindowCloses: window close time is "
                        "only defined for windowed aggregations, got "
                        "[KSTREAM-SOURCE-0000000003->KTABLE-SOURCE-0000000005]"));
}

// A topology whose suppression buffer holds windows that close at stream time 25.
Topology BufferedWindows() {
  StreamsBuilder b;
  b.Stream<std::string, std::string>("in")
      .GroupByKey()
      .WindowedBy(TimeWindows::OfSizeAndGrace(Ms(10), Ms(5)))
      .Count(CountMaterialized{.store_name = "counts"})
      .Suppress(Suppressed::UntilWindowCloses().WithName("final"))
      .ToStream()
      .To("out", Produced{TimeWindowedSerde<std::string>(10), Int64Serde{}});
  return b.Build();
}

void PipeFirstHalf(TopologyTestDriver& d) {
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "v", 1);
  in.PipeInput("b", "v", 7);
  in.PipeInput("a", "v", 12);
  in.PipeInput("a", "v", 13);
  EXPECT_THAT(ReadTimeWindowed(d, "out", 10), IsEmpty());
}

void ExpectFinalResultsAfterRestart(TopologyTestDriver& d) {
  d.CreateInputTopic<std::string, std::string>("in").PipeInput("c", "v", 30);
  EXPECT_THAT(ReadTimeWindowed(d, "out", 10),
              ElementsAre("[a@0/10] 1 t=1", "[b@0/10] 1 t=7", "[a@10/20] 2 t=13"));
}

std::vector<ProducedRecord> ReadAll(TopologyTestDriver& d, const std::string& topic) {
  std::vector<ProducedRecord> out;
  while (std::optional<ProducedRecord> r = d.ReadRaw(topic)) out.push_back(std::move(*r));
  return out;
}

void Restore(state::KeyValueBytesStore& store, const std::vector<ProducedRecord>& log) {
  std::vector<state::ChangelogRecord> batch;
  for (size_t i = 0; i < log.size(); ++i) {
    std::optional<std::string_view> value;
    if (log[i].value) value = *log[i].value;
    batch.push_back({*log[i].key, value, static_cast<int64_t>(i)});
  }
  ASSERT_TRUE(store.ApplyRestoreBatch(batch).ok());
}

TEST(SuppressTest, TheBufferIsRestoredFromItsChangelog) {
  const Topology t = BufferedWindows();
  const std::map<std::string, std::string> config{{"application.id", "final-app"}};
  std::vector<ProducedRecord> log;
  {
    TopologyTestDriver d(t, config);
    PipeFirstHalf(d);
    log = ReadAll(d, "final-app-final-store-changelog");
  }
  ASSERT_FALSE(log.empty());
  TopologyTestDriver d(t, config);
  Restore(d.GetKeyValueBytesStore("final-store"), log);
  ExpectFinalResultsAfterRestart(d);
}

TEST(SuppressTest, TheBufferSurvivesACrashOnTheSameStateDir) {
  char tmpl[] = "/tmp/brook-windowing-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path dir = tmpl;
  const std::filesystem::path app = dir / "crash-app";
  const std::filesystem::path snapshot = dir / "snapshot";
  const Topology t = BufferedWindows();
  const std::map<std::string, std::string> config{{"application.id", "crash-app"},
                                                  {"state.dir", dir.string()}};
  {
    TopologyTestDriver d(t, config);
    PipeFirstHalf(d);
    ASSERT_TRUE(d.GetKeyValueBytesStore("final-store").Flush().ok());
    ASSERT_TRUE(d.GetWindowBytesStore("counts").Flush().ok());
    // What a crash leaves on disk (the driver removes its state when destroyed).
    std::filesystem::copy(app, snapshot, std::filesystem::copy_options::recursive);
  }
  std::filesystem::rename(snapshot, app);
  {
    TopologyTestDriver d(t, config);
    ExpectFinalResultsAfterRestart(d);
  }
  std::filesystem::remove_all(dir);
}

TEST(SuppressTest, UntilTimeLimitEmitsTheLatestValueAfterTheLimitAndForwardsDeletes) {
  StreamsBuilder b;
  b.Table<std::string, std::string>("table")
      .Suppress(Suppressed::UntilTimeLimit(Ms(10)))
      .ToStream()
      .To("out");
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::optional<std::string>>("table");
  auto out = d.CreateOutputTopic<std::string, std::optional<std::string>>("out");
  auto read = [&] {
    std::vector<std::string> lines;
    for (const auto& r : out.ReadRecordsToList()) {
      lines.push_back(r.key + "=" + Show(r.value) + " t=" + std::to_string(r.timestamp_ms));
    }
    return lines;
  };
  in.PipeInput("a", "1", 0);
  in.PipeInput("a", "2", 3);  // replaces a's buffered update, keeps its time 0
  in.PipeInput("b", "x", 5);
  EXPECT_THAT(read(), IsEmpty());
  in.PipeInput("c", "y", 10);  // a's time 0 + 10 <= 10
  EXPECT_THAT(read(), ElementsAre("a=2 t=3"));
  in.PipeInput("d", "z", 15);
  EXPECT_THAT(read(), ElementsAre("b=x t=5"));
  in.PipeInput("a", std::nullopt, 16);  // a delete is buffered like any update
  in.PipeInput("e", "w", 26);
  EXPECT_THAT(read(), ElementsAre("c=y t=10", "d=z t=15", "a=null t=16"));
}

TEST(SuppressTest, BufferFullShutsDownOrEmitsEarly) {
  auto build = [](const BufferConfig& buffer) {
    StreamsBuilder b;
    b.Table<std::string, std::string>("table")
        .Suppress(Suppressed::UntilTimeLimit(Ms(100), buffer).WithName("limited"))
        .ToStream()
        .To("out");
    return b.Build();
  };
  {
    TopologyTestDriver d(build(BufferConfig::MaxRecords(1).ShutDownWhenFull()));
    auto in = d.CreateInputTopic<std::string, std::string>("table");
    in.PipeInput("a", "1", 0);
    in.PipeInput("a", "2", 1);  // the same key: still one record
    try {
      in.PipeInput("b", "1", 2);
      ADD_FAILURE() << "a full buffer must fail the task";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), StatusCode::kFailedPrecondition);
      EXPECT_THAT(e.what(), HasSubstr("limited buffer exceeded its max capacity. Currently "
                                      "[2/1] records and ["));
    }
  }
  {
    TopologyTestDriver d(build(BufferConfig::MaxBytes(20).ShutDownWhenFull()));
    auto in = d.CreateInputTopic<std::string, std::string>("table");
    EXPECT_THAT(ErrorOf([&] { in.PipeInput("a", "1", 0); }),
                HasSubstr("Currently [1/9223372036854775807] records and [27/20] bytes."));
  }
  {
    TopologyTestDriver d(build(BufferConfig::MaxRecords(1)));
    auto in = d.CreateInputTopic<std::string, std::string>("table");
    in.PipeInput("a", "1", 0);
    in.PipeInput("b", "2", 1);  // a is emitted early
    in.PipeInput("c", "3", 2);  // b is emitted early
    auto out = d.CreateOutputTopic<std::string, std::string>("out");
    EXPECT_THAT(out.ReadKeyValuesToList(), ElementsAre(KV{"a", "1"}, KV{"b", "2"}));
  }
  {
    StreamsBuilder b;
    b.Stream<std::string, std::string>("in")
        .GroupByKey()
        .WindowedBy(TimeWindows::OfSizeWithNoGrace(Ms(10)))
        .Count()
        .Suppress(Suppressed::UntilWindowCloses(BufferConfig::MaxRecords(1).ShutDownWhenFull()));
    TopologyTestDriver d(b.Build());
    auto in = d.CreateInputTopic<std::string, std::string>("in");
    in.PipeInput("a", "v", 1);
    EXPECT_THAT(ErrorOf([&] { in.PipeInput("b", "v", 2); }),
                HasSubstr("buffer exceeded its max capacity. Currently [2/1] records"));
  }
}

// ---------------------------------------------------------------------------------------
// Describe

TEST(WindowedDescribeTest, ShowsWindowedAggregationsAndSuppression) {
  StreamsBuilder b;
  auto grouped = b.Stream<std::string, std::string>("clicks").GroupBy(
      [](const std::string&, const std::string& page) { return page; });
  grouped.WindowedBy(TimeWindows::OfSizeAndGrace(Ms(60000), Ms(10000)))
      .Count(CountMaterialized{.store_name = "per-minute"})
      .Suppress(Suppressed::UntilWindowCloses())
      .ToStream()
      .To("final", Produced{TimeWindowedSerde<std::string>(60000), Int64Serde{}});
  grouped.WindowedBy(SessionWindows::OfInactivityGapWithNoGrace(Ms(300000)))
      .Count(CountMaterialized{.store_name = "visits"})
      .ToStream()
      .To("visits", Produced{SessionWindowedSerde<std::string>{}, Int64Serde{}});
  EXPECT_EQ(b.Build().Describe(), R"(Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [clicks])
      --> KSTREAM-KEY-SELECT-0000000001
    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])
      --> per-minute-repartition-sink, visits-repartition-sink
      <-- KSTREAM-SOURCE-0000000000
    Sink: per-minute-repartition-sink (topic: per-minute-repartition)
      <-- KSTREAM-KEY-SELECT-0000000001
    Sink: visits-repartition-sink (topic: visits-repartition)
      <-- KSTREAM-KEY-SELECT-0000000001

  Sub-topology: 1
    Source: per-minute-repartition-source (topics: [per-minute-repartition])
      --> KSTREAM-AGGREGATE-0000000002
    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [per-minute])
      --> KTABLE-SUPPRESS-0000000003
      <-- per-minute-repartition-source
    Processor: KTABLE-SUPPRESS-0000000003 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000004])
      --> KTABLE-TOSTREAM-0000000005
      <-- KSTREAM-AGGREGATE-0000000002
    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])
      --> KSTREAM-SINK-0000000006
      <-- KTABLE-SUPPRESS-0000000003
    Sink: KSTREAM-SINK-0000000006 (topic: final)
      <-- KTABLE-TOSTREAM-0000000005

  Sub-topology: 2
    Source: visits-repartition-source (topics: [visits-repartition])
      --> KSTREAM-AGGREGATE-0000000007
    Processor: KSTREAM-AGGREGATE-0000000007 (stores: [visits])
      --> KTABLE-TOSTREAM-0000000008
      <-- visits-repartition-source
    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])
      --> KSTREAM-SINK-0000000009
      <-- KSTREAM-AGGREGATE-0000000007
    Sink: KSTREAM-SINK-0000000009 (topic: visits)
      <-- KTABLE-TOSTREAM-0000000008

)");
}

}  // namespace
}  // namespace brook
