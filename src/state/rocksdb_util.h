// Internal glue between brook's state layer and RocksDB: option translation and Status
// conversion. Not for use outside src/state.
//
// Thread-safety: pure functions.
#pragma once

#include <rocksdb/options.h>
#include <rocksdb/status.h>

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "brook/status.h"
#include "state/rocksdb_options.h"

namespace brook::state::internal {

// Options for the DB and (via the ColumnFamilyOptions slice) for every column family.
// Returns kInvalidArgument when the requested compression is not compiled in.
[[nodiscard]] Result<rocksdb::Options> MakeRocksDbOptions(const RocksDbStoreOptions& options);

// Converts a RocksDB status; context names the store, directory and operation.
[[nodiscard]] Status FromRocksDb(const rocksdb::Status& s, std::string_view context);

// The same, with the context built only on failure: for the per-record paths (a get and a
// put per record), where building the message every time cost allocations on success.
template <typename ContextFn>
requires std::is_invocable_r_v<std::string, ContextFn>
[[nodiscard]] Status FromRocksDb(const rocksdb::Status& s, ContextFn&& context) {
  if (s.ok()) return Status::Ok();
  const std::string text = std::forward<ContextFn>(context)();
  return FromRocksDb(s, std::string_view(text));
}

}  // namespace brook::state::internal
