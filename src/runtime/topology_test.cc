// Topology building checks, Describe(), and the sub-topology split (ProcessorTopology).
#include "brook/topology.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "runtime/processor_test_util.h"
#include "runtime/processor_topology.h"

namespace brook {
namespace {

using runtime::InternalTopicInfo;
using runtime::ProcessorTopology;
using testing::Lambda;
using testing::PassThrough;
using testing::Thrown;

using S = std::string;

// A terminal processor of <string, string>.
auto Terminal() {
  return Lambda<S, S>([](ProcessorContext<void, void>&, const Record<S, S>&) {});
}

void ExpectInvalid(const Error& e, const std::string& message) {
  EXPECT_EQ(e.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(e.what()), "Topology: " + message);
}

ProcessorTopology Build(const Topology& t) {
  auto p = ProcessorTopology::Build(t, "app");
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return std::move(p).value();
}

TEST(TopologyBuildTest, DuplicateNodeName) {
  Topology t;
  t.AddSource<S, S>("src", {"in"});
  ExpectInvalid(Thrown([&] { t.AddProcessor("src", PassThrough<S, S>(), {"src"}); }),
                "a node named 'src' already exists; node names must be unique");
  ExpectInvalid(Thrown([&] { t.AddSource<S, S>("", {"other"}); }),
                "a source node needs a non-empty name");
}

TEST(TopologyBuildTest, UnknownParentAndMissingParents) {
  Topology t;
  t.AddSource<S, S>("src", {"in"});
  ExpectInvalid(Thrown([&] { t.AddProcessor("p", PassThrough<S, S>(), {"nope"}); }),
                "processor 'p' names parent 'nope', which does not exist (add parents before "
                "their children)");
  ExpectInvalid(Thrown([&] { t.AddProcessor("p", PassThrough<S, S>(), {}); }),
                "processor 'p' needs at least one parent");
  ExpectInvalid(Thrown([&] { t.AddSink<S, S>("out", "topic-out", {}); }),
                "sink 'out' needs at least one parent");
  ExpectInvalid(Thrown([&] {
                  t.AddProcessor("p", PassThrough<S, S>(), {"src", "src"});
                }),
                "processor 'p' lists parent 'src' twice");
  ExpectInvalid(Thrown([&] { t.AddProcessor("p", PassThrough<S, S>(), {"p"}); }),
                "processor 'p' cannot be its own parent");
  // Nothing of the failed calls was added.
  EXPECT_EQ(t.spec().nodes.size(), 1U);
  EXPECT_TRUE(t.spec().nodes[0].children.empty());
}

TEST(TopologyBuildTest, TypeMismatchNamesBothSidesReadably) {
  Topology t;
  t.AddSource<S, S>("src", {"in"});
  ExpectInvalid(Thrown([&] { t.AddProcessor("count", PassThrough<S, int64_t>(), {"src"}); }),
                "processor 'count' takes Record<std::string, int64_t> but its parent source 'src' "
                "forwards Record<std::string, std::string>");
  t.AddProcessor("end", Terminal(), {"src"});
  ExpectInvalid(Thrown([&] { t.AddSink<S, S>("out", "o", {"end"}); }),
                "sink 'out' takes Record<std::string, std::string> but its parent processor "
                "'end' forwards nothing (its output types are void)");
  t.AddSource<std::optional<S>, double>("opt", {"doubles"});
  ExpectInvalid(Thrown([&] { t.AddProcessor("p", PassThrough<S, S>(), {"opt"}); }),
                "processor 'p' takes Record<std::string, std::string> but its parent source 'opt' "
                "forwards Record<std::optional<std::string>, double>");
}

TEST(TopologyBuildTest, SinkCannotBeAParent) {
  Topology t;
  t.AddSource<S, S>("src", {"in"}).AddSink<S, S>("out", "o", {"src"});
  ExpectInvalid(Thrown([&] { t.AddProcessor("p", PassThrough<S, S>(), {"out"}); }),
                "processor 'p' names sink 'out' as its parent; sinks have no children");
}

TEST(TopologyBuildTest, TopicChecks) {
  Topology t;
  t.AddSource<S, S>("a", {"in", "in2"});
  ExpectInvalid(Thrown([&] {
                  t.AddSource<S, S>("b", {"x", "in2"});
                }),
                "topic 'in2' is already read by source 'a'; source 'b' cannot read it too");
  ExpectInvalid(Thrown([&] { t.AddSource<S, S>("b", {}); }), "source 'b' reads no topics");
  ExpectInvalid(Thrown([&] {
                  t.AddSource<S, S>("b", {"x", "x"});
                }),
                "source 'b' lists topic 'x' twice");
  ExpectInvalid(Thrown([&] { t.AddSource<S, S>("b", {"bad topic"}); }),
                "node 'b': invalid topic name 'bad topic' (use up to 249 of [a-zA-Z0-9._-], not "
                "'.' or '..')");
  ExpectInvalid(Thrown([&] { t.AddSink<S, S>("s", "", {"a"}); }), "node 's' names an empty topic");
}

TEST(TopologyBuildTest, StoreChecks) {
  Topology t;
  t.AddSource<S, S>("src", {"in"}).AddProcessor("p", Terminal(), {"src"});
  ExpectInvalid(Thrown([&] { t.AddStateStore(stores::PersistentKeyValue("a/b"), {"p"}); }),
                "invalid state store name 'a/b' (use up to 180 of [a-zA-Z0-9._-], not '.' or "
                "'..')");
  ExpectInvalid(Thrown([&] { t.AddStateStore(stores::PersistentKeyValue(""), {"p"}); }),
                "a state store needs a non-empty name");
  ExpectInvalid(Thrown([&] { t.AddStateStore(stores::PersistentKeyValue("s"), {"nope"}); }),
                "state store 's' is connected to processor 'nope', which does not exist (add the "
                "processor first)");
  ExpectInvalid(Thrown([&] { t.AddStateStore(stores::PersistentKeyValue("s"), {"src"}); }),
                "state store 's' is connected to source 'src'; only processors can use stores");
  StoreSpec window = stores::Window("w", 1000);
  window.backend = StoreBackend::kInMemory;
  ExpectInvalid(Thrown([&] { t.AddStateStore(window, {"p"}); }),
                "window store 'w' cannot be in-memory (only key-value stores can)");
  ExpectInvalid(Thrown([&] { t.AddStateStore(stores::Session("w", 0), {"p"}); }),
                "session store 'w' needs a positive retention, got 0 ms");

  t.AddStateStore(stores::PersistentKeyValue("s"), {"p"});
  ExpectInvalid(Thrown([&] { t.AddStateStore(stores::InMemoryKeyValue("s")); }),
                "a state store named 's' already exists");
  ExpectInvalid(Thrown([&] { t.ConnectProcessorAndStateStores("p", {"missing"}); }),
                "cannot connect processor 'p' to state store 'missing', which was not added "
                "(AddStateStore)");
  ExpectInvalid(Thrown([&] { t.ConnectProcessorAndStateStores("ghost", {"s"}); }),
                "cannot connect state stores to processor 'ghost', which does not exist");
  ExpectInvalid(Thrown([&] { t.ConnectProcessorAndStateStores("src", {"s"}); }),
                "cannot connect state stores to source 'src'; only processors can use stores");
  // Connecting twice is harmless.
  t.ConnectProcessorAndStateStores("p", {"s"});
  EXPECT_EQ(t.spec().Find("p")->stores, std::vector<std::string>{"s"});
}

TEST(TopologyBuildTest, NullProcessorFromSupplierThrowsAtInstantiation) {
  Topology t;
  t.AddSource<S, S>("src", {"in"});
  t.AddProcessor("p", [] { return std::unique_ptr<Processor<S, S>>(); }, {"src"});
  const Error e = Thrown([&] { (void)t.spec().Find("p")->make(); });
  EXPECT_EQ(std::string(e.what()), "the processor supplier of 'p' returned a null processor");
}

// Two chains, a repartition topic between the second and a third sub-topology.
Topology ThreeSubtopologies() {
  Topology t;
  t.AddSource<S, S>("words", {"words-in"})
      .AddProcessor("rekey", PassThrough<S, S>(), {"words"})
      .AddSink<S, S>("to-repartition", "rekeyed", {"rekey"})
      .AddSource<S, S>("rekeyed-src", {"rekeyed"})
      .AddProcessor("count", Terminal(), {"rekeyed-src"})
      .AddStateStore(stores::PersistentKeyValue("counts"), {"count"})
      .AddSource<S, S>("audit", {"audit-in", "audit-in-2"})
      .AddSink<S, S>("audit-out", "audit-copy", {"audit"});
  return t;
}

TEST(ProcessorTopologyTest, SplitsIntoComponentsOrderedBySourceName) {
  const ProcessorTopology p = Build(ThreeSubtopologies());
  ASSERT_EQ(p.subtopologies().size(), 3U);
  // Ordered by smallest source name: audit < rekeyed-src < words.
  const auto& s0 = p.subtopologies()[0];
  EXPECT_EQ(s0.id, 0);
  EXPECT_EQ(s0.source_topics, (std::vector<std::string>{"audit-in", "audit-in-2"}));
  EXPECT_EQ(s0.sink_topics, std::vector<std::string>{"audit-copy"});
  EXPECT_FALSE(s0.stateful());
  const auto& s1 = p.subtopologies()[1];
  EXPECT_EQ(s1.source_topics, std::vector<std::string>{"rekeyed"});
  ASSERT_EQ(s1.stores.size(), 1U);
  EXPECT_EQ(s1.stores[0].name, "counts");
  EXPECT_TRUE(s1.stateful());
  const auto& s2 = p.subtopologies()[2];
  EXPECT_EQ(s2.source_topics, std::vector<std::string>{"words-in"});
  ASSERT_EQ(s2.nodes.size(), 3U);
  EXPECT_EQ(s2.nodes[0]->name, "words");
  EXPECT_EQ(s2.nodes[1]->name, "rekey");
  EXPECT_EQ(s2.nodes[2]->name, "to-repartition");

  EXPECT_EQ(p.RepartitionTopics(), std::vector<std::string>{"rekeyed"});
  EXPECT_EQ(p.ForSourceTopic("rekeyed"), &s1);
  EXPECT_EQ(p.ForSourceTopic("audit-copy"), nullptr);
  EXPECT_EQ(s2.SourceFor("words-in")->name, "words");

  const group::GroupTopology g = p.ToGroupTopology();
  ASSERT_TRUE(g.Validate().ok());
  ASSERT_EQ(g.subtopologies.size(), 3U);
  EXPECT_EQ(g.subtopologies[1].id, 1);
  EXPECT_EQ(g.subtopologies[1].source_topics, std::vector<std::string>{"rekeyed"});
  EXPECT_TRUE(g.subtopologies[1].stateful);
  EXPECT_FALSE(g.subtopologies[2].stateful);
}

TEST(ProcessorTopologyTest, ASharedStoreJoinsTwoChains) {
  Topology t;
  t.AddSource<S, S>("a", {"ta"})
      .AddProcessor("pa", Terminal(), {"a"})
      .AddSource<S, S>("b", {"tb"})
      .AddProcessor("pb", Terminal(), {"b"});
  EXPECT_EQ(Build(t).subtopologies().size(), 2U);
  StoreSpec unlogged = stores::InMemoryKeyValue("shared");
  unlogged.logging = false;
  t.AddStateStore(unlogged, {"pa"});
  EXPECT_EQ(Build(t).subtopologies().size(), 2U);
  t.ConnectProcessorAndStateStores("pb", {"shared"});
  const ProcessorTopology p = Build(t);
  ASSERT_EQ(p.subtopologies().size(), 1U);
  EXPECT_EQ(p.subtopologies()[0].source_topics, (std::vector<std::string>{"ta", "tb"}));
  EXPECT_EQ(p.subtopologies()[0].nodes.size(), 4U);
  EXPECT_FALSE(p.subtopologies()[0].stateful());  // the only store has no changelog
}

TEST(ProcessorTopologyTest, AMergeOfTwoSourcesIsOneSubtopology) {
  Topology t;
  t.AddSource<S, S>("a", {"ta"})
      .AddSource<S, S>("b", {"tb"})
      .AddProcessor("merge", Terminal(), {"a", "b"});
  const ProcessorTopology p = Build(t);
  ASSERT_EQ(p.subtopologies().size(), 1U);
  EXPECT_EQ(p.subtopologies()[0].source_topics, (std::vector<std::string>{"ta", "tb"}));
}

TEST(ProcessorTopologyTest, NoSourcesIsAnError) {
  const auto p = ProcessorTopology::Build(Topology(), "app");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "topology has no source nodes");
}

TEST(TopologyDescribeTest, KafkaStreamsFormat) {
  Topology t = ThreeSubtopologies();
  t.AddProcessor("log", Terminal(), {"rekey"});
  EXPECT_EQ(t.Describe(),
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: audit (topics: [audit-in, audit-in-2])\n"
            "      --> audit-out\n"
            "    Sink: audit-out (topic: audit-copy)\n"
            "      <-- audit\n"
            "\n"
            "  Sub-topology: 1\n"
            "    Source: rekeyed-src (topics: [rekeyed])\n"
            "      --> count\n"
            "    Processor: count (stores: [counts])\n"
            "      --> none\n"
            "      <-- rekeyed-src\n"
            "\n"
            "  Sub-topology: 2\n"
            "    Source: words (topics: [words-in])\n"
            "      --> rekey\n"
            "    Processor: rekey (stores: [])\n"
            "      --> to-repartition, log\n"
            "      <-- words\n"
            "    Sink: to-repartition (topic: rekeyed)\n"
            "      <-- rekey\n"
            "    Processor: log (stores: [])\n"
            "      --> none\n"
            "      <-- rekey\n"
            "\n");
}

// ---- internal topics and extractor sinks ----

TEST(TopologyBuildTest, InternalTopicChecks) {
  Topology t;
  t.AddSource<S, S>("src", {"in", "read-early"}).AddSink<S, S>("early", "written-early", {"src"});
  ExpectInvalid(Thrown([&] { t.AddInternalTopic(""); }),
                "an internal topic needs a non-empty name");
  ExpectInvalid(Thrown([&] { t.AddInternalTopic("a b"); }),
                "invalid internal topic name 'a b' (use up to 180 of [a-zA-Z0-9._-], not '.' or "
                "'..')");
  ExpectInvalid(Thrown([&] { t.AddInternalTopic(".."); }),
                "invalid internal topic name '..' (use up to 180 of [a-zA-Z0-9._-], not '.' or "
                "'..')");
  ExpectInvalid(Thrown([&] { t.AddInternalTopic(std::string(181, 'x')); }),
                "invalid internal topic name '" + std::string(181, 'x') +
                    "' (use up to 180 of [a-zA-Z0-9._-], not '.' or '..')");
  ExpectInvalid(Thrown([&] { t.AddInternalTopic("x", {.partitions = 0}); }),
                "internal topic 'x': partitions must be -1 (derived) or at least 1, got 0");
  ExpectInvalid(Thrown([&] { t.AddInternalTopic("x", {.partitions = -2}); }),
                "internal topic 'x': partitions must be -1 (derived) or at least 1, got -2");
  ExpectInvalid(Thrown([&] {
                  t.AddInternalTopic("x", {.configs = {{"", "v"}}});
                }),
                "internal topic 'x': a topic config with an empty key");
  // A name some earlier node already used as an external topic.
  ExpectInvalid(Thrown([&] { t.AddInternalTopic("read-early"); }),
                "internal topic 'read-early': source 'src' already uses 'read-early' as an "
                "external topic; declare internal topics before the sources and sinks that use "
                "them");
  ExpectInvalid(Thrown([&] { t.AddInternalTopic("written-early"); }),
                "internal topic 'written-early': sink 'early' already uses 'written-early' as an "
                "external topic; declare internal topics before the sources and sinks that use "
                "them");
  EXPECT_TRUE(t.spec().internal_topics.empty());  // nothing of the failed calls was kept
  t.AddInternalTopic("x", {.partitions = 3, .configs = {{"retention.ms", "1000"}}});
  ExpectInvalid(Thrown([&] { t.AddInternalTopic("x"); }), "internal topic 'x' is already declared");
  ASSERT_EQ(t.spec().internal_topics.size(), 1U);
  EXPECT_EQ(t.spec().internal_topics[0].spec.partitions, 3);
  // Two sources cannot read one internal topic either.
  t.AddSource<S, S>("x-src", {"x"});
  ExpectInvalid(Thrown([&] { t.AddSource<S, S>("x-src-2", {"x"}); }),
                "topic 'x' is already read by source 'x-src'; source 'x-src-2' cannot read it too");
}

TEST(TopologyBuildTest, ExtractorSinkChecks) {
  Topology t;
  t.AddSource<S, S>("src", {"in"});
  ExpectInvalid(Thrown([&] { t.AddSink<S, S>("route", TopicNameExtractor<S, S>(), {"src"}); }),
                "sink 'route' needs a topic name extractor (got an empty std::function)");
  ExpectInvalid(Thrown([&] {
                  t.AddSink<S, int64_t>(
                      "route",
                      [](const S&, const int64_t&, const RecordContext&) { return S("t"); },
                      {"src"});
                }),
                "sink 'route' takes Record<std::string, int64_t> but its parent source 'src' "
                "forwards Record<std::string, std::string>");
  t.AddSink<S, S>("route", [](const S& k, const S&, const RecordContext&) { return k; }, {"src"});
  const internal::NodeSpec* sink = t.spec().Find("route");
  ASSERT_NE(sink, nullptr);
  EXPECT_TRUE(sink->topic.empty());
  EXPECT_EQ(sink->extractor, "TopicNameExtractor<std::string, std::string>");
  // An extractor sink writes no fixed topic: it is no sub-topology boundary and no sink topic.
  const ProcessorTopology p = Build(t);
  ASSERT_EQ(p.subtopologies().size(), 1U);
  EXPECT_TRUE(p.subtopologies()[0].sink_topics.empty());
}

// words -> rekey -> internal "by-word" -> count, plus an internal topic nobody uses.
Topology RekeyThroughInternalTopic() {
  Topology t;
  t.AddInternalTopic("by-word")
      .AddInternalTopic("unused", {.partitions = 2})
      .AddSource<S, S>("words", {"words-in"})
      .AddProcessor("rekey", PassThrough<S, S>(), {"words"})
      .AddSink<S, S>("to-by-word", "by-word", {"rekey"})
      .AddSource<S, S>("by-word-src", {"by-word"})
      .AddProcessor("count", Terminal(), {"by-word-src"})
      .AddStateStore(stores::PersistentKeyValue("counts"), {"count"})
      .AddSink<S, S>("route", [](const S& k, const S&, const RecordContext&) { return "t-" + k; },
                     {"rekey"});
  return t;
}

TEST(ProcessorTopologyTest, InternalTopicsAreResolvedWithTheApplicationId) {
  const auto built = ProcessorTopology::Build(RekeyThroughInternalTopic(), "wc");
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  const ProcessorTopology& p = *built;
  EXPECT_EQ(p.application_id(), "wc");
  ASSERT_EQ(p.subtopologies().size(), 2U);
  // by-word-src < words
  const auto& reader = p.subtopologies()[0];
  const auto& writer = p.subtopologies()[1];
  EXPECT_EQ(reader.source_topics, std::vector<std::string>{"wc-by-word"});
  EXPECT_EQ(reader.SourceFor("wc-by-word")->name, "by-word-src");
  EXPECT_EQ(reader.SourceFor("by-word"), nullptr);
  EXPECT_EQ(writer.source_topics, std::vector<std::string>{"words-in"});
  EXPECT_EQ(writer.sink_topics, std::vector<std::string>{"wc-by-word"});
  EXPECT_EQ(p.RepartitionTopics(), std::vector<std::string>{"wc-by-word"});
  EXPECT_EQ(p.ForSourceTopic("wc-by-word"), &reader);
  EXPECT_EQ(p.ResolveTopic("by-word"), "wc-by-word");
  EXPECT_EQ(p.ResolveTopic("words-in"), "words-in");

  ASSERT_EQ(p.internal_topics().size(), 2U);
  const InternalTopicInfo& by_word = p.internal_topics()[0];
  EXPECT_EQ(by_word.name, "by-word");
  EXPECT_EQ(by_word.full_name, "wc-by-word");
  EXPECT_EQ(by_word.writers, std::vector<int32_t>{1});
  EXPECT_EQ(by_word.reader, 0);
  EXPECT_EQ(by_word.spec.partitions, -1);
  const InternalTopicInfo& unused = p.internal_topics()[1];
  EXPECT_EQ(unused.full_name, "wc-unused");
  EXPECT_TRUE(unused.writers.empty());
  EXPECT_EQ(unused.reader, -1);
  EXPECT_EQ(unused.spec.partitions, 2);
  EXPECT_EQ(p.FindInternalTopic("wc-by-word"), &by_word);
  EXPECT_EQ(p.FindInternalTopic("by-word"), nullptr);

  // The group leader sees the full names (it describes them for partition counts).
  const group::GroupTopology g = p.ToGroupTopology();
  ASSERT_TRUE(g.Validate().ok());
  EXPECT_EQ(g.subtopologies[0].source_topics, std::vector<std::string>{"wc-by-word"});
  EXPECT_TRUE(g.subtopologies[0].stateful);
  const auto topics = g.SourceTopics();
  EXPECT_NE(std::find(topics.begin(), topics.end(), "wc-by-word"), topics.end());
}

TEST(ProcessorTopologyTest, InternalTopicNameCollisions) {
  {
    Topology t;  // an external topic named like the internal one's full name
    t.AddInternalTopic("x").AddSource<S, S>("src", {"app-x"}).AddSink<S, S>("s", "x", {"src"});
    const auto p = ProcessorTopology::Build(t, "app");
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(p.status().message(),
              "topic 'app-x' is the internal topic 'x' of application 'app' and an external "
              "topic of source 'src'");
    EXPECT_TRUE(ProcessorTopology::Build(t, "other").ok());
  }
  {
    Topology t;
    t.AddInternalTopic("x").AddSource<S, S>("src", {"in"}).AddSink<S, S>("s", "app-x", {"src"});
    const auto p = ProcessorTopology::Build(t, "app");
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().message(),
              "topic 'app-x' is the internal topic 'x' of application 'app' and an external "
              "topic of sink 's'");
  }
  {
    Topology t;  // the changelog of a store
    t.AddInternalTopic("counts-changelog")
        .AddSource<S, S>("src", {"in"})
        .AddProcessor("p", Terminal(), {"src"})
        .AddStateStore(stores::PersistentKeyValue("counts"), {"p"});
    const auto p = ProcessorTopology::Build(t, "app");
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().message(),
              "internal topic 'counts-changelog' of application 'app' has the name of the "
              "changelog of store 'counts': 'app-counts-changelog'");
  }
  {
    const auto p = ProcessorTopology::Build(RekeyThroughInternalTopic(), "");
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().message(),
              "the topology declares internal topics; their names need an application.id");
  }
}

TEST(TopologyDescribeTest, InternalTopicsUnprefixedAndExtractorSinks) {
  EXPECT_EQ(RekeyThroughInternalTopic().Describe(),
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: by-word-src (topics: [by-word])\n"
            "      --> count\n"
            "    Processor: count (stores: [counts])\n"
            "      --> none\n"
            "      <-- by-word-src\n"
            "\n"
            "  Sub-topology: 1\n"
            "    Source: words (topics: [words-in])\n"
            "      --> rekey\n"
            "    Processor: rekey (stores: [])\n"
            "      --> to-by-word, route\n"
            "      <-- words\n"
            "    Sink: to-by-word (topic: by-word)\n"
            "      <-- rekey\n"
            "    Sink: route (extractor: TopicNameExtractor<std::string, std::string>)\n"
            "      <-- rekey\n"
            "\n");
}

}  // namespace
}  // namespace brook
