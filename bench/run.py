"""``make bench``: every benchmark, written as Markdown tables to bench/RESULTS.md.

    python -m bench.run                 # the full run (10-20 minutes on 2 cores)
    python -m bench.run --quick         # small sizes, a smoke test of the harness (prints, writes nothing)
    python -m bench.run --only floor,sql,breakdown,pgbreakdown,profile,loops,http,timers,workers
    python -m bench.run --check         # also exit 1 when a target is missed (not part of make test)

PostgreSQL sections need the server on 127.0.0.1:5432 (``make postgres``); without it they are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .harness import ROOT, database, postgres_available
from .load import in_processes

SECTIONS = ("floor", "sql", "breakdown", "pgbreakdown", "profile", "loops", "http", "timers", "workers")


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    info = {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    try:
        import psycopg

        from .harness import POSTGRES

        with psycopg.connect(POSTGRES.replace("postgresql+psycopg", "postgresql"), connect_timeout=3) as conn:
            info["postgresql"] = str(conn.execute("SHOW server_version").fetchone()[0])
    except Exception:  # noqa: BLE001 - reported as absent
        info["postgresql"] = "not available"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        info["commit"] = commit + (" + uncommitted changes" if dirty else "")
    except OSError:
        info["commit"] = "unknown"
    return info


def run(
    sections: tuple[str, ...],
    quick: bool,
    workdir: Path,
    sizes_by_kind: dict[str, list[int]] | None = None,
) -> dict[str, Any]:
    from . import httpbench, measure

    sizes = [100, 1_000, 5_000] if quick else [100, 10_000, 100_000]
    sizes_by_kind = sizes_by_kind or {}
    samples = 30 if quick else 200
    pg = postgres_available()
    kinds = ["sqlite"] + (["postgresql"] if pg else [])
    out: dict[str, Any] = {
        "machine": machine(),
        "sizes": sizes,
        "kinds": kinds,
        "quick": quick,
        "timings": {},
    }

    def section(name: str, fn: Any) -> None:
        if name not in sections:
            return
        started = time.perf_counter()
        print(f"[bench] {name} ...", flush=True)
        out[name] = fn()
        out["timings"][name] = time.perf_counter() - started
        print(f"[bench] {name} done in {out['timings'][name]:.0f} s", flush=True)

    section("floor", lambda: measure.engine_floor(200 if quick else 1000))
    section("sql", lambda: measure.sql_counts(workdir))
    section("breakdown", lambda: measure.breakdown(workdir, 100 if quick else 500))
    if pg:
        section("pgbreakdown", lambda: measure.breakdown(workdir, 100 if quick else 500, kind="postgresql"))
    section(
        "profile",
        lambda: {kind: measure.profile(workdir, 100 if quick else 300, kind=kind) for kind in kinds},
    )
    section(
        "loops",
        lambda: measure.rework_loops(
            workdir, loops=10 if quick else 50, marks=(0, 5, 10) if quick else (0, 1, 5, 10, 20, 30, 40, 50)
        ),
    )
    section(
        "http",
        lambda: {
            kind: httpbench.by_size(kind, sizes_by_kind.get(kind, sizes), samples, workdir) for kind in kinds
        },
    )
    section("timers", lambda: timers(kinds, 500 if quick else 10_000, workdir))
    if pg:
        section(
            "workers",
            lambda: httpbench.workers_throughput(
                workdir, [1, 2, 4], 1_000 if quick else 10_000, 3.0 if quick else 10.0, 8
            ),
        )
    return out


def timers(kinds: list[str], count: int, workdir: Path) -> dict[str, Any]:
    """``count`` due timers fired by one runner (and, on PostgreSQL, by two side by side)."""
    from . import measure

    results: dict[str, Any] = {}
    for kind in kinds:
        for runners in [1, 2] if kind == "postgresql" else [1]:
            with database(kind, workdir, f"timers-{runners}") as url:
                app, at = measure.timer_database(url, count)
                outcome = in_processes(runners, measure.fire_all, url, at.isoformat(), timeout=1800)
                seconds = max(o["seconds"] for o in outcome)
                check = measure.timer_outcome(app, at)
                results[f"{kind}/{runners}"] = {
                    "kind": kind,
                    "runners": runners,
                    "timers": count,
                    "fired": sum(o["fired"] for o in outcome),
                    "seconds": seconds,
                    "per_second": count / seconds,
                    **check,
                }
                _dispose(app)
    return results


def _dispose(app: Any) -> None:
    from webapp.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes; prints the report instead of writing it"
    )
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--out", default=None, help="where to write the Markdown (default bench/RESULTS.md)")
    parser.add_argument("--json", default=None, help="also write the raw numbers as JSON here")
    parser.add_argument("--check", action="store_true", help="exit 1 when the targets table has a ❌")
    parser.add_argument("--sizes", default=None, help="open-case sizes for the http section, e.g. 100,100000")
    parser.add_argument(
        "--pg-sizes", default=None, help="sizes for PostgreSQL only, e.g. 100,1000000 (the million-case row)"
    )
    args = parser.parse_args(argv)
    sizes_by_kind = {}
    for kind, given in (("sqlite", args.sizes), ("postgresql", args.pg_sizes or args.sizes)):
        if given:
            sizes_by_kind[kind] = [int(x) for x in given.split(",") if x.strip()]
    sections = tuple(s for s in args.only.split(",") if s)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    command = (
        "make bench"
        if not argv and os.environ.get("MAKELEVEL")
        else "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tripflow-bench-") as tmp:
        results = run(sections, args.quick, Path(tmp), sizes_by_kind)
    results["command"] = command.strip()
    results["date"] = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    results["total_seconds"] = time.perf_counter() - started
    from .report import missed, render

    text = render(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    if args.quick and args.out is None:
        print(text)
    else:
        path = Path(args.out) if args.out else ROOT / "bench" / "RESULTS.md"
        path.write_text(text)
        print(f"[bench] wrote {path} in {results['total_seconds'] / 60:.1f} min")
    if "## Targets" in text and not args.quick:
        print("## Targets" + text.split("## Targets", 1)[1].split("\n## ", 1)[0])
    if args.check:
        if missed(text):
            print("[bench] --check: a target is missed (❌)", file=sys.stderr)
            return 1
        print("[bench] --check: no target missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
