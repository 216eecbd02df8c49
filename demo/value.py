"""What the demo users type into the customer-value tasks: the cards after a trip, the settlement,
points redeemed on contracts, birthday gifts (issue 18), so the card pages have data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from workflows.customers import points

if TYPE_CHECKING:
    from demo.answers import Answers

DIETARY = ["不吃辣 no spicy food", "素食 vegetarian", "海鲜过敏 no shellfish", "清淡 light meals", ""]
ROOMS = ["安静高楼层 quiet, high floor", "大床房 king bed", "无烟房 non-smoking", "连通房 connecting rooms"]
PACES = ["轻松 relaxed", "适中 moderate", "紧凑 intensive"]
INTERESTS = ["古迹 history", "美食 food", "海岛 islands", "摄影 photography", "徒步 hiking", "购物 shopping"]
OFFERS = [
    "冬季北海道 Hokkaido in winter",
    "海岛亲子游 family island trip",
    "欧洲深度游 slow Europe",
    "云南徒步 hiking in Yunnan",
    "邮轮 a cruise",
]
HAPPENED = [
    "行程顺利 the trip went as planned",
    "第三天下雨，改为室内活动 rain on day 3, moved indoors",
    "航班延误两小时 flight two hours late",
    "酒店升级 hotel upgraded",
]
SAID = [
    "非常满意 very happy",
    "导游很专业 the guide was excellent",
    "希望节奏更慢 wants a slower pace",
    "餐食一般 meals so-so",
]
GIFTS = ["茶具 tea set", "鲜花与蛋糕 flowers and cake", "旅行箱 suitcase", "定制相册 photo book"]


def update_profile_card(a: Answers) -> dict[str, Any]:
    rng = a.rng
    answer = {
        "dietary": rng.choice(DIETARY),
        "room_preference": rng.choice(ROOMS),
        "travel_pace": rng.choice(PACES),
        "interests": "、".join(rng.sample(INTERESTS, 2)),
        "offer_next": rng.choice(OFFERS),
    }
    if (a.data.get("travellers") or 1) > 2 and rng.random() < 0.5:
        answer["children_needs"] = "儿童餐与安全座椅 kids' meals and a car seat"
        answer["family"] = "带孩子出行 travels with children"
    if rng.random() < 0.15:
        answer["mobility"] = "少走路，需要电梯 little walking, needs lifts"
    return {k: v for k, v in answer.items() if v}


def contact_record_card(a: Answers) -> dict[str, Any]:
    rng = a.rng
    answer = {"what_happened": rng.choice(HAPPENED), "customer_said": rng.choice(SAID), "channel": "visit"}
    if rng.random() < 0.4:
        answer["follow_ups"] = "寄送行程照片 send the trip photos"
    return answer


def settle_trip(a: Answers) -> dict[str, Any]:
    """Most trips settle at the contract price; some with extras bought on the way."""
    price = float(a.data.get("total_price") or a.data.get("contract_price") or 10000)
    paid = round(price * a.rng.choice([1.0, 1.0, 1.0, 1.03, 1.08]), 2)
    return {"amount_paid": paid, "supplier_costs": round(paid * a.rng.uniform(0.72, 0.88), 2)}


def sign_contract(a: Answers) -> dict[str, Any]:
    """Half of the customers holding points spend most of them on the next contract."""
    from demo.answers import Answers as Base

    answer = Base.sign_contract(a)
    customer_id = a.data.get("customer_id")
    terms = points.redemption_terms(a.sim.session, a.data.get("customer_tier"))
    if not customer_id or terms is None or not terms.points or a.rng.random() < 0.5:
        return answer
    held = points.balance(a.sim.session, int(customer_id), a.sim.now())
    usable = (held // terms.points) * terms.points
    if usable and terms.value_of(usable) < answer["total_price"] / 2:
        answer["points_redeemed"] = usable
    return answer


def send_birthday_greeting(a: Answers) -> dict[str, Any]:
    delivered = a.sim.today() + timedelta(days=a.rng.randint(1, 5))
    return {
        "greeted_via": a.rng.choice(["phone", "wechat", "visit"]),
        "greeted_on": a.today,
        "gift": a.rng.choice(GIFTS),
        "delivery": a.rng.choice(["courier", "in_person"]),
        "gift_delivered_on": delivered.isoformat(),
    }


ANSWERS: dict[str, Callable[[Answers], dict[str, Any]]] = {
    "update_profile_card": update_profile_card,
    "contact_record_card": contact_record_card,
    "contact_record_card_by_account_manager": contact_record_card,
    "settle_trip": settle_trip,
    "sign_contract": sign_contract,
    "send_birthday_greeting": send_birthday_greeting,
}
