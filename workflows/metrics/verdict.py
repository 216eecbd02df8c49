"""How far a figure can be trusted: met, missed, no data, or too few answers to say much.

A figure without a value has no verdict, whatever its target says: "no data" is never "met", and
a findings text may only say all targets were met when every targeted figure has data and met it.
"""

from __future__ import annotations

from typing import Any

SMALL_SAMPLE = 30
# Figures computed from a sample (answers, reviews, resolved complaints, finished tasks); counts
# such as ``complaints`` or ``tiers`` are the whole population and are never a small sample.
SAMPLED = (
    "csat",
    "nps",
    "repurchase_rate",
    "complaint_resolution_hours",
    "plan_rejection_rate",
    "cycle_time",
)


def verdict(figure: dict[str, Any]) -> str:
    """``no_data``, ``met``, ``missed`` or ``untargeted`` (a figure without a target)."""
    if figure.get("value") is None:
        return "no_data"
    if figure.get("met") is True:
        return "met"
    if figure.get("met") is False:
        return "missed"
    return "untargeted"


def small_sample(key: str, figure: dict[str, Any]) -> bool:
    """A sampled figure with data, computed from fewer than ``SMALL_SAMPLE`` answers."""
    return key in SAMPLED and figure.get("value") is not None and int(figure.get("n") or 0) < SMALL_SAMPLE


def findings(figures: dict[str, dict[str, Any]]) -> str:
    """One line on the targets: the ones missed, the ones without data; "all targets met" only if true."""
    targeted = {k: f for k, f in figures.items() if f.get("target") is not None or "met" in f}
    missed = [
        f"{k} {f.get('value')} misses {f.get('target_text') or f.get('target')}"
        for k, f in targeted.items()
        if verdict(f) == "missed"
    ]
    empty = [k for k, f in targeted.items() if verdict(f) == "no_data"]
    notes = missed + ([f"no data for {', '.join(empty)}"] if empty else [])
    if notes:
        return "; ".join(notes)
    return "all targets met" if targeted else "no targets"
