// Test-driver tests of the DSL's joins: stream-table, table-table and windowed stream-stream
// joins, with tombstones, window edges, grace, late records, left/outer results only after
// their window closed, null keys and values, re-partitioning and names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "brook/dsl.h"

namespace brook {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using OptString = std::optional<std::string>;

// What a table operator forwarded, seen by a Processor API node attached to it.
struct Seen {
  std::string key;
  OptString new_value;
  OptString old_value;
  int64_t timestamp_ms = 0;
  bool operator==(const Seen&) const = default;
};
void PrintTo(const Seen& s, std::ostream* os) {
  *os << "{" << s.key << ": " << s.new_value.value_or("<null>") << " <- "
      << s.old_value.value_or("<null>") << " @" << s.timestamp_ms << "}";
}

class CaptureChanges final : public Processor<std::string, Change<std::string>> {
 public:
  explicit CaptureChanges(std::shared_ptr<std::vector<Seen>> out) : out_(std::move(out)) {}
  void Process(const Record<std::string, Change<std::string>>& r) override {
    out_->push_back({r.key, r.value.new_value, r.value.old_value, r.timestamp_ms});
  }

 private:
  std::shared_ptr<std::vector<Seen>> out_;
};

// Attaches a capture node to `node` of a built topology.
std::shared_ptr<std::vector<Seen>> Capture(Topology& t, const std::string& name,
                                           const std::string& node) {
  auto seen = std::make_shared<std::vector<Seen>>();
  t.AddProcessor(name, [seen] { return std::make_unique<CaptureChanges>(seen); }, {node});
  return seen;
}

struct Out {
  std::string key;
  std::string value;
  int64_t timestamp_ms = 0;
  bool operator==(const Out&) const = default;
};
void PrintTo(const Out& o, std::ostream* os) {
  *os << "{" << o.key << ": " << o.value << " @" << o.timestamp_ms << "}";
}

template <typename Topic>
std::vector<Out> ReadAll(Topic& topic) {
  std::vector<Out> out;
  for (const auto& r : topic.ReadRecordsToList()) out.push_back({r.key, r.value, r.timestamp_ms});
  return out;
}

std::string Str(const OptString& s) {
  return s.value_or("-");
}

// ---------------------------------------------------------------------------------------
// Stream-table

TEST(DslJoinStreamTableTest, InnerAndLeftWithOrderAndTombstones) {
  StreamsBuilder b;
  KTable<std::string, std::string> users = b.Table<std::string, std::string>("users");
  KStream<std::string, std::string> clicks = b.Stream<std::string, std::string>("clicks");
  clicks.Join(users, [](const std::string& c, const std::string& u) { return c + "@" + u; })
      .To("inner");
  clicks.LeftJoin(users, [](const std::string& c, const OptString& u) { return c + "@" + Str(u); })
      .To("left");
  const Topology topology = b.Build();
  EXPECT_THAT(topology.Describe(), HasSubstr("Processor: KSTREAM-JOIN-0000000004 (stores: "
                                             "[users-STATE-STORE-0000000001])"));
  EXPECT_THAT(topology.Describe(), HasSubstr("Processor: KSTREAM-LEFTJOIN-0000000006 (stores: "
                                             "[users-STATE-STORE-0000000001])"));

  TopologyTestDriver d(topology);
  auto click = d.CreateInputTopic<std::string, std::string>("clicks");
  auto user = d.CreateInputTopic<std::string, OptString>("users");
  auto inner = d.CreateOutputTopic<std::string, std::string>("inner");
  auto left = d.CreateOutputTopic<std::string, std::string>("left");

  click.PipeInput("a", "c1", 10);    // before the table row: no inner result
  user.PipeInput("a", "alice", 20);  // table updates emit nothing
  EXPECT_THAT(ReadAll(inner), IsEmpty());
  EXPECT_THAT(ReadAll(left), ElementsAre(Out{"a", "c1@-", 10}));
  click.PipeInput("a", "c2", 30);
  click.PipeInput("b", "c3", 31);
  user.PipeInput("a", "alicia", 40);
  click.PipeInput("a", "c4", 50);
  user.PipeInput("a", std::nullopt, 60);  // tombstone: the row is gone
  click.PipeInput("a", "c5", 70);
  EXPECT_THAT(ReadAll(inner), ElementsAre(Out{"a", "c2@alice", 30}, Out{"a", "c4@alicia", 50}));
  EXPECT_THAT(ReadAll(left), ElementsAre(Out{"a", "c2@alice", 30}, Out{"b", "c3@-", 31},
                                         Out{"a", "c4@alicia", 50}, Out{"a", "c5@-", 70}));
  EXPECT_EQ(d.DroppedRecords(), 0U);  // inner misses are not counted, as in Kafka Streams
}

TEST(DslJoinStreamTableTest, JoinerWithKeyAndHeaders) {
  StreamsBuilder b;
  auto table = b.Table<std::string, int64_t>("prices");
  b.Stream<std::string, int64_t>("orders")
      .Join(table, [](const std::string& k, int64_t qty,
                      int64_t price) { return k + "=" + std::to_string(qty * price); })
      .To("totals");
  TopologyTestDriver d(b.Build());
  d.CreateInputTopic<std::string, int64_t>("prices").PipeInput("x", 7, 1);
  d.CreateInputTopic<std::string, int64_t>("orders").PipeInput(
      Record<std::string, int64_t>{"x", 3, 5, {{"h", "1"}}});
  Record<std::string, std::string> r =
      d.CreateOutputTopic<std::string, std::string>("totals").ReadRecord();
  EXPECT_EQ(r.key, "x");
  EXPECT_EQ(r.value, "x=21");
  EXPECT_EQ(r.timestamp_ms, 5);
  EXPECT_EQ(r.headers, (Headers{{"h", "1"}}));
}

TEST(DslJoinStreamTableTest, ThroughFilteredAndMappedTables) {
  StreamsBuilder b;
  auto users = b.Table<std::string, std::string>("users");
  auto visible = users.Filter([](const std::string& v) { return v != "banned"; })
                     .MapValues([](const std::string& v) { return "<" + v + ">"; });
  auto clicks = b.Stream<std::string, std::string>("clicks");
  clicks.Join(visible, [](const std::string& c, const std::string& u) { return c + u; })
      .To("inner");
  clicks.LeftJoin(visible, [](const std::string& c, const OptString& u) { return c + Str(u); })
      .To("left");
  TopologyTestDriver d(b.Build());
  auto click = d.CreateInputTopic<std::string, std::string>("clicks");
  auto user = d.CreateInputTopic<std::string, OptString>("users");
  auto inner = d.CreateOutputTopic<std::string, std::string>("inner");
  auto left = d.CreateOutputTopic<std::string, std::string>("left");
  user.PipeInput("a", "ann", 1);
  user.PipeInput("b", "banned", 2);
  click.PipeInput("a", "x", 3);
  click.PipeInput("b", "y", 4);
  user.PipeInput("b", "bob", 5);
  click.PipeInput("b", "z", 6);
  EXPECT_THAT(ReadAll(inner), ElementsAre(Out{"a", "x<ann>", 3}, Out{"b", "z<bob>", 6}));
  EXPECT_THAT(ReadAll(left),
              ElementsAre(Out{"a", "x<ann>", 3}, Out{"b", "y-", 4}, Out{"b", "z<bob>", 6}));
}

TEST(DslJoinStreamTableTest, RepartitionsAKeyChangedStream) {
  StreamsBuilder b;
  auto users = b.Table<std::string, std::string>("users");
  auto clicks = b.Stream<std::string, std::string>("clicks");
  // The click's value names the user: re-key, then join (re-partitions first).
  auto by_user = clicks.SelectKey([](const std::string&, const std::string& v) { return v; });
  ASSERT_TRUE(by_user.key_changed());
  by_user.Join(users, [](const std::string& v, const std::string& u) { return v + ":" + u; })
      .To("generated");
  by_user
      .LeftJoin(
          users, [](const std::string& v, const OptString& u) { return v + ":" + Str(u); },
          JoinedFor<std::string, std::string>{.name = "enrich"})
      .To("named");
  // Joining the re-keyed stream again re-uses its repartition topic.
  by_user.Join(users, [](const std::string& v, const std::string& u) { return u + "/" + v; })
      .To("again");
  const Topology topology = b.Build();
  const std::string text = topology.Describe();
  const std::string sink = "(topic: KSTREAM-KEY-SELECT-0000000004-repartition)";
  EXPECT_EQ(text.find(sink), text.rfind(sink)) << text;
  EXPECT_THAT(text, HasSubstr("(topic: KSTREAM-KEY-SELECT-0000000004-repartition)"));
  EXPECT_THAT(text, HasSubstr("(topics: [KSTREAM-KEY-SELECT-0000000004-repartition])"));
  EXPECT_THAT(text, HasSubstr("(topic: enrich-repartition)"));
  EXPECT_THAT(text, HasSubstr("Processor: enrich (stores: [users-STATE-STORE-0000000001])"));

  TopologyTestDriver d(topology, {{"application.id", "app"}});
  d.CreateInputTopic<std::string, OptString>("users").PipeInput("u1", "Ursula", 1);
  d.CreateInputTopic<std::string, std::string>("clicks").PipeInput("click-1", "u1", 2);
  d.CreateInputTopic<std::string, std::string>("clicks").PipeInput("click-2", "u2", 3);
  auto generated = d.CreateOutputTopic<std::string, std::string>("generated");
  auto named = d.CreateOutputTopic<std::string, std::string>("named");
  EXPECT_THAT(ReadAll(generated), ElementsAre(Out{"u1", "u1:Ursula", 2}));
  EXPECT_THAT(ReadAll(named), ElementsAre(Out{"u1", "u1:Ursula", 2}, Out{"u2", "u2:-", 3}));
  auto again = d.CreateOutputTopic<std::string, std::string>("again");
  EXPECT_THAT(ReadAll(again), ElementsAre(Out{"u1", "Ursula/u1", 2}));
  EXPECT_EQ(d.UnreadCount("app-KSTREAM-KEY-SELECT-0000000004-repartition"), 2U);
  EXPECT_EQ(d.UnreadCount("app-enrich-repartition"), 2U);
}

TEST(DslJoinStreamTableTest, NullValuesAreDroppedAndCounted) {
  StreamsBuilder b;
  auto table = b.Table<std::string, std::string>("t");
  b.Stream<std::string, OptString>("s")
      .LeftJoin(table, [](const OptString& v, const OptString& t) { return Str(v) + Str(t); })
      .To("out");
  TopologyTestDriver d(b.Build());
  auto s = d.CreateInputTopic<std::string, OptString>("s");
  s.PipeInput("k", std::nullopt, 1);
  s.PipeInput("k", "v", 2);
  auto out = d.CreateOutputTopic<std::string, std::string>("out");
  EXPECT_THAT(ReadAll(out), ElementsAre(Out{"k", "v-", 2}));
  EXPECT_EQ(d.DroppedRecordsByReason(), (std::map<std::string, uint64_t>{{"null-value", 1}}));
}

// ---------------------------------------------------------------------------------------
// Table-table

std::string Both(const std::string& l, const std::string& r) {
  return l + "+" + r;
}

class DslJoinTableTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StreamsBuilder b;
    auto left = b.Table<std::string, std::string>("left");
    auto right = b.Table<std::string, std::string>("right");
    inner_ = left.Join(right, Both, Named{},
                       MaterializedFor<std::string, std::string>{.store_name = "inner-store"});
    left_ = left.LeftJoin(
        right, [](const std::string& l, const OptString& r) { return l + "+" + Str(r); });
    outer_ = left.OuterJoin(
        right, [](const OptString& l, const OptString& r) { return Str(l) + "+" + Str(r); },
        Named{.name = "outer"},
        MaterializedFor<std::string, std::string>{.store_name = "outer-store"});
    inner_.ToStream().To("inner-out");
    topology_ = b.Build();
    inner_seen_ = Capture(topology_, "capture-inner", inner_.node_name());
    left_seen_ = Capture(topology_, "capture-left", left_.node_name());
    outer_seen_ = Capture(topology_, "capture-outer", outer_.node_name());
  }

  KTable<std::string, std::string> inner_{nullptr, "", nullptr, ""};
  KTable<std::string, std::string> left_{nullptr, "", nullptr, ""};
  KTable<std::string, std::string> outer_{nullptr, "", nullptr, ""};
  Topology topology_;
  std::shared_ptr<std::vector<Seen>> inner_seen_, left_seen_, outer_seen_;
};

