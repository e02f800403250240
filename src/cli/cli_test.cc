#include "cli/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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
