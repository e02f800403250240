#include "common/example_app.h"

#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <exception>
#include <iostream>
#include <memory>
#include <sstream>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "brook/streams.h"
#include "client/consumer.h"
#include "client/producer.h"
#include "common/log.h"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace brook::examples {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::pair<std::string, std::string>> BrookEnvironment() {
  std::vector<std::pair<std::string, std::string>> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view kv(*e);
    const size_t eq = kv.find('=');
    if (eq == std::string_view::npos || !kv.starts_with("BROOK_")) continue;
    env.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

std::string TaskList(const StreamsStatus& s) {
  std::string active;
  int standby = 0;
  for (const StreamsTaskInfo& t : s.tasks) {
    if (t.role != "active") {
      ++standby;
      continue;
    }
    if (!active.empty()) active += ' ';
    active += t.id.ToString();
    if (t.restoring) active += "(restoring)";
  }
  std::string out = active.empty() ? "no active tasks" : "active tasks [" + active + "]";
  if (standby > 0) out += ", " + std::to_string(standby) + " standby/warmup";
  return out;
}

// Logs state changes and progress of a running instance; when the instance fails, raises
// SIGTERM in this process so that the main thread's WaitForShutdownSignal() returns.
class StatusLogger {
 public:
  StatusLogger(const std::string& app, const Streams& streams)
      : thread_([this, app, &streams](const std::stop_token& stop) { Run(stop, app, streams); }) {}

  [[nodiscard]] bool failed() const { return failed_.load(); }

