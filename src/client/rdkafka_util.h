// Small shared pieces over librdkafka's C API: owning pointers for its objects, and the
// headers of a consumed or delivered message as brook::Headers.
//
// Thread-safety: the pointers are unique owners (one thread at a time); MessageHeaders only
// reads the message.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>

#include "brook/record.h"

namespace brook::client {

template <auto Destroy>
struct RdDeleter {
  template <typename T>
  void operator()(T* p) const {
    Destroy(p);
  }
};

using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                         RdDeleter<&rd_kafka_topic_partition_list_destroy>>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, RdDeleter<&rd_kafka_error_destroy>>;
using GroupMetadataPtr = std::unique_ptr<rd_kafka_consumer_group_metadata_t,
                                         RdDeleter<&rd_kafka_consumer_group_metadata_destroy>>;

// The message's headers in order (a header without a value has std::nullopt); empty when
// it has none.
[[nodiscard]] Headers MessageHeaders(const rd_kafka_message_t* message);

}  // namespace brook::client
