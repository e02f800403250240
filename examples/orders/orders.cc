#include "orders/orders.h"

#include <algorithm>
#include <array>
#include <iomanip>
#include <iostream>
#include <map>
#include <numeric>
#include <utility>
#include <vector>

#include "brook/dsl.h"
#include "brook/json_serde.h"

namespace brook::examples::orders {
namespace {

struct Product {
  std::string_view name;
  int64_t price_cents;
};
constexpr std::array<Product, 8> kProducts = {{
    {"keyboard", 4999},
    {"mouse", 1999},
    {"monitor", 18999},
    {"laptop", 99900},
    {"cable", 799},
    {"headset", 5999},
    {"webcam", 3499},
    {"dock", 12900},
}};
constexpr std::array<std::string_view, 10> kFirstNames = {
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Ken", "Dennis", "Margaret", "Linus"};

std::string Cents(int64_t cents) {
  const std::string sign = cents < 0 ? "-" : "";
  const int64_t abs = cents < 0 ? -cents : cents;
  std::string frac = std::to_string(abs % 100);
  if (frac.size() < 2) frac.insert(0, "0");
  return sign + std::to_string(abs / 100) + "." + frac;
}

}  // namespace

EnrichedOrder Enrich(const Order& order, const Customer& customer) {
  return EnrichedOrder{.order_id = order.id,
                       .customer_id = order.customer_id,
                       .customer_name = customer.name,
                       .region = customer.region,
                       .product = order.product,
                       .quantity = order.quantity,
                       .amount_cents = order.amount_cents};
}

brook::Topology BuildTopology(const Topics& topics) {
  brook::StreamsBuilder builder;
  const brook::KTable<std::string, Customer> customers = builder.Table<std::string, Customer>(
      topics.customers, brook::Consumed<state::StringSerde, JsonSerde<Customer>>{},
      brook::Materialized<state::StringSerde, JsonSerde<Customer>>{
          .store_name = std::string(kCustomersStore)});

  const brook::KStream<std::string, EnrichedOrder> enriched =
      builder
          .Stream<std::string, Order>(topics.orders,
                                      brook::Consumed<state::StringSerde, JsonSerde<Order>>{})
          .Join(customers, [](const Order& o, const Customer& c) { return Enrich(o, c); },
                {.name = "orders-join-customers"});

  enriched
      .SelectKey(
          [](const std::string& /*customer_id*/, const EnrichedOrder& e) { return e.order_id; })
      .To(topics.enriched);

  enriched
      .GroupBy([](const std::string& /*customer_id*/, const EnrichedOrder& e) { return e.region; },
               {.name = std::string(kGroupedName)})
      .Aggregate([] { return int64_t{0}; },
                 [](const std::string& /*region*/, const EnrichedOrder& e, int64_t total) {
                   return total + e.amount_cents;
                 },
                 brook::Materialized<state::StringSerde, state::Int64Serde>{
                     .store_name = std::string(kRevenueStore)})
      .ToStream()
      .To(topics.revenue);
  return builder.Build();
}

std::string OrderGenerator::CustomerId(int customer) {
  std::string n = std::to_string(customer);
  if (n.size() < 4) n.insert(0, 4 - n.size(), '0');
  return "cust-" + n;
}

Customer OrderGenerator::CustomerAt(int customer, std::string_view region) const {
  return Customer{
      .id = CustomerId(customer),
      .name = std::string(kFirstNames[static_cast<size_t>(customer) % kFirstNames.size()]) + " #" +
              std::to_string(customer),
      .region = std::string(region)};
}

std::vector<Customer> OrderGenerator::Customers() {
  if (regions_.empty()) {
    for (int c = 0; c < customers_; ++c) {
      regions_.emplace_back(kRegions[rng_() % std::size(kRegions)]);
    }
  }
  std::vector<Customer> out;
  out.reserve(static_cast<size_t>(customers_));
  for (int c = 0; c < customers_; ++c)
    out.push_back(CustomerAt(c, regions_[static_cast<size_t>(c)]));
  return out;
}

Order OrderGenerator::NextOrder() {
  ++orders_;
  std::string id = std::to_string(orders_);
  if (id.size() < 6) id.insert(0, 6 - id.size(), '0');
  const auto customers = static_cast<uint64_t>(customers_);
  // 1 in 100 orders names a customer nobody has (ids past the last customer).
  const int customer = rng_() % 100 == 0 ? customers_ + static_cast<int>(rng_() % 100)
                                         : static_cast<int>(rng_() % customers);
  const Product& p = kProducts[rng_() % kProducts.size()];
  const auto quantity = static_cast<int64_t>(1 + rng_() % 5);
  return Order{.id = "order-" + id,
               .customer_id = CustomerId(customer),
               .product = std::string(p.name),
               .quantity = quantity,
               .amount_cents = quantity * p.price_cents};
}

std::vector<Customer> OrderGenerator::CustomerUpdates(int count) {
  if (regions_.empty()) (void)Customers();
  std::vector<int> ids(static_cast<size_t>(customers_));
  std::iota(ids.begin(), ids.end(), 0);
  std::vector<Customer> out;
  for (int i = 0; i < count; ++i) {
    // A partial Fisher-Yates shuffle: distinct customers until every one moved once.
    const size_t k = static_cast<size_t>(i) % ids.size();
    std::swap(ids[k], ids[k + rng_() % (ids.size() - k)]);
    const auto c = static_cast<size_t>(ids[k]);
    std::string_view region = regions_[c];
    while (region == regions_[c]) region = kRegions[rng_() % std::size(kRegions)];
    regions_[c] = std::string(region);
    out.push_back(CustomerAt(ids[k], region));
  }
  return out;
}

ExampleApp App() {
  ExampleApp app;
  app.name = "orders";
  app.summary =
      "brook orders: orders joined with their customers (stream-table join), revenue per "
      "region (groupBy + aggregate)";
  app.keys = {
      {.name = "orders.orders.topic",
       .default_value = Topics{}.orders,
       .doc = "orders: customer id -> Order JSON"},
      {.name = "orders.customers.topic",
       .default_value = Topics{}.customers,
       .doc = "customers: customer id -> Customer JSON (a table)"},
      {.name = "orders.enriched.topic",
       .default_value = Topics{}.enriched,
       .doc = "order id -> EnrichedOrder JSON"},
      {.name = "orders.revenue.topic",
       .default_value = Topics{}.revenue,
       .doc = "region -> revenue in cents (int64)"},
  };
  app.default_count = 20000;
  auto topics_of = [](const Config& c) {
    return Topics{.orders = c.GetString("orders.orders.topic"),
                  .customers = c.GetString("orders.customers.topic"),
                  .enriched = c.GetString("orders.enriched.topic"),
                  .revenue = c.GetString("orders.revenue.topic")};
  };
  app.build = [topics_of](const Config& c) { return BuildTopology(topics_of(c)); };
  app.produce = [topics_of](const Config& c, const ProduceOptions& o, RecordSink& sink) {
    if (!o.only.empty() && o.only != "customers" && o.only != "orders") {
      return Status::InvalidArgument("--only: '" + o.only + "' is neither customers nor orders");
    }
    const Topics topics = topics_of(c);
    OrderGenerator gen(o.seed);
    for (const Customer& customer : gen.Customers()) {
      if (o.only == "orders") break;
      BROOK_RETURN_IF_ERROR(
          sink.Send(topics.customers, customer.id, JsonSerde<Customer>().Serialize(customer)));
    }
    for (int64_t i = 0; i < o.count && o.only != "customers"; ++i) {
      const Order order = gen.NextOrder();
      BROOK_RETURN_IF_ERROR(
          sink.Send(topics.orders, order.customer_id, JsonSerde<Order>().Serialize(order)));
    }
    return Status::Ok();
  };
  app.print = [topics_of](const Config& c, const PrintOptions& o, std::ostream& out) -> Status {
    const Topics topics = topics_of(c);
    BROOK_ASSIGN_OR_RETURN(auto revenue, ReadLatest(c, topics.revenue));
    out << topics.revenue << ": revenue per region\n";
    for (const auto& [region, bytes] : revenue) {
      BROOK_ASSIGN_OR_RETURN(const int64_t cents, state::Int64Serde().Deserialize(bytes));
      out << "  " << std::left << std::setw(6) << region << ' ' << std::right << std::setw(14)
          << Cents(cents) << "\n";
    }
    BROOK_ASSIGN_OR_RETURN(auto enriched, ReadLatest(c, topics.enriched));
    out << topics.enriched << ": " << enriched.size() << " orders, the first " << o.max_lines
        << "\n";
    int64_t printed = 0;
    for (const auto& [order_id, bytes] : enriched) {
      if (printed++ >= o.max_lines) break;
      BROOK_ASSIGN_OR_RETURN(const EnrichedOrder e, JsonSerde<EnrichedOrder>().Deserialize(bytes));
      out << "  " << order_id << "  " << e.customer_name << " (" << e.customer_id << ", "
          << e.region << ")  " << e.quantity << " x " << e.product << "  " << Cents(e.amount_cents)
          << "\n";
    }
    return Status::Ok();
  };
  return app;
}

}  // namespace brook::examples::orders
