#include "runtime/kafka_collector.h"

#include <array>
#include <thread>
#include <vector>

#include "client/client_config.h"
#include "client/rdkafka_util.h"
#include "common/log.h"

namespace brook::runtime {
namespace {

using client::ErrorPtr;

// Status for a transactional API error: fenced/fatal -> kFailedPrecondition, abortable ->
// kUnavailable (the caller aborts), others kInternal.
Status TxnStatus(std::string_view step, ErrorPtr error) {
  const std::string msg = std::string(step) + ": " + rd_kafka_error_name(error.get()) + ": " +
                          rd_kafka_error_string(error.get());
  if (rd_kafka_error_is_fatal(error.get())) {
    return Status::FailedPrecondition(msg + " (fatal: the producer is fenced or broken)");
  }
  if (rd_kafka_error_txn_requires_abort(error.get())) {
    return Status::Unavailable(msg + " (the transaction must be aborted)");
  }
  if (rd_kafka_error_is_retriable(error.get())) return Status::Unavailable(msg);
  return Status::Internal(msg);
}

rd_kafka_headers_t* ToHeaders(const std::vector<RawHeader>* headers, size_t extra) {
  if ((headers == nullptr || headers->empty()) && extra == 0) return nullptr;
  rd_kafka_headers_t* h = rd_kafka_headers_new((headers ? headers->size() : 0) + extra);
  if (headers != nullptr) {
    for (const RawHeader& hd : *headers) {
      rd_kafka_header_add(h, hd.key.data(), static_cast<ssize_t>(hd.key.size()),
                          hd.value ? hd.value->data() : nullptr,
                          hd.value ? static_cast<ssize_t>(hd.value->size()) : 0);
    }
  }
  return h;
}

void AddHeader(rd_kafka_headers_t* h, std::string_view key, std::string_view value) {
  rd_kafka_header_add(h, key.data(), static_cast<ssize_t>(key.size()), value.data(),
                      static_cast<ssize_t>(value.size()));
}

}  // namespace

Result<std::unique_ptr<KafkaCollector>> KafkaCollector::Create(const Config& config,
                                                               CollectorOptions options) {
  const bool eos = options.guarantee == ProcessingGuarantee::kExactlyOnceV2;
  if (eos && options.transactional_id.empty()) {
    return Status::InvalidArgument("exactly_once_v2 needs a transactional.id");
  }
  BROOK_ASSIGN_OR_RETURN(auto conf,
                         client::BuildRdKafkaConf(config, client::ClientRole::kProducer));
  std::array<char, 512> err{};
  auto set = [&](const char* key, const std::string& value) -> Status {
    if (rd_kafka_conf_set(conf.get(), key, value.c_str(), err.data(), err.size()) !=
        RD_KAFKA_CONF_OK) {
      return Status::InvalidArgument(std::string(key) + ": " + err.data());
    }
    return Status::Ok();
  };
  if (eos) {
    BROOK_RETURN_IF_ERROR(set("transactional.id", options.transactional_id));
    BROOK_RETURN_IF_ERROR(set("enable.idempotence", "true"));
  }
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaCollector::DeliveryCallback);
  std::unique_ptr<KafkaCollector> c(new KafkaCollector(std::move(options)));
  BROOK_ASSIGN_OR_RETURN(c->handle_, client::KafkaHandle::Create(
                                         config, client::ClientRole::kProducer, std::move(conf)));
  c->request_timeout_ = std::chrono::milliseconds(config.GetInt("request.timeout.ms"));
  BROOK_RETURN_IF_ERROR(c->handle_->CheckReachable());
  return c;
}

KafkaCollector::~KafkaCollector() {
  if (handle_) rd_kafka_flush(handle_->get(), static_cast<int>(request_timeout_.count()));
  for (auto& [name, topic] : topics_) rd_kafka_topic_destroy(topic->rkt);
  // Destroyed before the topic states: delivery reports of records still queued point at them.
  handle_.reset();
}

void KafkaCollector::SetError(Status s) {
  std::lock_guard lock(mu_);
  if (error_.ok()) {
    error_ = std::move(s);
    has_error_.store(!error_.ok(), std::memory_order_release);
  }
}

