// Test-driver tests of the DSL core: stateless KStream operators, split/merge, sinks,
// repartitioning, aggregations and KTable operators with tombstones.
#include "brook/dsl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace brook {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using KV = KeyValue<std::string, std::string>;

template <typename V>
std::vector<KeyValue<std::string, V>> KVs(TopologyTestDriver& d, const std::string& topic) {
  return d.CreateOutputTopic<std::string, V>(topic).ReadKeyValuesToList();
}
template <typename V>
std::vector<V> Vals(TopologyTestDriver& d, const std::string& topic) {
  return d.CreateOutputTopic<std::string, V>(topic).ReadValuesToList();
}
template <typename V>
std::map<std::string, V> Latest(TopologyTestDriver& d, const std::string& topic) {
  return d.CreateOutputTopic<std::string, V>(topic).ReadKeyValuesToMap();
}
template <typename V>
KeyValue<std::string, V> P(std::string k, V v) {
  return {std::move(k), std::move(v)};
}
using OptI = std::optional<int64_t>;
using OptS = std::optional<std::string>;

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

TEST(DslStatelessTest, FilterAndFilterNotWithAndWithoutKey) {
  StreamsBuilder b;
  auto s = b.Stream<std::string, int64_t>("in");
  s.Filter([](const std::string& k, int64_t v) { return k == "a" || v > 10; }).To("kept");
  s.FilterNot([](int64_t v) { return v > 10; }).To("small");
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, int64_t>("in");
  in.PipeInput("a", 1, 0);
  in.PipeInput("b", 5, 0);
  in.PipeInput("c", 50, 0);
  auto kept = d.CreateOutputTopic<std::string, int64_t>("kept");
  auto small = d.CreateOutputTopic<std::string, int64_t>("small");
  EXPECT_THAT(kept.ReadKeyValuesToList(), ElementsAre(P<int64_t>("a", 1), P<int64_t>("c", 50)));
  EXPECT_THAT(small.ReadKeyValuesToList(), ElementsAre(P<int64_t>("a", 1), P<int64_t>("b", 5)));
}

TEST(DslStatelessTest, MapMapValuesSelectKeyKeepTimestampAndHeaders) {
  StreamsBuilder b;
  auto s = b.Stream<std::string, std::string>("in");
  s.Map([](const std::string& k, const std::string& v) {
     return KeyValue<std::string, int64_t>{v, static_cast<int64_t>(k.size())};
   }).To("mapped");
  s.MapValues([](const std::string& k, const std::string& v) {
     return k + ":" + v;
   }).To("with-key");
  s.MapValues([](const std::string& v) { return static_cast<double>(v.size()) / 2; }).To("halves");
  s.SelectKey([](const std::string&, const std::string& v) { return std::make_pair(v, 0); })
      .MapValues([](const std::string& v) { return v + "!"; })
      .SelectKey([](const std::pair<std::string, int>& k, const std::string&) { return k.first; })
      .To("rekeyed");
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput(Record<std::string, std::string>{"key", "val", 42, {{"h", "x"}}});
  Record<std::string, int64_t> m = d.CreateOutputTopic<std::string, int64_t>("mapped").ReadRecord();
  EXPECT_EQ(m.key, "val");
  EXPECT_EQ(m.value, 3);
  EXPECT_EQ(m.timestamp_ms, 42);
  EXPECT_EQ(m.headers, (Headers{{"h", "x"}}));
  EXPECT_EQ((d.CreateOutputTopic<std::string, std::string>("with-key").ReadValue()), "key:val");
  EXPECT_DOUBLE_EQ((d.CreateOutputTopic<std::string, double>("halves").ReadValue()), 1.5);
  EXPECT_EQ((d.CreateOutputTopic<std::string, std::string>("rekeyed").ReadKeyValue()),
            (KV{"val", "val!"}));
}

