#include "client/producer.h"

#include <utility>

namespace brook::client {

Result<std::unique_ptr<Producer>> Producer::Create(const Config& config) {
  BROOK_ASSIGN_OR_RETURN(auto conf, BuildRdKafkaConf(config, ClientRole::kProducer));
  std::unique_ptr<Producer> p(new Producer());
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &Producer::DeliveryCallback);
  // The delivery callback needs the Producer; KafkaHandle owns the handle's opaque, so the
  // Producer is passed per message instead (msg_opaque).
  BROOK_ASSIGN_OR_RETURN(p->handle_,
                         KafkaHandle::Create(config, ClientRole::kProducer, std::move(conf)));
  p->request_timeout_ = std::chrono::milliseconds(config.GetInt("request.timeout.ms"));
  BROOK_RETURN_IF_ERROR(p->handle_->CheckReachable());
  return p;
}

Producer::~Producer() {
  if (handle_) {
    // Best effort: records not delivered by now are reported as failed by librdkafka's
    // destroy; callers that care call Flush() first and check it.
    rd_kafka_flush(handle_->get(), static_cast<int>(request_timeout_.count()));
    for (auto& [name, rkt] : topics_) rd_kafka_topic_destroy(rkt);
    topics_.clear();
  }
}

void Producer::DeliveryCallback(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg,
                                void* /*opaque*/) {
  auto* self = static_cast<Producer*>(msg->_private);
  if (self == nullptr) return;
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->delivered_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  self->failed_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(self->error_mu_);
  if (self->first_error_.empty()) {
    self->first_error_ = "delivery to topic '" + std::string(rd_kafka_topic_name(msg->rkt)) +
                         "' partition " + std::to_string(msg->partition) +
                         " failed: " + RdKafkaErrorString(msg->err);
  }
}

rd_kafka_topic_t* Producer::Topic(const std::string& name) {
  std::lock_guard lock(topics_mu_);
  auto it = topics_.find(name);
  if (it != topics_.end()) return it->second;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(handle_->get(), name.c_str(), nullptr);
  if (rkt != nullptr) topics_.emplace(name, rkt);
  return rkt;
}

Status Producer::Send(const std::string& topic, std::string_view key, std::string_view value,
                      int32_t partition, bool key_is_null) {
  rd_kafka_topic_t* rkt = Topic(topic);
  if (rkt == nullptr) {
    return Status::InvalidArgument("topic '" + topic + "': " +
                                   RdKafkaErrorString(rd_kafka_last_error()));
  }
  const auto deadline = std::chrono::steady_clock::now() + request_timeout_;
  while (true) {
    const int rc = rd_kafka_produce(
        rkt, partition, RD_KAFKA_MSG_F_COPY, const_cast<char*>(value.data()), value.size(),
        key_is_null ? nullptr : key.data(), key_is_null ? 0 : key.size(), this);
    if (rc == 0) return Status::Ok();
    const rd_kafka_resp_err_t err = rd_kafka_last_error();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      std::string where = "topic '" + topic + "'";
      if (partition != kAnyPartition) where += " partition " + std::to_string(partition);
      return Status::InvalidArgument("produce to " + where + ": " + RdKafkaErrorString(err));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::TimedOut("produce to topic '" + topic + "': local queue stayed full for " +
                              std::to_string(request_timeout_.count()) + " ms");
    }
    rd_kafka_poll(handle_->get(), 10);
  }
}

void Producer::Poll() { rd_kafka_poll(handle_->get(), 0); }

Status Producer::Flush() {
  const auto err = rd_kafka_flush(handle_->get(), static_cast<int>(request_timeout_.count()));
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    return Status::TimedOut(std::to_string(rd_kafka_outq_len(handle_->get())) +
                            " records still unacknowledged by " + handle_->bootstrap_servers() +
                            " after " + std::to_string(request_timeout_.count()) + " ms");
  }
  std::lock_guard lock(error_mu_);
  if (!first_error_.empty()) {
    return Status::Unavailable(first_error_ + " (" + std::to_string(failed_.load()) +
                               " records failed in all)");
  }
  return Status::Ok();
}

}  // namespace brook::client
