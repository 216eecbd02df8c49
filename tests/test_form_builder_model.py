"""The form builder's model (webapp/static/js/modeler/schema_model.js), run in Node.

Every form shipped in bpmn/forms/ goes through the builder and back unchanged (only ``ui:order``
may be written out in full), so opening a form in the builder never rewrites what it does not
show; and a form made of builder fields is enforced by the server's own validation.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from workflows.cases.forms import validate_submission
from workflows.errors import Invalid

from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "webapp" / "static" / "js" / "modeler" / "schema_model.js"
FORMS = ROOT / "bpmn" / "forms"


def node(script: str, payload: Any) -> Any:
    binary = shutil.which("node")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("node is not installed (it builds the assets too)")
        pytest.skip("node is not installed")
    result = subprocess.run(
        [binary, "--input-type=module", "-e", f'import * as m from "{MODEL.as_uri()}";\n{script}'],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


READ_STDIN = """
let text = "";
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text);
"""


def test_every_shipped_form_survives_the_builder_unchanged() -> None:
    pairs = {}
    for path in sorted(FORMS.glob("*.schema.json")):
        ui = path.with_name(path.name.replace(".schema.json", ".uischema.json"))
        pairs[path.name] = [json.loads(path.read_text()), json.loads(ui.read_text()) if ui.exists() else {}]
    out = node(
        READ_STDIN
        + """
const result = {};
for (const [name, [schema, ui]] of Object.entries(input)) {
  const { form, fields } = m.fromSchema(schema, ui);
  result[name] = { ...m.toSchema(form, fields), kinds: fields.map((f) => [f.id, f.type]) };
}
console.log(JSON.stringify(result));
""",
        pairs,
    )
    assert len(out) == len(pairs) >= 20
    kinds = set()
    for name, (schema, ui) in pairs.items():
        assert out[name]["schema"] == schema, name
        written = {k: v for k, v in out[name]["ui"].items() if k != "ui:order"}
        assert written == {k: v for k, v in ui.items() if k != "ui:order"}, name
        kinds |= {kind for _id, kind in out[name]["kinds"]}
    assert {"text", "textarea", "number", "date", "yesno", "choice", "rows"} <= kinds


def test_a_form_built_from_fields_is_enforced_by_the_server() -> None:
    built = node(
        READ_STDIN
        + """
const fields = input.map(([id, type, extra]) => ({ ...m.blankField(id), type, ...extra }));
const form = m.fromSchema({ type: "object", properties: {} }, {}).form;
console.log(JSON.stringify(m.toSchema(form, fields)));
""",
        [
            [
                "kind",
                "choice",
                {
                    "required": True,
                    "choices": [{"value": "a", "en": "A", "zh": "甲"}, {"value": "b", "en": "", "zh": ""}],
                },
            ],
            ["start", "date", {}],
            ["end", "date", {"dateAfter": "start"}],
            ["why", "textarea", {"requiredWhen": {"field": "kind", "value": "b"}}],
            ["fee", "money", {"min": "0", "max": "500"}],
            ["lines", "rows", {"columns": "what, supplier", "min": "1"}],
        ],
    )
    schema, ui = built["schema"], built["ui"]
    assert schema["properties"]["kind"]["x-enum-titles"] == {"en": ["A", "b"], "zh_Hans": ["甲", "b"]}
    assert ui["why"] == {"ui:widget": "textarea"}
    assert ui["ui:order"] == ["kind", "start", "end", "why", "fee", "lines", "*"]

    def problems(data: dict[str, Any]) -> set[tuple[str, str]]:
        try:
            validate_submission(schema, data)
        except Invalid as error:
            return {(d["field"], d.get("code", "")) for d in error.details}
        return set()

    lines = [{"what": "Hotel", "supplier": "X"}]
    good = {"kind": "a", "start": "2027-01-01", "end": "2027-01-05", "lines": lines}
    assert problems(good) == set()
    assert problems({**good, "end": "2027-01-01"}) == {("end", "date_after")}
    assert problems({**good, "kind": "b"}) == {("why", "required")}
    assert problems({**good, "kind": "b", "why": "Because"}) == set()
    assert problems({**good, "kind": "c"}) == {("kind", "enum")}
    assert problems({k: v for k, v in good.items() if k != "kind"}) == {("kind", "required")}
    assert problems({**good, "fee": -1}) == {("fee", "minimum")}
    assert problems({**good, "fee": 501}) == {("fee", "maximum")}
    assert problems({**good, "lines": []}) == {("lines", "minItems")}


def test_the_workbench_carries_the_builder_and_its_words_in_the_readers_language(client: Any) -> None:
    response = client.post("/login", data={"username": "process_owner", "password": PASSWORD})
    assert response.status_code == 302
    for language, words in (
        ("en", ("Required when", "Must be after", "List of rows")),
        ("zh", ("何时必填", "须晚于", "多行列表")),
    ):
        html = client.get("/models/new?key=visa_service", headers={"Accept-Language": language}).get_data(
            as_text=True
        )
        assert 'id="form-builder"' in html and 'data-form-mode="json"' in html
        blob = html.split('id="workbench-data">', 1)[1].split("</script>", 1)[0]
        text = json.loads(blob)["text"]
        assert [text["fbRequiredWhen"], text["fbDateAfter"], text["fbRows"]] == list(words)
