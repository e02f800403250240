// The StatefulSet scale client against a local HTTPS server (cpp-httplib's SSLServer with a
// self-signed certificate made by the openssl CLI) that checks the requests like the API
// server would; plus kubeconfig and in-cluster config reading.
#include "autoscale/k8s_scaler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

namespace brook::autoscale {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

const char* const kPath = "/apis/apps/v1/namespaces/ns1/statefulsets/app/scale";

void WriteFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p) << text;
}

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string Base64(const std::string& in) {
  static const char* const kA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(in[i]) << 16U) |
                       (static_cast<uint8_t>(in[i + 1]) << 8U) | static_cast<uint8_t>(in[i + 2]);
    out += kA[(n >> 18U) & 63U];
    out += kA[(n >> 12U) & 63U];
    out += kA[(n >> 6U) & 63U];
    out += kA[n & 63U];
  }
  if (i + 1 == in.size()) {
    const uint32_t n = static_cast<uint8_t>(in[i]) << 16U;
    out += kA[(n >> 18U) & 63U];
    out += kA[(n >> 12U) & 63U];
    out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t n =
        (static_cast<uint8_t>(in[i]) << 16U) | (static_cast<uint8_t>(in[i + 1]) << 8U);
    out += kA[(n >> 18U) & 63U];
    out += kA[(n >> 12U) & 63U];
    out += kA[(n >> 6U) & 63U];
    out += '=';
  }
  return out;
}

class K8sScalerTest : public ::testing::Test {
 protected:
  static void MakeCert(const std::filesystem::path& dir, const std::string& stem) {
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost"
        " -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
        (dir / (stem + ".key")).string() + " -out " + (dir / (stem + ".crt")).string() +
        " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);  // NOLINT(cert-env33-c,concurrency-mt-unsafe)
  }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("brook-k8s-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    MakeCert(dir_, "server");
    MakeCert(dir_, "other");
    server_ = std::make_unique<httplib::SSLServer>((dir_ / "server.crt").c_str(),
                                                   (dir_ / "server.key").c_str());
    ASSERT_TRUE(server_->is_valid());
    auto check_auth = [this](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("Authorization") != "Bearer s3cret") {
        res.status = 401;
        res.set_content(R"({"kind":"Status","message":"Unauthorized"})", "application/json");
        return false;
      }
      return true;
    };
    auto scale = [this] {
      return nlohmann::json{{"kind", "Scale"},
                            {"spec", {{"replicas", replicas_.load()}}},
                            {"status", {{"replicas", replicas_.load()}}}}
          .dump();
    };
    server_->Get(kPath, [=, this](const httplib::Request& req, httplib::Response& res) {
      ++calls_;
      if (!check_auth(req, res)) return;
      res.set_content(scale(), "application/json");
    });
    server_->Patch(kPath, [=, this](const httplib::Request& req, httplib::Response& res) {
      ++calls_;
      if (!check_auth(req, res)) return;
      const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
      if (req.get_header_value("Content-Type") != "application/merge-patch+json" ||
          !body.is_object() || body.size() != 1 || !body.contains("spec") ||
          body["spec"].size() != 1 || !body["spec"]["replicas"].is_number_integer()) {
        res.status = 415;
        res.set_content(R"({"kind":"Status","message":"bad patch: )" + req.body + "\"}",
                        "application/json");
        return;
      }
      replicas_ = body["spec"]["replicas"].get<int>();
      res.set_content(scale(), "application/json");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(1ms);
  }

  void TearDown() override {
    server_->stop();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }

  K8sClusterConfig Config(const std::string& ca_stem = "server") {
    K8sClusterConfig c;
    c.server = "https://127.0.0.1:" + std::to_string(port_);
    c.token = "s3cret";
    c.ca_file = (dir_ / (ca_stem + ".crt")).string();
    return c;
  }

  std::filesystem::path dir_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> replicas_{2};
  std::atomic<int> calls_{0};
};