TEST_F(DslJoinTableTableTest, UpdatesAndDeletesOnBothSides) {
  TopologyTestDriver d(topology_);
  auto l = d.CreateInputTopic<std::string, OptString>("left");
  auto r = d.CreateInputTopic<std::string, OptString>("right");
  auto inner_store = d.GetKeyValueStore<std::string, std::string>("inner-store");
  auto outer_store = d.GetKeyValueStore<std::string, std::string>("outer-store");

  l.PipeInput("a", "L1", 1);
  EXPECT_EQ(inner_store.Get("a"), std::nullopt);
  EXPECT_EQ(outer_store.Get("a"), "L1+-");
  r.PipeInput("a", "R1", 2);
  EXPECT_EQ(inner_store.Get("a"), "L1+R1");
  l.PipeInput("a", "L2", 3);
  r.PipeInput("a", "R2", 4);
  EXPECT_EQ(inner_store.Get("a"), "L2+R2");
  r.PipeInput("a", std::nullopt, 5);  // right delete
  EXPECT_EQ(inner_store.Get("a"), std::nullopt);
  EXPECT_EQ(outer_store.Get("a"), "L2+-");
  l.PipeInput("a", std::nullopt, 6);  // left delete: both gone
  EXPECT_EQ(outer_store.Get("a"), std::nullopt);
  r.PipeInput("a", "R3", 7);
  EXPECT_EQ(outer_store.Get("a"), "-+R3");
  l.PipeInput("a", "L3", 8);
  l.PipeInput("a", std::nullopt, 9);
  r.PipeInput("a", std::nullopt, 10);
  l.PipeInput("b", std::nullopt, 11);  // deleting an absent row changes nothing anywhere

  EXPECT_THAT(
      *inner_seen_,
      ElementsAre(Seen{"a", "L1+R1", std::nullopt, 2}, Seen{"a", "L2+R1", "L1+R1", 3},
                  Seen{"a", "L2+R2", "L2+R1", 4}, Seen{"a", std::nullopt, "L2+R2", 5},
                  Seen{"a", "L3+R3", std::nullopt, 8}, Seen{"a", std::nullopt, "L3+R3", 9}));
  EXPECT_THAT(
      *left_seen_,
      ElementsAre(Seen{"a", "L1+-", std::nullopt, 1}, Seen{"a", "L1+R1", "L1+-", 2},
                  Seen{"a", "L2+R1", "L1+R1", 3}, Seen{"a", "L2+R2", "L2+R1", 4},
                  Seen{"a", "L2+-", "L2+R2", 5}, Seen{"a", std::nullopt, "L2+-", 6},
                  Seen{"a", "L3+R3", std::nullopt, 8}, Seen{"a", std::nullopt, "L3+R3", 9}));
  EXPECT_THAT(*outer_seen_,
              ElementsAre(Seen{"a", "L1+-", std::nullopt, 1}, Seen{"a", "L1+R1", "L1+-", 2},
                          Seen{"a", "L2+R1", "L1+R1", 3}, Seen{"a", "L2+R2", "L2+R1", 4},
                          Seen{"a", "L2+-", "L2+R2", 5}, Seen{"a", std::nullopt, "L2+-", 6},
                          Seen{"a", "-+R3", std::nullopt, 7}, Seen{"a", "L3+R3", "-+R3", 8},
                          Seen{"a", "-+R3", "L3+R3", 9}, Seen{"a", std::nullopt, "-+R3", 10}));
  // ToStream: the new values, deletes as std::nullopt (null records on the topic).
  auto out = d.CreateOutputTopic<std::string, OptString>("inner-out");
  EXPECT_THAT(out.ReadValuesToList(),
              ElementsAre("L1+R1", "L2+R1", "L2+R2", std::nullopt, "L3+R3", std::nullopt));
  EXPECT_EQ(outer_store.Get("a"), std::nullopt);
}

