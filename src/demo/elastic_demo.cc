#include "demo/elastic_demo.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <utility>

#include "autoscale/local_control.h"
#include "brook/config.h"
#include "client/admin.h"
#include "client/client_config.h"
#include "client/consumer.h"
#include "client/producer.h"
#include "demo/observe.h"
#include "demo/profile.h"
#include "demo/subprocess.h"
#include "http/client.h"
#include "loadgen/generator.h"

namespace brook::demo {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kInstanceName = "activity";

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string Timestamp(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::array<char, 64> buf{};
  std::strftime(buf.data(), buf.size(), format, &tm);
  return buf.data();
}

bool PortFree(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// A base port with `count` free ports after it.
Result<int> FreePortRange(int count) {
  std::mt19937 rng(static_cast<uint32_t>(getpid()) ^
                   static_cast<uint32_t>(Clock::now().time_since_epoch().count()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int base = 20000 + static_cast<int>(rng() % 30000U);
    bool all = true;
    for (int i = 0; i < count && all; ++i) all = PortFree(base + i);
    if (all) return base;
  }
  return Status::Unavailable(fmt::format("no range of {} free ports found on 127.0.0.1", count));
}

Result<Config> ClientConfig(const std::string& bootstrap) {
  ConfigSchema schema;
  client::DefineClientKeys(schema);
  return Config::Load(schema, ConfigSources{.overrides = {
                                                "bootstrap.servers=" + bootstrap,
                                                "producer.enable.idempotence=true",
                                                "producer.linger.ms=5",
                                            }});
}

// The load generator: follows the profile from its start time, counting per user what it
// sent. Runs on its own thread.
class LoadGenerator {
 public:
  LoadGenerator(std::unique_ptr<client::Producer> producer, std::string topic,
                std::vector<Phase> profile, int64_t users)
      : producer_(std::move(producer)),
        topic_(std::move(topic)),
        profile_(std::move(profile)),
        users_({.seed = 42, .key_cardinality = static_cast<uint64_t>(users)}),
        truth_(static_cast<size_t>(users), 0) {}
  ~LoadGenerator() { (void)Join(); }
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  void Start(Clock::time_point start) {
    thread_ = std::thread([this, start] { Loop(start); });
  }
  void Stop() { stop_.store(true); }
  // Waits for the thread and flushes; the truth is final once this returned OK.
  Status Join() {
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mu_);
    return status_;
  }
  [[nodiscard]] int64_t sent() const { return sent_.load(); }
  [[nodiscard]] const std::vector<int64_t>& truth() const { return truth_; }

  static std::string User(int64_t k) { return "user-" + std::to_string(k); }

 private:
  void Loop(Clock::time_point start) {
    const double total = ProfileSeconds(profile_);
    int64_t n = 0;
    Status status;
    while (!stop_.load()) {
      const double t = Seconds(Clock::now() - start);
      const auto target = static_cast<int64_t>(RecordsBy(profile_, std::min(t, total)));
      while (n < target && !stop_.load()) {
        const auto k = static_cast<int64_t>(users_.KeyId(static_cast<uint64_t>(n)));
        status = producer_->Send(topic_, User(k), "/page/" + std::to_string(n % 50));
        if (!status.ok()) break;
        ++truth_[static_cast<size_t>(k)];
        ++n;
        sent_.store(n);
        if ((n & 255) == 0) producer_->Poll();
      }
      if (!status.ok() || t >= total) break;
      producer_->Poll();
      std::this_thread::sleep_for(milliseconds(5));
    }
    if (status.ok()) status = producer_->Flush();
    std::lock_guard lock(mu_);
    status_ = status.WithContext("load generator on topic '" + topic_ + "'");
  }

  std::unique_ptr<client::Producer> producer_;
  const std::string topic_;
  const std::vector<Phase> profile_;
  const loadgen::RecordGenerator users_;  // event n's user: users_.KeyId(n)
  std::vector<int64_t> truth_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> sent_{0};
  std::mutex mu_;
  Status status_;
  std::thread thread_;
};

// Reads the output topic from the beginning to its end: the latest count per user.
Result<std::map<std::string, int64_t>> ReadCounts(const Config& config, const std::string& topic,
                                                  milliseconds timeout) {
  BROOK_ASSIGN_OR_RETURN(auto consumer, client::Consumer::Create(config));
  BROOK_RETURN_IF_ERROR(consumer->Assign({topic}, client::StartFrom::kBeginning));
  std::map<std::string, int64_t> latest;
  Status bad;
  const auto deadline = Clock::now() + timeout;
  while (!consumer->AllAtEnd()) {
    if (Clock::now() > deadline) {
      return Status::TimedOut("reading topic '" + topic + "' back: its end not reached in " +
                              std::to_string(timeout.count() / 1000) + " s");
    }
    BROOK_RETURN_IF_ERROR(
        consumer
            ->Poll(milliseconds(200), 10000,
                   [&](const client::RecordView& r) {
                     if (r.value_is_null || r.key_is_null) return;
                     if (r.value.size() != 8) {
                       if (bad.ok()) {
                         bad = Status::Corruption(fmt::format(
                             "topic '{}' partition {} offset {}: a count of {} bytes (expected 8)",
                             topic, r.partition, r.offset, r.value.size()));
                       }
                       return;
                     }
                     uint64_t v = 0;
                     for (const char c : r.value) v = (v << 8U) | static_cast<unsigned char>(c);
                     latest[std::string(r.key)] = static_cast<int64_t>(v);
                   })
            .status());
  }
  BROOK_RETURN_IF_ERROR(bad);
  return latest;
}

struct Comparison {
  int64_t users = 0;
  int64_t exact = 0;
  int64_t missing = 0;
  int64_t under = 0;
  int64_t over = 0;
  int64_t over_by = 0;
  std::string first_difference;
};

Comparison Compare(const std::vector<int64_t>& truth, const std::map<std::string, int64_t>& got) {
  Comparison c;
  for (size_t k = 0; k < truth.size(); ++k) {
    if (truth[k] == 0) continue;
    ++c.users;
    const std::string user = LoadGenerator::User(static_cast<int64_t>(k));
    const auto it = got.find(user);
    const int64_t have = it == got.end() ? 0 : it->second;
    if (have == truth[k]) {
      ++c.exact;
      continue;
    }
    if (it == got.end()) {
      ++c.missing;
    } else if (have < truth[k]) {
      ++c.under;
    } else {
      ++c.over;
      c.over_by += have - truth[k];
    }
    if (c.first_difference.empty()) {
      c.first_difference = fmt::format("{}: sent {}, counted {}", user, truth[k],
                                       it == got.end() ? "nothing" : std::to_string(have));
    }
  }
  for (const auto& [user, n] : got) {
    if (!user.starts_with("user-")) ++c.over;
  }
  return c;
}

std::string Rate(double v) {
  if (v >= 10000) return fmt::format("{:.1f}k", v / 1000);
  return fmt::format("{:.0f}", v);
}

// Reads the lines appended to a log file since the last call.
class LogTail {
 public:
  explicit LogTail(std::filesystem::path path) : path_(std::move(path)) {}
  std::vector<std::string> NewLines() {
    std::vector<std::string> lines;
    std::ifstream in(path_);
    if (!in) return lines;
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // an incomplete last line: read it next time
      offset_ += line.size() + 1;
      lines.push_back(line);
    }
    return lines;
  }

 private:
  std::filesystem::path path_;
  size_t offset_ = 0;
};

// "replicas=3 recommendation=1 action=scale_down reason="..." draining=2 scaled_to=2": an
// event when the autoscaler acted or drained.
std::optional<std::string> AutoscaleEvent(const std::string& line) {
  const size_t scaled = line.find("scaled_to=");
  const size_t draining = line.find("draining=");
  if (scaled == std::string::npos && draining == std::string::npos) return std::nullopt;
  auto value = [&](std::string_view key) -> std::string {
    const size_t at = line.find(key);
    if (at == std::string::npos) return "";
    const size_t from = at + key.size();
    return line.substr(from, line.find(' ', from) - from);
  };
  const std::string from = value("replicas=");
  if (scaled != std::string::npos) {
    std::string e = "autoscaler: " + from + " -> " + value("scaled_to=") + " replicas";
    if (draining != std::string::npos) e += " after draining ordinal(s) " + value("draining=");
    return e;
  }
  return "autoscaler: draining ordinal(s) " + value("draining=");
}

class Demo {
 public:
  Demo(DemoOptions o, std::ostream& out, const std::atomic<bool>& stop)
      : o_(std::move(o)), out_(out), stop_(stop) {}

