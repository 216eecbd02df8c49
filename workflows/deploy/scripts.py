"""``print()`` in the Python scripts of imported models: removed, with a note.

Camunda and SpiffWorkflow test models print to the engine's console to show a value while
developing. Nobody reads a Tripflow server's console and the script sandbox refuses ``print``, so
each call becomes ``None`` (a statement that does nothing) and the rest of the script runs as
written. The note names the task, so the owner can turn the value into a case variable instead.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from lxml import etree

from workflows.deploy.problems import describe


def drop_print(script: etree._Element, note: Callable[[etree._Element, str], None]) -> None:
    """Replace every ``print(...)`` call of the ``bpmn:script`` element's text by ``None``."""
    text = script.text or ""
    if "print" not in text:
        return
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return  # the sandbox check refuses it, naming the task
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
    ]
    outermost = [c for c in calls if not any(o is not c and _inside(c, o) for o in calls)]
    if not outermost:
        return
    lines = [line.encode() for line in text.splitlines(keepends=True)]
    for call in sorted(outermost, key=lambda c: (c.lineno, c.col_offset), reverse=True):
        start, end = call.lineno - 1, (call.end_lineno or call.lineno) - 1
        head, tail = lines[start][: call.col_offset], lines[end][call.end_col_offset or 0 :]
        lines[start : end + 1] = [head + b"None" + tail]
    script.text = b"".join(lines).decode()
    owner = script.getparent()
    note(
        owner,
        f"The print() calls in the script of {describe(owner)} were removed: Tripflow has no console to "
        "print to (assign the value to a variable to keep it)",
    )


def _inside(inner: ast.AST, outer: ast.AST) -> bool:
    return (outer.lineno, outer.col_offset) <= (inner.lineno, inner.col_offset) and (  # type: ignore[attr-defined]
        inner.end_lineno,  # type: ignore[attr-defined]
        inner.end_col_offset,  # type: ignore[attr-defined]
    ) <= (outer.end_lineno, outer.end_col_offset)  # type: ignore[attr-defined]
