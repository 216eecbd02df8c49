"""Many open cases, fast: a few template cases through the service, then clones of their rows.

The service writes, per case, one ``case`` row (the zlib-compressed workflow state), its
``work_item`` rows, its ``event`` rows and its ``timer`` rows. A clone is exactly those rows of a
template case with new ids: new row ids, and every SpiffWorkflow task UUID in the state replaced
(consistently, so the task tree, the inbox rows' ``spiff_task_id`` and the timer rows still
agree) by a fresh one. The state is recompressed the way ``ProcessEngine.dump`` does. So a clone
is a case the service could have written, and ``flask check`` agrees with it; starting 100,000
cases one by one through the service would take minutes, cloning them takes seconds.
"""

from __future__ import annotations

import re
import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, text

from tests.sample_data import ITINERARY, NEEDS

STAGES = ("collect_needs", "design_itinerary", "review_itinerary", "present_to_customer", "sign_contract")
# the open cases of a busy agency: half wait for an itinerary design, the rest spread over the other steps
MIX = {
    "collect_needs": 0.125,
    "design_itinerary": 0.5,
    "review_itinerary": 0.125,
    "present_to_customer": 0.125,
    "sign_contract": 0.125,
}
STEP_DATA = {
    "collect_needs": {
        "new_customer": {"name": "李娜 Li Na", "phone": "13900001111", "segment": "family"},
        **NEEDS,
    },
    "design_itinerary": ITINERARY,
    "review_itinerary": {"approved": True},
    "present_to_customer": {"customer_accepts": True},
}
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _actor(role: str) -> Any:
    from workflows.permissions import Actor

    return Actor(role, frozenset({role}))


def make_templates(app: Any) -> dict[str, int]:
    """One itinerary_planning case waiting at each stage, made through the service; stage -> case id."""
    from webapp.extensions import db
    from workflows.cases import operations as cases
    from workflows.models import WorkItem

    rt = app.extensions["tripflow"]
    made = {}
    with app.app_context():
        customer_id = None
        for stage in STAGES:
            case = cases.start_case(db.session, rt, "itinerary_planning", {}, _actor("account_manager"))
            for done in STAGES[: STAGES.index(stage)]:
                item = db.session.scalars(
                    select(WorkItem).where(
                        WorkItem.case_id == case.id, WorkItem.bpmn_id == done, WorkItem.status == "ready"
                    )
                ).one()
                data = dict(STEP_DATA[done])
                if done == "collect_needs" and customer_id is not None:
                    data.pop("new_customer")
                    data["customer_id"] = customer_id
                case = cases.complete_task(
                    db.session, rt, item.id, data, _actor(item.lane or "account_manager")
                )
                customer_id = customer_id or case.customer_id
            made[stage] = case.id
        db.session.remove()
    return made


def make_complaint_template(app: Any) -> int:
    """An urgent complaint: one open task and one timer row, due two hours after its start."""
    from webapp.extensions import db
    from workflows.cases import operations as cases

    with app.app_context():
        case = cases.start_case(
            db.session,
            app.extensions["tripflow"],
            "complaint_handling",
            {"urgency": "urgent", "complaint_details": "noisy room", "topic": "hotel"},
            _actor("customer_service"),
        )
        case_id = case.id
        db.session.remove()
    return case_id


@dataclass
class _Rows:
    case: dict[str, Any]
    state: list[bytes]  # the decompressed state split around its UUIDs: text, uuid, text, uuid, ..., text
    items: list[dict[str, Any]]
    events: list[dict[str, Any]]
    timers: list[dict[str, Any]]


