"""The supply-chain simulator: ``batch`` independent copies of one network, stepped together.

One period, in order (OR-Gym's sequence):

1. Orders. Each link's request is the new order (capped at the link's ``edge_caps``) plus, when
   backlogging, what the supplier still owes. Suppliers ship from the stock they held at the
   start of the period, up to their capacity, filling their links in config order. Sources have
   unlimited stock.
2. Shipments enter the link's pipeline and arrive ``lead_time`` periods later (0: this period).
3. Arrivals due this period are added to on-hand stock.
4. Customer demand (plus backlogged demand) is filled from on-hand stock.
5. Unfilled demand and unfilled orders are backlogged or lost; on-hand stock is charged holding.

Quantities are integers. Money follows :mod:`envs.inventory.config`; the reward of period t is
``discount**t`` times the total profit of all nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envs.inventory.config import SupplyChainConfig

UNLIMITED = 10**15  # a source's stock and an uncapacitated node's capacity


@dataclass(slots=True)  # slots: quicker to build, one per period
class PeriodOutcome:
    """What happened in one period; arrays are ``(batch, n_nodes)`` or ``(batch, n_edges)``."""

    demand: np.ndarray  # new customer demand per node (0 where a node has no customers)
    sold: np.ndarray  # units sold to customers
    unmet: np.ndarray  # customer demand left unfilled (lost, or backlogged into next period)
    ordered: np.ndarray  # new orders per link, after capping
    requested: np.ndarray  # new orders plus backlogged ones
    shipped: np.ndarray
    unfilled: np.ndarray  # requested - shipped
    arrived: np.ndarray  # units received per node
    revenue: np.ndarray
    purchase: np.ndarray
    fixed: np.ndarray
    production: np.ndarray
    holding: np.ndarray
    penalty: np.ndarray
    profit: np.ndarray  # per node, undiscounted
    total_profit: np.ndarray  # (batch,), profit summed over nodes
    reward: np.ndarray  # (batch,), discounted total profit


class SupplyChain:
    def __init__(self, config: SupplyChainConfig, batch: int = 1):
        self.config = config
        self.batch = batch
        nodes, edges = config.nodes, config.edges
        self.caps = np.array(config.edge_caps(), dtype=np.int64)
        self.lead = np.array([e.lead_time for e in edges], dtype=np.int64)
        self.supplier = np.array([e.supplier for e in edges])
        self.customer = np.array([e.customer for e in edges])
        self.price = np.array([n.price for n in nodes])
        self.holding_cost = np.array([n.holding_cost for n in nodes])
        self.penalty_cost = np.array([n.penalty for n in nodes])
        self.production_cost = np.array([n.production_cost for n in nodes])
        self.fixed_cost = np.array([e.fixed_cost for e in edges])
        self.is_source = np.array([n.source for n in nodes])
        self.capacity = np.array([UNLIMITED if n.capacity is None else n.capacity for n in nodes], dtype=np.int64)
        self.out_links = [config.out_edges(i) for i in range(config.n_nodes)]
        self.in_links = [config.in_edges(i) for i in range(config.n_nodes)]
        # Incidence matrices (links x nodes) turn per-link flows into per-node totals.
        self.from_supplier = np.zeros((config.n_edges, config.n_nodes), dtype=np.int64)
        self.from_supplier[np.arange(config.n_edges), self.supplier] = 1
        self.to_customer = np.zeros((config.n_edges, config.n_nodes), dtype=np.int64)
        self.to_customer[np.arange(config.n_edges), self.customer] = 1
        # Per link: how many suppliers its customer has, and this link's place among them.
        self.sibling_count = np.array([len(self.in_links[e.customer]) for e in edges], dtype=np.int64)
        self.sibling_rank = np.array([self.in_links[e.customer].index(k) for k, e in enumerate(edges)],
                                     dtype=np.int64)
        self.one_supplier_each = bool((self.sibling_count == 1).all())
        self._hot = _StepConstants(self)
        self.demand_trace = np.zeros((batch, config.periods, config.n_nodes), dtype=np.int64)
        self.reset(self.demand_trace)

    def reset(self, demand_trace: np.ndarray) -> None:
        """Start over from the config's initial state with a ``(batch, periods, n_nodes)`` demand trace."""
        cfg = self.config
        expected = (self.batch, cfg.periods, cfg.n_nodes)
        if demand_trace.shape != expected:
            raise ValueError(f"demand trace must have shape {expected}, got {demand_trace.shape}")
        self.demand_trace = demand_trace.astype(np.int64)
        self.t = 0
        self.on_hand = np.tile(np.array([n.initial_inventory for n in cfg.nodes], dtype=np.int64), (self.batch, 1))
        self.pipeline = np.zeros((self.batch, cfg.n_edges, cfg.max_lead_time + 1), dtype=np.int64)
        for k, e in enumerate(cfg.edges):
            self.pipeline[:, k, : e.lead_time] = e.initial_pipeline
        self.owed = np.zeros((self.batch, cfg.n_edges), dtype=np.int64)  # supplier owes customer
        self.backlog = np.zeros((self.batch, cfg.n_nodes), dtype=np.int64)  # customer demand waiting

    @property
    def done(self) -> bool:
        return self.t >= self.config.periods

    def inventory_position(self) -> np.ndarray:
        """Per node: on hand + on the way in + owed to it - what it owes (customers and links)."""
        on_the_way = self.pipeline.dot(self._hot.slot_ones)  # summed over slots; quicker than sum(axis=2)
        if not self.config.backlog:  # nothing is owed or backlogged
            return self.on_hand + on_the_way.dot(self.to_customer)
        return self.on_hand - self.backlog + on_the_way.dot(self.to_customer) + self.owed.dot(self._hot.owed_flow)

    def step(self, orders: np.ndarray) -> PeriodOutcome:
        if self.done:
            raise RuntimeError("the horizon is over; call reset()")
        cfg, hot = self.config, self._hot
        ordered = np.asarray(orders, dtype=np.int64).reshape(self.batch, cfg.n_edges)
        ordered = np.minimum(np.maximum(ordered, hot.no_orders), hot.caps)
        requested = ordered + self.owed
        # A supplier ships from its opening stock (capped by its capacity), filling its links in
        # config order: link k gets its request, or what the earlier links' requests left over.
        # (A source's on-hand stays 0, as it has no suppliers and no customers of its own.)
        room = np.minimum(self.on_hand.take(self.supplier, axis=1) + hot.source_stock, hot.supplier_capacity)
        if hot.shared_suppliers:
            room = np.maximum(room - requested.dot(hot.earlier_sibling), 0)
        shipped = np.minimum(requested, room)
        sent = shipped.dot(self.from_supplier)
        self.on_hand -= sent * hot.keeps_stock

        # Slot lead_time of a link is always empty here (the shift below refills it from the
        # unused slot behind it), so the shipment is written, not added.
        pipeline = self.pipeline.reshape(-1)
        pipeline.put(hot.arrival_slots, shipped)
        arrived = self.pipeline[:, :, 0].dot(self.to_customer)
        self.on_hand += arrived

        demand = self.demand_trace[:, self.t, :]
        wanted = demand + self.backlog
        sold = np.minimum(self.on_hand, wanted)
        self.on_hand -= sold
        unmet = wanted - sold
        unfilled = requested - shipped
        if cfg.backlog:  # otherwise backlog and owed stay the zeros of reset()
            self.backlog, self.owed = unmet, unfilled

        revenue = hot.price * (sold + sent)
        purchase = (hot.supplier_price * shipped).dot(hot.to_customer)
        fixed = (ordered > 0).dot(hot.fixed_cost) if hot.any_fixed_cost else np.zeros(revenue.shape)
        production = hot.production_cost * sent
        holding = hot.holding_cost * self.on_hand
        penalty = hot.penalty_cost * (unmet + unfilled.dot(self.from_supplier))
        profit = revenue - purchase - fixed - production - holding - penalty
        total_profit = np.add.reduce(profit, axis=1)
        reward = cfg.discount**self.t * total_profit

        # Everything on the way moves one slot closer: shift the flat buffer by one and clear
        # each link's last slot, which received the next link's slot 0.
        pipeline[:-1] = pipeline[1:]
        pipeline.put(hot.last_slots, 0)
        self.t += 1
        return PeriodOutcome(demand, sold, unmet, ordered, requested, shipped, unfilled, arrived,
                             revenue, purchase, fixed, production, holding, penalty, profit, total_profit, reward)


