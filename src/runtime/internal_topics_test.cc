// Partition counts of internal (repartition) topics: the pure resolution, no broker.
#include "runtime/internal_topics.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "runtime/processor_test_util.h"
#include "runtime/processor_topology.h"

namespace brook::runtime {
namespace {

using Counts = std::map<std::string, int32_t>;
using S = std::string;

Counts Resolve(const std::vector<InternalTopicPartitioning>& topics,
               const SubtopologySourceTopics& sources, const Counts& external) {
  Result<Counts> r = ResolveInternalTopicPartitions(topics, sources, external);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Counts{};
}

std::string Error(const std::vector<InternalTopicPartitioning>& topics,
                  const SubtopologySourceTopics& sources, const Counts& external) {
  Result<Counts> r = ResolveInternalTopicPartitions(topics, sources, external);
  if (r.ok()) return "resolved";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(InternalTopicPartitionsTest, DerivedFromTheWritersSourceTopics) {
  // Sub-topology 0 reads "in" (8 partitions) and writes "r", read by 1.
  EXPECT_EQ(Resolve({{.topic = "r", .writers = {0}, .reader = 1}}, {{0, {"in"}}, {1, {"r"}}},
                    {{"in", 8}}),
            (Counts{{"r", 8}}));
  // No reader (written for another application): still derived from the writers.
  EXPECT_EQ(Resolve({{.topic = "r", .writers = {0}}}, {{0, {"in"}}}, {{"in", 3}}),
            (Counts{{"r", 3}}));
}

TEST(InternalTopicPartitionsTest, TheLargestCountOverEveryWriter) {
  EXPECT_EQ(Resolve({{.topic = "r", .writers = {0, 1}, .reader = 2}},
                    {{0, {"a", "b"}}, {1, {"c"}}, {2, {"r"}}}, {{"a", 4}, {"b", 4}, {"c", 6}}),
            (Counts{{"r", 6}}));
}

TEST(InternalTopicPartitionsTest, AnExplicitCountWins) {
  EXPECT_EQ(Resolve({{.topic = "r", .partitions = 3, .writers = {0}, .reader = 1}},
                    {{0, {"in"}}, {1, {"r"}}}, {{"in", 8}}),
            (Counts{{"r", 3}}));
  // Also without writers.
  EXPECT_EQ(Resolve({{.topic = "r", .partitions = 2, .reader = 0}}, {{0, {"r"}}}, {}),
            (Counts{{"r", 2}}));
}

TEST(InternalTopicPartitionsTest, ChainsResolveToAFixedPoint) {
  // in(5) -> 0 -> r1 -> 1 -> r2 -> 2 -> r3 -> 3; listed against the flow.
  const SubtopologySourceTopics sources = {{0, {"in"}}, {1, {"r1"}}, {2, {"r2"}}, {3, {"r3"}}};
  EXPECT_EQ(Resolve({{.topic = "r3", .writers = {2}, .reader = 3},
                     {.topic = "r2", .writers = {1}, .reader = 2},
                     {.topic = "r1", .writers = {0}, .reader = 1}},
                    sources, {{"in", 5}}),
            (Counts{{"r1", 5}, {"r2", 5}, {"r3", 5}}));
  // An explicit count in the middle carries on downstream.
  EXPECT_EQ(Resolve({{.topic = "r3", .writers = {2}, .reader = 3},
                     {.topic = "r2", .partitions = 2, .writers = {1}, .reader = 2},
                     {.topic = "r1", .writers = {0}, .reader = 1}},
                    sources, {{"in", 5}}),
            (Counts{{"r1", 5}, {"r2", 2}, {"r3", 2}}));
}

TEST(InternalTopicPartitionsTest, CoPartitionedWithTheReadersFixedTopics) {
  // Sub-topology 1 joins the re-keyed stream with "table" (3 partitions): the repartition
  // topic takes the table's count, whatever its writer reads.
  EXPECT_EQ(Resolve({{.topic = "r", .writers = {0}, .reader = 1}},
                    {{0, {"in"}}, {1, {"r", "table"}}}, {{"in", 8}, {"table", 3}}),
            (Counts{{"r", 3}}));
  // An explicit internal topic is a fixed count too.
  EXPECT_EQ(Resolve({{.topic = "r", .writers = {0}, .reader = 1},
                     {.topic = "fixed", .partitions = 4, .reader = 1}},
                    {{0, {"in"}}, {1, {"fixed", "r"}}}, {{"in", 8}}),
            (Counts{{"fixed", 4}, {"r", 4}}));
  // Two derived topics read together get the larger count.
  EXPECT_EQ(Resolve({{.topic = "left", .writers = {0}, .reader = 2},
                     {.topic = "right", .writers = {1}, .reader = 2}},
                    {{0, {"a"}}, {1, {"b"}}, {2, {"left", "right"}}}, {{"a", 4}, {"b", 6}}),
            (Counts{{"left", 6}, {"right", 6}}));
  // A sub-topology reading its own output next to an input topic: no cycle.
  EXPECT_EQ(
      Resolve({{.topic = "loop", .writers = {0}, .reader = 0}}, {{0, {"in", "loop"}}}, {{"in", 2}}),
      (Counts{{"loop", 2}}));
}

TEST(InternalTopicPartitionsTest, CyclesAreErrorsNamingTheTopics) {
  // 0 reads r1 and writes r2, 1 reads r2 and writes r1.
  const SubtopologySourceTopics sources = {{0, {"r1"}}, {1, {"r2"}}};
  EXPECT_EQ(Error({{.topic = "r1", .writers = {1}, .reader = 0},
                   {.topic = "r2", .writers = {0}, .reader = 1}},
                  sources, {}),
            "the partition counts of internal topics 'r1' <- 'r2' <- 'r1' depend on each other "
            "(each is written by a sub-topology reading the next); set "
            "InternalTopicSpec::partitions on one of them");
  // Fixing one count breaks the cycle.
  EXPECT_EQ(Resolve({{.topic = "r1", .partitions = 7, .writers = {1}, .reader = 0},
                     {.topic = "r2", .writers = {0}, .reader = 1}},
                    sources, {}),
            (Counts{{"r1", 7}, {"r2", 7}}));
  // A topic downstream of a cycle: the cycle is named.
  EXPECT_EQ(Error({{.topic = "after", .writers = {1}, .reader = 2},
                   {.topic = "r1", .writers = {1}, .reader = 0},
                   {.topic = "r2", .writers = {0}, .reader = 1}},
                  {{0, {"r1"}}, {1, {"r2"}}, {2, {"after"}}}, {}),
            "the partition counts of internal topics 'r2' <- 'r1' <- 'r2' depend on each other "
            "(each is written by a sub-topology reading the next); set "
            "InternalTopicSpec::partitions on one of them");
  // A sub-topology that only reads what it writes.
  EXPECT_EQ(Error({{.topic = "self", .writers = {0}, .reader = 0}}, {{0, {"self"}}}, {}),
            "the partition counts of internal topics 'self' <- 'self' depend on each other (each "
            "is written by a sub-topology reading the next); set InternalTopicSpec::partitions "
            "on one of them");
}

TEST(InternalTopicPartitionsTest, UnresolvableCountsAreErrors) {
  EXPECT_EQ(Error({{.topic = "r", .reader = 0}}, {{0, {"r"}}}, {}),
            "internal topic 'r': no sink writes it, so its partition count cannot be derived; "
            "set InternalTopicSpec::partitions");
  EXPECT_EQ(
      Error({{.topic = "r", .writers = {0}, .reader = 1}}, {{0, {"mystery"}}, {1, {"r"}}}, {}),
      "internal topic 'r': the partition count of topic 'mystery' (read by sub-topology 0, "
      "which writes it) is unknown");
  EXPECT_EQ(Error({{.topic = "r", .partitions = 0}}, {}, {}),
            "internal topic 'r': partitions must be -1 (derived) or at least 1, got 0");
  EXPECT_EQ(Error({{.topic = "r", .partitions = 1}, {.topic = "r", .partitions = 1}}, {}, {}),
            "internal topic 'r' is listed twice");
}

TEST(InternalTopicPartitionsTest, FromAProcessorTopology) {
  Topology t;
  t.AddInternalTopic("by-key")
      .AddInternalTopic("unused")  // neither read nor written: no count, never created
      .AddInternalTopic("fixed", {.partitions = 2})
      .AddSource<S, S>("in", {"input"})
      .AddSink<S, S>("to-by-key", "by-key", {"in"})
      .AddSink<S, S>("to-fixed", "fixed", {"in"})
      .AddSource<S, S>("by-key-src", {"by-key"})
      .AddProcessor("p", testing::PassThrough<S, S>(), {"by-key-src"})
      .AddSink<S, S>("out", "output", {"p"});
  Result<ProcessorTopology> p = ProcessorTopology::Build(t, "app");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  Result<Counts> counts = ResolveInternalTopicPartitions(*p, {{"input", 6}});
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(*counts, (Counts{{"app-by-key", 6}, {"app-fixed", 2}}));
}

TEST(InternalTopicPartitionsTest, ConfigsOfANewTopic) {
  EXPECT_EQ(InternalTopicConfigs({}),
            (std::map<std::string, std::string>{{"cleanup.policy", "delete"},
                                                {"message.timestamp.type", "CreateTime"},
                                                {"segment.bytes", "52428800"}}));
  EXPECT_EQ(InternalTopicConfigs({.configs = {{"segment.bytes", "1000"}, {"retention.ms", "-1"}}}),
            (std::map<std::string, std::string>{{"cleanup.policy", "delete"},
                                                {"message.timestamp.type", "CreateTime"},
                                                {"retention.ms", "-1"},
                                                {"segment.bytes", "1000"}}));
}

}  // namespace
}  // namespace brook::runtime
