#include "common/murmur2.h"

#include <gtest/gtest.h>

namespace brook {
namespace {

// Vectors of the Java client's UtilsTest.testMurmur2: a mismatch would send brook's keys to
// different partitions than every Java producer and Kafka Streams.
TEST(Murmur2, MatchesJavaClientVectors) {
  EXPECT_EQ(Murmur2("21"), -973932308);
  EXPECT_EQ(Murmur2("foobar"), -790332482);
  EXPECT_EQ(Murmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(Murmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(Murmur2("abc"), 479470107);
  EXPECT_EQ(Murmur2(""), 275646681);
}

TEST(Murmur2, PartitionUsesPositiveHash) {
  // murmur2("foobar") is negative; the partitioner masks the sign bit, not abs().
  EXPECT_EQ(KafkaPartitionForKey("foobar", 50), 16);
  for (int n = 1; n <= 64; ++n) {
    const int32_t p = KafkaPartitionForKey("key-123", n);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, n);
  }
}

}  // namespace
}  // namespace brook
