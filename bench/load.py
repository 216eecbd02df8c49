"""Load from other OS processes: a bounded HTTP load generator, and service calls from N processes at once.

Processes are started with ``spawn`` (no fork of a process holding database connections); each
builds what it needs, waits at a barrier so that all start together, and reports back one result.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any

from .harness import Http

CONTEXT = multiprocessing.get_context("spawn")


_barrier: Any = None


def sync(timeout: float = 120) -> None:
    """Inside a process of ``in_processes``: wait until every process of the group gets here."""
    _barrier.wait(timeout)


def _run_child(index: int, barrier: Any, queue: Any, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    global _barrier
    _barrier = barrier
    try:
        prepared = fn(index, None, *args)  # set up (build the app, log in...) before the barrier
        barrier.wait(120)
        queue.put((index, "ok", fn(index, prepared, *args)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which decides
        import traceback

        queue.put((index, "error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))


def in_processes(count: int, fn: Callable[..., Any], *args: Any, timeout: float = 300) -> list[Any]:
    """Run ``fn`` in ``count`` processes that start its real work together; returns their results in order.

    ``fn(index, None, *args)`` prepares and returns what the process needs; then, after every
    process has prepared, ``fn(index, prepared, *args)`` does the work and returns a picklable result.
    Raises ``RuntimeError`` with the child's traceback when one fails.
    """
    barrier = CONTEXT.Barrier(count)
    queue = CONTEXT.Queue()
    procs = [
        CONTEXT.Process(target=_run_child, args=(i, barrier, queue, fn, args), daemon=True)
        for i in range(count)
    ]
    for proc in procs:
        proc.start()
    results: dict[int, Any] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(results) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"only {len(results)} of {count} processes answered within {timeout:g} s")
            index, status, value = queue.get(timeout=left)
            if status == "error":
                raise RuntimeError(f"process {index} failed: {value}")
            results[index] = value
    finally:
        for proc in procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
    return [results[i] for i in range(count)]


# --- the HTTP load generator ----------------------------------------------------------------


def complete_load(
    index: int,
    prepared: Any,
    base: str,
    token: str,
    ids: list[int],
    threads: int,
    seconds: float,
    warmup: float,
) -> Any:
    """Complete the tasks ``ids`` (one design_itinerary each) from ``threads`` threads for at most
    ``warmup + seconds``; returns the completions per second after the warm-up and the failures."""
    if prepared is None:
        return True
    from .populate import ITINERARY

    http = Http(base, timeout=60)
    lock = threading.Lock()
    pending = list(reversed(ids))
    counted = {"ok": 0, "failed": 0, "statuses": {}}
    started = time.monotonic()
    measure_from = started + warmup
    stop_at = measure_from + seconds

    def take() -> int | None:
        with lock:
            return pending.pop() if pending else None

    def work() -> None:
        while time.monotonic() < stop_at:
            task_id = take()
            if task_id is None:
                return
            try:
                status = http.request(
                    "POST", f"/api/v1/tasks/{task_id}/complete", {"data": ITINERARY}, token
                ).status
            except OSError:
                status = 0
            if time.monotonic() >= measure_from:
                with lock:
                    counted["ok" if status == 200 else "failed"] += 1
                    counted["statuses"][status] = counted["statuses"].get(status, 0) + 1

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = max(1e-9, min(time.monotonic(), stop_at) - measure_from)
    return {
        "per_second": counted["ok"] / elapsed,
        "ok": counted["ok"],
        "failed": counted["failed"],
        "statuses": counted["statuses"],
        "seconds": elapsed,
        "ran_out": not pending,
    }
