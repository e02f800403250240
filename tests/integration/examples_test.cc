// The example applications (examples/) as programs on the real broker. Each test creates
// fresh topics (unique names), writes seeded input with the example's own generator, starts
// the example binary as a child process, waits until its output topic is complete (or fails
// after a timeout, saying what is missing), stops it with SIGTERM (exit code 0: closed
// cleanly) and compares the output topic's latest value per key with the truth computed
// here, independently of the topology, from the input this test generated. The repartition
// test runs word count (a groupBy with a new key) as 1 and as 2 instances over the same
// 8-partition input: both give the truth.
//
// Record counts are sized for a Debug build on 2 cores; BROOK_EXAMPLES_TEST_SCALE (a
// factor, default 1) scales them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "brook/json_serde.h"
#include "brook/state/serde.h"
#include "brook/windowed.h"
#include "client/admin.h"
#include "client/producer.h"
#include "orders/orders.h"
#include "pageviews/pageviews.h"
#include "runtime_test_util.h"
#include "test_env.h"
#include "wordcount/wordcount.h"

namespace brook::testing {
namespace {

using std::chrono::seconds;

constexpr int kPartitions = 8;

int Scaled(int n) {
  const char* s = std::getenv("BROOK_EXAMPLES_TEST_SCALE");
  const double factor = s != nullptr ? std::strtod(s, nullptr) : 1.0;
  return std::max(1, static_cast<int>(n * (factor > 0 ? factor : 1.0)));
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    run_ = UniqueTopic("ex");
    dir_ = std::filesystem::temp_directory_path() / run_;
    std::filesystem::create_directories(dir_);
    admin_ = client::Admin::Create(ClientConfig()).value();
    producer_ = client::Producer::Create(ClientConfig()).value();
  }

