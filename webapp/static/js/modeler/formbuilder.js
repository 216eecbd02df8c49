// The visual form builder beside the JSON text of a task form: one field a row (id, type, labels
// in Chinese and English, required, help, choices, limits, "date after" and "required when"),
// rows reordered by dragging (HTML5 drag and drop) or with the arrow buttons. Every change is
// written back into the JSON Schema and UI schema text areas and announced with an "input" event,
// so the workbench treats it exactly like typed JSON (dirty marks, checks, live preview).
// No inline script or style: the page's CSP allows scripts from 'self' only.
import { h } from "./panel.js";
import { TYPES, blankField, conditionValue, fromSchema, toSchema } from "./schema_model.js";

export class FormBuilder {
  constructor(container, options) {
    this.container = container;
    this.schemaArea = options.schemaArea;
    this.uiArea = options.uiArea;
    this.t = options.text;
    this.form = null;
    this.fields = [];
    this.dragging = null;
  }

  /** Reads the text areas; false (and the builder says why) when they are not a JSON object. */
  load() {
    let schema;
    let ui;
    try {
      schema = JSON.parse(this.schemaArea.value || "{}");
      ui = this.uiArea.value.trim() ? JSON.parse(this.uiArea.value) : {};
      if (!schema || typeof schema !== "object" || Array.isArray(schema) || typeof ui !== "object" || Array.isArray(ui)) {
        throw new Error(this.t.fbNotObject);
      }
    } catch (error) {
      this.form = null;
      this.container.replaceChildren(h("p", { class: "field-error", "data-builder-problem": "" }, `${this.t.fbFixJson} (${error.message})`));
      return false;
    }
    ({ form: this.form, fields: this.fields } = fromSchema(schema, ui));
    this.render();
    return true;
  }

  write() {
    if (!this.form) return;
    const { schema, ui } = toSchema(this.form, this.fields);
    this.schemaArea.value = JSON.stringify(schema, null, 2);
    this.uiArea.value = JSON.stringify(ui, null, 2);
    this.schemaArea.dispatchEvent(new Event("input"));
    this.uiArea.dispatchEvent(new Event("input"));
  }

  changed(rerender) {
    this.write();
    if (rerender) this.render();
  }

  // --- rendering ---------------------------------------------------------------------------

  render() {
    const t = this.t;
    const head = h("div", { class: "fb-form-head" },
      this.input(t.fbFormTitleEn, this.form.en, (v) => { this.form.en = v; }, "fb-form-en"),
      this.input(t.fbFormTitleZh, this.form.zh, (v) => { this.form.zh = v; }, "fb-form-zh"));
    const rows = h("ol", { class: "fb-rows", "data-fb-rows": "" }, ...this.fields.map((f, i) => this.row(f, i)));
    const add = h("button", { type: "button", class: "btn btn-sm", "data-fb-add": "", onclick: () => {
      let n = this.fields.length + 1;
      while (this.fields.some((f) => f.id === `field_${n}`)) n += 1;
      this.fields.push(blankField(`field_${n}`));
      this.changed(true);
      const last = this.container.querySelector(".fb-row:last-child [data-fb=id]");
      if (last) last.focus();
    } }, `+ ${t.fbAddField}`);
    this.container.replaceChildren(head, rows, add);
  }

  input(label, value, onInput, name, attrs) {
    return h("label", { class: "fb-cell" }, h("span", { class: "fb-label" }, label),
      h("input", { type: "text", value, "data-fb": name, ...(attrs || {}), oninput: (e) => { onInput(e.target.value); this.changed(false); } }));
  }

  select(label, value, options, onChange, name) {
    return h("label", { class: "fb-cell" }, h("span", { class: "fb-label" }, label),
      h("select", { "data-fb": name, onchange: (e) => { onChange(e.target.value); this.changed(true); } },
        ...options.map(([v, text]) => {
          const option = h("option", { value: v }, text);
          option.selected = v === value;
          return option;
        })));
  }

