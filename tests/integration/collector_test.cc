// KafkaCollector on the real broker: the production-error handler for a record the broker
// will not take (its topic does not exist; auto-creation is off on the test broker), acked
// offsets for checkpoints, and transactions committing offsets with a group identity.
#include <gtest/gtest.h>

#include "brook/config.h"
#include "client/admin.h"
#include "client/client_config.h"
#include "runtime/kafka_collector.h"
#include "runtime/runtime_config.h"
#include "runtime_test_util.h"
#include "test_env.h"

namespace brook::testing {
namespace {

using runtime::CollectorOptions;
using runtime::ErrorHandling;
using runtime::KafkaCollector;
using runtime::OutgoingRecord;

Config ProducerConfig() {
  // Undeliverable records fail after 3 s instead of librdkafka's default 5 minutes.
  return ClientConfig({"producer.message.timeout.ms=3000"});
}

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = client::Admin::Create(ClientConfig()).value();
    good_ = UniqueTopic("coll-good");
    missing_ = UniqueTopic("coll-missing");
    dlq_ = UniqueTopic("coll-dlq");
    ASSERT_TRUE(admin_->CreateTopic({.name = good_, .partitions = 2}).ok());
    ASSERT_TRUE(admin_->CreateTopic({.name = dlq_, .partitions = 1}).ok());
  }
  std::unique_ptr<KafkaCollector> Make(ErrorHandling h) {
    return KafkaCollector::Create(ProducerConfig(), CollectorOptions{.production_errors = h,
                                                                     .dead_letter_topic = dlq_})
        .value();
  }
  // `v` is a literal (the record holds a view of it).
  static OutgoingRecord Rec(const std::string& topic, int32_t partition, std::string_view v) {
    return OutgoingRecord{
        .topic = topic, .partition = partition, .key = "k", .value = v, .timestamp_ms = 1000};
  }
  std::unique_ptr<client::Admin> admin_;
  std::string good_, missing_, dlq_;
};

TEST_F(CollectorTest, FailMakesTheErrorStickyAndNamesTheTopic) {
  auto c = Make(ErrorHandling::kFail);
  ASSERT_TRUE(c->Send(Rec(good_, 0, "a")).ok());
  ASSERT_TRUE(c->Send(Rec(missing_, 0, "b")).ok());  // accepted locally, fails on delivery
  const Status s = c->Flush(std::chrono::seconds(30));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(missing_), std::string::npos) << s.ToString();
  EXPECT_FALSE(c->Send(Rec(good_, 0, "c")).ok()) << "the error must stay";
  EXPECT_EQ(c->stats().failed, 1U);
}

TEST_F(CollectorTest, LogAndContinueSkipsAndCounts) {
  auto c = Make(ErrorHandling::kLogAndContinue);
  ASSERT_TRUE(c->Send(Rec(missing_, 0, "b")).ok());
  ASSERT_TRUE(c->Send(Rec(good_, 1, "a")).ok());
  EXPECT_TRUE(c->Flush(std::chrono::seconds(30)).ok());
  EXPECT_EQ(c->stats().skipped, 1U);
  EXPECT_EQ(c->stats().delivered, 1U);
  EXPECT_EQ(c->AckedOffsets().at(group::TopicPartition{good_, 1}), 1);
}

TEST_F(CollectorTest, DeadLetterKeepsTheRecordWithErrorHeaders) {
  auto c = Make(ErrorHandling::kDeadLetter);
  const std::vector<runtime::RawHeader> headers = {{"trace", "t-1"}};
  OutgoingRecord r = Rec(missing_, 0, "payload");
  r.headers = &headers;
  ASSERT_TRUE(c->Send(r).ok());
  ASSERT_TRUE(c->Flush(std::chrono::seconds(30)).ok());  // the failure's report queues the letter
  ASSERT_TRUE(c->Flush(std::chrono::seconds(30)).ok());  // and this delivers it
  EXPECT_EQ(c->stats().dead_lettered, 1U);
  const auto letters = ReadTopic(dlq_, false);
  ASSERT_EQ(letters.size(), 1U);
  EXPECT_EQ(letters[0].value, "payload");
  EXPECT_EQ(letters[0].key, "k");
  EXPECT_EQ(letters[0].headers.at("trace"), "t-1");
  EXPECT_EQ(letters[0].headers.at("brook.error.topic"), missing_);
  EXPECT_EQ(letters[0].headers.at("brook.error.stage"), "production");
  EXPECT_NE(letters[0].headers.at("brook.error").find(missing_), std::string::npos);
}

TEST_F(CollectorTest, AbortedTransactionIsInvisibleAndCommittedOneVisible) {
  auto c = KafkaCollector::Create(
               ProducerConfig(),
               CollectorOptions{.guarantee = runtime::ProcessingGuarantee::kExactlyOnceV2,
                                .transactional_id = UniqueTopic("txn")})
               .value();
  ASSERT_TRUE(c->InitTransactions(std::chrono::seconds(30)).ok());
  ASSERT_TRUE(c->BeginTransaction().ok());
  ASSERT_TRUE(c->Send(Rec(good_, 0, "aborted")).ok());
  ASSERT_TRUE(c->Flush(std::chrono::seconds(30)).ok());
  ASSERT_TRUE(c->AbortTransaction(std::chrono::seconds(30)).ok());
  ASSERT_TRUE(c->BeginTransaction().ok());
  ASSERT_TRUE(c->Send(Rec(good_, 0, "committed")).ok());
  // No group offsets here (an empty map skips send_offsets_to_transaction).
  ASSERT_TRUE(c->CommitTransaction({}, runtime::TxnGroup{}, std::chrono::seconds(30)).ok());
  const auto seen = ReadTopic(good_, true);
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].value, "committed");
  EXPECT_EQ(ReadTopic(good_, false).size(), 2U);
}

}  // namespace
}  // namespace brook::testing
