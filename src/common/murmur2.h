// Kafka's default key partitioner hash (murmur2, as in the Java client's
// Utils.murmur2 and librdkafka's "murmur2_random" partitioner).
//
// brook uses it to know which partition a key lands on without asking the producer (e.g.
// to find the task that owns a key for interactive queries), and tests use it to check
// where records were written. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace brook {

// 32-bit murmur2 with Kafka's seed (0x9747b28c).
int32_t Murmur2(std::string_view data);

// The partition Kafka's default partitioner picks for a non-empty key:
// (murmur2(key) & 0x7fffffff) % num_partitions. Precondition: num_partitions > 0.
int32_t KafkaPartitionForKey(std::string_view key, int32_t num_partitions);

}  // namespace brook