  row(field, index) {
    const t = this.t;
    const typeNames = { text: t.fbText, textarea: t.fbTextarea, number: t.fbNumber, money: t.fbMoney, date: t.fbDate,
      yesno: t.fbYesNo, choice: t.fbChoice, rows: t.fbRows, other: t.fbOther };
    const types = (field.type === "other" ? [...TYPES, "other"] : TYPES).map((k) => [k, typeNames[k]]);
    const main = h("div", { class: "fb-line" },
      this.input(t.fbId, field.id, (v) => this.rename(field, v), "id",
        { class: "mono", spellcheck: "false", onchange: () => this.render() }),
      this.select(t.type, field.type, types, (v) => { field.type = v; }, "type"),
      this.input(t.fbLabelZh, field.zh, (v) => { field.zh = v; }, "zh"),
      this.input(t.fbLabelEn, field.en, (v) => { field.en = v; }, "en"),
      h("label", { class: "fb-check" }, h("input", { type: "checkbox", "data-fb": "required", checked: field.required,
        onchange: (e) => { field.required = e.target.checked; this.changed(false); } }), t.fbRequired));
    const more = h("div", { class: "fb-line" },
      this.input(t.fbHelpZh, field.helpZh, (v) => { field.helpZh = v; }, "helpZh"),
      this.input(t.fbHelpEn, field.helpEn, (v) => { field.helpEn = v; }, "helpEn"));
    const bounds = { number: [t.fbMin, t.fbMax], money: [t.fbMin, t.fbMax], text: [t.fbMinLength, t.fbMaxLength],
      textarea: [t.fbMinLength, t.fbMaxLength], rows: [t.fbMinRows, t.fbMaxRows] }[field.type];
    if (bounds) {
      more.append(this.input(bounds[0], field.min, (v) => { field.min = v; }, "min", { inputmode: "decimal", class: "fb-short" }),
        this.input(bounds[1], field.max, (v) => { field.max = v; }, "max", { inputmode: "decimal", class: "fb-short" }));
    }
    const parts = [main, more];
    if (field.type === "choice") parts.push(this.choices(field));
    if (field.type === "rows") {
      parts.push(h("div", { class: "fb-line" }, this.input(t.fbColumns, field.columns, (v) => { field.columns = v; }, "columns",
        { class: "mono", placeholder: "date, description, supplier" })));
    }
    if (field.type === "other") parts.push(h("p", { class: "muted small" }, t.fbOtherHint));
    parts.push(this.rules(field));
    const handle = h("span", { class: "fb-handle", title: t.fbDrag, "aria-hidden": "true" }, "⋮⋮");
    const tools = h("div", { class: "fb-tools" }, handle,
      h("button", { type: "button", class: "fb-icon", title: t.fbUp, "aria-label": t.fbUp, "data-fb-up": "", disabled: index === 0,
        onclick: () => this.move(index, index - 1) }, "↑"),
      h("button", { type: "button", class: "fb-icon", title: t.fbDown, "aria-label": t.fbDown, "data-fb-down": "",
        disabled: index === this.fields.length - 1, onclick: () => this.move(index, index + 1) }, "↓"),
      h("button", { type: "button", class: "fb-icon fb-remove", title: t.fbRemove, "aria-label": t.fbRemove, "data-fb-remove": "",
        onclick: () => { this.fields.splice(index, 1); this.changed(true); } }, "×"));
    const id = field.id.trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(id) || this.fields.filter((f) => f.id.trim() === id).length > 1) {
      parts.unshift(h("p", { class: "field-error", "data-fb-bad-id": "" }, t.fbBadId));
    }
    const item = h("li", { class: "fb-row", draggable: "true", "data-field": field.id, "data-index": String(index) },
      tools, h("div", { class: "fb-body" }, ...parts));
    this.dragAndDrop(item, index);
    return item;
  }

  choices(field) {
    const t = this.t;
    const list = h("div", { class: "fb-choices" }, h("span", { class: "fb-label" }, t.fbChoices),
      ...field.choices.map((choice, i) => h("div", { class: "fb-line fb-choice", "data-choice": String(i) },
        this.input(t.fbValue, choice.value, (v) => { choice.value = v; }, "choice-value", { class: "mono fb-short" }),
        this.input(t.fbLabelZh, choice.zh, (v) => { choice.zh = v; }, "choice-zh"),
        this.input(t.fbLabelEn, choice.en, (v) => { choice.en = v; }, "choice-en"),
        h("button", { type: "button", class: "fb-icon fb-remove", title: t.fbRemove, "aria-label": t.fbRemove,
          onclick: () => { field.choices.splice(i, 1); this.changed(true); } }, "×"))),
      h("button", { type: "button", class: "btn btn-sm", "data-fb-add-choice": "", onclick: () => {
        field.choices.push({ value: `option_${field.choices.length + 1}`, en: "", zh: "" });
        this.changed(true);
      } }, `+ ${t.fbAddChoice}`));
    return list;
  }

  rules(field) {
    const t = this.t;
    const others = this.fields.filter((f) => f !== field && f.id.trim());
    const line = h("div", { class: "fb-line fb-rules" });
    if (field.type === "date") {
      const dates = others.filter((f) => f.type === "date").map((f) => [f.id, f.id]);
      line.append(this.select(t.fbDateAfter, field.dateAfter, [["", t.none], ...dates], (v) => { field.dateAfter = v; }, "dateAfter"));
    }
    const when = field.requiredWhen || { field: "", value: "" };
    line.append(this.select(t.fbRequiredWhen, when.field, [["", t.none], ...others.map((f) => [f.id, f.id])], (v) => {
      const source = this.fields.find((f) => f.id === v);
      field.requiredWhen = v ? { field: v, value: conditionValue(source, this.defaultValue(source)) } : null;
    }, "whenField"));
    if (field.requiredWhen) {
      const source = this.fields.find((f) => f.id === when.field);
      const current = String(when.value);
      if (source && (source.type === "yesno" || source.type === "choice")) {
        const options = source.type === "yesno" ? [["true", t.fbYes], ["false", t.fbNo]]
          : source.choices.filter((c) => c.value.trim()).map((c) => [c.value, c.en || c.zh || c.value]);
        line.append(this.select(t.fbEquals, current, options, (v) => { field.requiredWhen.value = conditionValue(source, v); }, "whenValue"));
      } else {
        line.append(this.input(t.fbEquals, current, (v) => { field.requiredWhen.value = conditionValue(source, v); }, "whenValue"));
      }
    }
    return line;
  }

  defaultValue(source) {
    if (!source) return "";
    if (source.type === "yesno") return "true";
    if (source.type === "choice" && source.choices.length) return source.choices[0].value;
    return "";
  }

  // --- editing --------------------------------------------------------------------------------

  rename(field, id) {
    const old = field.id;
    const unique = this.fields.filter((f) => f.id === old).length === 1;
    field.id = id;
    if (!unique) return; // which of the fields named so a rule meant is unknown: rules keep their id
    this.fields.forEach((f) => {
      if (f.dateAfter === old) f.dateAfter = id;
      if (f.requiredWhen && f.requiredWhen.field === old) f.requiredWhen.field = id;
    });
  }

  move(from, to) {
    if (to < 0 || to >= this.fields.length || from === to) return;
    const [field] = this.fields.splice(from, 1);
    this.fields.splice(to, 0, field);
    this.changed(true);
  }

  dragAndDrop(item, index) {
    // only the handle starts a drag: a drag begun in an input selects its text instead
    let grabbed = false;
    item.addEventListener("mousedown", (event) => { grabbed = Boolean(event.target.closest(".fb-handle")); });
    item.addEventListener("dragstart", (event) => {
      if (!grabbed || event.target !== item) {
        if (event.target === item) event.preventDefault();
        return;
      }
      this.dragging = index;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(index));
      item.classList.add("fb-dragging");
    });
    item.addEventListener("dragend", () => {
      item.classList.remove("fb-dragging");
      this.dragging = null;
    });
    item.addEventListener("dragover", (event) => {
      if (this.dragging === null) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      item.classList.add("fb-drop");
    });
    item.addEventListener("dragleave", () => item.classList.remove("fb-drop"));
    item.addEventListener("drop", (event) => {
      event.preventDefault();
      item.classList.remove("fb-drop");
      const from = this.dragging !== null ? this.dragging : Number(event.dataTransfer.getData("text/plain"));
      this.dragging = null;
      if (Number.isInteger(from)) this.move(from, index);
    });
  }
}
