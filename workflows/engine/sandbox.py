"""The restricted environment every BPMN condition, script, timer and DMN expression runs in.

SpiffWorkflow runs scripts with plain ``eval``/``exec``, and a restricted globals dict is no
sandbox (``().__class__.__base__.__subclasses__()`` still works). Here scripts are compiled by
RestrictedPython, which refuses imports and names or attributes starting with ``_`` and routes
attribute, item and iteration access through guard functions (design decision 6). On top of
that this module bounds what RestrictedPython leaves open:

* time: an AST pass puts a deadline check at the top of every loop body, function body, lambda
  and comprehension, so ``while True: pass`` and runaway recursion stop after ``time_limit``;
* memory: ``*``, ``**``, ``<<``, ``+``, ``-`` and ``%`` go through checked functions that
  estimate the result size first (as simpleeval does), ``range()`` and the string methods that
  pad or repeat are capped, and integers stay within +/-2**63 (bigger ints would let a script
  build thousands of dict keys with the same hash and stall ``set()`` for hours);
* memory, as a backstop: every few milliseconds a looping script's deadline check also reads
  the process's resident memory and stops a run that grew it by more than
  ``max_memory_items * 200`` bytes (copying loops pass every per-operation check);
* output: what a script leaves in the task data, or an expression returns, must stay below the
  same size limit, because the engine serializes it on every step.

These checks give process owners clear messages, but they cannot bound a single C-level call
made slow or huge by crafted data (``any(map(x.append, x))`` grows a list in C until memory runs
out; ``y.count(list(x))`` over a list holding the same big list 10**6 times compares for minutes;
a set() of tuples with colliding hashes). So the engine does not run this environment in its own
process: ``isolated.IsolatedEnvironment`` runs it in a warm pool of evaluator processes under
RLIMIT_AS / RLIMIT_CPU, killed and replaced when a run overruns (``evaluator_pool``), and only
expressions proven to do bounded work (``bounded``) stay in the web or timer worker. The timer
worker's watchdog (``webapp.timer_worker``) stops a timer step that overruns for any other
reason, and gunicorn's ``--timeout`` a web request.

Compiled code is cached by source text: scripts and conditions run on every step.
"""

from __future__ import annotations

import ast
import builtins
import copy
import datetime
import math
import operator
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment

__all__ = ["ScriptError", "SandboxEnvironment", "check_expression", "check_script"]

MAX_INT = 2**63
"""Integers a script computes stay within +/-MAX_INT (int64 range)."""

_FILENAME = "<string>"  # SpiffWorkflow looks for this file name to report the failing line


class ScriptError(Exception):
    """A script or expression did something the sandbox does not allow."""