TEST_F(K8sScalerTest, GetsAndPatchesTheScaleSubresource) {
  auto scaler = K8sScaler::Create(Config(), "ns1", "app").ValueOrThrow();
  EXPECT_EQ(scaler->url(), "https://127.0.0.1:" + std::to_string(port_) + kPath);
  EXPECT_EQ(scaler->GetReplicas().ValueOrThrow(), 2);
  ASSERT_TRUE(scaler->SetReplicas(5).ok());
  EXPECT_EQ(replicas_.load(), 5);
  EXPECT_EQ(scaler->GetReplicas().ValueOrThrow(), 5);
  EXPECT_FALSE(scaler->SetReplicas(-1).ok());
}

TEST_F(K8sScalerTest, HttpErrorsNameUrlAndStatus) {
  auto config = Config();
  config.token = "wrong";
  auto scaler = K8sScaler::Create(config, "ns1", "app").ValueOrThrow();
  const Status s = scaler->SetReplicas(3);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("PATCH " + scaler->url() + ": HTTP 401: Unauthorized"));
  auto missing = K8sScaler::Create(Config(), "ns1", "nope").ValueOrThrow();
  EXPECT_THAT(missing->GetReplicas().status().message(), HasSubstr("HTTP 404"));
}

TEST_F(K8sScalerTest, WrongCaFailsTheHandshake) {
  auto scaler = K8sScaler::Create(Config("other"), "ns1", "app").ValueOrThrow();
  const auto r = scaler->GetReplicas();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("GET " + scaler->url()));
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(K8sScalerTest, KubeconfigWithInlineCaData) {
  const std::string kubeconfig = R"(apiVersion: v1
kind: Config
# a comment
current-context: dev
clusters:
- cluster:
    certificate-authority-data: )" +
                                 Base64(ReadAll(dir_ / "server.crt")) + R"(
    server: https://127.0.0.1:)" +
                                 std::to_string(port_) + R"(/
  name: local
- name: other
  cluster:
    server: https://example.invalid
contexts:
- context:
    cluster: local
    user: bot
    namespace: ns1
  name: dev
- name: prod
  context:
    cluster: other
    user: nobody
users:
- name: bot
  user:
    token: "s3cret"
- name: nobody
  user:
    client-certificate-data: AAAA
)";
  WriteFile(dir_ / "kubeconfig", kubeconfig);
  const K8sClusterConfig c = KubeconfigConfig(dir_ / "kubeconfig").ValueOrThrow();
  EXPECT_EQ(c.server, "https://127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(c.namespace_, "ns1");
  EXPECT_EQ(c.token, "s3cret");
  auto scaler = K8sScaler::Create(c, "", "app").ValueOrThrow();
  ASSERT_TRUE(scaler->SetReplicas(4).ok());
  EXPECT_EQ(replicas_.load(), 4);

  const auto prod = KubeconfigConfig(dir_ / "kubeconfig", "prod");
  EXPECT_THAT(prod.status().message(), HasSubstr("no token or tokenFile"));
  EXPECT_THAT(KubeconfigConfig(dir_ / "kubeconfig", "x").status().message(),
              HasSubstr("no context 'x'"));
}

TEST_F(K8sScalerTest, InClusterServiceAccount) {
  const auto sa = dir_ / "sa";
  std::filesystem::create_directories(sa);
  WriteFile(sa / "token", "s3cret\n");
  WriteFile(sa / "namespace", "ns1");
  std::filesystem::copy_file(dir_ / "server.crt", sa / "ca.crt");
  const K8sClusterConfig c =
      InClusterConfig(
          {.service_account_dir = sa, .host = "127.0.0.1", .port = std::to_string(port_)})
          .ValueOrThrow();
  EXPECT_EQ(c.namespace_, "ns1");
  auto scaler = K8sScaler::Create(c, "", "app").ValueOrThrow();
  EXPECT_EQ(scaler->GetReplicas().ValueOrThrow(), 2);
  EXPECT_EQ(InClusterConfig({.service_account_dir = sa, .host = "", .port = ""}).status().code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace brook::autoscale
