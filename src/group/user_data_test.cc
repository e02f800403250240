// brook's userData codec (SubscriptionInfo, AssignmentInfo): round trips, hand-derived golden
// vectors for versions 1 and 2 (the host map), forward compatibility, and rejection of
// truncated or hostile input.
#include "group/user_data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "protocol/test_util.h"

// The test binary tracks the largest single allocation so that tests can check that hostile
// counts are rejected before anything is reserved (as in src/protocol/codec_test.cc).
namespace {
std::atomic<size_t> g_largest_allocation{0};
}  // namespace

// Not compiled for clang-tidy: its analyzer follows malloc() from here into gmock's matcher
// internals and reports a leak that is not there.
#ifndef __clang_analyzer__
// noinline: once inlined into a caller, gcc -O2 sees free() on a pointer from operator new
// and warns (-Wmismatched-new-delete), although the pair is consistent.
[[gnu::noinline]] void* operator new(size_t n) {
  size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
  while (n > seen && !g_largest_allocation.compare_exchange_weak(seen, n)) {
  }
  void* p = std::malloc(n == 0 ? 1 : n);  // NOLINT(cppcoreguidelines-no-malloc)
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);  // NOLINT(cppcoreguidelines-no-malloc)
}
[[gnu::noinline]] void operator delete(void* p, size_t /*n*/) noexcept {
  std::free(p);  // NOLINT(cppcoreguidelines-no-malloc)
}
#endif  // __clang_analyzer__

namespace brook::group {
namespace {

using protocol::Bytes;
using protocol::test::Hex;
using protocol::test::ToHex;
using ::testing::HasSubstr;

// The golden SubscriptionInfo v1 as named hex pieces, in wire order; tests replace one piece
// to build an invalid payload. Join() of the defaults is the golden vector (checked below).
struct SubscriptionHex {
  std::string version = "00000001";              // int32 version 1
  std::string latest = "00000001";               // int32 latest_supported_version 1
  std::string process_id = "0002 7031";          // string "p1": int16 length 2
  std::string endpoint = "0003 683a39";          // string "h:9"
  std::string capacity = "4000000000000000";     // float64 2.0
  std::string draining = "01";                   // bool true
  std::string state_bytes = "0000000000001000";  // int64 4096
  std::string prev_active =
      "00000002"            // int32 count 2
      "00000000 00000001"   // 0_1: int32 subtopology, int32 partition
      "00000001 00000000";  // 1_0
  std::string prev_standby =
      "00000001"            // count 1
      "00000000 00000002";  // 0_2
  std::string offset_sums =
      "00000002"                             // count 2
      "00000000 00000001 0000000000000064"   // 0_1 -> int64 100
      "00000000 00000002 0000000000000007";  // 0_2 -> 7
  std::string loads =
      "00000001"           // count 1
      "00000000 00000001"  // 0_1
      "3ff8000000000000"   // records_per_sec float64 1.5
      "3fd0000000000000";  // busy_fraction float64 0.25
  std::string trailer;     // bytes after the known fields

  [[nodiscard]] Bytes Join() const {
    return Hex(version + latest + process_id + endpoint + capacity + draining + state_bytes +
               prev_active + prev_standby + offset_sums + loads + trailer);
  }
};

struct AssignmentHex {
  std::string version = "00000001";  // int32 version 1
  std::string latest = "00000001";   // int32 latest_supported_version 1
  std::string active =
      "00000002"                     // count 2
      "00000000 00000000"            // 0_0
      "00000002 00000003";           // 2_3
  std::string standby = "00000000";  // count 0
  std::string warmup =
      "00000001"                              // count 1
      "00000001 00000001";                    // 1_1
  std::string followup = "00000000000927c0";  // int64 600000
  std::string error_code = "00000000";        // int32 0
  std::string host_map;                       // version 2 only
  std::string trailer;