Result<KafkaCollector::TopicState*> KafkaCollector::Topic(std::string_view name) {
  {
    std::shared_lock lock(topics_mu_);
    if (auto it = topics_.find(name); it != topics_.end()) return it->second.get();
  }
  std::unique_lock lock(topics_mu_);
  if (auto it = topics_.find(name); it != topics_.end()) return it->second.get();
  auto topic = std::make_unique<TopicState>();
  topic->owner = this;
  topic->name = std::string(name);
  topic->rkt = rd_kafka_topic_new(handle_->get(), topic->name.c_str(), nullptr);
  if (topic->rkt == nullptr) {
    return Status::InvalidArgument("produce to topic '" + topic->name +
                                   "': " + client::RdKafkaErrorString(rd_kafka_last_error()));
  }
  TopicState* out = topic.get();
  topics_.emplace(topic->name, std::move(topic));
  return out;
}

Status KafkaCollector::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

CollectorStats KafkaCollector::stats() const {
  return CollectorStats{.sent = sent_.load(),
                        .delivered = delivered_.load(),
                        .failed = failed_.load(),
                        .skipped = skipped_.load(),
                        .dead_lettered = dead_lettered_.load()};
}

void KafkaCollector::DeliveryCallback(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg,
                                      void* /*opaque*/) {
  auto* topic = static_cast<TopicState*>(msg->_private);
  if (topic != nullptr) topic->owner->OnDelivery(*topic, msg);
}

void KafkaCollector::OnDelivery(TopicState& state, const rd_kafka_message_t* msg) {
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    delivered_.fetch_add(1, std::memory_order_relaxed);
    if (msg->partition < 0) return;
    const auto p = static_cast<size_t>(msg->partition);
    std::lock_guard lock(mu_);
    if (state.acked.size() <= p) state.acked.resize(p + 1, -1);
    state.acked[p] = std::max(state.acked[p], msg->offset + 1);
    return;
  }
  const std::string& topic = state.name;
  failed_.fetch_add(1, std::memory_order_relaxed);
  const std::string what = "producing to topic '" + topic + "' partition " +
                           std::to_string(msg->partition) +
                           " failed: " + client::RdKafkaErrorString(msg->err);
  if (transactional() || options_.production_errors == ErrorHandling::kFail ||
      topic == options_.dead_letter_topic) {
    // A newer producer with the same transactional.id fenced this one (a second instance
    // claimed the same identity): say so, whichever error code the broker chose to send.
    std::array<char, 512> fatal{};
    const rd_kafka_resp_err_t fatal_err =
        rd_kafka_fatal_error(handle_->get(), fatal.data(), fatal.size());
    if (transactional() &&
        (fatal_err != RD_KAFKA_RESP_ERR_NO_ERROR || msg->err == RD_KAFKA_RESP_ERR__FENCED ||
         msg->err == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH ||
         msg->err == RD_KAFKA_RESP_ERR_PRODUCER_FENCED)) {
      std::string why = what + " (FENCED: another producer with transactional.id '" +
                        options_.transactional_id + "' took over";
      if (fatal_err != RD_KAFKA_RESP_ERR_NO_ERROR) why += std::string("; ") + fatal.data();
      SetError(Status::FailedPrecondition(why + ")"));
      return;
    }
    SetError(Status::Unavailable(what));
    return;
  }
  if (options_.production_errors == ErrorHandling::kLogAndContinue) {
    skipped_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_skip_log_ > std::chrono::seconds(1)) {
      last_skip_log_ = now;
      Logger().warn("{} (skipped by production.exception.handler=log-and-continue; {} so far)",
                    what, skipped_.load());
    }
    return;
  }
  // Dead letter: the record as it was meant to be written, plus why it was not.
  const Headers headers = client::MessageHeaders(msg);
  rd_kafka_timestamp_type_t tstype = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const int64_t ts = rd_kafka_message_timestamp(msg, &tstype);
  const Status s = SendDeadLetter(
      DeadLetter{.topic = topic,
                 .partition = msg->partition,
                 .offset = -1,
                 .key = msg->key ? std::optional<std::string_view>(std::string_view(
                                       static_cast<const char*>(msg->key), msg->key_len))
                                 : std::nullopt,
                 .value = msg->payload ? std::optional<std::string_view>(std::string_view(
                                             static_cast<const char*>(msg->payload), msg->len))
                                       : std::nullopt,
                 .timestamp_ms = ts,
                 .headers = &headers,
                 .stage = "production",
                 .error = what});
  if (!s.ok()) SetError(s.WithContext("dead-lettering a failed record"));
}