TEST_F(DslJoinTableTableTest, NamesAndStores) {
  const std::string text = topology_.Describe();
  // Kafka Streams' names: the merge node first, then this/other.
  EXPECT_THAT(text, HasSubstr("Processor: KTABLE-JOINTHIS-0000000007 (stores: "
                              "[right-STATE-STORE-0000000004])"));
  EXPECT_THAT(text, HasSubstr("Processor: KTABLE-JOINOTHER-0000000008 (stores: "
                              "[left-STATE-STORE-0000000001])"));
  EXPECT_THAT(text, HasSubstr("Processor: KTABLE-MERGE-0000000006 (stores: [inner-store])"));
  EXPECT_THAT(text, HasSubstr("Processor: outer-join-this"));
  EXPECT_THAT(text, HasSubstr("Processor: outer (stores: [outer-store])"));
  EXPECT_EQ(inner_.QueryableStoreName(), "inner-store");
  EXPECT_EQ(left_.QueryableStoreName(), "");
}

TEST(DslJoinValueGetterTest, JoinedTablesAreReadableThroughGetters) {
  StreamsBuilder b;
  auto left = b.Table<std::string, std::string>("left");
  auto right = b.Table<std::string, std::string>("right");
  // Not materialized: the stream-table join below reads it through the join's getter, which
  // joins both parents' getters (through a filter and a mapper).
  auto joined =
      left.Filter([](const std::string& v) { return v != "hidden"; })
          .LeftJoin(right.MapValues([](const std::string& v) { return v + v; }),
                    [](const std::string& l, const OptString& r) { return l + "+" + Str(r); })
          .Filter([](const std::string& v) { return v != "skip+-"; });
  b.Stream<std::string, std::string>("s")
      .LeftJoin(joined, [](const std::string& s, const OptString& t) { return s + "=" + Str(t); })
      .To("out");
  TopologyTestDriver d(b.Build());
  auto l = d.CreateInputTopic<std::string, OptString>("left");
  auto r = d.CreateInputTopic<std::string, OptString>("right");
  auto s = d.CreateInputTopic<std::string, std::string>("s");
  l.PipeInput("a", "A", 1);
  s.PipeInput("a", "1", 2);
  r.PipeInput("a", "x", 3);
  s.PipeInput("a", "2", 4);
  l.PipeInput("a", "hidden", 5);
  s.PipeInput("a", "3", 6);
  l.PipeInput("b", "skip", 7);
  s.PipeInput("b", "4", 8);
  r.PipeInput("b", "y", 9);
  s.PipeInput("b", "5", 10);
  auto out = d.CreateOutputTopic<std::string, std::string>("out");
  EXPECT_THAT(out.ReadValuesToList(), ElementsAre("1=A+-", "2=A+xx", "3=-", "4=-", "5=skip+yy"));
}

