// RecordCollector: where a task's output goes — records of sink nodes and of changelogging
// stores. The live runtime implements it on the instance's librdkafka producer (with the
// production-error handler and, under exactly_once_v2, inside the open transaction); the
// topology test driver implements it with in-memory topics.
//
// Contract: Send() copies what it needs before returning. It returns non-OK only when the
// task must stop (the production-error handler said fail, or the producer is fenced); the
// message names the topic and partition. Asynchronous delivery errors surface on the next
// Send() or on Flush().
//
// Thread-safety: implementations say; the runtime's collector is safe to call from every
// stream thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brook/record.h"
#include "brook/status.h"

namespace brook::runtime {

// A record header (Kafka allows null header values): the Processor API's brook::Header.
using RawHeader = brook::Header;

inline constexpr int32_t kPartitionByKey = -1;  // let the producer's partitioner choose

struct OutgoingRecord {
  std::string_view topic;
  int32_t partition = kPartitionByKey;
  std::optional<std::string_view> key;    // nullopt: null key
  std::optional<std::string_view> value;  // nullopt: null value (tombstone)
  int64_t timestamp_ms = -1;
  const std::vector<RawHeader>* headers = nullptr;  // may be null (no headers)
};

class RecordCollector {
 public:
  virtual ~RecordCollector() = default;
  [[nodiscard]] virtual Status Send(const OutgoingRecord& record) = 0;
};

}  // namespace brook::runtime
