"""What a demo user types into each task's form, following the case's plan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from demo import customer_value
from demo.names import ADJUSTMENTS, REVIEW_COMMENTS
from demo.plans import ChangePlan, TripPlan
from workflows.metrics.verdict import findings as metric_findings
from workflows.models import Case, WorkItem

if TYPE_CHECKING:
    from demo.simulator import Simulation


class Answers:
    """What a demo user types into one task's form, following the trip's plan."""

    def __init__(self, sim: Simulation, case: Case, item: WorkItem) -> None:
        self.sim = sim
        self.rng = sim.rng
        self.case = case
        self.item = item
        self.data = case.data or {}
        self.today = sim.today().isoformat()

    def build(self) -> dict[str, Any]:
        """The answer of the task's own method in ``BY_TASK``; for any other task, ``generic``."""
        answer = BY_TASK.get(self.item.bpmn_id)
        return answer(self) if answer is not None else self.generic()

    def trip(self) -> TripPlan | None:
        return self.sim.trips.get(self.case.id)

    # planning
    def collect_needs(self) -> dict[str, Any]:
        plan = self.trip()
        assert plan is not None
        budget = plan.per_day * plan.days * plan.travellers * self.rng.uniform(0.9, 1.3)
        answer = {
            "purpose": plan.purpose,
            "destination": plan.destination,
            "start_date": plan.start.isoformat(),
            "end_date": (plan.start + timedelta(days=plan.days - 1)).isoformat(),
            "travellers": plan.travellers,
            "budget": round(budget, -2),
            "preferences": self.rng.choice(
                [
                    "慢节奏 relaxed pace",
                    "美食 good food",
                    "少走路 little walking",
                    "五星酒店 five-star hotels",
                    "当地体验 local experiences",
                ]
            ),
        }
        if plan.customer_id:
            answer["customer_id"] = plan.customer_id
        else:
            answer["new_customer"] = plan.new_customer
        return answer

    def design_itinerary(self) -> dict[str, Any]:
        plan = self.trip()
        days = plan.days if plan else 5
        destination = self.data.get("destination") or "—"
        itinerary = [
            {
                "day": n,
                "transport": "航班 flight"
                if n == 1
                else self.rng.choice(["包车 private car", "高铁 train", "步行 on foot", "巴士 bus"]),
                "accommodation": f"{destination} hotel",
                "attractions": f"day {n} sights",
                "meals": self.rng.choice(["早餐 breakfast", "早晚餐 breakfast and dinner", "全餐 all meals"]),
            }
            for n in range(1, min(days, 10) + 1)
        ]
        budget = float(self.data.get("budget") or 20000)
        rounds = self.sim.rounds[(self.case.id, "design_itinerary")]
        price = budget * self.rng.uniform(0.95, 1.15) * (0.96**rounds)
        return {"itinerary": itinerary, "quoted_price": round(price, -2)}

    def review_itinerary(self) -> dict[str, Any]:
        plan = self.trip()
        if plan is not None and plan.rejections > 0:
            plan.rejections -= 1
            return {"approved": False, "review_comments": self.rng.choice(REVIEW_COMMENTS)}
        return {"approved": True, "review_comments": ""}

    def present_to_customer(self) -> dict[str, Any]:
        plan = self.trip()
        if plan is not None and plan.adjustments > 0:
            plan.adjustments -= 1
            return {
                "customer_accepts": False,
                "customer_withdrew": False,
                "requested_adjustments": self.rng.choice(ADJUSTMENTS),
            }
        if plan is not None and plan.withdraw:
            return {
                "customer_accepts": False,
                "customer_withdrew": True,
                "withdrawal_reason": self.rng.choice(
                    ["价格 price", "时间冲突 dates no longer work", "选择了其他旅行社 went to a competitor"]
                ),
            }
        return {"customer_accepts": True, "customer_withdrew": False}

    def sign_contract(self) -> dict[str, Any]:
        return {
            "contract_number": f"HT-{self.sim.today().year}-{self.case.id:05d}",
            "signed_on": self.today,
            "total_price": float(self.data.get("quoted_price") or self.data.get("budget") or 10000),
        }

    def arrange_bookings(self) -> dict[str, Any]:
        ref = lambda prefix: f"{prefix}{self.rng.randint(100000, 999999)}"  # noqa: E731
        return {
            "bookings": [
                {
                    "kind": "transport",
                    "supplier": self.rng.choice(
                        ["中国国航 Air China", "东方航空 China Eastern", "全日空 ANA"]
                    ),
                    "reference": ref("PNR"),
                },
                {
                    "kind": "hotel",
                    "supplier": f"{self.data.get('destination', '')} hotel",
                    "reference": ref("H"),
                },
                {"kind": "other", "supplier": "地接社 local agency", "reference": ref("G")},
            ]
        }

    def send_confirmation_letter(self) -> dict[str, Any]:
        return {"sent_via": self.rng.choice(["email", "wechat", "sms"]), "sent_on": self.today}

    def pre_trip_call(self) -> dict[str, Any]:
        return {
            "details_confirmed": True,
            "documents_reminded": True,
            "call_notes": "护照、签证已确认 passports checked",
        }

    # feedback
    def _feedback(self) -> dict[str, Any]:
        plan = self.trip()
        satisfaction, nps = (plan.satisfaction, plan.nps) if plan else (4, 8)
        complaint = plan is not None and plan.category == "complaint"
        answer = {
            "satisfaction": satisfaction,
            "nps": nps,
            "has_complaint": complaint,
            "comments": {5: "非常满意 wonderful trip", 4: "整体不错 good overall", 3: "一般 average"}.get(
                satisfaction, "很失望 disappointed"
            ),
        }
        if complaint and plan is not None and plan.complaint is not None:
            answer["complaint_details"] = plan.complaint.details
        if plan is not None and plan.category == "improvement":
            answer["suggestion"] = self.rng.choice(
                [
                    "希望增加自由活动时间 more free time",
                    "行前说明会更详细 a fuller briefing before departure",
                    "提供电子版行程单 an e-itinerary please",
                ]
            )
        return answer

    def revisit_call(self) -> dict[str, Any]:
        return {**self._feedback(), "called_on": self.today}

    def collect_survey(self) -> dict[str, Any]:
        return {**self._feedback(), "survey_channel": self.rng.choice(["sms", "questionnaire", "wechat"])}

    def supervisor_intervention(self) -> dict[str, Any]:
        offer = self.rng.choice([0, 200, 500])
        return {
            "action_taken": "goodwill_offer" if offer else "called_customer",
            "customer_contacted": True,
            "intervention_notes": "主管致电致歉 supervisor called to apologise",
            "goodwill_offer": offer,
        }

    def classify_feedback(self) -> dict[str, Any]:
        plan = self.trip()
        category = plan.category if plan else "praise"
        answer = {"category": category, "topic": plan.topic if plan else "other"}
        if category == "complaint" and plan is not None and plan.complaint is not None:
            answer["urgency"] = plan.complaint.urgency
            answer["topic"] = plan.complaint.topic
        return answer

    def invite_review(self) -> dict[str, Any]:
        return {
            "review_invited": True,
            "invite_channel": self.rng.choice(["wechat", "sms", "email"]),
            "incentive_offered": "下次出行立减500元 500 CNY off the next trip",
        }

    # complaints
    def resolve_complaint(self) -> dict[str, Any]:
        plan = self.sim.complaint_plan(self.case.id)
        return {
            "complaint_details": (plan.details if plan else None)
            or self.data.get("complaint_details")
            or "complaint",
            "resolution": self.rng.choice(
                [
                    "致歉并退还差价 apology and refund of the difference",
                    "更换酒店 moved to another hotel",
                    "赠送下次旅行优惠券 voucher for the next trip",
                ]
            ),
            "compensation": self.rng.choice([0, 200, 500, 800, 1500]),
            "responsible_party": self.rng.choices(
                ["supplier", "agency", "customer", "other"], [55, 30, 10, 5]
            )[0],
        }

    def escalate_complaint(self) -> dict[str, Any]:
        return {
            "escalation_action": self.rng.choice(["take_over", "guide_agent", "contact_customer"]),
            "escalation_notes": "主管跟进 supervisor following up",
        }

    def follow_up_call(self) -> dict[str, Any]:
        plan = self.sim.complaint_plan(self.case.id)
        number = self.sim.rounds[(self.case.id, "follow_up_call")]
        satisfied = plan.satisfied[min(number, len(plan.satisfied) - 1)] if plan else True
        return {"customer_satisfied": satisfied, "notes": "" if satisfied else "客户仍不满意 still unhappy"}

    def escalate_follow_up(self) -> dict[str, Any]:
        return {
            "follow_up_action": self.rng.choice(["take_over", "contact_customer"]),
            "follow_up_escalation_notes": "回访超时 follow-up overdue",
        }

    # change requests
    def submit_change_request(self) -> dict[str, Any]:
        plan = self.sim.changes.get(self.case.id) or ChangePlan("other", True, 0, True)
        answer = {
            "change_type": plan.change_type,
            "reason": "客户要求 customer's request",
            "details": {
                "hotel": "升级房型 room upgrade",
                "dates": "推迟出发 later departure",
                "activities": "增加一日游 add a day trip",
                "flight": "改签航班 other flight",
                "travellers": "增加一位同行人 one more traveller",
            }.get(plan.change_type, "其他 other"),
        }
        if plan.change_type == "dates":
            start = date.fromisoformat(self.data["start_date"]) + timedelta(days=self.rng.randint(1, 3))
            end = date.fromisoformat(self.data["end_date"]) + (
                start - date.fromisoformat(self.data["start_date"])
            )
            answer.update(new_start_date=start.isoformat(), new_end_date=end.isoformat())
        elif plan.change_type == "travellers":
            answer["new_travellers"] = int(self.data.get("travellers") or 1) + 1
        elif plan.change_type in ("hotel", "flight", "activities"):
            answer["new_lines"] = [
                {
                    "description": answer["details"],
                    "supplier": "地接社 local agency",
                    "reference": f"CHG-{self.case.id}",
                }
            ]
        return answer

    def review_change(self) -> dict[str, Any]:
        plan = self.sim.changes.get(self.case.id) or ChangePlan("other", True, 0, True)
        return {
            "approved": plan.approved,
            "impact_assessment": "供应商可调整 supplier can accommodate"
            if plan.approved
            else "供应商无法调整 supplier cannot change",
            "supplier_contacted": True,
            "cost_delta": plan.cost_delta if plan.approved else 0,
        }

    def explain_fee_change(self) -> dict[str, Any]:
        plan = self.sim.changes.get(self.case.id)
        return {"customer_agrees": plan.agrees if plan else True}

    def notify_customer(self) -> dict[str, Any]:
        return {"notified_via": self.rng.choice(["phone", "wechat"]), "notified_on": self.today}

    # tiering and the quarterly review
    def review_tier_changes(self) -> dict[str, Any]:
        proposals = self.data.get("proposed_tier_changes") or []
        overrides = []
        downgrades = [p for p in proposals if p.get("proposed_tier", "C") > p.get("current_tier", "C")]
        if downgrades and self.rng.random() < 0.6:
            keep = self.rng.choice(downgrades)
            overrides.append(
                {
                    "customer_id": keep["customer_id"],
                    "tier": keep["current_tier"],
                    "reason": "老客户，口碑推荐多 loyal customer who refers friends",
                }
            )
        return {"overrides": overrides, "review_notes": f"{len(proposals)} proposals checked"}

    def notify_tier_changes(self) -> dict[str, Any]:
        return {
            "tier_changes": [
                {
                    **{
                        k: v
                        for k, v in row.items()
                        if k in ("customer_id", "name", "old_tier", "new_tier", "benefits")
                    },
                    "contacted": True,
                    "contact_channel": "phone",
                    "contact_notes": "电话告知 told by phone",
                }
                for row in self.data.get("tier_changes") or []
            ]
        }

    def review_metrics(self) -> dict[str, Any]:
        findings = metric_findings(self.data.get("metrics") or {})
        return {
            "findings": findings,
            "actions": [
                {
                    "action": "供应商质量复查 review hotel and transport suppliers",
                    "owner": "service_supervisor",
                    "due_date": (self.sim.today() + timedelta(days=30)).isoformat(),
                },
                {
                    "action": "缩短方案审核等待 shorten plan review waiting",
                    "owner": "project_manager",
                    "due_date": (self.sim.today() + timedelta(days=45)).isoformat(),
                },
            ],
        }

    def triage_improvements(self) -> dict[str, Any]:
        return {
            "triage": [
                {
                    "item_id": row["item_id"],
                    "summary": row.get("summary", ""),
                    "decision": self.rng.choices(["accepted", "rejected", "deferred"], [50, 20, 30])[0],
                }
                for row in self.data.get("triage") or []
                if row.get("item_id")
            ],
            "triage_notes": "季度分拣 quarterly triage",
        }

    def generic(self) -> dict[str, Any]:
        """A sensible answer to any form: its required fields filled by type."""
        bundle = self.sim.rt.specs.get(self.sim.session, self.case.version)
        info = bundle.user_tasks.get(self.item.bpmn_id)
        schema = bundle.form(info.form_file if info else None) or {}
        answer: dict[str, Any] = {}
        for name in schema.get("required", []):
            spec = schema.get("properties", {}).get(name, {})
            kind = spec.get("type")
            if "enum" in spec:
                answer[name] = spec["enum"][0]
            elif kind == "boolean":
                answer[name] = True
            elif kind in ("number", "integer"):
                answer[name] = spec.get("minimum", 0)
            elif kind == "array":
                answer[name] = self.data.get(name) or []
            elif spec.get("format") == "date":
                answer[name] = self.today
            else:
                answer[name] = "ok"
        return answer


