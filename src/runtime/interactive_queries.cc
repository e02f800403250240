#include "runtime/interactive_queries.h"

#include <algorithm>
#include <charconv>
#include <future>
#include <limits>
#include <utility>

#include "common/murmur2.h"
#include "http/client.h"

namespace brook::runtime {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using nlohmann::json;

constexpr int kRetryAfterSeconds = 1;

std::string_view KindName(StoreKind kind) {
  switch (kind) {
    case StoreKind::kKeyValue:
      return "key-value";
    case StoreKind::kWindow:
      return "window";
    case StoreKind::kSession:
      return "session";
  }
  return "?";
}

// The codec's JSON text as a value; a codec that produced no valid JSON is shown as text.
json Parsed(const Result<std::string>& text) {
  if (!text.ok()) return json(nullptr);
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(*text) : j;
}

HttpResponse Unavailable(std::string_view message, const json& context) {
  return HttpResponse::Error(503, message, context)
      .WithHeader("Retry-After", std::to_string(kRetryAfterSeconds));
}

json Merge(json base, const json& more) {
  for (const auto& [k, v] : more.items()) base[k] = v;
  return base;
}

// The first endpoint whose active tasks include `task`, "" when none.
std::string ActiveOwner(const group::HostMap& map, const TaskId& task) {
  for (const auto& [endpoint, tasks] : map) {
    if (tasks.active.contains(task)) return endpoint;
  }
  return "";
}

Result<size_t> ParseLimit(const HttpRequest& req, const InteractiveQueryOptions& o) {
  const std::optional<std::string> text = req.Query("limit");
  if (!text) return o.default_limit;
  size_t v = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, v);
  if (text->empty() || ec != std::errc() || ptr != end || v < 1 || v > o.max_limit) {
    return Status::InvalidArgument("limit '" + *text + "' is not a number from 1 to " +
                                   std::to_string(o.max_limit));
  }
  return v;
}

Result<int64_t> ParseMs(const HttpRequest& req, const std::string& name, int64_t fallback) {
  const std::optional<std::string> text = req.Query(name);
  if (!text) return fallback;
  int64_t v = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, v);
  if (text->empty() || ec != std::errc() || ptr != end || v < 0) {
    return Status::InvalidArgument(name + " '" + *text +
                                   "' is not a timestamp (milliseconds, a number >= 0)");
  }
  return v;
}

// One entry read from a local store.
struct Entry {
  std::string key;
  int64_t start_ms = -1;  // window stores: the window start
  std::string value;
};

}  // namespace

// A range or full scan, as parsed from the request.
struct InteractiveQueries::Scan {
  bool range = false;  // key-value Range(from, to); else All() / FetchAll(from_ms, to_ms)
  std::optional<std::string> from_key;
  std::optional<std::string> to_key;
  int64_t from_ms = 0;
  int64_t to_ms = std::numeric_limits<int64_t>::max();
  size_t limit = 0;
  bool fan_out = false;  // scope=all
};

InteractiveQueries::InteractiveQueries(std::vector<QueryStore> stores, QueryBackend& backend,
                                       InteractiveQueryOptions options)
    : stores_(std::move(stores)), backend_(backend), options_(options) {}