// ---------------------------------------------------------------------------------------
// Stream-stream

class DslJoinStreamStreamTest : public ::testing::Test {
 protected:
  // left/right streams of <string, string>; `join` adds the join and writes "out".
  template <typename Join>
  void Build(Join join, const std::map<std::string, std::string>& config = {}) {
    StreamsBuilder b;
    auto l = b.Stream<std::string, std::string>("l");
    auto r = b.Stream<std::string, std::string>("r");
    join(l, r).To("out");
    topology_ = b.Build();
    driver_ = std::make_unique<TopologyTestDriver>(topology_, config);
    left_.emplace(driver_->CreateInputTopic<std::string, std::string>("l"));
    right_.emplace(driver_->CreateInputTopic<std::string, std::string>("r"));
    out_.emplace(driver_->CreateOutputTopic<std::string, std::string>("out"));
  }
  void L(const std::string& k, const std::string& v, int64_t ts) { left_->PipeInput(k, v, ts); }
  void R(const std::string& k, const std::string& v, int64_t ts) { right_->PipeInput(k, v, ts); }
  std::vector<Out> Read() { return ReadAll(*out_); }

  Topology topology_;
  std::unique_ptr<TopologyTestDriver> driver_;
  std::optional<TestInputTopic<std::string, std::string>> left_, right_;
  std::optional<TestOutputTopic<std::string, std::string>> out_;
};

