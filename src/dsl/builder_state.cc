#include "brook/dsl/internal/builder_state.h"

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace brook::internal::dsl {

std::string BuilderState::NewName(std::string_view prefix) {
  return fmt::format("{}{:010d}", prefix, next_index++);
}

void ThrowDslError(std::string_view op, std::string_view message) {
  throw Error(StatusCode::kInvalidArgument, fmt::format("{}: {}", op, message));
}

}  // namespace brook::internal::dsl
