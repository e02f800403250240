// A group member in its own process, for tests that kill -9 it: joins the group given on the
// command line (bootstrap group topic partitions instance-id) and prints one line per
// assignment, "assigned <generation> <tasks>", until killed.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "group_test_util.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: group_member_tool <bootstrap> <group> <topic> <partitions> <instance>\n";
    return 2;
  }
  ::setenv("BROOK_TEST_BOOTSTRAP", argv[1], 1);
  brook::group::GroupOptions o =
      brook::testing::FastGroupOptions(argv[2], argv[3], std::stoi(argv[4]), false);
  if (std::string(argv[5]) != "-") o.group_instance_id = argv[5];
  brook::testing::RecordingListener listener;
  auto member = brook::group::GroupMember::Create(o, &listener);
  if (!member.ok()) {
    std::cerr << member.status().ToString() << "\n";
    return 1;
  }
  listener.member = member->get();
  if (!(*member)->Start().ok()) return 1;
  int seen = 0;
  for (;;) {
    (*member)->NotifyPollProgress();
    const brook::group::MemberStatus s = (*member)->status();
    if (s.rebalances != seen && s.state == brook::group::MemberState::kStable) {
      seen = s.rebalances;
      std::cout << "assigned " << s.generation << " "
                << brook::group::TaskSetString(s.assignment.active) << std::endl;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}