# --------------------------------------------------------------------------- compiling


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's checks, a few more refusals, and the injected time/size checks.

    Nodes this class adds (calls to ``_tick_``, ``_mul_`` ...) are created after the checks of
    their subtree ran, so the names starting with ``_`` are not refused.
    """

    def _refuse(self, node: ast.AST, message: str) -> None:
        self.error(node, message)

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self._refuse(node, "imports are not allowed in scripts")
        return node

    visit_ImportFrom = visit_Import  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self._refuse(node, "class definitions are not allowed in scripts")
        return node

    def visit_Yield(self, node: ast.AST) -> ast.AST:
        self._refuse(node, "generators (yield) are not allowed in scripts")
        return node

    visit_YieldFrom = visit_Yield

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in ("print", "printed"):
            self._refuse(node, "print() is not available in scripts: assign the value to a variable")
            return node
        return super().visit_Name(node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, complex):
            self._refuse(node, "complex numbers are not supported in scripts")
        elif isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
            self._refuse(node, "the number is too large (integers must stay within +/-2**63)")
        return super().visit_Constant(node)

    # --- size checks -------------------------------------------------------------------

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = super().visit_BinOp(node)
        checked = _CHECKED_BINOPS.get(type(node.op))
        if checked is None:
            return node
        return _located(_call(checked, node.left, node.right), node)

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        # RestrictedPython refuses ``d["k"] += 1``; rewrite it as ``d["k"] = d["k"] + 1`` when
        # the target can be evaluated twice without side effects.
        target = node.target
        if isinstance(target, ast.Subscript) and _is_plain(target.value) and _is_plain(target.slice):
            load = copy.deepcopy(target)
            load.ctx = ast.Load()
            value = _located(ast.BinOp(left=load, op=node.op, right=node.value), node)
            return self.visit(_located(ast.Assign(targets=[target], value=value), node))
        return super().visit_AugAssign(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        # f"{x:>{n}}": format in a checked function so the width cannot be 10**9.
        node = super().visit_FormattedValue(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        call = _call("_format_", node.value, ast.Constant(node.conversion), spec)
        return _located(ast.FormattedValue(value=call, conversion=-1, format_spec=None), node)

    # --- time checks ---------------------------------------------------------------------

    def visit_For(self, node: ast.For) -> ast.AST:
        node = super().visit_For(node)
        node.body.insert(0, _tick_statement(node))
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        node = super().visit_While(node)
        node.body.insert(0, _tick_statement(node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node = super().visit_FunctionDef(node)
        node.body.insert(0, _tick_statement(node))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = super().visit_Lambda(node)
        node.body = _located(ast.BoolOp(op=ast.And(), values=[_call("_tick_"), node.body]), node.body)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        node = super().visit_comprehension(node)
        node.ifs.insert(0, _located(_call("_tick_"), node.iter))
        return node


_CHECKED_BINOPS = {
    ast.Add: "_add_",
    ast.Sub: "_sub_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
}


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _located(new: Any, old: ast.AST) -> Any:
    ast.copy_location(new, old)
    return ast.fix_missing_locations(new)


def _tick_statement(node: ast.AST) -> ast.Expr:
    return _located(ast.Expr(_call("_tick_")), node)


def _is_plain(node: ast.AST) -> bool:
    """True for names, constants and attribute/item chains of them: safe to evaluate twice."""
    if isinstance(node, (ast.Name, ast.Constant)):
        return True
    if isinstance(node, ast.Attribute):
        return _is_plain(node.value)
    if isinstance(node, ast.Subscript):
        return _is_plain(node.value) and _is_plain(node.slice)
    return False


_RESTRICTED_PYTHON_MESSAGES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r'"(.+)" is an invalid variable name because it starts with "_"'),
        lambda m: f"name '{m[1]}' is not allowed",
    ),
    (
        re.compile(r'"(.+)" is an invalid (?:attribute|variable) name because it ends with "__roles__"'),
        lambda m: f"name '{m[1]}' is not allowed",
    ),
    (
        re.compile(r'"(.+)" is an invalid attribute name because it starts with "_"'),
        lambda m: f"attribute '{m[1]}' is not allowed",
    ),
    (
        re.compile(r'"(.+)" is a restricted name, that is forbidden'),
        lambda m: f"attribute '{m[1]}' is not allowed",
    ),
    (
        re.compile(r"(Exec|Eval) calls are not allowed"),
        lambda m: f"{m[1].lower()}() is not allowed in scripts",
    ),
    (
        re.compile(r"(\w+) statements are not allowed"),
        lambda m: f"{_STATEMENT_NAMES.get(m[1], m[1])} is not allowed in scripts",
    ),
]
_STATEMENT_NAMES = {
    "AnnAssign": "a type annotation",
    "Match": "'match'",
    "Nonlocal": "'nonlocal'",
    "TryStar": "'except*'",
    "AsyncFunctionDef": "'async def'",
    "Await": "'await'",
    "AsyncFor": "'async for'",
    "AsyncWith": "'async with'",
}
_LINE_PREFIX = re.compile(r"^Line (\w+): (.*)$", re.S)


def _readable(error: str) -> str:
    """Turn RestrictedPython's ``Line 3: "_x" is an invalid ...`` into a process owner's sentence."""
    match = _LINE_PREFIX.match(error)
    line, text = (match[1], match[2]) if match else (None, error)
    for pattern, sentence in _RESTRICTED_PYTHON_MESSAGES:
        found = pattern.search(text)
        if found:
            text = sentence(found)
            break
    else:
        text = text.rstrip(".")
        text = text[:1].lower() + text[1:]
    return f"{text} (line {line})" if line not in (None, "None") else text


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> tuple[Any, tuple[str, ...]]:
    """Compile once per distinct source text; returns (code or None, readable errors)."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(ast.parse(source, _FILENAME, mode), filename=_FILENAME, policy=_Policy)
    except SyntaxError as exc:  # from parsing, or from compiling (``return`` outside a function)
        return None, (f"syntax error: {exc.msg} (line {exc.lineno})",)
    errors = tuple(dict.fromkeys(_readable(error) for error in result.errors))
    return result.code, errors


