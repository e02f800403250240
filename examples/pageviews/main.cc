// pageviews: the windowed page view counts example as a program (see pageviews.h and
// examples/README.md).
//
//   pageviews produce -n 20000      # sample views into pageviews, then the closing views
//   pageviews                       # run until SIGTERM/SIGINT
//   pageviews print                 # final counts per user and window
#include "common/example_app.h"
#include "pageviews/pageviews.h"

int main(int argc, char** argv) {
  return brook::examples::Main(brook::examples::pageviews::App(), argc, argv);
}
