"""The supply chain as a plain numeric Gymnasium env (Box in, Box out), for standard RL libraries.

Action: one number per supply link, the fraction of that link's per-period maximum
(``env.unwrapped.caps``) to order; it is rounded to whole units. What an action may be:

- Finite numbers outside [0, 1] are clipped to it (RL libraries sample Gaussian actions past the
  box and expect the env to clip); the action is valid.
- NaN or an infinity in any entry is bad input, like an unparsable text action: nothing is ordered
  that period, the period passes, ``info["action_valid"]`` is False and ``info["action_error"]``
  says why. The same holds for a step after the episode ended (then nothing happens at all).
- Programmer errors raise: an action that is not numbers (a string, ``None``, booleans, objects)
  raises ``TypeError``; a wrong number of entries (not one per link) raises ``ValueError``.

Observation (float32, listed by ``observation_labels``): on-hand stock of every stocking node;
customer backlog of every retail node and units owed on every link (backlog configs only); units
on the way on every link, one entry per period until arrival; last period's customer demand at
every retail node; the fraction of the horizon left. Values are clipped to [0, 1e6].

Reward: ``discount**t`` times the period's total profit (for cost-only configs, minus the cost).
The episode ends after ``config.periods`` periods: terminated for finite-horizon problems,
truncated for infinite-horizon ones (the lost-sales benchmark).

``info["won"]`` is True only at the end of an episode whose return is within 5% of the tuned
base-stock expert's return on the same demand trace (see :mod:`envs.inventory.baselines`; the
expert plays the trace alongside the agent, :class:`~envs.inventory.baselines.ExpertRace`).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.inventory.baselines import ExpertRace, sample_demand
from envs.inventory.config import SupplyChainConfig, get_config
from envs.inventory.dynamics import PeriodOutcome

OBS_MAX = 1e6
NUMBER_KINDS = "iuf"  # numpy dtype kinds accepted as actions: signed, unsigned, float


class InventoryEnv(gym.Env[np.ndarray, np.ndarray]):
    metadata = {"render_modes": ["ansi"]}

    def __init__(self, config: str | SupplyChainConfig = "network", render_mode: str | None = None, **overrides):
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.render_mode = render_mode
        self.config = get_config(config, **overrides)
        self.race = ExpertRace(self.config)
        self.chain = self.race.chain  # row 0 is the agent's chain, row 1 the expert's
        self.caps = np.array(self.config.edge_caps(), dtype=np.int64)
        self._float_caps = self.caps.astype(np.float64)  # float * float: no cast per step
        self.observation_labels = self._labels()
        self.action_labels = [self.config.edge_label(k) for k in range(self.config.n_edges)]  # supply links
        self.action_space = spaces.Box(0.0, 1.0, shape=(self.config.n_edges,), dtype=np.float32)
        self.observation_space = spaces.Box(0.0, OBS_MAX, shape=(len(self.observation_labels),), dtype=np.float32)
        self.task = (f"Order stock on each of the {self.config.n_edges} supply links "
                     f"({self.config.description}) to maximize total discounted profit over "
                     f"{self.config.periods} periods. Each action entry is the fraction of its link's "
                     f"per-period maximum ({', '.join(map(str, self.caps.tolist()))} units) to order.")
        self._layout = _ObservationLayout(self.config)
        self._no_orders = np.zeros(self.config.n_edges, dtype=np.int64)
        self._last: PeriodOutcome | None = None

    # --- gymnasium API ----------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.race.reset(sample_demand(self.config, self.np_random, 1))
        self._last = None
        return self._observation(), self._info()

    def step(self, action):
        orders = self.action_to_orders(action)  # raises on programmer errors
        if self.chain.done:  # bad input, not a crash: nothing happens
            return self._result(0.0, "the episode is over; call reset()")
        error = None
        if orders is None:
            error = f"every entry must be a finite number, got {np.asarray(action)}; nothing was ordered"
            orders = self._no_orders
        self._last = self.race.step(orders)
        return self._result(float(self._last.reward[0]), error)

    def _result(self, reward: float, error: str | None) -> tuple:
        info = self._info(action_valid=error is None)
        if error:
            info["action_error"] = error
        over = self.chain.done
        terminated = over and self.config.finite_horizon
        return self._observation(), reward, terminated, over and not terminated, info

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        obs = self._observation()
        return "\n".join(f"{label}: {value:g}" for label, value in zip(self.observation_labels, obs))

    # --- actions ----------------------------------------------------------------------
    def action_to_orders(self, action) -> np.ndarray | None:
        """Whole units per link for an action in [0, 1]^links (outside values are clipped); None
        when an entry is NaN or infinite. Raises TypeError / ValueError on programmer errors."""
        values = np.asarray(action)
        if values.dtype.kind not in NUMBER_KINDS:
            raise TypeError(f"action must be {self.config.n_edges} number(s) in [0, 1], one per supply link "
                            f"(an array of shape {self.action_space.shape}), got {_describe(action)}")
        if values.size != self.config.n_edges:
            raise ValueError(f"action must have {self.config.n_edges} entries (one per link), got shape "
                             f"{values.shape}")
        fractions = values.reshape(-1).astype(np.float64)
        if not np.logical_and.reduce(np.isfinite(fractions)):  # ufunc reduce: no Python wrapper
            return None
        return np.rint(np.minimum(np.maximum(fractions, 0.0), 1.0) * self._float_caps).astype(np.int64)

    def orders_to_action(self, orders) -> np.ndarray:
        return (np.asarray(orders, dtype=np.float64) / self.caps).astype(np.float32)

    def expert_action(self) -> np.ndarray:
        """The tuned base-stock policy's action in the current state."""
        return self.orders_to_action(self.race.expert_orders()[ExpertRace.AGENT])

    # --- helpers -----------------------------------------------------------------------
    def _labels(self) -> list[str]:
        cfg = self.config
        labels = [f"on_hand[{n.name}]" for n in cfg.nodes if not n.source]
        if cfg.backlog:
            labels += [f"backlog[{cfg.nodes[i].name}]" for i in cfg.retail_nodes]
            labels += [f"owed[{cfg.edge_label(k)}]" for k in range(cfg.n_edges)]
        for k, e in enumerate(cfg.edges):
            labels += [f"on_way[{cfg.edge_label(k)}][+{j}]" for j in range(e.lead_time)]
        labels += [f"last_demand[{cfg.nodes[i].name}]" for i in cfg.retail_nodes]
        return labels + ["time_left"]

    def _observation(self) -> np.ndarray:
        return self._layout.fill(self.chain)

    def _info(self, action_valid: bool | None = None) -> dict:
        info = {"task": self.task, "won": self.race.won, "period": self.chain.t}
        if action_valid is not None:
            info["action_valid"] = action_valid
        if self._last is not None:
            info["profit"] = float(self._last.total_profit[0])
            info["demand"] = sum(self._last.demand[0].tolist())  # Python ints: exact and quicker here
            info["unmet_demand"] = sum(self._last.unmet[0].tolist())
        return info