def _compiled(source: str, mode: str) -> Any:
    if not isinstance(source, str):
        raise ScriptError("a script must be text")
    code, errors = _compile(source, mode)
    if errors:
        raise ScriptError("; ".join(errors))
    return code


def check_expression(source: str) -> list[str]:
    """Deploy-time check of a condition, timer or DMN expression: the reasons it would be refused."""
    return list(_compile(source, "eval")[1]) if isinstance(source, str) else ["an expression must be text"]


def check_script(source: str) -> list[str]:
    """Deploy-time check of a script task or pre/post script: the reasons it would be refused."""
    return list(_compile(source, "exec")[1]) if isinstance(source, str) else ["a script must be text"]


# --------------------------------------------------------------------------- run-time guards


class _Watch:
    """Per-run time and memory watch that the injected ``_tick_()`` calls.

    The hot path is one clock read. Every few milliseconds (only scripts that loop that long
    get there) it also reads the process's resident memory: copying loops such as
    ``for i in range(10**6): keep.append(list(big))`` pass every size check one step at a time.
    """

    __slots__ = ("time_limit", "deadline", "checkpoint", "memory_limit", "memory_base", "failure")

    def __init__(self, time_limit: float, memory_limit: int) -> None:
        now = time.monotonic()
        self.time_limit = time_limit
        self.deadline = now + time_limit
        self.checkpoint = min(self.deadline, now + _MEMORY_CHECK_INTERVAL)
        self.memory_limit = memory_limit
        self.memory_base: int | None = None
        self.failure: str | None = None

    def tick(self, _now: Callable[[], float] = time.monotonic) -> bool:
        if _now() > self.checkpoint:
            self.check()
        return True

    def check(self) -> None:
        if self.failure is None:
            now = time.monotonic()
            memory = _resident_memory()
            if now > self.deadline:
                self.failure = f"script ran longer than {self.time_limit} s"
            elif memory is not None and self.memory_base is None:
                self.memory_base = memory
            elif memory is not None and memory - self.memory_base > self.memory_limit:
                self.failure = f"script used more than {self.memory_limit // 2**20} MB of memory"
            self.checkpoint = min(self.deadline, now + _MEMORY_CHECK_INTERVAL)
        if self.failure is not None:
            # remembered: a bare ``except:`` in the script cannot hide it (checked again after the run)
            self.checkpoint = -math.inf
            raise ScriptError(self.failure)


_MEMORY_CHECK_INTERVAL = 0.005
_BYTES_PER_ITEM = 200  # memory growth allowed per run: max_memory_items * 200 bytes (200 MB)
try:
    _PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):  # pragma: no cover - not Linux
    _PAGE_SIZE = 4096


_STATM: tuple[int, int] | None = None  # (pid, descriptor of /proc/self/statm): opened once per process


def _resident_memory() -> int | None:
    """Resident bytes of this process, read with ``pread`` on a descriptor kept open.

    The watch runs inside the script, possibly at the recursion limit, where a ``with open(...)``
    can fail between opening and closing and leave a file object to the garbage collector. A
    worker forked from the process that opened it opens its own (``/proc/self`` is resolved then).
    """
    global _STATM
    try:
        pid = os.getpid()
        if _STATM is None or _STATM[0] != pid:
            if _STATM is not None:
                os.close(_STATM[1])  # the parent's, inherited by this forked worker
            _STATM = (pid, os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC))
        return int(os.pread(_STATM[1], 128, 0).split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):  # pragma: no cover - no /proc: time limit only
        return None


_SEQUENCES = (str, bytes, list, tuple)
_SCALARS = (bool, int, float, type(None))
_BLOCKED_ATTRIBUTES = frozenset(INSPECT_ATTRIBUTES) | {"mro", "from_bytes", "as_integer_ratio"}
_FORMAT_METHODS = frozenset({"format", "format_map"})
_SIZED_METHODS = frozenset(
    {
        "center",
        "ljust",
        "rjust",
        "zfill",
        "expandtabs",
        "replace",
        "join",
        "translate",
        "extend",
        "to_bytes",
        "strftime",
    }
)
_SPEC_NUMBER = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")


