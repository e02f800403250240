#include "cli/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/throughput.h"

namespace brook::cli {
namespace {

using ::testing::HasSubstr;

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run Cli(const std::vector<std::string>& args, const Environment& env = {}) {
  std::ostringstream out;
  std::ostringstream err;
  const int code = RunCli(args, out, err, env);
  return {code, out.str(), err.str()};
}

TEST(Throughput, SummaryReportsTheActiveRateOnlyOnceRecordsArrivedInTwoBatches) {
  Throughput tp(0);
  tp.Add(10, 100);
  EXPECT_THAT(tp.Summary("consumed", true), HasSubstr(R"("records":10,"bytes":100,)"));
  EXPECT_THAT(tp.Summary("consumed", true), ::testing::Not(HasSubstr("active")));
  tp.MarkActive();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  tp.Add(10, 100);
  tp.MarkActive();
  const std::string json = tp.Summary("consumed", true, R"(,"x":1)");
  EXPECT_THAT(json, HasSubstr(R"("active_seconds":)"));
  EXPECT_THAT(json, HasSubstr(R"("active_records_per_second":)"));
  EXPECT_THAT(json, HasSubstr(R"(,"x":1})"));
  // 20 records over >= 20 ms: at most 1000 records/s.
  const auto pos = json.find(R"("active_records_per_second":)") + 28;
  EXPECT_LE(std::stod(json.substr(pos)), 1000.0);
}

TEST(Cli, VersionPrintsVersion) {
  auto r = Cli({"version"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("brook 0."));
  EXPECT_THAT(r.out, HasSubstr("librdkafka 2."));
}

TEST(Cli, HelpExitsZero) {
  auto r = Cli({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("produce"));
  EXPECT_THAT(r.out, HasSubstr("consume"));
}

TEST(Cli, NoSubcommandIsAUsageError) {
  auto r = Cli({});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("subcommand"));
  EXPECT_THAT(r.err, HasSubstr("brook --help"));
}

TEST(Cli, UnknownSubcommand) {
  auto r = Cli({"frobnicate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("frobnicate"));
}

TEST(Cli, UnknownOptionIsNamed) {
  auto r = Cli({"--bootstrap-srv", "x:1", "version"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--bootstrap-srv"));
}

TEST(Cli, MissingRequiredOptionIsNamed) {
  auto r = Cli({"produce", "--count", "10"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--topic"));
}

TEST(Cli, BadNumberIsNamed) {
  auto r = Cli({"produce", "--topic", "t", "--count", "many"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--count"));
  r = Cli({"topics", "create", "--topic", "t", "--partitions", "0"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--partitions"));
}

TEST(Cli, BadChoiceIsNamed) {
  auto r = Cli({"consume", "--topic", "t", "--format", "xml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--format"));
  EXPECT_THAT(r.err, HasSubstr("xml"));
}

TEST(Cli, UnknownConfigKeyFromSetIsNamed) {
  auto r = Cli({"--set", "bootstrap.server=x:1", "version"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown config key 'bootstrap.server'"));
}

TEST(Cli, GlobalOptionsAfterSubcommand) {
  auto r = Cli({"version", "--set", "nope=1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("'nope'"));
}

TEST(Cli, BadValueFromEnvironmentIsNamed) {
  auto r = Cli({"version"}, {{"BROOK_BOOTSTRAP_TIMEOUT_MS", "soon"}});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("'bootstrap.timeout.ms'"));
  EXPECT_THAT(r.err, HasSubstr("env BROOK_BOOTSTRAP_TIMEOUT_MS"));
}

TEST(Cli, BadLogLevel) {
  auto r = Cli({"--log-level", "loud", "version"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("'log.level'"));
}

TEST(Cli, ConfigFileErrorsNameFileAndLine) {
  const auto path = std::filesystem::temp_directory_path() / "brook_cli_test.properties";
  std::ofstream(path) << "# test\nbootstrap.servers=127.0.0.1:9092\nproducer.linger.ms=ten\n";
  auto r = Cli({"-c", path.string(), "version"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("'producer.linger.ms'"));
  EXPECT_THAT(r.err, HasSubstr(path.string() + ":3"));
}

TEST(Cli, MissingConfigFile) {
  auto r = Cli({"-c", "/nonexistent/brook.properties", "version"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/brook.properties"));
}

TEST(Cli, MalformedTopicConfigIsAnError) {
  // Fails before contacting any broker.
  auto r = Cli({"topics", "create", "--topic", "t", "--config", "cleanup.policy",
                "--bootstrap-servers", "127.0.0.1:1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("'cleanup.policy' must have the form key=value"));
}

}  // namespace
}  // namespace brook::cli

namespace brook::cli {
namespace {

TEST(CliLocal, ScaleWithoutARunnerNamesTheStateDir) {
  auto r = Cli({"local", "scale", "2", "--state-dir", "/nonexistent/brook-local"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no local runner at /nonexistent/brook-local"));
  r = Cli({"local", "run", "--state-dir", "/tmp/x"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("command"));
}

TEST(CliAutoscale, BadTargetsAreNamed) {
  auto r = Cli({"autoscale", "--target", "k8s:bad", "--instances", "a:1", "--once"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("k8s:<namespace>/<statefulset>"));
  r = Cli({"autoscale", "--target", "elsewhere", "--once"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("--target must be"));
  r = Cli({"autoscale", "--target", "local:/nonexistent/brook-local", "--once"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("no local runner at /nonexistent/brook-local"));
  r = Cli({"autoscale", "--once"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("--target"));
}

TEST(CliAutoscale, CheckValidatesAndPrintsThePlanWithoutActing) {
  // No in-cluster files, no API server, no instances: --check reads and connects nothing.
  auto r = Cli({"autoscale", "--target", "k8s:streams/wc", "--instances-pattern",
                "{statefulset}-{ordinal}.wc-headless.{namespace}.svc.cluster.local:8080",
                "--recommend-only", "--listen", ":9090", "--interval-ms", "15000", "--min-replicas",
                "2", "--max-replicas", "16", "--check"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("arguments ok"));
  EXPECT_THAT(r.out, HasSubstr("StatefulSet streams/wc via the in-cluster service account"));
  EXPECT_THAT(r.out, HasSubstr("recommend only"));
  EXPECT_THAT(r.out, HasSubstr("ordinal 0: wc-0.wc-headless.streams.svc.cluster.local:8080"));
  EXPECT_THAT(r.out, HasSubstr("replicas: 2..16; every 15000 ms"));
  EXPECT_THAT(r.out, HasSubstr("listen: :9090"));
  r = Cli({"autoscale", "--target", "k8s:streams/wc", "--instances", "a:1,b:2", "--kubeconfig",
           "/nonexistent/kubeconfig", "--context", "dev", "--scale-down-window-ms", "600000",
           "--check"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("kubeconfig /nonexistent/kubeconfig context dev"));
  EXPECT_THAT(r.out, HasSubstr("instances: a:1,b:2 (ordinals 0..1)"));
  EXPECT_THAT(r.out, HasSubstr("scale-down window 600000 ms"));
}

TEST(CliAutoscale, BadArgumentsNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string want;
  };
  const std::vector<std::string> k8s = {"autoscale", "--target", "k8s:streams/wc", "--check"};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> a = k8s;
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  const std::vector<Case> cases = {
      {with({"--instance-pattern", "x-{ordinal}:1"}), 2, "--instance-pattern"},
      {with({"--instances", "a:1", "--instances-pattern", "x-{ordinal}:1"}), 2, "excludes"},
      {with({"--instances-pattern", "wc-0:8080"}), 1, "--instances-pattern: "},
      {with({"--instances-pattern", "wc-{ordinal}:8080:x"}), 1, "--instances-pattern: "},
      {with({"--instances-pattern", "{sts}-{ordinal}:1"}), 1, "unknown placeholder {sts}"},
      {with({"--instances", "a:1,b"}), 1, "--instances: 'b' is not host:port"},
      {with({}), 1, "--instances-pattern"},
      {with({"--instances", "a:1", "--listen", "9090"}), 1, "--listen: "},
      {with({"--instances", "a:1", "--interval-ms", "0"}), 2, "--interval-ms"},
      {with({"--instances", "a:1", "--http-timeout-ms", "0"}), 2, "--http-timeout-ms"},
      {with({"--instances", "a:1", "--min-replicas", "5", "--max-replicas", "3"}), 1,
       "--max-replicas (3) must be >= 1 and >= --min-replicas (5)"},
      {with({"--instances", "a:1", "--min-replicas", "-1"}), 1, "--min-replicas"},
      {with({"--instances", "a:1", "--max-scale-up-step", "-2"}), 1, "--max-scale-up-step"},
      {with({"--instances", "a:1", "--context", "dev"}), 1, "--context needs --kubeconfig"},
      {with({"--instances", "a:1", "--interval-ms", "soon"}), 2, "--interval-ms"},
      {{"autoscale", "--target", "k8s:Streams/wc", "--instances", "a:1", "--check"},
       1,
       "'Streams' is no valid namespace name"},
      {{"autoscale", "--target", "local:", "--check"}, 1, "--target local:<state-dir>"},
      {{"autoscale", "--target", "local:/tmp/x", "--kubeconfig", "k", "--check"},
       1,
       "--kubeconfig only goes with --target k8s"},
  };
  for (const auto& c : cases) {
    const auto r = Cli(c.args);
    EXPECT_EQ(r.code, c.code) << ::testing::PrintToString(c.args) << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr(c.want)) << ::testing::PrintToString(c.args);
  }
}

// `brook local run` of shell-loop instances on its own thread, until Stop(); WaitForStatus()
// waits until its control endpoint answers.
class BackgroundLocalRunner {
 public:
  BackgroundLocalRunner(const std::string& tag, int replicas, int base_port)
      : dir_(std::filesystem::temp_directory_path() /
             ("brook-cli-" + tag + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    thread_ = std::thread([this, replicas, base_port] {
      run_ = Cli({"local", "run", "--name", "app", "--replicas", std::to_string(replicas),
                  "--state-dir", dir_.string(), "--base-port", std::to_string(base_port),
                  "--grace-ms", "2000", "--", "/bin/sh", "-c", "while :; do sleep 0.05; done"});
    });
  }
  ~BackgroundLocalRunner() {
    if (thread_.joinable()) (void)Stop();
    std::filesystem::remove_all(dir_);
  }
  BackgroundLocalRunner(const BackgroundLocalRunner&) = delete;
  BackgroundLocalRunner& operator=(const BackgroundLocalRunner&) = delete;

  // The first successful `brook local status` (code != 0 if none within 4 s).
  [[nodiscard]] Run WaitForStatus() const {
    Run status{};
    for (int i = 0; i < 200; ++i) {
      status = Cli({"local", "status", "--state-dir", dir_.string()});
      if (status.code == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return status;
  }
  // Stops the runner as SIGINT would and returns what it printed.
  Run Stop() {
    StopRequested().store(true);
    thread_.join();
    StopRequested().store(false);
    return run_;
  }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  Run run_{};
  std::thread thread_;
};

TEST(CliAutoscale, RecommendOnlyHoldsWithoutSignalAndNeverScales) {
  BackgroundLocalRunner runner("autoscale", 2, 24100);
  const struct Run status = runner.WaitForStatus();
  ASSERT_EQ(status.code, 0) << status.err;
  const std::string dir = runner.dir().string();
  // The instances (shell loops) serve no /metrics: no signal, so the autoscaler holds and
  // exports the current count as desired.
  const auto r = Cli({"autoscale", "--target", "local:" + dir, "--recommend-only",
                      "--instances-pattern", "127.0.0.1:2410{ordinal}", "--http-timeout-ms", "200",
                      "--listen", "127.0.0.1:0", "--once"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("replicas=2"));
  EXPECT_THAT(r.out, HasSubstr("no signal: holding"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("scaled_to")));
  EXPECT_THAT(Cli({"local", "status", "--state-dir", dir, "--json"}).out, HasSubstr("app-1"));
  const struct Run run = runner.Stop();
  EXPECT_EQ(run.code, 0) << run.err;
}

TEST(CliLocal, RunScaleStatusStop) {
  BackgroundLocalRunner runner("local", 1, 24000);
  const std::string dir = runner.dir().string();
  struct Run status = runner.WaitForStatus();
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("app-0"));
  const struct Run scale = Cli({"local", "scale", "2", "--state-dir", dir});
  EXPECT_EQ(scale.code, 0) << scale.err;
  for (int i = 0; i < 200; ++i) {
    status = Cli({"local", "status", "--state-dir", dir, "--json"});
    if (status.out.find("app-1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_THAT(status.out, HasSubstr("\"127.0.0.1:24001\""));
  const struct Run run = runner.Stop();
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("stopped"));
  EXPECT_FALSE(std::filesystem::exists(runner.dir() / "local-runner.json"));
}

}  // namespace
}  // namespace brook::cli
