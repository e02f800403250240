// Integration, real broker: brook produce writes a keyed data set; reading it back checks
// every key, value and partition against the data set and Kafka's default partitioner.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <sstream>

#include "cli/cli.h"
#include "client/admin.h"
#include "client/consumer.h"
#include "common/murmur2.h"
#include "loadgen/generator.h"
#include "test_env.h"

namespace brook {
namespace {

using ::testing::HasSubstr;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun Brook(std::vector<std::string> args) {
  args.insert(args.begin(), {"--bootstrap-servers", testing::Bootstrap(), "--log-level", "warn"});
  std::ostringstream out;
  std::ostringstream err;
  const int code = cli::RunCli(args, out, err, {});
  return {code, out.str(), err.str()};
}

TEST(ProduceConsume, TenThousandKeyedRecordsRoundTrip) {
  const std::string topic = testing::UniqueTopic("roundtrip");
  constexpr int kPartitions = 4;
  constexpr uint64_t kCount = 10000;
  auto r =
      Brook({"topics", "create", "--topic", topic, "--partitions", std::to_string(kPartitions)});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Brook({"produce", "--topic", topic, "--count", std::to_string(kCount), "--keys", "500",
             "--value-size", "64", "--seed", "7", "--progress-ms", "0"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("produced 10000 records"));

  const loadgen::RecordGenerator gen({.seed = 7, .key_cardinality = 500, .value_size = 64});
  auto consumer = client::Consumer::Create(testing::ClientConfig()).ValueOrThrow();
  ASSERT_TRUE(consumer->Assign({topic}, client::StartFrom::kBeginning).ok());
  EXPECT_EQ(consumer->assigned_partitions(), 4U);
  std::vector<int> seen(kCount, 0);
  std::vector<int64_t> last_offset(kPartitions, -1);
  uint64_t total = 0;
  std::vector<std::string> problems;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!consumer->AllAtEnd() && std::chrono::steady_clock::now() < deadline) {
    auto n =
        consumer->Poll(std::chrono::milliseconds(200), 1000, [&](const client::RecordView& rec) {
          ++total;
          const int64_t i = loadgen::RecordGenerator::IndexOf(rec.value);
          if (i < 0 || i >= static_cast<int64_t>(kCount)) {
            problems.push_back("bad value at offset " + std::to_string(rec.offset));
            return;
          }
          ++seen[static_cast<size_t>(i)];
          if (rec.key != gen.Key(static_cast<uint64_t>(i)))
            problems.push_back("key of record " + std::to_string(i));
          if (rec.value != gen.Value(static_cast<uint64_t>(i)))
            problems.push_back("value of record " + std::to_string(i));
          if (rec.partition != KafkaPartitionForKey(rec.key, kPartitions)) {
            problems.push_back("partition of record " + std::to_string(i) + ": " +
                               std::to_string(rec.partition));
          }
          if (rec.offset <= last_offset[static_cast<size_t>(rec.partition)]) {
            problems.push_back("offsets out of order in partition " +
                               std::to_string(rec.partition));
          }
          last_offset[static_cast<size_t>(rec.partition)] = rec.offset;
        });
    ASSERT_TRUE(n.ok()) << n.status().ToString();
  }
  EXPECT_TRUE(consumer->AllAtEnd()) << "did not reach the end of '" << topic << "' in 60 s";
  EXPECT_EQ(total, kCount);
  EXPECT_THAT(problems, ::testing::IsEmpty());
  for (uint64_t i = 0; i < kCount; ++i) ASSERT_EQ(seen[i], 1) << "record " << i;
  // Every partition got records (500 keys over 4 partitions).
  for (int p = 0; p < kPartitions; ++p) EXPECT_GT(last_offset[static_cast<size_t>(p)], 0) << p;

  // And brook consume counts the same.
  r = Brook({"consume", "--topic", topic, "--until-end", "--format", "none", "--count"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("consumed 10000 records"));
}

TEST(Topics, CreateDescribeListDelete) {
  const std::string topic = testing::UniqueTopic("topics");
  auto r = Brook({"topics", "create", "--topic", topic, "--partitions", "3", "--config",
                  "cleanup.policy=compact"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Brook({"topics", "describe", "--topic", topic});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("partitions: 3"));
  r = Brook({"topics", "list"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(topic + "\n"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("__consumer_offsets")));

  r = Brook({"topics", "create", "--topic", topic, "--partitions", "3"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr(topic));
  EXPECT_THAT(r.err, HasSubstr("already exists"));
  r = Brook({"topics", "create", "--topic", topic, "--partitions", "3", "--if-not-exists"});
  EXPECT_EQ(r.code, 0) << r.err;
  r = Brook({"topics", "create", "--topic", topic, "--partitions", "5", "--if-not-exists"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("exists with 3 partitions, not 5"));

  r = Brook({"topics", "create", "--topic", testing::UniqueTopic("badcfg"), "--config",
             "cleanup.policy=sometimes"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("cleanup.policy"));

  r = Brook({"topics", "delete", "--topic", topic});
  ASSERT_EQ(r.code, 0) << r.err;
  r = Brook({"topics", "describe", "--topic", topic});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr(topic));
}

TEST(ProduceConsume, MissingTopicIsAnErrorNamingIt) {
  const std::string topic = testing::UniqueTopic("missing");
  auto r = Brook({"consume", "--topic", topic, "--until-end"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("topic '" + topic + "' does not exist"));
  r = Brook({"produce", "--topic", topic, "--count", "10", "--set", "request.timeout.ms=3000",
             "--set", "producer.message.timeout.ms=3000"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr(topic));
}

TEST(Pipe, TransformsEveryRecord) {
  const std::string in = testing::UniqueTopic("pipe-in");
  const std::string out = testing::UniqueTopic("pipe-out");
  ASSERT_EQ(Brook({"topics", "create", "--topic", in, "--partitions", "2"}).code, 0);
  ASSERT_EQ(Brook({"topics", "create", "--topic", out, "--partitions", "2"}).code, 0);
  ASSERT_EQ(Brook({"produce", "--topic", in, "--count", "3000", "--keys", "50", "--value-size",
                   "20", "--progress-ms", "0"})
                .code,
            0);
  auto r = Brook({"pipe", "--from", in, "--to", out, "--transform", "reverse", "--until-end",
                  "--progress-ms", "0"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("piped 3000 records"));

  const loadgen::RecordGenerator gen({.seed = 42, .key_cardinality = 50, .value_size = 20});
  auto consumer = client::Consumer::Create(testing::ClientConfig()).ValueOrThrow();
  ASSERT_TRUE(consumer->Assign({out}, client::StartFrom::kBeginning).ok());
  std::map<std::string, int> expected;  // value -> count
  for (uint64_t i = 0; i < 3000; ++i) {
    std::string v = gen.Value(i);
    std::reverse(v.begin(), v.end());
    ++expected[gen.Key(i) + "\t" + v];
  }
  std::map<std::string, int> got;
  while (!consumer->AllAtEnd()) {
    ASSERT_TRUE(consumer
                    ->Poll(std::chrono::milliseconds(200), 1000,
                           [&](const client::RecordView& rec) {
                             ++got[std::string(rec.key) + "\t" + std::string(rec.value)];
                           })
                    .ok());
  }
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace brook
