#include "metrics/scaling_signal.h"

#include <algorithm>
#include <utility>

namespace brook::metrics {
namespace {

scaling::GroupReading ToGroupReading(const ScalingReading& r) {
  return scaling::GroupReading{.at_seconds = r.group.at_seconds,
                               .source_end_offsets = r.group.source_end_offsets,
                               .backlog_records = r.group.backlog_records,
                               .instances = {r.self}};
}

}  // namespace

Result<ScalingSignal> ScalingSignal::Create(ScalingOptions options) {
  BROOK_RETURN_IF_ERROR(scaling::Validate(options.model));
  if (options.window.count() <= 0) {
    return Status::InvalidArgument("scaling window must be > 0 ms, got " +
                                   std::to_string(options.window.count()));
  }
  return ScalingSignal(options);
}

Result<scaling::Decision> ScalingSignal::Update(const ScalingReading& reading) {
  if (!history_.empty() && reading.group.at_seconds < history_.back().group.at_seconds) {
    history_.clear();  // the clock went backwards: start over
  }
  const double window = std::chrono::duration<double>(options_.window).count();
  while (!history_.empty() &&
         history_.front().group.at_seconds < reading.group.at_seconds - window) {
    history_.pop_front();
  }
  const ScalingReading& before = history_.empty() ? reading : history_.front();
  const int current = std::max(1, reading.group.members);
  const int tasks = std::max(1, reading.group.tasks);
  const scaling::Observation obs =
      scaling::ObservationBetween(ToGroupReading(before), ToGroupReading(reading), current, tasks);
  history_.push_back(reading);
  return scaling::Decide(obs, options_.model);
}

}  // namespace brook::metrics
