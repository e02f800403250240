// Helpers of the runtime integration tests: a child process running count_app, its status
// file, producing the input with a ground truth, and reading a whole topic (with headers)
// through librdkafka.
#pragma once

#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "brook/state/serde.h"
#include "client/admin.h"
#include "client/producer.h"
#include "test_env.h"

namespace brook::testing {

inline std::string Int64Bytes(int64_t v) {
  return state::Int64Serde().Serialize(v);
}
inline int64_t ParseInt64(std::string_view b) {
  return state::Int64Serde().Deserialize(b).value();
}

// A loopback port nobody listens on right now (the kernel's choice for port 0), for an
// app's http.listen.
inline int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// A child process (count_app) with its stdout and stderr appended to a log file.
class AppProcess {
 public:
  AppProcess() = default;
  AppProcess(const AppProcess&) = delete;
  AppProcess& operator=(const AppProcess&) = delete;
  ~AppProcess() { Kill(); }

  void Start(const std::string& exe, const std::vector<std::string>& args,
             const std::string& log_file) {
    pid_ = ::fork();
    if (pid_ == 0) {
      // Both streams: spdlog's default logger writes to stdout.
      if (std::freopen(log_file.c_str(), "a", stderr) == nullptr ||
          std::freopen(log_file.c_str(), "a", stdout) == nullptr) {
        ::_exit(126);
      }
      std::vector<char*> argv;
      std::string path = exe;
      argv.push_back(path.data());
      std::vector<std::string> copy = args;
      for (std::string& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(path.c_str(), argv.data());
      ::_exit(127);
    }
  }
  // SIGKILL, then reap.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }
  // SIGTERM, then wait for the exit code (-1 on a signal death or timeout).
  int Terminate(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    return Wait(timeout);
  }
  int Wait(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int st = 0;
      const pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    Kill();
    return -1;
  }
  [[nodiscard]] bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

// The last status a count_app wrote, as text (JSON), "" when none yet.
inline std::string ReadStatus(const std::string& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A top-level integer field of the status JSON (the first occurrence), or nullopt.
inline std::optional<int64_t> StatusField(const std::string& json, const std::string& field) {
  const std::regex re("\"" + field + "\":(-?[0-9]+)");
  std::smatch m;
  if (!std::regex_search(json, m, re)) return std::nullopt;
  return std::stoll(m[1].str());
}

inline std::string StatusState(const std::string& json) {
  const std::regex re("\"state\":\"([A-Z_]+)\"");
  std::smatch m;
  return std::regex_search(json, m, re) ? m[1].str() : "";
}

inline bool WaitUntil(const std::function<bool()>& pred, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

struct ConsumedMessage {
  int32_t partition = 0;
  int64_t offset = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::map<std::string, std::string> headers;
};

// Every record of `topic` from the beginning to the end as of the call (read_committed or
// not), with headers.
inline std::vector<ConsumedMessage> ReadTopic(const std::string& topic, bool read_committed) {
  std::array<char, 512> err{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::string group = "it-reader-" + std::to_string(::getpid());
  rd_kafka_conf_set(conf, "bootstrap.servers", Bootstrap().c_str(), err.data(), err.size());
  rd_kafka_conf_set(conf, "group.id", group.c_str(), err.data(), err.size());
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", err.data(), err.size());
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err.data(), err.size());
  rd_kafka_conf_set(conf, "isolation.level", read_committed ? "read_committed" : "read_uncommitted",
                    err.data(), err.size());
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err.data(), err.size());
  rd_kafka_poll_set_consumer(rk);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  std::vector<ConsumedMessage> out;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      md->topic_cnt != 1) {
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return out;
  }
  const int partitions = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  std::map<int32_t, int64_t> ends;
  for (int p = 0; p < partitions; ++p) {
    int64_t lo = 0;
    int64_t hi = 0;
    rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 10000);
    if (hi > lo) ends[p] = hi;
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::map<int32_t, bool> done;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (done.size() < ends.size() && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (ends.contains(m->partition) && m->offset >= ends[m->partition]) done[m->partition] = true;
    } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ConsumedMessage c;
      c.partition = m->partition;
      c.offset = m->offset;
      if (m->key) c.key.emplace(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) c.value.emplace(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* h = nullptr;
      if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* val = nullptr;
        size_t size = 0;
        for (size_t i = 0;
             rd_kafka_header_get_all(h, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
          c.headers[name] = val ? std::string(static_cast<const char*>(val), size) : "";
        }
      }
      out.push_back(std::move(c));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

// Latest count per key in the output topic.
inline std::map<std::string, int64_t> LatestCounts(const std::string& topic, bool read_committed) {
  std::map<std::string, int64_t> latest;
  // Within a partition later offsets are newer; a key lives in one partition.
  for (const ConsumedMessage& m : ReadTopic(topic, read_committed)) {
    if (m.key && m.value && m.value->size() == 8) latest[*m.key] = ParseInt64(*m.value);
  }
  return latest;
}

// Sum of the high watermarks of a topic's partitions.
inline int64_t TopicEndSum(const std::string& topic) {
  auto admin = client::Admin::Create(ClientConfig()).value();
  const int32_t parts = admin->DescribeTopic(topic).value().partitions;
  int64_t sum = 0;
  rd_kafka_t* rk = admin->handle().get();
  for (int32_t p = 0; p < parts; ++p) {
    int64_t lo = 0;
    int64_t hi = 0;
    rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &lo, &hi, 10000);
    sum += hi;
  }
  return sum;
}

}  // namespace brook::testing
