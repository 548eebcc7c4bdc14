"""Per-role statistics of multi-agent step rows: calls, invalid rate, approval rate (95% Wilson CIs).

A *call* is a row where the role had the turn (``info["to_act"]``, true in every row of an env
without turn-taking). A *verdict* is a valid call whose action approves or rejects: ``approve`` /
``accept`` / ``sufficient`` count as approvals, ``reject`` / ``insufficient`` as rejections (the
collab-math and search-QA verifiers); a role that never gives one has no approval rate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from training.records import StepRecord
from training.stats import Estimate, wilson_interval

APPROVALS = ("approve", "accept", "sufficient")
REJECTIONS = ("reject", "insufficient", "not sufficient")


@dataclass(frozen=True)
class RoleStats:
    calls: int
    invalid: Estimate
    approval: Estimate | None  # None: the role gave no verdict

    def __str__(self) -> str:
        approval = "-" if self.approval is None else str(self.approval)
        return f"calls {self.calls:>5}  invalid {self.invalid}  approval {approval}"


def verdict(action: str) -> bool | None:
    """True for an approval, False for a rejection, None for any other action."""
    text = action.strip().lower()
    if text.startswith(REJECTIONS):  # before APPROVALS: "insufficient" is no "sufficient"
        return False
    if text.startswith(APPROVALS):
        return True
    return None


def role_stats(records: Sequence[StepRecord]) -> dict[str, RoleStats]:
    calls: dict[str, list[StepRecord]] = defaultdict(list)
    for r in records:
        if r.info.get("to_act", True):
            calls[str(r.agent_id)].append(r)
    out = {}
    for role in sorted(calls):
        rows = calls[role]
        verdicts = [v for v in (verdict(r.action) for r in rows if r.action_valid) if v is not None]
        out[role] = RoleStats(
            calls=len(rows),
            invalid=wilson_interval(sum(not r.action_valid for r in rows), len(rows)),
            approval=wilson_interval(sum(verdicts), len(verdicts)) if verdicts else None,
        )
    return out