  [[nodiscard]] Bytes Join() const {
    return Hex(version + latest + active + standby + warmup + followup + error_code + host_map +
               trailer);
  }
};

// The golden AssignmentInfo v2: the v1 fields, then the host map of FullAssignmentV2().
AssignmentHex AssignmentHexV2() {
  AssignmentHex a;
  a.version = "00000002";
  a.latest = "00000002";
  a.host_map =
      "00000002"           // host_map: 2 entries, by endpoint
      "0005 613a383038"    //   endpoint "a:808"
      "00000002"           //   active: 2 tasks
      "00000000 00000000"  //     0_0
      "00000002 00000003"  //     2_3
      "00000001"           //   standby: 1 task
      "00000001 00000001"  //     1_1
      "0003 623a39"        //   endpoint "b:9"
      "00000000"           //   active: none
      "00000000";          //   standby: none
  return a;
}

// The value the golden vectors encode.
SubscriptionInfo FullSubscription() {
  SubscriptionInfo s;
  s.process_id = "p1";
  s.endpoint = "h:9";
  s.capacity = 2.0;
  s.draining = true;
  s.state_bytes = 4096;
  s.prev_active = {TaskId{0, 1}, TaskId{1, 0}};
  s.prev_standby = {TaskId{0, 2}};
  s.task_offset_sums = {{TaskId{0, 1}, 100}, {TaskId{0, 2}, 7}};
  s.task_loads = {{TaskId{0, 1}, TaskLoad{.records_per_sec = 1.5, .busy_fraction = 0.25}}};
  return s;
}

AssignmentInfo FullAssignment() {
  AssignmentInfo a;
  a.active = {TaskId{0, 0}, TaskId{2, 3}};
  a.warmup = {TaskId{1, 1}};
  a.followup_delay_ms = 600000;
  a.error_code = 0;
  return a;
}

AssignmentInfo FullAssignmentV2() {
  AssignmentInfo a = FullAssignment();
  a.host_map["a:808"] = HostTasks{.active = {TaskId{0, 0}, TaskId{2, 3}}, .standby = {{1, 1}}};
  a.host_map["b:9"] = HostTasks{};
  return a;
}

// `info` as decoded from a payload of `version` written by a build whose latest is `latest`.
template <typename T>
T AsDecoded(T info, int32_t version, int32_t latest) {
  info.version = version;
  info.latest_supported_version = latest;
  return info;
}

template <typename T>
std::string ErrorOf(const Result<T>& r) {
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "<decoded fine>";
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
  return r.status().message();
}

TEST(UserData, SubscriptionRoundTripEmptyAndFull) {
  for (const SubscriptionInfo& info : {SubscriptionInfo{}, FullSubscription()}) {
    const Result<Bytes> bytes = EncodeSubscriptionInfo(info);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    const Result<SubscriptionInfo> back = DecodeSubscriptionInfo(*bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, info);
  }
  // The empty one, spelled out: header, two empty strings, capacity 1.0, false, 0, four
  // empty arrays.
  const Result<Bytes> empty = EncodeSubscriptionInfo(SubscriptionInfo{});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(ToHex(*empty), ToHex(Hex("00000002 00000002"
                                     "0000 0000"         // process_id, endpoint ""
                                     "3ff0000000000000"  // capacity 1.0
                                     "00"                // draining false
                                     "0000000000000000"  // state_bytes 0
                                     "00000000 00000000 00000000 00000000")));
}

TEST(UserData, AssignmentRoundTripEmptyAndFull) {
  AssignmentInfo error;
  error.error_code = kAssignmentErrorBadSubscription;
  AssignmentInfo with_standby = FullAssignment();
  with_standby.standby = {TaskId{3, 0}, TaskId{3, 7}};
  with_standby.followup_delay_ms = 0;
  AssignmentInfo with_hosts = FullAssignmentV2();
  with_hosts.host_map["c:1"].standby = {TaskId{0, 0}};
  for (const AssignmentInfo& info :
       {AssignmentInfo{}, FullAssignment(), error, with_standby, with_hosts}) {
    const Result<Bytes> bytes = EncodeAssignmentInfo(info);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    const Result<AssignmentInfo> back = DecodeAssignmentInfo(*bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, info);
  }
  const Result<Bytes> empty = EncodeAssignmentInfo(AssignmentInfo{});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(ToHex(*empty), ToHex(Hex("00000002 00000002"
                                     "00000000 00000000 00000000"  // active, standby, warmup
                                     "ffffffffffffffff"            // followup_delay_ms -1
                                     "00000000"                    // error_code 0
                                     "00000000")));                // host_map: none
  // Encoding version 1 leaves the host map out.
  const Result<Bytes> v1 = EncodeAssignmentInfo(with_hosts, 1);
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  const Result<AssignmentInfo> v1_back = DecodeAssignmentInfo(*v1);
  ASSERT_TRUE(v1_back.ok()) << v1_back.status().ToString();
  EXPECT_EQ(v1_back->version, 1);
  EXPECT_TRUE(v1_back->host_map.empty());
  EXPECT_EQ(v1_back->active, with_hosts.active);
}

TEST(UserData, SubscriptionGoldenV1) {
  const Bytes golden =
      Hex("00000001"                            // version 1
          "00000001"                            // latest_supported_version 1
          "0002 7031"                           // process_id "p1"
          "0003 683a39"                         // endpoint "h:9"
          "4000000000000000"                    // capacity 2.0
          "01"                                  // draining true
          "0000000000001000"                    // state_bytes 4096
          "00000002"                            // prev_active: 2 tasks
          "00000000 00000001"                   //   0_1
          "00000001 00000000"                   //   1_0
          "00000001"                            // prev_standby: 1 task
          "00000000 00000002"                   //   0_2
          "00000002"                            // task_offset_sums: 2 entries
          "00000000 00000001 0000000000000064"  //   0_1 -> 100
          "00000000 00000002 0000000000000007"  //   0_2 -> 7
          "00000001"                            // task_loads: 1 entry
          "00000000 00000001"                   //   0_1
          "3ff8000000000000"                    //   records_per_sec 1.5
          "3fd0000000000000");                  //   busy_fraction 0.25
  ASSERT_EQ(golden.size(), 130U);
  EXPECT_EQ(ToHex(SubscriptionHex{}.Join()), ToHex(golden));

  const Result<SubscriptionInfo> decoded = DecodeSubscriptionInfo(golden);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->version, 1);
  EXPECT_EQ(decoded->latest_supported_version, 1);
  EXPECT_EQ(decoded->process_id, "p1");
  EXPECT_EQ(decoded->endpoint, "h:9");
  EXPECT_EQ(decoded->capacity, 2.0);
  EXPECT_TRUE(decoded->draining);
  EXPECT_EQ(decoded->state_bytes, 4096);
  EXPECT_EQ(decoded->prev_active, (std::set<TaskId>{{0, 1}, {1, 0}}));
  EXPECT_EQ(decoded->prev_standby, (std::set<TaskId>{{0, 2}}));
  EXPECT_EQ(decoded->task_offset_sums, (std::map<TaskId, int64_t>{{{0, 1}, 100}, {{0, 2}, 7}}));
  ASSERT_EQ(decoded->task_loads.size(), 1U);
  EXPECT_EQ(decoded->task_loads.at(TaskId{0, 1}).records_per_sec, 1.5);
  EXPECT_EQ(decoded->task_loads.at(TaskId{0, 1}).busy_fraction, 0.25);
  EXPECT_EQ(*decoded, AsDecoded(FullSubscription(), 1, 1));

