#include "autoscale/k8s_scaler.h"

#include <curl/curl.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>
#include <vector>

namespace brook::autoscale {
namespace {

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string Unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

Result<std::string> Base64Decode(std::string_view in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : in) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    const size_t v = kAlphabet.find(c);
    if (v == std::string::npos) return Status::InvalidArgument("bad base64 character");
    buffer = (buffer << 6U) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> static_cast<uint32_t>(bits)) & 0xffU);
    }
  }
  return out;
}

using Item = std::map<std::string, std::string>;

// The documented kubeconfig subset (see the header): top-level scalars and the items of
// the clusters, contexts and users lists, each flattened to its key: value pairs.
struct Kubeconfig {
  std::map<std::string, std::string> top;
  std::map<std::string, std::vector<Item>> lists;
};

Kubeconfig ParseKubeconfig(const std::string& text) {
  Kubeconfig out;
  std::string section;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed.front() == '#' || trimmed == "---") continue;
    const bool top_level = line.front() != ' ' && line.front() != '-';
    std::string content = trimmed;
    bool new_item = false;
    if (content.rfind("- ", 0) == 0 || content == "-") {
      new_item = true;
      content = Trim(content.substr(1));
    }
    const size_t colon = content.find(':');
    std::string key = colon == std::string::npos ? "" : Trim(content.substr(0, colon));
    std::string value = colon == std::string::npos ? "" : Unquote(Trim(content.substr(colon + 1)));
    if (top_level) {
      section = key;
      if (!value.empty()) out.top[key] = value;
      continue;
    }
    if (section != "clusters" && section != "contexts" && section != "users") continue;
    auto& items = out.lists[section];
    if (new_item || items.empty()) items.emplace_back();
    if (!key.empty() && !value.empty()) items.back()[key] = value;
  }
  return out;
}

const Item* FindItem(const Kubeconfig& k, const std::string& list, const std::string& name) {
  auto it = k.lists.find(list);
  if (it == k.lists.end()) return nullptr;
  for (const Item& item : it->second) {
    auto n = item.find("name");
    if (n != item.end() && n->second == name) return &item;
  }
  return nullptr;
}

std::string Get(const Item& item, const std::string& key) {
  auto it = item.find(key);
  return it == item.end() ? "" : it->second;
}

size_t Collect(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

}  // namespace

Result<K8sClusterConfig> InClusterConfig(const InClusterOptions& options) {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read-only use
    return v == nullptr ? "" : v;
  };
  const std::string host = options.host.value_or(env("KUBERNETES_SERVICE_HOST"));
  const std::string port = options.port.value_or(env("KUBERNETES_SERVICE_PORT"));
  if (host.empty() || port.empty()) {
    return Status::FailedPrecondition(
        "not in a Kubernetes pod: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT unset");
  }
  K8sClusterConfig c;
  c.server =
      "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  BROOK_ASSIGN_OR_RETURN(std::string token, ReadWholeFile(options.service_account_dir / "token"));
  c.token = Trim(token);
  c.ca_file = (options.service_account_dir / "ca.crt").string();
  if (auto ns = ReadWholeFile(options.service_account_dir / "namespace"); ns.ok()) {
    c.namespace_ = Trim(*ns);
  }
  return c;
}

Result<K8sClusterConfig> KubeconfigConfig(const std::filesystem::path& file,
                                          const std::string& context) {
  BROOK_ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(file));
  const Kubeconfig k = ParseKubeconfig(text);
  const std::string where = "kubeconfig " + file.string();
  std::string ctx_name = context;
  if (ctx_name.empty()) {
    auto it = k.top.find("current-context");
    if (it == k.top.end()) return Status::InvalidArgument(where + ": no current-context");
    ctx_name = it->second;
  }
  const Item* ctx = FindItem(k, "contexts", ctx_name);
  if (ctx == nullptr) return Status::InvalidArgument(where + ": no context '" + ctx_name + "'");
  const Item* cluster = FindItem(k, "clusters", Get(*ctx, "cluster"));
  if (cluster == nullptr) {
    return Status::InvalidArgument(where + ": no cluster '" + Get(*ctx, "cluster") + "'");
  }
  const Item* user = FindItem(k, "users", Get(*ctx, "user"));
  if (user == nullptr) {
    return Status::InvalidArgument(where + ": no user '" + Get(*ctx, "user") + "'");
  }
  K8sClusterConfig c;
  c.server = Get(*cluster, "server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  if (c.server.empty()) return Status::InvalidArgument(where + ": cluster has no server");
  if (const std::string data = Get(*cluster, "certificate-authority-data"); !data.empty()) {
    auto pem = Base64Decode(data);
    if (!pem.ok())
      return Status::InvalidArgument(where +
                                     ": certificate-authority-data: " + pem.status().message());
    c.ca_pem = std::move(pem).value();
  } else if (std::string ca = Get(*cluster, "certificate-authority"); !ca.empty()) {
    const std::filesystem::path p(ca);
    c.ca_file = p.is_relative() ? (file.parent_path() / p).string() : ca;
  }
  if (std::string token = Get(*user, "token"); !token.empty()) {
    c.token = std::move(token);
  } else if (std::string token_file = Get(*user, "tokenFile"); !token_file.empty()) {
    BROOK_ASSIGN_OR_RETURN(std::string t, ReadWholeFile(token_file));
    c.token = Trim(t);
  } else {
    return Status::InvalidArgument(where + ": user '" + Get(*ctx, "user") +
                                   "' has no token or tokenFile (client certificates and exec "
                                   "plugins are not supported)");
  }
  c.namespace_ = Get(*ctx, "namespace");
  return c;
}

