"""Who may do what (API.md, "Who may do what"), in one place for views, the API and the services."""

from __future__ import annotations

from dataclasses import dataclass

from workflows.errors import Conflict, Forbidden

OPEN = ("ready", "claimed")  # the statuses of a work item someone can still act on

ROLES = (
    "account_manager",
    "travel_advisor",
    "project_manager",
    "customer_service",
    "service_supervisor",
    "data_analyst",
    "tour_guide",
    "finance",
    "process_owner",
    "admin",
)
LANE_ROLES = ROLES[:8]

START_ROLES: dict[str, frozenset[str]] = {
    "trip": frozenset({"account_manager"}),
    "itinerary_planning": frozenset({"account_manager"}),
    "change_request": frozenset({"account_manager"}),
    "trip_feedback": frozenset({"customer_service", "account_manager"}),
    "complaint_handling": frozenset({"customer_service", "account_manager"}),
    "customer_tiering": frozenset({"service_supervisor"}),
    "quarterly_review": frozenset({"service_supervisor"}),
    "birthday_reminder": frozenset({"account_manager"}),
    "win_back_campaign": frozenset({"service_supervisor"}),
    "trip_incident": frozenset({"tour_guide", "customer_service"}),
}
START_ANY = frozenset({"service_supervisor", "process_owner"})
SUPERVISE = frozenset({"service_supervisor"})
FIX_CASES = frozenset({"service_supervisor", "process_owner"})
DEPLOY = frozenset({"process_owner"})
EDIT_CUSTOMERS = frozenset({"account_manager", "customer_service", "service_supervisor"})
READ_METRICS = frozenset({"service_supervisor", "data_analyst", "process_owner"})
DELIVER_MESSAGES = frozenset({"account_manager", "customer_service", "service_supervisor", "process_owner"})
ATTACH_ANY = SUPERVISE  # besides the roles with a lane in the case's process
MANAGE_USERS = frozenset({"admin"})


@dataclass(frozen=True)
class Actor:
    """The person (or the system) acting, with the roles that decide what they may do."""

    username: str
    roles: frozenset[str]

    def has_any(self, roles: frozenset[str]) -> bool:
        return bool(self.roles & roles)

    def require(self, roles: frozenset[str], action: str) -> None:
        """Raises ``Forbidden`` unless the actor holds one of ``roles``."""
        if not self.has_any(roles):
            raise Forbidden(f"{action} needs one of the roles: {', '.join(sorted(roles))}")

    @property
    def is_employee(self) -> bool:
        return bool(self.roles)


SYSTEM = Actor("system", frozenset(ROLES))


def may_start(actor: Actor, process_key: str) -> bool:
    return actor.has_any(START_ANY | START_ROLES.get(process_key, frozenset()))


def may_work_on(actor: Actor, lane: str | None, assignee: str | None) -> bool:
    """A role of the task's lane, or the user the task is assigned to."""
    if assignee:
        return assignee == actor.username
    if lane is None:
        return actor.is_employee
    return lane in actor.roles


def may_complete(actor: Actor, lane: str | None, assignee: str | None, claimed_by: str | None) -> bool:
    """Someone who may work on the task, while nobody else holds it."""
    return may_work_on(actor, lane, assignee) and claimed_by in (None, actor.username)


def require_complete(actor: Actor, lane: str | None, assignee: str | None, claimed_by: str | None) -> None:
    """403 outside the task's lane, 409 when someone else holds it (``may_complete`` as errors)."""
    if not may_work_on(actor, lane, assignee):
        raise Forbidden("the task is not in a lane of your roles")
    if claimed_by and claimed_by != actor.username:
        raise Conflict(f"the task is claimed by {claimed_by}")


def may_attach(actor: Actor, process_lanes: frozenset[str]) -> bool:
    """A role with a lane in the case's process, or a supervisor (API.md, "attach a file to a case")."""
    return actor.has_any(ATTACH_ANY | process_lanes)


def may_deliver_message(actor: Actor) -> bool:
    """The roles that may change a case from outside by a BPMN message (API.md)."""
    return actor.has_any(DELIVER_MESSAGES)


# tier benefits [000 §4.1]: popular routes, campaigns, member events
EDIT_DEPARTURES = frozenset({"travel_advisor", "process_owner", "service_supervisor"})
BOOK_DEPARTURES = frozenset({"account_manager"})
CANCEL_BOOKINGS = frozenset({"account_manager", "service_supervisor"})
WRITE_CAMPAIGNS = frozenset({"account_manager"})
MANAGE_EVENTS = frozenset({"account_manager", "service_supervisor"})
