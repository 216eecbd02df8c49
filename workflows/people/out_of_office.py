"""Out of office: while away, tasks routed to a person go to their stand-in (the history says so)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from workflows.errors import Invalid
from workflows.people.users import find_user
from workflows.permissions import Actor
from workflows.runtime import Runtime
from workflows.unit import unit_of_work


def get_out_of_office(session: Session, actor: Actor) -> dict[str, Any] | None:
    user = find_user(session, actor.username)
    if user is None or not user.away_from or not user.away_to:
        return None
    return {"from": user.away_from.isoformat(), "to": user.away_to.isoformat(), "stand_in": user.stand_in}


def set_out_of_office(
    session: Session, rt: Runtime, actor: Actor, window: tuple[datetime, datetime, str] | None
) -> dict[str, Any] | None:
    with unit_of_work(session):
        user = find_user(session, actor.username)
        if user is None:
            raise Invalid("no such user", [{"field": "user", "message": "unknown user"}])
        if window is None:
            user.away_from = user.away_to = None
            user.stand_in = None
        else:
            start, end, stand_in = window
            errors = []
            if start.tzinfo is None:
                errors.append({"field": "from", "message": "give the time zone offset"})
            if end.tzinfo is None:
                errors.append({"field": "to", "message": "give the time zone offset"})
            if not errors and end <= start:
                errors.append({"field": "to", "message": "must be after from"})
            if stand_in == actor.username or find_user(session, stand_in) is None:
                errors.append({"field": "stand_in", "message": "must be another existing user"})
            if errors:
                raise Invalid("the out-of-office period has errors", errors)
            user.away_from, user.away_to, user.stand_in = start, end, stand_in
    return get_out_of_office(session, actor)