Status KafkaCollector::Produce(std::string_view topic, int32_t partition,
                               std::optional<std::string_view> key,
                               std::optional<std::string_view> value, int64_t timestamp_ms,
                               rd_kafka_headers_t* headers, bool blocking) {
  // A cached topic handle: producing by name makes librdkafka look the topic up under its
  // handle-wide write lock on every record.
  Result<TopicState*> state = Topic(topic);
  if (!state.ok()) {
    if (headers != nullptr) rd_kafka_headers_destroy(headers);
    return state.status();
  }
  const std::string& topic_str = (*state)->name;
  std::optional<std::chrono::steady_clock::time_point> deadline;  // read only when queue full
  while (true) {
    // rd_kafka_produceva rather than the producev macros (C casts, -Werror).
    std::array<rd_kafka_vu_t, 8> vus{};
    size_t n = 0;
    vus[n].vtype = RD_KAFKA_VTYPE_RKT;
    vus[n++].u.rkt = (*state)->rkt;
    vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
    vus[n++].u.i32 = partition < 0 ? RD_KAFKA_PARTITION_UA : partition;
    vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
    vus[n].vtype = RD_KAFKA_VTYPE_KEY;
    vus[n].u.mem.ptr = key ? const_cast<char*>(key->data()) : nullptr;
    vus[n++].u.mem.size = key ? key->size() : 0;
    vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
    vus[n].u.mem.ptr = value ? const_cast<char*>(value->data()) : nullptr;
    vus[n++].u.mem.size = value ? value->size() : 0;
    vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
    vus[n++].u.i64 = timestamp_ms >= 0 ? timestamp_ms : 0;
    vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vus[n++].u.ptr = *state;
    if (headers != nullptr) {
      vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
      vus[n++].u.headers = headers;
    }
    rd_kafka_error_t* perr = rd_kafka_produceva(handle_->get(), vus.data(), n);
    const rd_kafka_resp_err_t err = perr ? rd_kafka_error_code(perr) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (perr != nullptr) rd_kafka_error_destroy(perr);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {  // headers now belong to librdkafka
      sent_.fetch_add(1, std::memory_order_relaxed);
      return Status::Ok();
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && blocking && !deadline) {
      deadline = std::chrono::steady_clock::now() + request_timeout_;
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || !blocking ||
        std::chrono::steady_clock::now() >= *deadline) {
      if (headers != nullptr) rd_kafka_headers_destroy(headers);
      std::string where = "produce to topic '" + topic_str + "'";
      if (partition >= 0) where += " partition " + std::to_string(partition);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        return Status::TimedOut(where + ": local queue stayed full for " +
                                std::to_string(request_timeout_.count()) + " ms");
      }
      if (err == RD_KAFKA_RESP_ERR__FATAL || err == RD_KAFKA_RESP_ERR__FENCED) {
        return Status::FailedPrecondition(where + ": " + client::RdKafkaErrorString(err));
      }
      return Status::InvalidArgument(where + ": " + client::RdKafkaErrorString(err));
    }
    rd_kafka_poll(handle_->get(), 10);
  }
}

Status KafkaCollector::Send(const OutgoingRecord& record) {
  if (has_error_.load(std::memory_order_acquire)) {
    std::lock_guard lock(mu_);
    if (!error_.ok()) return error_;
  }
  rd_kafka_headers_t* headers = ToHeaders(record.headers, 0);
  Status s = Produce(record.topic, record.partition, record.key, record.value, record.timestamp_ms,
                     headers, /*blocking=*/true);
  if (!s.ok() && s.code() != StatusCode::kFailedPrecondition && !transactional() &&
      options_.production_errors != ErrorHandling::kFail) {
    // Rejected locally (e.g. larger than message.max.bytes): the handler decides.
    failed_.fetch_add(1, std::memory_order_relaxed);
    if (options_.production_errors == ErrorHandling::kLogAndContinue) {
      skipped_.fetch_add(1, std::memory_order_relaxed);
      Logger().warn("{} (skipped by production.exception.handler=log-and-continue)", s.message());
      return Status::Ok();
    }
    return SendDeadLetter(DeadLetter{.topic = record.topic,
                                     .partition = record.partition,
                                     .key = record.key,
                                     .value = record.value,
                                     .timestamp_ms = record.timestamp_ms,
                                     .headers = record.headers,
                                     .stage = "production",
                                     .error = s.message()});
  }
  return s;
}

