// activity: the elastic demo's stateful app as a program (see activity.h).
//
//   activity produce -n 10000      # sample events into activity-input
//   activity                       # run until SIGTERM/SIGINT
//   activity print                 # the counts per user, highest first
#include "activity/activity.h"
#include "common/example_app.h"

int main(int argc, char** argv) {
  return brook::examples::Main(brook::examples::activity::App(), argc, argv);
}