 private:
  void Run(const std::stop_token& stop, const std::string& app, const Streams& streams) {
    std::optional<StreamsState> last_state;
    auto last_progress = Clock::now();
    uint64_t last_processed = 0;
    while (!stop.stop_requested()) {
      const StreamsStatus s = streams.status();
      if (s.state != last_state) {
        last_state = s.state;
        Logger().info("{}: state {} (generation {}, {}), processed {}", app,
                      StreamsStateName(s.state), s.generation, TaskList(s), s.processed);
        if (s.state == StreamsState::kError) {
          Logger().error("{}: the instance failed: {}", app, s.error);
          failed_.store(true);
          ::kill(::getpid(), SIGTERM);
          return;
        }
      }
      const auto now = Clock::now();
      if (now - last_progress >= std::chrono::seconds(10)) {
        const double secs = std::chrono::duration<double>(now - last_progress).count();
        Logger().info("{}: processed {} records ({:.0f}/s), dropped {}, {} commits, {}", app,
                      s.processed, static_cast<double>(s.processed - last_processed) / secs,
                      s.dropped, s.commits, TaskList(s));
        last_progress = now;
        last_processed = s.processed;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  std::atomic<bool> failed_{false};
  std::jthread thread_;  // last: joined (stop requested) before the members above go
};

int RunApp(const ExampleApp& app, const Config& config) {
  const std::string& app_id = config.GetString("application.id");
  try {
    const Topology topology = app.build(config);
    Streams streams(topology, config);
    Logger().info("{}: starting application.id={} bootstrap.servers={}", app.name, app_id,
                  config.GetString("bootstrap.servers"));
    streams.Start();
    bool failed = false;
    int signal = 0;
    {
      const StatusLogger status(app.name, streams);
      signal = WaitForShutdownSignal();
      failed = status.failed();
    }
    if (!failed) {
      Logger().info("{}: {} received, closing", app.name, signal == SIGINT ? "SIGINT" : "SIGTERM");
    }
    const bool clean = streams.Close();
    const StreamsStatus s = streams.status();
    Logger().info("{}: closed {}: processed {} records, dropped {}, {} commits", app.name,
                  clean ? "cleanly" : "with errors", s.processed, s.dropped, s.commits);
    if (failed) return 3;
    return clean ? 0 : 4;
  } catch (const std::exception& e) {
    Logger().error("{}: {}", app.name, e.what());
    return 1;
  }
}

class KafkaSink : public RecordSink {
 public:
  explicit KafkaSink(client::Producer& producer) : producer_(producer) {}

  Status Send(const std::string& topic, const std::string& key, const std::string& value) override {
    BROOK_RETURN_IF_ERROR(producer_.Send(topic, key, value));
    if (++sent_ % 1000 == 0) producer_.Poll();
    return Status::Ok();
  }
  [[nodiscard]] int64_t sent() const { return sent_; }

 private:
  client::Producer& producer_;
  int64_t sent_ = 0;
};

Status RunProduce(const ExampleApp& app, const Config& config, const ProduceOptions& options) {
  const auto start = Clock::now();
  BROOK_ASSIGN_OR_RETURN(std::unique_ptr<client::Producer> producer,
                         client::Producer::Create(config));
  KafkaSink sink(*producer);
  BROOK_RETURN_IF_ERROR(app.produce(config, options, sink));
  BROOK_RETURN_IF_ERROR(producer->Flush());
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  Logger().info("{}: wrote {} records in {:.1f} s (seed {})", app.name, sink.sent(), secs,
                options.seed);
  return Status::Ok();
}

}  // namespace

ConfigSchema SchemaOf(const ExampleApp& app) {
  ConfigSchema streams_keys;
  Streams::DefineKeys(streams_keys);
  ConfigSchema schema;
  for (ConfigKey key : streams_keys.keys()) {
    if (key.name == "application.id") key.default_value = "brook-" + app.name;
    schema.Define(std::move(key));
  }
  for (const ConfigSchema::Prefix& p : streams_keys.prefixes()) {
    schema.DefinePrefix(p.prefix, p.doc, p.validator);
  }
  for (const ConfigKey& key : app.keys) schema.Define(key);
  return schema;
}

int Main(const ExampleApp& app, int argc, char** argv) {
  BlockShutdownSignals();  // before any thread starts
  CLI::App cli{app.summary, app.name};
  cli.require_subcommand(0, 1);
  cli.fallthrough();  // the global options may follow the command
  std::vector<std::string> files;
  std::vector<std::string> overrides;
  std::string log_level = "info";
  // One value per occurrence: a stray word is an error, not one more file or override.
  cli.add_option("-c,--config", files, "Properties file (key=value); repeatable")
      ->check(CLI::ExistingFile)
      ->allow_extra_args(false);
  cli.add_option("--set", overrides, "Configuration key=value; repeatable")
      ->allow_extra_args(false);
  cli.add_option("--log-level", log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  cli.add_subcommand("run", "Run the application until SIGTERM/SIGINT (the default)");
  ProduceOptions produce_options{.count = app.default_count};
  CLI::App* produce =
      cli.add_subcommand("produce", "Write seeded sample input to the input topics");
  produce->add_option("-n,--count", produce_options.count, "Records of the main input")
      ->check(CLI::PositiveNumber);
  produce->add_option("--seed", produce_options.seed, "Generator seed");
  produce->add_option("--only", produce_options.only, "Only this part of the input");
  PrintOptions print_options;
  CLI::App* print = cli.add_subcommand("print", "Print the output topics, decoded");
  print->add_option("--max", print_options.max_lines, "Lines per topic")
      ->check(CLI::NonNegativeNumber);
  CLI::App* describe = cli.add_subcommand("describe", "Print the topology");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;
  }

  if (Status s = InitLogging(log_level); !s.ok()) {
    std::cerr << app.name << ": " << s.message() << "\n";
    return 2;
  }
  Result<Config> config = Config::Load(
      SchemaOf(app),
      ConfigSources{.files = files, .env = BrookEnvironment(), .overrides = overrides});
  if (!config.ok()) {
    std::cerr << app.name << ": configuration: " << config.status().message() << "\n";
    return 1;
  }
  for (const std::string& w : config->warnings()) Logger().warn("{}: {}", app.name, w);

  try {
    Status s;
    if (produce->parsed()) {
      s = RunProduce(app, *config, produce_options);
    } else if (print->parsed()) {
      s = app.print(*config, print_options, std::cout);
    } else if (describe->parsed()) {
      std::cout << app.build(*config).Describe();
    } else {
      return RunApp(app, *config);  // `run`, or no command
    }
    if (!s.ok()) {
      std::cerr << app.name << ": " << s.message() << "\n";
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << app.name << ": " << e.what() << "\n";
    return 1;
  }
}

Result<std::vector<TopicRecord>> ReadTopic(const Config& config, const std::string& topic,
                                           std::chrono::milliseconds timeout) {
  BROOK_ASSIGN_OR_RETURN(std::unique_ptr<client::Consumer> consumer,
                         client::Consumer::Create(config));
  BROOK_RETURN_IF_ERROR(consumer->Assign({topic}, client::StartFrom::kBeginning));
  std::vector<TopicRecord> records;
  const auto deadline = Clock::now() + timeout;
  while (!consumer->AllAtEnd()) {
    if (Clock::now() >= deadline) {
      return Status::TimedOut("topic '" + topic + "': the end was not reached within " +
                              std::to_string(timeout.count()) + " ms");
    }
    BROOK_RETURN_IF_ERROR(consumer
                              ->Poll(std::chrono::milliseconds(200), 10000,
                                     [&](const client::RecordView& r) {
                                       TopicRecord t{.partition = r.partition,
                                                     .offset = r.offset,
                                                     .timestamp_ms = r.timestamp_ms};
                                       if (!r.key_is_null) t.key.emplace(r.key);
                                       if (!r.value_is_null) t.value.emplace(r.value);
                                       records.push_back(std::move(t));
                                     })
                              .status());
  }
  std::stable_sort(records.begin(), records.end(), [](const TopicRecord& a, const TopicRecord& b) {
    return std::pair(a.partition, a.offset) < std::pair(b.partition, b.offset);
  });
  return records;
}

Result<std::map<std::string, std::string>> ReadLatest(const Config& config,
                                                      const std::string& topic,
                                                      std::chrono::milliseconds timeout) {
  BROOK_ASSIGN_OR_RETURN(std::vector<TopicRecord> records, ReadTopic(config, topic, timeout));
  std::map<std::string, std::string> latest;
  for (TopicRecord& r : records) {
    if (!r.key) continue;
    if (r.value) {
      latest.insert_or_assign(std::move(*r.key), std::move(*r.value));
    } else {
      latest.erase(*r.key);
    }
  }
  return latest;
}

std::string FormatUtc(int64_t epoch_ms) {
  const auto secs =
      static_cast<std::time_t>(epoch_ms >= 0 ? epoch_ms / 1000 : (epoch_ms - 999) / 1000);
  const int64_t millis = epoch_ms - static_cast<int64_t>(secs) * 1000;
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (millis != 0) {
    char ms[8];
    std::snprintf(ms, sizeof(ms), ".%03d", static_cast<int>(millis));
    out += ms;
  }
  return out + "Z";
}

}  // namespace brook::examples
