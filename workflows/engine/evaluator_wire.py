"""How the engine and its evaluator processes talk: length-prefixed pickles over a pair of pipes.

Requests go from the engine to the evaluator as plain pickles. Replies come back from a process
that has just run a model's script, so the engine unpickles them with ``DataUnpickler``, which
builds only the value types that task data holds (and the built-in exceptions): even a script
that escaped RestrictedPython inside the evaluator could not make the engine run code by
sending a crafted pickle.

Reads and writes take a deadline and wait with ``poll``: the engine never blocks on an
evaluator longer than it allows.
"""

from __future__ import annotations

import builtins
import datetime
import decimal
import io
import os
import pickle
import select
import struct
import time
import uuid
import zoneinfo
from typing import Any

__all__ = [
    "EvaluatorGone",
    "EvaluatorTimeout",
    "decode_error",
    "encode_error",
    "frame",
    "read_frame",
    "trusted_loads",
    "write_all",
]

_HEADER = struct.Struct("!Q")
MAX_FRAME = 1 << 31


class EvaluatorTimeout(Exception):
    """The evaluator did not answer before the deadline."""


class EvaluatorGone(Exception):
    """The evaluator's pipe closed: the process ended (killed by a limit, crashed, or exited)."""


def frame(obj: Any) -> bytes:
    payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(payload)) + payload


def write_all(fd: int, data: bytes, deadline: float | None) -> None:
    """Write all of ``data`` to a non-blocking (or blocking, with deadline None) pipe."""
    view = memoryview(data)
    while view:
        if deadline is not None:
            _wait(fd, select.POLLOUT, deadline)
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            continue
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise EvaluatorGone(str(exc)) from None
        view = view[written:]


def read_frame(fd: int, deadline: float | None) -> bytes:
    (size,) = _HEADER.unpack(_read_exactly(fd, _HEADER.size, deadline))
    if size > MAX_FRAME:
        raise EvaluatorGone(f"frame of {size} bytes")
    return _read_exactly(fd, size, deadline)


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    chunks = []
    missing = size
    while missing:
        if deadline is not None:
            _wait(fd, select.POLLIN, deadline)
        try:
            chunk = os.read(fd, min(missing, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise EvaluatorGone("end of file")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _wait(fd: int, events: int, deadline: float) -> None:
    poller = select.poll()
    poller.register(fd, events | select.POLLHUP | select.POLLERR)
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not poller.poll(remaining * 1000):
        raise EvaluatorTimeout


# --------------------------------------------------------------------------- values


_BUILTIN_VALUES = frozenset(
    {
        "dict",
        "list",
        "tuple",
        "set",
        "frozenset",
        "str",
        "bytes",
        "bytearray",
        "int",
        "float",
        "complex",
        "bool",
        "NoneType",
        "slice",
        "range",
    }
)
_ALLOWED = {
    "datetime": frozenset({"datetime", "date", "time", "timedelta", "timezone"}),
    "uuid": frozenset({"UUID", "SafeUUID"}),
    "decimal": frozenset({"Decimal"}),
    "zoneinfo": frozenset({"ZoneInfo", "ZoneInfo._unpickle"}),
    "zoneinfo._zoneinfo": frozenset({"ZoneInfo", "ZoneInfo._unpickle"}),
}
_MODULES = {"datetime": datetime, "uuid": uuid, "decimal": decimal, "zoneinfo": zoneinfo}


def _exception_class(name: str) -> type[BaseException] | None:
    value = getattr(builtins, name, None)
    if isinstance(value, type) and issubclass(value, Exception):
        return value
    return None


class DataUnpickler(pickle.Unpickler):
    """Builds task-data values and built-in exceptions; refuses every other class or function."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and (name in _BUILTIN_VALUES or _exception_class(name) is not None):
            return getattr(builtins, name) if name != "NoneType" else type(None)
        if name in _ALLOWED.get(module, ()):
            target: Any = _MODULES[module.split(".")[0]]
            for part in name.split("."):
                target = getattr(target, part)
            return target
        raise pickle.UnpicklingError(f"an evaluator may not send {module}.{name}")


def trusted_loads(payload: bytes) -> Any:
    """Unpickle what an evaluator sent (data values only)."""
    return DataUnpickler(io.BytesIO(payload)).load()


# --------------------------------------------------------------------------- errors


def encode_error(exc: BaseException, line: int | None, script_error: bool) -> tuple[Any, ...]:
    """What the engine needs to raise the same error: the nearest built-in class, its args, the line."""
    if script_error:
        return ("script", "ScriptError", (str(exc),), str(exc), line)
    name = next(
        (k.__name__ for k in type(exc).__mro__ if k.__module__ == "builtins" and issubclass(k, Exception)),
        "Exception",
    )
    args = exc.args
    try:
        pickle.dumps(args)
    except Exception:  # noqa: BLE001 - any unpicklable argument: keep the message only
        args = (str(exc),)
    return ("builtin", name, args, str(exc), line)


def decode_error(kind: str, name: str, args: tuple, message: str, script_error: type[Exception]) -> Exception:
    """The exception an evaluator reported, rebuilt on this side."""
    if kind == "script":
        return script_error(message)
    cls = _exception_class(name) or Exception
    try:
        return cls(*args)
    except Exception:  # noqa: BLE001 - a class that wants other arguments
        return cls(message)
