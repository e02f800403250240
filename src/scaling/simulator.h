// Test support: a synthetic brook group to drive the scaling model and stabilizer with
// synthetic input-rate traces (step, ramp, sinusoid, plus seeded noise), and the loop that
// `brook autoscale` runs (read, decide, stabilise, act) over it. Compiled into the scaling
// tests only, not into brook_scaling.
//
// The group: N instances (pods "pod-0".."pod-<N-1>", as a StatefulSet names them), each able
// to process capacity_per_instance records/s when all its threads are busy. Input arrives at
// the profile's rate (times 1 + noise × a standard normal draw per second); what the
// instances cannot process accumulates as lag. After every change of the replica count no
// instance processes anything for rebalance_pause_seconds (the rebalance cost). Time advances
// in whole seconds; everything is deterministic for a given seed.
//
// Contract: not a model of Kafka, only of what the scaling model reads: cumulative processed
// records and busy thread-seconds per instance, the sum of end offsets, the total lag.
//
// Thread-safety: values with state; one owner.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "scaling/model.h"
#include "scaling/stabilizer.h"

namespace brook::scaling::sim {

// Input rate (records/s) as a function of the time in seconds.
using Profile = std::function<double(double t)>;
Profile Constant(double rate);
// `before` until at_seconds, then `after`.
Profile Step(double before, double after, double at_seconds);
// `from` until start, linear to `to` at end, then `to`.
Profile Ramp(double from, double to, double start_seconds, double end_seconds);
// mean + amplitude × sin(2π t / period).
Profile Sinusoid(double mean, double amplitude, double period_seconds);

struct GroupSpec {
  double capacity_per_instance = 1000.0;  // records/s with all threads busy
  int threads_per_instance = 2;
  int rebalance_pause_seconds = 5;
  int tasks = 12;
  int initial_replicas = 1;
  double noise = 0.0;  // relative standard deviation of the input rate, drawn every second
  uint64_t seed = 1;
};

class SimulatedGroup {
 public:
  SimulatedGroup(const GroupSpec& spec, Profile input);

  // Advances by whole seconds.
  void Advance(int seconds);
  // Changes the replica count (new instances start with zero counters); every instance then
  // pauses for rebalance_pause_seconds. No-op if n equals the count.
  void SetReplicas(int n);
  // Nothing is processed for the next `seconds` (input keeps arriving).
  void StartOutage(int seconds);
  // Every instance restarts: counters back to zero, a new process start time.
  void RestartAll();

  [[nodiscard]] GroupReading Read() const;
  [[nodiscard]] int replicas() const { return static_cast<int>(instances_.size()); }
  [[nodiscard]] int now() const { return now_; }
  [[nodiscard]] double lag() const { return lag_; }
  [[nodiscard]] const GroupSpec& spec() const { return spec_; }
  [[nodiscard]] double ProfileAt(double t) const { return input_(t); }

 private:
  struct Instance {
    std::string id;
    double processed = 0.0;
    double busy = 0.0;
    int64_t start_ms = 0;
  };
  double NextNormal();
  void AddInstance();

  GroupSpec spec_;
  Profile input_;
  uint64_t rng_state_;
  int now_ = 0;
  int paused_until_ = 0;
  int64_t starts_ = 0;  // process starts so far: makes every start time distinct
  double end_offsets_ = 0.0;
  double lag_ = 0.0;
  std::vector<Instance> instances_;
};

// One second of a run.
struct Second {
  int t = 0;
  double input_rate = 0.0;  // the profile, without noise
  double lag = 0.0;
  int replicas = 0;
};

// One decision of a run (every interval).
struct Round {
  int t = 0;
  Decision model;
  StabilizerDecision stabilizer;
};

struct Trace {
  std::vector<Second> seconds;
  std::vector<Round> rounds;
  int scale_ups = 0;
  int scale_downs = 0;
  // "t=615 scale up 2 -> 9: ... | model: ..." for every decision that acted or where the
  // model held (no rate, no input rate), for failure messages.
  [[nodiscard]] std::string Summary() const;
};

struct RunSpec {
  int interval_seconds = 15;  // a decision every interval, the window being the interval
  int duration_seconds = 1800;
  // Called at the start of every second, before it is simulated (outages, restarts).
  std::function<void(SimulatedGroup&)> on_second;
};

// Runs the autoscaler loop from the group's present state: every interval, read the group,
// build the Observation over the window since the previous read, Decide, Observe on the
// stabilizer (time in ms since the start of the group), and SetReplicas on an action.
// Precondition: the configs are valid.
Trace RunAutoscaler(SimulatedGroup& group, const ModelConfig& model,
                    const StabilizerConfig& stabilizer, const RunSpec& run);

}  // namespace brook::scaling::sim
