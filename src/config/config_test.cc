#include "brook/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace brook {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ConfigSchema TestSchema() {
  ConfigSchema s;
  s.Define({.name = "bootstrap.servers", .default_value = "127.0.0.1:9092", .doc = "brokers"});
  s.Define({.name = "num.threads",
            .type = ConfigType::kInt,
            .default_value = "1",
            .doc = "threads",
            .min = 1,
            .max = 64});
  s.Define({.name = "eos", .type = ConfigType::kBool, .default_value = "false", .doc = "eos"});
  s.Define({.name = "guarantee",
            .type = ConfigType::kEnum,
            .default_value = "at_least_once",
            .doc = "processing guarantee",
            .allowed_values = {"at_least_once", "exactly_once_v2"}});
  s.Define({.name = "topics", .type = ConfigType::kList, .default_value = "", .doc = "topics"});
  s.DefinePrefix("producer.", "librdkafka producer settings",
                 [](std::string_view key, std::string_view value) {
                   if (key == "linger.ms" && value.find_first_not_of("0123456789") !=
                                                 std::string_view::npos) {
                     return Status::InvalidArgument("linger.ms wants a number");
                   }
                   if (key != "linger.ms" && key != "acks") {
                     return Status::InvalidArgument("no such producer property");
                   }
                   return Status::Ok();
                 });
  return s;
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(Properties, ParsesJavaStyleLines) {
  auto r = ParseProperties(
      "# comment\n"
      "! also a comment\n"
      "\n"
      "a=1\n"
      "  b : two words  \n"
      "c 3\n"
      "d = x\n"
      "long = first,\\\n"
      "       second\n"
      "empty=\n"
      "crlf=yes\r\n",
      "test.properties");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::pair<std::string, std::string>> kv;
  for (const auto& p : *r) kv.emplace_back(p.key, p.value);
  EXPECT_THAT(kv, ElementsAre(std::pair<std::string, std::string>{"a", "1"},
                              std::pair<std::string, std::string>{"b", "two words"},
                              std::pair<std::string, std::string>{"c", "3"},
                              std::pair<std::string, std::string>{"d", "x"},
                              std::pair<std::string, std::string>{"long", "first,second"},
                              std::pair<std::string, std::string>{"empty", ""},
                              std::pair<std::string, std::string>{"crlf", "yes"}));
  EXPECT_EQ((*r)[0].line, 4);
  EXPECT_EQ((*r)[4].line, 8);
}

TEST(Properties, LineWithoutSeparatorIsAnErrorNamingTheLine) {
  auto r = ParseProperties("a=1\nnonsense\n", "app.properties");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("app.properties:2"));
  EXPECT_THAT(r.status().message(), HasSubstr("nonsense"));
}

TEST(Config, DefaultsApply) {
  auto c = Config::Load(TestSchema(), {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->GetString("bootstrap.servers"), "127.0.0.1:9092");
  EXPECT_EQ(c->GetInt("num.threads"), 1);
  EXPECT_FALSE(c->GetBool("eos"));
  EXPECT_TRUE(c->GetList("topics").empty());
  EXPECT_EQ(c->Origin("num.threads"), "default");
}

TEST(Config, PrecedenceFileThenEnvThenOverride) {
  const auto path = WriteTemp("brook_cfg_precedence.properties",
                              "num.threads=2\nbootstrap.servers=file:9092\ntopics=a, b,,c\n");
  ConfigSources src;
  src.files = {path};
  src.env = {{"BROOK_NUM_THREADS", "3"}, {"HOME", "/root"}};
  src.overrides = {"bootstrap.servers=cli:9092"};
  auto c = Config::Load(TestSchema(), src);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->GetInt("num.threads"), 3);
  EXPECT_EQ(c->Origin("num.threads"), "env BROOK_NUM_THREADS");
  EXPECT_EQ(c->GetString("bootstrap.servers"), "cli:9092");
  EXPECT_EQ(c->Origin("bootstrap.servers"), "override");
  EXPECT_THAT(c->GetList("topics"), ElementsAre("a", "b", "c"));
  EXPECT_EQ(c->Origin("topics"), "file " + path + ":3");
}