auto Pair = [](const std::string& l, const std::string& r) { return l + "+" + r; };
auto LeftPair = [](const std::string& l, const OptString& r) { return l + "+" + Str(r); };
auto OuterPair = [](const OptString& l, const OptString& r) { return Str(l) + "+" + Str(r); };

TEST_F(DslJoinStreamStreamTest, InnerJoinWindowBoundsAreInclusive) {
  Build([](auto l, auto r) {
    return l.Join(r, Pair, JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(100)));
  });
  R("k", "r899", 899);
  R("k", "r900", 900);
  L("k", "l1000", 1000);  // joins right records in [900, 1100]
  R("k", "r1100", 1100);  // joins left records in [1000, 1200]
  R("k", "r1101", 1101);
  R("other", "r1050", 1050);
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "l1000+r900", 1000}, Out{"k", "l1000+r1100", 1100}));
  // A second left record joins everything in its window, duplicates of a timestamp included.
  R("k", "r1150b", 1150);
  R("k", "r1150c", 1150);
  L("k", "l1050", 1050);
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "l1050+r1100", 1100}, Out{"k", "l1050+r1101", 1101},
                                  Out{"k", "l1050+r1150b", 1150}, Out{"k", "l1050+r1150c", 1150}));
  EXPECT_EQ(driver_->DroppedRecords(), 0U);
}

TEST_F(DslJoinStreamStreamTest, AsymmetricWindowsAfterAndBefore) {
  // before = 0, after = 100: right records at or up to 100 ms after the left one.
  Build([](auto l, auto r) {
    return l.Join(
        r, Pair,
        JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(0)).After(milliseconds(100)));
  });
  R("k", "r999", 999);
  L("k", "l1000", 1000);
  R("k", "r1000", 1000);
  R("k", "r1100", 1100);
  R("k", "r1101", 1101);
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "l1000+r1000", 1000}, Out{"k", "l1000+r1100", 1100}));

  // before = 100, after = 0: right records up to 100 ms before the left one.
  Build([](auto l, auto r) {
    return l.Join(
        r, Pair,
        JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(0)).Before(milliseconds(100)));
  });
  R("k", "r899", 899);
  R("k", "r900", 900);
  R("k", "r1000", 1000);
  L("k", "l1000", 1000);
  R("k", "r1001", 1001);
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "l1000+r900", 1000}, Out{"k", "l1000+r1000", 1000}));
}

TEST_F(DslJoinStreamStreamTest, JoinerWithKeyAndTimestampIsTheLarger) {
  Build([](auto l, auto r) {
    return l.Join(
        r,
        [](const std::string& k, const std::string& lv, const std::string& rv) {
          return k + ":" + lv + rv;
        },
        JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(10)));
  });
  L("k", "a", 100);
  R("k", "b", 95);
  R("k", "c", 105);
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "k:ab", 100}, Out{"k", "k:ac", 105}));
}

