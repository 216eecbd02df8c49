"""What the demo's account managers record on a win-back task (issue 18): a spread of outcomes,
so the churn list on the customers page shows won-back, unreachable and later customers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from demo.answers import Answers

OUTCOME_NOTES = {
    "won_back": "电话沟通后预订了春季行程",
    "not_interested": "近期没有出行计划",
    "unreachable": "电话未接通，已发微信留言",
    "later": "约好下个季度再联系",
}


def win_back(answers: Answers) -> dict[str, Any]:
    outcome = answers.rng.choices(list(OUTCOME_NOTES), [35, 20, 20, 25])[0]
    return {"outcome": outcome, "notes": OUTCOME_NOTES[outcome]}