class Cloner:
    """Clones template cases with bulk inserts, and deletes cases wholesale (to refill a pool)."""

    def __init__(self, app: Any) -> None:
        from webapp.extensions import db
        from workflows.models import Case, Event, Timer, WorkItem

        self.app = app
        self.tables = {
            "case": Case.__table__,
            "work_item": WorkItem.__table__,
            "event": Event.__table__,
            "timer": Timer.__table__,
        }
        with app.app_context():
            self.engine = db.engine
        self._templates: dict[int, _Rows] = {}

    def _template(self, case_id: int) -> _Rows:
        if case_id not in self._templates:
            t = self.tables
            with self.engine.connect() as conn:
                case = dict(conn.execute(select(t["case"]).where(t["case"].c.id == case_id)).mappings().one())
                rows = {
                    name: [
                        dict(r)
                        for r in conn.execute(
                            select(t[name]).where(t[name].c.case_id == case_id).order_by(t[name].c.id)
                        ).mappings()
                    ]
                    for name in ("work_item", "event", "timer")
                }
            parts = UUID.split(zlib.decompress(case["state"]))
            uuids = UUID.findall(zlib.decompress(case["state"]))
            state = [piece for pair in zip(parts, uuids + [b""], strict=True) for piece in pair][:-1]
            self._templates[case_id] = _Rows(case, state, rows["work_item"], rows["event"], rows["timer"])
        return self._templates[case_id]

    def _next_ids(self, conn: Any) -> dict[str, int]:
        return {
            name: int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1
            for name, table in self.tables.items()
        }

    def clone(
        self, template_id: int, count: int, *, shift: timedelta | None = None, chunk: int = 5000
    ) -> list[int]:
        """``count`` copies of case ``template_id``; returns the new case ids.

        ``shift`` moves every instant of the copies (timer rows, due dates) by that much, e.g. to
        make their timers due now.
        """
        rows = self._template(template_id)
        made: list[int] = []
        with self.engine.begin() as conn:
            ids = self._next_ids(conn)
            while len(made) < count:
                batch = {name: [] for name in self.tables}  # type: dict[str, list[dict[str, Any]]]
                for _ in range(min(chunk, count - len(made))):
                    made.append(self._one(rows, ids, batch, shift))
                for name in ("case", "work_item", "event", "timer"):
                    if batch[name]:
                        conn.execute(insert(self.tables[name]), batch[name])
            self._fix_sequences(conn)
        return made

    def _one(
        self,
        rows: _Rows,
        ids: dict[str, int],
        batch: dict[str, list[dict[str, Any]]],
        shift: timedelta | None,
    ) -> int:
        mapping: dict[bytes, bytes] = {}
        pieces = list(rows.state)
        for i in range(1, len(pieces), 2):  # the odd pieces are the task UUIDs
            old = pieces[i]
            if old not in mapping:
                mapping[old] = str(uuid.uuid4()).encode()
            pieces[i] = mapping[old]
        state = zlib.compress(b"".join(pieces), 1)
        case_id = ids["case"]
        ids["case"] += 1
        batch["case"].append({**rows.case, "id": case_id, "state": state})
        item_ids: dict[int, int] = {}
        for item in rows.items:
            item_ids[item["id"]] = ids["work_item"]
            old_task = item["spiff_task_id"].encode()
            task = mapping.get(old_task) or mapping.setdefault(old_task, str(uuid.uuid4()).encode())
            batch["work_item"].append(
                {
                    **item,
                    "id": ids["work_item"],
                    "case_id": case_id,
                    "spiff_task_id": task.decode(),
                    **_shifted(item, ("due_at", "sort_due"), shift),
                }
            )
            ids["work_item"] += 1
        for event in rows.events:
            batch["event"].append(
                {
                    **event,
                    "id": ids["event"],
                    "case_id": case_id,
                    "work_item_id": item_ids.get(event["work_item_id"], event["work_item_id"]),
                }
            )
            ids["event"] += 1
        for timer in rows.timers:
            old_task = timer["spiff_task_id"].encode()
            task = mapping.get(old_task) or mapping.setdefault(old_task, str(uuid.uuid4()).encode())
            batch["timer"].append(
                {
                    **timer,
                    "id": ids["timer"],
                    "case_id": case_id,
                    "spiff_task_id": task.decode(),
                    **_shifted(timer, ("due_at",), shift),
                }
            )
            ids["timer"] += 1
        return case_id

    def _fix_sequences(self, conn: Any) -> None:
        if conn.dialect.name != "postgresql":
            return
        for name in self.tables:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f'(SELECT coalesce(max(id), 0) + 1 FROM "{name}"), false)'
                )
            )

    def analyze(self) -> None:
        """PostgreSQL: refresh the planner's statistics after a bulk load, as autovacuum soon would."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as conn:
                conn.execute(text("ANALYZE"))

    def delete(self, case_ids: Iterable[int]) -> None:
        """Remove cases with every row that refers to them (all tables with a ``case_id``)."""
        from workflows.db import Base

        ids = list(case_ids)
        with self.engine.begin() as conn:
            for start in range(0, len(ids), 1000):
                part = ids[start : start + 1000]
                for table in reversed(Base.metadata.sorted_tables):
                    if "case_id" in table.c and table.name != "case":
                        conn.execute(delete(table).where(table.c.case_id.in_(part)))
                conn.execute(delete(self.tables["case"]).where(self.tables["case"].c.id.in_(part)))


def _shifted(row: dict[str, Any], names: tuple[str, ...], shift: timedelta | None) -> dict[str, Any]:
    if shift is None:
        return {}
    return {n: row[n] + shift for n in names if isinstance(row.get(n), datetime)}


def populate(app: Any, cloner: Cloner, templates: dict[str, int], total: int) -> dict[str, list[int]]:
    """``total`` open itinerary_planning cases in the proportions of ``MIX`` (the templates included)."""
    made: dict[str, list[int]] = {}
    for stage, share in MIX.items():
        want = max(1, round(total * share)) - 1
        made[stage] = [templates[stage]] + (cloner.clone(templates[stage], want) if want > 0 else [])
    cloner.analyze()
    return made


def open_items(app: Any, case_ids: list[int], bpmn_id: str) -> list[int]:
    """The ready work item ids of ``bpmn_id`` in those cases (in case order)."""
    from webapp.extensions import db
    from workflows.models import WorkItem

    found: list[int] = []
    with app.app_context():
        for start in range(0, len(case_ids), 1000):
            part = case_ids[start : start + 1000]
            found += db.session.scalars(
                select(WorkItem.id)
                .where(WorkItem.case_id.in_(part), WorkItem.bpmn_id == bpmn_id, WorkItem.status == "ready")
                .order_by(WorkItem.case_id)
            ).all()
        db.session.remove()
    return found
