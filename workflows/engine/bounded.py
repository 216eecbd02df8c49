"""The in-process fast path: scripts and expressions that provably do bounded work.

Most of what a model evaluates is small: gateway conditions and DMN cells
(``approved == True and budget > 1000``, ``>= 50000``), timer literals (``"PT2H"``), and
straight-line scripts (``case_status = "lost"``, ``reminder_at = local_instant(start_date, -7)``).
Sending each to an evaluator process would cost a round trip, so such a source runs here when
all of this holds:

* statically (``bounded_code``): at most ``MAX_NODES`` syntax nodes of these kinds: names,
  literals, attribute and item reads, slices, comparisons, boolean and arithmetic operators,
  ``x if c else y``, list/tuple displays, dict displays with literal keys, f-strings; calls only
  of the date helpers, of ``len str int float bool abs round min max`` without keywords, and of
  the methods in ``_METHODS`` (none changes anything); in scripts, assignments to and ``del`` of
  plain names, ``if``, ``try``/``except``, ``pass``. No loop, comprehension, function, lambda or
  ``raise``; nothing that repeats work or changes a value in place;
* at run time: every case variable it reads holds at most ``DATA_BUDGET`` items or characters
  (counted as JSON would spell them, shared parts counted each time they appear);
* while it runs (``BoundedGuards``): every list, tuple or dict it builds, and every ``+``, ``%``,
  f-string or ``str()`` result, stays within ``DATA_BUDGET``; other arithmetic is on numbers only.

So every value stays within ``DATA_BUDGET`` and each of at most ``MAX_NODES`` operations (a
comparison, a search, a concatenation, a helper) is about linear in it: milliseconds at worst.
When anything does not hold, ``NotBounded`` is raised before the task data changed, and the
caller runs the source in an evaluator process, whose answer is the authoritative one (so nothing
refused here is ever shown to anyone). A script cannot hide that with a bare ``except:``: the
guards remember it for the run. The same RestrictedPython policy and guards apply as everywhere.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec

from workflows.engine.sandbox import (
    _FILENAME,
    _SCALARS,
    _SEQUENCES,
    SandboxEnvironment,
    ScriptError,
    _call,
    _Guards,
    _located,
    _Policy,
    _text_size,
)

__all__ = ["BoundedEvaluator", "NotBounded", "bounded_code"]

MAX_NODES = 256
"""Syntax nodes a script or expression may have to run in process."""
MAX_SOURCE = 4000
"""Characters a script or expression may have to run in process."""
DATA_BUDGET = 10_000
"""Items or characters every value a bounded run reads or builds may hold."""

_BUILTIN_CALLS = frozenset({"len", "str", "int", "float", "bool", "abs", "round", "min", "max"})
_METHODS = frozenset({"get", "lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith"})

_EXPRESSION_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Invert,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.BitAnd,
    ast.BitOr,
    ast.BitXor,
    ast.RShift,
    ast.LShift,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Is,
    ast.IsNot,
    ast.In,
    ast.NotIn,
    ast.IfExp,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.JoinedStr,
    ast.FormattedValue,
    ast.Call,
    ast.keyword,
)
_STATEMENT_NODES = (
    ast.Module,
    ast.Assign,
    ast.Delete,
    ast.Store,
    ast.Del,
    ast.If,
    ast.Try,
    ast.ExceptHandler,
    ast.Pass,
    ast.Expr,
)


class NotBounded(Exception):
    """The source may do unbounded work here: run it in an evaluator process."""


# --------------------------------------------------------------------------- the static proof


def _bounded_names(tree: ast.AST, helpers: frozenset[str]) -> frozenset[str] | None:
    """The names a provably bounded tree reads, or None when it is not one."""
    allowed = _EXPRESSION_NODES + (_STATEMENT_NODES if isinstance(tree, ast.Module) else ())
    read: set[str] = set()
    written: set[str] = set()
    called: set[str] = set()
    for count, node in enumerate(ast.walk(tree)):
        if count >= MAX_NODES or not isinstance(node, allowed):
            return None
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else written).add(node.id)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            written.add(node.name)
        elif isinstance(node, (ast.Assign, ast.Delete)):
            if not all(isinstance(target, ast.Name) for target in node.targets):
                return None  # no item or attribute writes: nothing changes in place
        elif isinstance(node, ast.Dict):
            if not all(isinstance(key, ast.Constant) for key in node.keys):
                return None  # no ``**`` and no hashing of computed keys
        elif isinstance(node, ast.Call):
            if any(isinstance(arg, ast.Starred) for arg in node.args):
                return None
            func = node.func
            if isinstance(func, ast.Name) and func.id in helpers:
                if any(keyword.arg is None for keyword in node.keywords):
                    return None
                called.add(func.id)
            elif isinstance(func, ast.Name) and func.id in _BUILTIN_CALLS and not node.keywords:
                called.add(func.id)
            elif isinstance(func, ast.Attribute) and func.attr in _METHODS and not node.keywords:
                pass
            else:
                return None
    if called & written:
        return None  # ``len = any`` then ``len(...)``
    return frozenset(read)


class _BoundedPolicy(_Policy):
    """The sandbox's policy, plus a size check around every list, tuple and dict display."""

    def visit_List(self, node: ast.List) -> ast.AST:
        return self._checked(super().visit_List(node))

    def visit_Tuple(self, node: ast.Tuple) -> ast.AST:
        return self._checked(super().visit_Tuple(node))

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        return self._checked(super().visit_Dict(node))

    @staticmethod
    def _checked(node: Any) -> Any:
        if isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del)):
            return node
        return _located(_call("_size_", node), node)


