"""Advantage estimators: pure functions from step rows to one advantage per row.

Each takes a sequence of ``training.records.StepRecord`` (or the equivalent columns, see
``steps``) and returns a float64 numpy array aligned with the input rows. ``ESTIMATORS`` is
their registry: ``algorithm.estimator`` picks one by name, and each declares the settings it
reads; other packages add theirs through the entry-point group ``agora.estimators``.
"""

from training.advantages.drmas import drmas_advantages
from training.advantages.gigpo import gigpo_advantages, gigpo_step_advantages
from training.advantages.grpo import grpo_advantages
from training.advantages.hgpo import hgpo_advantages
from training.advantages.steps import StepBatch, as_batch, discounted_returns
from training.registry import EstimatorSpec, Registry

ESTIMATORS = Registry("estimator", "agora.estimators", EstimatorSpec)

NORM = {"algorithm.norm_mode": "mode"}
STEP_RETURNS = {"algorithm.gamma": "gamma", "algorithm.invalid_penalty": "invalid_penalty"}
ESTIMATORS.register(EstimatorSpec(
    "grpo", grpo_advantages, {**NORM, "algorithm.group_stats": "stats"},
    doc="GRPO / Dr. GRPO: each trajectory's total reward normalised within its task group",
))
ESTIMATORS.register(EstimatorSpec(
    "gigpo", gigpo_advantages, {**NORM, **STEP_RETURNS, "algorithm.group_stats": "stats", "algorithm.omega": "omega"},
    doc="GiGPO: GRPO's episode advantage plus omega x step returns normalised within anchor-state groups",
))
ESTIMATORS.register(EstimatorSpec(
    "hgpo", hgpo_advantages,
    {**NORM, **STEP_RETURNS, "rollout.memory_k": "memory_window", "algorithm.hgpo_alpha": "alpha",
     "algorithm.hgpo_base_group": "base_group"},
    doc="HGPO: step returns normalised within groups of equal observation histories, up to the memory window",
))
# Dr. MAS normalises the undiscounted outcome (its gamma stays 1), agent by agent.
ESTIMATORS.register(EstimatorSpec(
    "drmas", drmas_advantages, {**NORM, "algorithm.invalid_penalty": "invalid_penalty"},
    doc="Dr. MAS: return-to-go normalised within (task group, agent id) groups",
))

__all__ = [
    "ESTIMATORS",
    "StepBatch",
    "as_batch",
    "discounted_returns",
    "drmas_advantages",
    "gigpo_advantages",
    "gigpo_step_advantages",
    "grpo_advantages",
    "hgpo_advantages",
]
