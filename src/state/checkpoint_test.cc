// Checkpoint files: round trip, corruption, atomic replace.
#include "state/checkpoint.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "state/test_util.h"

namespace brook::state {
namespace {

using testing::TempDir;

std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteText(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

class CheckpointTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / std::string(kCheckpointFileName);
};

TEST_F(CheckpointTest, RoundTripAndExactFormat) {
  const CheckpointOffsets offsets = {{{"app-counts-changelog", 3}, 0},
                                     {{"app-counts-changelog", 0}, 10},
                                     {{"other.topic_x", 1}, 123456789012}};
  ASSERT_TRUE(WriteCheckpoint(file_, offsets).ok());
  EXPECT_EQ(ReadText(file_),
            "1\n3\napp-counts-changelog 0 10\napp-counts-changelog 3 0\nother.topic_x 1 "
            "123456789012\n");
  auto back = ReadCheckpoint(file_);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, offsets);
  EXPECT_EQ(SumOffsets(*back), 123456789022);
}

TEST_F(CheckpointTest, MissingFileIsEmptyAndEmptyMapRoundTrips) {
  auto missing = ReadCheckpoint(file_);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
  ASSERT_TRUE(WriteCheckpoint(file_, {}).ok());
  EXPECT_EQ(ReadText(file_), "1\n0\n");
  auto empty = ReadCheckpoint(file_);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

struct CorruptCase {
  std::string content;
  int line;
  std::string what;
};

TEST_F(CheckpointTest, EveryKindOfCorruptionNamesFileAndLine) {
  const std::vector<CorruptCase> cases = {
      {"", 1, "empty file"},
      {"0\n0\n", 1, "unsupported version '0'"},
      {"2\n0\n", 1, "unsupported version '2'"},
      {"1\n", 2, "missing the entry count"},
      {"1\nx\n", 2, "bad entry count 'x'"},
      {"1\n-1\n", 2, "bad entry count"},
      {"1\n2\nt 0 1\n", 4, "truncated: 1 of 2 entries"},
      {"1\n1\nt 0 1", 3, "truncated (no end of line)"},
      {"1\n1\nt 0 1\nt 1 2\n", 4, "more entries than the count 1"},
      {"1\n1\nt 0\n", 3, "expected '<topic> <partition> <offset>'"},
      {"1\n1\nt 0 5 6\n", 3, "expected '<topic> <partition> <offset>'"},
      {"1\n1\nt  0 5\n", 3, "expected '<topic> <partition> <offset>'"},
      {"1\n1\nt -1 5\n", 3, "bad partition"},
      {"1\n1\nt 0 -5\n", 3, "bad offset"},
      {"1\n1\nt 0 99999999999999999999\n", 3, "bad offset"},
      {"1\n1\nt 0 5x\n", 3, "bad offset"},
      {"1\n1\nbad/topic 0 5\n", 3, "bad topic 'bad/topic'"},
      {"1\n2\nt 0 1\nt 0 2\n", 4, "duplicate entry for t-0"},
  };
  for (const CorruptCase& c : cases) {
    WriteText(file_, c.content);
    auto r = ReadCheckpoint(file_);
    ASSERT_FALSE(r.ok()) << "accepted: " << c.content;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << c.content;
    const std::string m = r.status().message();
    EXPECT_NE(m.find(file_.string() + " line " + std::to_string(c.line) + ": "), std::string::npos)
        << "content '" << c.content << "' gave: " << m;
    EXPECT_NE(m.find(c.what), std::string::npos) << "content '" << c.content << "' gave: " << m;
  }
}

TEST_F(CheckpointTest, ReplaceIsAtomicAndLeavesNoTemporaryFile) {
  const CheckpointOffsets a = {{{"t", 0}, 1}};
  const CheckpointOffsets b = {{{"t", 0}, 2}, {{"t", 1}, 5}};
  ASSERT_TRUE(WriteCheckpoint(file_, a).ok());
  // A stale temporary from a crashed writer is neither read nor in the way.
  std::filesystem::path tmp = file_;
  tmp += ".tmp";
  WriteText(tmp, "garbage");
  auto still_a = ReadCheckpoint(file_);
  ASSERT_TRUE(still_a.ok());
  EXPECT_EQ(*still_a, a);
  ASSERT_TRUE(WriteCheckpoint(file_, b).ok());
  EXPECT_FALSE(std::filesystem::exists(tmp));
  auto now_b = ReadCheckpoint(file_);
  ASSERT_TRUE(now_b.ok());
  EXPECT_EQ(*now_b, b);
}

TEST_F(CheckpointTest, FailedWriteKeepsTheOldCheckpoint) {
  const CheckpointOffsets a = {{{"t", 0}, 1}};
  ASSERT_TRUE(WriteCheckpoint(file_, a).ok());
  std::filesystem::path tmp = file_;
  tmp += ".tmp";
  std::filesystem::create_directory(tmp);  // the temporary file cannot be created
  const Status s = WriteCheckpoint(file_, {{{"t", 0}, 99}});
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find(tmp.string()), std::string::npos) << s.message();
  auto back = ReadCheckpoint(file_);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, a);
}

TEST_F(CheckpointTest, RejectsEntriesTheFormatCannotHold) {
  ASSERT_TRUE(WriteCheckpoint(file_, {{{"t", 0}, 1}}).ok());
  EXPECT_EQ(WriteCheckpoint(file_, {{{"has space", 0}, 1}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteCheckpoint(file_, {{{"", 0}, 1}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteCheckpoint(file_, {{{"t", -1}, 1}}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteCheckpoint(file_, {{{"t", 0}, -1}}).code(), StatusCode::kInvalidArgument);
  auto back = ReadCheckpoint(file_);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->at(ChangelogPartition{"t", 0}), 1);
}

}  // namespace
}  // namespace brook::state
