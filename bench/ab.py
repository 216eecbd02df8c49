"""Before/after on a shared machine: two trees take turns running one in-process breakdown section.

    python -m bench.ab /path/to/before /path/to/after [rounds] [section] [--cpu]

Each tree must hold a ``.venv`` (a symlink to the project's will do) and this bench package (copy it
in when the "before" commit predates a section). ``--cpu`` times the spans in CPU time
(``time.process_time`` in place of ``time.perf_counter``), which load from other work on the machine
inflates far less than wall time; use wall time for PostgreSQL, where waiting for the server is the
point. Prints the median of each span over the rounds, per tree.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def _one(tree: str, section: str, cpu: bool, out: Path) -> dict[str, float]:
    patch = "time.perf_counter = time.process_time; " if cpu else ""
    code = (
        f"import sys, time, runpy; {patch}sys.path.insert(0, '.'); "
        f"sys.argv = ['bench.run', '--only', '{section}', '--out', '{out}']; "
        "runpy.run_module('bench.run', run_name='__main__')"
    )
    out.unlink(missing_ok=True)
    python = f"{tree}/.venv/bin/python"
    subprocess.run([python, "-c", code], cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not out.exists():
        return {}
    text = out.read_text()
    part = text[text.find("## Where the time") :]
    part = part[: part.find("\n## ", 5)]
    found: dict[str, float] = {}
    total = re.search(r"Total ([\d.]+) ms", part)
    if total:
        found["TOTAL"] = float(total.group(1))
    for line in part.splitlines():
        span = re.match(r"\| (.+?) \| ([\d.]+) \| -?\d+% \|", line)
        if span:
            found[span.group(1)] = float(span.group(2))
    return found


def main(argv: list[str]) -> int:
    cpu = "--cpu" in argv
    args = [a for a in argv if a != "--cpu"]
    trees = args[:2]
    rounds = int(args[2]) if len(args) > 2 else 3
    section = args[3] if len(args) > 3 else "breakdown"
    results: dict[str, dict[str, list[float]]] = {t: {} for t in trees}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for i, tree in enumerate(trees):
                for key, value in _one(tree, section, cpu, Path(tmp) / f"{i}-{r}.md").items():
                    results[tree].setdefault(key, []).append(value)
    keys = list(dict.fromkeys(k for t in trees for k in results[t]))
    print(f"| span | {' | '.join(Path(t).name for t in trees)} |")
    print("|---|" + "---|" * len(trees))
    for key in keys:
        cells = [f"{statistics.median(results[t][key]):.2f}" if key in results[t] else "—" for t in trees]
        print(f"| {key} | {' | '.join(cells)} |")
    print(f"load average {os.getloadavg()}; {'CPU' if cpu else 'wall'} ms, median of {rounds}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