TEST(DslStatelessTest, FlatMapAndFlatMapValues) {
  StreamsBuilder b;
  auto s = b.Stream<std::string, std::string>("in");
  s.FlatMapValues(Words).To("words");
  s.FlatMap([](const std::string& k, const std::string& v) {
     std::vector<std::pair<std::string, int64_t>> out;
     for (const std::string& w : Words(v)) out.emplace_back(w, static_cast<int64_t>(k.size()));
     return out;
   }).To("pairs");
  s.FlatMapValues([](const std::string& k, const std::string&) {
     return std::vector<std::string>(k.size(), k);
   }).To("repeat");
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("ab", "hello big world", 1);
  in.PipeInput("x", "", 2);
  EXPECT_THAT(KVs<std::string>(d, "words"),
              ElementsAre(KV{"ab", "hello"}, KV{"ab", "big"}, KV{"ab", "world"}));
  EXPECT_THAT(KVs<int64_t>(d, "pairs"),
              ElementsAre(P<int64_t>("hello", 2), P<int64_t>("big", 2), P<int64_t>("world", 2)));
  EXPECT_THAT(KVs<std::string>(d, "repeat"),
              ElementsAre(KV{"ab", "ab"}, KV{"ab", "ab"}, KV{"x", "x"}));
}

TEST(DslStatelessTest, PeekAndForeachSeeEveryRecord) {
  StreamsBuilder b;
  auto seen = std::make_shared<std::vector<std::string>>();
  auto s = b.Stream<std::string, std::string>("in");
  s.Peek([seen](const std::string& k, const std::string& v) {
     seen->push_back("peek " + k + v);
   }).Foreach([seen](const std::string& v) { seen->push_back("each " + v); });
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "1", 0);
  in.PipeInput("b", "2", 0);
  EXPECT_THAT(*seen, ElementsAre("peek a1", "each 1", "peek b2", "each 2"));
}

TEST(DslStatelessTest, SplitSendsEachRecordToTheFirstMatchingBranch) {
  StreamsBuilder b;
  auto branches = b.Stream<std::string, int64_t>("in")
                      .Split(Named{"split-"})
                      .Branch([](int64_t v) { return v < 0; }, "negative")
                      .Branch([](const std::string& k, int64_t) { return k == "zero"; })
                      .Branch([](int64_t v) { return v < 100; }, "small")
                      .DefaultBranch("other");
  ASSERT_EQ(branches.size(), 4U);
  branches.at("split-negative").To("negative");
  branches.at("split-2").To("zero");
  branches.at("split-small").To("small");
  branches.at("split-other").To("other");
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, int64_t>("in");
  in.PipeInput("zero", -5, 0);  // the first branch wins
  in.PipeInput("zero", 5, 0);
  in.PipeInput("a", 7, 0);
  in.PipeInput("b", 700, 0);
  EXPECT_EQ(Vals<int64_t>(d, "negative"), (std::vector<int64_t>{-5}));
  EXPECT_EQ(Vals<int64_t>(d, "zero"), (std::vector<int64_t>{5}));
  EXPECT_EQ(Vals<int64_t>(d, "small"), (std::vector<int64_t>{7}));
  EXPECT_EQ(Vals<int64_t>(d, "other"), (std::vector<int64_t>{700}));
}

TEST(DslStatelessTest, SplitWithoutDefaultDropsUnmatched) {
  StreamsBuilder b;
  auto branches = b.Stream<std::string, int64_t>("in")
                      .Split()
                      .Branch([](int64_t v) { return v > 0; })
                      .NoDefaultBranch();
  ASSERT_EQ(branches.size(), 1U);
  branches.begin()->second.To("positive");
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, int64_t>("in");
  in.PipeInput("a", -1, 0);
  in.PipeInput("a", 1, 0);
  EXPECT_EQ(Vals<int64_t>(d, "positive"), (std::vector<int64_t>{1}));
}

