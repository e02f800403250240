// Checkpoint file: per task directory, the changelog offset up to which the local state
// reflects each changelog partition. The runtime writes it after flushing the stores (on
// commit and after restore) and reads it on start-up to resume restore from there, and to
// report offset sums of tasks with local state to the assignor.
//
// Format (text, version 1), every line terminated by '\n':
//   1                              the format version
//   <n>                            number of entries, decimal
//   <topic> <partition> <offset>   n lines, single spaces; topic of Kafka's legal
//                                  characters [a-zA-Z0-9._-], partition and offset decimal
//                                  and >= 0. Offset = the next offset to restore from
//                                  (last restored or written offset + 1).
// A missing file reads as empty. Anything else unexpected - unknown version, a bad or
// duplicate entry line, fewer or more entries than n, a last line without its newline
// (truncation) - is kCorruption naming the file and line number; the runtime then wipes the
// task's state and restores it from the beginning of the changelog.
//
// Writing is atomic: the content goes to "<file>.tmp", is fsynced, renamed over the file,
// and the directory is fsynced; a crash leaves either the old or the new checkpoint.
//
// Thread-safety: free functions; callers serialize access to one file (they hold the task
// directory lock).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "brook/status.h"

namespace brook::state {

inline constexpr std::string_view kCheckpointFileName = ".checkpoint";
inline constexpr int kCheckpointVersion = 1;

struct ChangelogPartition {
  std::string topic;
  int32_t partition = 0;
  bool operator==(const ChangelogPartition&) const = default;
  bool operator<(const ChangelogPartition& o) const {
    return topic != o.topic ? topic < o.topic : partition < o.partition;
  }
};

using CheckpointOffsets = std::map<ChangelogPartition, int64_t>;

// Atomically replaces file with offsets. kInvalidArgument for an entry the format cannot
// hold (bad topic, negative partition or offset); kIoError on file-system errors (the old
// file is then unchanged).
[[nodiscard]] Status WriteCheckpoint(const std::filesystem::path& file,
                                     const CheckpointOffsets& offsets);

// Reads file: empty when missing; kCorruption (file and line named) when malformed; kIoError
// when unreadable.
[[nodiscard]] Result<CheckpointOffsets> ReadCheckpoint(const std::filesystem::path& file);

// Sum of the offsets (the per-task "offset sum" brook reports in its subscription).
[[nodiscard]] int64_t SumOffsets(const CheckpointOffsets& offsets);

}  // namespace brook::state