Status KafkaCollector::SendDeadLetter(const DeadLetter& letter) {
  if (options_.dead_letter_topic.empty()) {
    return Status::FailedPrecondition("no dead-letter topic configured");
  }
  rd_kafka_headers_t* h = ToHeaders(letter.headers, 5);
  AddHeader(h, kDlqErrorHeader, letter.error);
  AddHeader(h, kDlqTopicHeader, letter.topic);
  AddHeader(h, kDlqPartitionHeader, std::to_string(letter.partition));
  AddHeader(h, kDlqOffsetHeader, std::to_string(letter.offset));
  AddHeader(h, kDlqStageHeader, letter.stage);
  // Not blocking: this may run inside a delivery report, where waiting for the queue to
  // drain would deadlock.
  Status s = Produce(options_.dead_letter_topic, kPartitionByKey, letter.key, letter.value,
                     letter.timestamp_ms, h, /*blocking=*/false);
  if (s.ok()) dead_lettered_.fetch_add(1, std::memory_order_relaxed);
  return s;
}

void KafkaCollector::Poll() {
  rd_kafka_poll(handle_->get(), 0);
}

Status KafkaCollector::Flush(std::chrono::milliseconds timeout) {
  const rd_kafka_resp_err_t err = rd_kafka_flush(handle_->get(), static_cast<int>(timeout.count()));
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    return Status::TimedOut(std::to_string(rd_kafka_outq_len(handle_->get())) +
                            " records still unacknowledged by " + handle_->bootstrap_servers() +
                            " after " + std::to_string(timeout.count()) + " ms");
  }
  std::array<char, 512> reason{};
  const rd_kafka_resp_err_t fatal =
      rd_kafka_fatal_error(handle_->get(), reason.data(), reason.size());
  if (fatal != RD_KAFKA_RESP_ERR_NO_ERROR) {
    SetError(Status::FailedPrecondition(std::string("producer: fatal error ") +
                                        rd_kafka_err2name(fatal) + ": " + reason.data()));
  }
  return error();
}

std::map<group::TopicPartition, int64_t> KafkaCollector::AckedOffsets() const {
  std::map<group::TopicPartition, int64_t> out;
  std::shared_lock topics_lock(topics_mu_);
  std::lock_guard lock(mu_);
  for (const auto& [name, topic] : topics_) {
    for (size_t p = 0; p < topic->acked.size(); ++p) {
      if (topic->acked[p] >= 0)
        out.emplace(group::TopicPartition{name, static_cast<int32_t>(p)}, topic->acked[p]);
    }
  }
  return out;
}

void KafkaCollector::ResetAfterAbort() {
  std::lock_guard lock(mu_);
  if (error_.code() != StatusCode::kFailedPrecondition) {
    error_ = Status::Ok();
    has_error_.store(false, std::memory_order_release);
  }
}

Status KafkaCollector::InitTransactions(std::chrono::milliseconds timeout) {
  ErrorPtr e(rd_kafka_init_transactions(handle_->get(), static_cast<int>(timeout.count())));
  if (e)
    return TxnStatus("init transactions (transactional.id '" + options_.transactional_id + "')",
                     std::move(e));
  return Status::Ok();
}

Status KafkaCollector::BeginTransaction() {
  ErrorPtr e(rd_kafka_begin_transaction(handle_->get()));
  if (e) return TxnStatus("begin transaction", std::move(e));
  return Status::Ok();
}

Status KafkaCollector::CommitTransaction(const std::map<group::TopicPartition, int64_t>& offsets,
                                         const TxnGroup& group, std::chrono::milliseconds timeout) {
  BROOK_RETURN_IF_ERROR(error());
  if (!offsets.empty()) {
    client::PartitionListPtr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& [tp, offset] : offsets) {
      rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
          offset;
    }
    client::GroupMetadataPtr md(rd_kafka_consumer_group_metadata_new_with_genid(
        group.group_id.c_str(), group.generation, group.member_id.c_str(),
        group.group_instance_id.empty() ? nullptr : group.group_instance_id.c_str()));
    ErrorPtr e(rd_kafka_send_offsets_to_transaction(handle_->get(), list.get(), md.get(),
                                                    static_cast<int>(timeout.count())));
    if (e) {
      return TxnStatus(
          "send offsets to transaction (generation " + std::to_string(group.generation) + ")",
          std::move(e));
    }
  }
  ErrorPtr e(rd_kafka_commit_transaction(handle_->get(), static_cast<int>(timeout.count())));
  if (e) return TxnStatus("commit transaction", std::move(e));
  return error();
}

Status KafkaCollector::AbortTransaction(std::chrono::milliseconds timeout) {
  ErrorPtr e(rd_kafka_abort_transaction(handle_->get(), static_cast<int>(timeout.count())));
  if (e) return TxnStatus("abort transaction", std::move(e));
  std::lock_guard lock(mu_);
  // Acknowledged records of an aborted transaction never become visible.
  return Status::Ok();
}

}  // namespace brook::runtime
