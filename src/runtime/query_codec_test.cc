// MakeQueryCodec (brook/state/query_codec.h): key text -> key bytes for string, integer,
// floating-point, bool and JSON keys; rendering of keys and values as JSON; bad text and bad
// bytes are kInvalidArgument naming what was expected.
#include "brook/state/query_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "brook/state/serde.h"

namespace brook::state {
namespace {

using ::testing::HasSubstr;

struct Point {
  int32_t x = 0;
  std::string label;
};
void to_json(nlohmann::json& j, const Point& p) {  // NOLINT(readability-identifier-naming)
  j = nlohmann::json{{"x", p.x}, {"label", p.label}};
}
void from_json(const nlohmann::json& j, Point& p) {  // NOLINT(readability-identifier-naming)
  j.at("x").get_to(p.x);
  j.at("label").get_to(p.label);
}

// A serde writing "x|label" (not JSON: the codec must go through the serde, not the text).
struct PointSerde {
  static constexpr std::string_view kName = "point";
  [[nodiscard]] std::string Serialize(const Point& p) const {
    return std::to_string(p.x) + "|" + p.label;
  }
  [[nodiscard]] Result<Point> Deserialize(std::string_view bytes) const {
    const size_t bar = bytes.find('|');
    if (bar == std::string_view::npos) return Status::InvalidArgument("no '|' in a point");
    return Point{.x = std::stoi(std::string(bytes.substr(0, bar))),
                 .label = std::string(bytes.substr(bar + 1))};
  }
};

struct BoolSerde {
  static constexpr std::string_view kName = "bool";
  [[nodiscard]] std::string Serialize(const bool& b) const {
    return std::string(1, static_cast<char>(b ? 1 : 0));
  }
  [[nodiscard]] Result<bool> Deserialize(std::string_view bytes) const {
    if (bytes.size() != 1) return Status::InvalidArgument("a bool is 1 byte");
    return bytes[0] != 0;
  }
};

std::string Error(const Result<std::string>& r) {
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "<ok: " + *r + ">";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

TEST(QueryCodec, StringKeysAndInt64Values) {
  const auto codec = MakeQueryCodec<std::string, int64_t>();
  EXPECT_EQ(codec->KeyFromText("key-7").value(), "key-7");
  EXPECT_EQ(codec->KeyFromText("").value(), "");
  EXPECT_EQ(codec->KeyToJson("key-7").value(), "\"key-7\"");
  EXPECT_EQ(codec->ValueToJson(Int64Serde().Serialize(-42)).value(), "-42");
  // Quotes and control characters are escaped; invalid UTF-8 is replaced, never thrown.
  EXPECT_EQ(codec->KeyToJson("a\"b\n").value(), "\"a\\\"b\\n\"");
  EXPECT_EQ(codec->KeyToJson("\xff").value(), "\"\xEF\xBF\xBD\"");
  // Value bytes that are not an int64.
  EXPECT_THAT(Error(codec->ValueToJson("abc")),
              HasSubstr("value bytes do not deserialize with the int64 serde"));
}

TEST(QueryCodec, IntegerKeysParseDecimalInRangeOnly) {
  const auto i32 = MakeQueryCodec<int32_t, std::string>();
  EXPECT_EQ(i32->KeyFromText("42").value(), Int32Serde().Serialize(42));
  EXPECT_EQ(i32->KeyFromText("-2147483648").value(), Int32Serde().Serialize(INT32_MIN));
  EXPECT_EQ(i32->KeyToJson(Int32Serde().Serialize(-5)).value(), "-5");
  for (const char* bad : {"", "2147483648", "4x", "0x10", " 1", "1.0", "+1"}) {
    SCOPED_TRACE(bad);
    const std::string e = Error(i32->KeyFromText(bad));
    EXPECT_THAT(e, HasSubstr("key '" + std::string(bad) + "' is not a valid int32"));
    EXPECT_THAT(e, HasSubstr("from -2147483648 to 2147483647"));
  }
  const auto i64 = MakeQueryCodec<int64_t, int64_t>();
  EXPECT_EQ(i64->KeyFromText("9223372036854775807").value(), Int64Serde().Serialize(INT64_MAX));
  EXPECT_THAT(Error(i64->KeyFromText("9223372036854775808")), HasSubstr("is not a valid int64"));
  // Key bytes of the wrong size.
  EXPECT_THAT(Error(i64->KeyToJson("1234")),
              HasSubstr("key bytes do not deserialize with the int64 serde"));
}

TEST(QueryCodec, DoubleAndBoolKeys) {
  const auto d = MakeQueryCodec<double, double>();
  EXPECT_EQ(d->KeyFromText("2.5").value(), DoubleSerde().Serialize(2.5));
  EXPECT_EQ(d->KeyFromText("-1e3").value(), DoubleSerde().Serialize(-1000.0));
  EXPECT_EQ(d->ValueToJson(DoubleSerde().Serialize(0.25)).value(), "0.25");
  EXPECT_THAT(Error(d->KeyFromText("two")), HasSubstr("key 'two' is not a valid double"));
  EXPECT_THAT(Error(d->KeyFromText("1.5x")), HasSubstr("is not a valid double"));
  // Non-finite values have no JSON number: null.
  EXPECT_EQ(
      d->ValueToJson(DoubleSerde().Serialize(std::numeric_limits<double>::infinity())).value(),
      "null");

  const auto b = MakeQueryCodec<bool, std::string, BoolSerde, StringSerde>();
  EXPECT_EQ(b->KeyFromText("true").value(), "\x01");
  EXPECT_EQ(b->KeyFromText("false").value(), std::string(1, '\0'));
  EXPECT_THAT(Error(b->KeyFromText("yes")), HasSubstr("(true or false)"));
  EXPECT_EQ(b->KeyToJson("\x01").value(), "true");
}

TEST(QueryCodec, JsonKeysAndValuesGoThroughTheirSerdes) {
  const auto codec = MakeQueryCodec<Point, Point, PointSerde, PointSerde>();
  EXPECT_EQ(codec->KeyFromText(R"({"x": 3, "label": "a/b"})").value(), "3|a/b");
  EXPECT_EQ(nlohmann::json::parse(codec->KeyToJson("3|a/b").value()),
            (nlohmann::json{{"x", 3}, {"label", "a/b"}}));
  EXPECT_EQ(nlohmann::json::parse(codec->ValueToJson("-1|").value()),
            (nlohmann::json{{"x", -1}, {"label", ""}}));
  EXPECT_THAT(Error(codec->KeyFromText("{not json")), HasSubstr("is not the JSON of a point key"));
  EXPECT_THAT(Error(codec->KeyFromText(R"({"x": "three", "label": ""})")),
              HasSubstr("is not the JSON of a point key"));
  EXPECT_THAT(Error(codec->ValueToJson("no bar")),
              HasSubstr("value bytes do not deserialize with the point serde: no '|'"));
}

TEST(QueryCodec, LongBadKeyTextIsShortenedInTheMessage) {
  const auto codec = MakeQueryCodec<int64_t, int64_t>();
  const std::string e = Error(codec->KeyFromText(std::string(500, '9')));
  EXPECT_THAT(e, HasSubstr("...'"));
  EXPECT_LT(e.size(), 250U);
}

TEST(QueryCodec, StoreSpecCarriesIt) {
  const StoreSpec spec =
      stores::PersistentKeyValue("counts").WithQueryCodec(MakeQueryCodec<std::string, int64_t>());
  ASSERT_NE(spec.query_codec, nullptr);
  EXPECT_EQ(spec.name, "counts");
  EXPECT_EQ(stores::PersistentKeyValue("plain").query_codec, nullptr);  // default: none
}

}  // namespace
}  // namespace brook::state