# The user tasks with an answer of their own, by BPMN id; every other task gets ``generic``.
BY_TASK: dict[str, Callable[[Answers], dict[str, Any]]] = {
    "collect_needs": Answers.collect_needs,
    "design_itinerary": Answers.design_itinerary,
    "review_itinerary": Answers.review_itinerary,
    "present_to_customer": Answers.present_to_customer,
    "sign_contract": Answers.sign_contract,
    "arrange_bookings": Answers.arrange_bookings,
    "send_confirmation_letter": Answers.send_confirmation_letter,
    "pre_trip_call": Answers.pre_trip_call,
    "revisit_call": Answers.revisit_call,
    "collect_survey": Answers.collect_survey,
    "supervisor_intervention": Answers.supervisor_intervention,
    "classify_feedback": Answers.classify_feedback,
    "invite_review": Answers.invite_review,
    "resolve_complaint": Answers.resolve_complaint,
    "escalate_complaint": Answers.escalate_complaint,
    "follow_up_call": Answers.follow_up_call,
    "escalate_follow_up": Answers.escalate_follow_up,
    "submit_change_request": Answers.submit_change_request,
    "review_change": Answers.review_change,
    "explain_fee_change": Answers.explain_fee_change,
    "notify_customer": Answers.notify_customer,
    "review_tier_changes": Answers.review_tier_changes,
    "notify_tier_changes": Answers.notify_tier_changes,
    "review_metrics": Answers.review_metrics,
    "triage_improvements": Answers.triage_improvements,
    "win_back": customer_value.win_back,
}

# the customer-value tasks (cards after a trip, settlement, points, birthday gifts)
from demo.value import ANSWERS as _VALUE_ANSWERS  # noqa: E402

BY_TASK.update(_VALUE_ANSWERS)
