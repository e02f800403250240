#include "group/user_data.h"

#include <cmath>
#include <string>

namespace brook::group {
namespace {

using protocol::Bytes;
using protocol::Reader;
using protocol::Writer;

constexpr size_t kTaskIdBytes = 8;
// A host map entry: int16 endpoint length + two int32 task-set counts.
constexpr size_t kMinHostEntryBytes = 2 + 4 + 4;

void WriteTaskId(Writer& w, const TaskId& id) {
  w.WriteInt32(id.subtopology);
  w.WriteInt32(id.partition);
}

Result<TaskId> ReadTaskId(Reader& r, std::string_view field) {
  TaskId id;
  BROOK_ASSIGN_OR_RETURN(id.subtopology, r.ReadInt32(field));
  BROOK_ASSIGN_OR_RETURN(id.partition, r.ReadInt32(field));
  if (id.subtopology < 0 || id.partition < 0) {
    return r.Error(field, "negative task id " + id.ToString());
  }
  return id;
}

Status WriteTaskSet(Writer& w, std::string_view field, const std::set<TaskId>& tasks) {
  BROOK_RETURN_IF_ERROR(w.WriteArrayLength(field, tasks.size()));
  for (const TaskId& id : tasks) WriteTaskId(w, id);
  return Status::Ok();
}

Result<std::set<TaskId>> ReadTaskSet(Reader& r, std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> n, r.ReadArrayLength(field, kTaskIdBytes));
  if (!n) return r.Error(field, "null array");
  std::set<TaskId> out;
  for (size_t i = 0; i < *n; ++i) {
    BROOK_ASSIGN_OR_RETURN(const TaskId id, ReadTaskId(r, field));
    if (!out.insert(id).second) return r.Error(field, "task " + id.ToString() + " listed twice");
  }
  return out;
}

// version, latest_supported_version; returns the version to decode as.
Result<int32_t> ReadVersionHeader(Reader& r, int32_t& version, int32_t& latest) {
  BROOK_ASSIGN_OR_RETURN(version, r.ReadInt32("version"));
  BROOK_ASSIGN_OR_RETURN(latest, r.ReadInt32("latest_supported_version"));
  if (version < 1) return r.Error("version", "unsupported version " + std::to_string(version));
  return std::min(version, kUserDataVersion);
}

Status CheckEncodeVersion(int32_t version) {
  if (version < 1 || version > kUserDataVersion) {
    return Status::InvalidArgument("brook userData: cannot encode version " +
                                   std::to_string(version) + " (supported 1.." +
                                   std::to_string(kUserDataVersion) + ")");
  }
  return Status::Ok();
}

Status CheckFinite(Reader& r, std::string_view field, double v) {
  if (!std::isfinite(v) || v < 0) return r.Error(field, "not a finite non-negative number");
  return Status::Ok();
}

// Known versions must be consumed exactly; newer ones may carry appended fields.
Status FinishDecode(const Reader& r, int32_t wire_version) {
  if (wire_version > kUserDataVersion) return Status::Ok();
  return r.ExpectEnd();
}

}  // namespace

namespace {
// What a decoder would reject, refused at the sender where the cause is known.
Status ValidateForEncode(const SubscriptionInfo& info) {
  const auto bad = [](std::string_view field, std::string_view what) {
    return Status::InvalidArgument("SubscriptionInfo." + std::string(field) + ": " +
                                   std::string(what));
  };
  if (!std::isfinite(info.capacity) || info.capacity <= 0) {
    return bad("capacity", "must be a finite number > 0");
  }
  if (info.state_bytes < 0) return bad("state_bytes", "negative");
  for (const auto& [id, sum] : info.task_offset_sums) {
    if (sum < 0) return bad("task_offset_sums", "negative for task " + id.ToString());
  }
  for (const auto& [id, load] : info.task_loads) {
    if (!std::isfinite(load.records_per_sec) || load.records_per_sec < 0 ||
        !std::isfinite(load.busy_fraction) || load.busy_fraction < 0) {
      return bad("task_loads", "not a finite non-negative number for task " + id.ToString());
    }
  }
  return Status::Ok();
}
}  // namespace