  Status Execute();
  [[nodiscard]] const Run& run() const { return run_; }
  void WriteReport();

 private:
  Status Validate();
  Status Setup();
  Observation Observe(double t, const std::string& phase);
  void Tick(double t, const std::string& phase);
  void StopChildren();
  void DeleteTopics() {
    if (!topics_created_ || o_.keep_topics) return;
    (void)admin_->DeleteTopic(input_);
    (void)admin_->DeleteTopic(output_);
  }
  void Summarise(const Comparison* cmp, const Status& verify);
  void Print(const std::string& line) { out_ << line << "\n" << std::flush; }

  DemoOptions o_;
  std::ostream& out_;
  const std::atomic<bool>& stop_;
  Run run_;
  std::string app_id_;
  std::string input_;
  std::string output_;
  std::filesystem::path instances_dir_;
  std::optional<Config> client_config_;
  std::unique_ptr<client::Admin> admin_;
  std::vector<client::PartitionKey> input_partitions_;
  Subprocess runner_;
  Subprocess autoscaler_;
  std::unique_ptr<LogTail> autoscale_log_;
  SampleBuilder builder_;
  Clock::time_point start_;
  int last_replicas_ = -1;
  std::string last_autoscale_event_;
  bool topics_created_ = false;
};

Status Demo::Validate() {
  if (o_.profile.empty()) return Status::InvalidArgument("--profile: no phase");
  if (o_.partitions < 1) return Status::InvalidArgument("--partitions must be >= 1");
  if (o_.min_replicas < 1 || o_.max_replicas < o_.min_replicas) {
    return Status::InvalidArgument(
        fmt::format("--min-replicas {} / --max-replicas {}: need 1 <= min <= max", o_.min_replicas,
                    o_.max_replicas));
  }
  if (o_.initial_replicas < 1) return Status::InvalidArgument("--replicas must be >= 1");
  if (o_.users < 1) return Status::InvalidArgument("--users must be >= 1");
  if (o_.sample_interval < milliseconds(100)) {
    return Status::InvalidArgument("--sample-interval-ms must be >= 100");
  }
  for (const std::string* bin : {&o_.brook_binary, &o_.app_binary}) {
    if (bin->find('/') != std::string::npos && !std::filesystem::exists(*bin)) {
      return Status::NotFound(
          "program '" + *bin + "' does not exist" +
          (bin == &o_.app_binary ? " (build the example_activity target)" : ""));
    }
  }
  return Status::Ok();
}

Status Demo::Setup() {
  const std::string run_id = Timestamp("%Y%m%d-%H%M%S") + "-" + std::to_string(getpid());
  if (o_.work_dir.empty()) o_.work_dir = "/tmp/brook-demo-" + run_id;
  instances_dir_ = o_.work_dir / "instances";
  std::error_code ec;
  std::filesystem::create_directories(instances_dir_, ec);
  if (ec) return Status::IoError("creating '" + instances_dir_.string() + "': " + ec.message());
  app_id_ = "brook-demo-" + run_id;
  input_ = app_id_ + "-input";
  output_ = app_id_ + "-output";
  run_.title =
      fmt::format("brook elastic demo: {} partitions, {} us per record", o_.partitions, o_.work_us);
  run_.started_at = Timestamp("%Y-%m-%dT%H:%M:%SZ");
  run_.profile = o_.profile;

  BROOK_ASSIGN_OR_RETURN(Config cfg, ClientConfig(o_.bootstrap));
  client_config_ = std::move(cfg);
  BROOK_ASSIGN_OR_RETURN(admin_, client::Admin::Create(*client_config_));
  BROOK_RETURN_IF_ERROR(
      admin_->CreateTopic({.name = input_, .partitions = o_.partitions, .replication_factor = 1}));
  topics_created_ = true;
  BROOK_RETURN_IF_ERROR(
      admin_->CreateTopic({.name = output_, .partitions = o_.partitions, .replication_factor = 1}));
  for (int32_t p = 0; p < o_.partitions; ++p) input_partitions_.emplace_back(input_, p);

  if (o_.base_port == 0) {
    BROOK_ASSIGN_OR_RETURN(o_.base_port, FreePortRange(std::max(o_.max_replicas, o_.partitions)));
  }
  const std::filesystem::path props = o_.work_dir / "app.properties";
  {
    std::ofstream f(props);
    f << "# the activity example's configuration for this demo run\n"
      << "bootstrap.servers=" << o_.bootstrap << "\n"
      << "application.id=" << app_id_ << "\n"
      << "activity.input.topic=" << input_ << "\n"
      << "activity.output.topic=" << output_ << "\n"
      << "activity.work.us=" << o_.work_us << "\n"
      << "num.stream.threads=1\n"
      << "commit.interval.ms=1000\n"
      << "scaling.interval.ms=2000\n"
      << "scaling.window.ms=" << o_.rate_window.count() << "\n"
      << "scaling.catch.up.target.seconds=" << o_.catch_up_seconds << "\n"
      << "scaling.min.replicas=" << o_.min_replicas << "\n"
      << "scaling.max.replicas=" << o_.max_replicas << "\n";
    if (!f) return Status::IoError("writing '" + props.string() + "'");
  }
  const std::vector<std::string> runner_cmd = {o_.brook_binary,
                                               "local",
                                               "run",
                                               "--name",
                                               std::string(kInstanceName),
                                               "--replicas",
                                               std::to_string(o_.initial_replicas),
                                               "--state-dir",
                                               instances_dir_.string(),
                                               "--base-port",
                                               std::to_string(o_.base_port),
                                               "--grace-ms",
                                               "20000",
                                               "--",
                                               o_.app_binary,
                                               "run",
                                               "-c",
                                               props.string(),
                                               "--log-level",
                                               "info"};
  Print("-- instances: " + ShellQuote(runner_cmd));
  BROOK_RETURN_IF_ERROR(runner_.Start(runner_cmd, o_.work_dir / "runner.log"));

  // The runner and instance 0 up before the autoscaler and the load start.
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  bool ready = false;
  while (!ready) {
    if (stop_.load()) return Status::FailedPrecondition("stopped by signal while starting");
    if (!runner_.Running()) {
      return Status::Unavailable(fmt::format("brook local run exited with code {} (see {})",
                                             runner_.exit_code(),
                                             (o_.work_dir / "runner.log").string()));
    }
    if (Clock::now() > deadline) {
      return Status::TimedOut("instance 0 not ready within 120 s (see " +
                              (instances_dir_ / (std::string(kInstanceName) + "-0.log")).string() +
                              ")");
    }
    const auto r =
        http::HttpGet(fmt::format("127.0.0.1:{}", o_.base_port), "/status", {}, milliseconds(1000));
    if (r.ok() && r->status == 200) {
      const auto v = ParseInstanceStatus(0, r->body);
      ready = v.ok() && v->ready;
    }
    if (!ready) std::this_thread::sleep_for(milliseconds(250));
  }

  const std::vector<std::string> autoscale_cmd = {o_.brook_binary,
                                                  "autoscale",
                                                  "--target",
                                                  "local:" + instances_dir_.string(),
                                                  "--interval-ms",
                                                  std::to_string(o_.autoscale_interval.count()),
                                                  "--scale-down-window-ms",
                                                  std::to_string(o_.scale_down_window.count()),
                                                  "--cooldown-ms",
                                                  std::to_string(o_.cooldown.count()),
                                                  "--min-replicas",
                                                  std::to_string(o_.min_replicas),
                                                  "--max-replicas",
                                                  std::to_string(o_.max_replicas)};
  Print("-- autoscaler: " + ShellQuote(autoscale_cmd));
  BROOK_RETURN_IF_ERROR(autoscaler_.Start(autoscale_cmd, o_.work_dir / "autoscale.log"));
  autoscale_log_ = std::make_unique<LogTail>(o_.work_dir / "autoscale.log");
  return Status::Ok();
}

Observation Demo::Observe(double t, const std::string& phase) {
  Observation obs{.t = t, .phase = phase};
  std::vector<int> ordinals;
  const auto status = autoscale::LocalRunnerStatus(instances_dir_, milliseconds(1000));
  if (status.ok()) {
    obs.replicas = status->value("replicas", 0);
    if (const auto it = status->find("instances"); it != status->end() && it->is_array()) {
      for (const auto& i : *it) {
        if (i.value("state", "") != "backoff") ordinals.push_back(i.value("ordinal", -1));
      }
    }
  } else {
    obs.replicas = last_replicas_;
  }
  for (const int ordinal : ordinals) {
    if (ordinal < 0) continue;
    const auto r = http::HttpGet(fmt::format("127.0.0.1:{}", o_.base_port + ordinal), "/status", {},
                                 milliseconds(1000));
    if (!r.ok() || r->status != 200) continue;
    auto v = ParseInstanceStatus(ordinal, r->body);
    if (v.ok()) obs.instances.push_back(std::move(*v));
  }
  if (auto end = admin_->ListOffsets(input_partitions_, client::OffsetSpec::kLatest); end.ok()) {
    int64_t sum = 0;
    for (const auto& [tp, off] : *end) sum += off;
    obs.end_offsets = sum;
  }
  if (auto committed = admin_->ListGroupOffsets(app_id_, input_partitions_); committed.ok()) {
    int64_t sum = 0;
    for (const auto& [tp, off] : *committed) sum += off;
    obs.committed = sum;
  }
  return obs;
}

std::string FormatStall(int64_t ms) {
  return ms >= 1000 ? fmt::format("{:.1f} s", static_cast<double>(ms) / 1000)
                    : fmt::format("{} ms", ms);
}

void Demo::Tick(double t, const std::string& phase) {
  const Observation obs = Observe(t, phase);
  const Sample s = builder_.Add(obs);
  // The autoscaler's actions and drains (a drain once, not at every tick it lasts), and any
  // other change of the replica count (brook local scale by hand).
  bool autoscaled = false;
  if (autoscale_log_) {
    for (const std::string& line : autoscale_log_->NewLines()) {
      auto e = AutoscaleEvent(line);
      if (!e || *e == last_autoscale_event_) continue;
      last_autoscale_event_ = *e;
      autoscaled = autoscaled || e->find(" replicas") != std::string::npos;
      run_.events.push_back({.t = t, .text = *e});
    }
  }
  if (last_replicas_ >= 0 && s.replicas != last_replicas_ && s.replicas > 0 && !autoscaled) {
    run_.events.push_back(
        {.t = t, .text = fmt::format("replicas {} -> {}", last_replicas_, s.replicas)});
  }
  if (s.replicas > 0) last_replicas_ = s.replicas;
  run_.samples.push_back(s);
  if ((run_.samples.size() - 1) % 15 == 0) Print(TableHeader());
  Print(TableRow(s));
}

void Demo::StopChildren() {
  if (autoscaler_.pid() > 0) autoscaler_.Stop(milliseconds(10000));
  if (runner_.pid() > 0) runner_.Stop(milliseconds(90000));
}

Status Demo::Execute() {
  BROOK_RETURN_IF_ERROR(Validate());
  Status setup = Setup();
  Result<std::unique_ptr<client::Producer>> producer =
      setup.ok() ? client::Producer::Create(*client_config_)
                 : Result<std::unique_ptr<client::Producer>>(setup);
  if (!producer.ok()) {
    StopChildren();
    DeleteTopics();
    return producer.status();
  }
  LoadGenerator load(std::move(*producer), input_, o_.profile, o_.users);
  Print(fmt::format("-- load: {} over {} users into '{}' ({} partitions); work dir {}",
                    FormatProfile(o_.profile), o_.users, input_, o_.partitions,
                    o_.work_dir.string()));
  start_ = Clock::now();
  load.Start(start_);
  const double total = ProfileSeconds(o_.profile);
  auto next = start_;
  std::optional<double> caught_up;
  while (!stop_.load()) {
    const double t = Seconds(Clock::now() - start_);
    const bool loading = t < total;
    Tick(t, loading ? o_.profile[PhaseAt(o_.profile, t)].name : "settle");
    if (!loading && !run_.samples.empty() && run_.samples.back().lag == 0 &&
        run_.samples.back().input_rate == 0) {
      caught_up = t;
      break;
    }
    if (!loading && Clock::now() - start_ > std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(total)) +
                                                o_.settle_timeout) {
      break;
    }
    if (!runner_.Running()) break;
    next += o_.sample_interval;
    while (Clock::now() < next && !stop_.load()) std::this_thread::sleep_for(milliseconds(50));
  }
  load.Stop();
  const Status generated = load.Join();
  Status verify;
  std::optional<Comparison> cmp;
  if (!generated.ok()) {
    verify = generated;
  } else if (stop_.load()) {
    verify = Status::FailedPrecondition("stopped by signal before the end: counts not checked");
  } else if (!runner_.Running()) {
    verify = Status::Unavailable(fmt::format("brook local run exited with code {} (see {})",
                                             runner_.exit_code(),
                                             (o_.work_dir / "runner.log").string()));
  } else if (!caught_up) {
    verify = Status::TimedOut(fmt::format("the group did not catch up within {} s after the load",
                                          o_.settle_timeout.count() / 1000));
  } else {
    Print("-- reading '" + output_ + "' back and comparing each user's count with the truth");
    auto counts = ReadCounts(*client_config_, output_, milliseconds(120000));
    if (!counts.ok()) {
      verify = counts.status();
    } else {
      cmp = Compare(load.truth(), *counts);
      if (cmp->exact != cmp->users || cmp->over != 0) {
        verify = Status::Corruption(fmt::format(
            "counts differ from the truth for {} of {} users ({} missing, {} under, {} over; "
            "first: {})",
            cmp->users - cmp->exact, cmp->users, cmp->missing, cmp->under, cmp->over,
            cmp->first_difference));
      }
    }
  }
  StopChildren();
  run_.summary.emplace_back("records produced", std::to_string(load.sent()));
  Summarise(cmp ? &*cmp : nullptr, verify);
  DeleteTopics();
  WriteReport();
  if (!verify.ok()) {
    Print("== demo FAILED: " + verify.ToString());
    return verify;
  }
  Print("== demo complete");
  return Status::Ok();
}

