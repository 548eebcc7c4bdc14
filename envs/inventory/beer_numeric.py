"""The beer game with numeric (Box) spaces, for multi-agent RL libraries that need them.

The same chain, demand, rewards and ``won`` rule as the text beer game
(:mod:`envs.inventory.multi_agent`), as a PettingZoo ``ParallelEnv`` whose agents all share one
observation space and one action space, so SuperSuit's vector wrappers
(``pettingzoo_env_to_vec_env_v1``, ``concat_vec_envs_v1``) and RLlib run it unchanged.

Action (per agent, float32 in [0, 1], one entry per supply link of its own): the fraction of that
link's per-period maximum to order, rounded to whole units. NaN counts as 0 and anything outside
[0, 1] is clipped, so no action crashes the env; an agent missing from the actions dict orders
nothing. A wrong-sized action is a programmer error and raises ``ValueError``.

Observation (per agent, float32, listed by ``observation_labels``, clipped to [0, 1e6]): its
on-hand stock, what it owes its customers, what they asked for last period, the units on the way
on each of its links (one entry per period until arrival, padded to the chain's longest lead
time), what each supplier still owes it, and the fraction of the horizon left.

Every agent must have the same number of supply links (true of serial chains such as the beer
game), so the spaces are the same for every agent.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs.core import check_action_dict
from envs.inventory.baselines import beats_expert, expert_policy, sample_demand
from envs.inventory.config import SupplyChainConfig, get_config
from envs.inventory.dynamics import PeriodOutcome, SupplyChain
from envs.inventory.numeric_env import NUMBER_KINDS

OBS_MAX = 1e6


class BeerGameNumericEnv(ParallelEnv):
    metadata = {"name": "agora_inventory_beer_game_numeric_v0", "render_modes": [], "is_parallelizable": True}

    def __init__(self, config: str | SupplyChainConfig = "beer-game", shared_reward: bool = False,
                 render_mode: str | None = None, **overrides):
        if render_mode is not None:
            raise ValueError(f"this env has no render modes, got render_mode={render_mode!r}")
        self.render_mode = None  # read by SuperSuit's vector wrappers
        self.config = get_config(config, **overrides)
        cfg = self.config
        self.shared_reward = shared_reward
        self.chain = SupplyChain(cfg, batch=1)
        self.node_of = {cfg.nodes[i].name: i for i in cfg.ordering_nodes}
        self.possible_agents = list(self.node_of)
        self.agents: list[str] = []
        links = {len(cfg.in_edges(i)) for i in self.node_of.values()}
        if len(links) != 1:
            raise ValueError(f"every agent must have the same number of supply links for shared spaces; "
                             f"config {cfg.name!r} has {sorted(links)}")
        self.n_links = links.pop()
        self.observation_labels = (["on_hand", "owes_customers", "asked_last_period"]
                                   + [f"on_way[link {j}][+{p}]" for j in range(self.n_links) for p in range(cfg.max_lead_time)]
                                   + [f"owed_by_supplier[link {j}]" for j in range(self.n_links)] + ["time_left"])
        obs_space = spaces.Box(0.0, OBS_MAX, shape=(len(self.observation_labels),), dtype=np.float32)
        act_space = spaces.Box(0.0, 1.0, shape=(self.n_links,), dtype=np.float32)
        self._obs_space = dict.fromkeys(self.possible_agents, obs_space)
        self._act_space = dict.fromkeys(self.possible_agents, act_space)
        self.np_random: np.random.Generator | None = None
        self._last: PeriodOutcome | None = None
        self._return = 0.0

    def observation_space(self, agent: str) -> spaces.Box:
        return self._obs_space[agent]

    def action_space(self, agent: str) -> spaces.Box:
        return self._act_space[agent]

    # --- the PettingZoo API ------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None or self.np_random is None:
            self.np_random = np.random.default_rng(seed)
        self.chain.reset(sample_demand(self.config, self.np_random, 1))
        self.agents = list(self.possible_agents)
        self._last, self._return = None, 0.0
        return {a: self._observe(a) for a in self.agents}, {a: self._info(False) for a in self.agents}

    def step(self, actions: dict):
        check_action_dict(actions, self.possible_agents, "array")
        if not self.agents:
            return {}, {}, {}, {}, {}
        cfg = self.config
        orders = np.zeros(cfg.n_edges, dtype=np.int64)
        for agent in self.agents:
            if actions.get(agent) is not None:
                links = cfg.in_edges(self.node_of[agent])
                orders[links] = self.action_to_orders(agent, actions[agent])
        outcome = self.chain.step(orders)
        self._last = outcome
        team = float(outcome.reward[0])
        self._return += team
        discount = cfg.discount ** (self.chain.t - 1)
        live = list(self.agents)
        rewards = {a: team if self.shared_reward else discount * float(outcome.profit[0, self.node_of[a]]) for a in live}
        over = self.chain.done
        won = over and beats_expert(cfg, self.chain.demand_trace, self._return)
        if over:
            self.agents = []
        observations = {a: self._observe(a) for a in live}
        terminations = {a: over and cfg.finite_horizon for a in live}
        truncations = {a: over and not cfg.finite_horizon for a in live}
        return observations, rewards, terminations, truncations, {a: self._info(won) for a in live}

    def close(self) -> None:
        pass

    # --- actions and the expert -------------------------------------------------------------
    def action_to_orders(self, agent: str, action) -> np.ndarray:
        """Whole units per link of ``agent`` (NaN -> 0, out of range -> clipped); an action that
        is not numbers (a string, None, booleans) is a programmer error: TypeError."""
        values = np.asarray(action)
        if values.dtype.kind not in NUMBER_KINDS:
            raise TypeError(f"action for {agent} must be {self.n_links} number(s) in [0, 1], got {type(action).__name__}")
        a = values.astype(np.float64).reshape(-1)
        if a.size != self.n_links:
            raise ValueError(f"action for {agent} must have {self.n_links} entries (one per supply link), "
                             f"got shape {np.shape(action)}")
        a = np.clip(np.nan_to_num(a, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
        caps = self.chain.caps[self.config.in_edges(self.node_of[agent])]
        return np.rint(a * caps).astype(np.int64)

    def expert_actions(self) -> dict[str, np.ndarray]:
        """The base-stock expert team's actions (each agent's order uses only its own stage)."""
        orders = expert_policy(self.config)(self.chain)[0]
        return {a: (orders[links] / self.chain.caps[links]).astype(np.float32)
                for a in self.agents for links in [self.config.in_edges(self.node_of[a])]}

    # --- what each agent sees ---------------------------------------------------------
    def _observe(self, agent: str) -> np.ndarray:
        cfg, chain, node = self.config, self.chain, self.node_of[agent]
        out, links = cfg.out_edges(node), cfg.in_edges(node)
        asked = 0
        if self._last is not None:
            asked = int(self._last.demand[0, node] + self._last.ordered[0, out].sum())
        owes = chain.backlog[0, node] + chain.owed[0, out].sum()
        parts = [[chain.on_hand[0, node], owes, asked], chain.pipeline[0, links, : cfg.max_lead_time].reshape(-1),
                 chain.owed[0, links], [(cfg.periods - chain.t) / cfg.periods]]
        obs = np.concatenate([np.asarray(p, dtype=np.float64) for p in parts])
        return np.clip(obs, 0.0, OBS_MAX).astype(np.float32)

    def _info(self, won: bool) -> dict:
        return {"task": f"Order stock each period in a {self.config.description}; Box actions.", "won": won}
