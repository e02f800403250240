// TaskStateAccess: how a running task reaches its state stores. The runtime's
// TaskStateManager (state_manager.h) implements it for live tasks; the topology test driver
// implements it with its own stores. A processor's context resolves store names through it
// (and checks that the processor is connected to the store before that).
//
// Contract: each getter returns the outermost layer of the named store (metrics ->
// change-logging -> backend), or nullptr when the task has no store of that name and kind.
// Pointers stay valid until the task is closed.
//
// Thread-safety: like the stores, one thread at a time (the thread that owns the task).
#pragma once

#include <string_view>

#include "brook/state/key_value_store.h"
#include "brook/state/session_store.h"
#include "brook/state/window_store.h"

namespace brook::runtime {

class TaskStateAccess {
 public:
  virtual ~TaskStateAccess() = default;
  [[nodiscard]] virtual state::KeyValueBytesStore* KeyValueStore(std::string_view name) = 0;
  [[nodiscard]] virtual state::WindowBytesStore* WindowStore(std::string_view name) = 0;
  [[nodiscard]] virtual state::SessionBytesStore* SessionStore(std::string_view name) = 0;
};

}  // namespace brook::runtime
