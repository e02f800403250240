// GroupTopology: validation, the task list from partition counts (co-partitioning, missing
// topics), the task -> source partition mapping and TaskSetString.
#include "group/topology.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace brook::group {
namespace {

using ::testing::HasSubstr;

// 0: orders (stateless); 1: clicks + views (stateful, co-partitioned); 3: payments.
GroupTopology ThreeSubtopologies() {
  GroupTopology t;
  t.subtopologies.push_back({.id = 0, .source_topics = {"orders"}, .stateful = false});
  t.subtopologies.push_back({.id = 1, .source_topics = {"views", "clicks"}, .stateful = true});
  t.subtopologies.push_back({.id = 3, .source_topics = {"payments"}, .stateful = true});
  return t;
}

std::vector<std::string> Ids(const std::vector<assignor::TaskSpec>& tasks) {
  std::vector<std::string> out;
  out.reserve(tasks.size());
  for (const assignor::TaskSpec& t : tasks) out.push_back(t.id.ToString());
  return out;
}

TEST(GroupTopology, ValidAcceptsAndListsSourceTopics) {
  const GroupTopology t = ThreeSubtopologies();
  EXPECT_TRUE(t.Validate().ok()) << t.Validate().ToString();
  EXPECT_EQ(t.SourceTopics(), (std::vector<std::string>{"clicks", "orders", "payments", "views"}));
}

TEST(GroupTopology, ValidateErrors) {
  const GroupTopology empty;
  EXPECT_EQ(empty.Validate().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.Validate().message(), "topology: no sub-topologies");

  GroupTopology duplicate;
  duplicate.subtopologies.push_back({.id = 2, .source_topics = {"a"}});
  duplicate.subtopologies.push_back({.id = 2, .source_topics = {"b"}});
  EXPECT_EQ(duplicate.Validate().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(duplicate.Validate().message(), "topology: sub-topology 2 listed twice");

  GroupTopology shared;
  shared.subtopologies.push_back({.id = 0, .source_topics = {"a", "shared"}});
  shared.subtopologies.push_back({.id = 1, .source_topics = {"shared"}});
  EXPECT_EQ(shared.Validate().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(shared.Validate().message(),
            "topology: topic 'shared' is a source of sub-topologies 0 and 1");

  GroupTopology twice_in_one;  // the same topic twice in one sub-topology is a duplicate too
  twice_in_one.subtopologies.push_back({.id = 4, .source_topics = {"a", "a"}});
  EXPECT_EQ(twice_in_one.Validate().message(),
            "topology: topic 'a' is a source of sub-topologies 4 and 4");

  GroupTopology no_topics;
  no_topics.subtopologies.push_back({.id = 0, .source_topics = {"a"}});
  no_topics.subtopologies.push_back({.id = 7, .source_topics = {}});
  EXPECT_EQ(no_topics.Validate().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(no_topics.Validate().message(), "topology: sub-topology 7 has no source topics");

  GroupTopology negative;
  negative.subtopologies.push_back({.id = -1, .source_topics = {"a"}});
  EXPECT_EQ(negative.Validate().message(), "topology: negative sub-topology id");

  GroupTopology empty_name;
  empty_name.subtopologies.push_back({.id = 0, .source_topics = {""}});
  EXPECT_EQ(empty_name.Validate().message(), "topology: empty source topic name");
}

TEST(GroupTopology, TasksForOneTaskPerPartitionSortedWithStatefulFlag) {
  // Sub-topologies listed out of order: the result is still sorted by TaskId.
  GroupTopology t;
  t.subtopologies.push_back({.id = 3, .source_topics = {"payments"}, .stateful = true});
  t.subtopologies.push_back({.id = 0, .source_topics = {"orders"}, .stateful = false});
  t.subtopologies.push_back({.id = 1, .source_topics = {"views", "clicks"}, .stateful = true});
  const std::map<std::string, int32_t> counts = {
      {"orders", 3}, {"views", 2}, {"clicks", 2}, {"payments", 1}, {"unrelated", 50}};
  const Result<std::vector<assignor::TaskSpec>> tasks = TasksFor(t, counts);
  ASSERT_TRUE(tasks.ok()) << tasks.status().ToString();
  EXPECT_EQ(Ids(*tasks), (std::vector<std::string>{"0_0", "0_1", "0_2", "1_0", "1_1", "3_0"}));
  const std::vector<bool> stateful = {false, false, false, true, true, true};
  ASSERT_EQ(tasks->size(), stateful.size());
  for (size_t i = 0; i < tasks->size(); ++i) {
    EXPECT_EQ((*tasks)[i].stateful, stateful[i]) << (*tasks)[i].id;
  }
}

TEST(GroupTopology, TasksForMissingTopicIsNotFoundNamingIt) {
  const Result<std::vector<assignor::TaskSpec>> tasks =
      TasksFor(ThreeSubtopologies(), {{"orders", 3}, {"views", 2}, {"payments", 1}});
  ASSERT_FALSE(tasks.ok());
  EXPECT_EQ(tasks.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tasks.status().message(), "source topic 'clicks' of sub-topology 1 does not exist");
}

TEST(GroupTopology, TasksForCoPartitioningMismatchNamesBothTopicsAndCounts) {
  const Result<std::vector<assignor::TaskSpec>> tasks =
      TasksFor(ThreeSubtopologies(), {{"orders", 3}, {"views", 4}, {"clicks", 6}, {"payments", 1}});
  ASSERT_FALSE(tasks.ok());
  EXPECT_EQ(tasks.status().code(), StatusCode::kInvalidArgument);
  const std::string m = tasks.status().message();
  EXPECT_THAT(m, HasSubstr("sub-topology 1"));
  EXPECT_THAT(m, HasSubstr("'views' has 4 partitions"));
  EXPECT_THAT(m, HasSubstr("'clicks' has 6"));
  EXPECT_EQ(m,
            "source topics of sub-topology 1 are not co-partitioned: 'views' has 4 partitions, "
            "'clicks' has 6");
}

TEST(GroupTopology, TasksForRejectsInvalidTopologyAndPartitionCounts) {
  const Result<std::vector<assignor::TaskSpec>> invalid = TasksFor(GroupTopology{}, {});
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().message(), "topology: no sub-topologies");

  const Result<std::vector<assignor::TaskSpec>> zero =
      TasksFor(ThreeSubtopologies(), {{"orders", 0}, {"views", 2}, {"clicks", 2}, {"payments", 1}});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(zero.status().message(), "source topic 'orders' has 0 partitions");
}

TEST(GroupTopology, PartitionsOfMultiTopicSubtopologies) {
  const GroupTopology t = ThreeSubtopologies();
  const std::vector<TopicPartition> parts =
      PartitionsOf(t, {TaskId{0, 2}, TaskId{1, 0}, TaskId{1, 1}, TaskId{3, 0}, TaskId{9, 9}});
  std::vector<std::string> names;
  names.reserve(parts.size());
  for (const TopicPartition& tp : parts) names.push_back(tp.ToString());
  // Sorted by topic then partition; 1_x maps to both of its topics; 9_9 is unknown.
  EXPECT_EQ(names, (std::vector<std::string>{"clicks-0", "clicks-1", "orders-2", "payments-0",
                                             "views-0", "views-1"}));
  EXPECT_TRUE(PartitionsOf(t, {}).empty());
  EXPECT_TRUE(PartitionsOf(t, {TaskId{2, 0}}).empty());
  EXPECT_EQ(PartitionsOf(t, {TaskId{1, 5}}),
            (std::vector<TopicPartition>{{"clicks", 5}, {"views", 5}}));
}

TEST(GroupTopology, TopicPartitionOrdering) {
  EXPECT_LT((TopicPartition{"a", 9}), (TopicPartition{"b", 0}));
  EXPECT_LT((TopicPartition{"a", 1}), (TopicPartition{"a", 2}));
  EXPECT_EQ((TopicPartition{"a", 1}), (TopicPartition{"a", 1}));
  EXPECT_EQ((TopicPartition{"my-topic", 12}).ToString(), "my-topic-12");
}

TEST(GroupTopology, TaskSetString) {
  EXPECT_EQ(TaskSetString({}), "-");
  EXPECT_EQ(TaskSetString({TaskId{0, 3}}), "0_3");
  EXPECT_EQ(TaskSetString({TaskId{1, 0}, TaskId{0, 2}, TaskId{0, 10}, TaskId{0, 1}}),
            "0_1 0_2 0_10 1_0");
}

}  // namespace
}  // namespace brook::group
