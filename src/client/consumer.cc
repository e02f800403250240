#include "client/consumer.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

#include "client/rdkafka_util.h"

namespace brook::client {
namespace {}  // namespace

Result<std::unique_ptr<Consumer>> Consumer::Create(const Config& config) {
  return Create(config, {});
}

Result<std::unique_ptr<Consumer>> Consumer::Create(
    const Config& config, const std::map<std::string, std::string>& required) {
  BROOK_ASSIGN_OR_RETURN(auto conf, BuildRdKafkaConf(config, ClientRole::kConsumer));
  for (const auto& [k, v] : required) {
    std::array<char, 256> err{};
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err.data(), err.size()) !=
        RD_KAFKA_CONF_OK) {
      return Status::InvalidArgument(fmt::format("consumer property {}={}: {}", k, v, err.data()));
    }
  }
  // librdkafka needs a group.id to hand out a consumer queue; brook never joins it (manual
  // assignment), so any name works unless the user set one.
  if (config.WithPrefix("consumer.").count("group.id") == 0 &&
      config.WithPrefix("kafka.").count("group.id") == 0) {
    std::array<char, 256> err{};
    const std::string gid = config.GetString("client.id") + "-reader";
    if (rd_kafka_conf_set(conf.get(), "group.id", gid.c_str(), err.data(), err.size()) !=
        RD_KAFKA_CONF_OK) {
      return Status::InvalidArgument(std::string("group.id: ") + err.data());
    }
  }
  std::unique_ptr<Consumer> c(new Consumer());
  BROOK_ASSIGN_OR_RETURN(c->handle_,
                         KafkaHandle::Create(config, ClientRole::kConsumer, std::move(conf)));
  c->request_timeout_ = std::chrono::milliseconds(config.GetInt("request.timeout.ms"));
  BROOK_RETURN_IF_ERROR(c->handle_->CheckReachable());
  rd_kafka_poll_set_consumer(c->handle_->get());
  c->queue_ = rd_kafka_queue_get_consumer(c->handle_->get());
  if (c->queue_ == nullptr) return Status::Internal("librdkafka returned no consumer queue");
  return c;
}

Consumer::~Consumer() {
  if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
  if (handle_) rd_kafka_consumer_close(handle_->get());
}

Status Consumer::Assign(const std::vector<std::string>& topics, StartFrom from) {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(16));
  at_end_.clear();
  for (const auto& topic : topics) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(handle_->get(), topic.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    const auto err =
        rd_kafka_metadata(handle_->get(), 0, rkt, &md, static_cast<int>(request_timeout_.count()));
    rd_kafka_topic_destroy(rkt);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable("metadata for topic '" + topic + "': " + RdKafkaErrorString(err));
    }
    Status status;
    if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR ||
        md->topics[0].partition_cnt == 0) {
      status = Status::NotFound("topic '" + topic + "' does not exist");
    } else {
      for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
        const int32_t id = md->topics[0].partitions[p].id;
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), id)->offset =
            from == StartFrom::kBeginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
        at_end_[{topic, id}] = false;
      }
    }
    rd_kafka_metadata_destroy(md);
    BROOK_RETURN_IF_ERROR(status);
  }
  const auto err = rd_kafka_assign(handle_->get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Internal("assign: " + RdKafkaErrorString(err));
  }
  return Status::Ok();
}

