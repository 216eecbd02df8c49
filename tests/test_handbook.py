"""The monthly case handbook 《服务案例手册》: 10–15 finished complaints or incidents with lessons,
published once a month by the supervisor, browsable and downloadable as PDF by every employee;
fewer than 10, more than 15 or an unfinished case is refused naming the field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .conftest import SHANGHAI
from .test_pages import ZH, login


def _complaints(start_case: Any, work: Any, count: int, finish: bool = True) -> list[int]:
    ids = []
    for n in range(count):
        case = start_case(
            "complaint_handling",
            by="customer_service",
            urgency="normal",
            topic="meals",
            customer_name=f"顾客{n}",
            complaint_details=f"第{n}晚的晚餐是冷的",
        )
        work(
            case,
            "resolve_complaint",
            complaint_details="冷餐",
            resolution="道歉并退还餐费",
            compensation=100,
            responsible_party="supplier",
        )
        if finish:
            work(case, "follow_up_call", customer_satisfied=True)
        ids.append(case.id)
    return ids


def _entries(ids: list[int]) -> list[dict[str, Any]]:
    return [{"case_id": i, "lesson": f"案例 {i}：出发前与餐厅确认菜单和上菜时间"} for i in ids]


def test_publish_browse_and_refuse(api: Any, clock: Any, start_case: Any, work: Any) -> None:
    clock.set(datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI))
    finished = _complaints(start_case, work, 11)
    open_one = _complaints(start_case, work, 1, finish=False)[0]  # follow-up call still open
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    supervisor = api.as_("service_supervisor")
    candidates = supervisor.get("/api/v1/handbooks/candidates?month=2026-11").get_json()["items"]
    assert sorted(c["case_id"] for c in candidates) == finished
    assert all(c["kind"] == "complaint" and "冷" in c["summary"] for c in candidates)
    assert supervisor.get("/api/v1/handbooks/candidates?month=2026-13").status_code == 400

    def publish(entries: list[dict[str, Any]]) -> Any:
        return supervisor.post("/api/v1/handbooks", json={"month": "2026-11", "entries": entries})

    too_few = publish(_entries(finished[:9]))
    assert too_few.status_code == 400 and too_few.get_json()["details"][0]["field"] == "entries"
    too_many = publish(_entries(finished + finished[:5]))
    assert too_many.status_code == 400 and too_many.get_json()["details"][0]["field"] == "entries"
    unfinished = publish(_entries(finished[:9] + [open_one]))
    assert unfinished.status_code == 400
    assert unfinished.get_json()["details"] == [
        {"field": "entries.9.case_id", "message": "not a finished complaint or incident"}
    ]
    twice = publish(_entries(finished[:9] + finished[:1]))
    assert twice.status_code == 400 and twice.get_json()["details"][0]["field"] == "entries.9.case_id"
    assert (
        api.as_("travel_advisor")
        .post("/api/v1/handbooks", json={"month": "2026-11", "entries": _entries(finished[:10])})
        .status_code
        == 403
    )
    supervisor = api.as_("service_supervisor")
    assert supervisor.get("/api/v1/handbooks").get_json()["items"] == []

    made = supervisor.post("/api/v1/handbooks", json={"month": "2026-11", "entries": _entries(finished[:10])})
    assert made.status_code == 201
    body = made.get_json()
    assert (
        body["title"] == "服务案例手册 2026-11" and [e["case_id"] for e in body["entries"]] == finished[:10]
    )
    assert publish(_entries(finished[1:11])).status_code == 409
    reader = api.as_("tour_guide")
    listed = reader.get("/api/v1/handbooks").get_json()["items"]
    assert [(h["month"], h["cases"]) for h in listed] == [("2026-11", 10)]
    assert reader.get("/api/v1/handbooks/2026-11").get_json()["entries"][0]["lesson"].startswith("案例")
    assert reader.get("/api/v1/handbooks/2026-10").status_code == 404
    pdf = reader.get("/api/v1/handbooks/2026-11/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_handbook_pages(client: Any, clock: Any, start_case: Any, work: Any) -> None:
    clock.set(datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI))
    finished = _complaints(start_case, work, 10)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    login(client, "service_supervisor")
    compose = client.get("/handbooks/new?month=2026-11", headers=ZH).get_data(as_text=True)
    assert all(f'value="{i}"' in compose for i in finished) and "经验教训" in compose
    form: dict[str, Any] = {"month": "2026-11", "pick": [str(i) for i in finished[:9]]}
    form |= {f"lesson_{i}": "提前确认餐厅" for i in finished}
    refused = client.post("/handbooks/new", data=form, headers=ZH)
    assert refused.status_code == 400 and 'role="alert"' in refused.get_data(as_text=True)
    form["pick"] = [str(i) for i in finished]
    done = client.post("/handbooks/new", data=form)
    assert done.status_code == 302 and done.headers["Location"].endswith("/handbooks/2026-11")
    shown = client.get("/handbooks/2026-11", headers=ZH).get_data(as_text=True)
    assert "提前确认餐厅" in shown and "服务案例手册 2026-11" in shown
    index = client.get("/handbooks", headers=ZH).get_data(as_text=True)
    assert "/handbooks/2026-11/pdf" in index