  // This build writes version 1 the same way, except that its latest version is 2.
  const Result<Bytes> encoded = EncodeSubscriptionInfo(FullSubscription(), 1);
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  SubscriptionHex from_this_build;
  from_this_build.latest = "00000002";
  EXPECT_EQ(ToHex(*encoded), ToHex(from_this_build.Join()));
}

TEST(UserData, SubscriptionGoldenV2HasTheV1Layout) {
  SubscriptionHex v2;
  v2.version = "00000002";
  v2.latest = "00000002";
  const Result<SubscriptionInfo> decoded = DecodeSubscriptionInfo(v2.Join());
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, FullSubscription());
  const Result<Bytes> encoded = EncodeSubscriptionInfo(FullSubscription());
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  EXPECT_EQ(ToHex(*encoded), ToHex(v2.Join()));
  // Version 2 is known, so trailing bytes are an error as for version 1.
  v2.trailer = "00";
  EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(v2.Join())), "1 trailing byte at offset 130");
}

TEST(UserData, AssignmentGoldenV1) {
  const Bytes golden =
      Hex("00000001"           // version 1
          "00000001"           // latest_supported_version 1
          "00000002"           // active: 2 tasks
          "00000000 00000000"  //   0_0
          "00000002 00000003"  //   2_3
          "00000000"           // standby: none
          "00000001"           // warmup: 1 task
          "00000001 00000001"  //   1_1
          "00000000000927c0"   // followup_delay_ms 600000
          "00000000");         // error_code 0
  ASSERT_EQ(golden.size(), 56U);
  EXPECT_EQ(ToHex(AssignmentHex{}.Join()), ToHex(golden));

  const Result<AssignmentInfo> decoded = DecodeAssignmentInfo(golden);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->version, 1);
  EXPECT_EQ(decoded->latest_supported_version, 1);
  EXPECT_EQ(decoded->active, (std::set<TaskId>{{0, 0}, {2, 3}}));
  EXPECT_TRUE(decoded->standby.empty());
  EXPECT_EQ(decoded->warmup, (std::set<TaskId>{{1, 1}}));
  EXPECT_EQ(decoded->followup_delay_ms, 600000);
  EXPECT_EQ(decoded->error_code, 0);
  EXPECT_TRUE(decoded->host_map.empty());
  EXPECT_EQ(*decoded, AsDecoded(FullAssignment(), 1, 1));

  const Result<Bytes> encoded = EncodeAssignmentInfo(FullAssignment(), 1);
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  AssignmentHex from_this_build;
  from_this_build.latest = "00000002";
  EXPECT_EQ(ToHex(*encoded), ToHex(from_this_build.Join()));

  // error_code 1 (bad subscription) with nothing assigned.
  AssignmentHex bad;
  bad.active = "00000000";
  bad.warmup = "00000000";
  bad.followup = "ffffffffffffffff";
  bad.error_code = "00000001";
  const Result<AssignmentInfo> bad_decoded = DecodeAssignmentInfo(bad.Join());
  ASSERT_TRUE(bad_decoded.ok()) << bad_decoded.status().ToString();
  EXPECT_EQ(bad_decoded->error_code, kAssignmentErrorBadSubscription);
  EXPECT_EQ(bad_decoded->followup_delay_ms, -1);
  EXPECT_TRUE(bad_decoded->active.empty());
}

