// The brook executable: installs signal handlers and runs the CLI.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace {

void OnSignal(int /*sig*/) { brook::cli::StopRequested().store(true); }

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::vector<std::string> args(argv + 1, argv + argc);
  brook::cli::Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string kv(*e);
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return brook::cli::RunCli(args, std::cout, std::cerr, env);
}
