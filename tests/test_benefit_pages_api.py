"""The benefit areas over JSON and as pages: roles, bad input naming the field, refusals in both languages."""

from __future__ import annotations

from datetime import datetime

from workflows.customers.operations import create_customer, set_tier

from .conftest import SHANGHAI
from .test_benefit_routes import ROUTE
from .test_pages import login

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def _customers(session, clock):
    made = {}
    for name, tier in (("Zhou Min", "A"), ("Wu Lei", "C")):
        row = create_customer(session, {"name": name, "email": f"{tier.lower()}@example.cn"}, now=clock.now())
        set_tier(session, row, tier, by="test", reason=None, now=clock.now())
        made[tier] = row.id
    session.commit()
    return made


def test_routes_over_the_api(api, session, clock):
    ids = _customers(session, clock)
    assert api.as_("account_manager").post("/api/v1/departures", json=ROUTE).status_code == 403
    bad = api.as_("travel_advisor").post("/api/v1/departures", json={**ROUTE, "seats": "many"})
    assert bad.status_code == 400 and [d["field"] for d in bad.get_json()["details"]] == ["seats"]
    created = api.post("/api/v1/departures", json={**ROUTE, "seats": 1})
    assert created.status_code == 201, created.get_json()
    departure = created.get_json()
    assert departure["priority_opens_on"] == "2026-12-06" and departure["seats_left"] == 1
    clock.set(datetime(2026, 12, 10, 10, tzinfo=SHANGHAI))
    url = f"/api/v1/departures/{departure['id']}/bookings"
    early = api.as_("account_manager").post(url, json={"customer_id": ids["C"]})
    assert early.status_code == 409 and "2026-12-20" in early.get_json()["message"]
    booked = api.post(url, json={"customer_id": ids["A"]})
    assert (
        booked.status_code == 201 and booked.get_json()["status"] == "booked" and booked.get_json()["case_id"]
    )
    clock.set(datetime(2026, 12, 20, 10, tzinfo=SHANGHAI))
    assert api.post(url, json={"customer_id": ids["C"]}).get_json()["status"] == "waitlisted"
    assert api.post(url, json={"customer_id": "me"}).status_code == 400
    shown = api.get(f"/api/v1/departures/{departure['id']}").get_json()
    assert [(b["customer_name"], b["status"]) for b in shown["bookings"]] == [
        ("Zhou Min", "booked"),
        ("Wu Lei", "waitlisted"),
    ]
    cancelled = api.post(f"/api/v1/bookings/{booked.get_json()['id']}/cancel", json={})
    assert cancelled.status_code == 200
    shown = api.get(f"/api/v1/departures/{departure['id']}").get_json()
    assert {b["customer_name"]: b["status"] for b in shown["bookings"]} == {
        "Zhou Min": "cancelled",
        "Wu Lei": "booked",
    }