def _text_size(value: Any, budget: int, data_only: bool = False) -> int:
    """Rough number of characters ``value`` becomes as text or JSON; stops counting past ``budget``.

    With ``data_only`` it also raises ScriptError for values the case data cannot hold.
    """
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if data_only and kind not in _DATA_TYPES:
            raise ScriptError(
                f"a {kind.__name__} cannot be stored in the case data, only text, numbers, "
                "True/False, None, lists and dicts (convert it with list(...) or del the variable)"
            )
        if kind is str or kind is bytes:
            total += len(item) + 2
        elif kind is dict:
            total += 4 * len(item) + 2
            if total <= budget:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif kind in (list, tuple, set, frozenset):
            total += 2 * len(item) + 2
            if total <= budget:
                stack.extend(item)
        else:
            total += 8
        if total > budget:
            break
    return total


_DATA_TYPES = frozenset(
    {
        str,
        int,
        float,
        bool,
        type(None),
        list,
        tuple,
        dict,
        datetime.datetime,
        datetime.date,
        datetime.timedelta,
        uuid.UUID,
    }
)


class _Guards:
    """The functions RestrictedPython's output and our AST pass call; bound to one size limit."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items

    # --- helpers ------------------------------------------------------------------------

    def too_big(self, what: str = "the result") -> ScriptError:
        return ScriptError(f"{what} would be too large (limit {self.max_items:,} items or characters)")

    def check_length(self, length: int, what: str = "the result") -> None:
        if length > self.max_items:
            raise self.too_big(what)

    def check_text(self, value: Any) -> None:
        if type(value) not in _SCALARS and _text_size(value, self.max_items) > self.max_items:
            raise self.too_big("the text")

    @staticmethod
    def int_too_big() -> ScriptError:
        return ScriptError("the number is too large (integers must stay within +/-2**63)")

    def check_int(self, value: Any) -> Any:
        if type(value) is int and not -MAX_INT <= value <= MAX_INT:
            raise self.int_too_big()
        if type(value) is complex:
            raise ScriptError("complex numbers are not supported in scripts")
        return value

    # --- operators ----------------------------------------------------------------------

    def add(self, a: Any, b: Any) -> Any:
        if type(a) in _SEQUENCES and type(b) in _SEQUENCES:
            self.check_length(len(a) + len(b))
        return self.check_int(a + b)

    def sub(self, a: Any, b: Any) -> Any:
        return self.check_int(a - b)

    def mul(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int):
            if a.bit_length() + b.bit_length() > 130:
                raise self.int_too_big()
            return self.check_int(a * b)
        if isinstance(b, int) and type(a) in _SEQUENCES:
            self.check_repeat(a, b)
        elif isinstance(a, int) and type(b) in _SEQUENCES:
            self.check_repeat(b, a)
        return self.check_int(a * b)

    def check_repeat(self, sequence: Any, times: int) -> None:
        if times <= 0:
            return
        self.check_length(len(sequence) * times)
        if type(sequence) in (list, tuple) and len(sequence) <= 100:
            # [big_list] * n is small as a list but huge as text or when compared
            inner = sum(
                len(item) if type(item) in _SEQUENCES or type(item) is dict else 1 for item in sequence
            )
            self.check_length(inner * times)

    def pow(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
            if b > 64 or b * math.log2(abs(a)) > 64:
                raise self.int_too_big()
        return self.check_int(a**b)

    def lshift(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int) and b > 64 and a:
            raise self.int_too_big()
        return self.check_int(a << b)

    def mod(self, a: Any, b: Any) -> Any:
        if type(a) is str or type(a) is bytes:  # printf-style formatting
            pattern = _PERCENT_SPEC if type(a) is str else re.compile(_PERCENT_SPEC.pattern.encode())
            for match in pattern.finditer(a):
                for number in match.groups():
                    if number in ("*", b"*"):
                        raise ScriptError("'*' widths in %-formatting are not allowed in scripts")
                    if number and int(number) > self.max_items:
                        raise self.too_big("the text")
            self.check_length(len(a) + _text_size(b, self.max_items), "the text")
        return self.check_int(a % b)

    _INPLACE = {
        "+=": "add",
        "-=": "sub",
        "*=": "mul",
        "**=": "pow",
        "<<=": "lshift",
        "%=": "mod",
    }
    _PLAIN_INPLACE = {
        "/=": operator.truediv,
        "//=": operator.floordiv,
        ">>=": operator.rshift,
        "|=": operator.ior,
        "&=": operator.iand,
        "^=": operator.ixor,
        "@=": operator.matmul,
    }

    def inplacevar(self, op: str, a: Any, b: Any) -> Any:
        if op == "+=" and type(a) is list:  # keep list += in place, as in plain Python
            a.extend(self.checked_extension(a, b))
            return a
        checked = self._INPLACE.get(op)
        if checked is not None:
            return getattr(self, checked)(a, b)
        return self._PLAIN_INPLACE[op](a, b)

    # --- attribute, item and write access -----------------------------------------------

    def getattr(self, obj: Any, name: str) -> Any:
        if name.startswith("_") or name in _BLOCKED_ATTRIBUTES:
            raise ScriptError(f"attribute '{name}' is not allowed")
        if type(obj) is _TypeProxy:  # the checked ``str``/``int`` we hand out: judge the real type
            obj = obj._real
        if name in _FORMAT_METHODS and (
            isinstance(obj, str) or (isinstance(obj, type) and issubclass(obj, str))
        ):
            raise ScriptError(f"str.{name}() is not allowed in scripts: use an f-string")
        value = getattr(obj, name)
        if name in _SIZED_METHODS:
            if isinstance(obj, type):
                raise ScriptError(f"call {name}() on a value, not on the type")
            return self.sized_method(obj, name, value)
        return value

    def sized_method(self, obj: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap methods whose result can be far bigger than their inputs."""

        def checked(*args: Any, **kwargs: Any) -> Any:
            args = self.check_method_call(obj, name, args, kwargs)
            return method(*args, **kwargs)

        return checked

    def check_method_call(self, obj: Any, name: str, args: tuple, kwargs: dict) -> tuple:
        first = args[0] if args else None
        if name in ("center", "ljust", "rjust", "zfill"):
            width = kwargs.get("width", first)
            if isinstance(width, int):
                self.check_length(width, "the text")
        elif name == "to_bytes":
            length = kwargs.get("length", 1 if first is None else first)
            if isinstance(length, int):
                self.check_length(length)
        elif name == "expandtabs":
            size = kwargs.get("tabsize", 8 if first is None else first)
            tab = "\t" if isinstance(obj, str) else b"\t"
            if isinstance(size, int):
                self.check_length(len(obj) + obj.count(tab) * max(size, 0), "the text")
        elif name == "replace" and len(args) >= 2:
            old, new = args[0], args[1]
            count = args[2] if len(args) > 2 else kwargs.get("count", -1)
            if isinstance(old, (str, bytes)) and isinstance(new, (str, bytes)):
                hits = obj.count(old) if old else len(obj) + 1
                if isinstance(count, int) and count >= 0:
                    hits = min(hits, count)
                self.check_length(len(obj) + hits * max(len(new) - len(old), 0), "the text")
        elif name == "join" and args:
            items = list(args[0])
            total = sum(len(item) if isinstance(item, (str, bytes)) else 0 for item in items)
            self.check_length(total + len(obj) * max(len(items) - 1, 0), "the text")
            args = (items, *args[1:])
        elif name == "translate" and isinstance(first, (dict, list, tuple)):
            replacements = first.values() if isinstance(first, dict) else first
            longest = max((len(v) for v in replacements if isinstance(v, str)), default=1)
            self.check_length(len(obj) * max(longest, 1), "the text")
        elif name == "strftime":  # datetimes in case data: "%1000000000Y" pads in C
            for number in _SPEC_NUMBER.findall(builtins.str(first or kwargs.get("format", ""))):
                self.check_length(builtins.int(number), "the text")
        elif name == "extend" and args:
            args = (self.checked_extension(obj, first),)
        return args

    def checked_extension(self, target: list, items: Any) -> Any:
        """What ``target.extend(items)`` may add. An iterator over ``target`` itself
        (``x.extend(map(abs, x))``) would grow it forever in C, so iterators are read first."""
        if not hasattr(items, "__len__"):
            items = list(items)
        self.check_length(len(target) + len(items))
        return items

    @staticmethod
    def write(obj: Any) -> Any:
        if type(obj) is dict or type(obj) is list:
            return obj
        raise ScriptError("scripts may only change dicts and lists (no attributes)")

    # --- f-strings ------------------------------------------------------------------------

    def format(self, value: Any, conversion: int, spec: str) -> str:
        if conversion != -1:
            self.check_text(value)
            value = {115: str, 114: repr, 97: ascii}[conversion](value)
        if spec:
            for number in _SPEC_NUMBER.findall(spec):
                if int(number) > self.max_items:
                    raise self.too_big("the text")
        self.check_text(value)
        return format(value, spec)

    # --- builtins that need limits ---------------------------------------------------------

    def range(self, *args: int) -> range:
        numbers = range(*args)
        try:
            too_long = len(numbers) > self.max_items
        except OverflowError:
            too_long = True
        if too_long:
            raise ScriptError(f"range() longer than {self.max_items:,} numbers is not allowed")
        return numbers

    def str(self, value: Any = "", *args: Any) -> str:
        if args:
            return builtins.str(value, *args)
        self.check_text(value)
        return builtins.str(value)

    def repr(self, value: Any) -> str:
        self.check_text(value)
        return builtins.repr(value)

    def int(self, value: Any = 0, *args: Any) -> int:
        return self.check_int(builtins.int(value, *args))

    def round(self, number: Any, ndigits: Any = None) -> Any:
        if ndigits is None:
            return self.check_int(builtins.round(number))
        if isinstance(ndigits, int) and abs(ndigits) > 400:  # round(5, -10**9) computes 10**10**9
            raise ScriptError("round() to more than 400 digits is not allowed")
        return self.check_int(builtins.round(number, ndigits))

    def sum(self, values: Iterable[Any], start: Any = 0) -> Any:
        if not isinstance(start, (int, float)):
            raise ScriptError("sum() adds numbers only: use + or a comprehension for lists")
        return self.check_int(builtins.sum(values, start))

    @staticmethod
    def apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)


