// wordcount: the word count example as a program (see wordcount.h and examples/README.md).
//
//   wordcount produce -n 10000      # sample lines into wordcount-input
//   wordcount                       # run until SIGTERM/SIGINT
//   wordcount print                 # the counts, most frequent first
#include "common/example_app.h"
#include "wordcount/wordcount.h"

int main(int argc, char** argv) {
  return brook::examples::Main(brook::examples::wordcount::App(), argc, argv);
}