void Demo::WriteReport() {
  Print("");
  Print("== summary");
  size_t width = 0;
  for (const auto& [k, v] : run_.summary) width = std::max(width, k.size());
  for (const auto& [k, v] : run_.summary) Print(fmt::format("  {:<{}}  {}", k, width, v));
  if (!run_.events.empty()) {
    Print("== events");
    for (const Event& e : run_.events) Print(fmt::format("  {:>6.0f} s  {}", e.t, e.text));
  }
  const std::filesystem::path json = o_.work_dir / "samples.json";
  const std::filesystem::path html = o_.work_dir / "report.html";
  std::ofstream(json) << ToJson(run_);
  std::ofstream h(html);
  h << RenderReportHtml(run_);
  h.close();
  if (!h) {
    Print("could not write " + html.string());
    return;
  }
  Print("report: file://" + std::filesystem::absolute(html).string() +
        "  (samples: " + json.string() + ")");
}

void Demo::Summarise(const Comparison* cmp, const Status& verify) {
  const std::vector<Sample>& s = run_.samples;
  int max_replicas = 0;
  double peak_in = 0;
  double peak_processed = 0;
  int64_t max_stall = 0;
  int64_t max_lag = 0;
  for (const Sample& x : s) {
    max_replicas = std::max(max_replicas, x.replicas);
    peak_in = std::max(peak_in, x.input_rate);
    peak_processed = std::max(peak_processed, x.processed_rate);
    max_stall = std::max(max_stall, x.max_stall_ms);
    max_lag = std::max(max_lag, x.lag);
  }
  // The reaction to the first rate increase: from its start to the first scale-up.
  double step_at = -1;
  double acc = 0;
  for (size_t i = 1; i < o_.profile.size(); ++i) {
    acc += o_.profile[i - 1].seconds;
    if (o_.profile[i].rate > o_.profile[i - 1].rate) {
      step_at = acc;
      break;
    }
  }
  auto& sum = run_.summary;
  sum.emplace_back("profile", FormatProfile(o_.profile));
  sum.emplace_back(
      "replicas (start / max / end)",
      s.empty() ? "-"
                : fmt::format("{} / {} / {}", s.front().replicas, max_replicas, s.back().replicas));
  if (step_at >= 0) {
    std::string reaction = "no scale-up";
    for (size_t i = 1; i < s.size(); ++i) {
      if (s[i].t >= step_at && s[i].replicas > s[i - 1].replicas) {
        reaction = fmt::format("{:.0f} s after the step (to {} replicas)", s[i].t - step_at,
                               s[i].replicas);
        break;
      }
    }
    sum.emplace_back("scale-up", reaction);
  }
  sum.emplace_back("peak input / processed rate",
                   fmt::format("{} / {} records/s", Rate(peak_in), Rate(peak_processed)));
  sum.emplace_back("max total lag", std::to_string(max_lag));
  sum.emplace_back("rebalances", s.empty() ? "0" : std::to_string(s.back().rebalances));
  sum.emplace_back("longest partition stall", FormatStall(max_stall));
  sum.emplace_back("final lag", s.empty() ? "-" : std::to_string(s.back().lag));
  if (cmp != nullptr) {
    sum.emplace_back("counts vs truth",
                     cmp->exact == cmp->users && cmp->over == 0
                         ? fmt::format("exact for all {} users", cmp->users)
                         : fmt::format("{} of {} exact", cmp->exact, cmp->users));
  }
  sum.emplace_back("result", verify.ok() ? "OK" : verify.ToString());
  sum.emplace_back("work dir", o_.work_dir.string());
}

}  // namespace

