"""Classical policies and their tuning by simulation.

- :class:`BaseStockPolicy`: each ordering node orders up to a level ``S`` of its installation
  inventory position (on hand + on the way in + owed to it - what it owes), split evenly over its
  suppliers. It uses only the node's own state, so each beer-game agent can run it locally.
- :class:`SSPolicy`: order up to ``S`` only when the position has fallen to ``s`` or below; it
  pays off when links have fixed ordering costs.
- :func:`search_base_stock` / :func:`search_s_S`: integer coordinate search on the mean return
  over a fixed set of demand traces (common random numbers, so candidates are compared on the
  same demand).
- :func:`expert_policy`: the tuned base-stock policy every inventory env uses as its expert,
  cached per config. Its traces come from a fixed seed, so the expert is the same everywhere.
- :class:`ExpertRace`: the agent's chain and the expert's side by side, for the win rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

import numpy as np

from envs.inventory.config import SupplyChainConfig
from envs.inventory.dynamics import PeriodOutcome, SupplyChain

SEARCH_SEED = 20_240_601
SEARCH_SCENARIOS = 64
WIN_TOLERANCE = 0.05


def sample_demand(config: SupplyChainConfig, rng: np.random.Generator, batch: int = 1,
                  periods: int | None = None) -> np.ndarray:
    """Demand traces ``(batch, periods, n_nodes)``; zeros at nodes without customers."""
    periods = config.periods if periods is None else periods
    trace = np.zeros((batch, periods, config.n_nodes), dtype=np.int64)
    for node in config.retail_nodes:
        trace[:, :, node] = config.nodes[node].demand.sample(rng, periods, batch)
    return trace


def split_evenly(deficit: np.ndarray, chain: SupplyChain) -> np.ndarray:
    """Orders per link from a per-node deficit ``(batch, n_nodes)``: node c's deficit is shared
    over its supplier links, earlier links taking the remainder; capped at the links' limits."""
    need = deficit.take(chain.customer, axis=1)  # each link sees its customer's deficit
    if chain.one_supplier_each:
        return np.minimum(need, chain.caps)
    share, extra = np.divmod(need, chain.sibling_count)
    return np.minimum(share + (chain.sibling_rank < extra), chain.caps)


@dataclass(frozen=True)
class BaseStockPolicy:
    levels: tuple[int, ...]  # one per node; ignored at nodes that place no orders

    @cached_property
    def _levels(self) -> np.ndarray:  # converted once: the policy runs every period
        return np.array(self.levels)

    def __call__(self, chain: SupplyChain) -> np.ndarray:
        deficit = np.maximum(self._levels - chain.inventory_position(), 0)
        return split_evenly(deficit, chain)


@dataclass(frozen=True)
class SSPolicy:
    reorder_points: tuple[int, ...]  # s per node
    levels: tuple[int, ...]  # S per node

    def __call__(self, chain: SupplyChain) -> np.ndarray:
        position = chain.inventory_position()
        deficit = np.where(position <= np.array(self.reorder_points), np.array(self.levels) - position, 0)
        return split_evenly(np.maximum(deficit, 0), chain)


def zero_policy(chain: SupplyChain) -> np.ndarray:
    return np.zeros((chain.batch, chain.config.n_edges), dtype=np.int64)


def simulate(config: SupplyChainConfig, policy, demand: np.ndarray) -> np.ndarray:
    """Total discounted reward of ``policy`` on each demand trace ``(batch, periods, n_nodes)``."""
    chain = SupplyChain(config, batch=demand.shape[0])
    chain.reset(demand)
    total = np.zeros(demand.shape[0])
    while not chain.done:
        total += chain.step(policy(chain)).reward
    return total


def average_cost(config: SupplyChainConfig, policy, periods: int, warmup: int, batch: int = 64,
                 seed: int = 0) -> float:
    """Long-run cost per period (minus profit, undiscounted), averaged after a warm-up."""
    long_cfg = replace(config, periods=periods + warmup)
    chain = SupplyChain(long_cfg, batch=batch)
    chain.reset(sample_demand(long_cfg, np.random.default_rng(seed), batch))
    total = 0.0
    while not chain.done:
        outcome = chain.step(policy(chain))
        if chain.t > warmup:
            total -= outcome.profit.sum()
    return total / (batch * periods)


def flow_per_period(config: SupplyChainConfig) -> np.ndarray:
    """Mean customer demand each node must supply per period (retail means pushed up the links)."""
    flow = np.array([n.demand.mean_at(0) if n.demand is not None else 0.0 for n in config.nodes])
    order = _downstream_first(config)
    for node in order:
        links = config.in_edges(node)
        for k in links:
            flow[config.edges[k].supplier] += flow[node] / len(links)
    return flow


def _downstream_first(config: SupplyChainConfig) -> list[int]:
    """Nodes ordered so every customer comes before its suppliers."""
    remaining = {i: len(config.out_edges(i)) for i in range(config.n_nodes)}
    ready = [i for i, r in remaining.items() if r == 0]
    order = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for k in config.in_edges(node):
            supplier = config.edges[k].supplier
            remaining[supplier] -= 1
            if remaining[supplier] == 0:
                ready.append(supplier)
    return order