TEST_F(DslJoinStreamStreamTest, GraceAcceptsOutOfOrderRecordsAndDropsLateOnes) {
  // before = after = 100, grace 50: a record is late when stream time > ts + 100 + 50.
  Build([](auto l, auto r) {
    return l.Join(r, Pair,
                  JoinWindows::OfTimeDifferenceAndGrace(milliseconds(100), milliseconds(50)));
  });
  L("z", "l2000", 2000);  // stream time 2000
  L("k", "l1850", 1850);  // 2000 <= 1850 + 150: on time
  L("k", "l1849", 1849);  // 2000 > 1849 + 150: late, dropped
  R("k", "r1850", 1850);  // on time; joins left records in [1750, 1950]
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "l1850+r1850", 1850}));
  EXPECT_EQ(driver_->DroppedRecordsByReason(), (std::map<std::string, uint64_t>{{"late", 1}}));

  // No grace: late as soon as stream time passes the window's end.
  Build([](auto l, auto r) {
    return l.Join(r, Pair, JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(100)));
  });
  L("z", "l2000", 2000);
  R("k", "r1900", 1900);  // 2000 <= 1900 + 100: on time
  R("k", "r1899", 1899);  // late
  L("k", "l1950", 1950);  // joins r1900 only
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "l1950+r1900", 1950}));
  EXPECT_EQ(driver_->DroppedRecords(), 1U);
}

TEST_F(DslJoinStreamStreamTest, RecordsStayAsLongAsAMatchCanArriveOnTime) {
  // Retention is before + after + grace + 1 ms: the window store drops a record once stream
  // time reaches its timestamp + retention, one step after the last on-time match.
  Build([](auto l, auto r) {
    return l.Join(r, Pair, JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(100)));
  });
  L("k", "a", 1000);
  L("z", "b", 1200);  // stream time 1200
  R("k", "x", 1100);  // on time (1200 <= 1100 + 100) and a is still there
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "a+x", 1100}));
}

TEST_F(DslJoinStreamStreamTest, LeftJoinEmitsUnmatchedRecordsOnlyAfterTheirWindowClosed) {
  Build([](auto l, auto r) {
    return l.LeftJoin(r, LeftPair, JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(100)));
  });
  L("k", "a", 1000);  // no match yet: held back
  R("j", "x", 1050);  // right records never appear alone in a left join
  L("k", "b", 1100);  // stream time 1100 == 1000 + 100: a's window is not closed yet
  EXPECT_THAT(Read(), IsEmpty());
  R("k", "y", 1150);  // stream time 1150 > 1100: a is emitted; y matches b (never emitted alone)
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "a+-", 1000}, Out{"k", "b+y", 1150}));
  R("q", "z", 5000);  // closes everything: b matched, so nothing
  EXPECT_THAT(Read(), IsEmpty());
  L("k", "c", 5000);  // joins nothing yet
  R("k", "w", 5001);
  R("q", "z", 9000);
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "c+w", 5001}));
}

TEST_F(DslJoinStreamStreamTest, LeftJoinWithGraceWaitsForTheGracePeriod) {
  Build([](auto l, auto r) {
    return l.LeftJoin(r, LeftPair,
                      JoinWindows::OfTimeDifferenceAndGrace(milliseconds(10), milliseconds(20)));
  });
  L("k", "a", 100);
  R("j", "x", 130);  // 130 == 100 + 10 + 20: still open
  EXPECT_THAT(Read(), IsEmpty());
  R("k", "y", 109);  // out of order but on time (130 <= 109 + 10 + 20): matches a
  R("j", "x", 131);
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "a+y", 109}));
  L("k", "b", 120);  // on time; no match (y at 109 is outside [110, 130])
  R("j", "x", 150);  // 150 == 120 + 30: open
  EXPECT_THAT(Read(), IsEmpty());
  R("j", "x", 151);
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "b+-", 120}));
}

TEST_F(DslJoinStreamStreamTest, OuterJoinClosesEachSideWithItsOwnWindow) {
  // before = 100, after = 50: a left record closes at ts + 50, a right one at ts + 100.
  Build([](auto l, auto r) {
    return l.OuterJoin(
        r, OuterPair,
        JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(50)).Before(milliseconds(100)));
  });
  L("k", "a", 1000);
  R("j", "x", 1000);
  L("z", "b", 1051);  // a closed (1051 > 1050); x still open (1051 <= 1100)
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "a+-", 1000}));
  R("z", "y", 1101);  // x closed; y joins b (left records in [1051, 1201])
  EXPECT_THAT(Read(), ElementsAre(Out{"j", "-+x", 1000}, Out{"z", "b+y", 1101}));
  L("z", "c", 1200);  // joins y (right records in [1100, 1250])
  EXPECT_THAT(Read(), ElementsAre(Out{"z", "c+y", 1200}));
  R("q", "end", 10000);  // nothing left without a match but end itself
  EXPECT_THAT(Read(), IsEmpty());
  L("q", "end", 20000);
  EXPECT_THAT(Read(), ElementsAre(Out{"q", "-+end", 10000}));
}

TEST_F(DslJoinStreamStreamTest, OuterJoinEmitsInTimestampOrderRightSideFirstOnTies) {
  Build([](auto l, auto r) {
    return l.OuterJoin(r, OuterPair, JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(10)));
  });
  L("b", "l2", 20);
  R("a", "r1", 20);
  L("c", "l1", 15);
  R("d", "r0", 12);
  L("e", "l3", 25);
  R("x", "end", 100);
  EXPECT_THAT(Read(), ElementsAre(Out{"d", "-+r0", 12}, Out{"c", "l1+-", 15}, Out{"a", "-+r1", 20},
                                  Out{"b", "l2+-", 20}, Out{"e", "l3+-", 25}));
}

