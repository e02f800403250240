#include "brook/state/typed_views.h"

#include "state/encoding.h"

namespace brook::state::internal {

void ThrowDeserializationError(const Status& status, std::string_view store, std::string_view what,
                               std::string_view serde, std::string_view key_bytes) {
  const Status s = status.WithContext(
      "state store '" + std::string(store) + "': cannot deserialize " + std::string(what) + " (" +
      std::string(serde) + ") of key '" + EscapeBytes(key_bytes) + "'");
  throw Error(s.code(), s.message());
}

}  // namespace brook::state::internal