Result<size_t> Consumer::Poll(std::chrono::milliseconds timeout, size_t max_records,
                              const std::function<void(const RecordView&)>& fn) {
  batch_.resize(max_records);
  const ssize_t n = rd_kafka_consume_batch_queue(queue_, static_cast<int>(timeout.count()),
                                                 batch_.data(), batch_.size());
  if (n < 0) return Status::Internal("consume: " + RdKafkaErrorString(rd_kafka_last_error()));
  size_t records = 0;
  Status status;
  for (ssize_t i = 0; i < n; ++i) {
    rd_kafka_message_t* m = batch_[static_cast<size_t>(i)];
    batch_[static_cast<size_t>(i)] = nullptr;
    const std::string topic = m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : "";
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end_[{topic, m->partition}] = true;
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (status.ok()) {
        status = Status::Unavailable("consume from topic '" + topic + "' partition " +
                                     std::to_string(m->partition) + " at offset " +
                                     std::to_string(m->offset) + ": " + RdKafkaErrorString(m->err));
      }
    } else {
      // Records after an error are still handed out: the error is reported once the batch
      // is done, and nothing already fetched is dropped.
      at_end_[{topic, m->partition}] = false;
      RecordView r;
      r.topic = topic;
      r.partition = m->partition;
      r.offset = m->offset;
      r.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
      r.key_is_null = m->key == nullptr;
      r.value_is_null = m->payload == nullptr;
      r.key = r.key_is_null ? std::string_view()
                            : std::string_view(static_cast<const char*>(m->key), m->key_len);
      r.value = r.value_is_null ? std::string_view()
                                : std::string_view(static_cast<const char*>(m->payload), m->len);
      fn(r);
      ++records;
    }
    rd_kafka_message_destroy(m);
  }
  BROOK_RETURN_IF_ERROR(status);
  return records;
}

namespace {

PartitionListPtr ToList(const std::vector<PartitionOffset>& partitions) {
  PartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(std::max<size_t>(partitions.size(), 1))));
  for (const PartitionOffset& p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition)->offset = p.offset;
  }
  return list;
}

std::string PartitionName(const std::string& topic, int32_t partition) {
  return "topic '" + topic + "' partition " + std::to_string(partition);
}

}  // namespace

Status Consumer::IncrementalAssign(const std::vector<PartitionOffset>& partitions) {
  if (partitions.empty()) return Status::Ok();
  PartitionListPtr list = ToList(partitions);
  rd_kafka_error_t* error = rd_kafka_incremental_assign(handle_->get(), list.get());
  if (error != nullptr) {
    const std::string msg = rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    return Status::Internal("incremental assign of " +
                            PartitionName(partitions[0].topic, partitions[0].partition) +
                            (partitions.size() > 1 ? " (and others)" : "") + ": " + msg);
  }
  for (const PartitionOffset& p : partitions) at_end_[{p.topic, p.partition}] = false;
  return Status::Ok();
}

Status Consumer::IncrementalUnassign(const std::vector<PartitionOffset>& partitions) {
  if (partitions.empty()) return Status::Ok();
  PartitionListPtr list = ToList(partitions);
  rd_kafka_error_t* error = rd_kafka_incremental_unassign(handle_->get(), list.get());
  if (error != nullptr) {
    const std::string msg = rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    return Status::Internal("incremental unassign of " +
                            PartitionName(partitions[0].topic, partitions[0].partition) +
                            (partitions.size() > 1 ? " (and others)" : "") + ": " + msg);
  }
  for (const PartitionOffset& p : partitions) at_end_.erase({p.topic, p.partition});
  return Status::Ok();
}

ConsumedBatch::ConsumedBatch(ConsumedBatch&& other) noexcept
    : messages_(std::exchange(other.messages_, {})),
      records_(std::exchange(other.records_, {})),
      ends_(std::exchange(other.ends_, {})),
      errors_(std::exchange(other.errors_, {})) {}

ConsumedBatch& ConsumedBatch::operator=(ConsumedBatch&& other) noexcept {
  if (this != &other) {
    Clear();
    messages_ = std::exchange(other.messages_, {});
    records_ = std::exchange(other.records_, {});
    ends_ = std::exchange(other.ends_, {});
    errors_ = std::exchange(other.errors_, {});
  }
  return *this;
}

void ConsumedBatch::Clear() {
  records_.clear();
  ends_.clear();
  errors_.clear();
  for (rd_kafka_message_t* m : messages_) rd_kafka_message_destroy(m);
  messages_.clear();
}