Result<Bytes> EncodeSubscriptionInfo(const SubscriptionInfo& info, int32_t version) {
  BROOK_RETURN_IF_ERROR(CheckEncodeVersion(version));
  BROOK_RETURN_IF_ERROR(ValidateForEncode(info));
  Bytes out;
  Writer w(&out);
  w.WriteInt32(version);
  w.WriteInt32(kUserDataVersion);
  BROOK_RETURN_IF_ERROR(w.WriteString("process_id", info.process_id));
  BROOK_RETURN_IF_ERROR(w.WriteString("endpoint", info.endpoint));
  w.WriteFloat64(info.capacity);
  w.WriteBool(info.draining);
  w.WriteInt64(info.state_bytes);
  BROOK_RETURN_IF_ERROR(WriteTaskSet(w, "prev_active", info.prev_active));
  BROOK_RETURN_IF_ERROR(WriteTaskSet(w, "prev_standby", info.prev_standby));
  BROOK_RETURN_IF_ERROR(w.WriteArrayLength("task_offset_sums", info.task_offset_sums.size()));
  for (const auto& [id, sum] : info.task_offset_sums) {
    WriteTaskId(w, id);
    w.WriteInt64(sum);
  }
  BROOK_RETURN_IF_ERROR(w.WriteArrayLength("task_loads", info.task_loads.size()));
  for (const auto& [id, load] : info.task_loads) {
    WriteTaskId(w, id);
    w.WriteFloat64(load.records_per_sec);
    w.WriteFloat64(load.busy_fraction);
  }
  return out;
}

Result<SubscriptionInfo> DecodeSubscriptionInfo(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  SubscriptionInfo info;
  BROOK_ASSIGN_OR_RETURN(const int32_t as_version,
                         ReadVersionHeader(r, info.version, info.latest_supported_version));
  (void)as_version;  // versions 1 and 2 share the layout
  BROOK_ASSIGN_OR_RETURN(info.process_id, r.ReadString("process_id"));
  BROOK_ASSIGN_OR_RETURN(info.endpoint, r.ReadString("endpoint"));
  BROOK_ASSIGN_OR_RETURN(info.capacity, r.ReadFloat64("capacity"));
  if (!std::isfinite(info.capacity) || info.capacity <= 0) {
    return r.Error("capacity", "must be a finite number > 0");
  }
  BROOK_ASSIGN_OR_RETURN(info.draining, r.ReadBool("draining"));
  BROOK_ASSIGN_OR_RETURN(info.state_bytes, r.ReadInt64("state_bytes"));
  if (info.state_bytes < 0) return r.Error("state_bytes", "negative");
  BROOK_ASSIGN_OR_RETURN(info.prev_active, ReadTaskSet(r, "prev_active"));
  BROOK_ASSIGN_OR_RETURN(info.prev_standby, ReadTaskSet(r, "prev_standby"));
  BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> sums,
                         r.ReadArrayLength("task_offset_sums", kTaskIdBytes + 8));
  if (!sums) return r.Error("task_offset_sums", "null array");
  for (size_t i = 0; i < *sums; ++i) {
    BROOK_ASSIGN_OR_RETURN(const TaskId id, ReadTaskId(r, "task_offset_sums.task"));
    BROOK_ASSIGN_OR_RETURN(const int64_t sum, r.ReadInt64("task_offset_sums.sum"));
    if (sum < 0) return r.Error("task_offset_sums.sum", "negative for task " + id.ToString());
    if (!info.task_offset_sums.emplace(id, sum).second) {
      return r.Error("task_offset_sums", "task " + id.ToString() + " listed twice");
    }
  }
  BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> loads,
                         r.ReadArrayLength("task_loads", kTaskIdBytes + 16));
  if (!loads) return r.Error("task_loads", "null array");
  for (size_t i = 0; i < *loads; ++i) {
    BROOK_ASSIGN_OR_RETURN(const TaskId id, ReadTaskId(r, "task_loads.task"));
    TaskLoad load;
    BROOK_ASSIGN_OR_RETURN(load.records_per_sec, r.ReadFloat64("task_loads.records_per_sec"));
    BROOK_RETURN_IF_ERROR(CheckFinite(r, "task_loads.records_per_sec", load.records_per_sec));
    BROOK_ASSIGN_OR_RETURN(load.busy_fraction, r.ReadFloat64("task_loads.busy_fraction"));
    BROOK_RETURN_IF_ERROR(CheckFinite(r, "task_loads.busy_fraction", load.busy_fraction));
    if (!info.task_loads.emplace(id, load).second) {
      return r.Error("task_loads", "task " + id.ToString() + " listed twice");
    }
  }
  BROOK_RETURN_IF_ERROR(FinishDecode(r, info.version));
  return info;
}

