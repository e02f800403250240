#include "autoscale/instance_pattern.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace brook::autoscale {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(InstancePattern, ExpandsOrdinalAndVars) {
  const auto p = InstancePattern::Parse("{statefulset}-{ordinal}.wc-headless.{namespace}.svc:8080",
                                        {{"namespace", "prod"}, {"statefulset", "wc"}})
                     .ValueOrThrow();
  EXPECT_EQ(p.text(), "wc-{ordinal}.wc-headless.prod.svc:8080");
  EXPECT_EQ(p.Endpoint(0), "wc-0.wc-headless.prod.svc:8080");
  EXPECT_EQ(p.Endpoint(12), "wc-12.wc-headless.prod.svc:8080");
  EXPECT_THAT(p.Endpoints(2),
              ElementsAre("wc-0.wc-headless.prod.svc:8080", "wc-1.wc-headless.prod.svc:8080"));
  EXPECT_TRUE(p.Endpoints(0).empty());
}

TEST(InstancePattern, OrdinalMayRepeatAndSchemeIsDropped) {
  const auto p = InstancePattern::Parse("http://h{ordinal}x{ordinal}:70/", {}).ValueOrThrow();
  EXPECT_EQ(p.Endpoint(3), "h3x3:70");
}

TEST(InstancePattern, ErrorsNameThePatternAndTheProblem) {
  auto err = [](std::string_view pattern) {
    return InstancePattern::Parse(pattern, {{"namespace", "prod"}}).status().message();
  };
  EXPECT_THAT(err("wc-0.svc:8080"), HasSubstr("no {ordinal} placeholder"));
  EXPECT_THAT(err("wc-0.svc:8080"), HasSubstr("'wc-0.svc:8080'"));
  EXPECT_THAT(err("{statefulset}-{ordinal}:80"), HasSubstr("unknown placeholder {statefulset}"));
  EXPECT_THAT(err("{statefulset}-{ordinal}:80"), HasSubstr("{ordinal}, {namespace}"));
  EXPECT_THAT(err("wc-{ordinal"), HasSubstr("'{' without '}'"));
  EXPECT_THAT(err("wc-}{ordinal}:1"), HasSubstr("'}' without '{'"));
  EXPECT_THAT(err("wc-{ordinal}"), HasSubstr("is not host:port"));
  EXPECT_THAT(err("wc-{ordinal}:http"), HasSubstr("port 1..65535"));
  EXPECT_THAT(err("wc-{ordinal}:70000"), HasSubstr("port 1..65535"));
  EXPECT_THAT(err(""), HasSubstr("empty"));
}

TEST(InstancePattern, ValidateEndpoint) {
  EXPECT_TRUE(ValidateEndpoint("a:1").ok());
  EXPECT_TRUE(ValidateEndpoint("[::1]:8080").ok());
  EXPECT_FALSE(ValidateEndpoint(":1").ok());
  EXPECT_FALSE(ValidateEndpoint("a").ok());
  EXPECT_FALSE(ValidateEndpoint("a:0").ok());
  EXPECT_FALSE(ValidateEndpoint("a:1x").ok());
}

}  // namespace
}  // namespace brook::autoscale
