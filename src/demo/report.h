// The elastic demo's run record and its HTML report.
//
// `brook demo` samples a running app every ~2 s into a Run (profile, samples, events,
// summary). This library turns a Run into JSON and back, and renders it as ONE
// self-contained HTML file: no external scripts, fonts or stylesheets (the report must open
// offline). The page carries the Run as JSON in <script type="application/json"
// id="brook-data"> and a small inline JavaScript draws four SVG plots from it in the browser:
// replicas (runner's, running, desired), input vs processed rate, total lag, and the longest
// stall per interval; each with axes, ticks, labels, a legend, shaded profile phases and
// numbered vertical markers for events. The format of the page (for tests and tools) is in
// src/demo/README.md.
//
// Contract: pure functions over values; no I/O, no clock. ToJson never fails (invalid UTF-8
// is replaced; a non-finite double is written as null, which RunFromJson rejects).
// RunFromJson is strict: every field is required except Sample::desired (null or absent),
// unknown fields are errors, integers must be integral and in range, numbers must be finite,
// times non-negative and samples ordered by t; a kInvalidArgument Status names the offending
// path, e.g. "samples[12].lag: expected an integer, got string". RenderReportHtml escapes
// every text (title, names, summary) and cannot be broken out of by the data. No exception
// escapes this library.
//
// Thread-safety: free functions over values; safe to call concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brook/status.h"

namespace brook::demo {

// One step of the load profile.
struct Phase {
  std::string name;    // e.g. "low", "step x4"
  double rate = 0;     // records/s the load generator targets
  double seconds = 0;  // how long the phase lasts

  friend bool operator==(const Phase&, const Phase&) = default;
};

// One row of the live table, every ~2 s.
struct Sample {
  double t = 0;                // seconds since the run started
  std::string phase;           // profile phase name at that time
  int replicas = 0;            // instances the runner wants
  int running = 0;             // instances alive and ready
  std::optional<int> desired;  // the autoscaler's/instances' desired replicas (median)
  double input_rate = 0;       // records/s appended to the input topic (end-offset growth)
  double processed_rate = 0;   // records/s processed by the group
  int64_t lag = 0;             // end offsets - committed offsets of the group
  int64_t rebalances = 0;      // cumulative rebalances seen so far (group generations)
  int64_t max_stall_ms = 0;    // longest processing stall of any partition in this interval

  friend bool operator==(const Sample&, const Sample&) = default;
};

// Something that happened, drawn as a numbered vertical marker: "scale 1 -> 3".
struct Event {
  double t = 0;  // seconds since the run started
  std::string text;

  friend bool operator==(const Event&, const Event&) = default;
};

struct Run {
  std::string title;
  std::string started_at;  // wall-clock start, as shown (e.g. "2026-11-25T21:30:00Z")
  std::vector<Phase> profile;
  std::vector<Sample> samples;
  std::vector<Event> events;
  std::vector<std::pair<std::string, std::string>> summary;  // ordered key/value rows

  friend bool operator==(const Run&, const Run&) = default;
};

// The Run as a JSON object (pretty-printed, 2-space indent):
//   {"title", "started_at", "profile": [{"name","rate","seconds"}],
//    "samples": [{"t","phase","replicas","running","desired" (int or null),"input_rate",
//                 "processed_rate","lag","rebalances","max_stall_ms"}],
//    "events": [{"t","text"}], "summary": [{"key","value"}]}
[[nodiscard]] std::string ToJson(const Run& run);

// Parses ToJson's format strictly (see the contract above).
[[nodiscard]] Result<Run> RunFromJson(std::string_view json);

// The self-contained HTML report. Renders any Run, also an empty or unvalidated one (the
// plots then say "no data").
[[nodiscard]] std::string RenderReportHtml(const Run& run);

}  // namespace brook::demo
