// brook topics create|list|describe|delete
#include <iomanip>

#include "cli/commands.h"
#include "client/admin.h"

namespace brook::cli {

Status TopicsCreate(const Config& config, const TopicsCreateOptions& o, std::ostream& out) {
  client::NewTopic t{.name = o.topic,
                     .partitions = o.partitions,
                     .replication_factor = o.replication_factor};
  for (const auto& kv : o.configs) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("topic config '" + kv + "' must have the form key=value");
    }
    t.configs[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  BROOK_ASSIGN_OR_RETURN(auto admin, client::Admin::Create(config));
  Status s = admin->CreateTopic(t);
  if (s.code() == StatusCode::kAlreadyExists && o.if_not_exists) {
    BROOK_ASSIGN_OR_RETURN(auto info, admin->DescribeTopic(o.topic));
    if (info.partitions != o.partitions) {
      return Status::FailedPrecondition("topic '" + o.topic + "' exists with " +
                                        std::to_string(info.partitions) + " partitions, not " +
                                        std::to_string(o.partitions));
    }
    out << "topic '" << o.topic << "' exists (" << info.partitions << " partitions)\n";
    return Status::Ok();
  }
  BROOK_RETURN_IF_ERROR(s);
  out << "created topic '" << o.topic << "' (" << o.partitions << " partitions, replication "
      << o.replication_factor << ")\n";
  return Status::Ok();
}

Status TopicsList(const Config& config, bool include_internal, std::ostream& out) {
  BROOK_ASSIGN_OR_RETURN(auto admin, client::Admin::Create(config));
  BROOK_ASSIGN_OR_RETURN(auto topics, admin->ListTopics(include_internal));
  for (const auto& t : topics) out << t.name << "\n";
  return Status::Ok();
}

Status TopicsDescribe(const Config& config, const std::string& topic, std::ostream& out) {
  BROOK_ASSIGN_OR_RETURN(auto admin, client::Admin::Create(config));
  BROOK_ASSIGN_OR_RETURN(auto info, admin->DescribeTopic(topic));
  out << "topic: " << info.name << "\npartitions: " << info.partitions
      << "\nreplication-factor: " << info.replication_factor << "\n";
  return Status::Ok();
}

Status TopicsDelete(const Config& config, const std::string& topic, std::ostream& out) {
  BROOK_ASSIGN_OR_RETURN(auto admin, client::Admin::Create(config));
  BROOK_RETURN_IF_ERROR(admin->DeleteTopic(topic));
  out << "deleted topic '" << topic << "'\n";
  return Status::Ok();
}

}  // namespace brook::cli