class _TypeProxy(type):
    """Metaclass for ``str``/``int`` stand-ins: calls are checked, ``isinstance`` still works."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, cls._real)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls._real)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._make(*args, **kwargs)

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls._real, name)


def _type_proxy(real: type, make: Callable[..., Any]) -> type:
    namespace = {"_real": real, "_make": staticmethod(make), "__module__": "builtins"}
    return _TypeProxy(real.__name__, (), namespace)


# Plain builtins handed to scripts. Not RestrictedPython's ``safe_builtins``: that table has
# pow (bypasses the ** check), complex, setattr/delattr and __build_class__, and its
# ``limited_builtins`` cap range() at 1000 and refuse list("abc"). Left out on purpose as well:
# type/getattr/vars/dir (introspection), hash/id, bytes/bytearray, iter (``list(iter(int, 1))``
# never ends and never reaches a deadline check), open/eval/exec/compile/__import__/globals, and
# the exceptions a script has no business raising (SystemExit ...).
_PLAIN_BUILTINS = (
    "abs",
    "all",
    "any",
    "bool",
    "chr",
    "dict",
    "divmod",
    "enumerate",
    "filter",
    "float",
    "frozenset",
    "isinstance",
    "len",
    "list",
    "map",
    "max",
    "min",
    "ord",
    "reversed",
    "set",
    "sorted",
    "tuple",
    "zip",
    "next",
    "ArithmeticError",
    "AttributeError",
    "Exception",
    "IndexError",
    "KeyError",
    "LookupError",
    "NameError",
    "TypeError",
    "ValueError",
    "ZeroDivisionError",
)
_REAL_BUILTIN_NAMES = frozenset(dir(builtins))


def _script_builtins(guards: _Guards) -> dict[str, Any]:
    table = {name: getattr(builtins, name) for name in _PLAIN_BUILTINS}
    table.update(
        range=guards.range,
        repr=guards.repr,
        round=guards.round,
        sum=guards.sum,
        str=_type_proxy(builtins.str, guards.str),
        int=_type_proxy(builtins.int, guards.int),
    )
    return table


def _fixed_globals(guards: _Guards) -> dict[str, Any]:
    """The names RestrictedPython's output and our AST pass refer to (all start with ``_``)."""
    return {
        "__builtins__": _script_builtins(guards),
        "_getattr_": guards.getattr,
        "_getitem_": operator.getitem,
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": guards.write,
        "_apply_": guards.apply,
        "_inplacevar_": guards.inplacevar,
        "_add_": guards.add,
        "_sub_": guards.sub,
        "_mul_": guards.mul,
        "_pow_": guards.pow,
        "_lshift_": guards.lshift,
        "_mod_": guards.mod,
        "_format_": guards.format,
    }


