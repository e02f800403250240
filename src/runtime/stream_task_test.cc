// StreamTask: record merge order, stream time, punctuation, offsets, error handling and
// lifecycle, against a fake collector and in-memory stores.
#include "runtime/stream_task.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "brook/topology.h"
#include "runtime/processor_test_util.h"
#include "state/in_memory_key_value_store.h"

namespace brook::runtime {
namespace {

using testing::Lambda;
using testing::PassThrough;

using S = std::string;

struct Sent {
  std::string topic;
  int32_t partition = -1;
  std::optional<std::string> key;
  std::optional<std::string> value;
  int64_t timestamp_ms = -1;
  Headers headers;
};

class FakeCollector final : public RecordCollector {
 public:
  Status Send(const OutgoingRecord& r) override {
    if (!fail_with.ok()) return fail_with;
    Sent s{std::string(r.topic), r.partition, std::nullopt, std::nullopt, r.timestamp_ms, {}};
    if (r.key) s.key = std::string(*r.key);
    if (r.value) s.value = std::string(*r.value);
    if (r.headers != nullptr) s.headers = *r.headers;
    sent.push_back(std::move(s));
    return Status::Ok();
  }
  std::vector<Sent> sent;
  Status fail_with;
};

class FakeState final : public TaskStateAccess {
 public:
  state::KeyValueBytesStore* KeyValueStore(std::string_view name) override {
    auto it = kv.find(std::string(name));
    return it == kv.end() ? nullptr : it->second.get();
  }
  state::WindowBytesStore* WindowStore(std::string_view /*name*/) override { return nullptr; }
  state::SessionBytesStore* SessionStore(std::string_view /*name*/) override { return nullptr; }
  std::map<std::string, std::unique_ptr<state::InMemoryKeyValueStore>> kv;
};

ConsumedRecord Rec(const std::string& topic, int64_t offset, int64_t ts,
                   std::optional<std::string> key = "k", std::optional<std::string> value = "v") {
  return {.topic = topic,
          .partition = 0,
          .offset = offset,
          .timestamp_ms = ts,
          .key = std::move(key),
          .value = std::move(value)};
}

class StreamTaskTest : public ::testing::Test {
 protected:
  // Creates the task of sub-topology 0, partition 0, and makes it Running.
  void Start(const Topology& topology, StreamTaskOptions options = {}) {
    auto p = ProcessorTopology::Build(topology, "app");
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    options.application_id = "app";
    if (!options.clock) options.clock = [this] { return now_ms_; };
    auto t = StreamTask::Create({0, 0}, std::make_shared<const ProcessorTopology>(std::move(*p)),
                                collector_, state_, std::move(options));
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    task_ = std::move(t).value();
    ASSERT_TRUE(task_->StartRestoring().ok());
    const Status s = task_->CompleteRestoration();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Add(const std::string& topic, std::vector<ConsumedRecord> records) {
    const Status s = task_->AddRecords({topic, 0}, std::move(records));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Processes everything; fails the test on an error.
  void ProcessAll() {
    for (;;) {
      Result<bool> r = task_->Process();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      if (!*r) return;
    }
  }
  // Processes until an error, which it returns.
  Status ProcessUntilError() {
    for (;;) {
      Result<bool> r = task_->Process();
      if (!r.ok()) return r.status();
      if (!*r) return Status::Ok();
    }
  }

  int64_t now_ms_ = 1000;
  FakeCollector collector_;
  FakeState state_;
  std::unique_ptr<StreamTask> task_;
};

struct Seen {
  std::string topic;
  int64_t offset = 0;
  int64_t ts = 0;
  int64_t stream_time = 0;
  bool operator==(const Seen&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << s.topic << "@" << s.offset << " ts=" << s.ts << " st=" << s.stream_time;
}

// Two sources (topics a and b) merged into one recording processor.
Topology MergeTopology(std::vector<Seen>* seen) {
  Topology t;
  t.AddSource<S, S>("src-a", {"a"})
      .AddSource<S, S>("src-b", {"b"})
      .AddProcessor("record",
                    Lambda<S, S>([seen](ProcessorContext<void, void>& c, const Record<S, S>& r) {
                      const RecordMetadata* md = c.record_metadata();
                      ASSERT_NE(md, nullptr);
                      seen->push_back({std::string(md->topic), md->offset, r.timestamp_ms,
                                       c.current_stream_time_ms()});
                    }),
                    {"src-a", "src-b"});
  return t;
}

TEST_F(StreamTaskTest, MergesPartitionsBySmallestHeadTimestamp) {
  std::vector<Seen> seen;
  Start(MergeTopology(&seen));
  EXPECT_EQ(task_->partitions(), (std::vector<group::TopicPartition>{{"a", 0}, {"b", 0}}));
  Add("a", {Rec("a", 10, 1), Rec("a", 11, 5), Rec("a", 12, 9)});
  Add("b", {Rec("b", 20, 2), Rec("b", 21, 3), Rec("b", 22, 10)});
  EXPECT_EQ(task_->buffered_records(), 6U);
  EXPECT_EQ(task_->BufferedRecords({"a", 0}), 3U);
  ProcessAll();
  EXPECT_EQ(seen, (std::vector<Seen>{{"a", 10, 1, 1},
                                     {"b", 20, 2, 2},
                                     {"b", 21, 3, 3},
                                     {"a", 11, 5, 5},
                                     {"a", 12, 9, 9},
                                     {"b", 22, 10, 10}}));
  EXPECT_EQ(task_->buffered_records(), 0U);
  EXPECT_EQ(task_->processed_records(), 6U);
}

TEST_F(StreamTaskTest, StreamTimeNeverGoesBackOnOutOfOrderRecords) {
  std::vector<Seen> seen;
  Start(MergeTopology(&seen));
  Add("a", {Rec("a", 0, 1), Rec("a", 1, 8), Rec("a", 2, 4)});
  Add("b", {Rec("b", 0, 6)});
  ProcessAll();
  // Heads: a1 (1) < b6; then b6 < a8; then a8, a4 (only a left).
  EXPECT_EQ(seen,
            (std::vector<Seen>{{"a", 0, 1, 1}, {"b", 0, 6, 6}, {"a", 1, 8, 8}, {"a", 2, 4, 8}}));
  EXPECT_EQ(task_->stream_time_ms(), 8);
}

TEST_F(StreamTaskTest, TiesGoToTheFirstPartitionAndEmptyQueuesWait) {
  std::vector<Seen> seen;
  Start(MergeTopology(&seen));
  Add("b", {Rec("b", 0, 5)});
  Add("a", {Rec("a", 0, 5)});
  Result<bool> r = task_->Process();
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_EQ(seen.back().topic, "a");
  // max.task.idle.ms = 0: an empty partition does not hold the other back.
  Add("b", {Rec("b", 1, 100)});
  ProcessAll();
  EXPECT_EQ(seen.size(), 3U);
  r = task_->Process();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
}

// A processor scheduling a stream-time punctuation of 10 ms that forwards "tick" records.
Topology PunctuatingTopology(std::vector<int64_t>* fired, Cancellable* handle, PunctuationType type,
                             std::vector<bool>* metadata_null) {
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor(
          "ticker",
          Lambda<S, S, S, S>([](ProcessorContext<S, S>&, const Record<S, S>&) {},
                             [fired, handle, type, metadata_null](ProcessorContext<S, S>& c) {
                               *handle = c.Schedule(
                                   std::chrono::milliseconds(10), type,
                                   [fired, metadata_null, &c](int64_t at) {
                                     fired->push_back(at);
                                     metadata_null->push_back(c.record_metadata() == nullptr);
                                     c.Forward(Record<S, S>{"tick", std::to_string(at), at, {}});
                                   });
                             }),
          {"src"})
      .AddSink<S, S>("out", "ticks", {"ticker"});
  return t;
}

TEST_F(StreamTaskTest, StreamTimePunctuationFiresOncePerAdvanceAtTheSchedulePoint) {
  std::vector<int64_t> fired;
  std::vector<bool> metadata_null;
  Cancellable handle;
  Start(PunctuatingTopology(&fired, &handle, PunctuationType::kStreamTime, &metadata_null));
  Add("in", {Rec("in", 0, 5)});
  ProcessAll();
  EXPECT_EQ(fired, std::vector<int64_t>{0});  // points 0, 10, 20, ...; 5 passed 0
  Add("in", {Rec("in", 1, 7), Rec("in", 2, 12), Rec("in", 3, 9)});
  ProcessAll();
  EXPECT_EQ(fired, (std::vector<int64_t>{0, 10}));  // 9 is out of order: no advance
  Add("in", {Rec("in", 4, 35), Rec("in", 5, 36)});
  ProcessAll();
  EXPECT_EQ(fired, (std::vector<int64_t>{0, 10, 30}));  // 20 skipped, not replayed
  Add("in", {Rec("in", 6, 40)});
  ProcessAll();
  EXPECT_EQ(fired, (std::vector<int64_t>{0, 10, 30, 40}));
  EXPECT_EQ(metadata_null, (std::vector<bool>{true, true, true, true}));

  // Forwarded from the punctuator, with the punctuation's timestamp.
  ASSERT_EQ(collector_.sent.size(), 4U);
  EXPECT_EQ(collector_.sent[2].topic, "ticks");
  EXPECT_EQ(collector_.sent[2].key, "tick");
  EXPECT_EQ(collector_.sent[2].value, "30");
  EXPECT_EQ(collector_.sent[2].timestamp_ms, 30);

  handle.Cancel();
  EXPECT_TRUE(handle.cancelled());
  Add("in", {Rec("in", 7, 100)});
  ProcessAll();
  EXPECT_EQ(fired.size(), 4U);
  // Wall-clock time does not drive stream-time schedules.
  Result<bool> r = task_->MaybePunctuateWallClock(1'000'000);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
}

TEST_F(StreamTaskTest, WallClockPunctuation) {
  std::vector<int64_t> fired;
  std::vector<bool> metadata_null;
  Cancellable handle;
  now_ms_ = 1000;  // the schedule is made in Init: first point 1010
  Start(PunctuatingTopology(&fired, &handle, PunctuationType::kWallClockTime, &metadata_null));
  auto punctuate = [&](int64_t now) {
    Result<bool> r = task_->MaybePunctuateWallClock(now);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  };
  EXPECT_FALSE(punctuate(1009));
  EXPECT_TRUE(punctuate(1010));
  EXPECT_FALSE(punctuate(1015));
  EXPECT_TRUE(punctuate(1047));  // points 1020..1040 passed: one call, at 1040
  EXPECT_EQ(fired, (std::vector<int64_t>{1010, 1040}));
  // Records do not drive wall-clock schedules.
  Add("in", {Rec("in", 0, 5000)});
  ProcessAll();
  EXPECT_EQ(fired.size(), 2U);
  handle.Cancel();
  EXPECT_FALSE(punctuate(2000));
  EXPECT_EQ(collector_.sent.size(), 2U);
}

TEST_F(StreamTaskTest, PunctuatorCancellingItselfAndBadInterval) {
  int calls = 0;
  std::string interval_error;
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor("p",
                    Lambda<S, S>([](ProcessorContext<void, void>&, const Record<S, S>&) {},
                                 [&](ProcessorContext<void, void>& c) {
                                   auto handle = std::make_shared<Cancellable>();
                                   *handle = c.Schedule(std::chrono::milliseconds(1),
                                                        PunctuationType::kStreamTime,
                                                        [&calls, handle](int64_t) {
                                                          ++calls;
                                                          handle->Cancel();
                                                        });
                                   try {
                                     c.Schedule(std::chrono::milliseconds(0),
                                                PunctuationType::kStreamTime, [](int64_t) {});
                                   } catch (const Error& e) {
                                     interval_error = e.what();
                                   }
                                 }),
                    {"src"});
  Start(t);
  EXPECT_EQ(interval_error,
            "processor 'p': a punctuation interval must be at least 1 ms, got 0 ms");
  Add("in", {Rec("in", 0, 1), Rec("in", 1, 2), Rec("in", 2, 3)});
  ProcessAll();
  EXPECT_EQ(calls, 1);
}

TEST_F(StreamTaskTest, CommittableOffsetsAndCommitFlags) {
  bool request = false;
  Topology t;
  t.AddSource<S, S>("src-a", {"a"})
      .AddSource<S, S>("src-b", {"b"})
      .AddProcessor("p",
                    Lambda<S, S>([&request](ProcessorContext<void, void>& c, const Record<S, S>&) {
                      if (request) c.RequestCommit();
                    }),
                    {"src-a", "src-b"});
  Start(t);
  EXPECT_TRUE(task_->CommittableOffsets().empty());
  EXPECT_FALSE(task_->commit_needed());
  Add("a", {Rec("a", 5, 1), Rec("a", 6, 2)});
  Add("b", {Rec("b", 40, 10)});
  ASSERT_TRUE(task_->Process().ok());
  EXPECT_EQ(task_->CommittableOffsets(), (std::map<group::TopicPartition, int64_t>{{{"a", 0}, 6}}));
  ProcessAll();
  EXPECT_EQ(task_->CommittableOffsets(),
            (std::map<group::TopicPartition, int64_t>{{{"a", 0}, 7}, {{"b", 0}, 41}}));
  EXPECT_TRUE(task_->commit_needed());
  EXPECT_FALSE(task_->commit_requested());
  task_->MarkCommitted();
  EXPECT_FALSE(task_->commit_needed());
  // Offsets stay (they are positions, not deltas).
  EXPECT_EQ(task_->CommittableOffsets().size(), 2U);

  request = true;
  Add("a", {Rec("a", 7, 3)});
  ProcessAll();
  EXPECT_TRUE(task_->commit_requested());
  EXPECT_TRUE(task_->commit_needed());
  task_->MarkCommitted();
  EXPECT_FALSE(task_->commit_requested());
}

Topology Int64ValueTopology(std::vector<int64_t>* values) {
  Topology t;
  t.AddSource<S, int64_t>("src", {"in"})
      .AddProcessor(
          "p",
          Lambda<S, int64_t>([values](ProcessorContext<void, void>&, const Record<S, int64_t>& r) {
            values->push_back(r.value);
          }),
          {"src"});
  return t;
}

TEST_F(StreamTaskTest, DeserializationErrorContinueSkipsAndCommitsPastTheRecord) {
  std::vector<int64_t> values;
  std::vector<std::string> handled;
  StreamTaskOptions options;
  options.deserialization_handler = [&handled](const ConsumedRecord& r, const Status& error) {
    handled.push_back(r.topic + "@" + std::to_string(r.offset) + ": " + error.message());
    return HandlerDecision::kContinue;
  };
  Start(Int64ValueTopology(&values), std::move(options));
  const std::string one = state::Int64Serde().Serialize(1);
  const std::string two = state::Int64Serde().Serialize(2);
  Add("in", {Rec("in", 0, 1, "k", one), Rec("in", 1, 2, "k", "abc"), Rec("in", 2, -5, "k", two),
             Rec("in", 3, 3, "k", two)});
  ProcessAll();
  EXPECT_EQ(values, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(
      handled,
      (std::vector<std::string>{
          "in@1: source 'src': cannot deserialize value (int64): int64 needs exactly 8 "
          "bytes, got 3",
          "in@2: source 'src': invalid (negative) timestamp -5 (the record's own timestamp)"}));
  EXPECT_EQ(task_->skipped_records(), 2U);
  EXPECT_EQ(task_->processed_records(), 2U);
  EXPECT_EQ(task_->CommittableOffsets(),
            (std::map<group::TopicPartition, int64_t>{{{"in", 0}, 4}}));
}

TEST_F(StreamTaskTest, ABadTimestampAtAPartitionHeadIsHandledFirst) {
  std::vector<Seen> seen;
  std::vector<std::string> events;
  StreamTaskOptions options;
  options.deserialization_handler = [&events](const ConsumedRecord& r, const Status&) {
    events.push_back("skip " + r.topic + "@" + std::to_string(r.offset));
    return HandlerDecision::kContinue;
  };
  Start(MergeTopology(&seen), std::move(options));
  Add("a", {Rec("a", 0, 5)});
  Add("b", {Rec("b", 0, -1), Rec("b", 1, 7)});
  ASSERT_TRUE(task_->Process().ok());
  EXPECT_EQ(events, std::vector<std::string>{"skip b@0"});
  EXPECT_TRUE(seen.empty());
  ProcessAll();
  EXPECT_EQ(seen, (std::vector<Seen>{{"a", 0, 5, 5}, {"b", 1, 7, 7}}));
}

TEST_F(StreamTaskTest, DeserializationErrorFailNamesTopicPartitionOffset) {
  std::vector<int64_t> values;
  StreamTaskOptions options;
  options.deserialization_handler = [](const ConsumedRecord&, const Status&) {
    return HandlerDecision::kFail;
  };
  Start(Int64ValueTopology(&values), std::move(options));
  Add("in", {Rec("in", 0, 1, "k", state::Int64Serde().Serialize(7)), Rec("in", 1, 2, "k", "abc")});
  const Status s = ProcessUntilError();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "task 0_0: deserialization error at topic 'in' partition 0 offset 1: source 'src': "
            "cannot deserialize value (int64): int64 needs exactly 8 bytes, got 3");
  EXPECT_EQ(values, std::vector<int64_t>{7});
  // The failed record is not committable.
  EXPECT_EQ(task_->CommittableOffsets(),
            (std::map<group::TopicPartition, int64_t>{{{"in", 0}, 1}}));
}

TEST_F(StreamTaskTest, NoHandlerFailsAndTimestampExtractorIsUsed) {
  std::vector<int64_t> seen_ts;
  Topology t;
  SourceOptions source_options;
  source_options.timestamp_extractor = [](const RecordMetadata& md, int64_t record_ts,
                                          std::optional<std::string_view> value,
                                          int64_t partition_time) -> int64_t {
    if (value == "throw") throw std::runtime_error("cannot read time");
    if (value == "negative") return -1;
    EXPECT_EQ(md.topic, "in");
    return record_ts * 100 + (partition_time < 0 ? 0 : 1);
  };
  t.AddSource<S, S>("src", {"in"}, state::StringSerde(), state::StringSerde(), source_options)
      .AddProcessor("p",
                    Lambda<S, S>([&seen_ts](ProcessorContext<void, void>&, const Record<S, S>& r) {
                      seen_ts.push_back(r.timestamp_ms);
                    }),
                    {"src"});
  Start(t);
  Add("in", {Rec("in", 0, 1), Rec("in", 1, 2)});
  ProcessAll();
  EXPECT_EQ(seen_ts, (std::vector<int64_t>{100, 201}));
  Add("in", {Rec("in", 2, 3, "k", "throw")});
  Status s = ProcessUntilError();
  EXPECT_EQ(s.message(),
            "task 0_0: deserialization error at topic 'in' partition 0 offset 2: source 'src': the "
            "timestamp extractor threw: std::runtime_error: cannot read time");
  Add("in", {Rec("in", 3, 3, "k", "negative")});
  s = ProcessUntilError();
  EXPECT_EQ(s.message(),
            "task 0_0: deserialization error at topic 'in' partition 0 offset 3: source 'src': "
            "invalid (negative) timestamp -1 from the timestamp extractor");
}

TEST_F(StreamTaskTest, UserExceptionNamesNodeTopicPartitionOffset) {
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor("first", PassThrough<S, S>(), {"src"})
      .AddProcessor("boom", Lambda<S, S>([](ProcessorContext<void, void>&, const Record<S, S>& r) {
                      if (r.value == "bad") throw std::runtime_error("kaput");
                      if (r.value == "brook") throw Error(StatusCode::kNotFound, "no such thing");
                    }),
                    {"first"});
  Start(t);
  Add("in", {Rec("in", 0, 1, "k", "ok"), Rec("in", 1, 2, "k", "bad")});
  Status s = ProcessUntilError();
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(),
            "task 0_0: processor 'boom' failed on record at topic 'in' partition 0 offset 1: "
            "std::runtime_error: kaput");
  Add("in", {Rec("in", 2, 3, "k", "brook")});
  s = ProcessUntilError();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(),
            "task 0_0: processor 'boom' failed on record at topic 'in' partition 0 offset 2: "
            "no such thing");
  EXPECT_EQ(task_->CommittableOffsets(),
            (std::map<group::TopicPartition, int64_t>{{{"in", 0}, 1}}));
}

TEST_F(StreamTaskTest, PunctuatorExceptionNamesTheNodeAndTime) {
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor("p",
                    Lambda<S, S, S, S>([](ProcessorContext<S, S>&, const Record<S, S>&) {},
                                       [](ProcessorContext<S, S>& c) {
                                         c.Schedule(std::chrono::milliseconds(10),
                                                    PunctuationType::kStreamTime, [&c](int64_t at) {
                                                      if (at == 10) {
                                                        throw std::logic_error("tick failed");
                                                      }
                                                      c.Forward({"k", "v", at, {}});
                                                    });
                                       }),
                    {"src"})
      .AddProcessor("child", Lambda<S, S>([](ProcessorContext<void, void>&, const Record<S, S>& r) {
                      if (r.timestamp_ms == 20) throw std::runtime_error("child failed");
                    }),
                    {"p"});
  Start(t);
  Add("in", {Rec("in", 0, 5)});
  ProcessAll();
  Add("in", {Rec("in", 1, 10)});
  Status s = ProcessUntilError();
  EXPECT_EQ(s.message(),
            "task 0_0: processor 'p' failed in its stream-time punctuator at 10: "
            "std::logic_error: tick failed");
  Add("in", {Rec("in", 2, 20)});
  s = ProcessUntilError();
  EXPECT_EQ(s.message(),
            "task 0_0: processor 'child' failed in a stream-time punctuation of processor 'p' at "
            "20: std::runtime_error: child failed");
}

TEST_F(StreamTaskTest, SinkSendsHeadersTimestampAndPartition) {
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor("stamp",
                    Lambda<S, S, S, S>([](ProcessorContext<S, S>& c, const Record<S, S>& r) {
                      Record<S, S> out = r.WithValue(r.value + "!");
                      out.headers.push_back({"added", std::nullopt});
                      c.Forward(out);
                    }),
                    {"src"})
      .AddSink<S, S>("out", "out-topic", {"stamp"}, state::StringSerde(), state::StringSerde(),
                     [](std::string_view topic, const S& key, const S&, int32_t n) {
                       EXPECT_EQ(topic, "out-topic");
                       return key == "default" ? std::nullopt : std::optional<int32_t>(n - 1);
                     });
  StreamTaskOptions options;
  options.partition_count = [](std::string_view) -> Result<int32_t> { return 4; };
  Start(t, std::move(options));
  ConsumedRecord r = Rec("in", 0, 77, "k", "v");
  r.headers = {{"h1", "x"}, {"h2", std::nullopt}};
  std::vector<ConsumedRecord> batch;
  batch.push_back(r);
  batch.push_back(Rec("in", 1, 78, "default", "w"));
  Add("in", std::move(batch));
  ProcessAll();
  ASSERT_EQ(collector_.sent.size(), 2U);
  const Sent& s = collector_.sent[0];
  EXPECT_EQ(s.topic, "out-topic");
  EXPECT_EQ(s.partition, 3);
  EXPECT_EQ(s.key, "k");
  EXPECT_EQ(s.value, "v!");
  EXPECT_EQ(s.timestamp_ms, 77);
  EXPECT_EQ(s.headers, (Headers{{"h1", "x"}, {"h2", std::nullopt}, {"added", std::nullopt}}));
  EXPECT_EQ(collector_.sent[1].partition, kPartitionByKey);
  EXPECT_EQ(collector_.sent[1].headers, (Headers{{"added", std::nullopt}}));
}

TEST_F(StreamTaskTest, SendFailureAndBadPartitionFailTheTaskNamingTheSink) {
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddSink<S, S>("out", "out-topic", {"src"}, state::StringSerde(), state::StringSerde(),
                     [](std::string_view, const S& key, const S&, int32_t) {
                       return key == "far" ? std::optional<int32_t>(9) : std::nullopt;
                     });
  StreamTaskOptions options;
  options.partition_count = [](std::string_view) -> Result<int32_t> { return 2; };
  Start(t, std::move(options));
  collector_.fail_with = Status::Unavailable("producer fenced");
  Add("in", {Rec("in", 0, 1)});
  Status s = ProcessUntilError();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(),
            "task 0_0: sink 'out' failed on record at topic 'in' partition 0 offset 0: topic "
            "'out-topic': producer fenced");
  collector_.fail_with = Status::Ok();
  Add("in", {Rec("in", 1, 1, "far")});
  s = ProcessUntilError();
  EXPECT_EQ(s.message(),
            "task 0_0: sink 'out' failed on record at topic 'in' partition 0 offset 1: "
            "partitioner chose partition 9 of topic 'out-topic', which has 2 partitions");
}

TEST_F(StreamTaskTest, StoreAccessIsCheckedAgainstConnections) {
  state_.kv["counts"] = std::make_unique<state::InMemoryKeyValueStore>("counts");
  state_.kv["other"] = std::make_unique<state::InMemoryKeyValueStore>("other");
  std::string error;
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor("count",
                    Lambda<S, S>([&error](ProcessorContext<void, void>& c, const Record<S, S>& r) {
                      auto counts = c.GetKeyValueStore<S, int64_t>("counts");
                      counts.Put(r.key, counts.Get(r.key).value_or(0) + 1);
                      try {
                        (void)c.GetKeyValueStore("other");
                      } catch (const Error& e) {
                        error = e.what();
                      }
                    }),
                    {"src"})
      .AddStateStore(stores::InMemoryKeyValue("counts"), {"count"})
      .AddStateStore(stores::InMemoryKeyValue("other"));
  Start(t);
  Add("in", {Rec("in", 0, 1, "a"), Rec("in", 1, 2, "a"), Rec("in", 2, 3, "b")});
  ProcessAll();
  state::KeyValueStore<S, int64_t> counts(*state_.kv["counts"]);
  EXPECT_EQ(counts.Get("a"), std::optional<int64_t>(2));
  EXPECT_EQ(counts.Get("b"), std::optional<int64_t>(1));
  EXPECT_EQ(error,
            "processor 'count' is not connected to state store 'other' (connect them with "
            "Topology::AddStateStore or ConnectProcessorAndStateStores)");
}

TEST_F(StreamTaskTest, WrongStoreKindFailsTheRecord) {
  state_.kv["counts"] = std::make_unique<state::InMemoryKeyValueStore>("counts");
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor("p", Lambda<S, S>([](ProcessorContext<void, void>& c, const Record<S, S>&) {
                      (void)c.GetWindowStore<S, S>("counts");
                    }),
                    {"src"})
      .AddStateStore(stores::InMemoryKeyValue("counts"), {"p"});
  Start(t);
  Add("in", {Rec("in", 0, 1)});
  const Status s = ProcessUntilError();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "task 0_0: processor 'p' failed on record at topic 'in' partition 0 offset 0: "
            "processor 'p': state store 'counts' is not a window store");
}

// A key-value store whose writes fail with an I/O error (a full or broken disk).
class FailingStore final : public state::KeyValueBytesStore {
 public:
  explicit FailingStore(const std::string& name) : inner_(name) {}
  const std::string& name() const override { return inner_.name(); }
  Status Put(std::string_view, std::string_view) override {
    return Status::IoError("rocksdb: No space left on device");
  }
  Result<std::optional<std::string>> Get(std::string_view key) const override {
    return inner_.Get(key);
  }
  Status Delete(std::string_view) override { return Status::IoError("rocksdb: No space left"); }
  Status Write(std::span<const state::KeyValueWrite>) override {
    return Status::IoError("rocksdb: No space left on device");
  }
  Result<std::unique_ptr<state::KeyValueIterator>> Range(
      std::optional<std::string_view> from, std::optional<std::string_view> to) const override {
    return inner_.Range(from, to);
  }
  Result<std::unique_ptr<state::KeyValueIterator>> ReverseRange(
      std::optional<std::string_view> from, std::optional<std::string_view> to) const override {
    return inner_.ReverseRange(from, to);
  }
  Result<std::unique_ptr<state::KeyValueIterator>> PrefixScan(
      std::string_view prefix) const override {
    return inner_.PrefixScan(prefix);
  }
  Result<uint64_t> ApproximateNumEntries() const override { return inner_.ApproximateNumEntries(); }
  Result<uint64_t> ApproximateSizeBytes() const override { return inner_.ApproximateSizeBytes(); }
  Status ApplyRestoreBatch(std::span<const state::ChangelogRecord> records) override {
    return inner_.ApplyRestoreBatch(records);
  }
  Status FlushAfterRestore() override { return Status::Ok(); }
  Status Flush() override { return Status::Ok(); }
  Status Close() override { return inner_.Close(); }