TEST_F(DslJoinStreamStreamTest, NamesStoresAndChangelogs) {
  Build(
      [](auto l, auto r) {
        return l.Join(r, Pair,
                      JoinWindows::OfTimeDifferenceAndGrace(milliseconds(100), milliseconds(10)));
      },
      {{"application.id", "app"}});
  const std::string text = topology_.Describe();
  // The indices of Kafka Streams' two windowed nodes (2, 3) are kept.
  EXPECT_THAT(text, HasSubstr("Processor: KSTREAM-JOINTHIS-0000000004 (stores: "
                              "[KSTREAM-JOINTHIS-0000000004-store, "
                              "KSTREAM-JOINOTHER-0000000005-store])"));
  EXPECT_THAT(text, HasSubstr("Processor: KSTREAM-JOINOTHER-0000000005"));
  EXPECT_THAT(text, HasSubstr("Processor: KSTREAM-MERGE-0000000006"));
  L("k", "a", 10);
  R("k", "b", 20);
  EXPECT_THAT(Read(), ElementsAre(Out{"k", "a+b", 20}));
  EXPECT_EQ(driver_->UnreadCount("app-KSTREAM-JOINTHIS-0000000004-store-changelog"), 1U);
  EXPECT_EQ(driver_->UnreadCount("app-KSTREAM-JOINOTHER-0000000005-store-changelog"), 1U);

  Build([](auto l, auto r) {
    return l.OuterJoin(r, OuterPair, JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(1)));
  });
  EXPECT_THAT(topology_.Describe(), HasSubstr("Processor: KSTREAM-OUTERTHIS-0000000004 (stores: "
                                              "[KSTREAM-OUTERTHIS-0000000004-store, "
                                              "KSTREAM-OUTEROTHER-0000000005-store, "
                                              "KSTREAM-OUTERSHARED-0000000004-store])"));

  Build([](auto l, auto r) {
    return l.LeftJoin(
        r, LeftPair, JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(1)),
        StreamJoinedFor<std::string, std::string, std::string>{.name = "j", .store_name = "st"});
  });
  EXPECT_THAT(topology_.Describe(),
              HasSubstr("Processor: j-this-join (stores: [st-this-join-store, "
                        "st-outer-other-join-store, st-left-shared-join-store])"));
  EXPECT_THAT(topology_.Describe(), HasSubstr("Processor: j-outer-other-join"));
  EXPECT_THAT(topology_.Describe(), HasSubstr("Processor: j-merge"));
}

TEST(DslJoinStreamStreamRepartitionTest, KeyChangedSidesAreRepartitioned) {
  StreamsBuilder b;
  auto l = b.Stream<std::string, std::string>("l").SelectKey(
      [](const std::string&, const std::string& v) { return v.substr(0, 1); });
  auto r =
      b.Stream<std::string, std::string>("r").Map([](const std::string&, const std::string& v) {
        return KeyValue<std::string, std::string>{v.substr(0, 1), v};
      });
  l.Join(r, Pair, JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(10))).To("out");
  l.OuterJoin(r, OuterPair, JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(10)),
              StreamJoinedFor<std::string, std::string, std::string>{.name = "named"})
      .To("out2");
  const Topology topology = b.Build();
  const std::string text = topology.Describe();
  EXPECT_THAT(text, HasSubstr("(topic: KSTREAM-KEY-SELECT-0000000001-repartition)"));
  EXPECT_THAT(text, HasSubstr("(topic: KSTREAM-MAP-0000000003-repartition)"));
  EXPECT_THAT(text, HasSubstr("(topic: named-left-repartition)"));
  EXPECT_THAT(text, HasSubstr("(topic: named-right-repartition)"));

  TopologyTestDriver d(topology, {{"application.id", "app"}});
  auto lin = d.CreateInputTopic<std::string, std::string>("l");
  auto rin = d.CreateInputTopic<std::string, std::string>("r");
  lin.PipeInput("1", "a-left", 100);
  rin.PipeInput("2", "a-right", 105);
  rin.PipeInput("3", "b-right", 106);
  lin.PipeInput("4", "c-left", 200);
  auto out = d.CreateOutputTopic<std::string, std::string>("out");
  EXPECT_THAT(ReadAll(out), ElementsAre(Out{"a", "a-left+a-right", 105}));
  auto out2 = d.CreateOutputTopic<std::string, std::string>("out2");
  EXPECT_THAT(ReadAll(out2),
              ElementsAre(Out{"a", "a-left+a-right", 105}, Out{"b", "-+b-right", 106}));
  EXPECT_EQ(d.UnreadCount("app-KSTREAM-KEY-SELECT-0000000001-repartition"), 2U);
  EXPECT_EQ(d.UnreadCount("app-named-left-repartition"), 2U);
}