TEST(UserData, AssignmentGoldenV2WithHostMap) {
  const Bytes golden =
      Hex("00000002"           // version 2
          "00000002"           // latest_supported_version 2
          "00000002"           // active: 2 tasks
          "00000000 00000000"  //   0_0
          "00000002 00000003"  //   2_3
          "00000000"           // standby: none
          "00000001"           // warmup: 1 task
          "00000001 00000001"  //   1_1
          "00000000000927c0"   // followup_delay_ms 600000
          "00000000"           // error_code 0
          "00000002"           // host_map: 2 entries
          "0005 613a383038"    //   endpoint "a:808"
          "00000002"           //   active: 2 tasks
          "00000000 00000000"  //     0_0
          "00000002 00000003"  //     2_3
          "00000001"           //   standby: 1 task
          "00000001 00000001"  //     1_1
          "0003 623a39"        //   endpoint "b:9"
          "00000000"           //   active: none
          "00000000");         //   standby: none
  ASSERT_EQ(golden.size(), 112U);
  EXPECT_EQ(ToHex(AssignmentHexV2().Join()), ToHex(golden));

  const Result<AssignmentInfo> decoded = DecodeAssignmentInfo(golden);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->version, 2);
  ASSERT_EQ(decoded->host_map.size(), 2U);
  EXPECT_EQ(decoded->host_map.at("a:808").active, (std::set<TaskId>{{0, 0}, {2, 3}}));
  EXPECT_EQ(decoded->host_map.at("a:808").standby, (std::set<TaskId>{{1, 1}}));
  EXPECT_EQ(decoded->host_map.at("b:9"), HostTasks{});
  EXPECT_EQ(*decoded, FullAssignmentV2());

  const Result<Bytes> encoded = EncodeAssignmentInfo(FullAssignmentV2());
  ASSERT_TRUE(encoded.ok()) << encoded.status().ToString();
  EXPECT_EQ(ToHex(*encoded), ToHex(golden));

  // A version-1 reader of this payload: what a build without the host map sees is the v1
  // fields (it ignores appended bytes of newer versions), exactly as this build decodes the
  // golden with its header saying version 3 and nothing after the host map.
  AssignmentHex v3 = AssignmentHexV2();
  v3.version = "00000003";
  const Result<AssignmentInfo> as_newer = DecodeAssignmentInfo(v3.Join());
  ASSERT_TRUE(as_newer.ok()) << as_newer.status().ToString();
  EXPECT_EQ(as_newer->host_map, FullAssignmentV2().host_map);
}

TEST(UserData, HostMapEncodeRefusesAnEmptyEndpoint) {
  AssignmentInfo info;
  info.host_map[""] = HostTasks{.active = {TaskId{0, 0}}};
  const Result<Bytes> r = EncodeAssignmentInfo(info);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("host_map: empty endpoint"));
  // Version 1 does not carry the map, so there is nothing to refuse.
  EXPECT_TRUE(EncodeAssignmentInfo(info, 1).ok());
}

