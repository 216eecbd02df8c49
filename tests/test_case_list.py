"""The case list tells the truth (issue 15, item 6): status-tab counts follow the active filters, and
the tier filter and badge use the customer's tier now, with the tier at start shown on the case."""

from __future__ import annotations

import re

from workflows.customers.operations import create_customer, set_tier

from .conftest import NEEDS
from .test_pages import EN, ZH, login


def _tab_counts(html: str) -> dict[str, int]:
    return {
        s: int(n) for s, n in re.findall(r'tab-(\w+)"[^>]*>[^<]*<span class="tab-count">(\d+)</span>', html)
    }


def _rows(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr class="[^"]*" data-case="(\d+)"', html)]


def test_status_tab_counts_follow_the_filters(session, clock, start_case, work, client):
    kyoto = [start_case().id, start_case().id]
    work(
        start_case(),
        "collect_needs",
        new_customer={"name": "Osaka Trip"},
        **{**NEEDS, "destination": "Osaka"},
    )
    session.commit()
    login(client, "service_supervisor")
    everything = _tab_counts(client.get("/cases", headers=EN).get_data(as_text=True))
    assert everything["running"] == 3
    searched = client.get("/cases?q=Osaka", headers=EN).get_data(as_text=True)
    assert _tab_counts(searched) == {"running": 1} and len(_rows(searched)) == 1
    # the tab itself does not narrow its own count: the running tab of a search for Osaka says 1
    assert _tab_counts(client.get("/cases?q=Osaka&status=running", headers=EN).get_data(as_text=True)) == {
        "running": 1
    }
    assert kyoto  # started, no customer yet: not in the Osaka search


def test_the_tier_filter_and_badge_use_the_tier_now(session, clock, start_case, work, client):
    customer = create_customer(session, {"name": "Rising Star"}, now=clock.now())
    session.commit()
    case = work(start_case(), "collect_needs", customer_id=customer.id, **NEEDS)
    set_tier(session, customer, "A", by="test", reason="spent a lot", now=clock.now())
    session.commit()
    login(client, "service_supervisor")
    as_a = client.get("/cases?tier=A", headers=EN).get_data(as_text=True)
    assert _rows(as_a) == [case.id]
    assert '<span class="tier tier-A"' in as_a
    assert _rows(client.get("/cases?tier=C", headers=EN).get_data(as_text=True)) == []
    assert _tab_counts(client.get("/cases?tier=C", headers=EN).get_data(as_text=True)) == {}
    shown = client.get(f"/cases/{case.id}", headers=EN).get_data(as_text=True)
    assert '<span class="tier tier-A"' in shown and "Tier at start: C" in shown
    assert "开始时的等级" in client.get(f"/cases/{case.id}", headers=ZH).get_data(as_text=True)
