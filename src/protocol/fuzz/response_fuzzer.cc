// libFuzzer target for brook's Kafka codecs. The first input byte selects a target, the rest
// is fed to it; the targets are every response decoder at every version (the bare body, and
// the payload with its response header), every request body decoder at every version, the
// request-frame decoders (the request header picks the version), the header decoders and the
// ConsumerProtocol decoders. Whatever decodes must re-encode without error and decode again to
// an equal value; any violation aborts, which libFuzzer reports as a crash. (One target per
// input keeps libFuzzer's coverage feedback sharp and its bookkeeping cheap; running all ~180
// decoders on every input was ~20x slower.)
//
// When BROOK_FUZZ_SEED_DIR is set, LLVMFuzzerInitialize first writes valid encodings of
// every message (testing::Sample) for every target into that directory, as a seed corpus.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "protocol/consumer_protocol.h"
#include "protocol/framing.h"
#include "protocol/messages.h"
#include "protocol/messages_testing.h"

namespace brook::protocol {
namespace {

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "protocol fuzz invariant violated: %s\n", what.c_str());
  std::abort();
}

std::string Label(std::string_view name, int16_t version) {
  return std::string(name) + " v" + std::to_string(version);
}

std::span<const uint8_t> PayloadOf(const Bytes& frame) {
  if (frame.size() < 4) Fail("frame shorter than its size prefix");
  return std::span<const uint8_t>(frame).subspan(4);
}

// A decoded body must re-encode and decode to the same value.
template <typename T>
void CheckBody(const T& body, int16_t version) {
  const Result<Bytes> encoded = EncodeMessage(body, version);
  if (!encoded.ok()) Fail(Label(T::kName, version) + ": re-encode: " + encoded.status().message());
  const Result<T> again = DecodeMessage<T>(*encoded, version);
  if (!again.ok()) Fail(Label(T::kName, version) + ": re-decode: " + again.status().message());
  if (!(*again == body)) Fail(Label(T::kName, version) + ": re-decoded value differs");
}

template <typename T>
void FuzzBody(std::span<const uint8_t> data, int16_t v) {
  const Result<T> body = DecodeMessage<T>(data, v);
  if (body.ok()) CheckBody(*body, v);
}

template <typename T>
void FuzzResponseFrame(std::span<const uint8_t> data, int16_t v) {
  const Result<ResponseFrame<T>> frame = DecodeResponse<T>(v, data);
  if (!frame.ok()) return;
  const Result<Bytes> encoded =
      EncodeResponse(frame->header.correlation_id, frame->version, frame->body);
  if (!encoded.ok()) Fail(Label(T::kName, v) + ": re-encode frame: " + encoded.status().message());
  const Result<ResponseFrame<T>> again =
      DecodeResponse<T>(frame->version, PayloadOf(*encoded), frame->header.correlation_id);
  if (!again.ok()) Fail(Label(T::kName, v) + ": re-decode frame: " + again.status().message());
  if (!(again->body == frame->body) || !(again->header == frame->header)) {
    Fail(Label(T::kName, v) + ": re-decoded frame differs");
  }
}

template <typename T>
void FuzzRequestFrame(std::span<const uint8_t> data, int16_t /*version: from the header*/) {
  const Result<RequestFrame<T>> frame = DecodeRequest<T>(data);
  if (!frame.ok()) return;
  const int16_t v = frame->header.request_api_version;
  const Result<Bytes> encoded = EncodeRequest(frame->header, frame->body);
  if (!encoded.ok()) Fail(Label(T::kName, v) + ": re-encode frame: " + encoded.status().message());
  const Result<RequestFrame<T>> again = DecodeRequest<T>(PayloadOf(*encoded));
  if (!again.ok()) Fail(Label(T::kName, v) + ": re-decode frame: " + again.status().message());
  if (!(again->body == frame->body) || !(again->header == frame->header)) {
    Fail(Label(T::kName, v) + ": re-decoded request differs");
  }
}

template <typename T>
Result<ConsumerProtocolPayload<T>> DecodeConsumer(std::span<const uint8_t> data) {
  if constexpr (std::is_same_v<T, ConsumerProtocolSubscription>) {
    return DecodeConsumerProtocolSubscription(data);
  } else {
    return DecodeConsumerProtocolAssignment(data);
  }
}

template <typename T>
Result<Bytes> EncodeConsumer(const T& message, int16_t v) {
  if constexpr (std::is_same_v<T, ConsumerProtocolSubscription>) {
    return EncodeConsumerProtocolSubscription(message, v);
  } else {
    return EncodeConsumerProtocolAssignment(message, v);
  }
}

template <typename T>
void FuzzConsumerPayload(std::span<const uint8_t> data, int16_t /*version: on the wire*/) {
  const auto decoded = DecodeConsumer<T>(data);
  if (!decoded.ok()) return;
  const int16_t v = std::min(decoded->version, T::kMaxVersion);
  const Result<Bytes> encoded = EncodeConsumer(decoded->message, v);
  if (!encoded.ok()) Fail(Label(T::kName, v) + ": re-encode: " + encoded.status().message());
  const auto again = DecodeConsumer<T>(*encoded);
  if (!again.ok()) Fail(Label(T::kName, v) + ": re-decode: " + again.status().message());
  if (again->version != v || !(again->message == decoded->message)) {
    Fail(Label(T::kName, v) + ": re-decoded payload differs");
  }
}

// --- targets and their seeds ---------------------------------------------------------------