class _ObservationLayout:
    """Where each part of the agent's state goes in the observation vector (see ``_labels``),
    worked out once so building an observation is a handful of array copies."""

    def __init__(self, cfg: SupplyChainConfig):
        self.cfg = cfg
        self.stocking = np.array([i for i, n in enumerate(cfg.nodes) if not n.source])
        self.retail = np.array(cfg.retail_nodes)
        width = cfg.max_lead_time + 1  # a pipeline row's length
        self.pipeline = np.array([k * width + j for k, e in enumerate(cfg.edges) for j in range(e.lead_time)],
                                 dtype=np.int64)
        sizes = [len(self.stocking)]
        if cfg.backlog:
            sizes += [len(self.retail), cfg.n_edges]
        sizes += [len(self.pipeline), len(self.retail), 1]
        bounds = np.cumsum([0, *sizes])
        slices = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
        self.on_hand = slices.pop(0)
        self.backlog, self.owed = (slices.pop(0), slices.pop(0)) if cfg.backlog else (None, None)
        self.on_way, self.last_demand, _ = slices
        self.buffer = np.zeros(bounds[-1])

    def fill(self, chain) -> np.ndarray:
        obs, cfg, t = self.buffer, self.cfg, chain.t
        obs[self.on_hand] = chain.on_hand[0].take(self.stocking)  # take: quicker than fancy indexing
        if cfg.backlog:
            obs[self.backlog] = chain.backlog[0].take(self.retail)
            obs[self.owed] = chain.owed[0]
        obs[self.on_way] = chain.pipeline[0].take(self.pipeline)  # flat indices into row 0
        obs[self.last_demand] = chain.demand_trace[0, t - 1].take(self.retail) if t > 0 else 0
        obs[-1] = (cfg.periods - t) / cfg.periods
        np.minimum(obs, OBS_MAX, out=obs)  # every entry is a count or the time left, so never below 0
        return obs.astype(np.float32)


def _describe(action) -> str:
    text = repr(action)
    return f"{type(action).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"