 private:
  state::InMemoryKeyValueStore inner_;
};

class FailingState final : public TaskStateAccess {
 public:
  state::KeyValueBytesStore* KeyValueStore(std::string_view) override { return &store; }
  state::WindowBytesStore* WindowStore(std::string_view) override { return nullptr; }
  state::SessionBytesStore* SessionStore(std::string_view) override { return nullptr; }
  FailingStore store{"counts"};
};

TEST(StreamTaskStoreErrorTest, AStoreIoErrorFailsTheTaskNamingNodeAndRecord) {
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor("count",
                    Lambda<S, S>([](ProcessorContext<void, void>& c, const Record<S, S>& r) {
                      auto counts = c.GetKeyValueStore<S, int64_t>("counts");
                      counts.Put(r.key, counts.Get(r.key).value_or(0) + 1);
                    }),
                    {"src"})
      .AddStateStore(stores::PersistentKeyValue("counts"), {"count"});
  auto p = ProcessorTopology::Build(t, "app");
  ASSERT_TRUE(p.ok());
  FakeCollector collector;
  FailingState state;
  auto task = StreamTask::Create({0, 0}, std::make_shared<const ProcessorTopology>(std::move(*p)),
                                 collector, state, {.application_id = "app"})
                  .value();
  ASSERT_TRUE(task->StartRestoring().ok());
  ASSERT_TRUE(task->CompleteRestoration().ok());
  ASSERT_TRUE(task->AddRecords({"in", 0}, {Rec("in", 7, 1, "a")}).ok());
  const Result<bool> r = task->Process();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kIoError);
  EXPECT_NE(r.status().message().find("processor 'count'"), std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("offset 7"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("No space left"), std::string::npos) << r.status().ToString();
  // Nothing of the failed record is committable.
  EXPECT_TRUE(task->CommittableOffsets().empty());
}

TEST_F(StreamTaskTest, ForwardToNamedChild) {
  std::vector<std::string> got;
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor("route",
                    Lambda<S, S, S, S>([](ProcessorContext<S, S>& c, const Record<S, S>& r) {
                      c.Forward(r, r.key);
                    }),
                    {"src"})
      .AddProcessor("left",
                    Lambda<S, S>([&got](ProcessorContext<void, void>&, const Record<S, S>& r) {
                      got.push_back("left:" + r.value);
                    }),
                    {"route"})
      .AddProcessor("right",
                    Lambda<S, S>([&got](ProcessorContext<void, void>&, const Record<S, S>& r) {
                      got.push_back("right:" + r.value);
                    }),
                    {"route"});
  Start(t);
  Add("in", {Rec("in", 0, 1, "right", "1"), Rec("in", 1, 2, "left", "2"),
             Rec("in", 2, 3, "middle", "3")});
  const Status s = ProcessUntilError();
  EXPECT_EQ(got, (std::vector<std::string>{"right:1", "left:2"}));
  EXPECT_EQ(s.message(),
            "task 0_0: processor 'route' failed on record at topic 'in' partition 0 offset 2: "
            "processor 'route' cannot forward to 'middle': not one of its children [left, right]");
}

TEST_F(StreamTaskTest, StateTransitionsAreChecked) {
  std::vector<Seen> seen;
  auto p = ProcessorTopology::Build(MergeTopology(&seen), "app");
  ASSERT_TRUE(p.ok());
  auto topology = std::make_shared<const ProcessorTopology>(std::move(*p));
  auto bad = StreamTask::Create({5, 0}, topology, collector_, state_);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "task 5_0: the topology has no sub-topology 5");

