"""Moving running cases to a new version: what may move, what may not and why, and what it leaves behind."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from workflows.cases import operations as cases
from workflows.models import Case, Event, Timer, WorkItem
from workflows.permissions import SYSTEM

from .conftest import ROOT, actor, open_task
from .test_deploy import upload

COMPLAINT = (ROOT / "bpmn" / "complaint_handling.bpmn").read_bytes()


def visa(
    second_task: str = "",
    *,
    first_name: str = "Collect passport",
    timer: str = '"PT2H"',
    first_lane: str = "travel_advisor",
) -> bytes:
    """collect (lane ``first_lane``, 2 h reminder) → [second_task] → end."""
    after = "collect"
    extra = ""
    if second_task:
        extra = (
            f'<bpmn:userTask id="{second_task}" name="{second_task}"/>'
            f'<bpmn:sequenceFlow id="f_{second_task}" sourceRef="collect" targetRef="{second_task}"/>'
        )
        after = second_task
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://t">
  <bpmn:process id="visa" name="Visa" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l1" name="{first_lane}"><bpmn:flowNodeRef>collect</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="collect" name="{first_name}"/>
    <bpmn:boundaryEvent id="remind" attachedToRef="collect" cancelActivity="false">
      <bpmn:timerEventDefinition id="td">
        <bpmn:timeDuration>{timer}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="reminded"/>
    <bpmn:sequenceFlow id="f_remind" sourceRef="remind" targetRef="reminded"/>
    {extra}
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="collect"/>
    <bpmn:sequenceFlow id="f_end" sourceRef="{after}" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def deploy(api: Any, content: bytes, name: str = "visa.bpmn") -> dict[str, Any]:
    response = upload(api, (name, content))
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def start(session: Any, rt: Any, key: str = "visa", **data: Any) -> Case:
    return cases.start_case(session, rt, key, data, actor("process_owner"))


def migrate(api: Any, key: str, selection: Any, dry_run: bool = False) -> dict[str, Any]:
    response = api.as_("process_owner").post(
        f"/api/v1/processes/{key}/migrate", json={"cases": selection, "dry_run": dry_run}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_case_moves_when_its_active_task_exists_unchanged(api, session, rt, clock):
    deploy(api, visa())
    case = start(session, rt)
    item = open_task(session, case.id, "collect")
    cases.claim_task(session, rt, item.id, actor("travel_advisor"))
    due_before = session.scalar(select(Timer.due_at).where(Timer.case_id == case.id))
    clock.advance(hours=1)
    assert deploy(api, visa("check_photo"))["version"] == 2

    dry = migrate(api, "visa", [case.id], dry_run=True)
    assert dry["to_version"] == 2 and dry["dry_run"] is True
    [outcome] = dry["items"]
    assert outcome["status"] == "can_migrate" and outcome["can_migrate"] and outcome["from_version"] == 1, (
        outcome["reasons"]
    )
    session.expire_all()
    assert session.get(Case, case.id).version.version == 1  # a dry run changes nothing

    [done] = migrate(api, "visa", [case.id])["items"]
    assert done["status"] == "migrated", done
    session.expire_all()
    moved = session.get(Case, case.id)
    assert moved.version.version == 2 and moved.status == "running"
    same = open_task(session, case.id, "collect")
    assert same.id == item.id and same.claimed_by == "travel_advisor"  # the claim survives
    assert session.scalar(select(Timer.due_at).where(Timer.case_id == case.id)) == due_before  # no restart
    event = session.scalars(
        select(Event).where(Event.case_id == case.id, Event.kind == "case_migrated")
    ).one()
    assert event.text.startswith("version 1 → 2") and event.user == "process_owner"

    cases.complete_task(session, rt, item.id, {}, actor("travel_advisor"))
    assert open_task(session, case.id, "check_photo")  # the new version's next step

    again = migrate(api, "visa", [case.id])["items"][0]
    assert again["status"] == "unchanged"


def test_a_case_is_refused_when_its_task_was_removed(api, session, rt):
    deploy(api, visa("check_photo"))
    case = start(session, rt)
    cases.complete_task(session, rt, open_task(session, case.id, "collect").id, {}, actor("travel_advisor"))
    assert open_task(session, case.id, "check_photo")
    deploy(api, visa())
    [outcome] = migrate(api, "visa", "all", dry_run=True)["items"]
    assert outcome["status"] == "refused" and not outcome["can_migrate"]
    assert any("'check_photo'" in r and "no longer has" in r for r in outcome["reasons"]), outcome
    [real] = migrate(api, "visa", [case.id])["items"]
    assert real["status"] == "refused"
    session.expire_all()
    assert session.get(Case, case.id).version.version == 1
    assert not session.scalars(
        select(Event).where(Event.case_id == case.id, Event.kind == "case_migrated")
    ).all()


def test_a_case_is_refused_when_a_completed_task_changed(api, session, rt):
    deploy(api, visa("check_photo"))
    case = start(session, rt)
    cases.complete_task(session, rt, open_task(session, case.id, "collect").id, {}, actor("travel_advisor"))
    deploy(api, visa("check_photo", first_name="Collect passport and photo"))
    [outcome] = migrate(api, "visa", [case.id])["items"]
    assert outcome["status"] == "refused"
    assert any("already done and has changed" in r for r in outcome["reasons"]), outcome


def test_a_changed_ready_task_moves_unless_someone_holds_it(api, session, rt):
    deploy(api, visa())
    free = start(session, rt)
    held = start(session, rt)
    cases.claim_task(session, rt, open_task(session, held.id, "collect").id, actor("travel_advisor"))
    deploy(api, visa(first_name="Collect passport (scan)", first_lane="account_manager"))
    items = {o["case_id"]: o for o in migrate(api, "visa", "all")["items"]}
    assert items[free.id]["status"] == "migrated" and items[free.id]["changed_tasks"] == [
        "Collect passport (scan)"
    ]
    assert items[held.id]["status"] == "refused"
    assert "travel_advisor is working on it" in items[held.id]["reasons"][0]
    session.expire_all()
    item = open_task(session, free.id, "collect")
    assert item.name == "Collect passport (scan)" and item.lane == "account_manager"


def test_the_complaint_sla_change_refuses_cases_past_the_changed_script(api, session, rt):
    case = cases.start_case(
        session, rt, "complaint_handling", {"urgency": "urgent"}, actor("customer_service")
    )
    edited = COMPLAINT.replace(b'2 if urgency == "urgent" else 24', b'3 if urgency == "urgent" else 24')
    deploy(api, edited, "complaint_handling.bpmn")
    [outcome] = migrate(api, "complaint_handling", "all", dry_run=True)["items"]
    assert outcome["case_id"] == case.id and outcome["status"] == "refused"
    assert any("Compute resolution deadline" in r and "already done" in r for r in outcome["reasons"]), (
        outcome
    )


def test_migrate_input_and_unknown_cases(api, session, rt):
    deploy(api, visa())
    po = api.as_("process_owner")
    assert po.post("/api/v1/processes/visa/migrate", json={"cases": []}).status_code == 400
    assert po.post("/api/v1/processes/visa/migrate", json={"cases": "some"}).status_code == 400
    assert po.post("/api/v1/processes/nope/migrate", json={"cases": "all"}).status_code == 404
    other = cases.start_case(session, rt, "complaint_handling", {}, actor("customer_service"))
    items = migrate(api, "visa", [424242, other.id])["items"]
    assert [i["status"] for i in items] == ["refused", "refused"]
    assert "does not exist" in items[0]["reasons"][0] and "not visa" in items[1]["reasons"][0]


def test_a_migrated_case_fires_its_timer_on_the_new_version(api, session, rt, clock):
    deploy(api, visa())
    case = start(session, rt)
    deploy(api, visa("check_photo"))
    assert migrate(api, "visa", [case.id])["items"][0]["status"] == "migrated"
    clock.advance(hours=2, seconds=1)
    assert cases.fire_due_timers(session, rt, SYSTEM) == [case.id]
    session.expire_all()
    assert session.get(Case, case.id).status == "running"
    assert session.scalars(
        select(WorkItem).where(WorkItem.case_id == case.id, WorkItem.status == "ready")
    ).all()
    assert clock.now() - case.started_at >= timedelta(hours=2)
