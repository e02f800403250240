// A strict parser of the Prometheus text exposition format (version 0.0.4), to read metrics
// back: the tests check brook's /metrics with it, and an autoscaler can read the instances'
// exported inputs (brook_processed_records_total, brook_busy_seconds_total, ...) with it.
//
// Contract: ParseTextFormat() accepts exactly the format's grammar and rejects, naming the
// line: a sample before (or without) its "# TYPE", a second TYPE or HELP for a name, a type
// other than counter/gauge/histogram/summary/untyped, samples of one family that are not
// contiguous, bad metric or label names, a repeated label name, bad escapes or quoting in
// label values, a value that is not a float (NaN, +Inf and -Inf are), a bad timestamp, a
// duplicate series, a counter that is negative or NaN, a histogram sample that is not
// _bucket/_sum/_count, a bucket without `le`, buckets whose `le` do not increase or whose
// counts decrease, a histogram without the +Inf bucket or whose +Inf bucket differs from its
// _count. HELP text and label values are unescaped. Empty lines and other comments are
// skipped.
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brook/status.h"

namespace brook::metrics {

struct ParsedSample {
  std::string name;  // as written, e.g. "brook_commit_latency_seconds_bucket"
  std::map<std::string, std::string> labels;
  double value = 0.0;
  std::optional<int64_t> timestamp_ms;
};

struct ParsedFamily {
  std::string name;
  std::string type;  // counter, gauge, histogram, summary, untyped
  std::string help;
  std::vector<ParsedSample> samples;  // in order
};

// Families in order of their TYPE lines. kInvalidArgument "line <n>: <what>: <line text>".
[[nodiscard]] Result<std::vector<ParsedFamily>> ParseTextFormat(std::string_view text);

// The family named `name`, or nullptr.
[[nodiscard]] const ParsedFamily* FindFamily(const std::vector<ParsedFamily>& families,
                                             std::string_view name);

// The samples of `family` named `sample_name` whose labels include every pair of `labels`.
[[nodiscard]] std::vector<const ParsedSample*> FindSamples(
    const ParsedFamily& family, std::string_view sample_name,
    const std::map<std::string, std::string>& labels = {});

}  // namespace brook::metrics
