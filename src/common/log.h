// Logging for brook: one spdlog logger per process writing to stderr, so stdout stays for
// command output. Call InitLogging once at start-up (the CLI does); Logger() is safe to use
// before that (it falls back to spdlog's default logger).
//
// Thread-safety: spdlog loggers are thread-safe; InitLogging must not race with itself.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "brook/status.h"

namespace brook {

// level: one of trace, debug, info, warn, error, off.
[[nodiscard]] Status InitLogging(std::string_view level);

spdlog::logger& Logger();

}  // namespace brook
