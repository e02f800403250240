#include "scaling/simulator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <utility>

namespace brook::scaling::sim {

Profile Constant(double rate) {
  return [rate](double) { return rate; };
}

Profile Step(double before, double after, double at_seconds) {
  return [=](double t) { return t < at_seconds ? before : after; };
}

Profile Ramp(double from, double to, double start_seconds, double end_seconds) {
  return [=](double t) {
    if (t <= start_seconds) return from;
    if (t >= end_seconds) return to;
    return from + (to - from) * (t - start_seconds) / (end_seconds - start_seconds);
  };
}

Profile Sinusoid(double mean, double amplitude, double period_seconds) {
  return [=](double t) {
    return mean + amplitude * std::sin(2.0 * std::numbers::pi * t / period_seconds);
  };
}

SimulatedGroup::SimulatedGroup(const GroupSpec& spec, Profile input)
    : spec_(spec), input_(std::move(input)), rng_state_(spec.seed) {
  for (int i = 0; i < spec_.initial_replicas; ++i) AddInstance();
}

double SimulatedGroup::NextNormal() {
  // SplitMix64, then Box-Muller: the same sequence on every platform.
  auto next = [this] {
    uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (static_cast<double>(z >> 11) + 0.5) / 9007199254740992.0;  // (0, 1)
  };
  const double u1 = next();
  const double u2 = next();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

void SimulatedGroup::AddInstance() {
  Instance in;
  in.id = "pod-" + std::to_string(instances_.size());
  in.start_ms = static_cast<int64_t>(now_) * 1000 + ++starts_;
  instances_.push_back(std::move(in));
}

void SimulatedGroup::Advance(int seconds) {
  for (int s = 0; s < seconds; ++s) {
    double in = input_(now_);
    if (spec_.noise > 0) in *= 1.0 + spec_.noise * NextNormal();
    in = std::max(in, 0.0);
    end_offsets_ += in;
    lag_ += in;
    if (now_ >= paused_until_ && !instances_.empty()) {
      const double n = static_cast<double>(instances_.size());
      const double processed = std::min(lag_, n * spec_.capacity_per_instance);
      lag_ -= processed;
      for (Instance& i : instances_) {
        i.processed += processed / n;
        i.busy += processed / n / spec_.capacity_per_instance * spec_.threads_per_instance;
      }
    }
    ++now_;
  }
}

void SimulatedGroup::SetReplicas(int n) {
  if (n < 0) throw std::invalid_argument("SetReplicas: negative count");
  if (n == replicas()) return;
  while (replicas() < n) AddInstance();
  while (replicas() > n) instances_.pop_back();
  paused_until_ = std::max(paused_until_, now_ + spec_.rebalance_pause_seconds);
}

void SimulatedGroup::StartOutage(int seconds) {
  paused_until_ = std::max(paused_until_, now_ + seconds);
}

void SimulatedGroup::RestartAll() {
  for (Instance& i : instances_) {
    i.processed = 0.0;
    i.busy = 0.0;
    i.start_ms = static_cast<int64_t>(now_) * 1000 + ++starts_;
  }
}

GroupReading SimulatedGroup::Read() const {
  GroupReading r;
  r.at_seconds = now_;
  r.source_end_offsets = static_cast<int64_t>(std::floor(end_offsets_ + 1e-6));
  r.backlog_records = std::llround(lag_);
  for (const Instance& i : instances_) {
    r.instances.push_back(InstanceReading{
        .instance = i.id,
        .counters = {.records_processed = static_cast<int64_t>(std::floor(i.processed + 1e-6)),
                     .busy_seconds = i.busy,
                     .process_start_ms = i.start_ms},
        .threads = spec_.threads_per_instance});
  }
  return r;
}

std::string Trace::Summary() const {
  std::string out;
  for (const Round& s : rounds) {
    const bool held = s.model.basis != Basis::kModel && s.model.basis != Basis::kIdle;
    if (s.stabilizer.action == Action::kNone && !held) continue;
    out += fmt::format("t={} {} | model: {}\n", s.t, s.stabilizer.reason, s.model.reason);
  }
  return out;
}

Trace RunAutoscaler(SimulatedGroup& group, const ModelConfig& model,
                    const StabilizerConfig& stabilizer, const RunSpec& run) {
  Result<Stabilizer> created = Stabilizer::Create(stabilizer);
  if (!created.ok()) throw std::invalid_argument(created.status().ToString());
  Stabilizer stab = std::move(created).value();
  Trace trace;
  GroupReading previous = group.Read();
  const int end = group.now() + run.duration_seconds;
  while (group.now() < end) {
    if (run.on_second) run.on_second(group);
    group.Advance(1);
    trace.seconds.push_back(Second{.t = group.now(),
                                   .input_rate = group.ProfileAt(group.now() - 1),
                                   .lag = group.lag(),
                                   .replicas = group.replicas()});
    if (group.now() % run.interval_seconds != 0) continue;
    GroupReading reading = group.Read();
    Result<Decision> decision =
        Decide(ObservationBetween(previous, reading, group.replicas(), group.spec().tasks), model);
    if (!decision.ok()) throw std::invalid_argument(decision.status().ToString());
    StabilizerDecision acted = stab.Observe(Millis{static_cast<int64_t>(group.now()) * 1000},
                                            decision->desired, group.replicas());
    if (acted.action == Action::kScaleUp) ++trace.scale_ups;
    if (acted.action == Action::kScaleDown) ++trace.scale_downs;
    if (acted.action != Action::kNone) group.SetReplicas(acted.replicas);
    trace.rounds.push_back(
        Round{.t = group.now(), .model = std::move(decision).value(), .stabilizer = acted});
    previous = std::move(reading);
  }
  return trace;
}

}  // namespace brook::scaling::sim
