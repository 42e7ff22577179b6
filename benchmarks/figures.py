"""Figures read from one worker result (a dict from worker.py), shared by the report and the targets."""

from __future__ import annotations

PHASES = ["parse", "build", "forward", "backward"]
FAMILIES = ["tree", "chain", "dag"]
BIG, HUGE = 10**4, 10**5


def ok(result: dict | None) -> bool:
    return bool(result) and result.get("status") == "ok"


def seconds(result: dict, *phases: str) -> float:
    """The sum of the given phases (all four, i.e. end to end, when none are given)."""
    return sum(result["phases"].get(p, 0.0) for p in (phases or PHASES))


def after_parse(result: dict) -> float:
    """Everything a runner does after reading the text: build, forward and backward."""
    return seconds(result, "build", "forward", "backward")


def peers_of(row: dict[str, dict]) -> list[str]:
    """The runners of a workload that compute gradients, ours and CPython aside."""
    return [name for name in row if name not in ("ours", "cpython")]
