#include "autoscale/autoscaler_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/client.h"
#include "metrics/text_parser.h"

namespace brook::autoscale {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

AutoscalerMetrics Make(bool recommend_only) {
  return AutoscalerMetrics({.recommend_only = recommend_only,
                            .min_replicas = 1,
                            .max_replicas = 8,
                            .stale_after = Millis(1000)},
                           Millis(0));
}

TEST(AutoscalerMetrics, NothingDesiredBeforeTheFirstTick) {
  const auto m = Make(true);
  const std::string page = m.Expose();
  EXPECT_THAT(page, HasSubstr("# TYPE brook_autoscaler_desired_replicas gauge\n"));
  EXPECT_THAT(page, Not(HasSubstr("\nbrook_autoscaler_desired_replicas ")));
  EXPECT_THAT(page, HasSubstr("\nbrook_autoscaler_recommend_only 1\n"));
  EXPECT_THAT(page, HasSubstr("\nbrook_autoscaler_max_replicas 8\n"));
}

TEST(AutoscalerMetrics, RecommendationHoldDrainAndErrors) {
  auto m = Make(false);
  AutoscalerStep step;
  step.current_replicas = 2;
  step.recommendation = 5;
  step.instances_reporting = 2;
  step.acted = 5;
  m.Record(step, Millis(10), 1700000000.5);
  std::string page = m.Expose();
  EXPECT_THAT(page, HasSubstr("\nbrook_autoscaler_desired_replicas 5\n"));
  EXPECT_THAT(page, HasSubstr("\nbrook_autoscaler_current_replicas 2\n"));
  EXPECT_THAT(page, HasSubstr("\nbrook_autoscaler_instances_reporting 2\n"));
  EXPECT_THAT(page, HasSubstr("\nbrook_autoscaler_signal 1\n"));
  EXPECT_THAT(page, HasSubstr("brook_autoscaler_scale_actions_total{direction=\"up\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("\nbrook_autoscaler_last_scale_replicas 5\n"));
  EXPECT_THAT(page, HasSubstr("\nbrook_autoscaler_recommend_only 0\n"));

  // No instance reported: hold at the current count.
  step = {};
  step.current_replicas = 5;
  m.Record(step, Millis(20), 1700000001);
  page = m.Expose();
  EXPECT_THAT(page, HasSubstr("\nbrook_autoscaler_desired_replicas 5\n"));
  EXPECT_THAT(page, HasSubstr("\nbrook_autoscaler_signal 0\n"));

  // A scale-down decided (recommendation 2), then draining ticks keep it.
  step.recommendation = 2;
  step.draining = {4, 3, 2};
  m.Record(step, Millis(30), 1700000002);
  step.recommendation.reset();
  m.Record(step, Millis(40), 1700000003);
  page = m.Expose();
  EXPECT_THAT(page, HasSubstr("\nbrook_autoscaler_desired_replicas 2\n"));
  EXPECT_THAT(page, HasSubstr("\nbrook_autoscaler_draining_instances 3\n"));

  // The target cannot be read: no desired, no current (an HPA holds).
  m.RecordError(Status::Unavailable("GET scale: HTTP 503"), Millis(50));
  page = m.Expose();
  EXPECT_THAT(page, Not(HasSubstr("\nbrook_autoscaler_desired_replicas ")));
  EXPECT_THAT(page, Not(HasSubstr("\nbrook_autoscaler_current_replicas ")));
  EXPECT_THAT(page, HasSubstr("brook_autoscaler_ticks_total{result=\"ok\"} 4\n"));
  EXPECT_THAT(page, HasSubstr("brook_autoscaler_ticks_total{result=\"error\"} 1\n"));
  auto [code, body] = m.Healthz(Millis(60));
  EXPECT_EQ(code, 200);
  EXPECT_THAT(body, HasSubstr("GET scale: HTTP 503"));
}

TEST(AutoscalerMetrics, PageIsValidPrometheusText) {
  auto m = Make(true);
  AutoscalerStep step;
  step.current_replicas = 3;
  step.recommendation = 4;
  m.Record(step, Millis(1), 1700000000);
  auto parsed = metrics::ParseTextFormat(m.Expose());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
}

TEST(AutoscalerMetrics, HealthzFailsWhenTheLoopIsStuck) {
  auto m = Make(true);
  EXPECT_EQ(m.Healthz(Millis(1000)).first, 200);  // starting
  EXPECT_EQ(m.Healthz(Millis(1001)).first, 503);
  EXPECT_THAT(m.Healthz(Millis(1001)).second, HasSubstr("\"status\":\"stuck\""));
  m.Record(AutoscalerStep{}, Millis(1500), 0);
  EXPECT_EQ(m.Healthz(Millis(2000)).first, 200);
}

TEST(AutoscalerMetrics, ServedOverHttp) {
  auto m = Make(true);
  AutoscalerStep step;
  step.current_replicas = 1;
  step.recommendation = 3;
  m.Record(step, Millis(0), 1700000000);
  auto server = http::HttpServer::Create({.listen = "127.0.0.1:0"}).ValueOrThrow();
  ASSERT_TRUE(RegisterEndpoints(*server, m, [] { return Millis(10); }).ok());
  ASSERT_TRUE(server->Start().ok());
  const std::string ep = "127.0.0.1:" + std::to_string(server->port());
  auto r = http::HttpGet(ep, "/metrics", {}, Millis(2000)).ValueOrThrow();
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("\nbrook_autoscaler_desired_replicas 3\n"));
  r = http::HttpGet(ep, "/healthz", {}, Millis(2000)).ValueOrThrow();
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("\"status\":\"ok\""));
  server->Stop();
}

}  // namespace
}  // namespace brook::autoscale
