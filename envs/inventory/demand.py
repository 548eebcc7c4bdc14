"""Customer demand at a retail node: Poisson with a mean that may move over time.

The mean in period ``t`` (0-based) is

    mean(t) = (base + trend * t) * (1 + amplitude * sin(2 pi (t + phase) / season_length)) * shock(t)

clipped at 0, where ``shock(t)`` is ``shock_multiplier`` for ``shock_start <= t < shock_start +
shock_length`` and 1 otherwise. With the defaults this is stationary Poisson(base). A fixed
``sequence`` replaces sampling altogether (cycled if shorter than the horizon), which is how
tests pin demand down by hand.

Demand is exogenous (orders never change it), so an episode's whole trace is drawn at reset from
the env's ``np_random``: the same seed gives the same demand stream whatever the agent does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class DemandConfig:
    mean: float
    trend: float = 0.0
    amplitude: float = 0.0
    season_length: int = 12
    phase: float = 0.0
    shock_start: int | None = None
    shock_length: int = 0
    shock_multiplier: float = 1.0
    sequence: tuple[int, ...] | None = None

    def __post_init__(self):
        if not math.isfinite(self.mean) or self.mean < 0:
            raise ValueError(f"demand mean must be a finite number >= 0, got {self.mean}")
        if not 0 <= self.amplitude <= 1:
            raise ValueError(f"seasonal amplitude must lie in [0, 1], got {self.amplitude}")
        if self.season_length < 1:
            raise ValueError(f"season_length must be >= 1, got {self.season_length}")
        if self.shock_multiplier < 0 or self.shock_length < 0:
            raise ValueError("shock_multiplier and shock_length must be >= 0")
        if self.sequence is not None:
            if len(self.sequence) == 0 or any(int(d) != d or d < 0 for d in self.sequence):
                raise ValueError(f"a fixed demand sequence needs non-negative integers, got {self.sequence}")

    @property
    def stationary(self) -> bool:
        return self.sequence is None and self.trend == 0 and self.amplitude == 0 and self.shock_start is None

    def mean_at(self, t: int) -> float:
        """Expected demand in period ``t``."""
        if self.sequence is not None:
            return float(self.sequence[t % len(self.sequence)])
        level = self.mean + self.trend * t
        level *= 1.0 + self.amplitude * math.sin(2 * math.pi * (t + self.phase) / self.season_length)
        if self.shock_start is not None and self.shock_start <= t < self.shock_start + self.shock_length:
            level *= self.shock_multiplier
        return max(level, 0.0)

    def means(self, periods: int) -> np.ndarray:
        """Expected demand in periods 0..periods-1 (computed once per horizon: every reset samples)."""
        return _means(self, periods)

    def sample(self, rng: np.random.Generator, periods: int, batch: int = 1) -> np.ndarray:
        """An int64 array ``(batch, periods)`` of demands."""
        means = self.means(periods)
        if self.sequence is not None:
            return np.broadcast_to(means.astype(np.int64), (batch, periods)).copy()
        return rng.poisson(means, size=(batch, periods)).astype(np.int64)

    def describe(self) -> str:
        if self.sequence is not None:
            return f"a fixed demand pattern {list(self.sequence)}"
        parts = [f"Poisson demand with mean {self.mean:g}"]
        if self.trend:
            parts.append(f"a trend of {self.trend:+g} per period")
        if self.amplitude:
            parts.append(f"a seasonal swing of +/-{self.amplitude:.0%} over {self.season_length} periods")
        if self.shock_start is not None:
            parts.append(
                f"a shock (x{self.shock_multiplier:g}) from period {self.shock_start + 1} "
                f"for {self.shock_length} periods"
            )
        return ", ".join(parts)


@lru_cache(maxsize=256)
def _means(config: DemandConfig, periods: int) -> np.ndarray:
    means = np.array([config.mean_at(t) for t in range(periods)])
    means.flags.writeable = False  # shared by every caller
    return means


def poisson_pmf(mean: float, n: int) -> np.ndarray:
    """P(D = 0..n-1) for D ~ Poisson(mean), computed in log space (no scipy)."""
    k = np.arange(n)
    if mean == 0:
        return (k == 0).astype(float)
    log_pmf = k * math.log(mean) - mean - np.array([math.lgamma(i + 1) for i in k])
    return np.exp(log_pmf)
