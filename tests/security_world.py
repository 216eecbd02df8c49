"""A small world of fresh objects for tests that call every route: cases, tasks, customers, documents.

Each call makes new rows, so one request that changes something (claims a task, cancels a case)
never spoils the next.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from workflows.cases import interventions
from workflows.cases import operations as cases
from workflows.customers.operations import create_customer
from workflows.models import Document, SavedFilter, WorkItem
from workflows.people.tokens import issue_token
from workflows.people.users import find_user
from workflows.permissions import SYSTEM, Actor
from workflows.runtime import Runtime

TEST_BPMN = Path(__file__).resolve().parent / "bpmn"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def as_actor(role: str) -> Actor:
    return Actor(role, frozenset({role}))


_filter_numbers = itertools.count(1)
"""Saved filter names must be unique per user; every world hands out the next number."""


@dataclass
class World:
    app: Flask
    session: Any
    rt: Runtime
    last_task: int = 0

    def planning_case(self) -> tuple[int, int]:
        """A new itinerary_planning case; its open ``collect_needs`` task is in lane account_manager."""
        case = cases.start_case(self.session, self.rt, "itinerary_planning", {}, as_actor("account_manager"))
        item = self.session.scalars(select(WorkItem).where(WorkItem.case_id == case.id)).one()
        return case.id, item.id

    def claimed_task(self) -> tuple[int, int]:
        case_id, task_id = self.planning_case()
        cases.claim_task(self.session, self.rt, task_id, as_actor("account_manager"))
        return case_id, task_id

    def suspended_case(self) -> int:
        case_id, _ = self.planning_case()
        interventions.suspend_case(self.session, self.rt, case_id, "holiday", SYSTEM)
        return case_id

    def failed_case(self) -> int:
        """A case in ``error``: tests/bpmn/ratio_check.bpmn divides by zero."""
        case = cases.start_case(self.session, self.rt, "ratio_check", {"divisor": 0}, SYSTEM)
        assert case.status == "error"
        return case.id

    def customer(self) -> int:
        customer = create_customer(
            self.session, {"name": "Lin Wei", "id_number": "110101199003074578"}, now=self.rt.clock.now()
        )
        self.session.commit()
        return customer.id

    def document(self) -> tuple[int, int]:
        case_id, _ = self.planning_case()
        document = Document(
            case_id=case_id,
            name="note.txt",
            kind="attachment",
            content_type="text/plain",
            content=b"hello",
            size=5,
            created_at=self.rt.clock.now(),
            created_by="system",
        )
        self.session.add(document)
        self.session.commit()
        return case_id, document.id

    def saved_filter(self, username: str) -> int:
        row = SavedFilter(
            username=username,
            name=f"mine {next(_filter_numbers)}",
            query={"status": "running"},
            created_at=self.rt.clock.now(),
        )
        self.session.add(row)
        self.session.commit()
        return row.id

    def token(self, username: str) -> str:
        token = issue_token(self.session, find_user(self.session, username), now=self.rt.clock.now())
        self.session.commit()
        return token


def fill(rule: str, values: dict[str, Any]) -> str:
    """``/cases/<int:case_id>`` with ``{"case_id": 7}`` → ``/cases/7``."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for <{name}> in {rule}")
        return str(values[name])

    return re.sub(r"<(?:\w+:)?(\w+)>", one, rule)


def deploy_test_model(session: Any, rt: Runtime, name: str = "ratio_check.bpmn") -> None:
    from workflows.deploy.operations import deploy

    deploy(
        session,
        [(name, (TEST_BPMN / name).read_bytes())],
        author="test",
        now=rt.clock.now(),
        handler_names=rt.handler_names,
    )
    session.commit()


def fingerprint(session: Any) -> str:
    """A digest of every row of every table (model file contents by their hash only): equal digests,
    nothing changed. Reads in a fresh transaction, so it sees what requests committed."""
    import hashlib

    from workflows.db import Base

    session.rollback()
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if not (table.name == "model_file" and c.name == "content")]
        order = list(table.primary_key.columns) or columns
        for row in session.execute(select(*columns).order_by(*order)):
            digest.update(repr(tuple(row)).encode())
        digest.update(b"|" + table.name.encode())
    session.rollback()
    return digest.hexdigest()
