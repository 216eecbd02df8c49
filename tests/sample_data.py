"""A family's trip to Kyoto: the form answers tests and benchmarks submit for itinerary planning."""

from __future__ import annotations

NEEDS = {
    "purpose": "family holiday",
    "destination": "Kyoto",
    "start_date": "2026-12-20",
    "end_date": "2026-12-27",
    "travellers": 3,
    "budget": 36000,
    "preferences": "temples, onsen",
}
ITINERARY = {
    "itinerary": [
        {
            "day": 1,
            "transport": "flight PVG-KIX",
            "accommodation": "Kyoto ryokan",
            "attractions": "Gion",
            "meals": "kaiseki dinner",
        },
        {
            "day": 2,
            "transport": "bus",
            "accommodation": "Kyoto ryokan",
            "attractions": "Fushimi Inari",
            "meals": "breakfast",
        },
    ],
    "quoted_price": 34000,
}
