#include "assignor/balance.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <tuple>
#include <utility>

namespace brook::assignor::internal {
namespace {

constexpr double kEps = 1e-9;

size_t Idx(int i) {
  return static_cast<size_t>(i);
}

std::vector<int> EligibleMembers(const BalanceProblem& p) {
  std::vector<int> out;
  for (int m = 0; m < p.num_members; ++m) {
    if (p.eligible[Idx(m)]) out.push_back(m);
  }
  return out;
}

// Tasks each eligible member keeps from last generation (sticky start), in task order, and
// the tasks without an eligible previous owner.
void StickyStart(const BalanceProblem& p, std::vector<std::vector<int>>* kept,
                 std::vector<int>* pool) {
  kept->assign(Idx(p.num_members), {});
  for (int t = 0; t < p.num_tasks; ++t) {
    const int owner = p.prev_owner[Idx(t)];
    if (owner >= 0 && p.eligible[Idx(owner)]) {
      (*kept)[Idx(owner)].push_back(t);
    } else {
      pool->push_back(t);
    }
  }
}

// Integer quotas summing to num_tasks, each within one task of the member's capacity-weighted
// share (floor(share) <= quota <= ceil(share)), that minimise max quota / capacity: the lower
// quotas, then the remaining tasks one at a time (Jefferson / D'Hondt order) to members below
// their upper quota. Ties go to members that already hold more than their quota (fewer
// moves), then to the lower index.
std::vector<int64_t> Quotas(const BalanceProblem& p, const std::vector<int>& elig,
                            const std::vector<std::vector<int>>& kept) {
  double total_capacity = 0;
  for (int m : elig) total_capacity += p.capacity[Idx(m)];
  std::vector<int64_t> quota(Idx(p.num_members), 0);
  std::vector<int64_t> upper(Idx(p.num_members), 0);
  int64_t sum = 0;
  for (int m : elig) {
    const double share = static_cast<double>(p.num_tasks) * p.capacity[Idx(m)] / total_capacity;
    quota[Idx(m)] = std::max<int64_t>(0, static_cast<int64_t>(std::floor(share + kEps)));
    upper[Idx(m)] = std::max(quota[Idx(m)], static_cast<int64_t>(std::ceil(share - kEps)));
    sum += quota[Idx(m)];
  }
  auto held = [&](int m) { return static_cast<int64_t>(kept[Idx(m)].size()); };
  // Floating-point rounding could overshoot by a task; take back from the most loaded.
  while (sum > p.num_tasks) {
    int pick = -1;
    for (int m : elig) {
      if (quota[Idx(m)] == 0) continue;
      if (pick < 0 || static_cast<double>(quota[Idx(m)]) * p.capacity[Idx(pick)] >
                          static_cast<double>(quota[Idx(pick)]) * p.capacity[Idx(m)]) {
        pick = m;
      }
    }
    --quota[Idx(pick)];
    --sum;
  }
  while (sum < p.num_tasks) {
    // Only members below their upper quota, unless rounding left none (then any member).
    const bool any_below =
        std::any_of(elig.begin(), elig.end(), [&](int m) { return quota[Idx(m)] < upper[Idx(m)]; });
    int pick = -1;
    for (int m : elig) {
      if (any_below && quota[Idx(m)] >= upper[Idx(m)]) continue;
      if (pick < 0) {
        pick = m;
        continue;
      }
      const double lhs = static_cast<double>(quota[Idx(m)] + 1) * p.capacity[Idx(pick)];
      const double rhs = static_cast<double>(quota[Idx(pick)] + 1) * p.capacity[Idx(m)];
      if (lhs < rhs) {
        pick = m;
      } else if (lhs == rhs) {
        const bool m_sticky = held(m) > quota[Idx(m)];
        const bool pick_sticky = held(pick) > quota[Idx(pick)];
        if (m_sticky && !pick_sticky) pick = m;
      }
    }
    ++quota[Idx(pick)];
    ++sum;
  }
  return quota;
}

// Balances by capacity-weighted task count: every member ends exactly at its quota, keeping
// as many of its previous tasks as the quota allows.
BalanceResult CountTargets(const BalanceProblem& p) {
  const std::vector<int> elig = EligibleMembers(p);
  std::vector<std::vector<int>> kept;
  std::vector<int> pool;
  StickyStart(p, &kept, &pool);
  const std::vector<int64_t> quota = Quotas(p, elig, kept);

  std::vector<int> deficit_members;
  for (int m : elig) {
    if (static_cast<int64_t>(kept[Idx(m)].size()) < quota[Idx(m)]) deficit_members.push_back(m);
  }
  auto best_cost = [&](int t) {
    int64_t best = kNoState;
    for (int d : deficit_members) best = std::min(best, p.Cost(t, d));
    return best;
  };

  BalanceResult out;
  out.target.assign(Idx(p.num_tasks), -1);
  std::vector<int64_t> assigned(Idx(p.num_members), 0);
  // Members over quota shed the tasks that are cheapest to move (stateless, or with a
  // caught-up or partial copy on a member that has room), then the lowest task ids.
  for (int m : elig) {
    std::vector<int>& mine = kept[Idx(m)];
    const int64_t surplus = static_cast<int64_t>(mine.size()) - quota[Idx(m)];
    if (surplus > 0 && !p.keep_owned) {
      std::vector<std::pair<int64_t, int>> ranked;
      ranked.reserve(mine.size());
      for (int t : mine) ranked.emplace_back(best_cost(t), t);
      std::sort(ranked.begin(), ranked.end());
      mine.clear();
      for (size_t i = 0; i < ranked.size(); ++i) {
        if (static_cast<int64_t>(i) < surplus) {
          pool.push_back(ranked[i].second);
        } else {
          mine.push_back(ranked[i].second);
        }
      }
    }
    for (int t : mine) out.target[Idx(t)] = m;
    assigned[Idx(m)] = static_cast<int64_t>(mine.size());
  }

  // Place the pool: tasks with state on a member that has room first (so that room is not
  // taken by tasks that fit anywhere), then stateful tasks without state, then stateless.
  std::vector<std::tuple<int, int64_t, int>> order;
  order.reserve(pool.size());
  for (int t : pool) {
    const int64_t best = best_cost(t);
    const int group = !p.stateful[Idx(t)] ? 2 : (best != kNoState ? 0 : 1);
    order.emplace_back(group, best, t);
  }
  std::sort(order.begin(), order.end());
  for (const auto& entry : order) {
    const int t = std::get<2>(entry);
    int pick = -1;
    for (int d : elig) {
      if (assigned[Idx(d)] >= quota[Idx(d)]) continue;
      if (pick < 0) {
        pick = d;
        continue;
      }
      const int64_t cd = p.Cost(t, d);
      const int64_t cp = p.Cost(t, pick);
      if (cd != cp) {
        if (cd < cp) pick = d;
        continue;
      }
      // Lower fill fraction assigned / quota first (spreads proportionally to capacity).
      if (assigned[Idx(d)] * quota[Idx(pick)] < assigned[Idx(pick)] * quota[Idx(d)]) pick = d;
    }
    out.target[Idx(t)] = pick;
    ++assigned[Idx(pick)];
  }
  out.load.assign(Idx(p.num_members), 0.0);
  for (int m : elig) out.load[Idx(m)] = static_cast<double>(assigned[Idx(m)]);
  return out;
}

// Balances by load: minimise max load / capacity, but leave alone every member whose load is
// within its ideal share plus slack_tasks mean task loads.
BalanceResult LoadTargets(const BalanceProblem& p) {
  const std::vector<int> elig = EligibleMembers(p);
  std::vector<std::vector<int>> kept;
  std::vector<int> pool;
  StickyStart(p, &kept, &pool);

  double total_weight = 0;
  for (int t = 0; t < p.num_tasks; ++t) total_weight += p.weight[Idx(t)];
  double total_capacity = 0;
  for (int m : elig) total_capacity += p.capacity[Idx(m)];
  const double mean_weight = p.num_tasks > 0 ? total_weight / p.num_tasks : 0.0;
  const double eps = kEps * std::max(1.0, total_weight);
  std::vector<double> ideal(Idx(p.num_members), 0.0);
  std::vector<double> allow(Idx(p.num_members), 0.0);
  for (int m : elig) {
    ideal[Idx(m)] = total_weight * p.capacity[Idx(m)] / total_capacity;
    allow[Idx(m)] = ideal[Idx(m)] + p.slack_tasks * mean_weight;
  }

  BalanceResult out;
  out.target.assign(Idx(p.num_tasks), -1);
  out.load.assign(Idx(p.num_members), 0.0);
  for (int m : elig) {
    for (int t : kept[Idx(m)]) {
      out.target[Idx(t)] = m;
      out.load[Idx(m)] += p.weight[Idx(t)];
    }
  }
  auto ratio = [&](int m, double load) { return load / p.capacity[Idx(m)]; };

  // Unowned tasks, heaviest first (LPT). A member where the task fits within its allowance
  // is preferred, the cheapest move among those, then the lowest resulting ratio.
  std::sort(pool.begin(), pool.end(), [&](int a, int b) {
    if (p.weight[Idx(a)] != p.weight[Idx(b)]) return p.weight[Idx(a)] > p.weight[Idx(b)];
    return a < b;
  });
  for (int t : pool) {
    const double w = p.weight[Idx(t)];
    using Key = std::tuple<int, double, int64_t, double, int>;
    Key best_key{};
    int pick = -1;
    for (int d : elig) {
      const double nd = out.load[Idx(d)] + w;
      const bool fits = nd <= allow[Idx(d)] + eps;
      const Key key = fits ? Key{0, 0.0, p.Cost(t, d), ratio(d, nd), d}
                           : Key{1, ratio(d, nd), p.Cost(t, d), 0.0, d};
      if (pick < 0 || key < best_key) {
        pick = d;
        best_key = key;
      }
    }
    out.target[Idx(t)] = pick;
    out.load[Idx(pick)] += w;
  }

  // Local search. A member over its allowance sheds load, and keeps shedding down to its
  // ideal share (hysteresis: the next rebalance then finds it well within its allowance).
  // A move must lower the pair's max ratio; receivers that stay within their allowance are
  // preferred, then cheap moves, then receivers that stay within their ideal share, then the
  // lowest resulting ratio.
  std::vector<bool> shedding(Idx(p.num_members), false);
  std::vector<bool> stuck(Idx(p.num_members), false);
  const int max_moves = p.keep_owned ? 0 : 4 * p.num_tasks + 16;
  for (int iter = 0; iter < max_moves; ++iter) {
    int h = -1;
    for (int m : elig) {
      const double load = out.load[Idx(m)];
      if (load > allow[Idx(m)] + eps) shedding[Idx(m)] = true;
      if (stuck[Idx(m)] || !shedding[Idx(m)] || load <= ideal[Idx(m)] + eps) continue;
      if (h < 0 || ratio(m, load) > ratio(h, out.load[Idx(h)])) h = m;
    }
    if (h < 0) break;
    const double current = ratio(h, out.load[Idx(h)]);
    using Key = std::tuple<int, int64_t, int, double, int, int>;
    Key best_key{};
    int best_t = -1;
    int best_d = -1;
    for (int t = 0; t < p.num_tasks; ++t) {
      if (out.target[Idx(t)] != h) continue;
      const double w = p.weight[Idx(t)];
      for (int d : elig) {
        if (d == h) continue;
        const double nd = out.load[Idx(d)] + w;
        const double pair_max = std::max(ratio(h, out.load[Idx(h)] - w), ratio(d, nd));
        if (pair_max >= current - kEps * std::max(1.0, current)) continue;
        const int over_allow = nd > allow[Idx(d)] + eps ? 1 : 0;
        const int over_ideal = nd > ideal[Idx(d)] + eps ? 1 : 0;
        const Key key{over_allow, p.Cost(t, d), over_ideal, pair_max, t, d};
        if (best_t < 0 || key < best_key) {
          best_key = key;
          best_t = t;
          best_d = d;
        }
      }
    }
    if (best_t < 0) {
      stuck[Idx(h)] = true;
      continue;
    }
    out.target[Idx(best_t)] = best_d;
    out.load[Idx(h)] -= p.weight[Idx(best_t)];
    out.load[Idx(best_d)] += p.weight[Idx(best_t)];
    // Loads changed: every member may have an improving move again.
    std::fill(stuck.begin(), stuck.end(), false);
  }
  return out;
}

}  // namespace

BalanceResult ComputeTargets(const BalanceProblem& problem) {
  return problem.load_aware ? LoadTargets(problem) : CountTargets(problem);
}

}  // namespace brook::assignor::internal
