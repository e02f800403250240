#include "brook/status.h"

#include <gtest/gtest.h>

#include <memory>

namespace brook {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return Status::InvalidArgument("value " + std::to_string(v) + " is not positive");
  return v;
}

Result<int> Doubled(int v) {
  BROOK_ASSIGN_OR_RETURN(int x, ParsePositive(v));
  return 2 * x;
}

Status Check(int v) {
  BROOK_RETURN_IF_ERROR(ParsePositive(v).status());
  return Status::Ok();
}

TEST(Status, OkAndError) {
  EXPECT_TRUE(Status::Ok().ok());
  EXPECT_EQ(Status::Ok().ToString(), "OK");
  Status s = Status::NotFound("topic 'x'");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: topic 'x'");
  EXPECT_EQ(s.WithContext("describe").message(), "describe: topic 'x'");
  EXPECT_TRUE(Status::Ok().WithContext("ignored").ok());
}

TEST(Status, ThrowIfErrorCarriesCode) {
  EXPECT_NO_THROW(Status::Ok().ThrowIfError());
  try {
    Status::Unavailable("broker down").ThrowIfError();
    FAIL() << "expected an exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), StatusCode::kUnavailable);
    EXPECT_STREQ(e.what(), "broker down");
  }
}

TEST(Result, ValueOrError) {
  auto ok = Doubled(21);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 42);
  auto bad = Doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "value -1 is not positive");
  EXPECT_FALSE(Check(0).ok());
  EXPECT_TRUE(Check(3).ok());
  EXPECT_THROW(Doubled(-5).ValueOrThrow(), Error);
}

TEST(Result, MoveOnlyValue) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

}  // namespace
}  // namespace brook