TEST(UserData, BadHostMapsAreRejectedNamingTheField) {
  {
    AssignmentHex a = AssignmentHexV2();
    a.host_map = "ffffffff";
    EXPECT_EQ(ErrorOf(DecodeAssignmentInfo(a.Join())), "field host_map: null array");
  }
  {
    AssignmentHex a = AssignmentHexV2();
    a.host_map = "00000001 0000 00000000 00000000";  // endpoint ""
    EXPECT_THAT(ErrorOf(DecodeAssignmentInfo(a.Join())),
                HasSubstr("field host_map.endpoint: empty"));
  }
  {
    AssignmentHex a = AssignmentHexV2();
    a.host_map = "00000002 0003 623a39 00000000 00000000 0003 623a39 00000000 00000000";
    EXPECT_EQ(ErrorOf(DecodeAssignmentInfo(a.Join())),
              "field host_map: endpoint 'b:9' listed twice");
  }
  {
    AssignmentHex a = AssignmentHexV2();
    a.host_map = "00000001 0003 623a39 00000001 ffffffff 00000000 00000000";
    EXPECT_EQ(ErrorOf(DecodeAssignmentInfo(a.Join())),
              "field host_map.active: negative task id -1_0");
  }
  {
    AssignmentHex a = AssignmentHexV2();
    a.host_map =
        "00000001 0003 623a39 00000000"
        "00000002 00000000 00000003 00000000 00000003";  // standby 0_3 twice
    EXPECT_EQ(ErrorOf(DecodeAssignmentInfo(a.Join())),
              "field host_map.standby: task 0_3 listed twice");
  }
  {
    AssignmentHex a = AssignmentHexV2();
    a.trailer = "00";
    EXPECT_EQ(ErrorOf(DecodeAssignmentInfo(a.Join())), "1 trailing byte at offset 112");
  }
  {
    AssignmentHex a = AssignmentHexV2();  // a version-2 payload without its host map
    a.host_map = "";
    EXPECT_THAT(ErrorOf(DecodeAssignmentInfo(a.Join())), HasSubstr("field host_map: need 4 bytes"));
  }
}

TEST(UserData, NewerVersionDecodesAsCurrentAndKeepsItsVersion) {
  SubscriptionHex sub;
  sub.version = "00000003";
  sub.latest = "00000003";
  sub.trailer = "deadbeef 0102";  // a field brook does not know yet
  const Result<SubscriptionInfo> s = DecodeSubscriptionInfo(sub.Join());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->version, 3);
  EXPECT_EQ(s->latest_supported_version, 3);
  EXPECT_EQ(*s, AsDecoded(FullSubscription(), 3, 3));
  // Re-encoding writes what this build speaks: version 2, latest 2, no appended bytes.
  const Result<Bytes> s_again = EncodeSubscriptionInfo(*s);
  ASSERT_TRUE(s_again.ok());
  SubscriptionHex current;
  current.version = current.latest = "00000002";
  EXPECT_EQ(ToHex(*s_again), ToHex(current.Join()));

  AssignmentHex asg = AssignmentHexV2();
  asg.version = "00000003";
  asg.latest = "00000004";
  asg.trailer = "00";
  const Result<AssignmentInfo> a = DecodeAssignmentInfo(asg.Join());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->version, 3);
  EXPECT_EQ(a->latest_supported_version, 4);
  EXPECT_EQ(a->active, FullAssignment().active);
  EXPECT_EQ(a->warmup, FullAssignment().warmup);
  EXPECT_EQ(a->followup_delay_ms, 600000);
  EXPECT_EQ(a->host_map, FullAssignmentV2().host_map);

  // A newer version with nothing appended is fine too; a huge one as well.
  asg.trailer.clear();
  asg.version = "7fffffff";
  const Result<AssignmentInfo> a2 = DecodeAssignmentInfo(asg.Join());
  ASSERT_TRUE(a2.ok()) << a2.status().ToString();
  EXPECT_EQ(a2->version, std::numeric_limits<int32_t>::max());

  // The appended bytes do not excuse a truncated known field.
  SubscriptionHex short_sub;
  short_sub.version = "00000002";
  short_sub.loads = "00000001 00000000 00000001";  // count 1 but the load values are missing
  EXPECT_THAT(ErrorOf(DecodeSubscriptionInfo(short_sub.Join())), HasSubstr("task_loads"));
}

