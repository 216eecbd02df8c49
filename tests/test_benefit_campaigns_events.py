"""News and promotions reach their target group only (opted-out customers never), by a real SMTP
server after commit; member events fill B-first as the clock crosses the invitation waves."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from webapp.after_commit import after_commit_round
from workflows.benefits import campaigns, events
from workflows.customers.operations import create_customer, set_tier
from workflows.errors import Conflict, Forbidden, Invalid
from workflows.models import CampaignDelivery, Case, Trip

from .conftest import SHANGHAI, actor, insert_trip_case
from .test_notifications import smtp_server  # noqa: F401 - the real SMTP server fixture


def customer(session, clock, name, tier, *, email=None, destination=None, member=True):
    row = create_customer(session, {"name": name, "email": email}, now=clock.now())
    set_tier(session, row, tier, by="test", reason=None, now=clock.now())
    if member:
        case_id = insert_trip_case(session, clock, status="completed")
        session.get(Case, case_id).customer_id = row.id
        session.add(
            Trip(
                case_id=case_id,
                customer_id=row.id,
                destination=destination,
                signed_on=date(2026, 3, 1),
                updated_at=clock.now(),
            )
        )
    session.commit()
    return row


def test_a_campaign_reaches_its_target_group_only(app, session, rt, clock, smtp_server):  # noqa: F811
    islands_b = customer(
        session, clock, "Island B", "B", email="b@example.cn", destination="Maldives islands"
    )
    islands_a = customer(session, clock, "Island A", "A", destination="Phuket islands")  # no address
    mountains_a = customer(session, clock, "Mountain A", "A", email="m@example.cn", destination="Tibet")
    islands_c = customer(session, clock, "Island C", "C", email="c@example.cn", destination="Bali islands")
    opted = customer(session, clock, "Opted Out", "A", email="o@example.cn", destination="Sanya islands")
    campaigns.set_opt_out(session, rt, opted.id, {"opted_out": True}, actor("customer_service"))
    campaign = campaigns.create(
        session,
        rt,
        {"title": "海岛早鸟价", "body": "马尔代夫 9 折", "min_tier": "B", "interest": "Islands"},
        actor("account_manager"),
    )
    sent = campaigns.send(session, rt, campaign.id, actor("account_manager"))
    assert sorted(d.customer_id for d in sent) == sorted([islands_b.id, islands_a.id])
    assert {d.customer_id: d.channel for d in sent} == {islands_b.id: "email", islands_a.id: "record"}
    assert smtp_server.messages == []  # nothing leaves inside the transaction
    assert after_commit_round(app, rt)["campaign_emails"] == 1
    [(recipients, message)] = smtp_server.messages
    assert recipients == ["b@example.cn"]
    assert mountains_a.id not in {d.customer_id for d in sent} and islands_c.id not in {
        d.customer_id for d in sent
    }
    session.expire_all()
    assert (
        session.scalars(
            select(CampaignDelivery.email_status).where(CampaignDelivery.customer_id == islands_b.id)
        ).one()
        == "sent"
    )
    with pytest.raises(Conflict):
        campaigns.send(session, rt, campaign.id, actor("account_manager"))
    assert [c.title for _d, c in campaigns.received_by(session, islands_b.id)] == ["海岛早鸟价"]


def test_campaign_wrong_role_and_bad_input(session, rt):
    with pytest.raises(Forbidden):
        campaigns.create(session, rt, {"title": "x", "body": "y", "min_tier": "B"}, actor("travel_advisor"))
    with pytest.raises(Invalid) as bad:
        campaigns.create(session, rt, {"title": "", "body": "y", "min_tier": "D"}, actor("account_manager"))
    assert {d["field"] for d in bad.value.details} == {"title", "min_tier"}
    with pytest.raises(Invalid) as opt:
        campaigns.set_opt_out(session, rt, 1, {"opted_out": "maybe"}, actor("account_manager"))
    assert [d["field"] for d in opt.value.details] == ["opted_out"]


def at(day, hour=10):
    return datetime(2026, 12, day, hour, 0, tzinfo=SHANGHAI)


def test_an_event_fills_b_first(session, rt, clock):
    b_tier = customer(session, clock, "B Member", "B")
    a_tier = customer(session, clock, "A Member", "A")
    c_tier = customer(session, clock, "C Member", "C")
    newcomer = customer(session, clock, "New Face", "C", member=False)
    event = events.create(
        session,
        rt,
        {
            "title": "新年茶话会",
            "starts_at": "2026-12-30T15:00:00+08:00",
            "capacity": 2,
            "invitations_from": "2026-12-01",
        },
        actor("account_manager"),
    )
    clock.set(at(1))
    assert events.invite_due(session, rt) == 2  # B and above: the first wave
    invited = {c.id: i for i, c in events.invitations_of(session, event.id)}
    assert set(invited) == {b_tier.id, a_tier.id}
    clock.set(at(7))
    assert events.invite_due(session, rt) == 0  # C's wave opens a week later
    for member in (b_tier, a_tier):
        assert (
            events.record_rsvp(
                session, rt, invited[member.id].id, {"answer": "yes"}, actor("account_manager")
            ).status
            == "attending"
        )
    clock.set(at(8))
    assert events.send_invitations(session, rt, event.id, actor("service_supervisor")) == 2
    invited = {c.id: i for i, c in events.invitations_of(session, event.id)}
    assert (
        events.record_rsvp(
            session, rt, invited[c_tier.id].id, {"answer": "yes"}, actor("customer_service")
        ).status
        == "waitlisted"
    )
    events.record_rsvp(session, rt, invited[newcomer.id].id, {"answer": "yes"}, actor("customer_service"))
    events.record_rsvp(session, rt, invited[a_tier.id].id, {"answer": "no"}, actor("account_manager"))
    session.expire_all()
    statuses = {c.name: i.status for i, c in events.invitations_of(session, event.id)}
    assert statuses == {
        "B Member": "attending",
        "A Member": "declined",
        "C Member": "attending",
        "New Face": "waitlisted",
    }
    with pytest.raises(Conflict):
        events.record_attendance(
            session, rt, invited[b_tier.id].id, {"attended": True}, actor("account_manager")
        )
    clock.set(at(30, 16))
    events.record_attendance(session, rt, invited[b_tier.id].id, {"attended": True}, actor("account_manager"))
    [(invitation, _event)] = events.events_of_customer(session, b_tier.id)
    assert invitation.attended is True
    with pytest.raises(Conflict):
        events.record_rsvp(session, rt, invited[newcomer.id].id, {"answer": "no"}, actor("customer_service"))


def test_event_wrong_role_and_bad_input(session, rt):
    with pytest.raises(Forbidden):
        events.create(session, rt, {}, actor("travel_advisor"))
    with pytest.raises(Invalid) as bad:
        events.create(
            session,
            rt,
            {
                "title": "x",
                "starts_at": "2026-12-30T15:00:00+08:00",
                "capacity": 0,
                "invitations_from": "2027-01-01",
            },
            actor("account_manager"),
        )
    assert [d["field"] for d in bad.value.details] == ["capacity"]
    with pytest.raises(Invalid) as late:
        events.create(
            session,
            rt,
            {
                "title": "x",
                "starts_at": "2026-12-30T15:00:00+08:00",
                "capacity": 5,
                "invitations_from": "2027-01-01",
            },
            actor("account_manager"),
        )
    assert [d["field"] for d in late.value.details] == ["invitations_from"]


def test_invitations_go_out_by_email_in_waves(app, session, rt, clock, smtp_server):  # noqa: F811
    b_tier = customer(session, clock, "B Member", "B", email="b@example.cn")
    customer(session, clock, "C Member", "C", email="c@example.cn")
    customer(session, clock, "No Address", "A")
    events.create(
        session,
        rt,
        {
            "title": "新年茶话会",
            "location": "会客厅",
            "starts_at": "2026-12-30T15:00:00+08:00",
            "capacity": 5,
            "invitations_from": "2026-12-01",
        },
        actor("account_manager"),
    )
    clock.set(at(1))
    done = after_commit_round(app, rt)
    assert (done["event_invitations"], done["invitation_emails"]) == (2, 1)  # B and A; A has no address
    [(recipients, message)] = smtp_server.messages
    body = message.get_payload(decode=True).decode("utf-8")
    assert recipients == ["b@example.cn"] and "新年茶话会" in body and "2026-12-30 15:00" in body
    assert "会客厅" in body and b_tier.name in body
    assert after_commit_round(app, rt)["event_invitations"] == 0  # once a day
    clock.set(at(8))
    assert after_commit_round(app, rt)["invitation_emails"] == 1
    assert smtp_server.messages[1][0] == ["c@example.cn"]
