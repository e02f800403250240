#include "cli/cli.h"

#include <librdkafka/rdkafka.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <functional>
#include <optional>
#include <set>

#include "brook/config.h"
#include "brook/version.h"
#include "cli/commands.h"
#include "client/client_config.h"
#include "common/log.h"

namespace brook::cli {
namespace {

ConfigSchema CliSchema() {
  ConfigSchema s;
  client::DefineClientKeys(s);
  s.Define({.name = "log.level",
            .type = ConfigType::kEnum,
            .default_value = "info",
            .doc = "log level on stderr",
            .allowed_values = {"trace", "debug", "info", "warn", "error", "off"}});
  return s;
}

struct GlobalOptions {
  std::vector<std::string> config_files;
  std::vector<std::string> overrides;
  std::string bootstrap_servers;
  std::string log_level;
};

// The first word that is neither an option nor an option's value, if it names no command.
std::optional<std::string> UnknownCommand(const CLI::App& app,
                                          const std::vector<std::string>& args) {
  static const std::set<std::string> kTakesValue = {
      "-c", "--config", "--set", "-b", "--bootstrap-servers", "--bootstrap-server", "--log-level"};
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (kTakesValue.contains(a)) {
      ++i;
      continue;
    }
    // An option this function does not know: let CLI11 report it.
    if (!a.empty() && a[0] == '-') return std::nullopt;
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == a) return std::nullopt;
    }
    return a;
  }
  return std::nullopt;
}

}  // namespace

