// Integration: with no broker at the address, every command that needs one exits non-zero
// within a bounded time (bootstrap.timeout.ms, default 10 s; the bound checked is 15 s) with
// a message naming the address. Needs no broker, but exercises librdkafka's real network
// path, so it is labelled integration.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>

#include "cli/cli.h"

namespace brook {
namespace {

using ::testing::HasSubstr;

void ExpectFailsFast(std::vector<std::string> args) {
  args.insert(args.begin(), {"--bootstrap-servers", "127.0.0.1:1"});
  std::ostringstream out;
  std::ostringstream err;
  const auto start = std::chrono::steady_clock::now();
  const int code = cli::RunCli(args, out, err, {});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(code, 1);
  EXPECT_THAT(err.str(), HasSubstr("cannot reach Kafka at bootstrap.servers=127.0.0.1:1"));
  EXPECT_LE(seconds, 15.0) << "a dead broker must not hang the command";
}

TEST(Unreachable, TopicsList) {
  ExpectFailsFast({"topics", "list"});
}
TEST(Unreachable, Produce) {
  ExpectFailsFast({"produce", "--topic", "t", "--count", "10"});
}
TEST(Unreachable, Consume) {
  ExpectFailsFast({"consume", "--topic", "t", "--until-end"});
}
TEST(Unreachable, Pipe) {
  ExpectFailsFast({"pipe", "--from", "a", "--to", "b", "--until-end"});
}

}  // namespace
}  // namespace brook
