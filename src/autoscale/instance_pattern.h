// InstancePattern: the HTTP endpoints ("host:port") of a StatefulSet's instances, ordinal by
// ordinal, from one pattern, so that the autoscaler reaches ordinals 0..N-1 whatever N is
// now (no static list to keep in step with the replica count).
//
// Contract:
//   - A pattern is text with placeholders in braces: {ordinal} (required, at least once)
//     and the names given to Parse() in `vars` (e.g. {namespace}, {statefulset}), which are
//     substituted once at Parse(). Any other "{name}", an unmatched brace, an empty pattern
//     or one that does not expand to "host:port" (for ordinal 0: a non-empty host, a port
//     1..65535 after the last ':') is kInvalidArgument naming the pattern and the problem.
//     A leading "http://" and trailing '/' are dropped (as in a static --instances list).
//   - Endpoint(i) substitutes i for every {ordinal}; Endpoints(n) lists ordinals 0..n-1.
//
// Example: "{statefulset}-{ordinal}.wc-headless.{namespace}.svc:8080" with
// {namespace: prod, statefulset: wc} gives "wc-0.wc-headless.prod.svc:8080", ...
//
// Thread-safety: an InstancePattern is an immutable value once parsed; const methods may be
// called from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "brook/status.h"

namespace brook::autoscale {

class InstancePattern {
 public:
  [[nodiscard]] static Result<InstancePattern> Parse(
      std::string_view pattern, const std::map<std::string, std::string>& vars);

  [[nodiscard]] std::string Endpoint(int ordinal) const;
  [[nodiscard]] std::vector<std::string> Endpoints(int replicas) const;
  // The pattern with the vars substituted ({ordinal} left in).
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  InstancePattern(std::string text, std::vector<std::string> parts)
      : text_(std::move(text)), parts_(std::move(parts)) {}
  std::string text_;
  std::vector<std::string> parts_;  // literal text between the {ordinal}s (size >= 2)
};

// Checks "host:port" (non-empty host, numeric port 1..65535); kInvalidArgument naming it.
[[nodiscard]] Status ValidateEndpoint(std::string_view endpoint);

}  // namespace brook::autoscale
