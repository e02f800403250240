// TopologyTestDriver end to end: stateful processors over key-value (both backends), window
// and session stores, a repartition topic, headers, null keys, error handling.
#include "brook/test_driver.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "brook/topology.h"
#include "runtime/processor_test_util.h"

namespace brook {
namespace {

using testing::Lambda;
using testing::Thrown;

using S = std::string;
using KV = KeyValue<S, int64_t>;

// Splits lines into words, re-keyed by word.
class SplitWords final : public ContextualProcessor<S, S, S, S> {
 public:
  void Process(const Record<S, S>& record) override {
    std::istringstream in(record.value);
    std::string word;
    while (in >> word) context().Forward(record.WithKey(word).WithValue(word));
  }
};

// Counts records per key in the key-value store "counts" and forwards the new count.
class CountByKey final : public ContextualProcessor<S, S, S, int64_t> {
 public:
  void Init(Context& context) override {
    ContextualProcessor::Init(context);
    counts_.emplace(context.GetKeyValueStore<S, int64_t>("counts"));
  }
  void Process(const Record<S, S>& record) override {
    const int64_t n = counts_->Get(record.key).value_or(0) + 1;
    counts_->Put(record.key, n);
    context().Forward(record.WithValue(n));
  }

 private:
  std::optional<state::KeyValueStore<S, int64_t>> counts_;
};

Topology WordCount(StoreBackend backend) {
  StoreSpec counts = stores::PersistentKeyValue("counts");
  counts.backend = backend;
  Topology t;
  t.AddSource<S, S>("lines", {"text-input"})
      .AddProcessor("split", [] { return std::make_unique<SplitWords>(); }, {"lines"})
      .AddProcessor("count", [] { return std::make_unique<CountByKey>(); }, {"split"})
      .AddStateStore(counts, {"count"})
      .AddSink<S, int64_t>("out", "word-counts", {"count"});
  return t;
}

class WordCountTest : public ::testing::TestWithParam<StoreBackend> {};

TEST_P(WordCountTest, CountsWordsInAKeyValueStore) {
  TopologyTestDriver driver(WordCount(GetParam()), {{"application.id", "wc"}}, 0);
  auto in = driver.CreateInputTopic<S, S>("text-input");
  auto out = driver.CreateOutputTopic<S, int64_t>("word-counts");
  in.PipeInput("line-1", "hello world", 1000);
  in.PipeInput("line-2", "hello brook hello", 2000);
  EXPECT_EQ(out.QueueSize(), 5U);
  EXPECT_EQ(out.ReadKeyValue(), (KV{"hello", 1}));
  const Record<S, int64_t> second = out.ReadRecord();
  EXPECT_EQ(second.key, "world");
  EXPECT_EQ(second.timestamp_ms, 1000);
  EXPECT_EQ(out.ReadKeyValuesToList(), (std::vector<KV>{{"hello", 2}, {"brook", 1}, {"hello", 3}}));
  EXPECT_TRUE(out.IsEmpty());

  auto counts = driver.GetKeyValueStore<S, int64_t>("counts");
  EXPECT_EQ(counts.Get("hello"), std::optional<int64_t>(3));
  EXPECT_EQ(counts.All().ToVector(), (std::vector<KV>{{"brook", 1}, {"hello", 3}, {"world", 1}}));

  // The changelog is an output topic too, with the input records' timestamps.
  auto changelog = driver.CreateOutputTopic<S, int64_t>("wc-counts-changelog");
  const std::vector<Record<S, int64_t>> logged = changelog.ReadRecordsToList();
  ASSERT_EQ(logged.size(), 5U);
  EXPECT_EQ(logged[4].key, "hello");
  EXPECT_EQ(logged[4].value, 3);
  EXPECT_EQ(logged[4].timestamp_ms, 2000);
  EXPECT_EQ(driver.ProducedTopicNames(),
            (std::vector<std::string>{"wc-counts-changelog", "word-counts"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, WordCountTest,
                         ::testing::Values(StoreBackend::kInMemory, StoreBackend::kRocksDb),
                         [](const ::testing::TestParamInfo<StoreBackend>& param) {
                           return param.param == StoreBackend::kInMemory ? "InMemory" : "RocksDb";
                         });

// Tumbling 10 ms windows counted in a window store; forwards "<key>@<window start>".
class WindowedCount final : public ContextualProcessor<S, S, S, int64_t> {
 public:
  void Process(const Record<S, S>& record) override {
    auto store = context().GetWindowStore<S, int64_t>("windowed");
    const int64_t start = record.timestamp_ms - record.timestamp_ms % 10;
    const int64_t n = store.Fetch(record.key, start).value_or(0) + 1;
    store.Put(record.key, n, start);
    context().Forward(record.WithKey(record.key + "@" + std::to_string(start)).WithValue(n));
  }
};

TEST(TopologyTestDriverTest, WindowedCountInAWindowStore) {
  Topology t;
  t.AddSource<S, S>("clicks", {"clicks"})
      .AddProcessor("count", [] { return std::make_unique<WindowedCount>(); }, {"clicks"})
      .AddStateStore(stores::Window("windowed", 1000), {"count"})
      .AddSink<S, int64_t>("out", "click-counts", {"count"});
  TopologyTestDriver driver(t, {}, 0);
  auto in = driver.CreateInputTopic<S, S>("clicks");
  auto out = driver.CreateOutputTopic<S, int64_t>("click-counts");
  in.PipeInput("u1", "", 1);
  in.PipeInput("u1", "", 9);
  in.PipeInput("u2", "", 5);
  in.PipeInput("u1", "", 12);
  in.PipeInput("u1", "", 3);  // out of order, same first window
  EXPECT_EQ(out.ReadKeyValuesToList(),
            (std::vector<KV>{{"u1@0", 1}, {"u1@0", 2}, {"u2@0", 1}, {"u1@10", 1}, {"u1@0", 3}}));
  auto store = driver.GetWindowStore<S, int64_t>("windowed");
  using W = state::WindowedEntry<S, int64_t>;
  EXPECT_EQ(store.Fetch("u1", 0, 100).ToVector(), (std::vector<W>{{"u1", 0, 3}, {"u1", 10, 1}}));
  // Window changelog keys are window store keys.
  EXPECT_EQ(driver.UnreadCount("brook-test-driver-windowed-changelog"), 5U);
}

// Session windows with a 5 ms inactivity gap; forwards "<start>-<end>:<count>".
class SessionCount final : public ContextualProcessor<S, S, S, S> {
 public:
  void Process(const Record<S, S>& record) override {
    auto store = context().GetSessionStore<S, int64_t>("sessions");
    const int64_t ts = record.timestamp_ms;
    state::SessionWindow merged{ts, ts};
    int64_t count = 1;
    std::vector<state::SessionWindow> old;
    for (const auto& s : store.FindSessions(record.key, ts - kGap, ts + kGap)) {
      merged.start_ms = std::min(merged.start_ms, s.session.start_ms);
      merged.end_ms = std::max(merged.end_ms, s.session.end_ms);
      count += s.value;
      old.push_back(s.session);
    }
    for (const state::SessionWindow& s : old) store.Remove(record.key, s);
    store.Put(record.key, merged, count);
    context().Forward(record.WithValue(std::to_string(merged.start_ms) + "-" +
                                       std::to_string(merged.end_ms) + ":" +
                                       std::to_string(count)));
  }

 private:
  static constexpr int64_t kGap = 5;
};

TEST(TopologyTestDriverTest, SessionsInASessionStore) {
  Topology t;
  t.AddSource<S, S>("events", {"events"})
      .AddProcessor("sessionize", [] { return std::make_unique<SessionCount>(); }, {"events"})
      .AddStateStore(stores::Session("sessions", 1000), {"sessionize"})
      .AddSink<S, S>("out", "sessions-out", {"sessionize"});
  TopologyTestDriver driver(t, {{"application.id", "sess"}}, 0);
  auto in = driver.CreateInputTopic<S, S>("events");
  auto out = driver.CreateOutputTopic<S, S>("sessions-out");
  in.PipeInput("a", "", 10);
  in.PipeInput("a", "", 13);
  in.PipeInput("a", "", 30);  // a new session
  in.PipeInput("b", "", 12);
  in.PipeInput("a", "", 22);  // more than 5 from both [10, 13] and [30, 30]
  in.PipeInput("a", "", 26);  // bridges [22, 22] and [30, 30]
  EXPECT_EQ(out.ReadValuesToList(),
            (std::vector<S>{"10-10:1", "10-13:2", "30-30:1", "12-12:1", "22-22:1", "22-30:3"}));
  auto store = driver.GetSessionStore<S, int64_t>("sessions");
  using E = state::SessionEntry<S, int64_t>;
  EXPECT_EQ(store.Fetch("a").ToVector(), (std::vector<E>{{"a", {10, 13}, 2}, {"a", {22, 30}, 3}}));
  // Puts and removes are changelogged (removes as tombstones).
  const std::vector<ProducedRecord> log = [&] {
    std::vector<ProducedRecord> v;
    while (auto r = driver.ReadRaw("sess-sessions-changelog")) v.push_back(std::move(*r));
    return v;
  }();
  ASSERT_EQ(log.size(), 9U);  // 6 puts + 3 removes
  EXPECT_EQ(std::count_if(log.begin(), log.end(),
                          [](const ProducedRecord& r) { return !r.value.has_value(); }),
            3);
}

// Orders keyed by order id, value "<customer>:<amount>", re-keyed by customer through the
// repartition topic "orders-by-customer", then summed per customer.
Topology OrderTotals() {
  Topology t;
  t.AddSource<S, S>("orders", {"orders"})
      .AddProcessor(
          "by-customer",
          Lambda<S, S, S, int64_t>([](ProcessorContext<S, int64_t>& c, const Record<S, S>& r) {
            const size_t colon = r.value.find(':');
            c.Forward(r.WithKey(r.value.substr(0, colon))
                          .WithValue(int64_t{std::stoll(r.value.substr(colon + 1))}));
          }),
          {"orders"})
      .AddSink<S, int64_t>("to-repartition", "orders-by-customer", {"by-customer"})
      .AddSource<S, int64_t>("repartitioned", {"orders-by-customer"})
      .AddProcessor("sum",
                    Lambda<S, int64_t, S, int64_t>(
                        [](ProcessorContext<S, int64_t>& c, const Record<S, int64_t>& r) {
                          auto totals = c.GetKeyValueStore<S, int64_t>("totals");
                          const int64_t total = totals.Get(r.key).value_or(0) + r.value;
                          totals.Put(r.key, total);
                          c.Forward(r.WithValue(total));
                        }),
                    {"repartitioned"})
      .AddStateStore(stores::InMemoryKeyValue("totals"), {"sum"})
      .AddSink<S, int64_t>("out", "customer-totals", {"sum"});
  return t;
}

TEST(TopologyTestDriverTest, RepartitionTopicFeedsTheNextSubtopology) {
  const Topology topology = OrderTotals();
  EXPECT_NE(topology.Describe().find("Sub-topology: 1"), std::string::npos);
  TopologyTestDriver driver(topology, {}, 0);
  auto in = driver.CreateInputTopic<S, S>("orders");
  auto out = driver.CreateOutputTopic<S, int64_t>("customer-totals");
  in.PipeInput("o1", "alice:10", 1);
  in.PipeInput("o2", "bob:5", 2);
  in.PipeInput("o3", "alice:7", 3);
  EXPECT_EQ(out.ReadKeyValuesToList(), (std::vector<KV>{{"alice", 10}, {"bob", 5}, {"alice", 17}}));
  // The repartition topic is observable as well.
  auto repartition = driver.CreateOutputTopic<S, int64_t>("orders-by-customer");
  EXPECT_EQ(repartition.ReadKeyValuesToList(),
            (std::vector<KV>{{"alice", 10}, {"bob", 5}, {"alice", 7}}));
  auto totals = driver.GetKeyValueStore<S, int64_t>("totals");
  EXPECT_EQ(totals.Get("alice"), std::optional<int64_t>(17));
}

TEST(TopologyTestDriverTest, HeadersAndTimestampsReachTheOutput) {
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor("tag", Lambda<S, S, S, S>([](ProcessorContext<S, S>& c, const Record<S, S>& r) {
                      Headers h = r.headers;
                      h.push_back({"seen-by", "tag"});
                      c.Forward(r.WithHeaders(h).WithTimestamp(r.timestamp_ms + 1));
                    }),
                    {"src"})
      .AddSink<S, S>("out", "out", {"tag"});
  TopologyTestDriver driver(t, {}, 0);
  auto in = driver.CreateInputTopic<S, S>("in");
  auto out = driver.CreateOutputTopic<S, S>("out");
  in.PipeInput(Record<S, S>{"k", "v", 42, {{"trace", "abc"}, {"empty", std::nullopt}}});
  const Record<S, S> r = out.ReadRecord();
  EXPECT_EQ(r, (Record<S, S>{
                   "k", "v", 43, {{"trace", "abc"}, {"empty", std::nullopt}, {"seen-by", "tag"}}}));
}

TEST(TopologyTestDriverTest, NullKeysAndValues) {
  using OptS = std::optional<S>;
  Topology t;
  // Optional key and value types see nulls as nullopt; sinks write nullopt as null.
  t.AddSource<OptS, OptS>("nullable", {"nullable-in"})
      .AddProcessor("mark",
                    Lambda<OptS, OptS, OptS, OptS>(
                        [](ProcessorContext<OptS, OptS>& c, const Record<OptS, OptS>& r) {
                          c.Forward(r.WithValue(r.value ? OptS(*r.value + (r.key ? "+key" : "-key"))
                                                        : std::nullopt));
                        }),
                    {"nullable"})
      .AddSink<OptS, OptS>("nullable-out", "nullable-out", {"mark"});
  // A plain string type sees a null as "".
  t.AddSource<S, S>("plain", {"plain-in"}).AddSink<S, S>("plain-out", "plain-out", {"plain"});
  TopologyTestDriver driver(t, {}, 0);

  auto in = driver.CreateInputTopic<OptS, OptS>("nullable-in");
  auto out = driver.CreateOutputTopic<OptS, OptS>("nullable-out");
  in.PipeValue("v", 1);
  in.PipeInput("k", "v", 2);
  in.PipeInput("k", std::nullopt, 3);
  using OKV = KeyValue<OptS, OptS>;
  EXPECT_EQ(out.ReadKeyValuesToList(),
            (std::vector<OKV>{{std::nullopt, "v-key"}, {"k", "v+key"}, {"k", std::nullopt}}));

  driver.PipeRaw("plain-in", std::nullopt, std::nullopt, 4);
  std::optional<ProducedRecord> raw = driver.ReadRaw("plain-out");
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->key, std::optional<S>(""));
  EXPECT_EQ(raw->value, std::optional<S>(""));
}

Topology NumbersTopology() {
  Topology t;
  t.AddSource<S, int64_t>("numbers", {"numbers"})
      .AddProcessor("double",
                    Lambda<S, int64_t, S, int64_t>(
                        [](ProcessorContext<S, int64_t>& c, const Record<S, int64_t>& r) {
                          if (r.value == 13) throw std::runtime_error("unlucky");
                          c.Forward(r.WithValue(r.value * 2));
                        }),
                    {"numbers"})
      .AddSink<S, int64_t>("out", "doubled", {"double"});
  return t;
}

TEST(TopologyTestDriverTest, DeserializationErrorFailsByDefault) {
  TopologyTestDriver driver(NumbersTopology(), {}, 0);
  auto good = driver.CreateInputTopic<S, int64_t>("numbers");
  auto bad = driver.CreateInputTopic<S, S>("numbers");
  auto out = driver.CreateOutputTopic<S, int64_t>("doubled");
  good.PipeInput("a", 1, 1);
  const Error e = Thrown([&] { bad.PipeInput("b", "xyz", 2); });
  EXPECT_EQ(e.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(e.what()),
            "task 0_0: deserialization error at topic 'numbers' partition 0 offset 1: source "
            "'numbers': cannot deserialize value (int64): int64 needs exactly 8 bytes, got 3");
  EXPECT_EQ(driver.skipped_records(), 0U);
  // The driver stays usable.
  good.PipeInput("c", 4, 3);
  EXPECT_EQ(out.ReadKeyValuesToList(), (std::vector<KV>{{"a", 2}, {"c", 8}}));
}

TEST(TopologyTestDriverTest, DeserializationErrorLogAndContinueSkips) {
  TopologyTestDriver driver(NumbersTopology(),
                            {{"deserialization.exception.handler", "log-and-continue"}}, 0);
  auto good = driver.CreateInputTopic<S, int64_t>("numbers");
  auto bad = driver.CreateInputTopic<S, S>("numbers");
  auto out = driver.CreateOutputTopic<S, int64_t>("doubled");
  good.PipeInput("a", 1, 1);
  bad.PipeInput("b", "xyz", 2);
  good.PipeInput("c", 4, 3);
  EXPECT_EQ(driver.skipped_records(), 1U);
  EXPECT_EQ(out.ReadKeyValuesToList(), (std::vector<KV>{{"a", 2}, {"c", 8}}));
}

TEST(TopologyTestDriverTest, ProcessorExceptionThrowsTheTaskError) {
  TopologyTestDriver driver(NumbersTopology(), {}, 0);
  auto in = driver.CreateInputTopic<S, int64_t>("numbers");
  const Error e = Thrown([&] { in.PipeInput("k", 13, 5); });
  EXPECT_EQ(e.code(), StatusCode::kInternal);
  EXPECT_EQ(std::string(e.what()),
            "task 0_0: processor 'double' failed on record at topic 'numbers' partition 0 offset "
            "0: std::runtime_error: unlucky");
  in.PipeInput("k", 2, 6);
  auto out = driver.CreateOutputTopic<S, int64_t>("doubled");
  EXPECT_EQ(out.ReadValue(), 4);
}

TEST(TopologyTestDriverTest, WallClockPunctuationWithTheMockClock) {
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor("report",
                    Lambda<S, S, S, int64_t>(
                        [](ProcessorContext<S, int64_t>& c, const Record<S, S>& r) {
                          auto seen = c.GetKeyValueStore<S, int64_t>("seen");
                          seen.Put(r.key, r.timestamp_ms);
                        },
                        [](ProcessorContext<S, int64_t>& c) {
                          c.Schedule(std::chrono::seconds(1), PunctuationType::kWallClockTime,
                                     [&c](int64_t at) {
                                       auto seen = c.GetKeyValueStore<S, int64_t>("seen");
                                       const auto n =
                                           static_cast<int64_t>(seen.ApproximateNumEntries());
                                       c.Forward({"keys", n, at, {}});
                                     });
                        }),
                    {"src"})
      .AddStateStore(stores::InMemoryKeyValue("seen"), {"report"})
      .AddSink<S, int64_t>("out", "report", {"report"});
  TopologyTestDriver driver(t, {}, 5000);
  EXPECT_EQ(driver.wall_clock_ms(), 5000);
  auto in = driver.CreateInputTopic<S, S>("in");
  auto out = driver.CreateOutputTopic<S, int64_t>("report");
  in.PipeInput("a", "", 1);
  in.PipeInput("b", "", 2);
  driver.AdvanceWallClockTime(std::chrono::milliseconds(999));
  EXPECT_TRUE(out.IsEmpty());
  driver.AdvanceWallClockTime(std::chrono::milliseconds(1));
  const Record<S, int64_t> r = out.ReadRecord();
  EXPECT_EQ(r.value, 2);
  EXPECT_EQ(r.timestamp_ms, 6000);
  driver.AdvanceWallClockTime(std::chrono::milliseconds(2500));  // one call, at 8000
  EXPECT_EQ(out.ReadRecord().timestamp_ms, 8000);
  EXPECT_TRUE(out.IsEmpty());
}

TEST(TopologyTestDriverTest, MisuseThrowsNamingWhat) {
  const Topology t = NumbersTopology();
  // The app's configuration is checked against the instance's schema.
  const std::string unknown = Thrown([&] {
                                TopologyTestDriver d(t, {{"aplication.id", "x"}});
                              }).what();
  EXPECT_TRUE(unknown.starts_with("TopologyTestDriver: ")) << unknown;
  EXPECT_NE(unknown.find("'aplication.id'"), std::string::npos) << unknown;
  const std::string bad_value = Thrown([&] {
                                  TopologyTestDriver d(t, {{"num.stream.threads", "0"}});
                                }).what();
  EXPECT_NE(bad_value.find("num.stream.threads"), std::string::npos) << bad_value;
  EXPECT_EQ(
      std::string(Thrown([&] {
                    TopologyTestDriver d(t, {{"deserialization.exception.handler", "dead-letter"}});
                  }).what()),
      "TopologyTestDriver: deserialization.exception.handler must be fail or "
      "log-and-continue, got 'dead-letter'");
  TopologyTestDriver driver(t, {{"num.stream.threads", "4"}, {"producer.acks", "all"}}, 0);
  const Error unknown_topic = Thrown([&] { driver.PipeRaw("nope", "k", "v", 1); });
  EXPECT_EQ(unknown_topic.code(), StatusCode::kNotFound);
  EXPECT_EQ(std::string(unknown_topic.what()),
            "TopologyTestDriver: no source reads topic 'nope' (source topics: [numbers])");
  auto out = driver.CreateOutputTopic<S, int64_t>("doubled");
  EXPECT_EQ(std::string(Thrown([&] { (void)out.ReadRecord(); }).what()),
            "output topic 'doubled' has no records");
  EXPECT_EQ(std::string(Thrown([&] { (void)driver.GetKeyValueStore<S, S>("x"); }).what()),
            "TopologyTestDriver: no key-value store named 'x' (stores: [])");
  driver.CreateInputTopic<S, int64_t>("numbers").PipeInput("k", 1, 1);
  auto wrong = driver.CreateOutputTopic<int64_t, int64_t>("doubled");
  const Error bad_key = Thrown([&] { (void)wrong.ReadRecord(); });
  EXPECT_EQ(bad_key.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(bad_key.what()),
            "output topic 'doubled': cannot deserialize key (int64): int64 needs exactly 8 "
            "bytes, got 1");
}

TEST(TopologyTestDriverTest, StateDirectoryIsRemoved) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "brook-driver-test-dir";
  std::filesystem::remove_all(dir);
  {
    TopologyTestDriver driver(WordCount(StoreBackend::kRocksDb),
                              {{"state.dir", dir.string()}, {"application.id", "wc"}}, 0);
    driver.CreateInputTopic<S, S>("text-input").PipeInput("k", "a b", 1);
    EXPECT_TRUE(std::filesystem::exists(dir / "wc" / "0_0" / "rocksdb" / "counts"));
  }
  EXPECT_TRUE(std::filesystem::exists(dir));  // configured: only the application's part goes
  EXPECT_FALSE(std::filesystem::exists(dir / "wc"));
  std::filesystem::remove_all(dir);
}

// ---- internal topics, extractor sinks, dropped records ----

// Counts words by first letter: re-keyed, written to an internal (repartition) topic, read
// by a second sub-topology that counts per key in a store.
Topology CountByFirstLetter() {
  Topology t;
  t.AddInternalTopic("count-by-letter-repartition")
      .AddSource<S, S>("words", {"words"})
      .AddProcessor("rekey",
                    Lambda<S, S, S, S>([](ProcessorContext<S, S>& c, const Record<S, S>& r) {
                      c.Forward(r.WithKey(r.value.substr(0, 1)));
                    }),
                    {"words"})
      .AddSink<S, S>("to-repartition", "count-by-letter-repartition", {"rekey"})
      .AddSource<S, S>("repartitioned", {"count-by-letter-repartition"})
      .AddProcessor("count", [] { return std::make_unique<CountByKey>(); }, {"repartitioned"})
      .AddStateStore(stores::PersistentKeyValue("counts"), {"count"})
      .AddSink<S, int64_t>("out", "letter-counts", {"count"});
  return t;
}

TEST(TopologyTestDriverTest, InternalTopicBetweenTwoSubtopologies) {
  TopologyTestDriver driver(CountByFirstLetter(), {{"application.id", "letters"}}, 0);
  auto in = driver.CreateInputTopic<S, S>("words");
  auto out = driver.CreateOutputTopic<S, int64_t>("letter-counts");
  for (const char* w : {"apple", "avocado", "banana", "apple", "cherry", "blueberry"}) {
    in.PipeInput("", w, 1);
  }
  EXPECT_EQ(out.ReadKeyValuesToList(),
            (std::vector<KV>{{"a", 1}, {"a", 2}, {"b", 1}, {"a", 3}, {"c", 1}, {"b", 2}}));
  auto counts = driver.GetKeyValueStore<S, int64_t>("counts");
  EXPECT_EQ(counts.Get("a"), std::optional<int64_t>(3));
  EXPECT_EQ(counts.Get("b"), std::optional<int64_t>(2));
  EXPECT_EQ(counts.Get("c"), std::optional<int64_t>(1));

  // The repartition topic is "<application.id>-<name>", readable like any other.
  const std::vector<std::string> topics = driver.ProducedTopicNames();
  EXPECT_EQ(topics,
            (std::vector<std::string>{"letter-counts", "letters-count-by-letter-repartition",
                                      "letters-counts-changelog"}));
  auto repartition = driver.CreateOutputTopic<S, S>("letters-count-by-letter-repartition");
  EXPECT_EQ(repartition.ReadKeyValuesToList(), (std::vector<KeyValue<S, S>>{{"a", "apple"},
                                                                            {"a", "avocado"},
                                                                            {"b", "banana"},
                                                                            {"a", "apple"},
                                                                            {"c", "cherry"},
                                                                            {"b", "blueberry"}}));
  EXPECT_EQ(driver.UnreadCount("count-by-letter-repartition"), 0U);

  // Piping goes by the full name too; the declared name is not a topic of its own.
  driver.CreateInputTopic<S, S>("letters-count-by-letter-repartition").PipeInput("z", "zebra", 2);
  EXPECT_EQ(out.ReadKeyValue(), (KV{"z", 1}));
  const Error e = Thrown([&] { driver.PipeRaw("count-by-letter-repartition", "z", "zoo", 3); });
  EXPECT_EQ(e.code(), StatusCode::kNotFound);
  EXPECT_EQ(std::string(e.what()),
            "TopologyTestDriver: 'count-by-letter-repartition' is an internal topic; pipe to "
            "'letters-count-by-letter-repartition'");
}

TEST(TopologyTestDriverTest, ExtractorSinkRoutesEachRecordToItsTopic) {
  std::vector<std::string> seen;
  Topology t;
  t.AddSource<S, int64_t>("events", {"events"})
      .AddSink<S, int64_t>(
          "route",
          [&seen](const S& key, const int64_t& value, const RecordContext& c) {
            seen.push_back(fmt::format("{}/{}/{}@{} ts={} headers={}", key, value, c.topic,
                                       c.offset, c.timestamp_ms, c.headers->size()));
            return key == "bad" ? std::string() : "events-" + key;
          },
          {"events"});
  TopologyTestDriver driver(t, {}, 0);
  auto in = driver.CreateInputTopic<S, int64_t>("events");
  in.PipeInput("a", 1, 10);
  in.PipeInput("b", 2, 11);
  in.PipeInput(Record<S, int64_t>{"a", 3, 12, {{"h", "v"}}});
  EXPECT_EQ(driver.ProducedTopicNames(), (std::vector<std::string>{"events-a", "events-b"}));
  auto a = driver.CreateOutputTopic<S, int64_t>("events-a");
  auto b = driver.CreateOutputTopic<S, int64_t>("events-b");
  const std::vector<Record<S, int64_t>> to_a = a.ReadRecordsToList();
  ASSERT_EQ(to_a.size(), 2U);
  EXPECT_EQ(to_a[0], (Record<S, int64_t>{"a", 1, 10, {}}));
  EXPECT_EQ(to_a[1], (Record<S, int64_t>{"a", 3, 12, {{"h", "v"}}}));
  EXPECT_EQ(b.ReadKeyValuesToList(), (std::vector<KV>{{"b", 2}}));
  EXPECT_EQ(seen, (std::vector<std::string>{"a/1/events@0 ts=10 headers=0",
                                            "b/2/events@1 ts=11 headers=0",
                                            "a/3/events@2 ts=12 headers=1"}));

  // An empty topic name fails the task, naming the sink.
  const Error empty = Thrown([&] { in.PipeInput("bad", 4, 13); });
  EXPECT_EQ(empty.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(empty.what()),
            "task 0_0: sink 'route' failed on record at topic 'events' partition 0 offset 3: the "
            "topic name extractor returned an unusable name: empty topic name");
}

TEST(TopologyTestDriverTest, ExtractorSinkRejectsAnIllegalTopicName) {
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddSink<S, S>("route", [](const S& key, const S&, const RecordContext&) { return key; },
                     {"src"});
  TopologyTestDriver driver(t, {}, 0);
  auto in = driver.CreateInputTopic<S, S>("in");
  const Error e = Thrown([&] { in.PipeInput("no spaces", "v", 1); });
  EXPECT_EQ(std::string(e.what()),
            "task 0_0: sink 'route' failed on record at topic 'in' partition 0 offset 0: the "
            "topic name extractor returned an unusable name: invalid topic name 'no spaces' (use "
            "up to 249 of [a-zA-Z0-9._-], not '.' or '..')");
  in.PipeInput("fine", "v", 2);
  EXPECT_EQ(driver.UnreadCount("fine"), 1U);
}

TEST(TopologyTestDriverTest, DroppedRecordsAreCountedPerReason) {
  // Drops empty values and records older than 100 ms of stream time.
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor("filter",
                    Lambda<S, S, S, S>([](ProcessorContext<S, S>& c, const Record<S, S>& r) {
                      if (r.value.empty()) {
                        c.RecordDropped("empty-value");
                      } else if (r.timestamp_ms < c.current_stream_time_ms() - 100) {
                        c.RecordDropped("late");
                      } else {
                        c.Forward(r);
                      }
                    }),
                    {"src"})
      .AddSink<S, S>("out", "out", {"filter"});
  TopologyTestDriver driver(t, {}, 0);
  EXPECT_EQ(driver.DroppedRecords(), 0U);
  EXPECT_TRUE(driver.DroppedRecordsByReason().empty());
  auto in = driver.CreateInputTopic<S, S>("in");
  in.PipeInput("k", "v", 1000);
  in.PipeInput("k", "", 1001);
  in.PipeInput("k", "old", 800);
  in.PipeInput("k", "", 1002);
  in.PipeInput("k", "ok", 950);
  EXPECT_EQ(driver.UnreadCount("out"), 2U);
  EXPECT_EQ(driver.DroppedRecords(), 3U);
  EXPECT_EQ(driver.DroppedRecordsByReason(),
            (std::map<std::string, uint64_t>{{"empty-value", 2}, {"late", 1}}));
  EXPECT_EQ(driver.skipped_records(), 0U);
}

}  // namespace
}  // namespace brook
