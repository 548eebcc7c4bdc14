"""The supply chain as a text env for LLM agents.

Each turn is one period. The observation reports, in words, every stocking node's on-hand stock,
backlog and what is on the way to it, the last few periods of customer demand, and last period's
profit (or cost) broken into sales and costs. The action is ``order Q1 Q2 ...``: one whole number per
supply link, in the order the observation lists the links (``order 12`` for a single link; the word
``order`` is optional and commas are fine). Quantities above a link's maximum are lowered to it.
Anything else orders nothing that period, says why, and sets ``action_valid`` to False; the
period still passes.

``admissible_actions`` holds two suggestions, not a menu: order nothing, and "replace what was
used" (each node reorders what it sold or shipped last period, split over its suppliers). Any
well-formed order is accepted. ``expert_action()`` is the tuned base-stock policy.

Reward: the period's discounted profit, as in :mod:`envs.inventory.numeric_env`.
``info["won"]`` is True only on the last step, when the episode's return is at least the base-stock
expert's return on the same demand trace, less 5% of its magnitude. The expert itself always wins.
"""

from __future__ import annotations

import numpy as np

from envs.core import StepOutcome, TextEnv
from envs.inventory.baselines import WIN_TOLERANCE, ExpertRace, flow_per_period, sample_demand, split_evenly
from envs.inventory.config import SupplyChainConfig, get_config
from envs.inventory.dynamics import PeriodOutcome
from envs.inventory.wording import describe_arrivals, format_order, money, parse_orders

HISTORY = 4  # periods of demand shown


class InventoryTextEnv(TextEnv):
    def __init__(self, config: str | SupplyChainConfig = "network", render_mode: str | None = None,
                 **overrides):
        super().__init__(render_mode=render_mode)
        self.config = get_config(config, **overrides)
        self.race = ExpertRace(self.config)
        self.chain = self.race.chain  # row 0 is the agent's chain, row 1 the expert's
        self.caps = self.config.edge_caps()
        self.labels = [self.config.edge_label(k) for k in range(self.config.n_edges)]
        self._history: list[PeriodOutcome] = []
        self._cost_only = all(n.price == 0 and n.production_cost == 0 for n in self.config.nodes)

    # --- TextEnv hooks --------------------------------------------------------------
    def _reset(self, options: dict) -> str:
        cfg = self.config
        self.race.reset(sample_demand(cfg, self.np_random, 1))
        self._history = []
        aim = "minimize" if self._cost_only else "maximize"
        goal = "cost" if self._cost_only else self._profit_name()
        self.task = (
            f"You run the inventory of this supply chain: {cfg.description}. Each period, order stock on every supply "
            f"link ({', '.join(self.labels)}) to {aim} total {goal} over {cfg.periods} periods. "
            f"Reply 'order' and one whole number per link, e.g. '{format_order([10] * cfg.n_edges)}'. "
            f"You win by ending within {WIN_TOLERANCE:.0%} of a tuned base-stock policy's result."
        )
        return self._describe(note="")

    def _step(self, action: str) -> StepOutcome:
        quantities, note = parse_orders(action, self.caps, self.labels)
        valid = quantities is not None
        if not valid:
            note += " Nothing was ordered this period."
        outcome = self.race.step(np.array(quantities if valid else [0] * self.config.n_edges))
        self._history.append(outcome)
        reward = float(outcome.reward[0])
        over, won = self.chain.done, self.race.won
        obs = self._describe(note)
        if over:
            verdict = "You matched the base-stock benchmark." if won else "The base-stock benchmark did better."
            obs += f"\nThe horizon is over. Total {self._profit_name()}: {money(self.race.agent_return)}. {verdict}"
        return StepOutcome(obs, reward, terminated=over and self.config.finite_horizon,
                           truncated=over and not self.config.finite_horizon, action_valid=valid, won=won)

    def admissible_actions(self) -> list[str]:
        if self.chain.done:
            return []
        return [format_order([0] * self.config.n_edges), format_order(self._replacement_orders())]

    def expert_action(self) -> str:
        return format_order(self.race.expert_orders()[ExpertRace.AGENT])

    # --- wording -----------------------------------------------------------------------
    def _profit_name(self) -> str:
        """What the reward sums to, in words."""
        if self._cost_only:
            return "reward (minus the cost)"
        return "discounted profit" if self.config.discount < 1 else "profit"

    def _replacement_orders(self) -> list[int]:
        if self._history:
            last = self._history[-1]
            used = last.sold[0] + last.shipped[0] @ self.chain.from_supplier
        else:
            used = np.rint(flow_per_period(self.config)).astype(np.int64)
        return split_evenly(np.asarray(used).reshape(1, -1), self.chain)[0].tolist()

    def _describe(self, note: str) -> str:
        cfg, chain = self.config, self.chain
        lines = [note] if note else []
        if chain.done:
            lines.append(f"Period {cfg.periods} of {cfg.periods} is done.")
        else:
            lines.append(f"Period {chain.t + 1} of {cfg.periods}.")
        if self._history:
            lines.append(self._last_period())
        lines.append("Stock at the start of this period:")
        for i, node in enumerate(cfg.nodes):
            if node.source:
                continue
            parts = [f"{int(chain.on_hand[0, i])} on hand"]
            if cfg.backlog and chain.backlog[0, i]:
                parts.append(f"{int(chain.backlog[0, i])} customer units backlogged")
            for k in cfg.in_edges(i):
                supplier = cfg.nodes[cfg.edges[k].supplier].name
                slots = chain.pipeline[0, k, : cfg.edges[k].lead_time]
                text = f"from {supplier}: {describe_arrivals(slots)}"
                if chain.owed[0, k]:
                    text += f" ({int(chain.owed[0, k])} more owed)"
                parts.append(text)
            lines.append(f"- {node.name}: " + "; ".join(parts) + ".")
        if self._history:
            for i in cfg.retail_nodes:
                recent = [int(o.demand[0, i]) for o in self._history[-HISTORY:]]
                lines.append(f"Recent customer demand at {cfg.nodes[i].name} (oldest first): "
                             f"{', '.join(map(str, recent))}.")
        if not chain.done:
            links = ", ".join(f"{label} (max {cap})" for label, cap in zip(self.labels, self.caps))
            lines.append(f"Links to order on, in this order: {links}.")
        return "\n".join(lines)

    def _last_period(self) -> str:
        cfg, last = self.config, self._history[-1]
        sold, unmet, demand = (int(a[0].sum()) for a in (last.sold, last.unmet, last.demand))
        fate = "backlogged" if cfg.backlog else "lost"
        costs = {
            "raw material": float(last.production[0].sum()),
            "fixed order costs": float(last.fixed[0].sum()),
            "holding": float(last.holding[0].sum()),
            "shortage penalties": float(last.penalty[0].sum()),
        }
        cost_text = ", ".join(f"{name} {money(v)}" for name, v in costs.items() if v)
        profit = float(last.profit[0].sum())
        if self._cost_only:
            money_text = f"Cost {money(-profit)} ({cost_text or 'nothing'})."
        else:
            sales = float(last.revenue[0].sum() - last.purchase[0].sum())  # internal transfers cancel out
            money_text = f"Profit {money(profit)} (sales {money(sales)}{', ' + cost_text if cost_text else ''})."
        total = f"Running total {self._profit_name()}: {money(self.race.agent_return)}."
        served = f"customers wanted {demand} new units, {sold} were sold, {unmet} {fate}"
        return f"Last period: {served}. {money_text} {total}"
