"""The Markdown of bench/RESULTS.md, from the numbers ``bench.run`` collected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

HOW = """\
## How it is measured

- **Server time** is the app's own time for a request (routing, auth, the service call with its
  database transaction, the JSON answer), taken by a WSGI wrapper around the app
  (`bench/server.py`, header `Server-Timing`) in one gunicorn sync worker on loopback; the client
  round trip (new TCP connection each time, as gunicorn's sync workers close them) is shown beside it.
  Medians, p90 in brackets.
- **Open cases** are made by starting one `itinerary_planning` case per step (collect needs, design,
  review, present, sign) through the service, then cloning those cases' rows with bulk inserts
  (`bench/populate.py`): the `case` row with every SpiffWorkflow task UUID in its state replaced by a
  fresh one and the state recompressed as the engine does, its `work_item`, `event` and `timer` rows
  with new ids. Half the open cases wait at `design_itinerary`, an eighth at each other step.
- **Complete-task** completes `design_itinerary` (no handler side effects besides the discount
  fields) on a case nobody touched yet, as `travel_advisor`, unclaimed (so it claims, completes, runs
  the engine to `review_itinerary` and writes the new inbox row). The cases used are swapped for fresh
  clones between rounds so the number of open cases stays put. **Inbox page** is
  `GET /api/v1/tasks?scope=group` (first page, 50 rows) for `travel_advisor`, whose group holds half
  of all open cases. **Badge count** is `GET /api/v1/tasks/count?scope=group` for the same user.
- The three sizes are measured side by side: three servers, taking turns in blocks of 50
  requests of one kind (so that load from elsewhere on the machine falls on all sizes alike, and
  each block runs on a warm worker); ratios come from the same run.
- **Engine floor**: stock SpiffWorkflow 3.2 (stock parser, `PythonScriptEngine`, stock JSON
  serializer with the spec) deserializes an `itinerary_planning` workflow waiting at
  `design_itinerary`, completes that task, runs to the next wait state and serializes it again.
  "Tripflow engine" is the same with Tripflow's sandboxed script engine and its shared-spec,
  zlib-compressed state (no database).
- **Timers**: urgent complaint cases cloned as above, each with one boundary timer row that is due;
  `fire_due_timers` (what `flask timers run` and `flask worker` call) fires them all, one case per
  transaction. On PostgreSQL also two runner processes side by side (`FOR UPDATE SKIP LOCKED`).
- **Workers**: gunicorn with 1, 2 and 4 sync workers on PostgreSQL with 10,000 open cases; a load
  generator in its own process runs 8 threads completing distinct `design_itinerary` tasks over HTTP
  for 10 s after a 2 s warm-up; completions per second.
- **Rework loops**: one case per row through the service on SQLite: review rejected → redesign, again
  and again; the stored state's size, and the median time of the two completions of that loop.
"""


REMAINS = """\
## What was changed for speed, and what remains

Issue 19 (each change measured before and after in the last section):

- a group task tells its lane with **one role-addressed notice** (`notification.username` NULL,
  `role` the lane) instead of one row per active member; each member's bell reads the role's
  notices beside their own and marks them read with a per-user marker (`notification_read`);
  e-mails to the members and the group-robot post are fanned out by the worker after commit;
- the called versions a case's state holds are kept in `case.called_versions` (written by
  `Step.save`), so the step's set-up and the case view no longer decompress and parse the state
  a second time;
- complete-task and start **answer from inside their unit of work**, before the commit (the
  step's own open work items for complete-task), instead of re-reading the case after it;
- PostgreSQL: psycopg **prepares statements** (after their second run) and a connection keeps them,
  because a request that wrote nothing ends with COMMIT (`workflows.cases.step.end_read`) rather
  than the ROLLBACK that made psycopg discard them; `pool_pre_ping`'s round trip is replaced by a
  look at the socket at checkout (a connection the server closed is replaced, no round trip);
- PostgreSQL: a write request's read transaction (auth) becomes its write transaction (flushed and
  expired as a commit would, `workflows.unit.begin_write`) instead of COMMIT + BEGIN;
- **an inbox page's SQL is built once per shape** (sort, lanes, ranges, search) with the instant,
  cursor and user bound (`workflows.inbox.queries._page_statement`): the union of per-lane,
  per-band index scans used to be rebuilt, and its column collections set up, on every request;
