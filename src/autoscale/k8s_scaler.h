// K8sScaler: reads and sets the replica count of a Kubernetes StatefulSet through its scale
// subresource, /apis/apps/v1/namespaces/{ns}/statefulsets/{name}/scale, over HTTPS
// (libcurl + OpenSSL) with a bearer token.
//
// Contract:
//   - The cluster comes from the pod's service account (InClusterConfig: token, ca.crt and
//     namespace under a directory, default /var/run/secrets/kubernetes.io/serviceaccount,
//     and KUBERNETES_SERVICE_HOST/PORT) or a kubeconfig file (KubeconfigConfig).
//   - Kubeconfig: a documented subset of YAML is read: block style only (no flow {} or [],
//     anchors, or multi-line scalars), plain or quoted scalars. Used keys: current-context
//     (or --context), contexts[].{name, context.cluster, context.user, context.namespace},
//     clusters[].{name, cluster.server, cluster.certificate-authority-data |
//     cluster.certificate-authority}, users[].{name, user.token | user.tokenFile}. Client
//     certificates and exec/auth-provider plugins are not supported (kInvalidArgument).
//   - GetReplicas() is GET .../scale and returns spec.replicas. SetReplicas(n) is PATCH
//     .../scale with Content-Type application/merge-patch+json and body
//     {"spec":{"replicas":n}}. A transport or TLS failure is kUnavailable naming the URL and
//     curl's error; a non-2xx answer is kFailedPrecondition naming method, URL, HTTP status
//     and the API server's message.
//
// Thread-safety: a K8sScaler is immutable after Create(); each call uses its own curl
// handle, so calls may run concurrently. The config functions are free functions.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "brook/status.h"

namespace brook::autoscale {

struct K8sClusterConfig {
  std::string server;      // "https://host:port", no trailing '/'
  std::string token;       // bearer token
  std::string ca_pem;      // CA bundle (PEM text); empty = ca_file or the system CAs
  std::string ca_file;     // CA bundle file
  std::string namespace_;  // default namespace ("" when none is configured)
};

struct InClusterOptions {
  std::filesystem::path service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  // KUBERNETES_SERVICE_HOST / _PORT; nullopt = read the environment.
  std::optional<std::string> host;
  std::optional<std::string> port;
};
[[nodiscard]] Result<K8sClusterConfig> InClusterConfig(const InClusterOptions& options = {});
// context: "" = current-context.
[[nodiscard]] Result<K8sClusterConfig> KubeconfigConfig(const std::filesystem::path& file,
                                                        const std::string& context = "");

class K8sScaler {
 public:
  [[nodiscard]] static Result<std::unique_ptr<K8sScaler>> Create(
      K8sClusterConfig config, std::string ns, const std::string& statefulset,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

  [[nodiscard]] Result<int> GetReplicas() const;
  [[nodiscard]] Status SetReplicas(int replicas) const;
  [[nodiscard]] const std::string& url() const { return url_; }

 private:
  K8sScaler() = default;
  struct Answer {
    long status = 0;  // NOLINT(google-runtime-int): curl's type
    std::string body;
  };
  [[nodiscard]] Result<Answer> Call(const char* method, const std::string* body) const;

  K8sClusterConfig config_;
  std::string url_;
  std::chrono::milliseconds timeout_{10000};
};

}  // namespace brook::autoscale
