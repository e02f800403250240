// brook demo: the elastic demo (src/demo/elastic_demo.h) from the command line.
#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "demo/elastic_demo.h"
#include "demo/profile.h"

namespace brook::cli {

Status Demo(const Config& config, const DemoCliOptions& o, std::ostream& out) {
  demo::DemoOptions d = demo::DefaultDemoOptions();
  d.bootstrap = config.GetString("bootstrap.servers");
  if (!o.app.empty()) d.app_binary = o.app;
  if (!o.work_dir.empty()) d.work_dir = o.work_dir;
  BROOK_ASSIGN_OR_RETURN(d.profile,
                         demo::ParseProfile(o.profile.empty() ? demo::kDefaultProfile : o.profile));
  d.partitions = o.partitions;
  d.work_us = o.work_us;
  d.users = o.users;
  d.initial_replicas = o.replicas;
  d.min_replicas = o.min_replicas;
  d.max_replicas = o.max_replicas;
  d.sample_interval = std::chrono::milliseconds(o.sample_interval_ms);
  d.autoscale_interval = std::chrono::milliseconds(o.autoscale_interval_ms);
  d.scale_down_window = std::chrono::milliseconds(o.scale_down_window_ms);
  d.cooldown = std::chrono::milliseconds(o.cooldown_ms);
  d.settle_timeout = std::chrono::milliseconds(o.settle_timeout_ms);
  d.keep_topics = o.keep_topics;
  demo::Run run;
  return demo::RunElasticDemo(std::move(d), out, StopRequested(), &run);
}

}  // namespace brook::cli
