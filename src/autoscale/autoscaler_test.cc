#include "autoscale/autoscaler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace brook::autoscale {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FakeActuator : public Actuator {
 public:
  Result<int> GetReplicas() override {
    if (fail_get) return Status::Unavailable("get failed");
    return replicas;
  }
  Status SetReplicas(int n) override {
    if (fail_set) return Status::Unavailable("set failed");
    replicas = n;
    sets.push_back(n);
    return Status::Ok();
  }
  int replicas = 0;
  bool fail_get = false;
  bool fail_set = false;
  std::vector<int> sets;
};

class FakeInstances : public InstanceClient {
 public:
  Result<std::string> Get(const std::string& endpoint, const std::string& target) override {
    if (target == "/metrics") {
      auto it = desired.find(endpoint);
      if (it == desired.end()) return Status::Unavailable("down: " + endpoint);
      return "# TYPE brook_desired_replicas_inputs gauge\nbrook_desired_replicas_inputs 99\n"
             "# TYPE brook_desired_replicas gauge\nbrook_desired_replicas " +
             std::to_string(it->second) + "\n";
    }
    if (target == "/status") {
      std::string tasks;
      for (int i = 0; i < active[endpoint]; ++i) {
        tasks += std::string(i > 0 ? "," : "") + R"({"role":"active","task":"0_)" +
                 std::to_string(i) + "\"}";
      }
      return R"({"tasks":[{"role":"standby","task":"1_0"})" +
             std::string(tasks.empty() ? "" : ",") + tasks + "]}";
    }
    return Status::NotFound(target);
  }
  Status Post(const std::string& endpoint, const std::string& target) override {
    posts.push_back(endpoint + target);
    return Status::Ok();
  }
  std::map<std::string, double> desired;
  std::map<std::string, int> active;
  std::vector<std::string> posts;
};

std::string Ep(int i) {
  return "i" + std::to_string(i);
}

class AutoscalerTest : public ::testing::Test {
 protected:
  Autoscaler Make(bool recommend_only = false) {
    AutoscalerOptions o;
    o.recommend_only = recommend_only;
    o.stabilizer.scale_up_window = Millis(0);
    o.stabilizer.scale_down_window = Millis(1000);
    o.stabilizer.cooldown = Millis(0);
    o.min_replicas = 1;
    o.max_replicas = 10;
    o.drain_timeout = Millis(5000);
    o.endpoints = [](int n) {
      std::vector<std::string> out;
      out.reserve(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) out.push_back(Ep(i));
      return out;
    };
    return Autoscaler::Create(o, &actuator_, &instances_).ValueOrThrow();
  }
  void AllWant(int n, double v) {
    for (int i = 0; i < n; ++i) instances_.desired[Ep(i)] = v;
  }
  FakeActuator actuator_;
  FakeInstances instances_;
};

TEST(AutoscalerSignal, ReadsTheGaugeAndTakesTheMedian) {
  EXPECT_EQ(ReadDesiredReplicas("brook_desired_replicas 3.2\n"), 3.2);
  EXPECT_EQ(ReadDesiredReplicas("brook_desired_replicas_x 1\nbrook_desired_replicas{a=\"b\"} 4"),
            4.0);
  EXPECT_FALSE(ReadDesiredReplicas("brook_desired_replicas NaN\n").has_value());
  EXPECT_FALSE(ReadDesiredReplicas("other 1\n").has_value());
  EXPECT_EQ(MedianReplicas({1, 5, 6}), 5);
  EXPECT_EQ(MedianReplicas({2, 3}), 3);
  EXPECT_EQ(MedianReplicas({2.1}), 3);
  EXPECT_FALSE(MedianReplicas({}).has_value());
  EXPECT_EQ(ActiveTasks(R"({"tasks":[{"role":"active"},{"role":"warmup"}]})").ValueOrThrow(), 1);
  EXPECT_FALSE(ActiveTasks("{}").ok());
}

TEST_F(AutoscalerTest, ScalesUpAtOnce) {
  auto a = Make();
  actuator_.replicas = 2;
  instances_.desired = {{Ep(0), 4}, {Ep(1), 5}};
  const auto step = a.Tick(Millis(0)).ValueOrThrow();
  EXPECT_EQ(step.recommendation, 5);
  EXPECT_EQ(step.acted, 5);
  EXPECT_EQ(actuator_.replicas, 5);
  EXPECT_TRUE(instances_.posts.empty());
}