std::atomic<bool>& StopRequested() {
  static std::atomic<bool> stop{false};
  return stop;
}

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const Environment& env) {
  CLI::App app{"brook: stateful stream processing on Apache Kafka", "brook"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  GlobalOptions g;
  app.add_option("-c,--config", g.config_files, "Properties file (key=value); repeatable")
      ->check(CLI::ExistingFile);
  app.add_option("--set", g.overrides, "Config override key=value; repeatable");
  app.add_option("-b,--bootstrap-servers,--bootstrap-server", g.bootstrap_servers,
                 "Kafka brokers (same as --set bootstrap.servers=...)");
  app.add_option("--log-level", g.log_level, "trace|debug|info|warn|error|off (log.level)");

  std::function<Status(const Config&)> action;

  auto* version = app.add_subcommand("version", "Print brook's version and its libraries'");
  version->callback([&] {
    action = [&](const Config&) {
      out << "brook " << kVersion << " (librdkafka " << rd_kafka_version_str() << ")\n";
      return Status::Ok();
    };
  });

  // topics
  auto* topics = app.add_subcommand("topics", "Create, list, describe or delete topics");
  topics->require_subcommand(1);
  TopicsCreateOptions create;
  auto* tcreate = topics->add_subcommand("create", "Create a topic");
  tcreate->add_option("-t,--topic", create.topic, "Topic name")->required();
  tcreate->add_option("-p,--partitions", create.partitions, "Partitions")
      ->check(CLI::Range(1, 100000));
  tcreate->add_option("-r,--replication-factor", create.replication_factor, "Replication factor")
      ->check(CLI::Range(1, 100));
  tcreate->add_option("--config", create.configs, "Topic config key=value; repeatable");
  tcreate->add_flag("--if-not-exists", create.if_not_exists, "Succeed if it exists already");
  tcreate->callback(
      [&] { action = [&](const Config& c) { return TopicsCreate(c, create, out); }; });
  bool list_all = false;
  auto* tlist = topics->add_subcommand("list", "List topics");
  tlist->add_flag("-a,--all", list_all, "Include internal topics");
  tlist->callback([&] { action = [&](const Config& c) { return TopicsList(c, list_all, out); }; });
  std::string describe_topic;
  auto* tdescribe = topics->add_subcommand("describe", "Show a topic's partitions");
  tdescribe->add_option("-t,--topic", describe_topic, "Topic name")->required();
  tdescribe->callback(
      [&] { action = [&](const Config& c) { return TopicsDescribe(c, describe_topic, out); }; });
  std::string delete_topic;
  auto* tdelete = topics->add_subcommand("delete", "Delete a topic");
  tdelete->add_option("-t,--topic", delete_topic, "Topic name")->required();
  tdelete->callback(
      [&] { action = [&](const Config& c) { return TopicsDelete(c, delete_topic, out); }; });

  // produce
  ProduceOptions produce;
  auto* prod = app.add_subcommand("produce", "Load generator: write a seeded data set to a topic");
  prod->add_option("-t,--topic", produce.topic, "Topic to write")->required();
  prod->add_option("-n,--count", produce.count, "Number of records")->check(CLI::PositiveNumber);
  prod->add_option("-k,--keys", produce.keys, "Key cardinality (distinct keys)")
      ->check(CLI::PositiveNumber);
  prod->add_option("-s,--value-size", produce.value_size, "Value size in bytes")
      ->check(CLI::Range(0U, 100U * 1024U * 1024U));
  prod->add_option("-r,--rate", produce.rate, "Records per second, 0 = unlimited")
      ->check(CLI::NonNegativeNumber);
  prod->add_option("--seed", produce.seed, "Data set seed");
  prod->add_option("--progress-ms", produce.progress_ms, "Progress line interval, 0 = none");
  prod->add_flag("--json", produce.json, "Print the summary as one JSON object");
  prod->callback([&] { action = [&](const Config& c) { return Produce(c, produce, out, err); }; });

  // consume
  ConsumeOptions consume;
  auto* cons = app.add_subcommand("consume", "Read topics (all partitions) and print or count");
  cons->add_option("-t,--topic", consume.topics, "Topic to read; repeatable")->required();
  cons->add_option("--from", consume.from, "Start position")
      ->check(CLI::IsMember({"beginning", "end"}));
  cons->add_option("-n,--max-records", consume.max_records, "Stop after this many records");
  cons->add_flag("--until-end", consume.until_end, "Stop when every partition is at its end");
  cons->add_option("--idle-timeout-ms", consume.idle_timeout_ms, "Stop after this long idle");
  cons->add_option("--format", consume.format, "Record output: kv, full, value or none")
      ->check(CLI::IsMember({"kv", "full", "value", "none"}));
  cons->add_flag("--count", consume.count, "Print per-partition counts at the end");
  cons->add_flag("--json", consume.json, "Print the summary as one JSON object");
  cons->callback([&] { action = [&](const Config& c) { return Consume(c, consume, out, err); }; });

  // pipe
  PipeOptions pipe;
  auto* pip = app.add_subcommand("pipe", "Consume -> transform -> produce pass-through");
  pip->add_option("--from", pipe.from, "Input topic")->required();
  pip->add_option("--to", pipe.to, "Output topic")->required();
  pip->add_option("--transform", pipe.transform, "identity, uppercase or reverse")
      ->check(CLI::IsMember({"identity", "uppercase", "reverse"}));
  pip->add_option("-n,--max-records", pipe.max_records, "Stop after this many records");
  pip->add_flag("--until-end", pipe.until_end, "Stop when the input is consumed to its end");
  pip->add_option("--idle-timeout-ms", pipe.idle_timeout_ms, "Stop after this long idle");
  pip->add_option("--progress-ms", pipe.progress_ms, "Progress line interval, 0 = none");
  pip->add_flag("--json", pipe.json, "Print the summary as one JSON object");
  pip->callback([&] { action = [&](const Config& c) { return Pipe(c, pipe, out, err); }; });

  // local
  LocalRunOptions local_run;
  int local_replicas = 0;
  std::string local_state_dir;
  bool local_json = false;
  auto* local = app.add_subcommand(
      "local", "Play a StatefulSet on this machine: instances <name>-0..N-1 as child processes");
  local->require_subcommand(1);
  auto* lrun = local->add_subcommand(
      "run", "Run and supervise the instances in the foreground: brook local run ... -- <app...>");
  lrun->add_option("--name", local_run.name, "Instance names are <name>-<ordinal>")
      ->capture_default_str();
  lrun->add_option("--replicas", local_run.replicas, "Instances to start")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  lrun->add_option("--state-dir", local_run.state_dir,
                   "Base state dir: <dir>/<name>-<i> per ordinal, logs, local-runner.json")
      ->required();
  lrun->add_option("--base-port", local_run.base_port,
                   "Ordinal i gets BROOK_HTTP_LISTEN=127.0.0.1:<base-port+i>")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  lrun->add_option("--grace-ms", local_run.grace_ms,
                   "SIGTERM grace period before SIGKILL when an instance stops")
      ->capture_default_str();
  lrun->add_option("command", local_run.command,
                   "The instance command after '--'; {ordinal} and {name} are replaced")
      ->required();
  lrun->callback([&] { action = [&](const Config&) { return LocalRun(local_run, out); }; });
  auto* lscale =
      local->add_subcommand("scale", "Set the replica count of a running 'brook local run'");
  lscale->add_option("replicas", local_replicas, "Wanted replicas")
      ->required()
      ->check(CLI::NonNegativeNumber);
  lscale->add_option("--state-dir", local_state_dir, "The runner's --state-dir")->required();
  lscale->callback([&] {
    action = [&](const Config&) { return LocalScale(local_state_dir, local_replicas, out); };
  });
  auto* lstatus =
      local->add_subcommand("status", "Show the instances of a running 'brook local run'");
  lstatus->add_option("--state-dir", local_state_dir, "The runner's --state-dir")->required();
  lstatus->add_flag("--json", local_json, "Print the runner's status JSON");
  lstatus->callback([&] {
    action = [&](const Config&) { return LocalStatus(local_state_dir, local_json, out); };
  });

  // autoscale
  AutoscaleOptions autoscale;
  auto* as = app.add_subcommand(
      "autoscale", "Scale a brook app from its instances' brook_desired_replicas (median)");
  as->add_option("--target", autoscale.target,
                 "What to scale: local:<state-dir> (brook local run) or k8s:<ns>/<statefulset>")
      ->required();
  as->add_option("--kubeconfig", autoscale.kubeconfig,
                 "k8s: kubeconfig file (default: the pod's service account)");
  as->add_option("--context", autoscale.context, "k8s: kubeconfig context (default: current)");
  auto* instances_opt =
      as->add_option("--instances", autoscale.instances,
                     "Instance endpoints host:port,... in ordinal order, or 'local' (the runner's)")
          ->capture_default_str();
  as->add_option("--instances-pattern", autoscale.instances_pattern,
                 "Instance endpoint of each ordinal: host:port with {ordinal} (and, with k8s:, "
                 "{namespace}, {statefulset}), e.g. {statefulset}-{ordinal}.svc-headless."
                 "{namespace}.svc:8080")
      ->excludes(instances_opt);
  as->add_option("--listen", autoscale.listen,
                 "Serve GET /metrics (brook_autoscaler_*) and /healthz on host:port or :port");
  as->add_flag("--recommend-only", autoscale.recommend_only,
               "Compute and export the recommendation only; never scale or drain (HPA/KEDA)");
  as->add_flag("--check", autoscale.check,
               "Validate the arguments, print what would run, and exit (no file, no network)");
  as->add_option("--interval-ms", autoscale.interval_ms, "Decision interval")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  as->add_option("--scale-up-window-ms", autoscale.scale_up_window_ms,
                 "Scale up to the min recommendation over this window")
      ->capture_default_str();
  as->add_option("--scale-down-window-ms", autoscale.scale_down_window_ms,
                 "Scale down to the max recommendation over this window")
      ->capture_default_str();
  as->add_option("--cooldown-ms", autoscale.cooldown_ms, "No action this long after one")
      ->capture_default_str();
  as->add_option("--max-scale-up-step", autoscale.max_scale_up_step,
                 "Max replicas added per action (0 = no limit)")
      ->capture_default_str();
  as->add_option("--max-scale-down-step", autoscale.max_scale_down_step,
                 "Max replicas removed per action (0 = no limit)")
      ->capture_default_str();
  as->add_option("--min-replicas", autoscale.min_replicas, "Lower bound")->capture_default_str();
  as->add_option("--max-replicas", autoscale.max_replicas, "Upper bound")->capture_default_str();
  as->add_option("--drain-timeout-ms", autoscale.drain_timeout_ms,
                 "Scale down anyway after draining this long")
      ->capture_default_str();
  as->add_option("--http-timeout-ms", autoscale.http_timeout_ms, "Timeout of each instance call")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  as->add_flag("--once", autoscale.once,
               "One decision, then exit (a scale-down drains and lowers the count first)");
  as->callback([&] { action = [&](const Config&) { return Autoscale(autoscale, out); }; });

  // demo
  DemoCliOptions demo_opts;
  auto* dm = app.add_subcommand(
      "demo", "The elastic demo: an app under brook local + brook autoscale through a load step");
  dm->add_option("--app", demo_opts.app,
                 "The activity example's program (default: from the build tree next to brook)");
  dm->add_option(
      "--work-dir", demo_opts.work_dir,
      "Logs, instance state, samples.json, report.html (default /tmp/brook-demo-<time>)");
  dm->add_option(
      "--profile", demo_opts.profile,
      "Load profile name:rate:seconds,... (default low:1500:60,high:6000:120,low:1500:120)");
  dm->add_option("--partitions", demo_opts.partitions, "Input partitions (= tasks)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  dm->add_option("--work-us", demo_opts.work_us,
                 "Simulated work per record, microseconds (capacity ~1e6/us per instance)")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  dm->add_option("--users", demo_opts.users, "Distinct keys")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  dm->add_option("--replicas", demo_opts.replicas, "Instances at the start")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  dm->add_option("--min-replicas", demo_opts.min_replicas, "Autoscaler lower bound")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  dm->add_option("--max-replicas", demo_opts.max_replicas, "Autoscaler upper bound")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  dm->add_option("--sample-interval-ms", demo_opts.sample_interval_ms, "Live table period")
      ->check(CLI::Range(100, 600000))
      ->capture_default_str();
  dm->add_option("--autoscale-interval-ms", demo_opts.autoscale_interval_ms,
                 "Autoscaler decision interval")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  dm->add_option("--scale-down-window-ms", demo_opts.scale_down_window_ms,
                 "Autoscaler scale-down stabilisation window")
      ->capture_default_str();
  dm->add_option("--cooldown-ms", demo_opts.cooldown_ms, "Autoscaler cooldown after an action")
      ->capture_default_str();
  dm->add_option("--settle-timeout-ms", demo_opts.settle_timeout_ms,
                 "Longest wait for the lag to reach 0 after the load")
      ->capture_default_str();
  dm->add_flag("--keep-topics", demo_opts.keep_topics, "Keep the run's topics");
  dm->callback([&] { action = [&](const Config& c) { return Demo(c, demo_opts, out); }; });

  std::vector<const char*> argv;
  argv.push_back("brook");
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    if (auto unknown = UnknownCommand(app, args)) {
      err << "brook: error: unknown command '" << *unknown << "'\n"
          << "Run 'brook --help' for the list of commands.\n";
      return 2;
    }
    const int rc = app.exit(e, out, err);
    if (rc != 0) err << "Run 'brook --help' (or 'brook <command> --help') for usage.\n";
    return rc == 0 ? 0 : 2;
  }

  ConfigSources sources;
  sources.files = g.config_files;
  sources.env = env;
  if (!g.bootstrap_servers.empty())
    sources.overrides.push_back("bootstrap.servers=" + g.bootstrap_servers);
  if (!g.log_level.empty()) sources.overrides.push_back("log.level=" + g.log_level);
  for (const auto& o : g.overrides) sources.overrides.push_back(o);
  auto config = Config::Load(CliSchema(), sources);
  if (!config.ok()) {
    err << "brook: error: " << config.status().message() << "\n";
    return 2;
  }
  if (Status s = InitLogging(config->GetString("log.level")); !s.ok()) {
    err << "brook: error: " << s.message() << "\n";
    return 2;
  }
  for (const auto& w : config->warnings()) Logger().warn("{}", w);

  try {
    const Status s = action(*config);
    if (!s.ok()) {
      err << "brook: error: " << s.message() << "\n";
      return 1;
    }
  } catch (const std::exception& e) {
    err << "brook: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace brook::cli
