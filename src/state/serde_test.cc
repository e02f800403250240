// The serdes: golden bytes against Kafka's serializers, round trips, every error path, the
// default-serde rules (built-in, JSON, windowed, user-specialised), the Processor API and
// the test driver over them, and random and mutated bytes into every Deserialize.
#include "brook/state/serde.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "brook/internal/record_serde.h"
#include "brook/json_serde.h"
#include "brook/test_driver.h"
#include "brook/topology.h"
#include "brook/windowed.h"
#include "runtime/processor_test_util.h"

// ---- types of the tests, and their serde specialisations ----

namespace brook::serde_test {

struct Order {
  std::string id;
  int64_t cents = 0;
  std::vector<std::string> tags;
  bool operator==(const Order&) const = default;
  auto operator<=>(const Order&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Order, id, cents, tags)

// Not convertible by nlohmann: no default serde.
struct Opaque {
  int x = 0;
};

// JSON-convertible, but its owner specialises DefaultSerdeOf: the specialisation wins.
struct Celsius {
  double degrees = 0;
  bool operator==(const Celsius&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Celsius, degrees)
struct CelsiusSerde {
  static constexpr std::string_view kName = "celsius";
  [[nodiscard]] std::string Serialize(const Celsius& v) const {
    return state::DoubleSerde().Serialize(v.degrees);
  }
  [[nodiscard]] Result<Celsius> Deserialize(std::string_view bytes) const {
    BROOK_ASSIGN_OR_RETURN(const double d, state::DoubleSerde().Deserialize(bytes));
    return Celsius{d};
  }
};

// JSON-convertible, opted out of the JSON default.
struct OptedOut {
  int x = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OptedOut, x)

// A JSON-convertible template with its own (more specialised) partial default.
template <typename K>
struct Tagged {
  K value{};
};
template <typename K>
void to_json(nlohmann::json& j, const Tagged<K>& t) {
  j = t.value;
}
template <typename K>
void from_json(const nlohmann::json& j, Tagged<K>& t) {
  j.get_to(t.value);
}
template <typename K>
struct TaggedSerde {
  static constexpr std::string_view kName = "tagged";
  [[nodiscard]] std::string Serialize(const Tagged<K>& v) const {
    return state::DefaultSerde<K>().Serialize(v.value);
  }
  [[nodiscard]] Result<Tagged<K>> Deserialize(std::string_view bytes) const {
    BROOK_ASSIGN_OR_RETURN(K v, state::DefaultSerde<K>().Deserialize(bytes));
    return Tagged<K>{std::move(v)};
  }
};

// from_json throws: a std::exception, or something else.
struct ThrowsStd {
  int x = 0;
};
inline void to_json(nlohmann::json& j, const ThrowsStd& v) {
  j = v.x;
}
inline void from_json(const nlohmann::json& /*j*/, ThrowsStd& /*v*/) {
  throw std::runtime_error("not today");
}
struct ThrowsInt {
  int x = 0;
};
inline void to_json(nlohmann::json& j, const ThrowsInt& v) {
  j = v.x;
}
inline void from_json(const nlohmann::json& /*j*/, ThrowsInt& /*v*/) {
  throw 42;
}

// A key type with < and == but no <=>.
struct LessOnly {
  int v = 0;
  bool operator<(const LessOnly& o) const { return v < o.v; }
  bool operator==(const LessOnly& o) const { return v == o.v; }
};

}  // namespace brook::serde_test

template <>
struct brook::state::DefaultSerdeOf<brook::serde_test::Celsius> {
  using type = brook::serde_test::CelsiusSerde;
};
template <>
inline constexpr bool brook::kJsonIsDefaultSerde<brook::serde_test::OptedOut> = false;
template <typename K>
struct brook::state::DefaultSerdeOf<brook::serde_test::Tagged<K>> {
  using type = brook::serde_test::TaggedSerde<K>;
};

namespace brook {
namespace {

using namespace serde_test;            // NOLINT(google-build-using-namespace)
using namespace std::string_literals;  // NOLINT(google-build-using-namespace)
using state::BytesSerde;
using state::DefaultSerde;
using state::DoubleSerde;
using state::HasDefaultSerde;
using state::Int32Serde;
using state::Int64Serde;
using state::SerdeFor;
using state::StringSerde;
using S = std::string;
using Json = nlohmann::json;

// ---- concepts and defaults (compile time) ----

static_assert(SerdeFor<Int32Serde, int32_t>);
static_assert(SerdeFor<BytesSerde, Bytes>);
static_assert(SerdeFor<JsonSerde<Order>, Order>);
static_assert(SerdeFor<JsonSerde<Json>, Json>);
static_assert(SerdeFor<JsonSerde<int64_t>, int64_t>);
static_assert(SerdeFor<TimeWindowedSerde<S>, Windowed<S>>);
static_assert(SerdeFor<SessionWindowedSerde<S>, Windowed<S>>);
static_assert(SerdeFor<TimeWindowedSerde<Order>, Windowed<Order>>);
static_assert(SerdeFor<SessionWindowedSerde<int64_t, Int64Serde>, Windowed<int64_t>>);
static_assert(!SerdeFor<Int32Serde, int64_t>);
static_assert(!SerdeFor<BytesSerde, S>);
static_assert(!SerdeFor<TimeWindowedSerde<S>, S>);

static_assert(std::is_same_v<DefaultSerde<S>, StringSerde>);
static_assert(std::is_same_v<DefaultSerde<Bytes>, BytesSerde>);
static_assert(std::is_same_v<DefaultSerde<int32_t>, Int32Serde>);
static_assert(std::is_same_v<DefaultSerde<int64_t>, Int64Serde>);
static_assert(std::is_same_v<DefaultSerde<double>, DoubleSerde>);
// JSON: every class type nlohmann converts that has no other default.
static_assert(std::is_same_v<DefaultSerde<Order>, JsonSerde<Order>>);
static_assert(std::is_same_v<DefaultSerde<Json>, JsonSerde<Json>>);
static_assert(std::is_same_v<DefaultSerde<std::vector<int64_t>>, JsonSerde<std::vector<int64_t>>>);
static_assert(std::is_same_v<DefaultSerde<std::map<S, Order>>, JsonSerde<std::map<S, Order>>>);
// Windowed: time-windowed over the key's default.
static_assert(std::is_same_v<DefaultSerde<Windowed<S>>, TimeWindowedSerde<S, StringSerde>>);
static_assert(
    std::is_same_v<DefaultSerde<Windowed<Order>>, TimeWindowedSerde<Order, JsonSerde<Order>>>);
static_assert(std::is_same_v<DefaultSerde<Windowed<Bytes>>, TimeWindowedSerde<Bytes, BytesSerde>>);
// A user's full specialisation wins over JSON; so does a more specialised partial one.
static_assert(std::is_same_v<DefaultSerde<Celsius>, CelsiusSerde>);
static_assert(std::is_same_v<DefaultSerde<Tagged<int64_t>>, TaggedSerde<int64_t>>);
static_assert(JsonConvertible<Tagged<int64_t>> && JsonConvertible<Celsius>);
// No default: not convertible, opted out, non-class types without a built-in serde.
static_assert(!JsonConvertible<Opaque>);
static_assert(!HasDefaultSerde<Opaque>);
static_assert(!HasDefaultSerde<OptedOut>);
static_assert(!HasDefaultSerde<Windowed<Opaque>>);
static_assert(!HasDefaultSerde<float>);
static_assert(!HasDefaultSerde<int16_t>);
static_assert(HasDefaultSerde<Order> && HasDefaultSerde<Windowed<Order>>);

// The Processor API takes all of them, also inside std::optional.
template <typename T>
constexpr bool kRecordSerdeOk = internal::RecordSerdeFor<internal::DefaultRecordSerde<T>, T>&&
    internal::RecordSerdeFor<internal::DefaultRecordSerde<T>, std::optional<T>>;
static_assert(kRecordSerdeOk<Bytes>);
static_assert(kRecordSerdeOk<int32_t>);
static_assert(kRecordSerdeOk<Order>);
static_assert(kRecordSerdeOk<Json>);
static_assert(kRecordSerdeOk<Windowed<S>>);
static_assert(kRecordSerdeOk<Celsius>);
static_assert(internal::RecordSerdeFor<SessionWindowedSerde<S>, std::optional<Windowed<S>>>);
static_assert(std::is_same_v<internal::DefaultRecordSerde<std::optional<Order>>, JsonSerde<Order>>);

// ---- helpers ----

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (!out.empty()) out += ' ';
    out += kDigits[b >> 4];
    out += kDigits[b & 0xfU];
  }
  return out;
}

template <typename R>
std::string ErrorOf(const R& result) {
  EXPECT_FALSE(result.ok());
  if (result.ok()) return "<ok>";
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  return result.status().message();
}

// ---- built-in serdes ----

TEST(BuiltinSerdeTest, Int32GoldenBytes) {
  // Kafka's IntegerSerializer: 4 bytes, big-endian.
  const Int32Serde serde;
  EXPECT_EQ(Hex(serde.Serialize(258)), "00 00 01 02");
  EXPECT_EQ(Hex(serde.Serialize(0)), "00 00 00 00");
  EXPECT_EQ(Hex(serde.Serialize(-1)), "ff ff ff ff");
  EXPECT_EQ(Hex(serde.Serialize(std::numeric_limits<int32_t>::min())), "80 00 00 00");
  EXPECT_EQ(Hex(serde.Serialize(std::numeric_limits<int32_t>::max())), "7f ff ff ff");
  for (const int32_t v : {0, 1, -1, 258, 123456789, std::numeric_limits<int32_t>::min(),
                          std::numeric_limits<int32_t>::max()}) {
    EXPECT_EQ(serde.Deserialize(serde.Serialize(v)).value(), v);
  }
}

TEST(BuiltinSerdeTest, Int32NeedsExactlyFourBytes) {
  const Int32Serde serde;
  EXPECT_EQ(ErrorOf(serde.Deserialize("abc")), "int32 needs exactly 4 bytes, got 3");
  EXPECT_EQ(ErrorOf(serde.Deserialize("abcde")), "int32 needs exactly 4 bytes, got 5");
  EXPECT_EQ(ErrorOf(serde.Deserialize("")), "int32 needs exactly 4 bytes, got 0");
}

TEST(BuiltinSerdeTest, Int64AndDoubleGoldenBytes) {
  // Kafka's LongSerializer and DoubleSerializer: 8 bytes, big-endian.
  EXPECT_EQ(Hex(Int64Serde().Serialize(258)), "00 00 00 00 00 00 01 02");
  EXPECT_EQ(Hex(Int64Serde().Serialize(-2)), "ff ff ff ff ff ff ff fe");
  EXPECT_EQ(Hex(DoubleSerde().Serialize(1.0)), "3f f0 00 00 00 00 00 00");
  EXPECT_EQ(Hex(DoubleSerde().Serialize(-2.5)), "c0 04 00 00 00 00 00 00");
}

TEST(BuiltinSerdeTest, BytesAreTheBytes) {
  const BytesSerde serde;
  const Bytes b{0x00, 0xff, 0x61};
  EXPECT_EQ(b.size(), 3U);
  EXPECT_EQ(b.at(1), 0xff);
  EXPECT_EQ(serde.Serialize(b),
            "\x00\xff"
            "a"s);
  EXPECT_EQ(serde
                .Deserialize("\x00\xff"
                             "a"s)
                .value(),
            b);
  EXPECT_EQ(serde.Deserialize("").value(), Bytes());
  EXPECT_TRUE(Bytes().empty());
  EXPECT_EQ(Bytes("ab"), Bytes(std::string_view("ab")));
  EXPECT_EQ(Bytes("ab").view(), "ab");
}

TEST(BuiltinSerdeTest, BytesOrderAsUnsignedBytesAndHashAndPrint) {
  // Kafka's Bytes.compareTo: unsigned lexicographic.
  EXPECT_LT(Bytes({0x01}), Bytes({0x80}));
  EXPECT_LT(Bytes({0x7f}), Bytes({0xff}));
  EXPECT_LT(Bytes({0x01}), Bytes({0x01, 0x00}));
  EXPECT_LT(Bytes(), Bytes({0x00}));
  const std::unordered_set<Bytes> set{Bytes("a"), Bytes("a"), Bytes({0x00})};
  EXPECT_EQ(set.size(), 2U);
  std::ostringstream os;
  os << Bytes{0x61, 0x00, 0x5c, 0xff};
  EXPECT_EQ(os.str(), "a\\x00\\x5c\\xff");
}

// ---- JSON ----

TEST(JsonSerdeTest, StructRoundTripAndGoldenText) {
  const JsonSerde<Order> serde;
  const Order order{"o-1", 1250, {"new", "gift"}};
  const std::string text = serde.Serialize(order);
  EXPECT_EQ(text, R"({"cents":1250,"id":"o-1","tags":["new","gift"]})");
  EXPECT_EQ(serde.Deserialize(text).value(), order);
  // Any key order and whitespace reads; unknown keys are ignored.
  EXPECT_EQ(
      serde.Deserialize(" {\"tags\":[],\"id\":\"x\",\n\"cents\":-3, \"extra\":null} ").value(),
      (Order{"x", -3, {}}));
}

TEST(JsonSerdeTest, AnyDocumentAndStandardTypes) {
  const JsonSerde<Json> serde;
  const Json doc = Json::parse(R"({"a":[1,2.5,"x",null,true],"b":{}})");
  EXPECT_EQ(serde.Serialize(doc), R"({"a":[1,2.5,"x",null,true],"b":{}})");
  EXPECT_EQ(serde.Deserialize(serde.Serialize(doc)).value(), doc);
  EXPECT_EQ(serde.Deserialize("42").value(), Json(42));
  EXPECT_EQ(JsonSerde<std::vector<int64_t>>().Serialize({1, -2}), "[1,-2]");
  EXPECT_EQ(JsonSerde<int64_t>().Deserialize("-7").value(), -7);
  EXPECT_EQ(JsonSerde<S>().Serialize("h\"i"), R"("h\"i")");
}

TEST(JsonSerdeTest, SerializeNeverThrowsOnBadUtf8OrNan) {
  const JsonSerde<S> serde;
  EXPECT_EQ(serde.Serialize("a\xff"
                            "b"),
            "\"a\xef\xbf\xbd"
            "b\"");  // U+FFFD
  EXPECT_EQ(JsonSerde<double>().Serialize(std::nan("")), "null");
}

TEST(JsonSerdeTest, InvalidJsonNamesTheByteOffset) {
  const JsonSerde<Json> serde;
  EXPECT_EQ(ErrorOf(serde.Deserialize("")),
            "json: invalid JSON at byte offset 0 of 0: [json.exception.parse_error.101] parse "
            "error at line 1, column 1: syntax error while parsing value - unexpected end of "
            "input; expected '[', '{', or a literal");
  EXPECT_EQ(ErrorOf(serde.Deserialize(R"({"a":)")),
            "json: invalid JSON at byte offset 5 of 5: [json.exception.parse_error.101] parse "
            "error at line 1, column 6: syntax error while parsing value - unexpected end of "
            "input; expected '[', '{', or a literal");
  EXPECT_EQ(ErrorOf(serde.Deserialize("[1,x]")),
            "json: invalid JSON at byte offset 3 of 5: [json.exception.parse_error.101] parse "
            "error at line 1, column 4: syntax error while parsing value - invalid literal; "
            "last read: '1,x'");
  EXPECT_EQ(ErrorOf(serde.Deserialize("1 2")),
            "json: invalid JSON at byte offset 2 of 3: [json.exception.parse_error.101] parse "
            "error at line 1, column 3: syntax error while parsing value - unexpected number "
            "literal; expected end of input");
  EXPECT_EQ(ErrorOf(serde.Deserialize("\"\xff\"")),
            "json: invalid JSON at byte offset 1 of 3: [json.exception.parse_error.101] parse "
            "error at line 1, column 2: syntax error while parsing value - invalid string: "
            "ill-formed UTF-8 byte; last read: '\"\xff'");
  EXPECT_EQ(ErrorOf(serde.Deserialize("1e999")),
            "json: invalid JSON (5 bytes): [json.exception.out_of_range.406] number overflow "
            "parsing '1e999'");
}

TEST(JsonSerdeTest, WrongShapeIsAConversionError) {
  const JsonSerde<Order> serde;
  EXPECT_EQ(ErrorOf(serde.Deserialize(R"("o-1")")),
            "json: cannot convert the JSON document: [json.exception.type_error.304] cannot "
            "use at() with string");
  EXPECT_EQ(ErrorOf(serde.Deserialize(R"({"id":"o-1","tags":[]})")),
            "json: cannot convert the JSON document: [json.exception.out_of_range.403] key "
            "'cents' not found");
  EXPECT_EQ(ErrorOf(serde.Deserialize(R"({"id":"o-1","cents":"12","tags":[]})")),
            "json: cannot convert the JSON document: [json.exception.type_error.302] type must "
            "be number, but is string");
  EXPECT_EQ(ErrorOf(JsonSerde<ThrowsStd>().Deserialize("1")),
            "json: cannot convert the JSON document: not today");
  EXPECT_EQ(ErrorOf(JsonSerde<ThrowsInt>().Deserialize("1")),
            "json: cannot convert the JSON document: from_json threw a non-standard exception");
}

TEST(JsonSerdeTest, NestingIsLimitedToAThousandLevels) {
  // nlohmann copies and dumps recursively: 30k levels crash a copy. Jackson's default limit.
  const JsonSerde<Json> serde;
  const auto nested = [](size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  const Result<Json> ok = serde.Deserialize(nested(1000));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  const Json copy = ok.value();  // NOLINT(performance-unnecessary-copy-initialization): a copy
  EXPECT_EQ(serde.Serialize(copy), nested(1000));
  EXPECT_EQ(ErrorOf(serde.Deserialize(nested(1001))),
            "json: nesting deeper than 1000 levels at byte offset 1000");
  EXPECT_EQ(ErrorOf(serde.Deserialize(std::string(100000, '{'))),
            "json: nesting deeper than 1000 levels at byte offset 1000");
  // Brackets in strings do not count, escaped quotes do not end them.
  const std::string in_string = "[\"\\\"" + std::string(2000, '[') + "\"]";
  EXPECT_EQ(serde.Deserialize(in_string).value(), Json::array({"\"" + std::string(2000, '[')}));
}

// ---- defaults ----

TEST(DefaultSerdeTest, JsonIsPickedForAConvertibleStruct) {
  const DefaultSerde<Order> serde;
  EXPECT_EQ(DefaultSerde<Order>::kName, "json");
  EXPECT_EQ(serde.Deserialize(serde.Serialize(Order{"a", 1, {}})).value(), (Order{"a", 1, {}}));
}

TEST(DefaultSerdeTest, AUserSpecialisationWins) {
  const DefaultSerde<Celsius> serde;
  EXPECT_EQ(DefaultSerde<Celsius>::kName, "celsius");
  EXPECT_EQ(Hex(serde.Serialize(Celsius{1.0})), "3f f0 00 00 00 00 00 00");
  EXPECT_EQ(serde.Deserialize(serde.Serialize(Celsius{-4.5})).value(), Celsius{-4.5});
  EXPECT_EQ(ErrorOf(serde.Deserialize("{}")), "double needs exactly 8 bytes, got 2");
  // Explicitly, JSON still works for it.
  EXPECT_EQ(JsonSerde<Celsius>().Serialize(Celsius{1.5}), R"({"degrees":1.5})");
  EXPECT_EQ(DefaultSerde<Tagged<int64_t>>().Serialize({3}), Int64Serde().Serialize(3));
}

// ---- windowed ----

TEST(WindowedTest, CompareAndPrint) {
  using W = Windowed<S>;
  EXPECT_EQ((W{"a", {5, 10}}), (W{"a", {5, 10}}));
  EXPECT_NE((W{"a", {5, 10}}), (W{"a", {5, 11}}));
  EXPECT_LT((W{"a", {9, 10}}), (W{"b", {0, 1}}));   // key first
  EXPECT_LT((W{"a", {5, 10}}), (W{"a", {6, 7}}));   // then start
  EXPECT_LT((W{"a", {5, 10}}), (W{"a", {5, 11}}));  // then end
  EXPECT_LT((Windowed<LessOnly>{{1}, {9, 9}}), (Windowed<LessOnly>{{2}, {0, 0}}));
  EXPECT_LT((Windowed<LessOnly>{{1}, {1, 2}}), (Windowed<LessOnly>{{1}, {2, 2}}));
  EXPECT_EQ(ToString(W{"alice", {5000, 10000}}), "[alice@5000/10000]");
  EXPECT_EQ(ToString(Windowed<int64_t>{-3, {0, 5}}), "[-3@0/5]");
  EXPECT_EQ(ToString(Windowed<double>{0.1, {0, 5}}), "[0.1@0/5]");
  EXPECT_EQ(ToString(Windowed<bool>{true, {0, 5}}), "[true@0/5]");
  EXPECT_EQ(ToString(Windowed<Bytes>{Bytes{0x61, 0x01}, {1, 2}}), "[a\\x01@1/2]");
  EXPECT_EQ(ToString(Window{5, 10}), "Window{start=5, end=10}");
  EXPECT_EQ(internal::TypeName<Windowed<S>>(), "brook::Windowed<std::string>");
}

TEST(WindowedTest, TimeWindowedGoldenBytes) {
  // Kafka's TimeWindowedSerializer: key bytes, then the start as 8 bytes big-endian.
  const TimeWindowedSerde<S> serde;
  EXPECT_EQ(Hex(serde.Serialize({"a", {5, 10}})), "61 00 00 00 00 00 00 00 05");
  EXPECT_EQ(Hex(serde.Serialize({"", {258, 300}})), "00 00 00 00 00 00 01 02");
  EXPECT_EQ(Hex(TimeWindowedSerde<int32_t>().Serialize({7, {1, 2}})),
            "00 00 00 07 00 00 00 00 00 00 00 01");
}

TEST(WindowedTest, TimeWindowedEndFromTheWindowSize) {
  const std::string bytes = TimeWindowedSerde<S>().Serialize({"a", {5, 10}});
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // Unknown size (the default): end = INT64_MAX, like Kafka.
  EXPECT_EQ(TimeWindowedSerde<S>().Deserialize(bytes).value(), (Windowed<S>{"a", {5, kMax}}));
  EXPECT_EQ(TimeWindowedSerde<S>(5).Deserialize(bytes).value(), (Windowed<S>{"a", {5, 10}}));
  // start + size overflows: INT64_MAX.
  EXPECT_EQ(TimeWindowedSerde<S>(kMax - 4).Deserialize(bytes).value().window.end_ms, kMax);
  EXPECT_EQ(TimeWindowedSerde<S>(kMax - 5).Deserialize(bytes).value().window.end_ms, kMax);
  EXPECT_EQ(TimeWindowedSerde<S>(kMax - 6).Deserialize(bytes).value().window.end_ms, kMax - 1);
  // Empty key bytes are a valid (empty) key.
  EXPECT_EQ(TimeWindowedSerde<S>(1).Deserialize(std::string(8, '\0')).value(),
            (Windowed<S>{"", {0, 1}}));
  // Round trips with a JSON key.
  const TimeWindowedSerde<Order> json_keys(60000);
  const Windowed<Order> w{{"o", 1, {"t"}}, {120000, 180000}};
  EXPECT_EQ(json_keys.Deserialize(json_keys.Serialize(w)).value(), w);
}

TEST(WindowedTest, TimeWindowedErrors) {
  const TimeWindowedSerde<S> serde(10);
  EXPECT_EQ(ErrorOf(serde.Deserialize("abc")),
            "time-windowed needs at least 8 bytes (key bytes + 8-byte window start), got 3");
  EXPECT_EQ(ErrorOf(serde.Deserialize("")),
            "time-windowed needs at least 8 bytes (key bytes + 8-byte window start), got 0");
  EXPECT_EQ(ErrorOf(serde.Deserialize("k" + Int64Serde().Serialize(-1))),
            "time-windowed: window start -1 is negative");
  EXPECT_EQ(ErrorOf(TimeWindowedSerde<S>(-5).Deserialize(std::string(8, '\0'))),
            "time-windowed: window size -5 is negative (0 = unknown)");
  EXPECT_EQ(ErrorOf(TimeWindowedSerde<int64_t>().Deserialize("abc" + Int64Serde().Serialize(5))),
            "time-windowed: key (int64): int64 needs exactly 8 bytes, got 3");
  EXPECT_EQ(ErrorOf(TimeWindowedSerde<Order>().Deserialize("{" + Int64Serde().Serialize(5))),
            "time-windowed: key (json): json: invalid JSON at byte offset 1 of 1: "
            "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error "
            "while parsing object key - unexpected end of input; expected string literal");
}

TEST(WindowedTest, SessionWindowedGoldenBytes) {
  // Kafka's SessionWindowedSerializer: key bytes, end, start (8 bytes big-endian each).
  const SessionWindowedSerde<S> serde;
  EXPECT_EQ(Hex(serde.Serialize({"a", {5, 10}})),
            "61 00 00 00 00 00 00 00 0a 00 00 00 00 00 00 00 05");
  const Windowed<S> w{"user-1", {1000, 2500}};
  EXPECT_EQ(serde.Deserialize(serde.Serialize(w)).value(), w);
  const Windowed<S> point{"p", {7, 7}};  // a session of one record
  EXPECT_EQ(serde.Deserialize(serde.Serialize(point)).value(), point);
  const SessionWindowedSerde<Bytes> bytes_keys;
  const Windowed<Bytes> b{Bytes{0x00, 0xff}, {0, 0}};
  EXPECT_EQ(bytes_keys.Deserialize(bytes_keys.Serialize(b)).value(), b);
}

TEST(WindowedTest, SessionWindowedErrors) {
  const SessionWindowedSerde<S> serde;
  const Int64Serde i64;
  EXPECT_EQ(ErrorOf(serde.Deserialize(std::string(15, 'x'))),
            "session-windowed needs at least 16 bytes (key bytes + 8-byte window end + 8-byte "
            "window start), got 15");
  EXPECT_EQ(ErrorOf(serde.Deserialize("k" + i64.Serialize(5) + i64.Serialize(-2))),
            "session-windowed: window start -2 is negative");
  EXPECT_EQ(ErrorOf(serde.Deserialize("k" + i64.Serialize(4) + i64.Serialize(5))),
            "session-windowed: window end 4 is before its start 5");
  EXPECT_EQ(ErrorOf(SessionWindowedSerde<int32_t>().Deserialize("k" + i64.Serialize(5) +
                                                                i64.Serialize(5))),
            "session-windowed: key (int32): int32 needs exactly 4 bytes, got 1");
}

// ---- through the Processor API and the test driver ----

// orders (string -> Order, JSON by default) are re-keyed by 10 ms tumbling window of their
// key and written with a windowed key; maybe-orders (Bytes -> optional Order) become
// session-windowed keys with an optional int32 (the cents, null for a null order).
Topology SerdeTopology() {
  Topology t;
  t.AddSource<S, Order>("orders", {"orders"})
      .AddProcessor("window",
                    testing::Lambda<S, Order, Windowed<S>, Order>(
                        [](ProcessorContext<Windowed<S>, Order>& c, const Record<S, Order>& r) {
                          const int64_t start = r.timestamp_ms - r.timestamp_ms % 10;
                          c.Forward(r.WithKey(Windowed<S>{r.key, {start, start + 10}}));
                        }),
                    {"orders"})
      .AddSink<Windowed<S>, Order>("windowed-sink", "windowed-orders", {"window"});
  t.AddSource<Bytes, std::optional<Order>>("maybe", {"maybe-orders"})
      .AddProcessor(
          "session",
          testing::Lambda<Bytes, std::optional<Order>, Windowed<Bytes>, std::optional<int32_t>>(
              [](ProcessorContext<Windowed<Bytes>, std::optional<int32_t>>& c,
                 const Record<Bytes, std::optional<Order>>& r) {
                std::optional<int32_t> cents;
                if (r.value) cents = static_cast<int32_t>(r.value->cents);
                c.Forward(r.WithKey(Windowed<Bytes>{r.key, {r.timestamp_ms - 5, r.timestamp_ms}})
                              .WithValue(cents));
              }),
          {"maybe"})
      .AddSink<Windowed<Bytes>, std::optional<int32_t>>(
          "session-sink", "sessions", {"session"}, SessionWindowedSerde<Bytes>(), Int32Serde());
  return t;
}

TEST(SerdeDriverTest, JsonValuesAndWindowedKeysRoundTrip) {
  TopologyTestDriver driver(SerdeTopology(), {{"application.id", "serdes"}}, 0);
  auto in = driver.CreateInputTopic<S, Order>("orders");
  in.PipeInput("alice", Order{"o-1", 100, {}}, 1003);
  in.PipeInput("bob", Order{"o-2", 200, {"x"}}, 1017);

  // The bytes on the topic: Kafka's time-windowed key, JSON value.
  const std::optional<ProducedRecord> raw = driver.ReadRaw("windowed-orders");
  ASSERT_TRUE(raw && raw->key && raw->value);
  EXPECT_EQ(Hex(*raw->key), "61 6c 69 63 65 00 00 00 00 00 00 03 e8");  // "alice" | 1000
  EXPECT_EQ(*raw->value, R"({"cents":100,"id":"o-1","tags":[]})");

  // Typed, with the window size so the end comes back.
  auto out = driver.CreateOutputTopic<Windowed<S>, Order, TimeWindowedSerde<S>>(
      "windowed-orders", TimeWindowedSerde<S>(10));
  EXPECT_EQ(out.ReadKeyValuesToMap(),
            (std::map<Windowed<S>, Order>{{{"bob", {1010, 1020}}, Order{"o-2", 200, {"x"}}}}));

  // Default serdes of the output topic: window end unknown.
  in.PipeInput("carol", Order{"o-3", 300, {}}, 5);
  auto out_default = driver.CreateOutputTopic<Windowed<S>, Order>("windowed-orders");
  EXPECT_EQ(out_default.ReadKeyValue().key,
            (Windowed<S>{"carol", {0, std::numeric_limits<int64_t>::max()}}));
}

TEST(SerdeDriverTest, BytesKeysOptionalJsonAndSessionKeys) {
  TopologyTestDriver driver(SerdeTopology(), {{"application.id", "serdes"}}, 0);
  auto in = driver.CreateInputTopic<Bytes, std::optional<Order>>("maybe-orders");
  in.PipeInput(Bytes{0x00, 0x01}, Order{"o", 42, {}}, 100);
  in.PipeInput(Bytes{0xff}, std::nullopt, 200);
  // A value that is not JSON fails the task (the default handler), naming source and serde.
  const Error e = testing::Thrown([&] { driver.PipeRaw("maybe-orders", "k", "not json", 300); });
  EXPECT_EQ(e.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(e.what()).find("cannot deserialize value (json): json: invalid JSON at "
                                       "byte offset 1 of 8"),
            std::string::npos)
      << e.what();

  auto out = driver.CreateOutputTopic<Windowed<Bytes>, std::optional<int32_t>,
                                      SessionWindowedSerde<Bytes>, Int32Serde>("sessions");
  const std::vector<KeyValue<Windowed<Bytes>, std::optional<int32_t>>> expected{
      {{Bytes{0x00, 0x01}, {95, 100}}, 42}, {{Bytes{0xff}, {195, 200}}, std::nullopt}};
  EXPECT_EQ(out.ReadKeyValuesToList(), expected);
}

// ---- random and mutated bytes into every Deserialize ----

template <typename Serde>
void FeedNoThrow(const Serde& serde, std::string_view bytes) {
  try {
    auto r = serde.Deserialize(bytes);
    if (r.ok()) {
      // Whatever deserializes serializes and reads back to the same value.
      auto again = serde.Deserialize(serde.Serialize(r.value()));
      ASSERT_TRUE(again.ok()) << Serde::kName << ": " << Hex(bytes);
      if constexpr (std::is_same_v<Serde, DoubleSerde>) {
        if (std::isnan(r.value())) return;
      }
      ASSERT_TRUE(again.value() == r.value()) << Serde::kName << ": " << Hex(bytes);
    } else {
      ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      ASSERT_FALSE(r.status().message().empty());
    }
  } catch (const std::exception& e) {
    FAIL() << Serde::kName << " threw on " << Hex(bytes) << ": " << e.what();
  }
}

// Byte-exact round trip for the formats that have one encoding per value.
template <typename Serde>
void FeedExact(const Serde& serde, std::string_view bytes) {
  FeedNoThrow(serde, bytes);
  auto r = serde.Deserialize(bytes);
  if (r.ok()) {
    ASSERT_EQ(Hex(serde.Serialize(r.value())), Hex(bytes)) << Serde::kName;
  }
}

void FeedAll(std::string_view bytes) {
  FeedExact(StringSerde(), bytes);
  FeedExact(BytesSerde(), bytes);
  FeedExact(Int32Serde(), bytes);
  FeedExact(Int64Serde(), bytes);
  FeedExact(DoubleSerde(), bytes);
  FeedNoThrow(JsonSerde<Json>(), bytes);
  FeedNoThrow(JsonSerde<Order>(), bytes);
  FeedNoThrow(JsonSerde<std::vector<int64_t>>(), bytes);
  FeedNoThrow(JsonSerde<std::map<S, double>>(), bytes);
  FeedExact(TimeWindowedSerde<S>(), bytes);
  FeedNoThrow(TimeWindowedSerde<S>(10), bytes);
  FeedExact(TimeWindowedSerde<int32_t>(std::numeric_limits<int64_t>::max()), bytes);
  FeedNoThrow(TimeWindowedSerde<Order>(), bytes);
  FeedExact(SessionWindowedSerde<Bytes>(), bytes);
  FeedExact(SessionWindowedSerde<int64_t>(), bytes);
  FeedNoThrow(SessionWindowedSerde<Json>(), bytes);
}

TEST(SerdeFuzzTest, RandomBytesNeverThrow) {
  std::mt19937_64 rng(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 40);
  for (int i = 0; i < 10000 && !HasFatalFailure(); ++i) {
    std::string bytes(length(rng), '\0');
    for (char& c : bytes) c = static_cast<char>(byte(rng));
    FeedAll(bytes);
  }
}

TEST(SerdeFuzzTest, MutatedValidEncodingsNeverThrow) {
  const Int64Serde i64;
  const std::vector<std::string> seeds{
      R"({"cents":1250,"id":"o-1","tags":["new","gift"]})",
      R"([1,-2,3.5e10,"x\u00e9\ud83d\ude00",null,true,false,{"a":{}}])",
      R"({"a":1.5,"b":-0.0})",
      "\"s\"" + i64.Serialize(5),
      "key" + i64.Serialize(10) + i64.Serialize(5),
      i64.Serialize(1) + i64.Serialize(2),
      "[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]",
  };
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  for (const std::string& seed : seeds) {
    FeedAll(seed);
    for (int i = 0; i < 1500 && !HasFatalFailure(); ++i) {
      std::string m = seed;
      const int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits; ++e) {
        const size_t pos = m.empty() ? 0 : rng() % m.size();
        switch (rng() % 4) {
          case 0:  // flip a byte
            if (!m.empty()) m[pos] = static_cast<char>(byte(rng));
            break;
          case 1:  // insert one
            m.insert(m.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>(byte(rng)));
            break;
          case 2:  // delete one
            if (!m.empty()) m.erase(pos, 1);
            break;
          default:  // truncate
            m.resize(pos);
            break;
        }
      }
      FeedAll(m);
    }
  }
}

}  // namespace
}  // namespace brook
