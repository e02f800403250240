#include "client/admin.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <thread>

#include "client/rdkafka_util.h"

namespace brook::client {
namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
};
struct DeleteTopicDeleter {
  void operator()(rd_kafka_DeleteTopic_t* t) const { rd_kafka_DeleteTopic_destroy(t); }
};
struct ConfigResourceDeleter {
  void operator()(rd_kafka_ConfigResource_t* r) const { rd_kafka_ConfigResource_destroy(r); }
};
struct ListGroupOffsetsDeleter {
  void operator()(rd_kafka_ListConsumerGroupOffsets_t* l) const {
    rd_kafka_ListConsumerGroupOffsets_destroy(l);
  }
};
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

// The operation timeout exists for topic creation and deletion only; DescribeConfigs
// refuses it.
Result<std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter>> Options(
    rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout) {
  std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter> opts(rd_kafka_AdminOptions_new(rk, op));
  std::array<char, 256> err{};
  const bool operation_timeout =
      op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS;
  if (rd_kafka_AdminOptions_set_request_timeout(opts.get(), static_cast<int>(timeout.count()),
                                                err.data(),
                                                err.size()) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      (operation_timeout && rd_kafka_AdminOptions_set_operation_timeout(
                                opts.get(), static_cast<int>(timeout.count()), err.data(),
                                err.size()) != RD_KAFKA_RESP_ERR_NO_ERROR)) {
    return Status::InvalidArgument(std::string("admin options: ") + err.data());
  }
  return opts;
}

// Waits for the admin result event; the queue poll is bounded a little beyond the request
// timeout so a lost answer cannot hang the caller.
Result<EventPtr> WaitResult(rd_kafka_queue_t* q, std::chrono::milliseconds timeout,
                            const std::string& what) {
  EventPtr ev(rd_kafka_queue_poll(q, static_cast<int>(timeout.count()) + 2000));
  if (!ev) return Status::TimedOut(what + ": no answer within " + std::to_string(timeout.count()) + " ms");
  if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const auto err = rd_kafka_event_error(ev.get());
    const std::string msg = what + ": " + rd_kafka_event_error_string(ev.get());
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) return Status::TimedOut(msg);
    return Status::Unavailable(msg);
  }
  return ev;
}

Status TopicResultStatus(const rd_kafka_topic_result_t* r, const std::string& what) {
  const auto err = rd_kafka_topic_result_error(r);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  const char* detail = rd_kafka_topic_result_error_string(r);
  std::string msg = what + ": " + RdKafkaErrorString(err);
  if (detail != nullptr && *detail != '\0') msg += " (" + std::string(detail) + ")";
  switch (err) {
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: return Status::AlreadyExists(msg);
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART: return Status::NotFound(msg);
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT: return Status::TimedOut(msg);
    default: return Status::InvalidArgument(msg);
  }
}

}  // namespace

Result<std::unique_ptr<Admin>> Admin::Create(const Config& config) {
  BROOK_ASSIGN_OR_RETURN(auto conf, BuildRdKafkaConf(config, ClientRole::kAdmin));
  BROOK_ASSIGN_OR_RETURN(auto handle, KafkaHandle::Create(config, ClientRole::kAdmin, std::move(conf)));
  BROOK_RETURN_IF_ERROR(handle->CheckReachable());
  return std::unique_ptr<Admin>(
      new Admin(std::move(handle), std::chrono::milliseconds(config.GetInt("request.timeout.ms"))));
}

