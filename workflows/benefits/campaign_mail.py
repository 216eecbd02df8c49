"""Campaign and event-invitation e-mails leave after commit, from the worker, like every other notice.

Rows waiting to be sent carry ``email_status = "pending"``; each ends ``sent``, ``failed`` (after
one try) or ``skipped`` (no mail server: the record stays and the account manager passes it on).
The words around an invitation are the web layer's (in the agency's language): it hands them in.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.models import Campaign, CampaignDelivery, Customer, EventInvitation, MemberEvent
from workflows.people.delivery import SmtpServer, open_smtp

log = logging.getLogger(__name__)

# (row to mark, address, subject, body)
Outgoing = tuple[Any, str, str, str]


def _send(session: Session, smtp: SmtpServer | None, outgoing: list[Outgoing]) -> int:
    """Sends the messages and marks their rows; commits. Returns how many were sent."""
    if not outgoing:
        session.rollback()
        return 0
    if smtp is None:
        for row, *_rest in outgoing:
            row.email_status = "skipped"
        session.commit()
        return 0
    try:
        connection = open_smtp(smtp)
    except (OSError, smtplib.SMTPException) as exc:
        session.rollback()  # the rows stay pending: the server may be back next round
        log.warning("SMTP server %s:%s unreachable: %s", smtp.host, smtp.port, exc)
        return 0
    sent = 0
    with connection:
        for row, address, subject, body in outgoing:
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = smtp.sender, address, subject
            message.set_content(body)
            try:
                connection.send_message(message)
                row.email_status = "sent"
                sent += 1
            except smtplib.SMTPException as exc:
                log.warning("e-mail to %s refused: %s", address, exc)
                row.email_status = "failed"
    session.commit()
    return sent


def deliver_campaign_emails(session: Session, smtp: SmtpServer | None, footer: str, limit: int = 50) -> int:
    """Sends waiting campaign e-mails (``footer`` says how to opt out); answers how many were sent."""
    rows = session.execute(
        select(CampaignDelivery, Campaign, Customer)
        .join(Campaign, Campaign.id == CampaignDelivery.campaign_id)
        .join(Customer, Customer.id == CampaignDelivery.customer_id)
        .where(CampaignDelivery.email_status == "pending")
        .order_by(CampaignDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=CampaignDelivery)
    ).all()
    return _send(
        session,
        smtp,
        [(d, customer.email or "", c.title, f"{c.body}\n\n--\n{footer}") for d, c, customer in rows],
    )


def deliver_invitation_emails(
    session: Session,
    smtp: SmtpServer | None,
    compose: Callable[[MemberEvent, Customer], tuple[str, str]],
    limit: int = 50,
) -> int:
    """Sends waiting member-event invitations, worded by ``compose``; answers how many were sent."""
    rows = session.execute(
        select(EventInvitation, MemberEvent, Customer)
        .join(MemberEvent, MemberEvent.id == EventInvitation.event_id)
        .join(Customer, Customer.id == EventInvitation.customer_id)
        .where(EventInvitation.email_status == "pending")
        .order_by(EventInvitation.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=EventInvitation)
    ).all()
    return _send(session, smtp, [(i, customer.email or "", *compose(e, customer)) for i, e, customer in rows])