TEST(UserData, VersionZeroAndNegativeAreRejected) {
  for (const char* version : {"00000000", "ffffffff", "80000000"}) {
    SCOPED_TRACE(version);
    SubscriptionHex sub;
    sub.version = version;
    EXPECT_THAT(ErrorOf(DecodeSubscriptionInfo(sub.Join())),
                HasSubstr("field version: unsupported version"));
    AssignmentHex asg;
    asg.version = version;
    EXPECT_THAT(ErrorOf(DecodeAssignmentInfo(asg.Join())),
                HasSubstr("field version: unsupported version"));
  }
  SubscriptionHex sub;
  sub.version = "00000000";
  EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(sub.Join())), "field version: unsupported version 0");

  // Nor can they (or versions this build does not know) be encoded.
  for (const int32_t version : {0, -1, kUserDataVersion + 1}) {
    const Result<Bytes> s = EncodeSubscriptionInfo(FullSubscription(), version);
    ASSERT_FALSE(s.ok()) << version;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(s.status().message(),
                HasSubstr("cannot encode version " + std::to_string(version)));
    const Result<Bytes> a = EncodeAssignmentInfo(FullAssignment(), version);
    ASSERT_FALSE(a.ok()) << version;
    EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(UserData, EveryStrictPrefixFails) {
  for (const Bytes& full :
       {SubscriptionHex{}.Join(), *EncodeSubscriptionInfo(SubscriptionInfo{})}) {
    ASSERT_TRUE(DecodeSubscriptionInfo(full).ok());
    for (size_t n = 0; n < full.size(); ++n) {
      const std::span<const uint8_t> prefix(full.data(), n);
      const Result<SubscriptionInfo> r = DecodeSubscriptionInfo(prefix);
      EXPECT_FALSE(r.ok()) << "subscription prefix of " << n << " bytes decoded";
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << n;
      }
    }
  }
  for (const Bytes& full : {AssignmentHex{}.Join(), AssignmentHexV2().Join(),
                            *EncodeAssignmentInfo(AssignmentInfo{})}) {
    ASSERT_TRUE(DecodeAssignmentInfo(full).ok());
    for (size_t n = 0; n < full.size(); ++n) {
      const std::span<const uint8_t> prefix(full.data(), n);
      const Result<AssignmentInfo> r = DecodeAssignmentInfo(prefix);
      EXPECT_FALSE(r.ok()) << "assignment prefix of " << n << " bytes decoded";
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << n;
      }
    }
  }
  // A cut in the middle of a field names the field.
  const Bytes golden = SubscriptionHex{}.Join();
  EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(std::span<const uint8_t>(golden.data(), 20))),
            "field capacity: need 8 bytes at offset 17, have 3");
  EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(std::span<const uint8_t>())),
            "field version: need 4 bytes at offset 0, have 0");
}

TEST(UserData, HugeCountsAreRejectedWithoutAllocating) {
  const std::string huge = "7fffffff";
  const std::string ten_bytes = "00000000 00000000 0000";
  struct Case {
    const char* field;
    Bytes bytes;
  };
  std::vector<Case> cases;
  {
    SubscriptionHex s;
    s.prev_active = huge + ten_bytes;
    s.prev_standby = s.offset_sums = s.loads = "";
    cases.push_back({"prev_active", s.Join()});
  }
  {
    SubscriptionHex s;
    s.prev_standby = huge + ten_bytes;
    s.offset_sums = s.loads = "";
    cases.push_back({"prev_standby", s.Join()});
  }
  {
    SubscriptionHex s;
    s.offset_sums = huge + ten_bytes;
    s.loads = "";
    cases.push_back({"task_offset_sums", s.Join()});
  }
  {
    SubscriptionHex s;
    s.loads = huge + ten_bytes;
    cases.push_back({"task_loads", s.Join()});
  }
  {
    SubscriptionHex s;  // a process id claiming the longest string, with 10 bytes left
    s.process_id = "7fff" + ten_bytes;
    s.endpoint = s.capacity = s.draining = s.state_bytes = s.prev_active = s.prev_standby =
        s.offset_sums = s.loads = "";
    cases.push_back({"process_id", s.Join()});
  }
  for (const char* field : {"active", "standby", "warmup"}) {
    AssignmentHex a;
    const std::string bad = huge + ten_bytes;
    if (std::string(field) == "active") {
      a.active = bad;
      a.standby = a.warmup = a.followup = a.error_code = "";
    } else if (std::string(field) == "standby") {
      a.standby = bad;
      a.warmup = a.followup = a.error_code = "";
    } else {
      a.warmup = bad;
      a.followup = a.error_code = "";
    }
    cases.push_back({field, a.Join()});
  }
  {
    AssignmentHex a = AssignmentHexV2();
    a.host_map = huge + ten_bytes;
    cases.push_back({"host_map", a.Join()});
  }
  {
    AssignmentHex a = AssignmentHexV2();  // one entry whose active set claims 2^31 tasks
    a.host_map = "00000001 0003 623a39" + huge + ten_bytes;
    cases.push_back({"host_map.active", a.Join()});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    const std::string field(c.field);
    const bool is_assignment = field == "active" || field == "standby" || field == "warmup" ||
                               field.starts_with("host_map");
    g_largest_allocation = 0;
    const Status s = is_assignment ? DecodeAssignmentInfo(c.bytes).status()
                                   : DecodeSubscriptionInfo(c.bytes).status();
    const size_t largest = g_largest_allocation.load();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kCorruption);
    EXPECT_THAT(s.message(), HasSubstr("field " + std::string(c.field) + ": "));
    EXPECT_THAT(s.message(), HasSubstr("have 10"));
    EXPECT_LT(largest, 4096U);
  }
  AssignmentHex a;
  a.active = huge + ten_bytes;
  a.standby = a.warmup = a.followup = a.error_code = "";
  EXPECT_EQ(ErrorOf(DecodeAssignmentInfo(a.Join())),
            "field active: array of 2147483647 elements needs at least 17179869176 bytes at "
            "offset 12, have 10");
}