class _StepConstants:
    """What :meth:`SupplyChain.step` multiplies by, prepared once in the shape and dtype each
    operation needs: on arrays this small, broadcasting, dtype casts and ``@`` (rather than
    ``.dot``) cost more than the arithmetic itself."""

    def __init__(self, chain: SupplyChain):
        cfg, batch = chain.config, chain.batch

        def rows(values, dtype=float):  # one copy per batch row, so no operation broadcasts
            return np.tile(np.asarray(values, dtype=dtype), (batch, 1))

        self.caps = rows(chain.caps, np.int64)
        self.no_orders = np.zeros_like(self.caps)
        self.source_stock = rows(np.where(chain.is_source[chain.supplier], UNLIMITED, 0), np.int64)
        self.supplier_capacity = rows(chain.capacity[chain.supplier], np.int64)
        self.keeps_stock = rows(~chain.is_source, np.int64)
        # earlier_sibling[j, k] = 1 when links j and k share a supplier and j comes first.
        self.earlier_sibling = np.array([[int(a.supplier == b.supplier and j < k) for k, b in enumerate(cfg.edges)]
                                         for j, a in enumerate(cfg.edges)], dtype=np.int64)
        self.shared_suppliers = bool(self.earlier_sibling.any())  # else each link has its supplier's whole room
        width = cfg.max_lead_time + 1
        slot = np.arange(batch)[:, None] * cfg.n_edges * width + np.arange(cfg.n_edges) * width
        self.arrival_slots = (slot + chain.lead).reshape(-1)
        self.last_slots = (slot + width - 1).reshape(-1)
        self.slot_ones = np.ones(width, dtype=np.int64)
        self.owed_flow = chain.to_customer - chain.from_supplier  # owed units: +1 for the customer, -1 for the supplier
        self.price = rows(chain.price)
        self.supplier_price = rows(chain.price[chain.supplier])
        self.to_customer = chain.to_customer.astype(float)
        self.any_fixed_cost = bool(chain.fixed_cost.any())
        self.fixed_cost = chain.fixed_cost[:, None] * self.to_customer  # per link and customer node
        self.production_cost = rows(np.where(chain.is_source, chain.production_cost, 0.0))
        self.holding_cost = rows(chain.holding_cost)
        self.penalty_cost = rows(chain.penalty_cost)
