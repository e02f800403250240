// Autoscaler: the control loop of `brook autoscale`, as a class driven one Tick() at a time
// with the time passed in, and with injected I/O (how instances are reached, what is scaled).
//
// One Tick(now):
//   1. current = actuator.GetReplicas() (an error is returned; nothing else happens).
//   2. While a scale-down is draining: GET /status of each draining instance; when none of
//      them lists an active task ("tasks": [{"role": "active", ...}]), or the drain timeout
//      has passed, SetReplicas(target) and the drain is over (a failed SetReplicas is
//      returned and retried next tick). Nothing else is decided meanwhile.
//   3. Otherwise GET /metrics of instances 0..current-1 and read the gauge
//      brook_desired_replicas of each (a minimal reader of that one gauge, not the strict
//      src/metrics parser: one odd line elsewhere on the page must not blind the
//      autoscaler). The recommendation is the MEDIAN of the values that could be read
//      (upper median for an even count, rounded up): every instance computes the group's
//      desired count from its own view of the group's rates, and the median ignores a
//      minority that is stale (just restarted, still restoring) or extreme, without letting
//      one outlier move the group either way. No value at all: hold.
//   4. The recommendation, clamped to [min_replicas, max_replicas], goes through the
//      Stabilizer (separate scale-up and scale-down windows, cooldown). Scale-up is acted on
//      at once. Scale-down first marks the ordinals that will go (the highest, as a
//      StatefulSet removes them) as draining with POST /drain?draining=true (expected
//      contract on the instance: 200 once set; any other answer is logged in the step and
//      the drain still waits at most the timeout), then waits as in step 2.
//
// Recommend-only (options.recommend_only, `brook autoscale --recommend-only`): steps 1 and 3
// only. The recommendation (the median, clamped) is computed and returned, the Stabilizer
// is not run and nothing is changed: no SetReplicas(), no POST /drain. The actuator is only
// read, so it needs only `get` on the scale. Used when an HPA or KEDA acts on the exported
// recommendation (their `behavior` then does what the Stabilizer does).
//
// Instance endpoints come from `endpoints(replicas)`: "host:port" of ordinals 0..replicas-1.
//
// Thread-safety: an Autoscaler is a value with state; one owner calls Tick() (no locking).
// The injected interfaces are only called from Tick().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brook/status.h"
#include "scaling/stabilizer.h"

namespace brook::autoscale {

using Millis = std::chrono::milliseconds;

// What is scaled: a StatefulSet, the local runner, a fake in tests.
class Actuator {
 public:
  virtual ~Actuator() = default;
  [[nodiscard]] virtual Result<int> GetReplicas() = 0;
  [[nodiscard]] virtual Status SetReplicas(int replicas) = 0;
};

// How instances are reached.
class InstanceClient {
 public:
  virtual ~InstanceClient() = default;
  // The body of a 200 answer; any other status is an error naming it.
  [[nodiscard]] virtual Result<std::string> Get(const std::string& endpoint,
                                                const std::string& target) = 0;
  // OK on a 200 answer.
  [[nodiscard]] virtual Status Post(const std::string& endpoint, const std::string& target) = 0;
};

// Over src/http (plain HTTP, one connection per call).
class HttpInstanceClient : public InstanceClient {
 public:
  explicit HttpInstanceClient(Millis timeout) : timeout_(timeout) {}
  [[nodiscard]] Result<std::string> Get(const std::string& endpoint,
                                        const std::string& target) override;
  [[nodiscard]] Status Post(const std::string& endpoint, const std::string& target) override;

 private:
  Millis timeout_;
};

struct AutoscalerOptions {
  scaling::StabilizerConfig stabilizer;
  int min_replicas = 1;
  int max_replicas = 100;
  Millis drain_timeout{120000};
  // Compute the recommendation only; never scale or drain (above).
  bool recommend_only = false;
  std::function<std::vector<std::string>(int replicas)> endpoints;
};

// The value of the gauge brook_desired_replicas on a /metrics page (unlabelled, or the first
// series), nullopt when absent or not a finite number.
[[nodiscard]] std::optional<double> ReadDesiredReplicas(const std::string& metrics_page);
// Median as described above: upper median, rounded up. nullopt for no values.
[[nodiscard]] std::optional<int> MedianReplicas(std::vector<double> values);
// Active tasks listed by an instance's GET /status JSON; kCorruption if it is not that JSON.
[[nodiscard]] Result<int> ActiveTasks(const std::string& status_json);

struct AutoscalerStep {
  int current_replicas = 0;
  std::optional<int> recommendation;  // the median, clamped; none while draining
  int instances_reporting = 0;        // instances whose brook_desired_replicas was read
  std::optional<scaling::StabilizerDecision> decision;
  std::vector<int> draining;       // ordinals being drained
  std::optional<int> acted;        // SetReplicas(n) done this tick
  std::vector<std::string> notes;  // unreadable instances, failed drain marks, ...
};

class Autoscaler {
 public:
  // `actuator` and `client` must outlive the Autoscaler.
  [[nodiscard]] static Result<Autoscaler> Create(AutoscalerOptions options, Actuator* actuator,
                                                 InstanceClient* client);
  [[nodiscard]] Result<AutoscalerStep> Tick(Millis now);
  [[nodiscard]] bool draining() const { return drain_.has_value(); }

 private:
  Autoscaler(AutoscalerOptions options, scaling::Stabilizer stabilizer, Actuator* actuator,
             InstanceClient* client);
  struct Drain {
    int target = 0;
    std::vector<int> ordinals;
    Millis deadline{0};
  };
  [[nodiscard]] Result<AutoscalerStep> TickDraining(Millis now, AutoscalerStep step);

  AutoscalerOptions options_;
  scaling::Stabilizer stabilizer_;
  Actuator* actuator_;
  InstanceClient* client_;
  std::optional<Drain> drain_;
};

}  // namespace brook::autoscale
