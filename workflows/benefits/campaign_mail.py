"""Campaign e-mails leave after the send has committed, from the worker, like every other notice."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.models import Campaign, CampaignDelivery, Customer
from workflows.people.delivery import SmtpServer, open_smtp

log = logging.getLogger(__name__)


def deliver_campaign_emails(session: Session, smtp: SmtpServer | None, footer: str, limit: int = 50) -> int:
    """Sends waiting campaign e-mails (``footer`` says how to opt out) and commits; answers how many."""
    rows = session.execute(
        select(CampaignDelivery, Campaign, Customer)
        .join(Campaign, Campaign.id == CampaignDelivery.campaign_id)
        .join(Customer, Customer.id == CampaignDelivery.customer_id)
        .where(CampaignDelivery.email_status == "pending")
        .order_by(CampaignDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=CampaignDelivery)
    ).all()
    if not rows:
        session.rollback()
        return 0
    if smtp is None:  # no mail server: the record stays, the account manager passes it on
        for delivery, _campaign, _customer in rows:
            delivery.email_status = "skipped"
        session.commit()
        return 0
    try:
        connection = open_smtp(smtp)
    except (OSError, smtplib.SMTPException) as exc:
        session.rollback()
        log.warning("SMTP server %s:%s unreachable: %s", smtp.host, smtp.port, exc)
        return 0
    sent = 0
    with connection:
        for delivery, campaign, customer in rows:
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = smtp.sender, customer.email, campaign.title
            message.set_content(f"{campaign.body}\n\n--\n{footer}")
            try:
                connection.send_message(message)
                delivery.email_status = "sent"
                sent += 1
            except smtplib.SMTPException as exc:
                log.warning("campaign e-mail to %s refused: %s", customer.email, exc)
                delivery.email_status = "failed"
    session.commit()
    return sent
