"""A small, strict translator from Camunda 7 JUEL expressions to the equivalent Python expression.

Camunda models write conditions as ``${amount > 10000}``; Tripflow's engine evaluates Python. The
common forms have one clear meaning in Python, and only those are translated: variables, literals,
``! not && and || or == eq != ne < lt > gt <= le >= ge + - * / div % mod``, parentheses, the
``a ? b : c`` choice, ``empty`` / ``not empty`` and ``execution.getVariable('x')``. Anything else
(bean and method calls, property paths, lambdas, ``#{}`` composites with text around them) raises
:class:`JuelError`, so a model is refused instead of running with a guessed meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WRAPPED = re.compile(r"^\s*[$#]\{(?P<body>.*)\}\s*$", re.DOTALL)
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>&&|\|\||==|!=|<=|>=|[<>!+\-*/%().?:,])
    )""",
    re.VERBOSE,
)
WORD_OPERATORS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
}
LITERALS = {"true": "True", "false": "False", "null": "None"}
RESERVED = {"instanceof", "function", "new"}
# Python words a JUEL variable may not be called, since the translation would mean something else
PYTHON_KEYWORDS = {"in", "is", "if", "else", "lambda", "None", "True", "False", "for", "while", "import"}


class JuelError(ValueError):
    """A JUEL expression the translator does not understand; the message says which part."""


@dataclass
class _Token:
    kind: str
    text: str


def is_juel(text: str) -> bool:
    return "${" in text or "#{" in text


def translate(text: str) -> str:
    """The Python expression equivalent to the JUEL expression ``text`` (``${...}`` or ``#{...}``)."""
    match = WRAPPED.match(text)
    if not match or is_juel(match.group("body")):
        raise JuelError("only a single ${...} expression is understood, not text around or inside it")
    tokens = _tokenize(match.group("body"))
    parser = _Parser(tokens)
    result = parser.choice()
    if parser.position != len(tokens):
        raise JuelError(f"'{tokens[parser.position].text}' is not understood here")
    return result


def _tokenize(body: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    body = body.rstrip()
    while position < len(body):
        match = _TOKEN.match(body, position)
        if not match or match.end() == position:
            raise JuelError(f"'{body[position:].strip()[:20]}' is not understood")
        position = match.end()
        kind = match.lastgroup or ""
        text = match.group(kind)
        if kind == "name" and text in WORD_OPERATORS:
            tokens.append(_Token("op", WORD_OPERATORS[text]))
        elif kind == "name" and text == "empty":
            tokens.append(_Token("op", "empty"))
        elif kind == "name" and text in RESERVED:
            raise JuelError(f"'{text}' is not understood")
        else:
            tokens.append(_Token(kind, text))
    if not tokens:
        raise JuelError("the expression is empty")
    return tokens


class _Parser:
    """Recursive descent over JUEL's precedence: ?:, ||, &&, ==/!=, relations, +/-, * / %, unary."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, *ops: str) -> str | None:
        token = self.peek()
        if token is not None and token.kind == "op" and token.text in ops:
            self.position += 1
            return token.text
        return None

    def expect(self, op: str) -> None:
        if not self.take(op):
            token = self.peek()
            raise JuelError(f"'{op}' expected, found '{token.text if token else 'the end'}'")

    def choice(self) -> str:
        condition = self.binary(0)
        if self.take("?"):
            when_true = self.choice()
            self.expect(":")
            when_false = self.choice()
            return f"({when_true} if {condition} else {when_false})"
        return condition

    LEVELS = (
        {"||": "or"},
        {"&&": "and"},
        {"==": "==", "!=": "!="},
        {"<": "<", ">": ">", "<=": "<=", ">=": ">="},
        {"+": "+", "-": "-"},
        {"*": "*", "/": "/", "%": "%"},
    )

    def binary(self, level: int) -> str:
        if level == len(self.LEVELS):
            return self.unary()
        operators = self.LEVELS[level]
        left = self.binary(level + 1)
        while (op := self.take(*operators)) is not None:
            right = self.binary(level + 1)
            left = f"({left} {operators[op]} {right})"
        return left

    def unary(self) -> str:
        if self.take("!"):
            return f"(not {self.unary()})"
        if self.take("-"):
            return f"(-{self.unary()})"
        if self.take("empty"):
            value = self.unary()
            return f"({value} is None or {value} == '' or {value} == [] or {value} == {{}})"
        return self.primary()

    def primary(self) -> str:
        token = self.peek()
        if token is None:
            raise JuelError("the expression ends too early")
        if self.take("("):
            inner = self.choice()
            self.expect(")")
            return inner
        self.position += 1
        if token.kind == "number":
            return token.text
        if token.kind == "string":
            return repr(_unquote(token.text))
        if token.kind != "name":
            raise JuelError(f"'{token.text}' is not understood here")
        if token.text in LITERALS:
            return LITERALS[token.text]
        if token.text == "execution":
            return self._get_variable()
        if token.text in PYTHON_KEYWORDS:
            raise JuelError(f"the variable name '{token.text}' is a Python word")
        following = self.peek()
        if following is not None and following.kind == "op" and following.text in (".", "("):
            raise JuelError(
                f"'{token.text}{following.text}...' calls a method or reads a property, which has no "
                "Python equivalent here"
            )
        return token.text

    def _get_variable(self) -> str:
        self.expect(".")
        method = self.peek()
        if method is None or method.text != "getVariable":
            raise JuelError("of execution only execution.getVariable('name') is understood")
        self.position += 1
        self.expect("(")
        name = self.peek()
        if name is None or name.kind != "string":
            raise JuelError("execution.getVariable needs a quoted variable name")
        self.position += 1
        self.expect(")")
        variable = _unquote(name.text)
        if not variable.isidentifier() or variable in PYTHON_KEYWORDS:
            raise JuelError(f"'{variable}' is not a variable name Python can read")
        return variable


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])
