"""The customer's trip page (issue 17): its link, what it shows, what the customer does there, and
crisis notices reaching trips. Real database, real models, the one clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from workflows.cases import operations as cases
from workflows.cases.interventions import update_case_data
from workflows.models import Case, CrisisNoticeTrip, Document, TripRating
from workflows.people.users import add_user
from workflows.permissions import SYSTEM

from .conftest import NEEDS, SHANGHAI, actor, open_task
from .security_world import deploy_test_model
from .test_trip import _plan_and_confirm

TOKEN = re.compile(r"/trip/([A-Za-z0-9_-]{20,64})")


def _trip(start_case, work, name, **needs):
    """A confirmed trip of a new customer; returns (case, token read from its confirmation letter)."""
    NEEDS_BACKUP = dict(NEEDS)
    NEEDS.update(needs)
    try:
        trip = _plan_and_confirm(start_case, work, price=8000, name=name)
    finally:
        NEEDS.clear()
        NEEDS.update(NEEDS_BACKUP)
    return trip


def _token(session, trip_id):
    letters = session.scalars(
        select(Document).where(
            Document.case_id == trip_id,
            Document.kind == "confirmation_letter",
            Document.content_type != "application/pdf",
        )
    ).all()
    [found] = {m for d in letters for m in TOKEN.findall(d.content.decode())}
    return found


def _children(session, trip_id, process):
    return session.scalars(select(Case).where(Case.parent_id == trip_id, Case.process_key == process)).all()


@pytest.fixture
def two_trips(start_case, work, session):
    a = _trip(start_case, work, "Zhou Xun")
    b = _trip(start_case, work, "Li Na", destination="Osaka")
    return (a, _token(session, a.id)), (b, _token(session, b.id))


def test_the_letter_carries_a_link_that_opens_only_its_trip(client, session, rt, clock, two_trips):
    (a, token_a), (b, token_b) = two_trips
    add_user(
        session, "guide_li", "correct-horse-battery", ["tour_guide"], now=clock.now(), display_name="李导 Li"
    )
    session.commit()
    update_case_data(session, rt, a.id, {"tour_guide": "guide_li"}, "guide assigned", actor("process_owner"))
    assert token_a != token_b
    page = client.get(f"/trip/{token_a}", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Zhou Xun" in text and "Kyoto" in text and "Gion" in text
    assert "Li Na" not in text and "Osaka" not in text and token_b not in text
    assert "评价我们的服务" in text and "400-800-8888" in text
    assert "李导 Li" in text and "guide_li" not in text  # the guide by name, never the user id
    assert page.headers["Cache-Control"] == "no-store"
    english = client.get(f"/trip/{token_a}?lang=en", follow_redirects=True).get_data(as_text=True)
    assert "Rate our service" in english
    letter = client.get(f"/trip/{token_a}/letter")
    assert letter.status_code == 200 and "Zhou Xun" in letter.get_data(as_text=True)
    letter_html = letter.get_data(as_text=True)
    assert letter_html.count(f"/trip/{token_a}") == 2  # the link's text and its href, in its own section
    assert letter_html.index("您的行程页面") < letter_html.index(f"/trip/{token_a}")


def test_a_rating_is_kept_when_the_trip_does_not_wait_for_it(client, session, two_trips):
    (a, token_a), (b, _token_b) = two_trips
    answer = client.post(f"/trip/{token_a}/rate", data={"score": "3", "text": "Bus late"})
    assert answer.status_code == 302
    [rating] = session.scalars(select(TripRating)).all()
    assert (rating.case_id, rating.score, rating.text, rating.delivered_at) == (a.id, 3, "Bus late", None)
    session.expire_all()
    trip = session.get(Case, a.id)
    assert trip.data["trip_ratings"][0]["score"] == 3 and trip.status == "running"
    assert "trip_ratings" not in (session.get(Case, b.id).data or {})


def test_a_problem_opens_a_complaint_raised_now_on_that_trip(client, session, clock, two_trips):
    (a, token_a), (b, _) = two_trips
    clock.set(datetime(2026, 12, 21, 10, 30, tzinfo=SHANGHAI))
    answer = client.post(f"/trip/{token_a}/problem", data={"details": "No hot water", "urgent": "on"})
    assert answer.status_code == 302
    [complaint] = _children(session, a.id, "complaint_handling")
    assert (
        datetime.fromisoformat(complaint.data["raised_at"]) == clock.now()
        and complaint.data["urgency"] == "urgent"
    )
    assert open_task(session, complaint.id, "resolve_complaint").due_at == datetime(
        2026, 12, 21, 12, 30, tzinfo=SHANGHAI
    )
    assert _children(session, b.id, "complaint_handling") == []


def test_a_change_48_hours_before_opens_a_change_request_and_23_hours_before_is_refused(
    client, session, clock, two_trips
):
    (a, token_a), _ = two_trips
    clock.set(datetime(2026, 12, 18, 0, 0, tzinfo=SHANGHAI))  # day 1 (20 Dec) starts in 48 h
    form = {"change_type": "hotel", "day": "1", "details": "A twin room instead of a double"}
    assert client.post(f"/trip/{token_a}/change", data=form).status_code == 302
    [change] = _children(session, a.id, "change_request")
    item = open_task(session, change.id, "submit_change_request")
    assert item.lane == "account_manager"
    assert change.data["change_source"] == "customer" and change.data["details"] == form["details"]
    assert change.data["change_type"] == "hotel"

    clock.set(datetime(2026, 12, 19, 1, 0, tzinfo=SHANGHAI))  # 23 h before
    refused = client.post(f"/trip/{token_a}/change", data=form, headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 400
    assert "服务开始前 24 小时内不接受变更" in refused.get_data(as_text=True)
    assert len(_children(session, a.id, "change_request")) == 1
    # day 2 starts in 47 h: still possible
    assert client.post(f"/trip/{token_a}/change", data={**form, "day": "2"}).status_code == 302

    # the account manager finds the customer's words in the change request's first form
    staff = client.application.test_client()
    staff.post("/login", data={"username": "account_manager", "password": "correct-horse-battery"})
    task_page = staff.get(f"/tasks/{item.id}").get_data(as_text=True)
    assert "A twin room instead of a double" in task_page


@pytest.mark.parametrize(
    ("path", "form", "status"),
    [
        ("rate", {"score": "9"}, 400),
        ("rate", {"score": "five"}, 400),
        ("rate", {"score": "4", "text": "x" * 2001}, 400),
        ("problem", {"details": ""}, 400),
        ("change", {"change_type": "dates", "day": "1", "details": "x"}, 400),
        ("change", {"change_type": "flight", "day": "40", "details": "x"}, 400),
        ("change", {"change_type": "flight", "day": "1", "time": "25:99", "details": "x"}, 400),
    ],
)
def test_hostile_input_is_400_and_changes_nothing(client, session, two_trips, path, form, status):
    (a, token_a), _ = two_trips
    clock_free = client.post(f"/trip/{token_a}/{path}", data=form)
    assert clock_free.status_code == status
    assert session.scalars(select(TripRating)).all() == []
    assert session.scalars(select(Case).where(Case.parent_id == a.id)).all() == []


def _tampered(token: str) -> str:
    """The token with its last character changed (to one it surely is not)."""
    return token[:-1] + ("y" if token[-1] == "x" else "x")


def test_tampered_revoked_and_expired_links_are_friendly_404_and_410(client, api, session, clock, two_trips):
    (a, token_a), (b, token_b) = two_trips
    assert client.get(f"/trip/{_tampered(token_a)}").status_code == 404
    assert client.get("/trip/<script>alert(1)</script>").status_code == 404
    assert client.post(f"/trip/{_tampered(token_a)}/rate", data={"score": "5"}).status_code == 404
    assert "找不到" in client.get("/trip/" + "A" * 30, headers={"Accept-Language": "zh"}).get_data(
        as_text=True
    )

    assert api.as_("travel_advisor").post(f"/api/v1/cases/{a.id}/trip-link").status_code == 403
    issued = api.as_("customer_service").post(f"/api/v1/cases/{a.id}/trip-link")
    assert issued.status_code == 201
    [new_token] = TOKEN.findall(issued.get_json()["url"])
    assert client.get(f"/trip/{token_a}").status_code == 410  # the reissue revoked the old link
    assert client.post(f"/trip/{token_a}/rate", data={"score": "5"}).status_code == 410
    assert client.get(f"/trip/{new_token}").status_code == 200
    assert api.as_("account_manager").delete(f"/api/v1/cases/{a.id}/trip-link").get_json()["revoked"] == 1
    assert client.get(f"/trip/{new_token}").status_code == 410
    assert client.get(f"/trip/{token_b}").status_code == 200  # the other trip's link is untouched

    clock.set(datetime(2027, 1, 26, 23, 0, tzinfo=SHANGHAI))  # 30 days after the 27 Dec return
    assert client.get(f"/trip/{token_b}").status_code == 200
    clock.set(datetime(2027, 1, 27, 0, 0, tzinfo=SHANGHAI))
    gone = client.get(f"/trip/{token_b}", headers={"Accept-Language": "en"})
    assert gone.status_code == 410 and "expired" in gone.get_data(as_text=True)


def test_the_customer_chooses_an_alternative_of_an_incident_of_their_trip_only(
    client, session, rt, clock, two_trips, work
):
    (a, token_a), (b, token_b) = two_trips
    assert "Choose an alternative" not in client.get(
        f"/trip/{token_a}?lang=en", follow_redirects=True
    ).get_data(as_text=True)  # no incidents: nothing shown
    clock.set(datetime(2026, 12, 13, 9, 0, tzinfo=UTC))  # a week before: the pre-trip calls
    cases.fire_due_timers(session, rt, SYSTEM)
    for trip in (a, b):
        work(trip, "pre_trip_call", details_confirmed=True, documents_reminded=True)
    clock.set(datetime(2026, 12, 20, 9, 0, tzinfo=UTC))  # both groups are on their way
    cases.fire_due_timers(session, rt, SYSTEM)
    start = {"kind": "closed_sight", "details": "Kinkaku-ji is closed"}
    incident = cases.start_case(session, rt, "trip_incident", {**start, "trip_case_id": a.id}, SYSTEM)
    other = cases.start_case(session, rt, "trip_incident", {**start, "trip_case_id": b.id}, SYSTEM)
    alternatives = [
        {"description": "Nijo Castle instead", "cost": 0},
        {"description": "Tea ceremony", "cost": 300},
    ]
    for case in (incident, other):
        work(case, "propose_alternatives", by="tour_guide", alternatives=alternatives)
    page = client.get(f"/trip/{token_a}").get_data(as_text=True)
    assert "Kinkaku-ji is closed" in page and "Tea ceremony" in page
    assert (
        client.post(f"/trip/{token_a}/incidents/{other.id}/choose", data={"choice": "1"}).status_code == 404
    )
    assert (
        client.post(f"/trip/{token_a}/incidents/{incident.id}/choose", data={"choice": "7"}).status_code
        == 400
    )
    assert (
        client.post(f"/trip/{token_a}/incidents/{incident.id}/choose", data={"choice": "1"}).status_code
        == 302
    )
    session.expire_all()
    done = session.get(Case, incident.id)
    assert done.status == "completed", (done.status, done.data)
    assert done.data["chosen_alternative"] == "Tea ceremony", done.data
    assert done.data["chosen_by"] == "customer" and done.data["chosen_cost"] == 300
    assert session.get(Case, other.id).status == "running"
    outcome = session.get(Case, a.id).data["incidents"]
    assert [i.get("description") for i in outcome] == ["Tea ceremony"], outcome


def test_a_crisis_notice_reaches_two_trips_and_one_moves_its_dates(
    client, api, session, clock, start_case, work
):
    a = _trip(start_case, work, "Zhou Xun")
    b = _trip(start_case, work, "Li Na", start_date="2026-12-24", end_date="2026-12-30")
    elsewhere = _trip(start_case, work, "Wang Fang", destination="Osaka")
    later = _trip(start_case, work, "Zhao Lei", start_date="2027-02-01", end_date="2027-02-05")
    planning = start_case("trip")  # still being planned: not booked, no notice
    work(planning, "collect_needs", new_customer={"name": "Sun Li"}, **NEEDS)
    body = {
        "title": "Typhoon warning",
        "text": "A typhoon reaches Kyoto on 26 December.",
        "destination": "kyoto",
        "date_from": "2026-12-25",
        "date_to": "2026-12-27",
        "options": ["keep", "move_dates", "cancel_refund"],
    }
    assert api.as_("account_manager").post("/api/v1/crisis-notices", body).status_code == 403
    bad = api.as_("service_supervisor").post("/api/v1/crisis-notices", {**body, "date_to": "2026-12-01"})
    assert bad.status_code == 400 and bad.get_json()["details"][0]["field"] == "date_to"
    assert (
        api.as_("service_supervisor").post("/api/v1/crisis-notices", {**body, "options": ["x"]}).status_code
        == 400
    )
    sent = api.as_("service_supervisor").post("/api/v1/crisis-notices", body)
    assert sent.status_code == 201
    assert sorted(sent.get_json()["trip_case_ids"]) == [a.id, b.id]
    assert _children(session, elsewhere.id, "crisis_follow_up") == []
    assert _children(session, later.id, "crisis_follow_up") == []
    assert _children(session, planning.id, "crisis_follow_up") == []
    [follow_a] = _children(session, a.id, "crisis_follow_up")
    [follow_b] = _children(session, b.id, "crisis_follow_up")
    assert open_task(session, follow_a.id, "follow_up_crisis_notice").lane == "customer_service"

    token_a = _token(session, a.id)
    page = client.get(f"/trip/{token_a}?lang=zh", follow_redirects=True).get_data(as_text=True)
    assert "Typhoon warning" in page and "改期" in page
    row_b = session.scalars(select(CrisisNoticeTrip).where(CrisisNoticeTrip.case_id == b.id)).one()
    assert (
        client.post(f"/trip/{token_a}/notices/{row_b.id}/answer", data={"answer": "keep"}).status_code == 404
    )
    row_a = session.scalars(select(CrisisNoticeTrip).where(CrisisNoticeTrip.case_id == a.id)).one()
    assert (
        client.post(f"/trip/{token_a}/notices/{row_a.id}/answer", data={"answer": "fly"}).status_code == 400
    )
    moved = client.post(
        f"/trip/{token_a}/notices/{row_a.id}/answer", data={"answer": "move_dates", "notes": "January"}
    )
    assert moved.status_code == 302
    assert (
        client.post(f"/trip/{token_a}/notices/{row_a.id}/answer", data={"answer": "keep"}).status_code == 409
    )
    session.expire_all()
    assert session.get(Case, follow_a.id).status == "completed"
    [change] = _children(session, a.id, "change_request")
    assert change.data["change_type"] == "dates" and change.data["details"] == "January"
    row_a = session.get(CrisisNoticeTrip, row_a.id)
    assert (row_a.answer, row_a.answered_by, row_a.change_case_id) == ("move_dates", "customer", change.id)

    # customer service records the other customer's answer: keep the plan, no change request
    work(follow_b, "follow_up_crisis_notice", by="customer_service", answer="keep", contacted_via="phone")
    session.expire_all()
    row_b = session.get(CrisisNoticeTrip, row_b.id)
    assert (row_b.answer, row_b.answered_by) == ("keep", "customer_service")
    assert _children(session, b.id, "change_request") == []

    # the change request moves the dates of trip A through the existing process
    work(
        change,
        "submit_change_request",
        by="account_manager",
        change_type="dates",
        reason="typhoon",
        details="January",
        new_start_date="2027-01-10",
        new_end_date="2027-01-17",
    )
    work(
        change, "review_change", approved=True, impact_assessment="ok", supplier_contacted=True, cost_delta=0
    )
    session.expire_all()
    assert str(session.get(Case, a.id).data["start_date"]) == "2027-01-10"
    clock.set(datetime(2027, 1, 28, 9, 0, tzinfo=SHANGHAI))  # past the old expiry (27 Dec + 30 days)
    assert client.get(f"/trip/{token_a}").status_code == 200  # the link follows the new dates


def test_the_supervisor_composes_a_notice_on_a_page(client, session, start_case, work):
    _trip(start_case, work, "Zhou Xun")
    client.post("/login", data={"username": "service_supervisor", "password": "correct-horse-battery"})
    form = client.get("/manage/crisis-notices", headers={"Accept-Language": "zh-CN"})
    assert form.status_code == 200 and "危机通知" in form.get_data(as_text=True)
    bad = client.post("/manage/crisis-notices", data={"title": "", "destination": "Kyoto"})
    assert bad.status_code == 400
    sent = client.post(
        "/manage/crisis-notices",
        data={
            "title": "Snow",
            "text": "Heavy snow",
            "destination": "Kyoto",
            "date_from": "2026-12-20",
            "date_to": "2026-12-21",
            "options": ["keep", "cancel_refund"],
        },
        follow_redirects=True,
    )
    assert sent.status_code == 200 and "Snow" in sent.get_data(as_text=True)


def test_the_demo_has_a_trip_with_a_link_and_a_crisis_notice(app, session):
    from demo import load_demo_history
    from workflows.models import CrisisNotice

    summary = load_demo_history(app, trips=12, days=75, seed=7)
    assert "problem" not in summary, summary
    [line] = [x for x in summary.splitlines() if x.startswith("trip page of case")]
    token = TOKEN.findall(line)[0]
    assert app.test_client().get(f"/trip/{token}").status_code == 200
    assert session.scalars(select(CrisisNotice)).all() != []
    assert session.scalars(select(TripRating)).all() != []


def test_ratings_wait_for_the_trip_to_await_them_and_are_delivered_in_order(client, session, rt, work):
    """Until the trip's model catches ``customer_rating`` a rating is kept; once the case waits for
    it, the oldest pending rating is delivered (a stand-in model of the trip that waits once)."""
    from workflows.trip_page.links import reissue_trip_link

    deploy_test_model(session, rt, "trip_rating_stub.bpmn")
    trip = cases.start_case(
        session,
        rt,
        "trip",
        {"destination": "Kyoto", "start_date": "2026-12-20", "end_date": "2026-12-27"},
        actor("account_manager"),
    )
    token = reissue_trip_link(session, rt, trip.id, actor("customer_service"))
    assert client.post(f"/trip/{token}/rate", data={"score": "2", "text": "cold room"}).status_code == 302
    work(trip, "before_the_trip", by="customer_service")  # now the case waits for a rating
    assert client.post(f"/trip/{token}/rate", data={"score": "5"}).status_code == 302
    session.expire_all()
    first, second = session.scalars(select(TripRating).order_by(TripRating.id)).all()
    assert first.delivered_at is not None and second.delivered_at is None  # caught once, then moved on
    case = session.get(Case, trip.id)
    assert case.data["rating"]["score"] == 2 and case.data["rating"]["text"] == "cold room"
    assert [r["score"] for r in case.data["trip_ratings"]] == [2, 5]
    assert open_task(session, trip.id, "read_rating").lane == "customer_service"


def test_the_trip_page_is_rate_limited(app, client, two_trips):
    (a, token_a), _ = two_trips
    app.config["RATELIMIT_ENABLED"] = True
    for n in range(30):
        assert client.post(f"/trip/{token_a}/rate", data={"score": "9"}).status_code == 400, n
    busy = client.post(f"/trip/{token_a}/rate", data={"score": "4"})
    assert busy.status_code == 429 and int(busy.headers["Retry-After"]) > 0
    assert client.get(f"/trip/{token_a}").status_code == 200  # reading is still possible
    for n in range(20):
        assert client.get(f"/trip/{'Z' * 30}{n}").status_code == 404
    assert client.get(f"/trip/{token_a}").status_code == 429  # guessing links from this address stops


def test_staff_reissue_and_revoke_the_link_from_the_case_page(app, session, two_trips):
    (a, token_a), _ = two_trips
    staff = app.test_client()
    staff.post("/login", data={"username": "customer_service", "password": "correct-horse-battery"})
    case_page = staff.get(f"/cases/{a.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "发放新链接" in case_page and "撤销链接" in case_page
    shown = staff.post(f"/cases/{a.id}/trip-link", follow_redirects=True).get_data(as_text=True)
    [new_token] = TOKEN.findall(shown)
    assert new_token != token_a
    customer = app.test_client()
    assert customer.get(f"/trip/{token_a}").status_code == 410
    assert customer.get(f"/trip/{new_token}").status_code == 200
    staff.post(f"/cases/{a.id}/trip-link/revoke")
    assert customer.get(f"/trip/{new_token}").status_code == 410
    advisor = app.test_client()
    advisor.post("/login", data={"username": "travel_advisor", "password": "correct-horse-battery"})
    assert "发放新链接" not in advisor.get(f"/cases/{a.id}", headers={"Accept-Language": "zh-CN"}).get_data(
        as_text=True
    )
    assert advisor.post(f"/cases/{a.id}/trip-link").status_code == 403
