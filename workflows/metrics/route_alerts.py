"""Filing an improvement item when a topic's complaints pass the threshold on a route [003 §5.2].

Read from the ``route_complaint_share`` figure of a quarter; each route and topic over the
threshold is filed once per quarter (``route_topic_alert``, unique per route, topic and quarter),
with the figures in the item's text, on the backlog the quarterly review triages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.models import Improvement, RouteTopicAlert

TOPIC_NAMES = {
    "transport": "交通",
    "hotel": "酒店",
    "meals": "餐饮",
    "guide": "导游",
    "itinerary": "行程安排",
    "price": "价格",
    "other": "其他",
}


def alert_text(row: dict[str, Any], quarter: str, threshold: float) -> str:
    topic = row["topic"]
    return (
        f"线路「{row['route']}」{quarter}「{TOPIC_NAMES.get(topic, topic)}」投诉占比 {row['share']:g} %"
        f"（{row['n']} 条反馈中 {row['complaints']} 条投诉，超过 {threshold:g} %），请联合地接社调研改进。"
        f" / Route {row['route']}, {quarter}: {topic} complaints are {row['share']:g} % of the route's "
        f"feedback ({row['complaints']} of {row['n']}), above {threshold:g} %."
    )


def file_route_alerts(
    session: Session, figure: dict[str, Any], quarter: str, *, now: datetime, case_id: int | None
) -> list[dict[str, Any]]:
    """New improvement items for the figure's ``over_threshold`` pairs not yet filed this quarter:
    ``[{route, topic, share, improvement_id}]``. Does not commit."""
    filed = []
    threshold = float(figure.get("topic_share_pct") or 0)
    for row in (figure.get("over_threshold") or {}).values():
        exists = session.scalars(
            select(RouteTopicAlert.id).where(
                RouteTopicAlert.route == row["route"],
                RouteTopicAlert.topic == row["topic"],
                RouteTopicAlert.quarter == quarter,
            )
        ).first()
        if exists is not None:
            continue
        item = Improvement(
            case_id=case_id,
            topic=row["topic"],
            text=alert_text(row, quarter, threshold),
            status="open",
            created_at=now,
        )
        session.add(item)
        session.flush()
        session.add(
            RouteTopicAlert(
                route=row["route"],
                topic=row["topic"],
                quarter=quarter,
                share=row["share"],
                improvement_id=item.id,
                created_at=now,
            )
        )
        session.flush()
        filed.append(
            {"route": row["route"], "topic": row["topic"], "share": row["share"], "improvement_id": item.id}
        )
    return filed