def _script_line(exc: BaseException) -> int | None:
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


# --------------------------------------------------------------------------- the environment


class SandboxEnvironment(TaskDataEnvironment):
    """TaskDataEnvironment that compiles with RestrictedPython and bounds time and memory.

    ``helpers`` are the functions scripts may call (see ``script_helpers``); like the base class,
    ``execute`` writes the script's assignments into the task data and leaves no helpers or
    functions behind. Unlike the base class it writes nothing when the script fails.
    """

    def __init__(
        self,
        helpers: dict[str, object] | None = None,
        time_limit: float = 1.0,
        max_memory_items: int = 1_000_000,
        guards: _Guards | None = None,
        compiler: Callable[[str, str], Any] | None = None,
    ) -> None:
        super().__init__(dict(helpers or {}))
        self.time_limit = time_limit
        self.max_memory_items = max_memory_items
        self._guards = guards or _Guards(max_memory_items)
        self._compile = compiler or _compiled
        self.fixed_globals = _fixed_globals(self._guards)

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        code = self._compile(expression, "eval")
        self._prepare_context(context)
        watch = self._watch()
        namespace = {
            **self.globals,
            **(external_context or {}),
            **context,
            **self.fixed_globals,
            "_tick_": watch.tick,
        }
        result = self._run(code, namespace, watch, "eval")
        if type(result) not in _SCALARS:
            self._check_output(result)
        return result

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        self.check_for_overwrite(context, external_context or {})
        code = self._compile(script, "exec")
        self._prepare_context(context)
        watch = self._watch()
        namespace = {
            **context,
            **self.globals,
            **(external_context or {}),
            **self.fixed_globals,
            "_tick_": watch.tick,
        }
        self._run(code, namespace, watch, "exec")
        result = {
            key: value
            for key, value in namespace.items()
            if key not in self.fixed_globals
            and key != "_tick_"
            and key not in self.globals
            and not (external_context and key in external_context)
            and not callable(value)
        }
        for key, value in result.items():
            # new values must be storable; every value, also one changed in place (``items.append(x)``),
            # must stay small enough to serialize: a list holding [x, x] nested 40 deep is tiny in
            # memory but 2**40 items as JSON, and comparing it would take as long
            changed = key not in context or context[key] is not value
            if changed or type(value) not in _SCALARS:
                try:
                    self._check_output(value, data_only=changed)
                except ScriptError as exc:
                    raise ScriptError(f"variable '{key}': {exc}") from None
        context.clear()
        context.update(result)
        return True

    def _watch(self) -> _Watch:
        return _Watch(self.time_limit, self.max_memory_items * _BYTES_PER_ITEM)

    def _run(self, code: Any, namespace: dict, watch: _Watch, mode: str) -> Any:
        try:
            result = eval(code, namespace) if mode == "eval" else exec(code, namespace)  # noqa: S307
        except ScriptError:
            raise
        except Exception as exc:
            if watch.failure is not None:  # the script swallowed the timeout, then failed otherwise
                raise ScriptError(watch.failure) from exc
            if isinstance(exc, NameError) and exc.name in _REAL_BUILTIN_NAMES:
                line = _script_line(exc)
                where = f" (line {line})" if line else ""
                raise ScriptError(f"name '{exc.name}' is not available in scripts{where}") from exc
            if isinstance(exc, RecursionError):
                raise ScriptError("a function in the script calls itself too deeply") from exc
            if isinstance(exc, MemoryError):
                raise ScriptError("the script ran out of memory") from exc
            raise
        if watch.failure is not None:  # the script swallowed the timeout and finished
            raise ScriptError(watch.failure)
        return result

    def _check_output(self, value: Any, data_only: bool = False) -> None:
        if _text_size(value, self.max_memory_items, data_only) > self.max_memory_items:
            raise self._guards.too_big("the data the script produces")