enum class Shape { kBody, kResponseFrame, kRequestFrame, kConsumer };

struct Target {
  std::string name;
  void (*fuzz)(std::span<const uint8_t>, int16_t);
  int16_t version;
  // Valid inputs for this target (without the selector byte).
  std::vector<Bytes> (*seeds)(int16_t);
};

Bytes Unframe(const Result<Bytes>& frame, const std::string& what) {
  if (!frame.ok()) Fail(what + ": " + frame.status().message());
  return {frame->begin() + 4, frame->end()};
}

template <typename T, Shape kShape>
std::vector<Bytes> SeedsFor(int16_t v) {
  std::vector<Bytes> out;
  for (const auto kind : {testing::SampleKind::kFull, testing::SampleKind::kMinimal}) {
    const std::string what = Label(T::kName, v) + " seed";
    if constexpr (kShape == Shape::kConsumer) {
      // v is unused: write every version of the payload.
      for (int16_t cv = T::kMinVersion; cv <= T::kMaxVersion; ++cv) {
        const Result<Bytes> payload = EncodeConsumer(testing::Sample<T>(cv, kind), cv);
        if (!payload.ok()) Fail(what + ": " + payload.status().message());
        out.push_back(*payload);
      }
    } else if constexpr (kShape == Shape::kRequestFrame) {
      for (int16_t rv = T::kMinVersion; rv <= T::kMaxVersion; ++rv) {
        out.push_back(
            Unframe(EncodeRequest(testing::Sample<T>(rv, kind), rv, 7, std::string("seed")), what));
      }
    } else if constexpr (kShape == Shape::kResponseFrame) {
      out.push_back(Unframe(EncodeResponse(7, v, testing::Sample<T>(v, kind)), what));
    } else {
      const Result<Bytes> body = EncodeMessage(testing::Sample<T>(v, kind), v);
      if (!body.ok()) Fail(what + ": " + body.status().message());
      out.push_back(*body);
    }
  }
  return out;
}

template <typename T>
void AddBodyTargets(std::vector<Target>& targets) {
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    targets.push_back({Label(T::kName, v) + " body", &FuzzBody<T>, v, &SeedsFor<T, Shape::kBody>});
  }
}

template <typename T>
void AddResponseTargets(std::vector<Target>& targets) {
  AddBodyTargets<T>(targets);
  for (int16_t v = T::kMinVersion; v <= T::kMaxVersion; ++v) {
    targets.push_back({Label(T::kName, v) + " frame", &FuzzResponseFrame<T>, v,
                       &SeedsFor<T, Shape::kResponseFrame>});
  }
}

template <typename T>
void AddRequestTargets(std::vector<Target>& targets) {
  AddBodyTargets<T>(targets);
  targets.push_back({std::string(T::kName) + " frame", &FuzzRequestFrame<T>, 0,
                     &SeedsFor<T, Shape::kRequestFrame>});
}

std::vector<Target> BuildTargets() {
  std::vector<Target> targets;
  std::apply(
      [&](const auto&... m) { (AddResponseTargets<std::decay_t<decltype(m)>>(targets), ...); },
      ResponseTypes{});
  std::apply(
      [&](const auto&... m) { (AddRequestTargets<std::decay_t<decltype(m)>>(targets), ...); },
      RequestTypes{});
  std::apply([&](const auto&... m) { (AddBodyTargets<std::decay_t<decltype(m)>>(targets), ...); },
             HeaderTypes{});
  targets.push_back({"ConsumerProtocolSubscription",
                     &FuzzConsumerPayload<ConsumerProtocolSubscription>, 0,
                     &SeedsFor<ConsumerProtocolSubscription, Shape::kConsumer>});
  targets.push_back({"ConsumerProtocolAssignment", &FuzzConsumerPayload<ConsumerProtocolAssignment>,
                     0, &SeedsFor<ConsumerProtocolAssignment, Shape::kConsumer>});
  if (targets.size() > 256) Fail("more fuzz targets than a selector byte can address");
  return targets;
}

const std::vector<Target>& Targets() {
  static const std::vector<Target> kTargets = BuildTargets();
  return kTargets;
}

void FuzzOne(std::span<const uint8_t> data) {
  if (data.empty()) return;
  const std::vector<Target>& targets = Targets();
  const Target& target = targets[data[0] % targets.size()];
  target.fuzz(data.subspan(1), target.version);
}

void WriteSeed(const std::filesystem::path& dir, const std::string& name, const Bytes& bytes) {
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) Fail("cannot write seed " + (dir / name).string());
}

void WriteAllSeeds(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::vector<Target>& targets = Targets();
  for (size_t i = 0; i < targets.size(); ++i) {
    const std::vector<Bytes> seeds = targets[i].seeds(targets[i].version);
    for (size_t j = 0; j < seeds.size(); ++j) {
      Bytes input = {static_cast<uint8_t>(i)};
      input.insert(input.end(), seeds[j].begin(), seeds[j].end());
      std::string name = targets[i].name + "-" + std::to_string(j);
      for (char& c : name) {
        if (c == ' ') c = '_';
      }
      WriteSeed(dir, name, input);
    }
  }
}

}  // namespace
}  // namespace brook::protocol

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  if (const char* dir = std::getenv("BROOK_FUZZ_SEED_DIR"); dir != nullptr && *dir != '\0') {
    brook::protocol::WriteAllSeeds(dir);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  brook::protocol::FuzzOne(std::span<const uint8_t>(data, size));
  return 0;
}
