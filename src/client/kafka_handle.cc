#include "client/kafka_handle.h"

#include <array>

#include "common/log.h"

namespace brook::client {

std::string RdKafkaErrorString(rd_kafka_resp_err_t err) {
  std::string s = rd_kafka_err2name(err);
  s += ": ";
  s += rd_kafka_err2str(err);
  return s;
}

void KafkaHandle::ErrorCallback(rd_kafka_t* /*rk*/, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaHandle*>(opaque);
  {
    std::lock_guard lock(self->mu_);
    self->last_error_ = reason;
  }
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  // Transport errors are retried by librdkafka and reported by CheckReachable; keep them
  // out of the default log.
  if (code == RD_KAFKA_RESP_ERR__TRANSPORT || code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
      code == RD_KAFKA_RESP_ERR__RESOLVE) {
    Logger().debug("kafka: {} ({})", reason, rd_kafka_err2name(code));
  } else {
    Logger().warn("kafka: {} ({})", reason, rd_kafka_err2name(code));
  }
}

void KafkaHandle::LogCallback(const rd_kafka_t* /*rk*/, int level, const char* fac,
                              const char* buf) {
  // syslog levels: 0-2 critical, 3 error, 4 warning, 5 notice, 6 info, 7 debug. librdkafka
  // logs connection failures at level 3 on every retry; the error callback above reports
  // those once, so level 3 goes to debug here.
  if (level <= 2) {
    Logger().error("rdkafka {}: {}", fac, buf);
  } else if (level == 4) {
    Logger().warn("rdkafka {}: {}", fac, buf);
  } else {
    Logger().debug("rdkafka {}: {}", fac, buf);
  }
}

Result<std::unique_ptr<KafkaHandle>> KafkaHandle::Create(const Config& config, ClientRole role,
                                                         RdConfPtr conf) {
  std::unique_ptr<KafkaHandle> h(new KafkaHandle());
  h->bootstrap_ = config.GetString("bootstrap.servers");
  h->bootstrap_timeout_ = std::chrono::milliseconds(config.GetInt("bootstrap.timeout.ms"));
  rd_kafka_conf_set_opaque(conf.get(), h.get());
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaHandle::ErrorCallback);
  rd_kafka_conf_set_log_cb(conf.get(), &KafkaHandle::LogCallback);
  std::array<char, 512> err{};
  const rd_kafka_type_t type = role == ClientRole::kConsumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER;
  // rd_kafka_new takes ownership of conf only on success.
  h->rk_ = rd_kafka_new(type, conf.get(), err.data(), err.size());
  if (h->rk_ == nullptr) return Status::InvalidArgument(std::string("kafka client: ") + err.data());
  (void)conf.release();
  return h;
}

KafkaHandle::~KafkaHandle() {
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

std::string KafkaHandle::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

Status KafkaHandle::CheckReachable() {
  const rd_kafka_metadata_t* md = nullptr;
  const auto err = rd_kafka_metadata(rk_, /*all_topics=*/0, /*only_rkt=*/nullptr, &md,
                                     static_cast<int>(bootstrap_timeout_.count()));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_metadata_destroy(md);
    return Status::Ok();
  }
  std::string msg = "cannot reach Kafka at bootstrap.servers=" + bootstrap_ + " within " +
                    std::to_string(bootstrap_timeout_.count()) + " ms (" +
                    RdKafkaErrorString(err) + ")";
  if (const std::string last = last_error(); !last.empty()) msg += "; last error: " + last;
  return Status::Unavailable(msg);
}

}  // namespace brook::client
