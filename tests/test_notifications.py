"""Notifications: new work in my inbox, work assigned to me, deadlines an hour away.

Told in the app (the bell polls a small JSON feed), by e-mail through a real SMTP server (aiosmtpd
on 127.0.0.1), and to a role's group robot (a real HTTP receiver on 127.0.0.1), as each person
chose on /me. Sending happens in the worker's round after commit, never inside a step.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from webapp.after_commit import after_commit_round
from workflows.cases import operations as cases
from workflows.models import Notification, User
from workflows.people.notifications import my_notifications, warn_deadlines
from workflows.people.users import add_user
from workflows.permissions import Actor

from .conftest import PASSWORD, SHANGHAI, actor, open_task

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def login(client: Any, username: str) -> None:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302


def bell(client: Any, headers: dict[str, str] = EN) -> dict[str, Any]:
    response = client.get("/me/notifications.json", headers=headers)
    assert response.status_code == 200
    return response.get_json()


def start_complaint(start_case: Any, name: str = "Ma Lin") -> Any:
    return start_case(
        "complaint_handling",
        by="customer_service",
        urgency="normal",
        complaint_details="Lost luggage",
        customer_name=name,
    )


@pytest.fixture
def colleague(session: Any, clock: Any) -> User:
    """A second customer-service agent, and a disabled one who must hear nothing."""
    user = add_user(session, "cs_li", PASSWORD, ["customer_service"], now=clock.now(), display_name="Li Na")
    gone = add_user(session, "cs_gone", PASSWORD, ["customer_service"], now=clock.now())
    gone.active = False
    session.commit()
    return user


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server(app: Any) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}?from=desk@agency.example"
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def robot(app: Any) -> Iterator[list[dict[str, Any]]]:
    """A group robot's receiving end (WeCom and DingTalk take the same JSON)."""
    posts: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            posts.append({"path": self.path, "json": json.loads(body)})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"errcode":0}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["ROLE_WEBHOOKS"] = (
        f"customer_service=http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=cs"
    )
    try:
        yield posts
    finally:
        server.shutdown()
        server.server_close()


def _subject(message: Any) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_group_task_tells_every_active_member_and_the_bell_marks_read(
    start_case, session, rt, client, colleague, api
):
    complaint = start_complaint(start_case)
    rows = session.scalars(select(Notification).where(Notification.case_id == complaint.id)).all()
    # one row for the whole lane, whatever its size: each member's bell reads it, and marks it read alone
    assert [(r.username, r.role, r.in_app) for r in rows] == [(None, "customer_service", True)]
    assert {r.kind for r in rows} == {"task_in_group"}

    login(client, "cs_li")
    feed = bell(client)
    assert feed["unread"] == 1
    [item] = feed["items"]
    assert item["kind"] == "task_in_group" and item["case_id"] == complaint.id and not item["read"]
    assert item["text"] == "New task in your group inbox: “Resolve complaint” (Ma Lin)"
    assert bell(client, ZH)["items"][0]["text"] == "您的组收件箱有新任务：“Resolve complaint”（Ma Lin）"
    page = client.get("/inbox", headers=EN).get_data(as_text=True)
    assert "data-bell-count>1</span>" in page and "js/notifications.js" in page

    # reading opens the task; the badge goes to zero; someone else's notice is not mine to read
    response = client.post(f"/me/notifications/{item['id']}/read")
    assert response.status_code == 302 and f"/tasks/{item['task_id']}" in response.headers["Location"]
    assert bell(client)["unread"] == 0 and bell(client)["items"][0]["read"]
    assert client.post(f"/me/notifications/{item['id']}/read").status_code == 302  # twice: still read once
    task = open_task(session, complaint.id, "resolve_complaint")
    cases.assign_task(session, rt, task.id, "customer_service", actor("service_supervisor"))
    theirs = session.scalars(select(Notification).where(Notification.username == "customer_service")).one()
    assert client.post(f"/me/notifications/{theirs.id}/read").status_code == 404

    # the same over the API: cs_li's reading left the group notice unread for customer_service
    api.as_("customer_service")
    listed = api.get("/api/v1/me/notifications").get_json()
    assert listed["unread"] == 2 and [i["id"] for i in listed["items"]] == [theirs.id, item["id"]]
    assert not any(i["read"] for i in listed["items"])
    assert set(listed["items"][0]) >= {"id", "at", "kind", "text", "case_id", "task_id", "read"}
    assert api.post(f"/api/v1/me/notifications/{item['id']}/read").get_json()["read"] is True
    assert [i["id"] for i in api.get("/api/v1/me/notifications?unread=true").get_json()["items"]] == [
        theirs.id
    ]
    assert api.post(f"/api/v1/me/notifications/{theirs.id}/read").get_json()["read"] is True
    assert api.get("/api/v1/me/notifications?unread=true").get_json()["items"] == []
    api.as_("travel_advisor")  # not of the role: the group notice is not theirs
    assert api.post(f"/api/v1/me/notifications/{item['id']}/read").status_code == 404