TEST(DslJoinNullTest, NullKeysAndValues) {
  using OptKey = std::optional<std::string>;
  StreamsBuilder b;
  auto l = b.Stream<OptKey, OptString>("l");
  auto r = b.Stream<OptKey, OptString>("r");
  const auto w = JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(10));
  auto join = [](const OptString& lv, const OptString& rv) { return Str(lv) + "+" + Str(rv); };
  l.Join(r, join, w).To("inner");
  l.LeftJoin(
       r,
       [](const OptString& lv, const std::optional<OptString>& rv) {
         return Str(lv) + "+" + (rv ? Str(*rv) : "none");
       },
       w)
      .To("left");
  TopologyTestDriver d(b.Build());
  auto lin = d.CreateInputTopic<OptKey, OptString>("l");
  auto rin = d.CreateInputTopic<OptKey, OptString>("r");
  lin.PipeInput(std::nullopt, "a", 10);  // inner: dropped; left: joined with nothing at once
  lin.PipeInput("k", std::nullopt, 11);  // dropped by both
  rin.PipeInput(std::nullopt, "x", 12);  // dropped by both
  rin.PipeInput("k", "y", 13);
  lin.PipeInput("k", "b", 14);
  auto inner = d.CreateOutputTopic<OptKey, std::string>("inner");
  auto left = d.CreateOutputTopic<OptKey, std::string>("left");
  EXPECT_THAT(inner.ReadKeyValuesToList(), ElementsAre(KeyValue<OptKey, std::string>{"k", "b+y"}));
  EXPECT_THAT(left.ReadKeyValuesToList(),
              ElementsAre(KeyValue<OptKey, std::string>{std::nullopt, "a+none"},
                          KeyValue<OptKey, std::string>{"k", "b+y"}));
  EXPECT_EQ(d.DroppedRecordsByReason(),
            (std::map<std::string, uint64_t>{{"null-key", 3}, {"null-value", 2}}));
}

// A result type without a serde: fine unless something stores it.
struct Both2 {
  std::string left;
  std::string right;
};

TEST(DslJoinSerdeTest, ResultTypesNeedASerdeOnlyWhenStored) {
  StreamsBuilder b;
  auto t = b.Table<std::string, std::string>("t");
  auto u = b.Table<std::string, std::string>("u");
  auto both = [](const std::string& l, const std::string& r) { return Both2{l, r}; };
  b.Stream<std::string, std::string>("s")
      .Join(t, both)
      .MapValues([](const Both2& p) { return p.left + "|" + p.right; })
      .To("stream-table");
  t.Join(u, both)
      .MapValues([](const Both2& p) { return p.right + "|" + p.left; })
      .ToStream()
      .To("table-table");
  EXPECT_THROW(t.Join(u, both, Named{}, MaterializedFor<std::string, Both2>{.store_name = "x"}),
               Error);
  TopologyTestDriver d(b.Build());
  d.CreateInputTopic<std::string, OptString>("t").PipeInput("k", "T", 1);
  d.CreateInputTopic<std::string, OptString>("u").PipeInput("k", "U", 2);
  d.CreateInputTopic<std::string, std::string>("s").PipeInput("k", "S", 3);
  auto stream_table = d.CreateOutputTopic<std::string, std::string>("stream-table");
  auto table_table = d.CreateOutputTopic<std::string, OptString>("table-table");
  EXPECT_EQ(stream_table.ReadValue(), "S|T");
  EXPECT_EQ(table_table.ReadValue(), "U|T");
}

TEST(DslJoinWindowsTest, Validation) {
  const JoinWindows w = JoinWindows::OfTimeDifferenceAndGrace(milliseconds(5), milliseconds(2));
  EXPECT_EQ(w.before_ms(), 5);
  EXPECT_EQ(w.after_ms(), 5);
  EXPECT_EQ(w.grace_ms(), 2);
  EXPECT_EQ(w.Before(milliseconds(-3)).size_ms(), 2);
  EXPECT_THROW((void)w.Before(milliseconds(-6)), Error);
  EXPECT_THROW((void)w.After(milliseconds(-6)), Error);
  EXPECT_THROW((void)JoinWindows::OfTimeDifferenceWithNoGrace(milliseconds(-1)), Error);
  EXPECT_THROW((void)JoinWindows::OfTimeDifferenceAndGrace(milliseconds(1), milliseconds(-1)),
               Error);
}

TEST(DslJoinBuilderTest, SidesFromDifferentBuildersAreRejected) {
  StreamsBuilder b1;
  StreamsBuilder b2;
  auto s = b1.Stream<std::string, std::string>("a");
  auto t = b2.Table<std::string, std::string>("b");
  EXPECT_THROW(s.Join(t, Pair), Error);
}

}  // namespace
}  // namespace brook
