// Internal glue between brook's state layer and RocksDB: option translation and Status
// conversion. Not for use outside src/state.
//
// Thread-safety: pure functions.
#pragma once

#include <rocksdb/options.h>
#include <rocksdb/status.h>

#include <string_view>

#include "brook/status.h"
#include "state/rocksdb_options.h"

namespace brook::state::internal {

// Options for the DB and (via the ColumnFamilyOptions slice) for every column family.
// Returns kInvalidArgument when the requested compression is not compiled in.
[[nodiscard]] Result<rocksdb::Options> MakeRocksDbOptions(const RocksDbStoreOptions& options);

// Converts a RocksDB status; context names the store, directory and operation.
[[nodiscard]] Status FromRocksDb(const rocksdb::Status& s, std::string_view context);

}  // namespace brook::state::internal