TEST(Config, UnknownKeyInFileIsAnErrorNamingKeyAndLine) {
  const auto path = WriteTemp("brook_cfg_unknown.properties", "num.threads=2\nnum.thread=4\n");
  auto c = Config::Load(TestSchema(), {.files = {path}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr("unknown config key 'num.thread'"));
  EXPECT_THAT(c.status().message(), HasSubstr(path + ":2"));
}

TEST(Config, UnknownOverrideIsAnError) {
  auto c = Config::Load(TestSchema(), {.overrides = {"bogus.key=1"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("'bogus.key'"));
  EXPECT_THAT(c.status().message(), HasSubstr("override"));
}

TEST(Config, MalformedOverrideIsAnError) {
  auto c = Config::Load(TestSchema(), {.overrides = {"num.threads"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("'num.threads'"));
  EXPECT_THAT(c.status().message(), HasSubstr("key=value"));
}

TEST(Config, BadIntegerNamesKeyValueAndSource) {
  auto c = Config::Load(TestSchema(), {.env = {{"BROOK_NUM_THREADS", "lots"}}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("'num.threads'"));
  EXPECT_THAT(c.status().message(), HasSubstr("'lots'"));
  EXPECT_THAT(c.status().message(), HasSubstr("env BROOK_NUM_THREADS"));
  EXPECT_THAT(c.status().message(), HasSubstr("not an integer"));
}

TEST(Config, OutOfRangeInteger) {
  auto c = Config::Load(TestSchema(), {.overrides = {"num.threads=0"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("[1, 64]"));
  c = Config::Load(TestSchema(), {.overrides = {"num.threads=99999999999999999999"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("not an integer"));
}

TEST(Config, BadBoolAndEnum) {
  auto c = Config::Load(TestSchema(), {.overrides = {"eos=yes"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("'eos'"));
  EXPECT_THAT(c.status().message(), HasSubstr("true or false"));
  c = Config::Load(TestSchema(), {.overrides = {"guarantee=exactly_once"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("at_least_once, exactly_once_v2"));
  c = Config::Load(TestSchema(), {.overrides = {"eos=TRUE", "guarantee=exactly_once_v2"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->GetBool("eos"));
}

TEST(Config, PrefixKeysAreValidatedAndExposed) {
  auto c = Config::Load(TestSchema(),
                        {.env = {{"BROOK_PRODUCER_LINGER_MS", "7"}}, .overrides = {"producer.acks=all"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto producer = c->WithPrefix("producer.");
  ASSERT_EQ(producer.size(), 2U);
  EXPECT_EQ(producer.at("linger.ms"), "7");
  EXPECT_EQ(producer.at("acks"), "all");

  c = Config::Load(TestSchema(), {.overrides = {"producer.lingr.ms=5"}});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("'producer.lingr.ms'"));
  EXPECT_THAT(c.status().message(), HasSubstr("no such producer property"));
}

TEST(Config, UnknownBrookEnvVarIsAWarningNotAnError) {
  // Kubernetes injects BROOK_SERVICE_HOST etc. for a Service named "brook".
  auto c = Config::Load(TestSchema(), {.env = {{"BROOK_SERVICE_HOST", "10.0.0.1"}}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->warnings().size(), 1U);
  EXPECT_THAT(c->warnings()[0], HasSubstr("BROOK_SERVICE_HOST"));
  // The scripts' own variables are not config and not warned about.
  auto t = Config::Load(TestSchema(), {.env = {{"BROOK_TEST_BOOTSTRAP", "127.0.0.1:9092"},
                                               {"BROOK_KAFKA_PORT", "9092"}}});
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->warnings().empty());
}

TEST(Config, MissingFileIsNotFound) {
  auto c = Config::Load(TestSchema(), {.files = {"/nonexistent/brook.properties"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr("/nonexistent/brook.properties"));
}

TEST(Config, RequiredKeyWithoutValue) {
  ConfigSchema s;
  s.Define({.name = "application.id", .default_value = std::nullopt, .doc = "the app's name"});
  auto c = Config::Load(s, {});
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("'application.id' is required"));
  c = Config::Load(s, {.overrides = {"application.id=wordcount"}});
  ASSERT_TRUE(c.ok());
}

TEST(Config, EnvName) {
  EXPECT_EQ(Config::EnvName("bootstrap.servers"), "BROOK_BOOTSTRAP_SERVERS");
  EXPECT_EQ(Config::EnvName("group-instance.id"), "BROOK_GROUP_INSTANCE_ID");
}

}  // namespace
}  // namespace brook
