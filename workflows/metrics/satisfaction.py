"""Customer satisfaction of the quarterly review [003 §7.1]: CSAT and NPS from the feedback tasks."""

from __future__ import annotations

from collections import Counter

from workflows.metrics.figures import Figure, Scope, no_data, number, percent
from workflows.metrics.trail import events_in, values_after

FEEDBACK_TASKS = ("revisit_call", "collect_survey")


def _feedback_answers(scope: Scope, key: str) -> list[tuple[int, float]]:
    events = scope.once("feedback", lambda: events_in(scope, "task_completed", FEEDBACK_TASKS))
    values = values_after(scope.session, events, key)
    return [(e.case_id or 0, v) for e in events if (v := number(values.get(e.id))) is not None]


def csat(scope: Scope) -> Figure:
    """CSAT = 100 × (feedback answers with satisfaction ≥ 4) ÷ (feedback answers) [003 §7.1].

    Answers: completions of ``revisit_call`` and ``collect_survey`` in the period; target ≥ 90 %.
    """
    answers = _feedback_answers(scope, "satisfaction")
    target, text = 90.0, "≥ 90 %"
    if not answers:
        return no_data("%", "no feedback in the period", target, text)
    satisfied = sum(1 for _c, v in answers if v >= 4)
    value = percent(satisfied, len(answers))
    distribution = Counter(int(v) for _c, v in answers)
    return Figure(
        value,
        "%",
        len(answers),
        target,
        text,
        value is not None and value >= target,
        details={
            "satisfied": satisfied,
            "distribution": {str(k): distribution.get(k, 0) for k in range(1, 6)},
        },
        case_ids=sorted({c for c, _v in answers}),
    )


def nps(scope: Scope) -> Figure:
    """NPS = 100 × (promoters, nps 9–10) ÷ answers − 100 × (detractors, nps 0–6) ÷ answers [003 §7.1].

    Answers: completions of ``revisit_call`` and ``collect_survey`` in the period; target ≥ 40.
    """
    answers = _feedback_answers(scope, "nps")
    target, text = 40.0, "≥ 40"
    if not answers:
        return no_data("points", "no feedback in the period", target, text)
    promoters = sum(1 for _c, v in answers if v >= 9)
    detractors = sum(1 for _c, v in answers if v <= 6)
    value = round(100.0 * (promoters - detractors) / len(answers), 2)
    return Figure(
        value,
        "points",
        len(answers),
        target,
        text,
        value >= target,
        details={
            "promoters": promoters,
            "passives": len(answers) - promoters - detractors,
            "detractors": detractors,
        },
        case_ids=sorted({c for c, _v in answers}),
    )