Result<std::vector<TopicInfo>> Admin::Metadata(const std::string* only_topic) {
  rd_kafka_topic_t* rkt = nullptr;
  if (only_topic != nullptr) rkt = rd_kafka_topic_new(handle_->get(), only_topic->c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const auto err = rd_kafka_metadata(handle_->get(), rkt == nullptr ? 1 : 0, rkt, &md,
                                     static_cast<int>(request_timeout_.count()));
  if (rkt != nullptr) rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::Unavailable("metadata request to " + handle_->bootstrap_servers() +
                               " failed: " + RdKafkaErrorString(err));
  }
  std::vector<TopicInfo> out;
  Status status;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::string msg = "topic '" + std::string(t.topic) + "': " + RdKafkaErrorString(t.err);
      status = t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? Status::NotFound(msg)
                                                                : Status::Unavailable(msg);
      continue;
    }
    TopicInfo info{.name = t.topic, .partitions = t.partition_cnt};
    if (t.partition_cnt > 0) info.replication_factor = t.partitions[0].replica_cnt;
    out.push_back(std::move(info));
  }
  rd_kafka_metadata_destroy(md);
  if (only_topic != nullptr && out.empty()) {
    if (!status.ok()) return status;
    return Status::NotFound("topic '" + *only_topic + "' does not exist");
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

Result<std::vector<TopicInfo>> Admin::ListTopics(bool include_internal) {
  BROOK_ASSIGN_OR_RETURN(auto topics, Metadata(nullptr));
  if (!include_internal) {
    std::erase_if(topics, [](const TopicInfo& t) { return t.name.rfind("__", 0) == 0; });
  }
  return topics;
}

Result<TopicInfo> Admin::DescribeTopic(const std::string& name) {
  BROOK_ASSIGN_OR_RETURN(auto topics, Metadata(&name));
  return topics.front();
}

Status Admin::CreateTopic(const NewTopic& topic) {
  const std::string what = "create topic '" + topic.name + "'";
  std::array<char, 512> err{};
  std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter> nt(rd_kafka_NewTopic_new(
      topic.name.c_str(), topic.partitions, topic.replication_factor, err.data(), err.size()));
  if (!nt) return Status::InvalidArgument(what + ": " + err.data());
  for (const auto& [k, v] : topic.configs) {
    if (rd_kafka_NewTopic_set_config(nt.get(), k.c_str(), v.c_str()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::InvalidArgument(fmt::format("{}: bad topic config '{}'", what, k));
    }
  }
  BROOK_ASSIGN_OR_RETURN(auto opts, Options(handle_->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS,
                                            request_timeout_));
  QueuePtr q(rd_kafka_queue_new(handle_->get()));
  rd_kafka_NewTopic_t* arr[] = {nt.get()};
  rd_kafka_CreateTopics(handle_->get(), arr, 1, opts.get(), q.get());
  BROOK_ASSIGN_OR_RETURN(auto ev, WaitResult(q.get(), request_timeout_, what));
  const auto* res = rd_kafka_event_CreateTopics_result(ev.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(res, &n);
  for (size_t i = 0; i < n; ++i) BROOK_RETURN_IF_ERROR(TopicResultStatus(results[i], what));

  // Creation is acknowledged by the controller before every broker's metadata shows it.
  const auto deadline = std::chrono::steady_clock::now() + request_timeout_;
  while (true) {
    auto info = DescribeTopic(topic.name);
    if (info.ok() && info->partitions == topic.partitions) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::TimedOut(what + ": created, but not visible in metadata within " +
                              std::to_string(request_timeout_.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Status Admin::DeleteTopic(const std::string& name) {
  const std::string what = "delete topic '" + name + "'";
  std::unique_ptr<rd_kafka_DeleteTopic_t, DeleteTopicDeleter> dt(rd_kafka_DeleteTopic_new(name.c_str()));
  BROOK_ASSIGN_OR_RETURN(auto opts, Options(handle_->get(), RD_KAFKA_ADMIN_OP_DELETETOPICS,
                                            request_timeout_));
  QueuePtr q(rd_kafka_queue_new(handle_->get()));
  rd_kafka_DeleteTopic_t* arr[] = {dt.get()};
  rd_kafka_DeleteTopics(handle_->get(), arr, 1, opts.get(), q.get());
  BROOK_ASSIGN_OR_RETURN(auto ev, WaitResult(q.get(), request_timeout_, what));
  const auto* res = rd_kafka_event_DeleteTopics_result(ev.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_DeleteTopics_result_topics(res, &n);
  for (size_t i = 0; i < n; ++i) BROOK_RETURN_IF_ERROR(TopicResultStatus(results[i], what));
  return Status::Ok();
}

Result<std::map<std::string, std::string>> Admin::DescribeTopicConfigs(const std::string& name) {
  const std::string what = "describe configs of topic '" + name + "'";
  std::unique_ptr<rd_kafka_ConfigResource_t, ConfigResourceDeleter> resource(
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str()));
  BROOK_ASSIGN_OR_RETURN(
      auto opts, Options(handle_->get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, request_timeout_));
  QueuePtr q(rd_kafka_queue_new(handle_->get()));
  rd_kafka_ConfigResource_t* arr[] = {resource.get()};
  rd_kafka_DescribeConfigs(handle_->get(), arr, 1, opts.get(), q.get());
  BROOK_ASSIGN_OR_RETURN(auto ev, WaitResult(q.get(), request_timeout_, what));
  const auto* res = rd_kafka_event_DescribeConfigs_result(ev.get());
  size_t n = 0;
  const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(res, &n);
  if (n != 1) return Status::Internal(what + ": " + std::to_string(n) + " resources in the answer");
  const auto err = rd_kafka_ConfigResource_error(resources[0]);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const std::string msg = what + ": " + RdKafkaErrorString(err);
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return Status::NotFound(msg);
    return Status::Unavailable(msg);
  }
  std::map<std::string, std::string> out;
  size_t entries = 0;
  const rd_kafka_ConfigEntry_t** configs = rd_kafka_ConfigResource_configs(resources[0], &entries);
  for (size_t i = 0; i < entries; ++i) {
    const char* value = rd_kafka_ConfigEntry_value(configs[i]);
    if (value != nullptr) out.emplace(rd_kafka_ConfigEntry_name(configs[i]), value);
  }
  return out;
}

namespace {

PartitionListPtr ToList(const std::vector<PartitionKey>& partitions) {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& [topic, partition] : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  }
  return list;
}

std::string PartitionName(const rd_kafka_topic_partition_t& p) {
  return "topic '" + std::string(p.topic) + "' partition " + std::to_string(p.partition);
}

}  // namespace

Result<std::map<PartitionKey, int64_t>> Admin::ListOffsets(
    const std::vector<PartitionKey>& partitions, OffsetSpec spec) {
  std::map<PartitionKey, int64_t> out;
  if (partitions.empty()) return out;
  PartitionListPtr list = ToList(partitions);
  // offsets_for_times with Kafka's special timestamps: -2 = earliest, -1 = latest.
  const int64_t query = spec == OffsetSpec::kEarliest ? -2 : -1;
  for (int i = 0; i < list->cnt; ++i) list->elems[i].offset = query;
  const auto err = rd_kafka_offsets_for_times(handle_->get(), list.get(),
                                              static_cast<int>(request_timeout_.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const std::string msg = "list offsets: " + RdKafkaErrorString(err);
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) return Status::TimedOut(msg);
    if (err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) return Status::NotFound(msg);
    return Status::Unavailable(msg);
  }
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = list->elems[i];
    if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::string msg =
          "list offsets of " + PartitionName(p) + ": " + RdKafkaErrorString(p.err);
      if (p.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
          p.err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
        return Status::NotFound(msg);
      }
      return Status::Unavailable(msg);
    }
    out[PartitionKey{p.topic, p.partition}] = p.offset;
  }
  return out;
}

Result<std::map<PartitionKey, int64_t>> Admin::ListGroupOffsets(
    const std::string& group, const std::vector<PartitionKey>& partitions) {
  std::map<PartitionKey, int64_t> out;
  if (partitions.empty()) return out;
  const std::string what = "list the offsets of group '" + group + "'";
  PartitionListPtr list = ToList(partitions);
  std::unique_ptr<rd_kafka_ListConsumerGroupOffsets_t, ListGroupOffsetsDeleter> request(
      rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), list.get()));
  BROOK_ASSIGN_OR_RETURN(
      auto opts,
      Options(handle_->get(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, request_timeout_));
  QueuePtr q(rd_kafka_queue_new(handle_->get()));
  rd_kafka_ListConsumerGroupOffsets_t* arr[] = {request.get()};
  rd_kafka_ListConsumerGroupOffsets(handle_->get(), arr, 1, opts.get(), q.get());
  BROOK_ASSIGN_OR_RETURN(auto ev, WaitResult(q.get(), request_timeout_, what));
  const auto* res = rd_kafka_event_ListConsumerGroupOffsets_result(ev.get());
  size_t n = 0;
  const rd_kafka_group_result_t** groups = rd_kafka_ListConsumerGroupOffsets_result_groups(res, &n);
  for (size_t g = 0; g < n; ++g) {
    if (const rd_kafka_error_t* e = rd_kafka_group_result_error(groups[g]); e != nullptr) {
      return Status::Unavailable(what + ": " + rd_kafka_error_string(e));
    }
    const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(groups[g]);
    for (int i = 0; parts != nullptr && i < parts->cnt; ++i) {
      const rd_kafka_topic_partition_t& p = parts->elems[i];
      if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return Status::Unavailable(what + ": " + PartitionName(p) + ": " +
                                   RdKafkaErrorString(p.err));
      }
      if (p.offset >= 0) out[PartitionKey{p.topic, p.partition}] = p.offset;
    }
  }
  return out;
}

Result<GroupDescription> Admin::DescribeGroup(const std::string& group) {
  const std::string what = "describe group '" + group + "'";
  BROOK_ASSIGN_OR_RETURN(
      auto opts,
      Options(handle_->get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, request_timeout_));
  QueuePtr q(rd_kafka_queue_new(handle_->get()));
  const char* groups[] = {group.c_str()};
  rd_kafka_DescribeConsumerGroups(handle_->get(), groups, 1, opts.get(), q.get());
  BROOK_ASSIGN_OR_RETURN(auto ev, WaitResult(q.get(), request_timeout_, what));
  const auto* res = rd_kafka_event_DescribeConsumerGroups_result(ev.get());
  size_t n = 0;
  const rd_kafka_ConsumerGroupDescription_t** descs =
      rd_kafka_DescribeConsumerGroups_result_groups(res, &n);
  if (n != 1) return Status::Internal(what + ": " + std::to_string(n) + " groups in the answer");
  if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(descs[0]); e != nullptr) {
    return Status::Unavailable(what + ": " + rd_kafka_error_string(e));
  }
  return GroupDescription{
      .state =
          rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(descs[0])),
      .members = static_cast<int>(rd_kafka_ConsumerGroupDescription_member_count(descs[0]))};
}

}  // namespace brook::client
