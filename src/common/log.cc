#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <string>

namespace brook {

Status InitLogging(std::string_view level) {
  const auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return Status::InvalidArgument("unknown log level '" + std::string(level) + "'");
  }
  auto logger = spdlog::get("brook");
  if (!logger) {
    logger = spdlog::stderr_color_mt("brook");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%t] %v");
    spdlog::set_default_logger(logger);
  }
  logger->set_level(lvl);
  return Status::Ok();
}

spdlog::logger& Logger() { return *spdlog::default_logger_raw(); }

}  // namespace brook
