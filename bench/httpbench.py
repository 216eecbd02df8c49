"""Over HTTP, against gunicorn on loopback: complete-task and inbox page by number of open cases,
case starts, and the throughput of 1, 2 and 4 workers."""

from __future__ import annotations

import statistics
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .harness import Http, Proc, database, make_app, prepare, start_gunicorn
from .load import complete_load, in_processes
from .measure import stats
from .populate import ITINERARY, Cloner, make_templates, open_items, populate

TIMED_APP = "bench.server:timed_app()"


@dataclass
class Shop:
    """One database with ``size`` open cases and a gunicorn serving it."""

    size: int
    url: str
    app: Any
    cloner: Cloner
    templates: dict[str, int]
    server: Proc
    http: Http
    tokens: dict[str, str]
    pool: list[int] = field(default_factory=list)  # ready design_itinerary work items nobody has touched
    used_cases: list[int] = field(default_factory=list)
    build_seconds: float = 0.0

    def next_task(self) -> int:
        if (
            len(self.pool) <= 25 and self.used_cases
        ):  # the inbox never runs dry: half the cases wait for a design
            self.refill()
        return self.pool.pop()

    def refill(self) -> None:
        """Swap the cases already worked on for fresh clones, so the number of open cases stays ``size``."""
        count = len(self.used_cases)
        self.cloner.delete(self.used_cases)
        self.used_cases = []
        fresh = self.cloner.clone(self.templates["design_itinerary"], count)
        self.pool = list(reversed(open_items(self.app, fresh, "design_itinerary"))) + self.pool


def open_shop(
    stack: ExitStack, kind: str, size: int, workdir: Path, workers: int = 1, app_spec: str = TIMED_APP
) -> Shop:
    url = stack.enter_context(database(kind, workdir, f"{kind}-{size}"))
    started = time.perf_counter()
    prepare(url)
    app = make_app(url)
    templates = make_templates(app)
    cloner = Cloner(app)
    made = populate(app, cloner, templates, size)
    build = time.perf_counter() - started
    server = start_gunicorn(url, workdir, workers=workers, app=app_spec, name=f"{kind}-{size}")
    stack.callback(server.stop)
    http = Http(server.base)
    tokens = {u: http.token(u) for u in ("account_manager", "travel_advisor")}
    pool = list(reversed(open_items(app, made["design_itinerary"], "design_itinerary")))
    return Shop(size, url, app, cloner, templates, server, http, tokens, pool, build_seconds=build)


def by_size(kind: str, sizes: list[int], samples: int, workdir: Path, block: int = 50) -> dict[str, Any]:
    """Complete-task and inbox page at each size.

    The sizes take turns in blocks of ``block`` requests of one kind (so that load from elsewhere on
    the machine falls on all sizes alike, while each block runs on a warm worker, as a busy server's
    do); the first block of each size only warms up.
    """
    results: dict[str, Any] = {"sizes": {}}
    names = ("complete", "complete_rtt", "complete_cpu", "inbox", "inbox_rtt", "count")
    with ExitStack() as stack:
        shops = [open_shop(stack, kind, size, workdir) for size in sizes]
        timings = {shop.size: {name: [] for name in names} for shop in shops}
        rounds = -(-samples // block) + 1
        for round_ in range(rounds):
            for shop in shops:
                t = timings[shop.size] if round_ else {name: [] for name in names}  # round 0 warms up
                token = shop.tokens["travel_advisor"]
                for _ in range(block):
                    task_id = shop.next_task()
                    answer = shop.http.request(
                        "POST", f"/api/v1/tasks/{task_id}/complete", {"data": ITINERARY}, token
                    )
                    if answer.status != 200:
                        raise RuntimeError(
                            f"complete {task_id} at {shop.size}: {answer.status} {answer.body}"
                        )
                    shop.used_cases.append(answer.body["case"]["id"])
                    t["complete"].append(answer.server_ms / 1000)
                    t["complete_cpu"].append(_cpu_ms(answer) / 1000)
                    t["complete_rtt"].append(answer.seconds)
                for _ in range(block):
                    page = shop.http.request("GET", "/api/v1/tasks?scope=group", None, token)
                    if page.status != 200 or len(page.body["items"]) == 0:
                        raise RuntimeError(f"inbox at {shop.size}: {page.status} {page.body}")
                    t["inbox"].append(page.server_ms / 1000)
                    t["inbox_rtt"].append(page.seconds)
                for _ in range(block):
                    count = shop.http.request("GET", "/api/v1/tasks/count?scope=group", None, token)
                    t["count"].append(count.server_ms / 1000)
        for shop in shops:
            results["sizes"][shop.size] = {name: stats(values) for name, values in timings[shop.size].items()}
            results["sizes"][shop.size]["build_seconds"] = shop.build_seconds
        results["starts"] = starts(shops[0], samples)
    return results


def _cpu_ms(answer: Any) -> float:
    for part in answer.headers.get("server-timing", "").split(","):
        name, _, rest = part.strip().partition(";dur=")
        if name == "cpu":
            return float(rest)
    return float("nan")


def starts(shop: Shop, count: int) -> dict[str, Any]:
    """Cases started one after the other over HTTP (one worker): per second, and the server time of each."""
    server_times, started = [], time.perf_counter()
    for _ in range(count):
        answer = shop.http.request(
            "POST",
            "/api/v1/cases",
            {"process": "itinerary_planning", "data": {}},
            shop.tokens["account_manager"],
        )
        if answer.status != 201:
            raise RuntimeError(f"start: {answer.status} {answer.body}")
        server_times.append(answer.server_ms / 1000)
    elapsed = time.perf_counter() - started
    return {"per_second": count / elapsed, **stats(server_times)}


def workers_throughput(
    workdir: Path, worker_counts: list[int], open_cases: int, seconds: float, threads: int
) -> dict[int, Any]:
    """Completions per second on PostgreSQL with 1, 2, 4 gunicorn workers, from a load generator process."""
    results: dict[int, Any] = {}
    with database("postgresql", workdir, "workers") as url:
        prepare(url)
        app = make_app(url)
        templates = make_templates(app)
        cloner = Cloner(app)
        populate(app, cloner, templates, open_cases)
        for workers in worker_counts:
            pool = cloner.clone(templates["design_itinerary"], int(700 * (seconds + 2)) + 500)
            cloner.analyze()
            ids = open_items(app, pool, "design_itinerary")
            server = start_gunicorn(url, workdir, workers=workers, name=f"workers-{workers}")
            try:
                token = Http(server.base).token("travel_advisor")
                outcome = in_processes(1, complete_load, server.base, token, ids, threads, seconds, 2.0)[0]
            finally:
                server.stop()
            outcome["workers"] = workers
            results[workers] = outcome
        from webapp.extensions import db
        from workflows.cases.consistency import check_all

        with app.app_context():
            # what `flask check` does: every case's state against its inbox rows and timers
            problems = check_all(db.session, app.extensions["tripflow"])
            results[max(worker_counts)]["check_problems"] = len(problems)
            db.session.remove()
            db.engine.dispose()
    return results


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