def _coordinate_search(score, start: list[int], free: list[int], first_step: int) -> tuple[list[int], float]:
    """Maximize ``score(levels)`` over the integer coordinates in ``free``: try +/- step on each
    coordinate, keep improvements, halve the step when none helps."""
    best, best_score = list(start), score(start)
    step = max(first_step, 1)
    while step >= 1:
        improved = False
        for i in free:
            for delta in (step, -step):
                trial = list(best)
                trial[i] = max(trial[i] + delta, 0)
                if trial == best:
                    continue
                value = score(trial)
                if value > best_score + 1e-9:
                    best, best_score, improved = trial, value, True
                    break
        if not improved:
            step //= 2
    return best, best_score


def search_base_stock(config: SupplyChainConfig, scenarios: int = SEARCH_SCENARIOS,
                      seed: int = SEARCH_SEED) -> tuple[BaseStockPolicy, float]:
    """Base-stock levels maximizing the mean episode return on ``scenarios`` demand traces."""
    demand = sample_demand(config, np.random.default_rng(seed), scenarios)
    flow = flow_per_period(config)
    free = config.ordering_nodes
    start = [0] * config.n_nodes
    for node in free:
        lead = max(config.edges[k].lead_time for k in config.in_edges(node))
        start[node] = int(round(flow[node] * (lead + 1.5)))

    def score(levels):
        return simulate(config, BaseStockPolicy(tuple(levels)), demand).mean()

    first_step = max(int(flow[free].max() // 2), 1)
    levels, value = _coordinate_search(score, start, free, first_step)
    return BaseStockPolicy(tuple(levels)), value


def search_s_S(config: SupplyChainConfig, scenarios: int = SEARCH_SCENARIOS,
               seed: int = SEARCH_SEED) -> tuple[SSPolicy, float]:
    """(s, S) per ordering node, started from the tuned base-stock levels (s = S - 1)."""
    base, _ = search_base_stock(config, scenarios, seed)
    demand = sample_demand(config, np.random.default_rng(seed), scenarios)
    n = config.n_nodes
    # Coordinates 0..n-1 are the gaps S - s (>= 1), n..2n-1 are the levels S.
    start = [1] * n + list(base.levels)
    free = [i for i in config.ordering_nodes] + [n + i for i in config.ordering_nodes]

    def policy(params):
        gaps, levels = params[:n], params[n:]
        return SSPolicy(tuple(S - max(g, 1) for S, g in zip(levels, gaps)), tuple(levels))

    def score(params):
        return simulate(config, policy(params), demand).mean()

    first_step = max(int(flow_per_period(config)[config.ordering_nodes].max() // 2), 1)
    params, value = _coordinate_search(score, start, free, first_step)
    return policy(params), value


@lru_cache(maxsize=64)
def expert_policy(config: SupplyChainConfig) -> BaseStockPolicy:
    return search_base_stock(config)[0]


def within_tolerance(episode_return: float, expert_return: float) -> bool:
    """The win rule of every inventory env: a return at least the expert's on the same demand,
    less ``WIN_TOLERANCE`` of its magnitude."""
    return bool(episode_return >= expert_return - WIN_TOLERANCE * abs(expert_return))


def beats_expert(config: SupplyChainConfig, trace: np.ndarray, episode_return: float) -> bool:
    """The win rule for an episode already played on demand ``trace`` (1, periods, n_nodes): this
    simulates the expert on the trace again; :class:`ExpertRace` avoids that."""
    return within_tolerance(episode_return, simulate(config, expert_policy(config), trace)[0])


class ExpertRace:
    """The agent's supply chain and the tuned expert's, stepped together on one demand trace.

    ``chain`` has two rows: row 0 follows the agent's orders, row 1 the expert's. Both rows cost
    one vectorized step, so the win rule needs no second simulation at the end of an episode, and
    the expert's return equals :func:`simulate`'s on the same trace (the rows never interact).
    """

    AGENT, EXPERT = 0, 1

    def __init__(self, config: SupplyChainConfig):
        self.config = config
        self.chain = SupplyChain(config, batch=2)
        self._expert = None  # tuned on first use: building an env stays cheap
        self.agent_return = self.expert_return = 0.0

    def reset(self, trace: np.ndarray) -> None:
        """Start both rows on the demand ``trace`` (1, periods, n_nodes)."""
        self.chain.reset(np.repeat(trace, 2, axis=0))
        self.agent_return = self.expert_return = 0.0

    def expert_orders(self) -> np.ndarray:
        """The expert's orders in both rows' current states, ``(2, n_edges)``."""
        if self._expert is None:
            self._expert = expert_policy(self.config)
        return self._expert(self.chain)

    def step(self, agent_orders) -> PeriodOutcome:
        orders = self.expert_orders()
        orders[self.AGENT] = agent_orders
        outcome = self.chain.step(orders)
        self.agent_return += float(outcome.reward[self.AGENT])
        self.expert_return += float(outcome.reward[self.EXPERT])
        return outcome

    @property
    def won(self) -> bool:
        """The win rule, decided once the horizon is over (False before)."""
        return self.chain.done and within_tolerance(self.agent_return, self.expert_return)
