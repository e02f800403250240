#include "group/group_config.h"

#include <chrono>
#include <string>

namespace brook::group {

void DefineGroupKeys(ConfigSchema& schema) {
  schema.Define({.name = "application.id",
                 .default_value = "brook-app",
                 .doc = "the consumer group id of the application's instances"});
  schema.Define({.name = "group.instance.id",
                 .default_value = "",
                 .doc = "static membership identity (the pod name in a StatefulSet); empty = "
                        "dynamic member"});
  schema.Define({.name = "rebalance.protocol",
                 .type = ConfigType::kEnum,
                 .default_value = "cooperative",
                 .doc = "cooperative (KIP-429, tasks kept through rebalances) or eager (every "
                        "task revoked on each rebalance; for comparison)",
                 .allowed_values = {"cooperative", "eager"}});
  schema.Define({.name = "session.timeout.ms",
                 .type = ConfigType::kInt,
                 .default_value = "45000",
                 .doc = "the coordinator drops a member after this long without a heartbeat",
                 .min = 1000,
                 .max = 3600000});
  schema.Define({.name = "heartbeat.interval.ms",
                 .type = ConfigType::kInt,
                 .default_value = "3000",
                 .doc = "time between heartbeats; below session.timeout.ms",
                 .min = 10,
                 .max = 3600000});
  schema.Define({.name = "max.poll.interval.ms",
                 .type = ConfigType::kInt,
                 .default_value = "300000",
                 .doc = "the member gives up its tasks when the processing loop stalls this long; "
                        "also the rebalance timeout",
                 .min = 1000,
                 .max = 86400000});
  schema.Define({.name = "num.standby.replicas",
                 .type = ConfigType::kInt,
                 .default_value = "0",
                 .doc = "standby copies of each stateful task on other instances",
                 .min = 0,
                 .max = 10});
  schema.Define({.name = "acceptable.recovery.lag",
                 .type = ConfigType::kInt,
                 .default_value = "10000",
                 .doc = "changelog records behind at which an instance counts as caught up",
                 .min = 0});
  schema.Define({.name = "max.warmup.replicas",
                 .type = ConfigType::kInt,
                 .default_value = "2",
                 .doc = "warmup replicas in the whole group at a time",
                 .min = 1,
                 .max = 1000});
  schema.Define({.name = "probing.rebalance.interval.ms",
                 .type = ConfigType::kInt,
                 .default_value = "600000",
                 .doc = "fallback follow-up rebalance while warmups are pending (a warmup that "
                        "catches up triggers one at once)",
                 .min = 1000});
  schema.Define({.name = "application.server",
                 .default_value = "",
                 .doc = "host:port where the other instances reach this instance's HTTP server "
                        "(interactive queries; see http.listen); empty = not advertised"});
  schema.Define({.name = "client.rack",
                 .default_value = "",
                 .doc = "rack or zone of this instance; standbys are spread across racks"});
}

Result<GroupOptions> GroupOptionsFromConfig(const Config& config) {
  using std::chrono::milliseconds;
  GroupOptions o;
  o.bootstrap_servers = config.GetString("bootstrap.servers");
  o.client_id = config.GetString("client.id");
  o.group_id = config.GetString("application.id");
  if (o.group_id.empty()) {
    return Status::InvalidArgument("application.id (" + config.Origin("application.id") +
                                   "): must not be empty");
  }
  if (const std::string& id = config.GetString("group.instance.id"); !id.empty()) {
    o.group_instance_id = id;
  }
  BROOK_ASSIGN_OR_RETURN(o.rebalance_protocol,
                         ParseRebalanceProtocol(config.GetString("rebalance.protocol")));
  o.session_timeout = milliseconds(config.GetInt("session.timeout.ms"));
  o.heartbeat_interval = milliseconds(config.GetInt("heartbeat.interval.ms"));
  if (o.heartbeat_interval >= o.session_timeout) {
    return Status::InvalidArgument(
        "heartbeat.interval.ms (" + std::to_string(o.heartbeat_interval.count()) + ", " +
        config.Origin("heartbeat.interval.ms") + ") must be lower than session.timeout.ms (" +
        std::to_string(o.session_timeout.count()) + ", " + config.Origin("session.timeout.ms") +
        ")");
  }
  o.max_poll_interval = milliseconds(config.GetInt("max.poll.interval.ms"));
  o.rebalance_timeout = o.max_poll_interval;
  o.request_timeout = milliseconds(config.GetInt("request.timeout.ms"));
  o.endpoint = config.GetString("application.server");
  if (!o.endpoint.empty()) {
    // Other instances connect to it: host:port with a real port (IPv6 hosts in [ ]).
    const size_t colon = o.endpoint.rfind(':');
    const std::string host = colon == std::string::npos ? "" : o.endpoint.substr(0, colon);
    const std::string port = colon == std::string::npos ? "" : o.endpoint.substr(colon + 1);
    const bool port_ok = !port.empty() && port.size() <= 5 &&
                         port.find_first_not_of("0123456789") == std::string::npos &&
                         std::stoi(port) >= 1 && std::stoi(port) <= 65535;
    const bool host_ok = !host.empty() && (host.find(':') == std::string::npos ||
                                           (host.front() == '[' && host.back() == ']'));
    if (!port_ok || !host_ok) {
      return Status::InvalidArgument("application.server (" + config.Origin("application.server") +
                                     "): '" + o.endpoint +
                                     "' is not host:port (port 1-65535, IPv6 host in [ ])");
    }
  }
  o.rack = config.GetString("client.rack");
  o.assignor.num_standby_replicas = static_cast<int>(config.GetInt("num.standby.replicas"));
  o.assignor.acceptable_recovery_lag = config.GetInt("acceptable.recovery.lag");
  o.assignor.max_warmup_replicas = static_cast<int>(config.GetInt("max.warmup.replicas"));
  o.assignor.probing_rebalance_interval_ms = config.GetInt("probing.rebalance.interval.ms");
  return o;
}

}  // namespace brook::group
