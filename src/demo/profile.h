// The elastic demo's load profile: a sequence of phases, each a constant input rate held for
// a number of seconds ("low:1500:60,high:6000:120,low:1500:120").
//
// Contract: ParseProfile() accepts `name:rate:seconds` items separated by commas; a name is
// letters, digits, '-' or '_'; the rate is records/s (>= 0, a decimal number), the duration
// whole or decimal seconds (> 0). Errors name the item (1-based) and what is wrong in it.
// PhaseAt() maps a time since the start to the phase running then (the last one after the
// end). Pure functions.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "brook/status.h"
#include "demo/report.h"

namespace brook::demo {

// The default: 60 s low, a x4 step for 120 s, 120 s low again (5 minutes).
inline constexpr std::string_view kDefaultProfile = "low:1500:60,high:6000:120,low:1500:120";

[[nodiscard]] Result<std::vector<Phase>> ParseProfile(std::string_view text);

// "low:1500:60,high:6000:120": the profile as ParseProfile reads it.
std::string FormatProfile(const std::vector<Phase>& profile);

// Total seconds of the profile.
double ProfileSeconds(const std::vector<Phase>& profile);

// The index of the phase running `t` seconds after the start (the last phase for t past the
// end, the first for t < 0). The profile must not be empty.
size_t PhaseAt(const std::vector<Phase>& profile, double t);

// Records a generator following the profile has sent by time `t` (the integral of the rate;
// constant after the end).
double RecordsBy(const std::vector<Phase>& profile, double t);

}  // namespace brook::demo
