// The word count topology in the TopologyTestDriver, against hand-computed counts.
#include "wordcount/wordcount.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "brook/state/serde.h"
#include "brook/test_driver.h"

namespace brook::examples::wordcount {
namespace {

using ::testing::ElementsAre;

TEST(SplitWordsTest, LowerCasesAndSplitsOnAnythingButLettersAndDigits) {
  EXPECT_THAT(SplitWords("Hello, hello  WORLD!"), ElementsAre("hello", "hello", "world"));
  EXPECT_THAT(SplitWords("Don't stop-2day"), ElementsAre("don", "t", "stop", "2day"));
  EXPECT_THAT(SplitWords("  \t"), ElementsAre());
  EXPECT_THAT(SplitWords("caf\xc3\xa9 ok"), ElementsAre("caf", "ok"));
}

TEST(LineGeneratorTest, SameSeedSameLines) {
  LineGenerator a(7);
  LineGenerator b(7);
  LineGenerator c(8);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const std::string line = a.Next();
    EXPECT_EQ(line, b.Next());
    EXPECT_FALSE(SplitWords(line).empty());
    differs = differs || line != c.Next();
  }
  EXPECT_TRUE(differs);
}

class WordCountTopologyTest : public ::testing::Test {
 protected:
  TopologyTestDriver driver_{BuildTopology({.input = "lines", .output = "counts"}),
                             {{"application.id", "wc"}}};
  TestInputTopic<std::string, std::string> in_ =
      driver_.CreateInputTopic<std::string, std::string>("lines");
  TestOutputTopic<std::string, int64_t> out_ =
      driver_.CreateOutputTopic<std::string, int64_t>("counts");
};

TEST_F(WordCountTopologyTest, EmitsTheRunningCountOfEachWord) {
  in_.PipeInput("line-1", "The quick fox", 1000);
  in_.PipeInput("line-2", "the lazy dog, the end", 2000);
  using KV = KeyValue<std::string, int64_t>;
  EXPECT_THAT(out_.ReadKeyValuesToList(),
              ElementsAre(KV{"the", 1}, KV{"quick", 1}, KV{"fox", 1}, KV{"the", 2}, KV{"lazy", 1},
                          KV{"dog", 1}, KV{"the", 3}, KV{"end", 1}));
}

TEST_F(WordCountTopologyTest, GroupsThroughTheRepartitionTopicIntoTheNamedStore) {
  in_.PipeInput("a", "red green red", 1000);
  in_.PipeInput("b", "green", 2000);  // another input key: the same word's count
  const std::map<std::string, int64_t> latest = out_.ReadKeyValuesToMap();
  EXPECT_EQ(latest, (std::map<std::string, int64_t>{{"red", 2}, {"green", 2}}));
  auto store = driver_.GetKeyValueStore<std::string, int64_t>(kCountsStore);
  EXPECT_EQ(store.Get("red"), std::optional<int64_t>(2));
  EXPECT_EQ(store.Get("blue"), std::nullopt);
  // Each word went through "<application.id>-words-repartition", keyed by the word.
  auto repartition = driver_.CreateOutputTopic<std::string, std::string>("wc-words-repartition");
  using KV = KeyValue<std::string, std::string>;
  EXPECT_THAT(
      repartition.ReadKeyValuesToList(),
      ElementsAre(KV{"red", "red"}, KV{"green", "green"}, KV{"red", "red"}, KV{"green", "green"}));
}

TEST_F(WordCountTopologyTest, ALineWithoutWordsChangesNothing) {
  in_.PipeInput("a", " -- !? ", 1000);
  EXPECT_TRUE(out_.IsEmpty());
}

TEST(WordCountDescribeTest, NamesTheStoreAndTheRepartitionTopic) {
  const std::string d = BuildTopology({}).Describe();
  EXPECT_THAT(d, ::testing::HasSubstr("wordcount-input"));
  EXPECT_THAT(d, ::testing::HasSubstr("words-repartition"));
  EXPECT_THAT(d, ::testing::HasSubstr("word-counts"));
  EXPECT_THAT(d, ::testing::HasSubstr("wordcount-output"));
}

}  // namespace
}  // namespace brook::examples::wordcount