Result<std::unique_ptr<K8sScaler>> K8sScaler::Create(K8sClusterConfig config, std::string ns,
                                                     const std::string& statefulset,
                                                     std::chrono::milliseconds timeout) {
  if (ns.empty()) ns = config.namespace_;
  if (ns.empty() || statefulset.empty()) {
    return Status::InvalidArgument("k8s scaler: namespace and statefulset name are required");
  }
  if (config.server.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("k8s scaler: server must be https://..., got '" + config.server +
                                   "'");
  }
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) return Status::Internal("curl_global_init failed");
  std::unique_ptr<K8sScaler> s(new K8sScaler());
  s->url_ =
      config.server + "/apis/apps/v1/namespaces/" + ns + "/statefulsets/" + statefulset + "/scale";
  s->config_ = std::move(config);
  s->timeout_ = timeout;
  return s;
}

Result<K8sScaler::Answer> K8sScaler::Call(const char* method, const std::string* body) const {
  const std::string what = std::string(method) + " " + url_;
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Status::Internal(what + ": curl_easy_init failed");
  curl_slist* raw_headers = nullptr;
  const std::string auth = "Authorization: Bearer " + config_.token;
  raw_headers = curl_slist_append(raw_headers, auth.c_str());
  raw_headers = curl_slist_append(raw_headers, "Accept: application/json");
  if (body != nullptr) {
    raw_headers = curl_slist_append(raw_headers, "Content-Type: application/merge-patch+json");
  }
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(raw_headers, curl_slist_free_all);
  Answer answer;
  char error[CURL_ERROR_SIZE] = {};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer.body);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));  // NOLINT
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  if (body != nullptr) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));  // NOLINT
  }
  curl_blob blob{};
  if (!config_.ca_pem.empty()) {
    blob.data = const_cast<char*>(config_.ca_pem.data());  // NOLINT: curl copies it
    blob.len = config_.ca_pem.size();
    blob.flags = CURL_BLOB_COPY;
    curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
  } else if (!config_.ca_file.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_file.c_str());
  }
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    return Status::Unavailable(what + ": " + (error[0] != '\0' ? error : curl_easy_strerror(rc)));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &answer.status);
  if (answer.status < 200 || answer.status > 299) {
    const nlohmann::json j = nlohmann::json::parse(answer.body, nullptr, false);
    const std::string message = j.is_object() && j.contains("message") && j["message"].is_string()
                                    ? j["message"].get<std::string>()
                                    : answer.body.substr(0, 200);
    return Status::FailedPrecondition(what + ": HTTP " + std::to_string(answer.status) + ": " +
                                      message);
  }
  return answer;
}

Result<int> K8sScaler::GetReplicas() const {
  BROOK_ASSIGN_OR_RETURN(const Answer a, Call("GET", nullptr));
  const nlohmann::json j = nlohmann::json::parse(a.body, nullptr, false);
  if (!j.is_object() || !j.contains("spec") || !j["spec"].is_object()) {
    return Status::Corruption("GET " + url_ + ": answer has no spec");
  }
  // An omitted spec.replicas means 0 in a Scale object.
  return j["spec"].value("replicas", 0);
}

Status K8sScaler::SetReplicas(int replicas) const {
  if (replicas < 0) return Status::InvalidArgument("k8s scaler: replicas must be >= 0");
  const std::string body = nlohmann::json{{"spec", {{"replicas", replicas}}}}.dump();
  return Call("PATCH", &body).status();
}

}  // namespace brook::autoscale