  auto created = StreamTask::Create({0, 3}, topology, collector_, state_);
  ASSERT_TRUE(created.ok());
  StreamTask& task = **created;
  EXPECT_EQ(task.state(), TaskState::kCreated);
  Result<bool> r = task.Process();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "task 0_3 is Created, not Running: cannot process");
  EXPECT_EQ(task.CompleteRestoration().message(),
            "task 0_3: illegal state transition Created -> Running");
  EXPECT_EQ(task.Close().message(), "task 0_3: illegal state transition Created -> Closed");

  // Records may be buffered while restoring, not for foreign partitions.
  ASSERT_TRUE(task.StartRestoring().ok());
  EXPECT_EQ(task.StartRestoring().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(task.AddRecords({"a", 0}, {}).message(),
            "task 0_3: a-0 is not one of its partitions [a-3, b-3]");
  std::vector<ConsumedRecord> wrong;
  wrong.push_back(Rec("b", 0, 1));
  EXPECT_EQ(task.AddRecords({"a", 3}, std::move(wrong)).message(),
            "task 0_3: a record of b-0 offset 0 was added as one of a-3");
  std::vector<ConsumedRecord> ok;
  ok.push_back(Rec("a", 0, 1));
  ok.back().partition = 3;
  ASSERT_TRUE(task.AddRecords({"a", 3}, std::move(ok)).ok());
  EXPECT_FALSE(task.MaybePunctuateWallClock(1'000'000).value());

  ASSERT_TRUE(task.CompleteRestoration().ok());
  EXPECT_EQ(task.state(), TaskState::kRunning);
  EXPECT_EQ(task.StartRestoring().message(),
            "task 0_3: illegal state transition Running -> Restoring");
  EXPECT_EQ(task.Close().message(), "task 0_3: illegal state transition Running -> Closed");
  r = task.Process();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_EQ(seen.size(), 1U);

  // Suspend drops buffered records; resume goes through Restoring again.
  std::vector<ConsumedRecord> more;
  more.push_back(Rec("b", 9, 5));
  more.back().partition = 3;
  ASSERT_TRUE(task.AddRecords({"b", 3}, std::move(more)).ok());
  ASSERT_TRUE(task.Suspend().ok());
  EXPECT_EQ(task.buffered_records(), 0U);
  EXPECT_EQ(task.AddRecords({"b", 3}, {}).message(),
            "task 0_3 is Suspended: cannot buffer records of b-3");
  EXPECT_EQ(task.Suspend().message(), "task 0_3: illegal state transition Suspended -> Suspended");
  ASSERT_TRUE(task.StartRestoring().ok());
  ASSERT_TRUE(task.CompleteRestoration().ok());
  ASSERT_TRUE(task.Suspend().ok());
  ASSERT_TRUE(task.Close().ok());
  EXPECT_EQ(task.state(), TaskState::kClosed);
  EXPECT_EQ(task.StartRestoring().message(),
            "task 0_3: illegal state transition Closed -> Restoring");
  EXPECT_EQ(task.CommittableOffsets(), (std::map<group::TopicPartition, int64_t>{{{"a", 3}, 1}}));
}

