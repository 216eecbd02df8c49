"""Task forms in HTML: a JSON Schema and its UI schema turned into fields the templates render.

HTML names: ``destination``; ``new_customer.name`` inside an object; ``itinerary-0-day`` in row 0
of an array. The values shown are text (``webapp.form_data`` turns typed case data into that text
and a posted form back into typed JSON); errors come from the service, one per dotted path
(``itinerary.1.day``), and are put beside the field they name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Raw = dict[str, str]
ROW_PLACEHOLDER = "__index__"


@dataclass
class Option:
    value: str
    label: str


@dataclass
class Field:
    key: str
    name: str  # the HTML name
    path: str  # the validator's dotted path, for errors
    label: str
    widget: str  # text email textarea number integer date datetime checkbox yesno select radio
    #               customer hidden readonly object array
    required: bool = False
    help: str = ""
    value: str = ""  # what the input shows
    display: str = ""  # readonly: the value in words
    error: str = ""
    options: list[Option] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Field] = field(default_factory=list)  # object
    rows: list[list[Field]] = field(default_factory=list)  # array
    blank_row: list[Field] = field(default_factory=list)  # array: the row "add row" copies
    addable: bool = True
    removable: bool = True
    item_label: str = ""  # array: what one row is ("Day", "Booking")
    layout: str = "table"  # array: "table" for a few short fields, "cards" for many or long ones


@dataclass
class FormContext:
    locale: str
    timezone: str
    customers: list[Option] = field(default_factory=list)
    documents: dict[str, str] = field(default_factory=dict)  # the case's attachments: id -> file name


# --- reading a schema -----------------------------------------------------------------------


def schema_type(prop: dict[str, Any]) -> str:
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind is None:
        kind = "object" if "properties" in prop else "string"
    return str(kind)


def _ordered(schema: dict[str, Any], ui: dict[str, Any]) -> list[str]:
    """Property names in ``ui:order`` (``*`` = every other one, in schema order)."""
    names = list((schema.get("properties") or {}).keys())
    order = ui.get("ui:order")
    if not order:
        return names
    if "*" not in order:
        order = [*order, "*"]
    star = order.index("*")
    head = [n for n in order[:star] if n in names]
    tail = [n for n in order[star + 1 :] if n in names]
    middle = [n for n in names if n not in head and n not in tail]
    return head + middle + tail


def widget_of(prop: dict[str, Any], ui: dict[str, Any]) -> str:
    wanted = ui.get("ui:widget")
    kind = schema_type(prop)
    if wanted == "hidden":
        return "hidden"
    if ui.get("ui:readonly"):
        return "readonly"
    if wanted == "customer_picker":
        return "customer"
    if wanted == "file" or prop.get("x-attachment"):
        return "file"
    if kind in ("object", "array"):
        return kind
    if kind == "boolean":
        return "yesno" if wanted == "radio" else "checkbox"
    if "enum" in prop:
        return "radio" if wanted == "radio" else "select"
    if kind in ("integer", "number"):
        return kind
    if wanted == "textarea":
        return "textarea"
    return {"date": "date", "date-time": "datetime", "email": "email"}.get(prop.get("format", ""), "text")


def label_of(prop: dict[str, Any], key: str, locale: str) -> str:
    titles = prop.get("x-title") or {}
    return str(
        titles.get(locale)
        or (prop.get("title") if locale == "en" else None)
        or titles.get("en")
        or prop.get("title")
        or key.replace("_", " ").capitalize()
    )


def _help(ui: dict[str, Any], locale: str) -> str:
    return str(ui.get(f"ui:help_{locale}") or ui.get("ui:help") or "")


def _enum_options(prop: dict[str, Any], locale: str) -> list[Option]:
    titles = prop.get("x-enum-titles") or {}
    words = titles.get(locale) or titles.get("en") or []
    return [
        Option(as_text(v), str(words[i]) if i < len(words) else as_text(v))
        for i, v in enumerate(prop["enum"])
        if v is not None
    ]


def _attrs(prop: dict[str, Any], widget: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if widget in ("number", "integer"):
        attrs["step"] = "1" if widget == "integer" else "any"
        attrs["inputmode"] = "numeric" if widget == "integer" else "decimal"
        for name in ("minimum", "maximum"):
            if name in prop:
                attrs[name[:3]] = as_text(prop[name])
    if "maxLength" in prop:
        attrs["maxlength"] = str(prop["maxLength"])
    return attrs


def join_name(prefix: str, key: str) -> str:
    """``key``, ``object.key`` or (in an array row, whose prefix ends in ``-``) ``rows-0-key``."""
    if not prefix:
        return key
    return f"{prefix}{key}" if prefix.endswith("-") else f"{prefix}.{key}"


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


# --- normalised text -> fields to render -------------------------------------------------------------


def build_form(
    schema: dict[str, Any],
    ui: dict[str, Any],
    raw: Raw,
    errors: list[dict[str, Any]],
    ctx: FormContext,
    word: Callable[[dict[str, Any], dict[str, str]], str],
) -> tuple[list[Field], list[str]]:
    """The fields of the form, each with its value and its error; and the errors no field shows."""
    fields = _build_object(schema, ui, raw, "", "", ctx)
    by_path: dict[str, Field] = {}
    _index(fields, by_path)
    labels = {path: f.label for path, f in by_path.items()}
    unplaced = []
    for detail in errors:
        text = word(detail, labels)
        target = by_path.get(str(detail.get("field", "")))
        if target is None:
            unplaced.append(text)
        elif not target.error:
            target.error = text
    return fields, unplaced


def _index(fields: list[Field], by_path: dict[str, Field]) -> None:
    for f in fields:
        by_path[f.path] = f
        _index(f.children, by_path)
        for row in f.rows:
            _index(row, by_path)


def _build_object(
    schema: dict[str, Any], ui: dict[str, Any], raw: Raw, name: str, path: str, ctx: FormContext
) -> list[Field]:
    required = set(schema.get("required") or [])
    props = schema.get("properties") or {}
    fields = []
    for key in _ordered(schema, ui):
        child_name = join_name(name, key)
        child_path = f"{path}.{key}" if path else key
        fields.append(
            _build_field(
                key, props[key], ui.get(key) or {}, raw, child_name, child_path, key in required, ctx
            )
        )
    return fields


def _build_field(
    key: str,
    prop: dict[str, Any],
    ui: dict[str, Any],
    raw: Raw,
    name: str,
    path: str,
    required: bool,
    ctx: FormContext,
) -> Field:
    widget = widget_of(prop, ui)
    f = Field(
        key=key,
        name=name,
        path=path,
        label=label_of(prop, key, ctx.locale),
        widget=widget,
        required=required,
        help=_help(ui, ctx.locale),
        value=raw.get(name, ""),
        attrs=_attrs(prop, widget),
    )
    if widget == "object":
        f.children = _build_object(prop, ui, raw, name, path, ctx)
    elif widget == "array":
        _build_rows(f, prop, ui, raw, ctx)
    elif widget == "customer":
        f.options = list(ctx.customers)
    elif "enum" in prop:
        f.options = _enum_options(prop, ctx.locale)
    if widget == "file":
        f.display = ctx.documents.get(f.value, "")
    if widget == "readonly":
        chosen = {o.value: o.label for o in _enum_options(prop, ctx.locale)} if "enum" in prop else {}
        f.display = chosen.get(f.value, f.value)
    return f


def _build_rows(f: Field, prop: dict[str, Any], ui: dict[str, Any], raw: Raw, ctx: FormContext) -> None:
    items, item_ui = prop.get("items") or {}, ui.get("items") or {}
    options = ui.get("ui:options") or {}
    f.addable, f.removable = options.get("addable", True), options.get("removable", True)

    def row(index: str) -> list[Field]:
        if schema_type(items) == "object":
            return _build_object(items, item_ui, raw, f"{f.name}-{index}-", f"{f.path}.{index}", ctx)
        return [_build_field("", items, item_ui, raw, f"{f.name}-{index}", f"{f.path}.{index}", True, ctx)]

    count = 0
    while any(
        k == f"{f.name}-{count}" or k.startswith((f"{f.name}-{count}-", f"{f.name}-{count}.")) for k in raw
    ):
        count += 1
    f.rows = [row(str(i)) for i in range(count)]
    if f.addable:
        f.blank_row = row(ROW_PLACEHOLDER)
        if not f.rows:
            f.rows = [row("0")]
    f.attrs["data-next-index"] = str(len(f.rows))
    f.item_label = label_of(items, "", ctx.locale) if (items.get("title") or items.get("x-title")) else ""
    cells = [c for c in (f.blank_row or (f.rows[0] if f.rows else [])) if c.widget != "hidden"]
    wide = len(cells) > 4 or any(c.widget in ("textarea", "object", "array") for c in cells)
    f.layout = "cards" if wide else "table"
