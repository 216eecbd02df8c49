"""The demo gives the value view, the churn list, the win-back campaign and the staff table data."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from demo import load_demo_history
from workflows import metrics
from workflows.models import Case, WinBack

from .test_pages import ZH, login


def test_demo_has_churned_customers_win_backs_and_staff(
    app: Flask, session: Any, client: Any, clock: Any
) -> None:
    summary = load_demo_history(app, trips=30, days=150, seed=18)
    assert "problem" not in summary, summary
    period = metrics.Period(clock.now().date().replace(day=1), clock.now().date())
    figures = metrics.metrics_json(session, period, clock.now())
    assert figures["churn"]["value"] > 0 and figures["value_segments"]["value"] is not None
    assert figures["staff"]["employees"]
    campaigns = session.scalar(select(func.count(Case.id)).where(Case.process_key == "win_back_campaign"))
    assert campaigns == 1  # 1 July falls in the 150 days before 23 November
    assert session.scalar(select(func.count(WinBack.id)).where(WinBack.outcome.is_not(None))) > 0
    imported = session.scalars(
        select(Case.id).where(Case.started_by == "system", Case.process_key == "trip")
    ).first()
    login(client, "service_supervisor")
    assert client.get(f"/cases/{imported}", headers=ZH).status_code == 200
    assert client.get("/customers/value", headers=ZH).status_code == 200
