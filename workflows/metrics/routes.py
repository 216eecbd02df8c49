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
    """Per route and topic: complaints, the route's answers and the share (``routes``); the pairs
    over the threshold (``over_threshold``). Value: the highest share among judged routes;
    target: ``topic_share_pct``, met when no judged route passes it."""
    try:
        rules = decision_outputs(scope.session, SERVICE_FIGURES)
    except NotFound:
        return no_data("%", "the DMN table service_figure_rules is not deployed")
    threshold, minimum = float(rules["topic_share_pct"]), int(rules["min_route_feedback"])
    feedback = route_feedback(scope)
    routes: dict[str, dict[str, Any]] = {}
    over: dict[str, dict[str, Any]] = {}
    highest: float | None = None
    cases: set[int] = set()
    for route, answers in sorted(feedback.items()):
        counts: dict[str, int] = defaultdict(int)
        for case_id, category, topic in answers:
            if category == "complaint":
                counts[topic] += 1
                cases.add(case_id)
        judged = len(answers) >= minimum
        topics = {
            topic: {"complaints": count, "share": round(100.0 * count / len(answers), 2)}
            for topic, count in sorted(counts.items())
        }
        routes[route] = {"n": len(answers), "judged": judged, "topics": topics}
        if not judged:
            continue
        for topic, row in topics.items():
            highest = row["share"] if highest is None else max(highest, row["share"])
            if row["share"] > threshold:
                over[f"{route} / {topic}"] = {"route": route, "topic": topic, "n": len(answers), **row}
        highest = 0.0 if highest is None else highest
    details = {
        "routes": routes,
        "over_threshold": over,
        "topic_share_pct": threshold,
        "min_route_feedback": minimum,
    }
    text = f"≤ {threshold:g} % per route and topic"
    n = sum(len(a) for a in feedback.values())
    if highest is None:
        reason = "no feedback in the period" if not feedback else f"no route has {minimum} answers yet"
        figure = no_data("%", reason, threshold, text, **details)
        figure.n = n  # the answers are there, only no route has enough of them to be judged
        return figure
    return Figure(highest, "%", n, threshold, text, not over, details=details, case_ids=sorted(cases))
