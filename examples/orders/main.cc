// orders: the enrich-and-aggregate example as a program (see orders.h and
// examples/README.md).
//
//   orders produce -n 20000         # customers, then sample orders
//   orders                          # run until SIGTERM/SIGINT
//   orders print                    # revenue per region and a few enriched orders
#include "common/example_app.h"
#include "orders/orders.h"

int main(int argc, char** argv) {
  return brook::examples::Main(brook::examples::orders::App(), argc, argv);
}