- the step's hot reads (the case of a task under lock, its timers, its open tasks; the token's
  user and roles; a case's children) are **statements built once with bound values**;
- timers on PostgreSQL: **up to 20 due cases per transaction** (one commit and one WAL flush per
  batch); a batch that fails is fired again one case per transaction.

A complete-task went from 17 statements (13 last round, plus the notices) to 12; a start from 11 to
10 with one commit fewer.

Earlier rounds: one statement for token, user and roles; the case locked through its work item and
its open tasks read once under the lock; its timer rows read before anything changes; a new case
skips both reads; SpiffWorkflow's per-task INFO logging kept at WARNING; group inbox pages over
several lanes merge each lane's first page; the task tree compacted past 60 tasks.

What remains, and why (the next steps, in order of gain per risk):

- **The ORM's own cost per statement** (0.1–0.3 ms of Python each; see `sqlalchemy` frames in the
  profiles): the step's writes (work item insert + flush for its id, audit events, case update)
  as SQLAlchemy Core `insert()`/`update()` statements with `RETURNING`, and the lock read as one
  cached Core select, are the next step. Not done in this round: it rewrites `Step.save` and the
  audit writer, which other work changes at the same time.
- **Timers: two runners ≥ 1,000 per second** is far off (412/s): a timer step is about 5 ms of
  Python on this machine (restore, run, and the ORM writes of the escalation task, its events and
  notice), so two cores top out near 400/s whatever the batching; the Core writes above are the
  next step here too, and a second runner only helps on more than two cores.
- **PostgreSQL against SQLite**: every statement is still a round trip to a server that shares the
  two cores; pipelining the step's writes (psycopg pipeline mode) would cut the round trips.
- **Badge counts grow with the number of open tasks** (`COUNT(*)` reads every matching row);
  `workflows.inbox.count_tasks(..., cap=N)` costs the same at any size, the API still asks exactly.
- **Role notices read per user**: the unread count of a role's notices looks for notices without
  that user's marker (`NOT EXISTS`), stopping at 100 unread; for a user who has read them all it
  walks the role's whole notice history. A per-user "read up to" id (set by "mark all read") would
  bound it; at an agency's volume (hundreds of group tasks a day) it is a short index scan.
- **Sizes taking turns cost CPU**: the HTTP section runs 100, 10,000 and 100,000 cases in blocks
  taking turns, three gunicorns side by side; a worker then spends more CPU per request (SQLite
  complete-task at 100 cases: 3.6 ms alone, 4.3 ms beside one other size, 5.8 ms beside two). The
  A/B in the last section runs one size, so its absolute figures are the lower ones.