TEST_F(AutoscalerTest, ScalesDownOnlyAfterTheWindowAndAfterDraining) {
  auto a = Make();
  actuator_.replicas = 3;
  AllWant(3, 1);
  instances_.active = {{Ep(0), 2}, {Ep(1), 1}, {Ep(2), 1}};
  EXPECT_FALSE(a.Tick(Millis(0)).ValueOrThrow().acted);
  EXPECT_FALSE(a.Tick(Millis(500)).ValueOrThrow().acted);
  EXPECT_TRUE(instances_.posts.empty());
  const auto step = a.Tick(Millis(1000)).ValueOrThrow();
  ASSERT_TRUE(step.decision.has_value());
  EXPECT_EQ(step.decision->action, scaling::Action::kScaleDown);
  EXPECT_THAT(step.draining, ElementsAre(2, 1));
  EXPECT_THAT(instances_.posts, ElementsAre("i2/drain?draining=true", "i1/drain?draining=true"));
  EXPECT_EQ(actuator_.replicas, 3);  // not yet
  EXPECT_TRUE(a.draining());

  EXPECT_FALSE(a.Tick(Millis(1100)).ValueOrThrow().acted);
  instances_.active[Ep(2)] = 0;
  EXPECT_FALSE(a.Tick(Millis(1200)).ValueOrThrow().acted);
  instances_.active[Ep(1)] = 0;  // ordinal 0 keeps its tasks: it stays
  const auto done = a.Tick(Millis(1300)).ValueOrThrow();
  EXPECT_EQ(done.acted, 1);
  EXPECT_EQ(actuator_.replicas, 1);
  EXPECT_FALSE(a.draining());
  EXPECT_THAT(actuator_.sets, ElementsAre(1));
}

TEST_F(AutoscalerTest, DrainTimeoutScalesDownAnyway) {
  auto a = Make();
  actuator_.replicas = 2;
  AllWant(2, 1);
  instances_.active = {{Ep(1), 3}};
  (void)a.Tick(Millis(0));
  ASSERT_TRUE(a.Tick(Millis(1000)).ok());
  ASSERT_TRUE(a.draining());
  EXPECT_FALSE(a.Tick(Millis(5999)).ValueOrThrow().acted);
  const auto step = a.Tick(Millis(6000)).ValueOrThrow();
  EXPECT_EQ(step.acted, 1);
  EXPECT_THAT(step.notes.back(), HasSubstr("drain timeout"));
}

TEST_F(AutoscalerTest, ActuatorErrorsAreReturnedAndRetried) {
  auto a = Make();
  actuator_.replicas = 1;
  AllWant(1, 3);
  actuator_.fail_get = true;
  EXPECT_THAT(a.Tick(Millis(0)).status().message(), HasSubstr("get failed"));
  actuator_.fail_get = false;
  actuator_.fail_set = true;
  EXPECT_THAT(a.Tick(Millis(10)).status().message(), HasSubstr("set failed"));
  actuator_.fail_set = false;
  EXPECT_EQ(a.Tick(Millis(20)).ValueOrThrow().acted, 3);
  EXPECT_EQ(actuator_.replicas, 3);
}

TEST_F(AutoscalerTest, NoSignalHoldsAndUnreadableInstancesAreNoted) {
  auto a = Make();
  actuator_.replicas = 3;
  auto step = a.Tick(Millis(0)).ValueOrThrow();
  EXPECT_FALSE(step.recommendation.has_value());
  EXPECT_THAT(step.notes.back(), HasSubstr("no signal"));
  instances_.desired = {{Ep(0), 6}, {Ep(1), 2}, {Ep(2), 5}};  // median 5
  step = a.Tick(Millis(10)).ValueOrThrow();
  EXPECT_EQ(step.acted, 5);
  instances_.desired.erase(Ep(4));
  step = a.Tick(Millis(20)).ValueOrThrow();
  EXPECT_THAT(step.notes, ::testing::Contains(HasSubstr("ordinal 3: down: i3")));
}

TEST_F(AutoscalerTest, RecommendOnlyComputesButNeverActs) {
  auto a = Make(/*recommend_only=*/true);
  actuator_.replicas = 3;
  instances_.desired = {{Ep(0), 7}, {Ep(1), 6}, {Ep(2), 40}};  // median 7
  auto step = a.Tick(Millis(0)).ValueOrThrow();
  EXPECT_EQ(step.recommendation, 7);
  EXPECT_EQ(step.instances_reporting, 3);
  EXPECT_FALSE(step.decision.has_value());
  EXPECT_FALSE(step.acted.has_value());
  AllWant(3, 1);  // a scale-down, long past the window: still nothing done, no drain
  for (int t = 1; t <= 5; ++t) {
    step = a.Tick(Millis(t * 1000)).ValueOrThrow();
    EXPECT_EQ(step.recommendation, 1);
    EXPECT_TRUE(step.draining.empty());
  }
  EXPECT_FALSE(a.draining());
  EXPECT_TRUE(actuator_.sets.empty());
  EXPECT_TRUE(instances_.posts.empty());
  EXPECT_EQ(actuator_.replicas, 3);
  instances_.desired = {{Ep(0), 50}};  // clamped to max_replicas, one instance reporting
  step = a.Tick(Millis(6000)).ValueOrThrow();
  EXPECT_EQ(step.recommendation, 10);
  EXPECT_EQ(step.instances_reporting, 1);
}

}  // namespace
}  // namespace brook::autoscale
