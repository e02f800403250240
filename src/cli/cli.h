// The `brook` command line: argument parsing, configuration loading and dispatch to the
// subcommands. Kept as a library so tests can run it in-process.
//
// Contract: RunCli never throws; it returns the process exit code: 0 success, 1 a runtime
// error (printed to `err` as "brook: error: <message>"), 2 a usage error (CLI11's message
// plus a hint). Command output goes to `out`, progress and logs to `err`/stderr.
//
// Thread-safety: RunCli is not reentrant (it configures the process-wide logger).
#pragma once

#include <atomic>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace brook::cli {

using Environment = std::vector<std::pair<std::string, std::string>>;

// args excludes the program name.
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
           const Environment& env);

// Set by SIGINT/SIGTERM (installed by main); long-running commands stop cleanly when set.
std::atomic<bool>& StopRequested();

}  // namespace brook::cli
