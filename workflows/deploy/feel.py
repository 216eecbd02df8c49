"""FEEL simple unary tests of DMN 1.1–1.3 decision tables, as the Python entries SpiffWorkflow runs.

SpiffWorkflow's DMN engine reads an input entry as Python: ``< 10`` is composed as
``input < 10`` and ``?`` stands for the input. FEEL's simple unary tests mean the same things in
other words: ``[1..5]`` is ``1 <= ? <= 5``, ``"A","B"`` is ``? in ("A", "B")``, ``not("x")`` is
``? != "x"``, ``-`` matches anything. Only those forms are translated; anything else raises
:class:`FeelError` and the table is refused naming the entry.
"""

from __future__ import annotations

import re

_NUMBER = r"-?\d+(?:\.\d+)?"
_STRING = r'"(?:[^"\\]|\\.)*"'
_LITERAL = rf"(?:{_NUMBER}|{_STRING}|true|false|null|date\(\s*{_STRING}\s*\))"
_RANGE = re.compile(
    rf"^(?P<open>[\[\](])\s*(?P<low>{_LITERAL})\s*\.\.\s*(?P<high>{_LITERAL})\s*(?P<close>[\])[])$"
)
_COMPARISON = re.compile(rf"^(?P<op><=|>=|<|>|=|!=)\s*(?P<value>{_LITERAL})$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class FeelError(ValueError):
    """A FEEL entry outside the simple unary tests this translator understands."""


def literal(text: str) -> str:
    """One FEEL literal as Python: numbers and strings as they are, true/false/null as Python's."""
    text = text.strip()
    if text in ("true", "false"):
        return text.capitalize()
    if text == "null":
        return "None"
    if re.fullmatch(_NUMBER, text) or re.fullmatch(_STRING, text):
        return text
    date = re.fullmatch(rf"date\(\s*({_STRING})\s*\)", text)
    if date:
        return date.group(1)  # ISO dates compare as text, as case variables store them
    raise FeelError(f"'{text}' is not a FEEL literal")


def unary_tests(text: str) -> str:
    """A FEEL input entry as the Python entry SpiffWorkflow evaluates ('' matches anything)."""
    text = text.strip()
    if text in ("", "-"):
        return ""
    negated = re.fullmatch(r"not\s*\((?P<inner>.*)\)", text, re.DOTALL)
    if negated:
        inner = _tests(negated.group("inner"))
        return f"not ({inner})"
    return _tests(text)


def _tests(text: str) -> str:
    parts = _split(text)
    if len(parts) > 1 and all(_is_literal(p) for p in parts):
        return f"? in ({', '.join(literal(p) for p in parts)})"
    return " or ".join(f"({_test(p)})" if len(parts) > 1 else _test(p) for p in parts)


def _test(text: str) -> str:
    text = text.strip()
    if _is_literal(text):
        return f"? == {literal(text)}"
    match = _RANGE.match(text)
    if match:
        low = "<=" if match.group("open") == "[" else "<"
        high = "<=" if match.group("close") == "]" else "<"
        return f"{literal(match.group('low'))} {low} ? {high} {literal(match.group('high'))}"
    match = _COMPARISON.match(text)
    if match:
        op = {"=": "=="}.get(match.group("op"), match.group("op"))
        return f"? {op} {literal(match.group('value'))}"
    if _NAME.match(text) and text not in ("not", "and", "or"):
        return f"? == {text}"  # a variable of the case
    raise FeelError(
        f"'{text}' is not a FEEL simple unary test Tripflow understands (a value, a comparison "
        'such as < 10, a range such as [1..5], a list such as "A","B", or not(...))'
    )


def _is_literal(text: str) -> bool:
    try:
        literal(text)
    except FeelError:
        return False
    return True


def _split(text: str) -> list[str]:
    """Split on commas outside strings and brackets."""
    parts, depth, quoted, current = [], 0, False, ""
    for index, char in enumerate(text):
        if char == '"' and (index == 0 or text[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char in "([":
            depth += 1
        elif not quoted and char in ")]" and depth:
            depth -= 1
        if char == "," and not quoted and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    if any(not p.strip() for p in parts):
        raise FeelError(f"'{text}' has an empty test between commas")
    return [p.strip() for p in parts]


def expression(text: str) -> str:
    """A Camunda 8 condition ``=fraud`` / ``=amount > 10 and not(vip)`` as the equivalent Python.

    FEEL's operators of such conditions are JUEL's with other spellings (``=`` for ``==``,
    ``not(x)`` for ``!(x)``), so the body is respelled and handed to the JUEL translator, which
    refuses anything beyond names, literals, comparisons and ``and``/``or``/``not``.
    """
    from workflows.deploy import juel

    body = text.strip()
    if not body.startswith("="):
        raise FeelError(f"'{text}' is not a FEEL expression (it does not start with =)")
    respelled, quoted = "", None
    for index, char in enumerate(body[1:], start=1):
        if quoted:
            quoted = None if char == quoted and body[index - 1] != "\\" else quoted
        elif char in "\"'":
            quoted = char
        elif char == "=" and body[index - 1] not in "<>!=" and body[index + 1 : index + 2] != "=":
            char = "=="
        respelled += char
    respelled = re.sub(r"\bnot\s*\(", "!(", respelled)
    try:
        return juel.translate("${" + respelled + "}")
    except juel.JuelError as exc:
        raise FeelError(str(exc)) from None
