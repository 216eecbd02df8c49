"""Sending notices out of the building: e-mail through SMTP, and posts to each role's group robot.

Runs in the worker, after the steps that wrote the notices have committed, so a slow or dead mail
server delays a message, never a case. Rows are taken with ``SKIP LOCKED``, so several workers
share the work; each row ends ``sent``, ``failed`` (after one try: the in-app notice remains) or
``skipped`` (no SMTP server, or no robot for the role).

The words are the web layer's (Flask-Babel, in the recipient's language): it hands a ``compose``
callable in, since this package never imports Flask.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.models import Notification, User, UserRole

log = logging.getLogger(__name__)

# (notice, locale) -> (subject, body)
Compose = Callable[[Notification, str], tuple[str, str]]
SEND_TIMEOUT = 10.0


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    user: str | None
    password: str | None
    tls: str  # "ssl" (smtps://), "starttls" (?starttls=1) or "none"
    sender: str


def parse_smtp_url(url: str, default_sender: str) -> SmtpServer:
    """``smtp://user:pass@host:587?starttls=1&from=me@agency.cn`` or ``smtps://host``, else ValueError."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://host:port or smtps://user:password@host")
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or (465 if parts.scheme == "smtps" else 25),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls="ssl" if parts.scheme == "smtps" else "starttls" if starttls else "none",
        sender=query.get("from", [default_sender])[0],
    )


def deliver_pending(
    session: Session,
    compose: Compose,
    *,
    smtp: SmtpServer | None,
    webhooks: Mapping[str, str],
    default_locale: str = "zh_Hans",
    limit: int = 50,
) -> int:
    """Send waiting e-mails and robot posts; commits after each. Returns how many were sent."""
    return _emails(session, compose, smtp, default_locale, limit) + _posts(
        session, compose, webhooks, default_locale, limit
    )


def _emails(
    session: Session, compose: Compose, smtp: SmtpServer | None, default_locale: str, limit: int
) -> int:
    query = (
        select(Notification)
        .where(Notification.email_status == "pending")
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Notification)
    )
    notices = list(session.scalars(query))
    if not notices:
        session.rollback()
        return 0
    if smtp is None:
        for notice in notices:
            notice.email_status = "skipped"
        session.commit()
        return 0
    rows = [(notice, _recipients(session, notice)) for notice in notices]
    for notice, users in rows:
        if not users:
            notice.email_status = "skipped"
    rows = [(notice, users) for notice, users in rows if users]
    if not rows:
        session.commit()
        return 0
    sent = 0
    try:
        connection = _connect(smtp)
    except (OSError, smtplib.SMTPException) as exc:
        session.rollback()  # the rows stay pending: the server may be back next round
        log.warning("SMTP server %s:%s unreachable: %s", smtp.host, smtp.port, exc)
        return 0
    with connection:
        for notice, users in rows:
            notice.email_status = "sent"
            for user in users:
                subject, body = compose(notice, user.locale or default_locale)
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = smtp.sender, user.email, subject
                message.set_content(body)
                try:
                    connection.send_message(message)
                    sent += 1
                except smtplib.SMTPException as exc:
                    log.warning("e-mail to %s refused: %s", user.email, exc)
                    notice.email_status = "failed"
    session.commit()
    return sent


def open_smtp(smtp: SmtpServer) -> smtplib.SMTP:
    """A signed-in connection to the mail server (campaign e-mails to customers use it too)."""
    return _connect(smtp)


def _recipients(session: Session, notice: Notification) -> list[User]:
    """Who is e-mailed a notice: its addressee, or (a role's notice) each active member who chose e-mail."""
    query = select(User).where(User.active.is_(True), User.notify_email.is_(True), User.email.is_not(None))
    if notice.username is not None:
        query = query.where(User.username == notice.username)
    elif notice.role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == notice.role)))
    else:
        return []
    return list(session.scalars(query.order_by(User.id)))


def _connect(smtp: SmtpServer) -> smtplib.SMTP:
    if smtp.tls == "ssl":
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=SEND_TIMEOUT, context=ssl.create_default_context()
        )
    else:
        connection = smtplib.SMTP(smtp.host, smtp.port, timeout=SEND_TIMEOUT)
        if smtp.tls == "starttls":
            connection.starttls(context=ssl.create_default_context())
    if smtp.user:
        connection.login(smtp.user, smtp.password or "")
    return connection


def _posts(
    session: Session, compose: Compose, webhooks: Mapping[str, str], default_locale: str, limit: int
) -> int:
    query = (
        select(Notification)
        .where(Notification.webhook_status == "pending")
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(query))
    sent = 0
    for notice in rows:
        url = webhooks.get(notice.role or "")
        if not url:
            notice.webhook_status = "skipped"
            continue
        subject, body = compose(notice, default_locale)
        try:
            _post_json(url, {"msgtype": "text", "text": {"content": f"{subject}\n{body}"}})
            notice.webhook_status = "sent"
            sent += 1
        except OSError as exc:
            log.warning("group robot of %s refused: %s", notice.role, exc)
            notice.webhook_status = "failed"
    session.commit()
    return sent


def _post_json(url: str, payload: dict[str, object]) -> None:
    """WeCom and DingTalk group robots both take ``{"msgtype": "text", "text": {"content": ...}}``."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise OSError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as response:  # noqa: S310 - scheme checked above
        response.read()


def parse_webhooks(text: str) -> dict[str, str]:
    """``role=url`` pairs separated by commas or spaces (the ``ROLE_WEBHOOKS`` setting)."""
    pairs = {}
    for part in text.replace(",", " ").split():
        role, _, url = part.partition("=")
        if role and url:
            pairs[role.strip()] = url.strip()
    return pairs
