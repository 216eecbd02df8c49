"""The benchmark's engine floor runs on today's models: a model that gains a business rule (a DMN
table) must not leave ``make bench`` failing before it measures anything."""

from __future__ import annotations

from bench import measure


def test_the_engine_floor_runs_on_the_current_itinerary_model() -> None:
    floor = measure.engine_floor(repeat=3)
    assert floor["stock"]["median"] > 0 and floor["tripflow"]["median"] > 0
    assert 0 < floor["tripflow_bytes"] < floor["stock_bytes"]  # the compressed state is the smaller