"""


def _ms(stat: dict[str, float] | None) -> str:
    if not stat:
        return "—"
    return f"{stat['median']:.2f} ms [{stat['p90']:.2f}]"


def _ok(flag: bool) -> str:
    return "✅ met" if flag else "❌ missed"


def render(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [
        "# Tripflow benchmarks",
        "",
        f"- **Machine**: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM; load average at start {m['load']}",
        f"- **Software**: Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL {m['postgresql']} "
        "(stock settings: `synchronous_commit=on`, `shared_buffers=128MB`)",
        f"- **Date**: {r['date']}; **command**: `{r['command']}`; commit {m['commit']}; "
        f"took {r['total_seconds'] / 60:.1f} min",
        "",
    ]
    if r.get("quick"):
        lines += ["*Quick run: small sizes, few samples — a smoke test, not a result.*", ""]
    lines += _targets(r)
    if "http" in r:
        lines += _http(r)
    if "floor" in r:
        f = r["floor"]
        lines += [
            "## Engine floor (no database, no HTTP)",
            "",
            "| engine | deserialize + complete one user task + serialize | state size |",
            "|---|---|---|",
            f"| SpiffWorkflow 3.2 alone (stock serializer, spec included) | {_ms(f['stock'])} | "
            f"{f['stock_bytes']:,} B JSON |",
            f"| Tripflow engine (sandboxed scripts, shared spec, zlib) | {_ms(f['tripflow'])} | "
            f"{f['tripflow_bytes']:,} B compressed |",
            "",
        ]
    if "timers" in r:
        lines += [
            "## Timers",
            "",
            "| database | runners | due timers | fired | seconds | timers per second | "
            "still due after | escalations | `timer_fired` events |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in r["timers"].values():
            lines.append(
                f"| {row['kind']} | {row['runners']} | {row['timers']:,} | {row['fired']:,} | "
                f"{row['seconds']:.1f} | {row['per_second']:.0f} | {row['due_left']} | "
                f"{row['escalations']:,} | {row['fired_events']:,} |"
            )
        lines.append("")
    if "workers" in r:
        w = r["workers"]
        base = w[min(w)]["per_second"]
        lines += [
            "## gunicorn workers on PostgreSQL (complete-task over HTTP, 8 client threads)",
            "",
            "| workers | completions per second | vs 1 worker | failed requests |",
            "|---|---|---|---|",
        ]
        for count, row in sorted(w.items()):
            lines.append(
                f"| {count} | {row['per_second']:.0f} | {row['per_second'] / base:.2f}× | {row['failed']} |"
            )
        lines.append("")
    if "loops" in r:
        lines += [
            "## Rework loops (review rejected → redesign), SQLite, through the service",
            "",
            "The tree is compacted once it passes 60 tasks (`workflows.engine.compact_history`), so size "
            "and time saw-tooth between about 20 and 60 tasks instead of growing with every loop.",
            "",
            "| loops | tasks in the tree | stored state | state as JSON | complete design "
            "| complete review | engine load + dump |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in r["loops"]:
            if row.get("mark", True):
                lines.append(
                    f"| {row['loops']} | {row.get('tasks', '—')} | {row['state_bytes']:,.0f} B | "
                    f"{row['json_bytes']:,.0f} B | {row['design']:.2f} ms | {row['review']:.2f} ms | "
                    f"{row['engine']:.2f} ms |"
                )
        first, later = _halves(r["loops"])
        lines += [
            "",
            f"Largest over loops 0–{first[-1]['loops']}: state {_peak(first, 'state_bytes'):,.0f} B, "
            f"engine {_peak(first, 'engine'):.2f} ms, {_peak(first, 'tasks'):.0f} tasks; over loops "
            f"{later[0]['loops']}–{later[-1]['loops']}: state {_peak(later, 'state_bytes'):,.0f} B, engine "
            f"{_peak(later, 'engine'):.2f} ms, {_peak(later, 'tasks'):.0f} tasks.",
            "",
        ]
    for key, name in (("breakdown", "SQLite"), ("pgbreakdown", "PostgreSQL")):
        if key in r:
            lines += _breakdown(r[key], name)
    if "profile" in r:
        lines += _profiles(r["profile"])
    if "sql" in r:
        lines += [
            "## SQL statements per API request (SQLite, counted with a SQLAlchemy event listener)",
            "",
            "Spiff-arena sends 76–78 statements and 5 commits to complete one task (DESIGN.md).",
            "",
            "| request | statements | of which SELECT | writes | commits |",
            "|---|---|---|---|---|",
        ]
        for row in r["sql"]:
            lines.append(
                f"| {row['request']} | {row['statements']} | {row['selects']} | {row['writes']} | "
                f"{row['commits']} |"
            )
        lines.append("")
    lines.append(REMAINS)
    lines.append(HOW)
    lines += ["Section times: " + ", ".join(f"{k} {v:.0f} s" for k, v in r["timings"].items()), ""]
    notes = Path(__file__).with_name("NOTES.md")  # hand-made before/after measurements, kept across runs
    if notes.exists():
        lines.append(notes.read_text().split("\n", 2)[2])
    return "\n".join(lines)


def _breakdown(b: dict[str, Any], name: str) -> list[str]:
    lines = [
        f"## Where the time of one complete-task goes ({name}, in-process, production settings)",
        "",
        f"Total {b['total']:.2f} ms per request (no HTTP socket; each span timed by wrapping the "
        "function that does it, `bench.measure.breakdown`).",
        "",
        "| span | ms | share |",
        "|---|---|---|",
    ]
    for label, value in b["spans"].items():
        if label != "service call (one transaction)":
            lines.append(f"| {label} | {value:.2f} | {value / b['total'] * 100:.0f}% |")
    lines.append("")
    return lines


def _profiles(profiles: dict[str, Any]) -> list[str]:
    lines = [
        "## Profiles: the top ten frames by own time, per complete-task",
        "",
        "pyinstrument (`bench.measure.profile`, sampling every 0.2 ms), in-process as in the breakdown:",
        "each frame's own time summed over the whole call tree (the flame graph's widest leaves), and",
        "its inclusive time. On PostgreSQL the time waiting for the server shows in psycopg's wait",
        "functions.",
        "",
    ]
    for kind, p in profiles.items():
        lines += [
            f"### {kind}: {p['total_ms']:.2f} ms per request (wall time, sampled)",
            "",
            "| frame | own ms | own share | inclusive ms |",
            "|---|---|---|---|",
        ]
        for row in p["top"]:
            lines.append(
                f"| `{row['function']}` | {row['own_ms']:.3f} | "
                f"{row['own_share'] * 100:.1f}% | {row['cumulative_ms']:.3f} |"
            )
        lines.append("")
    return lines


def _http(r: dict[str, Any]) -> list[str]:
    lines = [
        "## Complete-task and inbox page over HTTP, by number of open cases",
        "",
        "| database | open cases | complete-task (server) | complete-task (CPU) "
        "| complete-task (round trip) | inbox page (server) | inbox page (round trip) | badge count (server) "
        "| made in |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, result in r["http"].items():
        for size, row in result["sizes"].items():
            lines.append(
                f"| {kind} | {int(size):,} | {_ms(row['complete'])} | {_ms(row['complete_cpu'])} | "
                f"{_ms(row['complete_rtt'])} | {_ms(row['inbox'])} | {_ms(row['inbox_rtt'])} | "
                f"{_ms(row['count'])} | {row['build_seconds']:.0f} s |"
            )
    lines += [
        "",
        "### Case starts over HTTP (one worker, one after the other)",
        "",
        "| database | starts per second | server time |",
        "|---|---|---|",
    ]
    for kind, result in r["http"].items():
        s = result["starts"]
        lines.append(f"| {kind} | {s['per_second']:.0f} | {_ms(s)} |")
    lines.append("")
    return lines


def _targets(r: dict[str, Any]) -> list[str]:
    rows: list[str] = []
    http = r.get("http", {})
    for kind, result in http.items():
        sizes = sorted(result["sizes"], key=int)
        small, big = result["sizes"][sizes[0]], result["sizes"][sizes[-1]]
        ratio = big["complete"]["median"] / small["complete"]["median"]
        rows.append(
            f"| complete-task at {int(sizes[-1]):,} ≤ 1.5× at {int(sizes[0]):,} ({kind}) | "
            f"{big['complete']['median']:.2f} vs {small['complete']['median']:.2f} ms | {ratio:.2f}× | "
            f"{_ok(ratio <= 1.5)} |"
        )
        ratio = big["inbox"]["median"] / small["inbox"]["median"]
        grow = 1.5 if int(sizes[-1]) >= 1_000_000 else 2  # issue 19: the million-case row within 1.5×
        rows.append(
            f"| inbox page at {int(sizes[-1]):,} ≤ {grow:g}× at {int(sizes[0]):,} ({kind}) | "
            f"{big['inbox']['median']:.2f} vs {small['inbox']['median']:.2f} ms | {ratio:.2f}× | "
            f"{_ok(ratio <= grow)} |"
        )
        if "floor" in r:
            floor = r["floor"]["stock"]["median"]
            ratio = big["complete"]["median"] / floor
            rows.append(
                f"| complete-task over HTTP ≤ 3× engine floor ({kind}, {int(sizes[-1]):,} cases) | "
                f"{big['complete']['median']:.2f} vs {floor:.2f} ms | {ratio:.2f}× | {_ok(ratio <= 3)} |"
            )
        limits = LIMITS.get(kind, {})
        for key, label, value in (
            ("start", "start a case", result["starts"]["median"]),
            ("complete", f"complete-task at {int(sizes[-1]):,}", big["complete"]["median"]),
            ("inbox", f"inbox page at {int(sizes[-1]):,}", big["inbox"]["median"]),
        ):
            limit = limits.get(key, 5.0)
            rows.append(f"| {label} ≤ {limit:g} ms ({kind}) | {value:.2f} ms | — | {_ok(value <= limit)} |")
    if "workers" in r:
        w = r["workers"]
        ratio = w[max(w)]["per_second"] / w[min(w)]["per_second"]
        rows.append(
            f"| {max(w)} workers ≥ 1.6× the throughput of {min(w)} (PostgreSQL) | "
            f"{w[max(w)]['per_second']:.0f} vs {w[min(w)]['per_second']:.0f} per s | {ratio:.2f}× | "
            f"{_ok(ratio >= 1.6)} |"
        )
        top = w[max(w)]
        problems = top.get("check_problems")
        clean = top["per_second"] >= 300 and not top.get("failed") and problems == 0
        rows.append(
            f"| ≥ 300 completions/s, {max(w)} gunicorn workers, 8 client threads, 0 failed, `flask check` "
            f"clean (PostgreSQL) | {top['per_second']:.0f} per s, {top.get('failed', 0)} failed, "
            f"{'not checked' if problems is None else f'{problems} case(s) disagree'} | — | {_ok(clean)} |"
        )
    if "loops" in r and len(r["loops"]) >= 4:
        first, later = _halves(r["loops"])
        span = f"loops {later[0]['loops']}–{later[-1]['loops']} vs 0–{first[-1]['loops']}"
        for label, key, unit in (
            ("state size", "state_bytes", "B"),
            ("tasks in the tree", "tasks", ""),
            ("engine load + dump", "engine", "ms"),
        ):
            grew = _peak(later, key) / _peak(first, key)
            limit = 1.5 if key == "engine" else 1.2  # time is noisier than size on a shared machine
            rows.append(
                f"| bounded under rework: largest {label}, {span}, ≤ {limit}× | "
                f"{_peak(later, key):,.2f} vs {_peak(first, key):,.2f} {unit} | {grew:.2f}× | "
                f"{_ok(grew <= limit)} |"
            )
    if "timers" in r:
        for row in r["timers"].values():
            exact = (
                row["due_left"] == 0
                and row["escalations"] == row["timers"]
                and row["fired_events"] == row["timers"]
            )
            rows.append(
                f"| every due timer fired exactly once ({row['kind']}, {row['runners']} runner(s)) | "
                f"{row['escalations']:,} escalations, {row['fired_events']:,} events, "
                f"{row['due_left']} left | "
                f"— | {_ok(exact)} |"
            )
    two = (r.get("timers") or {}).get("postgresql/2")
    if two is not None:
        rows.append(
            f"| two timer runners fire ≥ 1,000 due timers per second (postgresql) | "
            f"{two['per_second']:,.0f} per s | — | {_ok(two['per_second'] >= 1000)} |"
        )
    rows += _not_measured(r)
    if not rows:
        return []
    return ["## Targets", "", "| target | measured | ratio | |", "|---|---|---|---|", *rows, ""]


# issue 19's server-time medians at the largest size, per database (earlier rounds: 5 ms for all)
LIMITS = {
    "sqlite": {"complete": 2.0, "inbox": 1.5, "start": 2.0},
    "postgresql": {"complete": 4.0, "inbox": 2.5, "start": 4.0},
}
NOT_RUN = "⏭ not measured in this run"


def _not_measured(r: dict[str, Any]) -> list[str]:
    """Issue 19's targets this run did not measure (sections left out, or PostgreSQL missing)."""
    http = r.get("http", {})
    wanted = [
        ("sqlite" in http, "complete-task, inbox page and start at 100,000 open cases (sqlite)"),
        ("postgresql" in http, "complete-task, inbox page and start at 100,000 open cases (postgresql)"),
        (
            any(int(s) >= 1_000_000 for s in http.get("postgresql", {}).get("sizes", {})),
            "complete-task and inbox page at 1,000,000 ≤ 1.5× at 100 (postgresql; "
            "`python -m bench.run --only floor,http --sizes 100 --pg-sizes 100,1000000`)",
        ),
        ("workers" in r, "≥ 300 completions/s with 4 gunicorn workers (postgresql)"),
        ("postgresql/2" in r.get("timers", {}), "two timer runners fire ≥ 1,000 due timers per second"),
    ]
    return [f"| {label} | — | — | {NOT_RUN} |" for measured, label in wanted if not measured]


def missed(text: str) -> bool:
    """``--check``: does the rendered targets table hold a missed target?"""
    section = text.split("## Targets", 1)[-1].split("\n## ", 1)[0] if "## Targets" in text else ""
    return "❌" in section


def _halves(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    middle = rows[-1]["loops"] // 2
    return [x for x in rows if x["loops"] <= middle], [x for x in rows if x["loops"] > middle]


def _peak(rows: list[dict[str, Any]], key: str) -> float:
    return float(max(x.get(key) or 0 for x in rows))
