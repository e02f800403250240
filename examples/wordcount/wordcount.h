// Word count (Kafka Streams' WordCountDemo): lines of text in, the running count of every
// word out.
//
//   wordcount-input (key: any, value: a line of text)
//     -> FlatMapValues(SplitWords)         one record per word, same key
//     -> GroupBy(word)                     re-partitioned by word through
//                                          "<application.id>-words-repartition"
//     -> Count(store "word-counts")        persistent key-value store, changelogged
//     -> ToStream -> wordcount-output      key: word (string), value: count (int64, 8 bytes
//                                          big-endian: Kafka's LongSerde)
//
// Every input word updates its count once: the output topic's latest value per word is the
// number of times the word occurred in the input so far (at-least-once: more after a crash).
//
// Thread-safety: the functions are pure (LineGenerator is a plain value: one per thread).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "brook/config.h"
#include "brook/topology.h"
#include "common/example_app.h"

namespace brook::examples::wordcount {

struct Topics {
  // Default: "wordcount-input"
  std::string input = "wordcount-input";
  // Default: "wordcount-output"
  std::string output = "wordcount-output";
};

// The store holding the counts (queryable by this name) and the grouping's name (its
// repartition topic is "<application.id>-words-repartition").
inline constexpr std::string_view kCountsStore = "word-counts";
inline constexpr std::string_view kGroupedName = "words";

// The words of a line: maximal runs of ASCII letters and digits, lower-cased ("Don't stop!"
// -> "don", "t", "stop").
std::vector<std::string> SplitWords(std::string_view line);

brook::Topology BuildTopology(const Topics& topics);

// Seeded sample text: lines of 1 to 12 words drawn from a fixed vocabulary (a few words far
// more often than the rest), some capitalised, some followed by punctuation.
class LineGenerator {
 public:
  explicit LineGenerator(uint64_t seed) : rng_(seed) {}
  std::string Next();

 private:
  std::mt19937_64 rng_;
};

// The example for brook::examples::Main: keys wordcount.input.topic and
// wordcount.output.topic; `produce` writes lines keyed "line-<n>".
ExampleApp App();

}  // namespace brook::examples::wordcount