def test_assignment_tells_the_assignee_alone(start_case, session, rt, client, colleague):
    complaint = start_complaint(start_case)
    item = open_task(session, complaint.id, "resolve_complaint")
    cases.assign_task(session, rt, item.id, "cs_li", actor("service_supervisor"))
    login(client, "cs_li")
    feed = bell(client)
    assert [i["kind"] for i in feed["items"]] == ["task_assigned", "task_in_group"]
    assert feed["items"][0]["text"] == "“Resolve complaint” was assigned to you (Ma Lin)"
    assert bell(client, ZH)["items"][0]["text"] == "“Resolve complaint”已分配给您（Ma Lin）"


def test_email_reaches_a_real_smtp_server_after_commit(app, start_case, session, rt, client, smtp_server):
    login(client, "customer_service")
    response = client.post("/me", data={"in_app": "on", "email": "on", "address": "cs@agency.example"})
    assert response.status_code == 302
    complaint = start_complaint(start_case, name="周迅")
    assert smtp_server.messages == []  # nothing is sent inside the step
    row = session.scalars(select(Notification).where(Notification.case_id == complaint.id)).one()
    assert row.email_status == "pending"

    done = after_commit_round(app, rt)
    assert done["sent"] == 1
    [(recipients, message)] = smtp_server.messages
    assert recipients == ["cs@agency.example"] and message["From"] == "desk@agency.example"
    subject = _subject(message)
    body = message.get_payload(decode=True).decode("utf-8")
    # the user has no language of their own: the agency's default, Chinese
    assert "Resolve complaint" in subject and "周迅" in subject
    assert f"工单 {complaint.id}" in body
    after_commit_round(app, rt)
    assert len(smtp_server.messages) == 1  # sent once
    session.expire_all()
    assert session.get(Notification, row.id).email_status == "sent"


def test_channel_choices_on_me_are_honoured(app, start_case, session, rt, client, smtp_server):
    login(client, "customer_service")
    page = client.get("/me", headers=EN).get_data(as_text=True)
    assert "How I am told" in page and 'name="in_app" checked' in page
    refused = client.post("/me", data={"email": "on", "address": "not an address"}, headers=EN)
    assert refused.status_code == 400 and "Give a valid e-mail address" in refused.get_data(as_text=True)
    # e-mail only: no bell entry, one e-mail
    client.post("/me", data={"email": "on", "address": "cs@agency.example"})
    start_complaint(start_case)
    assert bell(client)["unread"] == 0 and bell(client)["items"] == []
    after_commit_round(app, rt)
    assert len(smtp_server.messages) == 1
    # neither: nothing at all
    client.post("/me", data={"address": "cs@agency.example"})
    start_complaint(start_case)
    after_commit_round(app, rt)
    assert len(smtp_server.messages) == 1 and bell(client)["items"] == []
    # the API reads and sets the same choices
    channels = client.get("/api/v1/me/notification-channels").get_json()
    assert channels == {"in_app": False, "email": False, "address": "cs@agency.example"}


def test_no_smtp_url_means_no_mail_and_no_backlog(app, start_case, session, rt, client):
    login(client, "customer_service")
    client.post("/me", data={"in_app": "on", "email": "on", "address": "cs@agency.example"})
    complaint = start_complaint(start_case)
    assert not app.config["SMTP_URL"]
    after_commit_round(app, rt)
    row = session.scalars(select(Notification).where(Notification.case_id == complaint.id)).one()
    assert row.email_status == "skipped"


