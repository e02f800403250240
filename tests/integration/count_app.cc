// count_app: the counting application the runtime integration tests run as a separate
// process (so that they can kill -9 it). It counts records per key of an input topic in a
// persistent key-value store "counts" and writes every new count to an output topic.
//
//   count_app input=<topic> output=<topic> status=<file> [mode=rekey] [<brook key>=<value> ...]
//
// mode=rekey: the input key "<prefix>-<n>" becomes RekeyedKey() = "g<n % 101>" and the
// records go through the internal topic "count-repartition" ("<application.id>-count-
// repartition", created by brook with the input's partition count) to a second
// sub-topology that counts them. Records with a null key are dropped and reported
// (ProcessingContext::RecordDropped, reason "null-key").
//
// The store is queryable (interactive queries) when the instance runs an HTTP server:
// http.listen=127.0.0.1:<port> application.server=127.0.0.1:<port>.
//
// Input: string keys, int64 values (8 bytes big-endian; anything else is a poison record
// for the deserialization handler). Output: key -> count (int64). Every 100 ms and at exit
// the app writes brook::StatusToJson of its instance to the status file (atomically), so the
// test can follow restore and processing. SIGTERM/SIGINT: clean Close(), exit 0. An
// instance error: exit 3.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "brook/processor.h"
#include "brook/state/query_codec.h"
#include "brook/stores.h"
#include "brook/streams.h"
#include "brook/topology.h"

namespace {

class CountProcessor
    : public brook::ContextualProcessor<std::string, int64_t, std::string, int64_t> {
 public:
  void Process(const brook::Record<std::string, int64_t>& record) override {
    auto store = context().GetKeyValueStore<std::string, int64_t>("counts");
    const int64_t count = store.Get(record.key).value_or(0) + 1;
    store.Put(record.key, count);
    context().Forward(record.WithValue(count));
  }
};

// The "counts" store, queryable over HTTP (with http.listen / application.server set).
brook::StoreSpec CountsStore() {
  return brook::stores::PersistentKeyValue("counts").WithQueryCodec(
      brook::state::MakeQueryCodec<std::string, int64_t>());
}

// "key-17" -> "g17"; "key-250" -> "g48"; a key without a number after its last '-' stays.
std::string RekeyedKey(const std::string& key) {
  const size_t dash = key.rfind('-');
  try {
    return "g" + std::to_string(std::stoll(key.substr(dash + 1)) % 101);
  } catch (const std::exception&) {
    return key;
  }
}

class RekeyProcessor
    : public brook::ContextualProcessor<std::optional<std::string>, int64_t, std::string, int64_t> {
 public:
  void Process(const brook::Record<std::optional<std::string>, int64_t>& record) override {
    if (!record.key) {
      context().RecordDropped("null-key");
      return;
    }
    context().Forward(brook::Record<std::string, int64_t>{RekeyedKey(*record.key), record.value,
                                                          record.timestamp_ms, record.headers});
  }
};

void WriteStatus(const std::string& path, const std::string& json) {
  if (path.empty()) return;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json << "\n";
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) {
  brook::BlockShutdownSignals();
  std::map<std::string, std::string> props;
  std::string input;
  std::string output;
  std::string status_file;
  std::string mode = "count";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      std::cerr << "count_app: expected key=value, got '" << arg << "'\n";
      return 2;
    }
    const std::string key = arg.substr(0, eq);
    const std::string value = arg.substr(eq + 1);
    if (key == "input") {
      input = value;
    } else if (key == "output") {
      output = value;
    } else if (key == "status") {
      status_file = value;
    } else if (key == "mode") {
      mode = value;
    } else {
      props[key] = value;
    }
  }
  if (input.empty() || output.empty() || (mode != "count" && mode != "rekey")) {
    std::cerr << "count_app: input=<topic> and output=<topic> are required; mode=count|rekey\n";
    return 2;
  }
  try {
    brook::Topology topology;
    if (mode == "rekey") {
      topology.AddInternalTopic("count-repartition")
          .AddSource<std::optional<std::string>, int64_t>("source", {input})
          .AddProcessor("rekey", [] { return std::make_unique<RekeyProcessor>(); }, {"source"})
          .AddSink<std::string, int64_t>("to-repartition", "count-repartition", {"rekey"})
          .AddSource<std::string, int64_t>("repartitioned", {"count-repartition"})
          .AddProcessor("count", [] { return std::make_unique<CountProcessor>(); },
                        {"repartitioned"})
          .AddStateStore(CountsStore(), {"count"})
          .AddSink<std::string, int64_t>("sink", output, {"count"});
    } else {
      topology.AddSource<std::string, int64_t>("source", {input})
          .AddProcessor("count", [] { return std::make_unique<CountProcessor>(); }, {"source"})
          .AddStateStore(CountsStore(), {"count"})
          .AddSink<std::string, int64_t>("sink", output, {"count"});
    }
    brook::Streams app(topology, props);
    app.Start();
    std::atomic<bool> stop{false};
    std::thread signals([&] {
      brook::WaitForShutdownSignal();
      stop.store(true);
    });
    signals.detach();
    int rc = 0;
    while (!stop.load()) {
      const brook::StreamsStatus s = app.status();
      WriteStatus(status_file, brook::StatusToJson(s));
      if (s.state == brook::StreamsState::kError) {
        std::cerr << "count_app: " << s.error << "\n";
        rc = 3;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const bool clean = app.Close();
    brook::StreamsStatus s = app.status();
    WriteStatus(status_file, brook::StatusToJson(s));
    if (rc == 0 && !clean) rc = 4;
    return rc;
  } catch (const std::exception& e) {
    std::cerr << "count_app: " << e.what() << "\n";
    return 1;
  }
}
