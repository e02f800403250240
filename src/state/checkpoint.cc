#include "state/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>
#include <vector>

namespace brook::state {
namespace {

std::string ErrnoText(int err) {
  return std::generic_category().message(err);
}

bool ValidTopic(std::string_view topic) {
  if (topic.empty() || topic.size() > 249) return false;
  for (const char c : topic) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

template <typename T>
std::optional<T> ParseNonNegative(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  T v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(ErrnoText(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status FsyncPath(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Status::IoError("open " + path.string() + ": " + ErrnoText(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::IoError("fsync " + path.string() + ": " + ErrnoText(err));
  return Status::Ok();
}

}  // namespace

Status WriteCheckpoint(const std::filesystem::path& file, const CheckpointOffsets& offsets) {
  std::string content =
      std::to_string(kCheckpointVersion) + "\n" + std::to_string(offsets.size()) + "\n";
  for (const auto& [tp, offset] : offsets) {
    if (!ValidTopic(tp.topic) || tp.partition < 0 || offset < 0) {
      return Status::InvalidArgument("checkpoint " + file.string() + ": cannot write entry '" +
                                     tp.topic + "' partition " + std::to_string(tp.partition) +
                                     " offset " + std::to_string(offset));
    }
    content += tp.topic + " " + std::to_string(tp.partition) + " " + std::to_string(offset) + "\n";
  }

  std::filesystem::path tmp = file;
  tmp += ".tmp";
  const std::string context = "checkpoint " + file.string();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError(context + ": open " + tmp.string() + ": " + ErrnoText(errno));
  Status s = WriteAll(fd, content);
  if (s.ok() && ::fsync(fd) != 0) s = Status::IoError("fsync: " + ErrnoText(errno));
  if (::close(fd) != 0 && s.ok()) s = Status::IoError("close: " + ErrnoText(errno));
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s.WithContext(context + ": write " + tmp.string());
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::IoError(context + ": rename " + tmp.string() + ": " + ErrnoText(err));
  }
  const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : ".";
  return FsyncPath(dir, O_RDONLY | O_DIRECTORY).WithContext(context);
}

Result<CheckpointOffsets> ReadCheckpoint(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec) && !ec) return CheckpointOffsets{};
    return Status::IoError("checkpoint " + file.string() + ": cannot open");
  }
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IoError("checkpoint " + file.string() + ": read failed");

  // Split into lines; each must end with '\n'.
  std::vector<std::string_view> lines;
  std::string_view rest = content;
  int line_no = 0;
  auto corrupt = [&file](int line, const std::string& what) {
    return Status::Corruption("checkpoint " + file.string() + " line " + std::to_string(line) +
                              ": " + what);
  };
  while (!rest.empty()) {
    ++line_no;
    const size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) return corrupt(line_no, "truncated (no end of line)");
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  if (lines.empty()) return corrupt(1, "empty file, expected the version line");
  if (lines[0] != std::to_string(kCheckpointVersion)) {
    return corrupt(1, "unsupported version '" + std::string(lines[0]) + "', expected " +
                          std::to_string(kCheckpointVersion));
  }
  if (lines.size() < 2) return corrupt(2, "truncated: missing the entry count");
  const std::optional<size_t> count = ParseNonNegative<size_t>(lines[1]);
  if (!count) return corrupt(2, "bad entry count '" + std::string(lines[1]) + "'");
  if (lines.size() - 2 < *count) {
    return corrupt(static_cast<int>(lines.size()) + 1,
                   "truncated: " + std::to_string(lines.size() - 2) + " of " +
                       std::to_string(*count) + " entries");
  }
  if (lines.size() - 2 > *count) {
    return corrupt(static_cast<int>(*count) + 3,
                   "more entries than the count " + std::to_string(*count));
  }
  CheckpointOffsets offsets;
  for (size_t i = 2; i < lines.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    const std::string_view line = lines[i];
    const size_t s1 = line.find(' ');
    const size_t s2 = s1 == std::string_view::npos ? s1 : line.find(' ', s1 + 1);
    if (s2 == std::string_view::npos || line.find(' ', s2 + 1) != std::string_view::npos) {
      return corrupt(n, "expected '<topic> <partition> <offset>', got '" + std::string(line) + "'");
    }
    const std::string_view topic = line.substr(0, s1);
    const std::optional<int32_t> partition =
        ParseNonNegative<int32_t>(line.substr(s1 + 1, s2 - s1 - 1));
    const std::optional<int64_t> offset = ParseNonNegative<int64_t>(line.substr(s2 + 1));
    if (!ValidTopic(topic)) return corrupt(n, "bad topic '" + std::string(topic) + "'");
    if (!partition) return corrupt(n, "bad partition in '" + std::string(line) + "'");
    if (!offset) return corrupt(n, "bad offset in '" + std::string(line) + "'");
    if (!offsets.emplace(ChangelogPartition{std::string(topic), *partition}, *offset).second) {
      return corrupt(
          n, "duplicate entry for " + std::string(topic) + "-" + std::to_string(*partition));
    }
  }
  return offsets;
}

int64_t SumOffsets(const CheckpointOffsets& offsets) {
  int64_t sum = 0;
  for (const auto& [tp, offset] : offsets) sum += offset;
  return sum;
}

}  // namespace brook::state
