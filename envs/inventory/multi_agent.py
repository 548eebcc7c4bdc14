"""Beer-game style multi-agent supply chain: every ordering stage is an agent (PettingZoo Parallel).

Agents are the nodes that have suppliers, named after them (a source such as the brewery is
not an agent). Each agent sees only its own stage, in words: its stock, the orders its customers
placed last period (or its customers' demand), what it owes, what is on the way to it and its own
profit. Its action is ``order Q`` (one whole number per supplier link of its own, in the listed
order), parsed as in the text env; anything else orders nothing, says why and sets the agent's
``action_valid`` to False. An agent missing from the actions dict orders nothing the same way, and
so does one whose action is longer than the action space's cap (refused unread; see
:class:`envs.core.MultiAgentTextEnv`, whose contract this env follows).

Rewards: each agent gets its own stage's discounted profit, or with ``shared_reward=True`` the
whole chain's (the classic team objective). ``infos[agent]`` holds ``task``,
``admissible_actions`` (two suggestions: order nothing, or reorder what was used last period),
``won`` and, after a step, ``action_valid``. ``won`` is the same for every agent: True only on
the last step, when the chain's total return is within 5% of the base-stock expert team's on the
same demand. :meth:`expert_actions` gives that team's orders; each agent's order uses only its
own stage's state (installation base stock).
"""

from __future__ import annotations

import numpy as np

from envs.core import MultiAgentTextEnv, MultiStepOutcome
from envs.inventory.baselines import WIN_TOLERANCE, beats_expert, expert_policy, flow_per_period, sample_demand
from envs.inventory.config import SupplyChainConfig, get_config
from envs.inventory.dynamics import PeriodOutcome, SupplyChain
from envs.inventory.wording import describe_arrivals, format_order, money, parse_orders