def test_deadline_warning_fires_exactly_once_within_the_hour(app, start_case, session, rt, clock, client):
    complaint = start_complaint(start_case)  # resolve_complaint is due 24 h later: 24 Nov 09:00
    item = open_task(session, complaint.id, "resolve_complaint")
    cases.claim_task(session, rt, item.id, actor("customer_service"))

    def due_soon_rows() -> list[Notification]:
        session.expire_all()
        query = select(Notification).where(Notification.kind == "due_soon")
        return list(session.scalars(query))

    clock.set(datetime(2026, 11, 24, 7, 59, tzinfo=SHANGHAI))
    assert warn_deadlines(session, clock.now()) == 0 and due_soon_rows() == []
    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI))
    assert after_commit_round(app, rt)["deadline_notices"] == 1
    [row] = due_soon_rows()
    assert row.username == "customer_service" and row.work_item_id == item.id  # the holder alone
    clock.set(datetime(2026, 11, 24, 8, 30, tzinfo=SHANGHAI))
    assert warn_deadlines(session, clock.now()) == 0
    assert len(due_soon_rows()) == 1

    login(client, "customer_service")
    texts = [i["text"] for i in bell(client)["items"]]
    assert texts[0] == "“Resolve complaint” is due within the hour (Ma Lin)"
    assert bell(client, ZH)["items"][0]["text"] == "“Resolve complaint”将在一小时内到期（Ma Lin）"

    # past the deadline: one "overdue" notice, also once
    clock.set(datetime(2026, 11, 24, 9, 1, tzinfo=SHANGHAI))
    assert warn_deadlines(session, clock.now()) >= 1
    assert warn_deadlines(session, clock.now()) == 0
    kinds = [i["kind"] for i in bell(client)["items"]]
    assert kinds.count("overdue") == 1 and kinds.count("due_soon") == 1


def test_group_robot_of_the_role_gets_one_post(app, start_case, session, rt, robot):
    complaint = start_complaint(start_case)
    done = after_commit_round(app, rt)
    assert done["sent"] == 1
    [post] = robot
    assert post["path"] == "/cgi-bin/webhook/send?key=cs" and post["json"]["msgtype"] == "text"
    assert "Resolve complaint" in post["json"]["text"]["content"]
    assert str(complaint.id) in post["json"]["text"]["content"]
    after_commit_round(app, rt)
    assert len(robot) == 1


def test_bad_input_is_a_400_naming_the_field(api):
    api.as_("customer_service")
    refused = api.put("/api/v1/me/notification-channels", json={"in_app": True, "email": True, "address": ""})
    assert refused.status_code == 400 and refused.get_json()["details"][0]["field"] == "address"
    odd = api.put(
        "/api/v1/me/notification-channels",
        json={"in_app": True, "email": True, "address": "a@b\u0000c"},
    )
    assert odd.status_code == 400 and odd.get_json()["details"][0]["field"] == "address"
    assert (
        api.put("/api/v1/me/notification-channels", json={"in_app": "yes", "email": False}).status_code == 400
    )
    for cursor in ("x", "99999999999999999999", "١٢"):
        response = api.get(f"/api/v1/me/notifications?cursor={cursor}")
        assert response.status_code == 400 and response.get_json()["details"][0]["field"] == "cursor"
    assert api.post("/api/v1/me/notifications/2147483647/read").status_code == 404
    saved = api.put(
        "/api/v1/me/notification-channels",
        json={"in_app": False, "email": True, "address": "cs@agency.example"},
    )
    assert saved.status_code == 200 and saved.get_json() == {
        "in_app": False,
        "email": True,
        "address": "cs@agency.example",
    }


def test_a_task_first_seen_late_is_only_overdue(start_case, session, clock, colleague):
    complaint = start_complaint(start_case)
    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI))  # a day past due: the worker was down
    assert warn_deadlines(session, clock.now()) == 1
    items, _cursor = my_notifications(session, Actor("cs_li", frozenset({"customer_service"})))
    kinds = [i.kind for i in items if i.case_id == complaint.id]
    assert sorted(kinds) == ["overdue", "task_in_group"]


def test_timers_run_at_sends_the_deadline_notice_by_email(app, start_case, session, client, smtp_server):
    """The command line's round does what the worker does: deadline notices, then e-mail."""
    login(client, "customer_service")
    client.post("/me", data={"in_app": "on", "email": "on", "address": "cs@agency.example"})
    complaint = start_complaint(start_case)
    runner = app.test_cli_runner()
    early = runner.invoke(args=["timers", "run", "--at", "2026-11-24T07:00:00+08:00"])
    assert early.exit_code == 0 and "deadline notices: 0" in early.output and "sent: 1" in early.output
    result = runner.invoke(args=["timers", "run", "--at", "2026-11-24T08:30:00+08:00"])
    assert result.exit_code == 0, result.output
    assert "deadline notices: 1" in result.output and "sent: 1" in result.output
    subjects = [_subject(message) for _to, message in smtp_server.messages]
    assert subjects == [
        "Tripflow: 您的组收件箱有新任务：“Resolve complaint”（Ma Lin）",
        "Tripflow: “Resolve complaint”将在一小时内到期（Ma Lin）",
    ]
    body = smtp_server.messages[1][1].get_payload(decode=True).decode("utf-8")
    assert f"工单 {complaint.id}" in body and "到期时间 2026-11-24 09:00" in body