@lru_cache(maxsize=4096)
def bounded_code(source: str, mode: str, helpers: frozenset[str]) -> tuple[Any, frozenset[str]] | None:
    """The compiled form of a provably bounded source and the names it reads; None for any other."""
    if len(source) > MAX_SOURCE:
        return None
    try:
        tree = ast.parse(source, _FILENAME, mode)
    except SyntaxError:
        return None
    names = _bounded_names(tree, helpers)
    if names is None:
        return None
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(tree, filename=_FILENAME, policy=_BoundedPolicy)
    if result.errors or result.code is None:
        return None  # the evaluator process reports the refusal
    return result.code, names


# --------------------------------------------------------------------------- run-time guards


def _number(value: Any) -> bool:
    return value is not None and type(value) in _SCALARS


class BoundedGuards(_Guards):
    """Guards that keep every value within ``DATA_BUDGET``; a refusal is remembered for the run."""

    def __init__(self) -> None:
        super().__init__(DATA_BUDGET)
        self._run = threading.local()

    def start(self) -> None:
        self._run.refused = False

    def refused(self) -> bool:
        return bool(getattr(self._run, "refused", False))

    def refuse(self) -> NotBounded:
        self._run.refused = True
        raise NotBounded

    def too_big(self, what: str = "the result") -> ScriptError:
        raise self.refuse()  # the evaluator process has the real limits, and says so

    def size(self, value: Any) -> Any:
        if _text_size(value, DATA_BUDGET) > DATA_BUDGET:
            raise self.refuse()
        return value

    def _numbers(self, a: Any, b: Any) -> None:
        if not (_number(a) and _number(b)):
            raise self.refuse()

    def add(self, a: Any, b: Any) -> Any:
        if _number(a) and _number(b):
            return self.check_int(a + b)
        if type(a) is type(b) and type(a) in _SEQUENCES:
            if _text_size(a, DATA_BUDGET) + _text_size(b, DATA_BUDGET) > DATA_BUDGET:
                raise self.refuse()
            return a + b
        raise self.refuse()

    def sub(self, a: Any, b: Any) -> Any:
        self._numbers(a, b)
        return super().sub(a, b)

    def mul(self, a: Any, b: Any) -> Any:
        self._numbers(a, b)
        return super().mul(a, b)

    def pow(self, a: Any, b: Any) -> Any:
        self._numbers(a, b)
        return super().pow(a, b)

    def lshift(self, a: Any, b: Any) -> Any:
        self._numbers(a, b)
        return super().lshift(a, b)

    def mod(self, a: Any, b: Any) -> Any:
        formatting = type(a) is str and _text_size(b, DATA_BUDGET) <= DATA_BUDGET
        if not formatting and not (_number(a) and _number(b)):
            raise self.refuse()
        return super().mod(a, b)

    def inplacevar(self, op: str, a: Any, b: Any) -> Any:
        raise self.refuse()  # only reached through a rewritten ``d[k] += v``, which is not bounded here


class BoundedEvaluator:
    """Runs provably bounded sources in process; raises NotBounded, with the data unchanged, for the rest."""

    def __init__(self, helpers: dict[str, object], time_limit: float) -> None:
        self._guards = BoundedGuards()
        self._helper_names = frozenset(helpers)
        self._environment = SandboxEnvironment(
            helpers, time_limit=time_limit, guards=self._guards, compiler=self._code
        )
        self._environment.fixed_globals["_size_"] = self._guards.size
        self.globals = self._environment.globals

    def _code(self, source: str, mode: str) -> Any:
        found = bounded_code(source, mode, self._helper_names) if isinstance(source, str) else None
        if found is None:
            raise NotBounded
        return found[0]

    def _check_inputs(self, source: str, mode: str, scopes: tuple[dict | None, ...]) -> None:
        found = bounded_code(source, mode, self._helper_names) if isinstance(source, str) else None
        if found is None:
            raise NotBounded
        for name in found[1]:
            for scope in scopes:
                if scope and name in scope and _text_size(scope[name], DATA_BUDGET) > DATA_BUDGET:
                    raise NotBounded

    def _run(self, run: Callable[[], Any]) -> Any:
        self._guards.start()
        try:
            result = run()
        except NotBounded:
            raise
        except ScriptError as exc:
            raise NotBounded from exc  # the evaluator process words the refusal
        except Exception:
            if self._guards.refused():  # the script swallowed the refusal, then failed otherwise
                raise NotBounded from None
            raise
        if self._guards.refused():  # the script swallowed the refusal and finished
            raise NotBounded
        return result

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        self._check_inputs(expression, "eval", (context, external_context))
        return self._run(lambda: self._environment.evaluate(expression, context, external_context))

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        self._check_inputs(script, "exec", (context, external_context))
        trial = dict(context)  # a bounded script changes nothing in place: a shallow copy is enough
        self._run(lambda: self._environment.execute(script, trial, external_context))
        context.clear()
        context.update(trial)
        return True