DemoOptions DefaultDemoOptions() {
  DemoOptions o;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  o.brook_binary = ec ? "brook" : self.string();
  o.app_binary = "activity";
  if (!ec) {
    const std::filesystem::path in_tree =
        self.parent_path().parent_path().parent_path() / "examples" / "activity" / "activity";
    if (std::filesystem::exists(in_tree)) o.app_binary = in_tree.string();
  }
  o.profile = ParseProfile(kDefaultProfile).value();
  return o;
}

std::string TableHeader() {
  return fmt::format("{:>6}  {:<8} {:>8} {:>7} {:>9} {:>9} {:>8} {:>5} {:>9}", "t(s)", "phase",
                     "replicas", "desired", "in/s", "done/s", "lag", "rebal", "max stall");
}

std::string TableRow(const Sample& s) {
  return fmt::format("{:>6.0f}  {:<8} {:>8} {:>7} {:>9} {:>9} {:>8} {:>5} {:>9}", s.t,
                     s.phase.substr(0, 8), fmt::format("{}/{}", s.running, s.replicas),
                     s.desired ? std::to_string(*s.desired) : "-", Rate(s.input_rate),
                     Rate(s.processed_rate), s.lag, s.rebalances, FormatStall(s.max_stall_ms));
}

Status RunElasticDemo(DemoOptions options, std::ostream& out,
                      const std::atomic<bool>& stop_requested, Run* run) {
  Demo demo(std::move(options), out, stop_requested);
  Status s = demo.Execute();
  if (run != nullptr) *run = demo.run();
  return s;
}

}  // namespace brook::demo
