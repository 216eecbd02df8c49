"""What the worker does after the steps have committed: PDF copies, deadline notices, e-mails, robot posts.

Each round is a few indexed queries when there is nothing to do, so it runs every round of the
timer worker (and at the end of ``timers run``). Kept out of ``cli.py`` so tests call the same code.
"""

from __future__ import annotations

from flask import Flask

from workflows.benefits.campaign_mail import deliver_campaign_emails, deliver_invitation_emails
from workflows.benefits.events import invite_due
from workflows.cases.renditions import render_pending
from workflows.people.delivery import deliver_pending, parse_smtp_url, parse_webhooks
from workflows.people.notifications import warn_deadlines
from workflows.runtime import Runtime

from .extensions import db
from .pages.benefits import invitation_message, opt_out_footer
from .pages.notifications import compose_message


def after_commit_round(app: Flask, rt: Runtime) -> dict[str, int]:
    """One round of the chores; returns how many of each were done (in an app context)."""
    session = db.session
    smtp_url = app.config.get("SMTP_URL") or ""
    smtp = parse_smtp_url(smtp_url, app.config.get("MAIL_FROM") or "tripflow@localhost") if smtp_url else None
    return {
        "event_invitations": invite_due(session, rt),
        "campaign_emails": deliver_campaign_emails(
            session, smtp, opt_out_footer(app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans"))
        ),
        "invitation_emails": deliver_invitation_emails(session, smtp, invitation_message),
        "pdfs": render_pending(session, limit=5),  # about a second each: a few per round
        "deadline_notices": warn_deadlines(session, rt.clock.now()),
        "sent": deliver_pending(
            session,
            compose_message,
            smtp=smtp,
            webhooks=parse_webhooks(app.config.get("ROLE_WEBHOOKS") or ""),
            default_locale=app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans"),
        ),
    }