class InventoryParallelEnv(MultiAgentTextEnv):
    metadata = {**MultiAgentTextEnv.metadata, "name": "agora_inventory_beer_game_v0"}

    def __init__(self, config: str | SupplyChainConfig = "beer-game", shared_reward: bool = False,
                 render_mode: str | None = None, **overrides):
        self.config = get_config(config, **overrides)
        self.shared_reward = shared_reward
        self.chain = SupplyChain(self.config, batch=1)
        self.node_of = {self.config.nodes[i].name: i for i in self.config.ordering_nodes}
        super().__init__(list(self.node_of), render_mode=render_mode)
        self._history: list[PeriodOutcome] = []
        self._return = 0.0

    def _reset(self, options: dict) -> dict[str, str]:
        self.chain.reset(sample_demand(self.config, self.np_random, 1))
        self._history, self._return = [], 0.0
        return {a: self._describe(a, note="") for a in self.agents}

    def _step(self, actions: dict[str, str], refused: dict[str, str]) -> MultiStepOutcome:
        cfg = self.config
        orders = np.zeros(cfg.n_edges, dtype=np.int64)
        notes, valid = {}, {}
        for agent in self.agents:
            links = cfg.in_edges(self.node_of[agent])
            if agent in refused:
                quantities, note = None, refused[agent]
            else:
                quantities, note = parse_orders(actions[agent], [int(self.chain.caps[k]) for k in links],
                                                self._labels(links))
            valid[agent] = quantities is not None
            notes[agent] = note if valid[agent] else note + " Nothing was ordered this period."
            if quantities is not None:
                orders[links] = quantities
        outcome = self.chain.step(orders)
        self._history.append(outcome)
        self._return += float(outcome.reward[0])
        over = self.chain.done
        discount = cfg.discount ** (self.chain.t - 1)
        team = float(outcome.reward[0])
        rewards = {a: team if self.shared_reward else discount * float(outcome.profit[0, self.node_of[a]])
                   for a in self.agents}
        return MultiStepOutcome(
            observations={a: self._describe(a, notes[a]) for a in self.agents},
            rewards=rewards,
            action_valid=valid,
            terminated=over and cfg.finite_horizon,
            truncated=over and not cfg.finite_horizon,
            won=over and beats_expert(cfg, self.chain.demand_trace, self._return),
        )

    # --- expert and suggestions ---------------------------------------------------------------
    def expert_actions(self) -> dict[str, str]:
        orders = expert_policy(self.config)(self.chain)[0]
        return {a: format_order(orders[self.config.in_edges(self.node_of[a])]) for a in self.agents}

    def admissible_actions(self, agent: str) -> list[str]:
        node = self.node_of[agent]
        links = self.config.in_edges(node)
        if self._history:
            last = self._history[-1]
            used = int(last.sold[0, node] + last.shipped[0, self.config.out_edges(node)].sum())
        else:
            used = int(round(flow_per_period(self.config)[node]))
        share, extra = divmod(used, len(links))
        replace = [min(share + (j < extra), int(self.chain.caps[k])) for j, k in enumerate(links)]
        return [format_order([0] * len(links)), format_order(replace)]

    # --- wording -------------------------------------------------------------------------------
    def _labels(self, links: list[int]) -> list[str]:
        return [f"from {self.config.nodes[self.config.edges[k].supplier].name}" for k in links]

    def task_for(self, agent: str) -> str:
        cfg = self.config
        node = self.node_of[agent]
        suppliers = ", ".join(cfg.nodes[cfg.edges[k].supplier].name for k in cfg.in_edges(node))
        return (f"You are the {agent} in a {cfg.description}. Each period, order stock from your "
                f"supplier(s) ({suppliers}) with 'order N' (one number per supplier) to keep your "
                f"customers served at low cost over {cfg.periods} periods. The team wins by ending within "
                f"{WIN_TOLERANCE:.0%} of a tuned base-stock team.")

    def _describe(self, agent: str, note: str) -> str:
        cfg, chain = self.config, self.chain
        node = self.node_of[agent]
        lines = [note] if note else []
        period = f"Period {min(chain.t + 1, cfg.periods)} of {cfg.periods}"
        lines.append(f"{period}{' is done' if chain.done else ''}. You are the {agent}.")
        if self._history:
            lines.append(self._last_period(node))
        owes = int(chain.backlog[0, node] + chain.owed[0, cfg.out_edges(node)].sum())
        stock = f"On hand: {int(chain.on_hand[0, node])}."
        if cfg.backlog:
            stock += f" You owe your customers {owes} units."
        lines.append(stock)
        for k in cfg.in_edges(node):
            supplier = cfg.nodes[cfg.edges[k].supplier].name
            text = f"From {supplier}: {describe_arrivals(chain.pipeline[0, k, : cfg.edges[k].lead_time])}"
            if chain.owed[0, k]:
                text += f"; it still owes you {int(chain.owed[0, k])}"
            lines.append(text + ".")
        if not chain.done:
            links = cfg.in_edges(node)
            caps = ", ".join(f"{label} (max {int(chain.caps[k])})" for label, k in zip(self._labels(links), links))
            lines.append(f"Order with 'order N', one number per supplier: {caps}.")
        return "\n".join(lines)

    def _last_period(self, node: int) -> str:
        cfg, last = self.config, self._history[-1]
        out = cfg.out_edges(node)
        asked = []
        if cfg.nodes[node].demand is not None:
            asked.append(f"customers wanted {int(last.demand[0, node])}")
        for k in out:
            asked.append(f"{cfg.nodes[cfg.edges[k].customer].name} ordered {int(last.ordered[0, k])}")
        sent = int(last.sold[0, node] + last.shipped[0, out].sum())
        costs = f"holding {money(float(last.holding[0, node]))}, shortage {money(float(last.penalty[0, node]))}"
        return (f"Last period: {', '.join(asked)}; you delivered {sent}; you received "
                f"{int(last.arrived[0, node])}. Your profit {money(float(last.profit[0, node]))} ({costs}).")
