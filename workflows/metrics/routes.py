"""Complaint share by topic per route [003 §5.2: 某条热门线路的"用餐体验"投诉占比超15%].

A route is the destination of the trip the feedback is about. Its feedback in the period: the
``classify_feedback`` completions (every feedback answer is classified once); a topic's complaint
share = 100 × (answers classified ``category = complaint`` with that ``topic``) ÷ (the route's
answers). A route with at least ``min_route_feedback`` answers is judged; a share above
``topic_share_pct`` (DMN ``service_figure_rules``) is over the threshold, and the quarterly review
files an improvement item for it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from workflows.errors import NotFound
from workflows.metrics.figures import Figure, Scope, no_data
from workflows.metrics.rules import SERVICE_FIGURES, decision_outputs
from workflows.metrics.trail import chunks, events_in, values_after
from workflows.models import WorkItem


def route_feedback(scope: Scope) -> dict[str, list[tuple[int, str, str]]]:
    """``{route: [(case id, category, topic)]}`` of the answers classified in the period."""
    events = events_in(scope, "task_completed", ("classify_feedback",))
    categories = values_after(scope.session, events, "category")
    topics = values_after(scope.session, events, "topic")
    item_ids = [e.work_item_id for e in events if e.work_item_id]
    routes: dict[int, str | None] = {}
    for chunk in chunks(item_ids):
        routes.update(
            scope.session.execute(
                select(WorkItem.id, WorkItem.destination).where(WorkItem.id.in_(chunk))
            ).all()
        )
    found: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for event in events:
        route = routes.get(event.work_item_id or 0)
        if not route:
            continue
        found[route.strip()].append(
            (event.case_id or 0, str(categories.get(event.id) or ""), str(topics.get(event.id) or "other"))
        )
    return dict(found)


def route_complaint_share(scope: Scope) -> Figure:
    """Route topics over the threshold in the period (value; target 0), with per route and topic
    the complaints, the route's answers and the share (``routes``), the pairs over the threshold
    (``over_threshold``) and the highest share of a judged route (``highest_share``). n: answers.
    ``met`` only once some route has enough answers to be judged."""
    try:
        rules = decision_outputs(scope.session, SERVICE_FIGURES)
    except NotFound:
        return no_data("route topics", "the DMN table service_figure_rules is not deployed")
    threshold, minimum = float(rules["topic_share_pct"]), int(rules["min_route_feedback"])
    feedback = route_feedback(scope)
    routes: dict[str, dict[str, Any]] = {}
    over: dict[str, dict[str, Any]] = {}
    highest: float | None = None
    judged = 0
    cases: set[int] = set()
    for route, answers in sorted(feedback.items()):
        counts: dict[str, int] = defaultdict(int)
        for case_id, category, topic in answers:
            if category == "complaint":
                counts[topic] += 1
                cases.add(case_id)
        topics = {
            topic: {"complaints": count, "share": round(100.0 * count / len(answers), 2)}
            for topic, count in sorted(counts.items())
        }
        routes[route] = {"n": len(answers), "judged": len(answers) >= minimum, "topics": topics}
        if len(answers) < minimum:
            continue
        judged += 1
        for topic, row in topics.items():
            highest = row["share"] if highest is None else max(highest, row["share"])
            if row["share"] > threshold:
                over[f"{route} / {topic}"] = {"route": route, "topic": topic, "n": len(answers), **row}
    details = {
        "routes": routes,
        "over_threshold": over,
        "judged_routes": judged,
        "highest_share": highest if highest is not None else (0.0 if judged else None),
        "topic_share_pct": threshold,
        "min_route_feedback": minimum,
    }
    text = f"no route topic above {threshold:g} %"
    n = sum(len(a) for a in feedback.values())
    if not feedback:
        return no_data("route topics", "no feedback in the period", 0, text, **details)
    met = not over if judged else None
    return Figure(len(over), "route topics", n, 0, text, met, details=details, case_ids=sorted(cases))
