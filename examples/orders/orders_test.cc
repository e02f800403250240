// The orders topology in the TopologyTestDriver: enrichment from the customers table, an
// order of an unknown customer (dropped), a customer update (later orders count in the new
// region), revenue per region.
#include "orders/orders.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "brook/json_serde.h"
#include "brook/state/serde.h"
#include "brook/test_driver.h"

namespace brook::examples::orders {
namespace {

using ::testing::ElementsAre;
using Revenue = std::map<std::string, int64_t>;

class OrdersTopologyTest : public ::testing::Test {
 protected:
  void AddCustomer(const std::string& id, const std::string& name, const std::string& region,
                   int64_t ts) {
    customers_.PipeInput(id, Customer{.id = id, .name = name, .region = region}, ts);
  }
  void AddOrder(const std::string& id, const std::string& customer, int64_t quantity, int64_t cents,
                int64_t ts) {
    orders_.PipeInput(customer,
                      Order{.id = id,
                            .customer_id = customer,
                            .product = "mouse",
                            .quantity = quantity,
                            .amount_cents = cents},
                      ts);
  }

  TopologyTestDriver driver_{
      BuildTopology(
          {.orders = "o", .customers = "c", .enriched = "enriched", .revenue = "revenue"}),
      {{"application.id", "orders"}}};
  TestInputTopic<std::string, Customer> customers_ =
      driver_.CreateInputTopic<std::string, Customer>("c");
  TestInputTopic<std::string, Order> orders_ = driver_.CreateInputTopic<std::string, Order>("o");
  TestOutputTopic<std::string, EnrichedOrder> enriched_ =
      driver_.CreateOutputTopic<std::string, EnrichedOrder>("enriched");
  TestOutputTopic<std::string, int64_t> revenue_ =
      driver_.CreateOutputTopic<std::string, int64_t>("revenue");
};

TEST_F(OrdersTopologyTest, EnrichesOrdersAndSumsRevenuePerRegion) {
  AddCustomer("c1", "Ada", "EU", 1);
  AddCustomer("c2", "Alan", "NA", 2);
  AddOrder("o1", "c1", 2, 1000, 10);
  AddOrder("o2", "c2", 1, 250, 11);
  AddOrder("o3", "c1", 1, 500, 12);

  using KV = KeyValue<std::string, EnrichedOrder>;
  EXPECT_THAT(enriched_.ReadKeyValuesToList(),
              ElementsAre(KV{"o1", {"o1", "c1", "Ada", "EU", "mouse", 2, 1000}},
                          KV{"o2", {"o2", "c2", "Alan", "NA", "mouse", 1, 250}},
                          KV{"o3", {"o3", "c1", "Ada", "EU", "mouse", 1, 500}}));
  using RV = KeyValue<std::string, int64_t>;
  EXPECT_THAT(revenue_.ReadKeyValuesToList(),
              ElementsAre(RV{"EU", 1000}, RV{"NA", 250}, RV{"EU", 1500}));
  auto store = driver_.GetKeyValueStore<std::string, int64_t>(kRevenueStore);
  EXPECT_EQ(store.Get("EU"), std::optional<int64_t>(1500));
  auto customers = driver_.GetKeyValueStore<std::string, Customer>(kCustomersStore);
  EXPECT_EQ(customers.Get("c2")->name, "Alan");
}

TEST_F(OrdersTopologyTest, AnOrderOfAnUnknownCustomerIsDropped) {
  AddCustomer("c1", "Ada", "EU", 1);
  AddOrder("o1", "nobody", 1, 999, 10);
  EXPECT_TRUE(enriched_.IsEmpty());
  EXPECT_TRUE(revenue_.IsEmpty());
  // An order that arrives before its customer is dropped too (an inner stream-table join
  // does not wait); later orders of that customer are joined.
  AddOrder("o2", "c2", 1, 100, 11);
  AddCustomer("c2", "Alan", "NA", 12);
  AddOrder("o3", "c2", 1, 300, 13);
  const auto enriched = enriched_.ReadKeyValuesToMap();
  EXPECT_EQ(enriched.size(), 1U);
  EXPECT_TRUE(enriched.contains("o3"));
  EXPECT_EQ(revenue_.ReadKeyValuesToMap(), (Revenue{{"NA", 300}}));
}

TEST_F(OrdersTopologyTest, ACustomerUpdateMovesLaterOrdersToTheNewRegion) {
  AddCustomer("c1", "Ada", "EU", 1);
  AddOrder("o1", "c1", 1, 1000, 10);
  AddCustomer("c1", "Ada L.", "APAC", 20);  // the customer moved
  AddOrder("o2", "c1", 1, 400, 21);
  const auto enriched = enriched_.ReadKeyValuesToMap();
  EXPECT_EQ(enriched.at("o1").region, "EU");
  EXPECT_EQ(enriched.at("o2").region, "APAC");
  EXPECT_EQ(enriched.at("o2").customer_name, "Ada L.");
  // o1's revenue stays in EU: revenue per region counts each order where it was placed.
  EXPECT_EQ(revenue_.ReadKeyValuesToMap(), (Revenue{{"EU", 1000}, {"APAC", 400}}));
}

TEST_F(OrdersTopologyTest, RegionsMeetThroughTheRepartitionTopic) {
  AddCustomer("c1", "Ada", "EU", 1);
  AddCustomer("c2", "Grace", "EU", 1);
  AddOrder("o1", "c1", 1, 100, 10);
  AddOrder("o2", "c2", 1, 200, 11);
  auto repartition =
      driver_.CreateOutputTopic<std::string, EnrichedOrder>("orders-orders-by-region-repartition");
  const auto records = repartition.ReadKeyValuesToList();
  ASSERT_EQ(records.size(), 2U);
  EXPECT_EQ(records[0].key, "EU");
  EXPECT_EQ(records[1].key, "EU");
  EXPECT_EQ(revenue_.ReadKeyValuesToMap(), (Revenue{{"EU", 300}}));
}

TEST(OrderGeneratorTest, DeterministicWithUnknownCustomersAndRealMoves) {
  OrderGenerator a(5);
  OrderGenerator b(5);
  const std::vector<Customer> customers = a.Customers();
  EXPECT_EQ(customers, b.Customers());
  ASSERT_EQ(customers.size(), 200U);
  std::map<std::string, std::string> region;
  for (const Customer& c : customers) region[c.id] = c.region;
  int unknown = 0;
  for (int i = 0; i < 5000; ++i) {
    const Order o = a.NextOrder();
    EXPECT_EQ(o, b.NextOrder());
    EXPECT_GT(o.amount_cents, 0);
    if (!region.contains(o.customer_id)) ++unknown;
  }
  EXPECT_GT(unknown, 10);
  EXPECT_LT(unknown, 100);
  const std::vector<Customer> moves = a.CustomerUpdates(40);
  EXPECT_EQ(moves, b.CustomerUpdates(40));
  std::set<std::string> moved;
  for (const Customer& c : moves) {
    EXPECT_NE(region.at(c.id), c.region) << c.id;
    moved.insert(c.id);
  }
  EXPECT_EQ(moved.size(), 40U);
}

}  // namespace
}  // namespace brook::examples::orders