def test_campaigns_and_events_over_the_api(api, session, clock):
    ids = _customers(session, clock)
    body = {"title": "Islands", "body": "Early bird", "min_tier": "A"}
    assert api.as_("customer_service").post("/api/v1/campaigns", json=body).status_code == 403
    bad = api.as_("account_manager").post("/api/v1/campaigns", json={**body, "min_tier": "Z"})
    assert bad.status_code == 400 and [d["field"] for d in bad.get_json()["details"]] == ["min_tier"]
    campaign = api.post("/api/v1/campaigns", json=body).get_json()
    sent = api.post(f"/api/v1/campaigns/{campaign['id']}/send", json={}).get_json()
    assert [d["customer_name"] for d in sent["deliveries"]] == ["Zhou Min"]
    assert api.post(f"/api/v1/campaigns/{campaign['id']}/send", json={}).status_code == 409
    assert api.put(f"/api/v1/customers/{ids['A']}/opt-out", json={"opted_out": True}).get_json() == {
        "opted_out": True
    }
    card = api.get(f"/api/v1/customers/{ids['A']}/benefits").get_json()
    assert card["opted_out"] is True and [c["title"] for c in card["campaigns"]] == ["Islands"]
    assert api.get("/api/v1/customers/99999/benefits").status_code == 404
    event = {
        "title": "Tea",
        "starts_at": "2026-12-30T15:00:00+08:00",
        "capacity": 1,
        "invitations_from": "2026-11-23",
    }
    assert api.as_("travel_advisor").post("/api/v1/events", json=event).status_code == 403
    created = api.as_("service_supervisor").post("/api/v1/events", json=event)
    assert created.status_code == 201
    event_id = created.get_json()["id"]
    assert api.post(f"/api/v1/events/{event_id}/invitations", json={}).get_json() == {
        "invited": 1
    }  # the A tier first
    clock.set(datetime(2026, 11, 30, 10, tzinfo=SHANGHAI))
    assert api.post(f"/api/v1/events/{event_id}/invitations", json={}).get_json() == {
        "invited": 1
    }  # a week later
    invitation = api.get(f"/api/v1/events/{event_id}").get_json()["invitations"][0]
    bad_rsvp = api.post(f"/api/v1/invitations/{invitation['id']}/rsvp", json={"answer": "maybe"})
    assert bad_rsvp.status_code == 400 and bad_rsvp.get_json()["details"][0]["field"] == "answer"
    ok = api.post(f"/api/v1/invitations/{invitation['id']}/rsvp", json={"answer": "yes"})
    assert ok.get_json()["status"] == "attending"
    early = api.post(f"/api/v1/invitations/{invitation['id']}/attendance", json={"attended": True})
    assert early.status_code == 409


def test_pages_in_both_languages(client, api, session, clock):
    ids = _customers(session, clock)
    departure = api.as_("travel_advisor").post("/api/v1/departures", json=ROUTE).get_json()
    login(client, "account_manager")
    for url in ("/routes", f"/routes/{departure['id']}", "/campaigns", "/events", f"/customers/{ids['A']}"):
        assert client.get(url, headers=EN).status_code == 200, url
        assert client.get(url, headers=ZH).status_code == 200, url
    routes = client.get("/routes", headers=ZH).get_data(as_text=True)
    assert "热门线路" in routes and "Classic Yunnan" in routes
    refused = client.post(f"/routes/{departure['id']}/book", data={"customer_id": ids["C"]}, headers=ZH)
    assert refused.status_code == 409 and "2026-12-20" in refused.get_data(as_text=True)
    missing = client.post(f"/routes/{departure['id']}/book", data={"customer_id": ""}, headers=EN)
    assert missing.status_code == 400 and "This field is required." in missing.get_data(as_text=True)
    done = client.post(f"/routes/{departure['id']}/book", data={"customer_id": ids["C"]}, headers=EN)
    assert done.status_code == 409
    clock.set(datetime(2026, 12, 10, 10, tzinfo=SHANGHAI))
    login(client, "account_manager")  # a sign-in lasts at most a week
    done = client.post(f"/routes/{departure['id']}/book", data={"customer_id": ids["A"]}, headers=EN)
    assert done.status_code == 302
    card = client.get(f"/customers/{ids['A']}", headers=ZH).get_data(as_text=True)
    assert "Classic Yunnan" in card and "会员权益" in card
    bad_campaign = client.post("/campaigns", data={"title": "", "body": "x", "min_tier": "B"}, headers=EN)
    assert bad_campaign.status_code == 400
    client.post(f"/customers/{ids['A']}/opt-out", data={"opted_out": "1"})
    assert "退订" in client.get(f"/customers/{ids['A']}", headers=ZH).get_data(as_text=True)
    login(client, "travel_advisor")
    bad_route = client.post("/routes", data={"route_name": "X", "seats": "0"}, headers=EN)
    assert bad_route.status_code == 400
    fewer = client.post(f"/routes/{departure['id']}/edit", data={"seats": "0", "price": "6000"}, headers=ZH)
    assert fewer.status_code == 400 and "field has-error" in fewer.get_data(as_text=True)
    more = client.post(
        f"/routes/{departure['id']}/edit", data={"seats": "3", "price": "5800", "release_on": "2026-12-20"}
    )
    assert more.status_code == 302
    assert api.as_("travel_advisor").get(f"/api/v1/departures/{departure['id']}").get_json()["price"] == 5800
    assert client.post("/campaigns", data={"title": "t", "body": "b", "min_tier": "B"}).status_code == 403
