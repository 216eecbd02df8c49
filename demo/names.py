"""The tables the simulated agency draws from: names, destinations, complaint topics, review words,
how long each task waits and is worked on, and how busy each month is.
"""

from __future__ import annotations

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "桂兰",
    "志强",
    "晓东",
    "雪梅",
    "建华",
    "海燕",
    "思远",
    "子涵",
    "雨桐",
]
ENGLISH = [
    "Emily Chen",
    "James Wong",
    "Sophie Martin",
    "Daniel Lee",
    "Olivia Zhang",
    "Lucas Müller",
    "Grace Liu",
    "Henry Tan",
    "Chloe Wang",
    "Ethan Brown",
    "Mia Lin",
    "Noah Kim",
    "Ava Huang",
    "Leo Garcia",
    "Isabella Wu",
    "Ryan Zhou",
    "Hannah Schmidt",
    "Jack Sun",
    "Lily Zhao",
    "Oscar Nguyen",
]
DESTINATIONS = [  # (name, CNY per person per day)
    ("京都 Kyoto", 1800),
    ("北海道 Hokkaido", 2000),
    ("巴厘岛 Bali", 1500),
    ("三亚 Sanya", 900),
    ("丽江 Lijiang", 800),
    ("成都 Chengdu", 700),
    ("拉萨 Lhasa", 1100),
    ("巴黎 Paris", 2600),
    ("冰岛 Iceland", 3200),
    ("新西兰 New Zealand", 2400),
    ("清迈 Chiang Mai", 1000),
    ("马尔代夫 Maldives", 3000),
    ("瑞士 Switzerland", 3000),
    ("新加坡 Singapore", 1600),
    ("西安 Xi'an", 700),
    ("桂林 Guilin", 650),
]
PURPOSES = {
    "family": ["家庭度假 family holiday", "父母结婚纪念 parents' anniversary", "亲子游 trip with the kids"],
    "business": ["公司奖励旅游 company incentive trip", "商务考察 business visit with sightseeing"],
    "experience": ["徒步 hiking", "摄影之旅 photography tour", "美食之旅 food tour", "蜜月 honeymoon"],
}
TOPICS = ["hotel", "transport", "guide", "meals", "itinerary", "price", "other"]
TOPIC_WEIGHTS = [30, 22, 14, 12, 10, 8, 4]
COMPLAINT_TEXT = {
    "hotel": "酒店房间不干净，与宣传不符 / room not clean, not as advertised",
    "transport": "接送车辆迟到一个多小时 / transfer more than an hour late",
    "guide": "导游态度差，讲解敷衍 / the guide was rude and careless",
    "meals": "团餐质量差 / poor group meals",
    "itinerary": "行程太赶，景点时间不够 / schedule too tight",
    "price": "现场被要求额外付费 / asked to pay extra on site",
    "other": "行李在转机时丢失 / luggage lost on the connection",
}
REVIEW_COMMENTS = [
    "报价超出预算 quote over budget",
    "第三天行程太赶 day 3 too packed",
    "酒店等级与客户要求不符 hotel below the requested standard",
    "缺少儿童友好的活动 nothing for the kids",
    "航班衔接时间太短 connection too short",
]
ADJUSTMENTS = [
    "希望换成海景房 sea-view room please",
    "想多加一天自由活动 one more free day",
    "减少购物点 fewer shopping stops",
    "改为直飞航班 direct flights",
    "预算再降一些 a little cheaper",
]

# hours: (wait from, wait to, work from, work to); a task waits in the inbox, then is worked on
DELAYS: dict[str, tuple[float, float, float, float]] = {
    "collect_needs": (0.2, 6, 0.3, 2),
    "design_itinerary": (2, 30, 2, 10),
    "review_itinerary": (1, 26, 0.2, 2),
    "present_to_customer": (4, 48, 0.5, 3),
    "sign_contract": (8, 72, 0.5, 2),
    "arrange_bookings": (2, 24, 1, 6),
    "send_confirmation_letter": (1, 12, 0.1, 0.5),
    "pre_trip_call": (0.5, 20, 0.2, 0.8),
    "revisit_call": (1, 40, 0.2, 1),
    "collect_survey": (1, 48, 0.2, 1),
    "supervisor_intervention": (1, 20, 0.3, 2),
    "classify_feedback": (1, 30, 0.1, 0.5),
    "invite_review": (2, 48, 0.1, 0.5),
    "escalate_complaint": (0.2, 2, 0.3, 2),
    "escalate_follow_up": (0.5, 4, 0.2, 1),
    "submit_change_request": (0.1, 2, 0.2, 1),
    "review_change": (0.5, 6, 0.3, 2),
    "explain_fee_change": (1, 8, 0.2, 1),
    "notify_customer": (0.5, 4, 0.1, 0.5),
    "review_tier_changes": (4, 48, 0.5, 2),
    "notify_tier_changes": (4, 72, 1, 6),
    "review_metrics": (24, 96, 1, 4),
    "triage_improvements": (24, 96, 1, 3),
}
DEFAULT_DELAY = (1, 24, 0.2, 2)

MONTH_WEIGHTS = {
    1: 1.3,
    2: 0.9,
    3: 0.8,
    4: 1.0,
    5: 1.2,
    6: 1.3,
    7: 1.1,
    8: 0.9,
    9: 1.2,
    10: 1.0,
    11: 0.8,
    12: 1.0,
}
