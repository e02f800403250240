// Orders enriched with customer data (a stream-table join) and revenue per region (a
// re-keying groupBy and an aggregation): Kafka Streams' classic "enrich, then aggregate".
//
//   customers (key: customer id, value: Customer JSON)
//     -> Table(store "customers")                  latest row per customer, changelogged
//   orders (key: customer id, value: Order JSON)
//     -> Join(customers)                            EnrichedOrder; an order whose customer
//                                                   has no row (yet) is dropped (inner join)
//        -> SelectKey(order id) -> orders-enriched  key: order id, value: EnrichedOrder JSON
//        -> GroupBy(region)                         re-partitioned by region through
//                                                   "<application.id>-orders-by-region-repartition"
//           -> Aggregate(sum of amount_cents, store "revenue-per-region")
//           -> ToStream -> revenue-per-region       key: region, value: cents (int64)
//
// orders and customers are co-partitioned (same partition count, both keyed by customer
// id), so an order meets its customer's row in the same task. A customer update changes
// the region later orders are counted in; orders already counted stay where they were.
//
// Thread-safety: the functions are pure; OrderGenerator is a plain value (one per thread).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "brook/config.h"
#include "brook/topology.h"
#include "common/example_app.h"

namespace brook::examples::orders {

struct Customer {
  std::string id;
  std::string name;
  std::string region;
  bool operator==(const Customer&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Customer, id, name, region)

struct Order {
  std::string id;
  std::string customer_id;
  std::string product;
  int64_t quantity = 0;
  int64_t amount_cents = 0;  // the order's total
  bool operator==(const Order&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Order, id, customer_id, product, quantity, amount_cents)

struct EnrichedOrder {
  std::string order_id;
  std::string customer_id;
  std::string customer_name;
  std::string region;
  std::string product;
  int64_t quantity = 0;
  int64_t amount_cents = 0;
  bool operator==(const EnrichedOrder&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(EnrichedOrder, order_id, customer_id, customer_name, region,
                                   product, quantity, amount_cents)

struct Topics {
  // Default: "orders"
  std::string orders = "orders";
  // Default: "customers"
  std::string customers = "customers";
  // Default: "orders-enriched"
  std::string enriched = "orders-enriched";
  // Default: "revenue-per-region"
  std::string revenue = "revenue-per-region";
};

// The stores (queryable by these names) and the grouping's name.
inline constexpr std::string_view kCustomersStore = "customers";
inline constexpr std::string_view kRevenueStore = "revenue-per-region";
inline constexpr std::string_view kGroupedName = "orders-by-region";

EnrichedOrder Enrich(const Order& order, const Customer& customer);

brook::Topology BuildTopology(const Topics& topics);

// Seeded sample data: `customers` customers ("cust-0000" ...) in five regions, orders of
// them (1 in 100 for a customer id nobody has: dropped by the join), and customer updates
// (moves to another region).
class OrderGenerator {
 public:
  static constexpr std::string_view kRegions[] = {"EU", "NA", "APAC", "LATAM", "MEA"};

  explicit OrderGenerator(uint64_t seed, int customers = 200) : rng_(seed), customers_(customers) {}

  // Every customer, once.
  std::vector<Customer> Customers();
  // The next order ("order-000001", ...).
  Order NextOrder();
  // `count` customers moved to another region (distinct customers while count <= customers).
  std::vector<Customer> CustomerUpdates(int count);

  static std::string CustomerId(int customer);

 private:
  Customer CustomerAt(int customer, std::string_view region) const;

  std::mt19937_64 rng_;
  int customers_;
  int64_t orders_ = 0;
  std::vector<std::string> regions_;  // current region per customer (after Customers())
};

// The example for brook::examples::Main: keys orders.orders.topic, orders.customers.topic,
// orders.enriched.topic, orders.revenue.topic; `produce` writes the customers, then count
// orders.
ExampleApp App();

}  // namespace brook::examples::orders
