#include "wordcount/wordcount.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <iomanip>
#include <iostream>
#include <map>
#include <utility>
#include <vector>

#include "brook/dsl.h"

namespace brook::examples::wordcount {
namespace {

constexpr std::array<std::string_view, 96> kVocabulary = {
    "the",    "stream", "of",     "and",    "a",      "record", "to",      "in",      "kafka",
    "is",     "table",  "state",  "key",    "value",  "for",    "with",    "topic",   "on",
    "store",  "task",   "brook",  "window", "count",  "event",  "time",    "by",      "from",
    "join",   "each",   "new",    "old",    "order",  "user",   "page",    "view",    "region",
    "every",  "one",    "two",    "three",  "four",   "five",   "six",     "seven",   "eight",
    "nine",   "ten",    "river",  "water",  "flows",  "fast",   "slow",    "quiet",   "loud",
    "bright", "dark",   "early",  "late",   "north",  "south",  "east",    "west",    "spring",
    "summer", "autumn", "winter", "rain",   "snow",   "wind",   "cloud",   "stone",   "tree",
    "leaf",   "root",   "branch", "bridge", "road",   "city",   "town",    "field",   "hill",
    "valley", "sea",    "shore",  "island", "light",  "shadow", "morning", "evening", "night",
    "day",    "year",   "moment", "echo",   "signal", "offset",
};
constexpr std::array<std::string_view, 5> kPunctuation = {",", ".", "!", "?", ";"};

}  // namespace

std::vector<std::string> SplitWords(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : line) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && std::isalnum(u) != 0) {
      word += static_cast<char>(std::tolower(u));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

brook::Topology BuildTopology(const Topics& topics) {
  brook::StreamsBuilder builder;
  builder.Stream<std::string, std::string>(topics.input)
      .FlatMapValues([](const std::string& line) { return SplitWords(line); })
      .GroupBy(
          [](const std::string& /*key*/, const std::string& word) { return word; },
          brook::Grouped<state::StringSerde, state::StringSerde>{.name = std::string(kGroupedName)})
      .Count(brook::Materialized<state::StringSerde, state::Int64Serde>{
          .store_name = std::string(kCountsStore)})
      .ToStream()
      .To(topics.output, brook::Produced<state::StringSerde, state::Int64Serde>{});
  return builder.Build();
}

std::string LineGenerator::Next() {
  const size_t words = 1 + rng_() % 12;
  std::string line;
  for (size_t i = 0; i < words; ++i) {
    // The smaller of two uniform picks: word i is drawn about (2(n - i) - 1) / n^2 of the time.
    const size_t pick = std::min(rng_() % kVocabulary.size(), rng_() % kVocabulary.size());
    std::string word(kVocabulary[pick]);
    if (rng_() % 8 == 0)
      word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
    if (!line.empty()) line += ' ';
    line += word;
    if (rng_() % 10 == 0) line += kPunctuation[rng_() % kPunctuation.size()];
  }
  return line;
}

ExampleApp App() {
  ExampleApp app;
  app.name = "wordcount";
  app.summary = "brook word count: lines of text in, the running count of each word out";
  app.keys = {
      {.name = "wordcount.input.topic", .default_value = Topics{}.input, .doc = "lines of text"},
      {.name = "wordcount.output.topic",
       .default_value = Topics{}.output,
       .doc = "word -> count (int64)"},
  };
  app.default_count = 10000;
  auto topics_of = [](const Config& c) {
    return Topics{.input = c.GetString("wordcount.input.topic"),
                  .output = c.GetString("wordcount.output.topic")};
  };
  app.build = [topics_of](const Config& c) { return BuildTopology(topics_of(c)); };
  app.produce = [topics_of](const Config& c, const ProduceOptions& o, RecordSink& sink) {
    if (!o.only.empty()) return Status::InvalidArgument("--only: wordcount has one input");
    const Topics topics = topics_of(c);
    LineGenerator lines(o.seed);
    for (int64_t i = 0; i < o.count; ++i) {
      BROOK_RETURN_IF_ERROR(sink.Send(topics.input, "line-" + std::to_string(i), lines.Next()));
    }
    return Status::Ok();
  };
  app.print = [topics_of](const Config& c, const PrintOptions& o, std::ostream& out) -> Status {
    const Topics topics = topics_of(c);
    BROOK_ASSIGN_OR_RETURN(auto latest, ReadLatest(c, topics.output));
    std::vector<std::pair<int64_t, std::string>> counts;
    for (const auto& [word, bytes] : latest) {
      BROOK_ASSIGN_OR_RETURN(const int64_t n, state::Int64Serde().Deserialize(bytes));
      counts.emplace_back(n, word);
    }
    std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    out << topics.output << ": " << counts.size() << " words, most frequent first\n";
    for (size_t i = 0; i < counts.size() && std::cmp_less(i, o.max_lines); ++i) {
      out << "  " << std::left << std::setw(12) << counts[i].second << ' ' << counts[i].first
          << "\n";
    }
    return Status::Ok();
  };
  return app;
}

}  // namespace brook::examples::wordcount