Status Consumer::PollBatch(std::chrono::milliseconds timeout, size_t max_messages,
                           ConsumedBatch& batch) {
  batch.Clear();
  batch.messages_.resize(std::max<size_t>(max_messages, 1));
  const ssize_t n = rd_kafka_consume_batch_queue(queue_, static_cast<int>(timeout.count()),
                                                 batch.messages_.data(), batch.messages_.size());
  if (n < 0) {
    batch.messages_.clear();
    return Status::Internal("consume: " + RdKafkaErrorString(rd_kafka_last_error()));
  }
  batch.messages_.resize(static_cast<size_t>(n));
  batch.records_.reserve(batch.messages_.size());
  for (rd_kafka_message_t* m : batch.messages_) {
    const std::string_view topic =
        m->rkt != nullptr ? std::string_view(rd_kafka_topic_name(m->rkt)) : std::string_view();
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end_[{std::string(topic), m->partition}] = true;
      batch.ends_.push_back({.topic = topic, .partition = m->partition, .offset = m->offset});
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      batch.errors_.push_back({.topic = topic,
                               .partition = m->rkt != nullptr ? m->partition : -1,
                               .offset = m->offset,
                               .code = m->err,
                               .message = rd_kafka_message_errstr(m)});
    } else {
      RecordView r;
      r.topic = topic;
      r.partition = m->partition;
      r.offset = m->offset;
      r.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
      r.key_is_null = m->key == nullptr;
      r.value_is_null = m->payload == nullptr;
      r.key = r.key_is_null ? std::string_view()
                            : std::string_view(static_cast<const char*>(m->key), m->key_len);
      r.value = r.value_is_null ? std::string_view()
                                : std::string_view(static_cast<const char*>(m->payload), m->len);
      batch.records_.push_back(r);
    }
  }
  return Status::Ok();
}

namespace {
// A failed watermark query: unknown topic/partition, timeout, or otherwise unavailable.
Status WatermarkError(rd_kafka_resp_err_t err, const std::string& msg) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return Status::NotFound(msg);
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return Status::TimedOut(msg);
    default:
      return Status::Unavailable(msg);
  }
}
}  // namespace

Result<Watermarks> Consumer::QueryWatermarks(const std::string& topic, int32_t partition,
                                             std::chrono::milliseconds timeout) {
  Watermarks w;
  const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      handle_->get(), topic.c_str(), partition, &w.low, &w.high, static_cast<int>(timeout.count()));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return w;
  return WatermarkError(
      err, "watermarks of " + PartitionName(topic, partition) + ": " + RdKafkaErrorString(err));
}

Result<std::map<std::pair<std::string, int32_t>, Watermarks>> Consumer::QueryWatermarks(
    const std::vector<PartitionOffset>& partitions, std::chrono::milliseconds timeout) {
  std::map<std::pair<std::string, int32_t>, Watermarks> out;
  if (partitions.empty()) return out;
  // offsets_for_times with Kafka's special timestamps (-2 earliest, -1 latest) sends the
  // ListOffsets requests rd_kafka_query_watermark_offsets sends, with the same isolation
  // level, batched per leader.
  for (const int64_t query : {int64_t{-2}, int64_t{-1}}) {
    PartitionListPtr list = ToList(partitions);
    for (int i = 0; i < list->cnt; ++i) list->elems[i].offset = query;
    rd_kafka_resp_err_t err =
        rd_kafka_offsets_for_times(handle_->get(), list.get(), static_cast<int>(timeout.count()));
    std::string where = "watermarks of " + std::to_string(partitions.size()) + " partition(s)";
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& p = list->elems[i];
      if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        err = p.err;
        where = "watermarks of " + PartitionName(p.topic, p.partition);
        break;
      }
      Watermarks& w = out[{p.topic, p.partition}];
      (query == -2 ? w.low : w.high) = p.offset;
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    return WatermarkError(err, where + ": " + RdKafkaErrorString(err));
  }
  return out;
}

std::optional<Watermarks> Consumer::CachedWatermarks(const std::string& topic,
                                                     int32_t partition) const {
  Watermarks w;
  if (rd_kafka_get_watermark_offsets(handle_->get(), topic.c_str(), partition, &w.low, &w.high) !=
          RD_KAFKA_RESP_ERR_NO_ERROR ||
      w.high < 0) {
    return std::nullopt;
  }
  return w;
}

bool Consumer::AllAtEnd() const {
  for (const auto& [tp, end] : at_end_) {
    if (!end) return false;
  }
  return true;
}

}  // namespace brook::client
