"""Quarterly review [003 §7]: freeze last quarter's figures into a report on the case."""

from __future__ import annotations

from typing import Any

from workflows.context import HandlerContext

from .registry import HandlerRegistry


def compile_metrics(ctx: HandlerContext) -> dict[str, Any]:
    from workflows.metrics import compile_quarter_report

    return compile_quarter_report(ctx)


def register(registry: HandlerRegistry) -> None:
    registry.service("compile_metrics_handler")(compile_metrics)