  void TearDown() override {
    if (HasFailure()) {
      for (const auto& e : std::filesystem::directory_iterator(dir_)) {
        if (e.path().extension() != ".log") continue;
        const std::string text = ReadFile(e.path());
        std::cerr << "---- " << e.path().filename() << " (last 6000 bytes)\n"
                  << (text.size() > 6000 ? text.substr(text.size() - 6000) : text) << "\n";
      }
    }
    if (HasFailure() && std::getenv("BROOK_KEEP_TEST_DIR") != nullptr) {
      std::cerr << "kept " << dir_ << "\n";
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // A fresh topic "<run>-<name>".
  std::string Topic(const std::string& name, int partitions = kPartitions) {
    std::string topic = run_ + "-" + name;
    EXPECT_TRUE(admin_->CreateTopic({.name = topic, .partitions = partitions}).ok()) << topic;
    return topic;
  }

  void Send(const std::string& topic, const std::string& key, const std::string& value) {
    ASSERT_TRUE(producer_->Send(topic, key, value).ok());
    if (++sent_ % 1000 == 0) producer_->Poll();
  }
  void Flush() { ASSERT_TRUE(producer_->Flush().ok()); }

  // Starts the example binary `exe` as instance `name` of application `app_id`; `sets` are
  // its --set overrides (topic names).
  void Start(AppProcess& p, const std::string& exe, const std::string& name,
             const std::string& app_id, const std::vector<std::string>& sets) {
    std::vector<std::string> args = {"run"};
    std::vector<std::string> all = {
        "application.id=" + app_id,
        "bootstrap.servers=" + Bootstrap(),
        "state.dir=" + (dir_ / ("state-" + name)).string(),
        "commit.interval.ms=500",
        "session.timeout.ms=6000",
        "heartbeat.interval.ms=500",
    };
    all.insert(all.end(), sets.begin(), sets.end());
    for (const std::string& s : all) {
      args.emplace_back("--set");
      args.push_back(s);
    }
    p.Start(exe, args, Log(name).string());
  }

  std::filesystem::path Log(const std::string& name) const { return dir_ / (name + ".log"); }

  // The records the instance logged as processed when it closed cleanly (-1: no such line).
  int64_t ProcessedAtClose(const std::string& name) const {
    const std::string log = ReadFile(Log(name));
    const std::regex re("closed cleanly: processed ([0-9]+) records");
    std::smatch m;
    return std::regex_search(log, m, re) ? std::stoll(m[1].str()) : -1;
  }

  // Sum of the high watermarks of `topic`; 0 while it does not exist.
  int64_t EndSum(const std::string& topic) {
    auto info = admin_->DescribeTopic(topic);
    if (!info.ok()) return 0;
    int64_t sum = 0;
    for (int32_t p = 0; p < info->partitions; ++p) {
      int64_t lo = 0;
      int64_t hi = 0;
      rd_kafka_query_watermark_offsets(admin_->handle().get(), topic.c_str(), p, &lo, &hi, 10000);
      sum += hi;
    }
    return sum;
  }

  std::string run_;
  std::filesystem::path dir_;
  std::unique_ptr<client::Admin> admin_;
  std::unique_ptr<client::Producer> producer_;
  int64_t sent_ = 0;
};

// ---- word count ---------------------------------------------------------------------------

// The words of a line, as the test understands them: letters and digits (ASCII),
// lower-cased; everything else separates words.
std::vector<std::string> TruthWords(const std::string& line) {
  std::string cleaned = line;
  for (char& c : cleaned) {
    const auto u = static_cast<unsigned char>(c);
    c = u < 0x80 && std::isalnum(u) != 0 ? static_cast<char>(std::tolower(u)) : ' ';
  }
  std::istringstream in(cleaned);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

class WordCountTest : public ExamplesTest {
 protected:
  // `lines` seeded lines into input_; the truth is every word's count.
  void ProduceLines(int lines, uint64_t seed) {
    examples::wordcount::LineGenerator gen(seed);
    for (int i = 0; i < lines; ++i) {
      const std::string line = gen.Next();
      for (const std::string& w : TruthWords(line)) ++truth_[w];
      Send(input_, "line-" + std::to_string(i), line);
    }
    Flush();
  }

  std::vector<std::string> Sets(const std::string& output) const {
    return {"wordcount.input.topic=" + input_, "wordcount.output.topic=" + output};
  }

  // Waits until every word's latest count in `output` reached the truth; returns the
  // latest counts (what is there at the timeout otherwise).
  std::map<std::string, int64_t> WaitForCounts(const std::string& output, seconds timeout) {
    std::map<std::string, int64_t> latest;
    const bool complete = WaitUntil(
        [&] {
          latest = LatestCounts(output, false);
          return std::all_of(truth_.begin(), truth_.end(), [&](const auto& kv) {
            auto it = latest.find(kv.first);
            return it != latest.end() && it->second >= kv.second;
          });
        },
        timeout);
    if (!complete) {
      int missing = 0;
      for (const auto& [w, c] : truth_) {
        if (latest[w] < c) ++missing;
      }
      ADD_FAILURE() << output << ": " << missing << " of " << truth_.size()
                    << " words below their true count after " << timeout.count() << " s";
    }
    return latest;
  }

  std::string input_;
  std::map<std::string, int64_t> truth_;
};

TEST_F(WordCountTest, CountsEveryWordOfTheInput) {
  input_ = Topic("lines");
  ProduceLines(Scaled(12000), 11);
  const std::string output = Topic("counts");
  AppProcess app;
  Start(app, BROOK_WORDCOUNT_APP, "wordcount-0", run_ + "-wc", Sets(output));
  const auto latest = WaitForCounts(output, seconds(150));
  EXPECT_EQ(app.Terminate(), 0) << "wordcount did not close cleanly";
  EXPECT_EQ(latest, truth_);
  // No count written twice: one output record per word occurrence (a clean run).
  int64_t words = 0;
  for (const auto& [w, c] : truth_) words += c;
  EXPECT_EQ(static_cast<int64_t>(ReadTopic(output, false).size()), words);
}

// groupBy with a new key over 2 instances: the words of one partition's lines go to every
// partition of the repartition topic, so each instance counts words the other read. The
// input is written once both instances run, so that both take part.
TEST_F(WordCountTest, RepartitionOverTwoInstancesCountsAsOneInstance) {
  input_ = Topic("lines");
  const std::string output1 = Topic("counts-1");
  const std::string output2 = Topic("counts-2");
  AppProcess one;
  AppProcess two_a;
  AppProcess two_b;
  Start(one, BROOK_WORDCOUNT_APP, "one", run_ + "-wc1", Sets(output1));
  Start(two_a, BROOK_WORDCOUNT_APP, "two-a", run_ + "-wc2", Sets(output2));
  Start(two_b, BROOK_WORDCOUNT_APP, "two-b", run_ + "-wc2", Sets(output2));
  for (const char* name : {"one", "two-a", "two-b"}) {
    ASSERT_TRUE(WaitUntil(
        [&] { return ReadFile(Log(name)).find("wordcount: state RUNNING") != std::string::npos; },
        seconds(60)))
        << name << " is not running after 60 s";
  }
  ProduceLines(Scaled(8000), 12);
  const auto latest2 = WaitForCounts(output2, seconds(180));
  const auto latest1 = WaitForCounts(output1, seconds(60));
  EXPECT_EQ(two_a.Terminate(), 0);
  EXPECT_EQ(two_b.Terminate(), 0);
  EXPECT_EQ(one.Terminate(), 0);
  EXPECT_EQ(latest1, truth_) << "1 instance";
  EXPECT_EQ(latest2, truth_) << "2 instances";
  EXPECT_EQ(latest1, latest2);
  // Both instances of the 2-instance run did part of the work.
  EXPECT_GT(ProcessedAtClose("two-a"), 0);
  EXPECT_GT(ProcessedAtClose("two-b"), 0);
  EXPECT_GT(ProcessedAtClose("one"), 0);
}

// ---- page views ---------------------------------------------------------------------------

using examples::pageviews::PageView;
using WindowCounts = std::map<Windowed<std::string>, int64_t>;

// The windows of size `size` starting every `advance` that contain ts (starts >= 0).
std::vector<Window> WindowsOf(int64_t ts, int64_t size, int64_t advance) {
  std::vector<Window> out;
  for (int64_t start = ts - ts % advance; start > ts - size && start >= 0; start -= advance) {
    out.push_back({start, start + size});
  }
  return out;
}

// The windowed output topic's latest count per window, and how many records it holds.
std::pair<WindowCounts, size_t> ReadWindowCounts(const std::string& topic, int64_t size) {
  const TimeWindowedSerde<std::string> key_serde(size);
  WindowCounts counts;
  const auto records = ReadTopic(topic, false);
  for (const ConsumedMessage& m : records) {
    if (!m.key || !m.value) continue;
    counts[key_serde.Deserialize(*m.key).value()] = ParseInt64(*m.value);
  }
  return {counts, records.size()};
}

TEST_F(ExamplesTest, PageViewsFinalCountsPerUserAndWindow) {
  namespace pv = examples::pageviews;
  const std::string input = Topic("views");
  const std::string per_minute = Topic("per-minute");
  const std::string per_5min = Topic("per-5min");
  const int64_t minute = pv::kMinute.count();
  const int64_t size5 = pv::kHoppingSize.count();
  const int64_t advance = pv::kHoppingAdvance.count();
  const int64_t grace = pv::kGrace.count();

  // Seeded views, then the closing views: one per user at the same, later time.
  pv::PageViewGenerator gen(21);
  const int count = Scaled(20000);
  std::vector<PageView> views;
  views.reserve(static_cast<size_t>(count) + 50);
  for (int i = 0; i < count; ++i) views.push_back(gen.Next());
  const std::vector<PageView> closing = gen.ClosingViews();
  views.insert(views.end(), closing.begin(), closing.end());
  const JsonSerde<PageView> serde;
  for (const PageView& v : views) Send(input, v.user, serde.Serialize(v));
  Flush();

  // Every partition ends with closing views at close_ts, so its stream time reaches close_ts:
  // a window is final (and written once) exactly when end + grace <= close_ts.
  const int64_t close_ts = closing.front().ts;
  WindowCounts truth_minute;
  WindowCounts truth_5min;
  for (const PageView& v : views) {
    for (const Window& w : WindowsOf(v.ts, minute, minute)) {
      if (w.end_ms + grace <= close_ts) ++truth_minute[{v.user, w}];
    }
    for (const Window& w : WindowsOf(v.ts, size5, advance)) {
      if (w.end_ms + grace <= close_ts) ++truth_5min[{v.user, w}];
    }
  }
  ASSERT_GT(truth_minute.size(), 1000U);

  AppProcess app;
  Start(app, BROOK_PAGEVIEWS_APP, "pageviews-0", run_ + "-pv",
        {"pageviews.input.topic=" + input, "pageviews.per-minute.topic=" + per_minute,
         "pageviews.per-5min.topic=" + per_5min});
  std::pair<WindowCounts, size_t> got_minute;
  std::pair<WindowCounts, size_t> got_5min;
  const bool complete = WaitUntil(
      [&] {
        got_minute = ReadWindowCounts(per_minute, minute);
        got_5min = ReadWindowCounts(per_5min, size5);
        return got_minute.first.size() >= truth_minute.size() &&
               got_5min.first.size() >= truth_5min.size();
      },
      seconds(150));
  EXPECT_TRUE(complete) << "after 150 s: " << got_minute.first.size() << " of "
                        << truth_minute.size() << " 1-minute windows, " << got_5min.first.size()
                        << " of " << truth_5min.size() << " 5-minute windows";
  EXPECT_EQ(app.Terminate(), 0) << "pageviews did not close cleanly";
  got_minute = ReadWindowCounts(per_minute, minute);
  got_5min = ReadWindowCounts(per_5min, size5);
  EXPECT_EQ(got_minute.first, truth_minute);
  EXPECT_EQ(got_5min.first, truth_5min);
  // Suppression: each window's final count only, written once.
  EXPECT_EQ(got_minute.second, truth_minute.size());
  EXPECT_EQ(got_5min.second, truth_5min.size());
}

// ---- orders -------------------------------------------------------------------------------

using examples::orders::Customer;
using examples::orders::EnrichedOrder;
using examples::orders::Order;

TEST_F(ExamplesTest, OrdersEnrichedWithCustomersAndRevenuePerRegion) {
  namespace od = examples::orders;
  const std::string orders = Topic("orders");
  const std::string customers = Topic("customers");
  const std::string enriched = Topic("enriched");
  const std::string revenue = Topic("revenue");
  const std::string app_id = run_ + "-orders";
  const std::string customers_changelog =
      app_id + "-" + std::string(od::kCustomersStore) + "-changelog";

  od::OrderGenerator gen(31);
  std::map<std::string, Customer> table;  // the truth's view of the customers topic
  std::map<std::string, EnrichedOrder> truth_enriched;
  std::map<std::string, int64_t> truth_revenue;
  int64_t customer_records = 0;
  auto send_customers = [&](const std::vector<Customer>& rows) {
    for (const Customer& c : rows) {
      table[c.id] = c;
      Send(customers, c.id, JsonSerde<Customer>().Serialize(c));
      ++customer_records;
    }
    Flush();
  };
  auto send_orders = [&](int n) {
    for (int i = 0; i < n; ++i) {
      const Order o = gen.NextOrder();
      Send(orders, o.customer_id, JsonSerde<Order>().Serialize(o));
      auto c = table.find(o.customer_id);
      if (c == table.end()) continue;  // unknown customer: the inner join drops the order
      truth_enriched[o.id] = EnrichedOrder{.order_id = o.id,
                                           .customer_id = o.customer_id,
                                           .customer_name = c->second.name,
                                           .region = c->second.region,
                                           .product = o.product,
                                           .quantity = o.quantity,
                                           .amount_cents = o.amount_cents};
      truth_revenue[c->second.region] += o.amount_cents;
    }
    Flush();
  };
  // The app has processed every customer record once its store's changelog holds them all.
  auto wait_for_customers = [&] {
    ASSERT_TRUE(
        WaitUntil([&] { return EndSum(customers_changelog) >= customer_records; }, seconds(90)))
        << customers_changelog << " holds " << EndSum(customers_changelog) << " of "
        << customer_records << " customer records after 90 s";
  };
  std::map<std::string, EnrichedOrder> got_enriched;
  size_t enriched_records = 0;
  auto wait_for_enriched = [&](seconds timeout) {
    const bool complete = WaitUntil(
        [&] {
          got_enriched.clear();
          const auto records = ReadTopic(enriched, false);
          enriched_records = records.size();
          for (const ConsumedMessage& m : records) {
            if (m.key && m.value) {
              got_enriched[*m.key] = JsonSerde<EnrichedOrder>().Deserialize(*m.value).value();
            }
          }
          return got_enriched.size() >= truth_enriched.size();
        },
        timeout);
    EXPECT_TRUE(complete) << enriched << ": " << got_enriched.size() << " of "
                          << truth_enriched.size() << " enriched orders after " << timeout.count()
                          << " s";
  };

  // Customers first, then the app; orders only once the table holds every customer (an
  // order processed before its customer's row would be dropped by the inner join).
  send_customers(gen.Customers());
  AppProcess app;
  Start(app, BROOK_ORDERS_APP, "orders-0", app_id,
        {"orders.orders.topic=" + orders, "orders.customers.topic=" + customers,
         "orders.enriched.topic=" + enriched, "orders.revenue.topic=" + revenue});
  wait_for_customers();
  send_orders(Scaled(10000));
  wait_for_enriched(seconds(120));
  // Some customers move to another region: their later orders count there.
  send_customers(gen.CustomerUpdates(40));
  wait_for_customers();
  send_orders(Scaled(10000));
  wait_for_enriched(seconds(120));
  std::map<std::string, int64_t> got_revenue;
  WaitUntil(
      [&] {
        got_revenue = LatestCounts(revenue, false);
        return got_revenue == truth_revenue;
      },
      seconds(30));
  EXPECT_EQ(app.Terminate(), 0) << "orders did not close cleanly";

  EXPECT_EQ(got_revenue, truth_revenue);
  EXPECT_EQ(got_enriched.size(), truth_enriched.size());
  EXPECT_TRUE(got_enriched == truth_enriched) << "enriched orders differ from the truth";
  for (const auto& [id, e] : truth_enriched) {
    auto it = got_enriched.find(id);
    if (it == got_enriched.end() || !(it->second == e)) {
      ADD_FAILURE() << "first difference: order " << id << " (expected region " << e.region << ")";
      break;
    }
  }
  EXPECT_EQ(enriched_records, truth_enriched.size()) << "an order was enriched twice";
  // Orders of unknown customers were sent and dropped.
  EXPECT_LT(truth_enriched.size(), static_cast<size_t>(2 * Scaled(10000)));
}

}  // namespace
}  // namespace brook::testing