TEST(UserData, NullAndNegativeCountsAreRejected) {
  SubscriptionHex null_active;
  null_active.prev_active = "ffffffff";
  EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(null_active.Join())), "field prev_active: null array");
  SubscriptionHex null_sums;
  null_sums.offset_sums = "ffffffff";
  EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(null_sums.Join())),
            "field task_offset_sums: null array");
  SubscriptionHex null_loads;
  null_loads.loads = "ffffffff";
  EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(null_loads.Join())), "field task_loads: null array");
  AssignmentHex null_warmup;
  null_warmup.warmup = "ffffffff";
  EXPECT_EQ(ErrorOf(DecodeAssignmentInfo(null_warmup.Join())), "field warmup: null array");
  AssignmentHex negative;
  negative.standby = "fffffffe";
  EXPECT_THAT(ErrorOf(DecodeAssignmentInfo(negative.Join())),
              HasSubstr("field standby: invalid length -2"));
}

TEST(UserData, NegativeTaskIdsAreRejectedNamingTheField) {
  const std::string minus_one = "ffffffff";
  {
    SubscriptionHex s;
    s.prev_active = "00000001" + minus_one + "00000000";  // -1_0
    EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(s.Join())),
              "field prev_active: negative task id -1_0");
  }
  {
    SubscriptionHex s;
    s.prev_standby = "00000001 00000000" + minus_one;  // 0_-1
    EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(s.Join())),
              "field prev_standby: negative task id 0_-1");
  }
  {
    SubscriptionHex s;
    s.offset_sums = "00000001" + minus_one + "00000000 0000000000000001";
    EXPECT_THAT(ErrorOf(DecodeSubscriptionInfo(s.Join())),
                HasSubstr("field task_offset_sums.task: negative task id -1_0"));
  }
  {
    SubscriptionHex s;
    s.loads = "00000001 00000000" + minus_one + "3ff0000000000000 3ff0000000000000";
    EXPECT_THAT(ErrorOf(DecodeSubscriptionInfo(s.Join())),
                HasSubstr("field task_loads.task: negative task id 0_-1"));
  }
  for (const char* field : {"active", "standby", "warmup"}) {
    SCOPED_TRACE(field);
    AssignmentHex a;
    const std::string bad = "00000001 80000000 00000000";  // INT32_MIN_0
    if (std::string(field) == "active") a.active = bad;
    if (std::string(field) == "standby") a.standby = bad;
    if (std::string(field) == "warmup") a.warmup = bad;
    EXPECT_EQ(ErrorOf(DecodeAssignmentInfo(a.Join())),
              "field " + std::string(field) + ": negative task id -2147483648_0");
  }
}

