"""An evaluator process: runs model scripts and expressions under OS limits the engine can enforce.

Started by ``evaluator_pool`` as ``python -I -c ...`` (a fresh interpreter: no database
connection, thread or lock of the engine's process is inherited), it imports the sandbox, limits
its own address space to what it uses now plus the memory limit (RLIMIT_AS), forbids writing
files (RLIMIT_FSIZE) and core dumps, and then answers requests from stdin on stdout, one at a
time:

    request  (mode, source, context, external_context, now, timezone, time_limit, max_items)
    reply    ("ok", value, retire) | ("error", kind, class name, args, message, line, retire)

Before each request it moves its CPU-time limit (RLIMIT_CPU) to what it has used plus the time
limit and a second: an evaluator whose engine died while it computed ends by itself. Python-level
loops stop at the sandbox's own deadline with a readable message; a C-level call that runs on is
killed by the engine, which then starts a fresh evaluator. ``retire`` asks the engine to replace
this process after an evaluation that left it much bigger (a freed 200 MB list leaves the heap
fragmented and would shrink the next script's allowance).
"""

from __future__ import annotations

import math
import os
import pickle
import resource
import sys
from typing import Any

from workflows.engine.clock import FixedClock, use_clock
from workflows.engine.evaluator_wire import encode_error, frame, read_frame, write_all
from workflows.engine.sandbox import SandboxEnvironment, ScriptError, _script_line
from workflows.engine.script_helpers import script_helpers

READY = b"ready"
_PAGE = os.sysconf("SC_PAGE_SIZE")
RETIRE_GROWTH = 64 * 2**20  # bytes of address space an evaluation may leave behind before a restart


def _address_space() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * _PAGE


def _limit_self(memory_limit: int) -> int:
    base = _address_space()
    resource.setrlimit(resource.RLIMIT_AS, (base + memory_limit, base + memory_limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return base


def _limit_cpu(time_limit: float) -> None:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    soft = int(math.ceil(used + time_limit)) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


_environments: dict[tuple[str, float, int], SandboxEnvironment] = {}


def _environment(timezone: str, time_limit: float, max_items: int) -> SandboxEnvironment:
    key = (timezone, time_limit, max_items)
    env = _environments.get(key)
    if env is None:
        env = _environments[key] = SandboxEnvironment(script_helpers(timezone), time_limit, max_items)
    return env


def evaluate(request: tuple[Any, ...]) -> tuple[Any, ...]:
    """Run one request; the reply without the ``retire`` flag."""
    mode, source, context, external, now, timezone, time_limit, max_items = request
    env = _environment(timezone, time_limit, max_items)
    try:
        with use_clock(FixedClock(now)):
            if mode == "eval":
                return ("ok", env.evaluate(source, context, external))
            env.execute(source, context, external)
            return ("ok", context)
    except MemoryError:
        return _out_of_memory()
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the engine
        return ("error", *encode_error(exc, _script_line(exc), isinstance(exc, ScriptError)))


def _out_of_memory() -> tuple[Any, ...]:
    return ("error", *encode_error(ScriptError("the script ran out of memory"), None, True))


def _reply(reply: tuple[Any, ...], retire: bool) -> bytes:
    try:
        return frame((*reply, retire))
    except MemoryError:
        return frame((*_out_of_memory(), True))
    except Exception as exc:  # noqa: BLE001 - a result that cannot be sent (a map object ...)
        error = ScriptError(f"the result cannot be used by the process: {exc}")
        return frame(("error", *encode_error(error, None, True), retire))


def serve(memory_limit: int, fd_in: int = 0, fd_out: int = 1) -> None:
    """Answer requests until the engine closes the pipe (or a limit ends this process)."""
    base = _limit_self(memory_limit)
    write_all(fd_out, frame(READY), None)
    while True:
        try:
            request = pickle.loads(read_frame(fd_in, None))  # noqa: S301 - from the engine that started us
        except Exception:  # noqa: BLE001 - the engine went away: nothing left to do
            return
        try:
            _limit_cpu(request[6])
            reply = evaluate(request)
        except MemoryError:
            reply = _out_of_memory()
        retire = _address_space() - base > RETIRE_GROWTH
        write_all(fd_out, _reply(reply, retire), None)
        if retire:
            return


def main() -> None:
    serve(int(sys.argv[1]))


if __name__ == "__main__":
    main()