TEST(DslStatelessTest, MergeInterleavesBothStreams) {
  StreamsBuilder b;
  auto a = b.Stream<std::string, std::string>("a");
  auto c = b.Stream<std::string, std::string>("c");
  a.Merge(c.MapValues([](const std::string& v) { return v + "c"; })).To("out");
  TopologyTestDriver d(b.Build());
  d.CreateInputTopic<std::string, std::string>("a").PipeInput("k", "1", 0);
  d.CreateInputTopic<std::string, std::string>("c").PipeInput("k", "2", 0);
  d.CreateInputTopic<std::string, std::string>("a").PipeInput("k", "3", 0);
  EXPECT_EQ(Vals<std::string>(d, "out"), (std::vector<std::string>{"1", "2c", "3"}));
}

TEST(DslStatelessTest, ToWithTopicExtractor) {
  StreamsBuilder b;
  auto s = b.Stream<std::string, std::string>("in");
  s.To(TopicNameExtractor<std::string, std::string>(
      [](const std::string& k, const std::string&, const RecordContext&) { return "to-" + k; }));
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("x", "1", 0);
  in.PipeInput("y", "2", 0);
  in.PipeInput("x", "3", 0);
  EXPECT_EQ(Vals<std::string>(d, "to-x"), (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(Vals<std::string>(d, "to-y"), (std::vector<std::string>{"2"}));
}

TEST(DslStatelessTest, ExplicitSerdesThroughConsumedAndProduced) {
  StreamsBuilder b;
  b.Stream<std::string, int64_t>("in", Consumed{state::StringSerde{}, state::Int64Serde{}})
      .MapValues([](int64_t v) { return std::to_string(v); })
      .To("out", Produced{state::StringSerde{}, state::StringSerde{}});
  TopologyTestDriver d(b.Build());
  d.CreateInputTopic<std::string, int64_t>("in").PipeInput("k", 12, 0);
  EXPECT_EQ((d.CreateOutputTopic<std::string, std::string>("out").ReadValue()), "12");
}

TEST(DslStatelessTest, GeneratedNamesFollowKafkaStreams) {
  StreamsBuilder b;
  b.Stream<std::string, std::string>("in")
      .Filter([](const std::string&) { return true; })
      .MapValues([](const std::string& v) { return v; }, Named{"upper"})
      .To("out");
  const std::string described = b.Build().Describe();
  EXPECT_THAT(described, HasSubstr("Source: KSTREAM-SOURCE-0000000000 (topics: [in])"));
  EXPECT_THAT(described, HasSubstr("Processor: KSTREAM-FILTER-0000000001"));
  EXPECT_THAT(described, HasSubstr("Processor: upper"));
  EXPECT_THAT(described, HasSubstr("Sink: KSTREAM-SINK-0000000002 (topic: out)"));
}

TEST(DslStatelessTest, DuplicateNameIsAnError) {
  StreamsBuilder b;
  auto s = b.Stream<std::string, std::string>("in");
  s.Filter([](const std::string&) { return true; }, Named{"f"});
  EXPECT_THROW(s.Filter([](const std::string&) { return true; }, Named{"f"}), Error);
  EXPECT_THROW((b.Stream<std::string, std::string>("in")), Error);  // a topic read twice
}

TEST(DslStatelessTest, ExceptionInUserFunctionFailsTheRecordNamingTheNode) {
  StreamsBuilder b;
  b.Stream<std::string, std::string>("in")
      .MapValues(
          [](const std::string& v) -> std::string {
            if (v == "bad") throw std::runtime_error("cannot map 'bad'");
            return v;
          },
          Named{"mapper"})
      .To("out");
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  try {
    in.PipeInput("k", "bad", 0);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("mapper"));
    EXPECT_THAT(e.what(), HasSubstr("cannot map 'bad'"));
  }
  in.PipeInput("k", "good", 0);  // the driver stays usable
  EXPECT_EQ((d.CreateOutputTopic<std::string, std::string>("out").ReadValue()), "good");
}

TEST(DslStatelessTest, ProcessRunsAProcessorApiProcessorWithAStore) {
  class Dedup : public ContextualProcessor<std::string, std::string, std::string, std::string> {
   public:
    void Init(Context& c) override {
      ContextualProcessor::Init(c);
      seen_.emplace(c.GetKeyValueStore<std::string, std::string>("seen"));
    }
    void Process(const Record<std::string, std::string>& r) override {
      if (seen_->Get(r.value)) return;
      seen_->Put(r.value, r.key);
      context().Forward(r);
    }

   private:
    std::optional<state::KeyValueStore<std::string, std::string>> seen_;
  };
  StreamsBuilder b;
  b.AddStateStore(stores::InMemoryKeyValue("seen"));
  b.Stream<std::string, std::string>("in")
      .Process([] { return std::make_unique<Dedup>(); }, {"seen"})
      .To("out");
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("a", "x", 0);
  in.PipeInput("b", "x", 0);
  in.PipeInput("c", "y", 0);
  EXPECT_THAT(KVs<std::string>(d, "out"), ElementsAre(KV{"a", "x"}, KV{"c", "y"}));
}

// ---------------------------------------------------------------------------------------
// Grouping and aggregation

TEST(DslAggregationTest, WordCountThroughARepartitionTopic) {
  StreamsBuilder b;
  b.Stream<std::string, std::string>("text")
      .FlatMapValues(Words)
      .GroupBy([](const std::string&, const std::string& w) { return w; },
               Grouped<state::StringSerde, state::StringSerde>{.name = "by-word"})
      .Count(Materialized<state::StringSerde, state::Int64Serde>{.store_name = "counts"})
      .ToStream()
      .To("word-counts");
  const Topology t = b.Build();
  const std::string described = t.Describe();
  EXPECT_THAT(described, HasSubstr("Sink: by-word-repartition-sink (topic: by-word-repartition)"));
  EXPECT_THAT(described,
              HasSubstr("Source: by-word-repartition-source (topics: [by-word-repartition])"));
  EXPECT_THAT(described, HasSubstr("Sub-topology: 1"));

  TopologyTestDriver d(t, {{"application.id", "wc"}});
  auto in = d.CreateInputTopic<std::string, std::string>("text");
  in.PipeInput("l1", "a b a", 10);
  in.PipeInput("l2", "b c", 20);
  auto out = d.CreateOutputTopic<std::string, int64_t>("word-counts");
  EXPECT_THAT(out.ReadKeyValuesToList(),
              ElementsAre(P<int64_t>("a", 1), P<int64_t>("b", 1), P<int64_t>("a", 2),
                          P<int64_t>("b", 2), P<int64_t>("c", 1)));
  auto store = d.GetKeyValueStore<std::string, int64_t>("counts");
  EXPECT_EQ(store.Get("a"), 2);
  EXPECT_EQ(store.Get("c"), 1);
  // The repartition topic carried every word, keyed by the word.
  auto rep = d.CreateOutputTopic<std::string, std::string>("wc-by-word-repartition");
  EXPECT_EQ(rep.QueueSize(), 5U);
  // And the store's changelog got every update.
  EXPECT_EQ(Latest<int64_t>(d, "wc-counts-changelog"),
            (std::map<std::string, int64_t>{{"a", 2}, {"b", 2}, {"c", 1}}));
}

TEST(DslAggregationTest, StoresAreQueryableWhenTheirTypesHaveATextForm) {
  StreamsBuilder b;
  b.Stream<std::string, int64_t>("in").GroupByKey().Count(
      Materialized<state::StringSerde, state::Int64Serde>{.store_name = "counts"});
  const Topology t = b.Build();
  ASSERT_EQ(t.spec().stores.size(), 1U);
  const auto& codec = t.spec().stores[0].query_codec;
  ASSERT_NE(codec, nullptr);
  EXPECT_EQ(codec->KeyFromText("word").value(), "word");
  EXPECT_EQ(codec->ValueToJson(state::Int64Serde().Serialize(42)).value(), "42");
  EXPECT_EQ(codec->KeyToJson("word").value(), "\"word\"");
}

TEST(DslAggregationTest, GroupByKeyDoesNotRepartitionUnlessTheKeyChanged) {
  StreamsBuilder b;
  auto s = b.Stream<std::string, int64_t>("in");
  s.GroupByKey().Count(Materialized<state::StringSerde, state::Int64Serde>{.store_name = "c1"});
  s.SelectKey([](const std::string& k, int64_t) { return k + "!"; })
      .GroupByKey()
      .Count(Materialized<state::StringSerde, state::Int64Serde>{.store_name = "c2"});
  const std::string described = b.Build().Describe();
  EXPECT_THAT(described, ::testing::Not(HasSubstr("c1-repartition")));
  EXPECT_THAT(described, HasSubstr("c2-repartition"));
}

TEST(DslAggregationTest, ReduceAndAggregateWithOldValues) {
  StreamsBuilder b;
  auto grouped = b.Stream<std::string, int64_t>("in").GroupByKey();
  grouped.Reduce([](int64_t agg, int64_t v) { return std::max(agg, v); }).ToStream().To("max");
  grouped
      .Aggregate([] { return std::string("["); },
                 [](const std::string& k, int64_t v, const std::string& agg) {
                   return agg + k + std::to_string(v) + ";";
                 },
                 Materialized<state::StringSerde, state::StringSerde>{.store_name = "log"})
      .ToStream()
      .To("log");
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, int64_t>("in");
  in.PipeInput("a", 5, 0);
  in.PipeInput("a", 3, 0);
  in.PipeInput("b", 1, 0);
  in.PipeInput("a", 9, 0);
  EXPECT_THAT(KVs<int64_t>(d, "max"), ElementsAre(P<int64_t>("a", 5), P<int64_t>("a", 5),
                                                  P<int64_t>("b", 1), P<int64_t>("a", 9)));
  EXPECT_EQ(Latest<std::string>(d, "log"),
            (std::map<std::string, std::string>{{"a", "[a5;a3;a9;"}, {"b", "[b1;"}}));
}

TEST(DslAggregationTest, ExplicitRepartitionWithPartitionCount) {
  StreamsBuilder b;
  b.Stream<std::string, std::string>("in")
      .SelectKey([](const std::string&, const std::string& v) { return v; })
      .Repartition(Repartitioned<state::StringSerde, state::StringSerde>{.name = "by-value",
                                                                         .partitions = 3})
      .GroupByKey()
      .Count(Materialized<state::StringSerde, state::Int64Serde>{.store_name = "n"});
  const Topology t = b.Build();
  // The re-partitioned stream is not re-partitioned again.
  EXPECT_THAT(t.Describe(), ::testing::Not(HasSubstr("n-repartition")));
  ASSERT_EQ(t.spec().internal_topics.size(), 1U);
  EXPECT_EQ(t.spec().internal_topics[0].name, "by-value-repartition");
  EXPECT_EQ(t.spec().internal_topics[0].spec.partitions, 3);
  TopologyTestDriver d(t);
  auto in = d.CreateInputTopic<std::string, std::string>("in");
  in.PipeInput("1", "x", 0);
  in.PipeInput("2", "x", 0);
  EXPECT_EQ((d.GetKeyValueStore<std::string, int64_t>("n").Get("x")), 2);
}

TEST(DslAggregationTest, CountSkipsNullValuesAndCountsThemAsDropped) {
  StreamsBuilder b;
  b.Stream<std::string, std::optional<std::string>>("in").GroupByKey().Count(
      Materialized<state::StringSerde, state::Int64Serde>{.store_name = "n"});
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::optional<std::string>>("in");
  in.PipeInput("a", std::string("x"), 0);
  in.PipeInput("a", std::nullopt, 0);
  in.PipeInput("a", std::string("y"), 0);
  EXPECT_EQ((d.GetKeyValueStore<std::string, int64_t>("n").Get("a")), 2);
  EXPECT_EQ(d.DroppedRecords(), 1U);
  EXPECT_EQ(d.DroppedRecordsByReason().at("null-value"), 1U);
}

// ---------------------------------------------------------------------------------------
// Tables

TEST(DslTableTest, TableFromTopicHandlesTombstones) {
  StreamsBuilder b;
  b.Table<std::string, std::string>(
       "users", {}, Materialized<state::StringSerde, state::StringSerde>{.store_name = "users"})
      .ToStream()
      .To("users-out");
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::optional<std::string>>("users");
  in.PipeInput("u1", std::string("ann"), 1);
  in.PipeInput("u2", std::string("bob"), 2);
  in.PipeInput("u1", std::nullopt, 3);
  in.PipeInput("u9", std::nullopt, 4);  // deleting an absent row: no output
  in.PipeInput("u2", std::string("bo"), 5);
  auto out = d.CreateOutputTopic<std::string, std::optional<std::string>>("users-out");
  using OKV = KeyValue<std::string, std::optional<std::string>>;
  EXPECT_THAT(out.ReadKeyValuesToList(), ElementsAre(OKV{"u1", "ann"}, OKV{"u2", "bob"},
                                                     OKV{"u1", std::nullopt}, OKV{"u2", "bo"}));
  auto store = d.GetKeyValueStore<std::string, std::string>("users");
  EXPECT_EQ(store.Get("u1"), std::nullopt);
  EXPECT_EQ(store.Get("u2"), "bo");
}

TEST(DslTableTest, FilterTurnsRowsThatStopPassingIntoDeletes) {
  StreamsBuilder b;
  b.Table<std::string, int64_t>("t")
      .Filter([](int64_t v) { return v >= 10; }, {},
              Materialized<state::StringSerde, state::Int64Serde>{.store_name = "big"})
      .ToStream()
      .To("out");
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, int64_t>("t");
  in.PipeInput("a", 5, 0);   // never in the filtered table: nothing
  in.PipeInput("a", 15, 0);  // enters
  in.PipeInput("a", 20, 0);  // updates
  in.PipeInput("a", 1, 0);   // leaves: a delete
  in.PipeInput("a", 2, 0);   // still out: nothing
  using OKV = KeyValue<std::string, std::optional<int64_t>>;
  auto out = d.CreateOutputTopic<std::string, std::optional<int64_t>>("out");
  EXPECT_THAT(out.ReadKeyValuesToList(),
              ElementsAre(OKV{"a", 15}, OKV{"a", 20}, OKV{"a", std::nullopt}));
  EXPECT_EQ((d.GetKeyValueStore<std::string, int64_t>("big").Get("a")), std::nullopt);
}

TEST(DslTableTest, MapValuesAndFilterNotChain) {
  StreamsBuilder b;
  b.Table<std::string, std::string>("t")
      .MapValues([](const std::string& k, const std::string& v) {
        return static_cast<int64_t>(k.size() + v.size());
      })
      .FilterNot([](int64_t n) { return n == 3; })
      .ToStream()
      .To("out");
  TopologyTestDriver d(b.Build());
  auto in = d.CreateInputTopic<std::string, std::optional<std::string>>("t");
  in.PipeInput("a", std::string("bc"), 0);   // 3: filtered out, was absent: nothing
  in.PipeInput("a", std::string("bcd"), 0);  // 4
  in.PipeInput("a", std::nullopt, 0);        // delete
  using OKV = KeyValue<std::string, std::optional<int64_t>>;
  EXPECT_THAT(KVs<OptI>(d, "out"), ElementsAre(OKV{"a", 4}, OKV{"a", std::nullopt}));
}

}  // namespace
}  // namespace brook