Result<Bytes> EncodeAssignmentInfo(const AssignmentInfo& info, int32_t version) {
  BROOK_RETURN_IF_ERROR(CheckEncodeVersion(version));
  Bytes out;
  Writer w(&out);
  w.WriteInt32(version);
  w.WriteInt32(kUserDataVersion);
  BROOK_RETURN_IF_ERROR(WriteTaskSet(w, "active", info.active));
  BROOK_RETURN_IF_ERROR(WriteTaskSet(w, "standby", info.standby));
  BROOK_RETURN_IF_ERROR(WriteTaskSet(w, "warmup", info.warmup));
  w.WriteInt64(info.followup_delay_ms);
  w.WriteInt32(info.error_code);
  if (version >= 2) {
    BROOK_RETURN_IF_ERROR(w.WriteArrayLength("host_map", info.host_map.size()));
    for (const auto& [endpoint, tasks] : info.host_map) {
      if (endpoint.empty()) {
        return Status::InvalidArgument("AssignmentInfo.host_map: empty endpoint");
      }
      BROOK_RETURN_IF_ERROR(w.WriteString("host_map.endpoint", endpoint));
      BROOK_RETURN_IF_ERROR(WriteTaskSet(w, "host_map.active", tasks.active));
      BROOK_RETURN_IF_ERROR(WriteTaskSet(w, "host_map.standby", tasks.standby));
    }
  }
  return out;
}

Result<AssignmentInfo> DecodeAssignmentInfo(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  AssignmentInfo info;
  BROOK_ASSIGN_OR_RETURN(const int32_t as_version,
                         ReadVersionHeader(r, info.version, info.latest_supported_version));
  BROOK_ASSIGN_OR_RETURN(info.active, ReadTaskSet(r, "active"));
  BROOK_ASSIGN_OR_RETURN(info.standby, ReadTaskSet(r, "standby"));
  BROOK_ASSIGN_OR_RETURN(info.warmup, ReadTaskSet(r, "warmup"));
  BROOK_ASSIGN_OR_RETURN(info.followup_delay_ms, r.ReadInt64("followup_delay_ms"));
  if (info.followup_delay_ms < -1) return r.Error("followup_delay_ms", "less than -1");
  BROOK_ASSIGN_OR_RETURN(info.error_code, r.ReadInt32("error_code"));
  if (as_version >= 2) {
    // Each entry is at least an empty string and two empty task sets.
    BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> hosts,
                           r.ReadArrayLength("host_map", kMinHostEntryBytes));
    if (!hosts) return r.Error("host_map", "null array");
    for (size_t i = 0; i < *hosts; ++i) {
      BROOK_ASSIGN_OR_RETURN(std::string endpoint, r.ReadString("host_map.endpoint"));
      if (endpoint.empty()) return r.Error("host_map.endpoint", "empty");
      HostTasks tasks;
      BROOK_ASSIGN_OR_RETURN(tasks.active, ReadTaskSet(r, "host_map.active"));
      BROOK_ASSIGN_OR_RETURN(tasks.standby, ReadTaskSet(r, "host_map.standby"));
      if (!info.host_map.emplace(endpoint, std::move(tasks)).second) {
        return r.Error("host_map", "endpoint '" + endpoint + "' listed twice");
      }
    }
  }
  BROOK_RETURN_IF_ERROR(FinishDecode(r, info.version));
  return info;
}

}  // namespace brook::group