TEST_F(StreamTaskTest, InitAndCloseErrorsAndProcessorsAreRecreatedOnResume) {
  int inits = 0;
  int closes = 0;
  bool fail_init = true;
  Topology t;
  t.AddSource<S, S>("src", {"in"})
      .AddProcessor("p",
                    [&] {
                      class P final : public Processor<S, S> {
                       public:
                        P(int* inits, int* closes, bool* fail)
                            : inits_(inits), closes_(closes), fail_(fail) {}
                        void Init(Context&) override {
                          ++*inits_;
                          if (*fail_) throw std::runtime_error("no init");
                        }
                        void Process(const Record<S, S>&) override {}
                        void Close() override {
                          ++*closes_;
                          throw std::runtime_error("no close");
                        }

                       private:
                        int* inits_;
                        int* closes_;
                        bool* fail_;
                      };
                      return std::make_unique<P>(&inits, &closes, &fail_init);
                    },
                    {"src"});
  auto p = ProcessorTopology::Build(t, "app");
  ASSERT_TRUE(p.ok());
  auto task = StreamTask::Create({0, 0}, std::make_shared<const ProcessorTopology>(std::move(*p)),
                                 collector_, state_);
  ASSERT_TRUE(task.ok());
  ASSERT_TRUE((*task)->StartRestoring().ok());
  Status s = (*task)->CompleteRestoration();
  EXPECT_EQ(s.message(), "task 0_0: processor 'p' failed in Init: std::runtime_error: no init");
  EXPECT_EQ((*task)->state(), TaskState::kRestoring);
  fail_init = false;
  ASSERT_TRUE((*task)->CompleteRestoration().ok());
  s = (*task)->Suspend();
  EXPECT_EQ(s.message(), "task 0_0: processor 'p' failed in Close: std::runtime_error: no close");
  EXPECT_EQ((*task)->state(), TaskState::kSuspended);
  ASSERT_TRUE((*task)->StartRestoring().ok());
  ASSERT_TRUE((*task)->CompleteRestoration().ok());
  EXPECT_EQ(inits, 3);
  EXPECT_EQ(closes, 1);
  task->reset();  // the destructor closes a running task's processors
  EXPECT_EQ(closes, 2);
}

}  // namespace
}  // namespace brook::runtime