TEST(UserData, DuplicateTasksAreRejectedNamingTheField) {
  const std::string twice = "00000002 00000000 00000003 00000000 00000003";  // 0_3, 0_3
  {
    SubscriptionHex s;
    s.prev_active = twice;
    EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(s.Join())),
              "field prev_active: task 0_3 listed twice");
  }
  {
    SubscriptionHex s;
    s.prev_standby = twice;
    EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(s.Join())),
              "field prev_standby: task 0_3 listed twice");
  }
  {
    SubscriptionHex s;
    s.offset_sums =
        "00000002 00000000 00000003 0000000000000001 00000000 00000003 0000000000000002";
    EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(s.Join())),
              "field task_offset_sums: task 0_3 listed twice");
  }
  {
    SubscriptionHex s;
    s.loads =
        "00000002"
        "00000000 00000003 3ff0000000000000 3ff0000000000000"
        "00000000 00000003 3ff0000000000000 3ff0000000000000";
    EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(s.Join())), "field task_loads: task 0_3 listed twice");
  }
  for (const char* field : {"active", "standby", "warmup"}) {
    SCOPED_TRACE(field);
    AssignmentHex a;
    if (std::string(field) == "active") a.active = twice;
    if (std::string(field) == "standby") a.standby = twice;
    if (std::string(field) == "warmup") a.warmup = twice;
    EXPECT_EQ(ErrorOf(DecodeAssignmentInfo(a.Join())),
              "field " + std::string(field) + ": task 0_3 listed twice");
  }
}

TEST(UserData, BadNumbersAreRejectedNamingTheField) {
  // capacity must be finite and > 0.
  for (const char* capacity : {"7ff8000000000000",     // NaN
                               "7ff0000000000000",     // +inf
                               "bff0000000000000",     // -1.0
                               "0000000000000000",     // 0.0
                               "8000000000000000"}) {  // -0.0
    SCOPED_TRACE(capacity);
    SubscriptionHex s;
    s.capacity = capacity;
    EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(s.Join())),
              "field capacity: must be a finite number > 0");
  }
  {
    SubscriptionHex s;
    s.state_bytes = "ffffffffffffffff";
    EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(s.Join())), "field state_bytes: negative");
  }
  {
    SubscriptionHex s;
    s.offset_sums = "00000001 00000000 00000004 ffffffffffffff9c";  // 0_4 -> -100
    EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(s.Join())),
              "field task_offset_sums.sum: negative for task 0_4");
  }
  // Loads: finite and >= 0 (0 is fine: an idle task).
  for (const char* value : {"7ff8000000000000", "fff0000000000000", "bfd0000000000000"}) {
    SCOPED_TRACE(value);
    SubscriptionHex rps;
    rps.loads = std::string("00000001 00000000 00000001") + value + "3fd0000000000000";
    EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(rps.Join())),
              "field task_loads.records_per_sec: not a finite non-negative number");
    SubscriptionHex busy;
    busy.loads = std::string("00000001 00000000 00000001 3ff8000000000000") + value;
    EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(busy.Join())),
              "field task_loads.busy_fraction: not a finite non-negative number");
  }
  {
    SubscriptionHex idle;
    idle.loads = "00000001 00000000 00000001 0000000000000000 0000000000000000";
    const Result<SubscriptionInfo> r = DecodeSubscriptionInfo(idle.Join());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->task_loads.at(TaskId{0, 1}), TaskLoad{});
  }
  // followup_delay_ms: -1 (none), 0 or positive.
  {
    AssignmentHex a;
    a.followup = "fffffffffffffffe";  // -2
    EXPECT_EQ(ErrorOf(DecodeAssignmentInfo(a.Join())), "field followup_delay_ms: less than -1");
  }
}

TEST(UserData, TrailingBytesAfterV1AreRejected) {
  SubscriptionHex s;
  s.trailer = "00";
  EXPECT_EQ(ErrorOf(DecodeSubscriptionInfo(s.Join())), "1 trailing byte at offset 130");
  AssignmentHex a;
  a.trailer = "00000000";
  EXPECT_EQ(ErrorOf(DecodeAssignmentInfo(a.Join())), "4 trailing bytes at offset 56");
}

}  // namespace
}  // namespace brook::group

namespace brook::group {
namespace {

TEST(SubscriptionInfoEncode, RefusesWhatDecodersWouldReject) {
  SubscriptionInfo info;
  info.capacity = 0;
  auto r = EncodeSubscriptionInfo(info);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("capacity"), std::string::npos);
  info.capacity = 1;
  info.task_offset_sums[TaskId{0, 1}] = -5;
  r = EncodeSubscriptionInfo(info);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("0_1"), std::string::npos);
  info.task_offset_sums.clear();
  info.task_loads[TaskId{0, 2}] = {std::nan(""), 0};
  EXPECT_FALSE(EncodeSubscriptionInfo(info).ok());
}

}  // namespace
}  // namespace brook::group