const QueryStore* InteractiveQueries::FindStore(std::string_view name) const {
  for (const QueryStore& s : stores_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string InteractiveQueries::Self(const QueryRouting& routing) const {
  return routing.self.empty() ? "local" : routing.self;
}

Result<int32_t> InteractiveQueries::Partitions(const QueryStore& store, int32_t generation) {
  {
    std::lock_guard lock(mu_);
    auto it = partitions_.find(store.subtopology);
    if (it != partitions_.end() && it->second.generation == generation) {
      return it->second.partitions;
    }
  }
  const std::string& topic = store.source_topics.front();
  Result<int32_t> n = backend_.TopicPartitions(topic);
  if (!n.ok()) {
    return n.status().WithContext("partition count of topic '" + topic + "' (store '" + store.name +
                                  "')");
  }
  if (*n <= 0) {
    return Status::Unavailable("topic '" + topic + "' (store '" + store.name +
                               "') has no partitions");
  }
  std::lock_guard lock(mu_);
  partitions_[store.subtopology] = CachedCount{.generation = generation, .partitions = *n};
  return *n;
}

Result<KeyLocation> InteractiveQueries::Locate(std::string_view store, std::string_view key_bytes) {
  const QueryStore* s = FindStore(store);
  if (s == nullptr) return Status::NotFound("unknown store '" + std::string(store) + "'");
  const QueryRouting routing = backend_.Routing();
  BROOK_ASSIGN_OR_RETURN(const int32_t n, Partitions(*s, routing.generation));
  KeyLocation loc;
  loc.partitions = n;
  loc.task = TaskId{s->subtopology, KafkaPartitionForKey(key_bytes, n)};
  loc.local = routing.local_active.contains(loc.task);
  loc.active = ActiveOwner(routing.host_map, loc.task);
  if (loc.local && !routing.self.empty()) loc.active = routing.self;
  for (const auto& [endpoint, tasks] : routing.host_map) {
    if (tasks.standby.contains(loc.task)) loc.standby.push_back(endpoint);
  }
  return loc;
}

Result<std::optional<std::string>> InteractiveQueries::GetLocal(std::string_view store,
                                                                std::string_view key_bytes) {
  const QueryStore* s = FindStore(store);
  if (s == nullptr) return Status::NotFound("unknown store '" + std::string(store) + "'");
  if (s->kind != StoreKind::kKeyValue) {
    return Status::InvalidArgument("store '" + s->name + "' is a " +
                                   std::string(KindName(s->kind)) +
                                   " store, not a key-value store");
  }
  BROOK_ASSIGN_OR_RETURN(const KeyLocation loc, Locate(store, key_bytes));
  std::optional<std::string> value;
  const Status st = backend_.WithActiveTask(loc.task, [&](TaskStateAccess& access) -> Status {
    state::KeyValueBytesStore* kv = access.KeyValueStore(s->name);
    if (kv == nullptr) {
      return Status::Internal("task " + loc.task.ToString() + " has no store '" + s->name + "'");
    }
    BROOK_ASSIGN_OR_RETURN(value, kv->Get(key_bytes));
    return Status::Ok();
  });
  if (st.code() == StatusCode::kNotFound) {
    return Status::Unavailable("store '" + s->name + "': the key is in task " +
                               loc.task.ToString() + ", which is not active on this instance" +
                               (loc.active.empty()
                                    ? std::string("; no instance is known to run it now")
                                    : "; it runs on " + loc.active));
  }
  if (!st.ok()) return st;
  return value;
}

std::vector<InteractiveQueries::HostInfo> InteractiveQueries::Hosts() const {
  const QueryRouting routing = backend_.Routing();
  std::vector<HostInfo> out;
  for (const auto& [endpoint, tasks] : routing.host_map) {
    HostInfo h;
    h.endpoint = endpoint;
    h.active = tasks.active;
    h.standby = tasks.standby;
    h.local = endpoint == routing.self;
    for (const TaskId& t : tasks.active) {
      for (const QueryStore& s : stores_) {
        if (s.subtopology == t.subtopology) h.stores.insert(s.name);
      }
    }
    out.push_back(std::move(h));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// HTTP

Status InteractiveQueries::RegisterRoutes(http::HttpServer& server) {
  BROOK_RETURN_IF_ERROR(
      server.Route("GET", "/stores", [this](const HttpRequest& r) { return ListStores(r); }));
  BROOK_RETURN_IF_ERROR(server.Route("GET", "/stores/{store}",
                                     [this](const HttpRequest& r) { return DescribeStore(r); }));
  BROOK_RETURN_IF_ERROR(server.Route("GET", "/stores/{store}/keys/{key}",
                                     [this](const HttpRequest& r) { return GetKey(r); }));
  BROOK_RETURN_IF_ERROR(server.Route("GET", "/stores/{store}/range",
                                     [this](const HttpRequest& r) { return ScanRange(r); }));
  BROOK_RETURN_IF_ERROR(server.Route("GET", "/stores/{store}/all",
                                     [this](const HttpRequest& r) { return ScanAll(r); }));
  return Status::Ok();
}

json InteractiveQueries::StoreJson(const QueryStore& store, const QueryRouting& routing) {
  json j = {{"name", store.name},
            {"kind", KindName(store.kind)},
            {"queryable", store.codec != nullptr},
            {"subtopology", store.subtopology},
            {"source_topics", store.source_topics}};
  std::set<TaskId> tasks;
  const Result<int32_t> n = Partitions(store, routing.generation);
  if (n.ok()) {
    j["partitions"] = *n;
    for (int32_t p = 0; p < *n; ++p) tasks.insert(TaskId{store.subtopology, p});
  } else {
    j["partitions"] = nullptr;
    j["partitions_error"] = n.status().ToString();
    for (const auto& [endpoint, held] : routing.host_map) {
      for (const TaskId& t : held.active) {
        if (t.subtopology == store.subtopology) tasks.insert(t);
      }
    }
  }
  json list = json::array();
  for (const TaskId& t : tasks) {
    json standby = json::array();
    for (const auto& [endpoint, held] : routing.host_map) {
      if (held.standby.contains(t)) standby.push_back(endpoint);
    }
    const std::string owner = ActiveOwner(routing.host_map, t);
    list.push_back({{"task", t.ToString()},
                    {"active", owner.empty() ? json(nullptr) : json(owner)},
                    {"standby", standby},
                    {"local", routing.local_active.contains(t)}});
  }
  j["tasks"] = std::move(list);
  return j;
}

HttpResponse InteractiveQueries::ListStores(const HttpRequest& /*req*/) {
  const QueryRouting routing = backend_.Routing();
  json stores = json::array();
  for (const QueryStore& s : stores_) stores.push_back(StoreJson(s, routing));
  return HttpResponse::Json(200, {{"instance", Self(routing)},
                                  {"state", routing.state},
                                  {"generation", routing.generation},
                                  {"stores", std::move(stores)}});
}

HttpResponse InteractiveQueries::DescribeStore(const HttpRequest& req) {
  const std::string& name = req.Param("store");
  const QueryStore* s = FindStore(name);
  if (s == nullptr)
    return HttpResponse::Error(404, "unknown store '" + name + "'", {{"store", name}});
  const QueryRouting routing = backend_.Routing();
  return HttpResponse::Json(200, StoreJson(*s, routing));
}

HttpResponse InteractiveQueries::GetKey(const HttpRequest& req) {
  const std::string& name = req.Param("store");
  const std::string& key_text = req.Param("key");
  const json context = {{"store", name}, {"key", key_text}};
  const QueryStore* s = FindStore(name);
  if (s == nullptr) return HttpResponse::Error(404, "unknown store '" + name + "'", context);
  if (s->codec == nullptr) {
    return HttpResponse::Error(400, "store '" + name + "' is not queryable (it has no query codec)",
                               context);
  }
  Result<std::string> key_bytes = s->codec->KeyFromText(key_text);
  if (!key_bytes.ok()) {
    return HttpResponse::Error(400, "store '" + name + "': " + key_bytes.status().message(),
                               context);
  }
  const QueryRouting routing = backend_.Routing();
  const Result<int32_t> n = Partitions(*s, routing.generation);
  if (!n.ok()) return Unavailable(n.status().ToString(), context);
  const TaskId task{s->subtopology, KafkaPartitionForKey(*key_bytes, *n)};
  const json with_task = Merge(context, {{"task", task.ToString()}});
  const bool forwarded = req.Header(kForwardedHeader).has_value();
  const std::string owner = ActiveOwner(routing.host_map, task);
  if (routing.local_active.contains(task) || owner.empty() || owner == routing.self || forwarded) {
    Status not_here;
    HttpResponse local = LocalKey(*s, task, key_text, *key_bytes, req, routing, &not_here);
    if (not_here.ok()) return local;
  }
  if (forwarded) {
    return Unavailable("store '" + name + "': task " + task.ToString() + " of key '" + key_text +
                           "' is not active on instance " + Self(routing) +
                           " (the assignment is changing); retry",
                       with_task);
  }
  if (owner.empty() || owner == routing.self) {
    std::string why =
        !routing.assigned
            ? "instance " + Self(routing) + " has no assignment yet (state " + routing.state + ")"
            : "no instance is known to run task " + task.ToString() + " of key '" + key_text +
                  "' in store '" + name + "' (generation " + std::to_string(routing.generation) +
                  ": a rebalance is moving it, or its instance sets no application.server)";
    return Unavailable(why + "; retry", with_task);
  }
  return Forward(owner, req, routing, with_task);
}

HttpResponse InteractiveQueries::LocalKey(const QueryStore& store, const TaskId& task,
                                          const std::string& key_text, const std::string& key_bytes,
                                          const HttpRequest& req, const QueryRouting& routing,
                                          Status* not_here) {
  const json context = {{"store", store.name}, {"key", key_text}, {"task", task.ToString()}};
  size_t limit = 0;
  int64_t from_ms = 0;
  int64_t to_ms = std::numeric_limits<int64_t>::max();
  if (store.kind != StoreKind::kKeyValue) {
    Result<size_t> l = ParseLimit(req, options_);
    Result<int64_t> f = ParseMs(req, "from", 0);
    Result<int64_t> t = ParseMs(req, "to", std::numeric_limits<int64_t>::max());
    for (const Status& st : {l.status(), f.status(), t.status()}) {
      if (!st.ok()) return HttpResponse::Error(400, st.message(), context);
    }
    limit = *l;
    from_ms = *f;
    to_ms = *t;
  }
  json body = {{"store", store.name},
               {"key", Parsed(store.codec->KeyToJson(key_bytes))},
               {"task", task.ToString()}};
  int status = 200;
  const Status st = backend_.WithActiveTask(task, [&](TaskStateAccess& access) -> Status {
    switch (store.kind) {
      case StoreKind::kKeyValue: {
        state::KeyValueBytesStore* kv = access.KeyValueStore(store.name);
        if (kv == nullptr) return Status::Internal("no key-value store '" + store.name + "'");
        BROOK_ASSIGN_OR_RETURN(const std::optional<std::string> value, kv->Get(key_bytes));
        if (!value) {
          status = 404;
          return Status::Ok();
        }
        const Result<std::string> v = store.codec->ValueToJson(*value);
        if (!v.ok()) return v.status();
        body["value"] = Parsed(v);
        return Status::Ok();
      }
      case StoreKind::kWindow: {
        state::WindowBytesStore* ws = access.WindowStore(store.name);
        if (ws == nullptr) return Status::Internal("no window store '" + store.name + "'");
        BROOK_ASSIGN_OR_RETURN(auto it, ws->Fetch(key_bytes, from_ms, to_ms));
        json windows = json::array();
        for (; it->Valid() && windows.size() < limit; it->Next()) {
          windows.push_back({{"start_ms", it->window_start_ms()},
                             {"value", Parsed(store.codec->ValueToJson(it->value()))}});
        }
        body["truncated"] = it->Valid();
        BROOK_RETURN_IF_ERROR(it->status());
        body["windows"] = std::move(windows);
        return Status::Ok();
      }
      case StoreKind::kSession: {
        state::SessionBytesStore* ss = access.SessionStore(store.name);
        if (ss == nullptr) return Status::Internal("no session store '" + store.name + "'");
        BROOK_ASSIGN_OR_RETURN(auto it, ss->FindSessions(key_bytes, from_ms, to_ms));
        json sessions = json::array();
        for (; it->Valid() && sessions.size() < limit; it->Next()) {
          sessions.push_back({{"start_ms", it->session().start_ms},
                              {"end_ms", it->session().end_ms},
                              {"value", Parsed(store.codec->ValueToJson(it->value()))}});
        }
        body["truncated"] = it->Valid();
        BROOK_RETURN_IF_ERROR(it->status());
        body["sessions"] = std::move(sessions);
        return Status::Ok();
      }
    }
    return Status::Internal("unknown store kind");
  });
  if (st.code() == StatusCode::kNotFound) {
    *not_here = st;
    return {};
  }
  HttpResponse out;
  if (st.code() == StatusCode::kUnavailable) {
    out =
        Unavailable("store '" + store.name + "' key '" + key_text + "': " + st.message(), context);
  } else if (!st.ok()) {
    out = HttpResponse::Error(
        500, "store '" + store.name + "' key '" + key_text + "': " + st.ToString(), context);
  } else if (status == 404) {
    out = HttpResponse::Error(404, "key '" + key_text + "' not found in store '" + store.name + "'",
                              context);
  } else {
    out = HttpResponse::Json(200, body);
  }
  return out.WithHeader(std::string(kAnsweredByHeader), Self(routing));
}

HttpResponse InteractiveQueries::Forward(const std::string& endpoint, const HttpRequest& req,
                                         const QueryRouting& routing, const json& context) {
  Result<http::HttpClientResponse> r =
      http::HttpGet(endpoint, req.target, {{std::string(kForwardedHeader), Self(routing)}},
                    options_.forward_timeout);
  if (!r.ok()) {
    return Unavailable("forwarding to " + endpoint + ", the instance that runs the key's task, " +
                           "failed: " + r.status().message(),
                       Merge(context, {{"owner", endpoint}}));
  }
  HttpResponse out;
  out.status = r->status;
  out.body = std::move(r->body);
  out.content_type = r->Header("content-type").value_or("application/json");
  out.WithHeader(std::string(kAnsweredByHeader), r->Header(kAnsweredByHeader).value_or(endpoint));
  if (const std::optional<std::string> retry = r->Header("retry-after")) {
    out.WithHeader("Retry-After", *retry);
  }
  return out;
}

HttpResponse InteractiveQueries::ScanRange(const HttpRequest& req) {
  const std::string& name = req.Param("store");
  const json context = {{"store", name}};
  const QueryStore* s = FindStore(name);
  if (s == nullptr) return HttpResponse::Error(404, "unknown store '" + name + "'", context);
  if (s->codec == nullptr) {
    return HttpResponse::Error(400, "store '" + name + "' is not queryable (it has no query codec)",
                               context);
  }
  if (s->kind != StoreKind::kKeyValue) {
    return HttpResponse::Error(400,
                               "store '" + name + "' is a " + std::string(KindName(s->kind)) +
                                   " store: range queries need a key-value store (use /all or "
                                   "/keys/<key>?from=&to=)",
                               context);
  }
  Scan scan;
  scan.range = true;
  for (const char* bound : {"from", "to"}) {
    const std::optional<std::string> text = req.Query(bound);
    if (!text) continue;
    Result<std::string> bytes = s->codec->KeyFromText(*text);
    if (!bytes.ok()) {
      return HttpResponse::Error(
          400, "store '" + name + "': " + bound + ": " + bytes.status().message(), context);
    }
    (std::string_view(bound) == "from" ? scan.from_key : scan.to_key) = std::move(bytes).value();
  }
  return RunScan(req, *s, scan);
}

HttpResponse InteractiveQueries::ScanAll(const HttpRequest& req) {
  const std::string& name = req.Param("store");
  const json context = {{"store", name}};
  const QueryStore* s = FindStore(name);
  if (s == nullptr) return HttpResponse::Error(404, "unknown store '" + name + "'", context);
  if (s->codec == nullptr) {
    return HttpResponse::Error(400, "store '" + name + "' is not queryable (it has no query codec)",
                               context);
  }
  if (s->kind == StoreKind::kSession) {
    return HttpResponse::Error(
        400, "store '" + name + "' is a session store: query one key (/keys/<key>)", context);
  }
  Scan scan;
  Result<int64_t> from = ParseMs(req, "from", 0);
  Result<int64_t> to = ParseMs(req, "to", std::numeric_limits<int64_t>::max());
  for (const Status& st : {from.status(), to.status()}) {
    if (!st.ok()) return HttpResponse::Error(400, st.message(), context);
  }
  scan.from_ms = *from;
  scan.to_ms = *to;
  return RunScan(req, *s, scan);
}

HttpResponse InteractiveQueries::RunScan(const HttpRequest& req, const QueryStore& store,
                                         Scan& scan) {
  const json context = {{"store", store.name}};
  Result<size_t> limit = ParseLimit(req, options_);
  if (!limit.ok()) return HttpResponse::Error(400, limit.status().message(), context);
  scan.limit = *limit;
  const std::string scope = req.Query("scope").value_or("local");
  if (scope != "local" && scope != "all") {
    return HttpResponse::Error(400, "scope '" + scope + "' is not local or all", context);
  }
  const bool forwarded = req.Header(kForwardedHeader).has_value();
  scan.fan_out = scope == "all" && !forwarded;
  const QueryRouting routing = backend_.Routing();
  const std::string self = Self(routing);

  // This instance's active tasks of the store's sub-topology.
  std::vector<Entry> entries;
  bool truncated = false;
  json answered = json::array();
  json unavailable = json::array();
  std::set<TaskId> local_tasks;
  for (const TaskId& t : routing.local_active) {
    if (t.subtopology == store.subtopology) local_tasks.insert(t);
  }
  for (const TaskId& task : local_tasks) {
    std::vector<Entry> got;
    bool more = false;
    const Status st = backend_.WithActiveTask(task, [&](TaskStateAccess& access) -> Status {
      if (store.kind == StoreKind::kKeyValue) {
        state::KeyValueBytesStore* kv = access.KeyValueStore(store.name);
        if (kv == nullptr) return Status::Internal("no key-value store '" + store.name + "'");
        std::optional<std::string_view> from;
        std::optional<std::string_view> to;
        if (scan.from_key) from = *scan.from_key;
        if (scan.to_key) to = *scan.to_key;
        BROOK_ASSIGN_OR_RETURN(auto it, kv->Range(from, to));
        for (; it->Valid() && got.size() < scan.limit; it->Next()) {
          got.push_back({std::string(it->key()), -1, std::string(it->value())});
        }
        more = it->Valid();
        return it->status();
      }
      state::WindowBytesStore* ws = access.WindowStore(store.name);
      if (ws == nullptr) return Status::Internal("no window store '" + store.name + "'");
      BROOK_ASSIGN_OR_RETURN(auto it, ws->FetchAll(scan.from_ms, scan.to_ms));
      for (; it->Valid() && got.size() < scan.limit; it->Next()) {
        got.push_back({std::string(it->key()), it->window_start_ms(), std::string(it->value())});
      }
      more = it->Valid();
      return it->status();
    });
    if (st.code() == StatusCode::kNotFound) continue;  // no longer here
    if (!st.ok()) {
      unavailable.push_back({{"task", task.ToString()}, {"error", st.message()}});
      continue;
    }
    answered.push_back(task.ToString());
    truncated = truncated || more;
    std::move(got.begin(), got.end(), std::back_inserter(entries));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.key != b.key ? a.key < b.key : a.start_ms < b.start_ms;
  });
  if (entries.size() > scan.limit) {
    entries.resize(scan.limit);
    truncated = true;
  }
  json rendered = json::array();
  for (const Entry& e : entries) {
    json item = {{"key", Parsed(store.codec->KeyToJson(e.key))}};
    if (e.start_ms >= 0) item["start_ms"] = e.start_ms;
    const Result<std::string> v = store.codec->ValueToJson(e.value);
    if (v.ok()) {
      item["value"] = Parsed(v);
    } else {
      item["error"] = v.status().message();
    }
    rendered.push_back(std::move(item));
  }
  if (!scan.fan_out) {
    return HttpResponse::Json(200, {{"store", store.name},
                                    {"scope", "local"},
                                    {"instance", self},
                                    {"tasks", answered},
                                    {"unavailable", unavailable},
                                    {"count", rendered.size()},
                                    {"truncated", truncated},
                                    {"entries", std::move(rendered)}})
        .WithHeader(std::string(kAnsweredByHeader), self);
  }

  // scope=all: ask every other instance running a task of the sub-topology, in parallel.
  std::vector<std::string> peers;
  for (const auto& [endpoint, tasks] : routing.host_map) {
    if (endpoint == routing.self) continue;
    const bool relevant =
        std::any_of(tasks.active.begin(), tasks.active.end(),
                    [&](const TaskId& t) { return t.subtopology == store.subtopology; });
    if (relevant) peers.push_back(endpoint);
  }
  std::vector<std::future<Result<http::HttpClientResponse>>> calls;
  calls.reserve(peers.size());
  for (const std::string& peer : peers) {
    calls.push_back(std::async(std::launch::async, [this, peer, &req, self] {
      return http::HttpGet(peer, req.target, {{std::string(kForwardedHeader), self}},
                           options_.forward_timeout);
    }));
  }
  std::vector<std::string> problems;
  std::map<std::string, std::string> task_owner;  // task -> the instance that answered it
  for (const json& t : answered) task_owner[t.get<std::string>()] = self;
  json hosts = json::array();
  hosts.push_back({{"endpoint", self}, {"tasks", answered}, {"count", rendered.size()}});
  for (const json& u : unavailable) {
    problems.push_back("task " + u["task"].get<std::string>() + " on " + self + ": " +
                       u["error"].get<std::string>());
  }
  for (size_t i = 0; i < peers.size(); ++i) {
    const std::string& peer = peers[i];
    Result<http::HttpClientResponse> r = calls[i].get();
    json host = {{"endpoint", peer}};
    json body;
    if (r.ok()) body = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    if (!r.ok() || r->status != 200 || !body.is_object() || !body["entries"].is_array() ||
        !body["tasks"].is_array()) {
      const std::string why =
          !r.ok() ? r.status().message()
                  : "answered " + std::to_string(r->status) + ": " + r->body.substr(0, 200);
      host["error"] = why;
      std::string problem = peer;
      problem += ": ";
      problem += why;
      problems.push_back(std::move(problem));
      hosts.push_back(std::move(host));
      continue;
    }
    for (const json& t : body["tasks"]) {
      if (!t.is_string()) continue;
      auto [it, fresh] = task_owner.emplace(t.get<std::string>(), peer);
      if (!fresh) {
        problems.push_back("task " + it->first + " answered by both " + it->second + " and " +
                           peer + " (a rebalance is moving it)");
      }
    }
    if (body["unavailable"].is_array()) {
      for (const json& u : body["unavailable"]) {
        if (u.is_object() && u["task"].is_string() && u["error"].is_string()) {
          problems.push_back("task " + u["task"].get<std::string>() + " on " + peer + ": " +
                             u["error"].get<std::string>());
        }
      }
    }
    if (body["truncated"].is_boolean() && body["truncated"].get<bool>()) truncated = true;
    host["tasks"] = body["tasks"];
    host["count"] = body["entries"].size();
    for (json& e : body["entries"]) rendered.push_back(std::move(e));
    hosts.push_back(std::move(host));
  }
  // Every task of the sub-topology must have answered exactly once.
  const Result<int32_t> n = Partitions(store, routing.generation);
  if (!n.ok()) {
    problems.push_back(n.status().ToString());
  } else {
    std::vector<std::string> missing;
    for (int32_t p = 0; p < *n; ++p) {
      const std::string t = TaskId{store.subtopology, p}.ToString();
      if (!task_owner.contains(t)) missing.push_back(t);
    }
    if (!missing.empty()) {
      std::string list;
      for (const std::string& t : missing) list += (list.empty() ? "" : " ") + t;
      problems.push_back("no instance answered for task(s) " + list +
                         " (rebalancing, restoring, or an instance without application.server)");
    }
  }
  if (rendered.size() > scan.limit) {
    rendered.erase(rendered.begin() + static_cast<std::ptrdiff_t>(scan.limit), rendered.end());
    truncated = true;
  }
  json body = {
      {"store", store.name},           {"scope", "all"},           {"instance", self},
      {"hosts", std::move(hosts)},     {"count", rendered.size()}, {"truncated", truncated},
      {"entries", std::move(rendered)}};
  if (problems.empty()) {
    return HttpResponse::Json(200, body).WithHeader(std::string(kAnsweredByHeader), self);
  }
  std::string error = "incomplete answer for store '" + store.name + "': ";
  for (size_t i = 0; i < problems.size(); ++i) error += (i > 0 ? "; " : "") + problems[i];
  body["error"] = error;
  return HttpResponse::Json(503, body)
      .WithHeader("Retry-After", std::to_string(kRetryAfterSeconds))
      .WithHeader(std::string(kAnsweredByHeader), self);
}

}  // namespace brook::runtime
