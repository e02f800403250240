// libFuzzer target for brook's userData codec (src/group/user_data.h): every input is fed to
// DecodeSubscriptionInfo and to DecodeAssignmentInfo (including the version-2 host map).
// Whatever decodes must re-encode at its own version (a newer one: at this build's) without
// error, decode again to the same value (with latest_supported_version now this build's),
// and re-encode to the same bytes; an input of a version this build knows must re-encode to
// its own size (only bool bytes and the latest_supported_version field may differ). Any
// violation aborts, which libFuzzer reports as a crash.
//
// When BROOK_FUZZ_SEED_DIR is set, LLVMFuzzerInitialize first writes valid encodings (empty,
// full, version 1 and 2, and a payload of a newer version with appended bytes) into that
// directory, as a seed corpus.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "group/user_data.h"

namespace brook::group {
namespace {

using protocol::Bytes;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "user_data fuzz invariant violated: %s\n", what.c_str());
  std::abort();
}

// Decoded -> encoded -> decoded must be the identity up to the version fields, and encoding
// must be stable.
template <typename T, typename Encode, typename Decode>
void CheckRoundTrip(const char* name, std::span<const uint8_t> input, const T& decoded,
                    Encode encode, Decode decode) {
  const std::string what(name);
  if (decoded.version < 1) Fail(what + ": decoded a version < 1");
  const int32_t version = std::min(decoded.version, kUserDataVersion);
  const Result<Bytes> encoded = encode(decoded, version);
  if (!encoded.ok()) Fail(what + ": re-encode: " + encoded.status().message());
  const Result<T> again = decode(std::span<const uint8_t>(*encoded));
  if (!again.ok()) Fail(what + ": re-decode: " + again.status().message());
  T expected = decoded;
  expected.version = version;
  expected.latest_supported_version = kUserDataVersion;
  if (!(*again == expected)) Fail(what + ": re-decoded value differs");
  const Result<Bytes> encoded_again = encode(*again, version);
  if (!encoded_again.ok()) Fail(what + ": second re-encode: " + encoded_again.status().message());
  if (*encoded_again != *encoded) Fail(what + ": encoding is not stable");
  if (decoded.version <= kUserDataVersion && encoded->size() != input.size()) {
    Fail(what + ": a payload of a known version re-encoded to a different size");
  }
  if (encoded->size() > input.size()) Fail(what + ": re-encoding is longer than the input");
}

void FuzzOne(std::span<const uint8_t> data) {
  const Result<SubscriptionInfo> sub = DecodeSubscriptionInfo(data);
  if (sub.ok()) {
    CheckRoundTrip(
        "SubscriptionInfo", data, *sub,
        [](const SubscriptionInfo& s, int32_t v) { return EncodeSubscriptionInfo(s, v); },
        [](std::span<const uint8_t> b) { return DecodeSubscriptionInfo(b); });
  } else if (sub.status().code() != StatusCode::kCorruption) {
    Fail("SubscriptionInfo: decode error is not kCorruption: " + sub.status().ToString());
  }
  const Result<AssignmentInfo> asg = DecodeAssignmentInfo(data);
  if (asg.ok()) {
    CheckRoundTrip(
        "AssignmentInfo", data, *asg,
        [](const AssignmentInfo& a, int32_t v) { return EncodeAssignmentInfo(a, v); },
        [](std::span<const uint8_t> b) { return DecodeAssignmentInfo(b); });
  } else if (asg.status().code() != StatusCode::kCorruption) {
    Fail("AssignmentInfo: decode error is not kCorruption: " + asg.status().ToString());
  }
}

void WriteSeed(const std::string& dir, const std::string& name, const Result<Bytes>& bytes) {
  if (!bytes.ok()) Fail("seed " + name + ": " + bytes.status().message());
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes->data()),
            static_cast<std::streamsize>(bytes->size()));
  if (!out) Fail("cannot write seed " + dir + "/" + name);
}

// The same bytes claiming the version after this build's, with four appended bytes.
Result<Bytes> AsNewerVersion(Result<Bytes> bytes) {
  if (bytes.ok() && bytes->size() >= 8) {
    (*bytes)[3] = static_cast<uint8_t>(kUserDataVersion + 1);
    (*bytes)[7] = static_cast<uint8_t>(kUserDataVersion + 1);
    bytes->insert(bytes->end(), {0xde, 0xad, 0xbe, 0xef});
  }
  return bytes;
}

void WriteSeeds(const std::string& dir) {
  SubscriptionInfo sub;
  sub.process_id = "pod-0";
  sub.endpoint = "pod-0.brook:8080";
  sub.capacity = 2.0;
  sub.draining = true;
  sub.state_bytes = 1 << 20;
  sub.prev_active = {TaskId{0, 1}, TaskId{1, 0}};
  sub.prev_standby = {TaskId{0, 2}};
  sub.task_offset_sums = {{TaskId{0, 1}, 100}, {TaskId{0, 2}, 7}};
  sub.task_loads = {{TaskId{0, 1}, TaskLoad{.records_per_sec = 1.5, .busy_fraction = 0.25}}};
  AssignmentInfo asg;
  asg.active = {TaskId{0, 0}, TaskId{2, 3}};
  asg.standby = {TaskId{3, 3}};
  asg.warmup = {TaskId{1, 1}};
  asg.followup_delay_ms = 600000;
  asg.host_map["pod-0.brook:8080"] = HostTasks{.active = {TaskId{0, 0}}, .standby = {{3, 3}}};
  asg.host_map["pod-1.brook:8080"] = HostTasks{.active = {TaskId{2, 3}}};
  AssignmentInfo error;
  error.error_code = kAssignmentErrorBadSubscription;

  WriteSeed(dir, "subscription-empty", EncodeSubscriptionInfo(SubscriptionInfo{}));
  WriteSeed(dir, "subscription-full", EncodeSubscriptionInfo(sub));
  WriteSeed(dir, "subscription-v1", EncodeSubscriptionInfo(sub, 1));
  WriteSeed(dir, "subscription-newer", AsNewerVersion(EncodeSubscriptionInfo(sub)));
  WriteSeed(dir, "assignment-empty", EncodeAssignmentInfo(AssignmentInfo{}));
  WriteSeed(dir, "assignment-full", EncodeAssignmentInfo(asg));
  WriteSeed(dir, "assignment-v1", EncodeAssignmentInfo(asg, 1));
  WriteSeed(dir, "assignment-error", EncodeAssignmentInfo(error));
  WriteSeed(dir, "assignment-newer", AsNewerVersion(EncodeAssignmentInfo(asg)));
}

}  // namespace
}  // namespace brook::group

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  if (const char* dir = std::getenv("BROOK_FUZZ_SEED_DIR"); dir != nullptr && *dir != '\0') {
    brook::group::WriteSeeds(dir);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  brook::group::FuzzOne(std::span<const uint8_t>(data, size));
  return 0;
}
