// The form builder's model: a task form's JSON Schema and UI schema as a list of fields, one per
// row, and back. Process owners edit the fields; the files stay the same JSON Schema / UI schema
// pair the task pages and the server's validation read. Whatever the builder does not show (a
// nested object, an if/then it did not write, a checklist rule, ui keys it does not know) is kept
// untouched, so a round trip through the builder changes only what was edited.

export const TYPES = ["text", "textarea", "number", "money", "date", "yesno", "choice", "rows"];

const RULE_DATE_AFTER = "date_after";
const CONDITION = "\u0000condition"; // marks where a "required when" stood in allOf

function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

function kindOf(prop, ui) {
  const type = Array.isArray(prop.type) ? prop.type.find((t) => t !== "null") : prop.type;
  if (ui["ui:widget"] === "file" || prop["x-attachment"] || ui["ui:widget"] === "hidden" || ui["ui:readonly"]) return "other";
  if (type === "boolean") return "yesno";
  if (type === "array") return "rows";
  if (Array.isArray(prop.enum)) return type === "string" || type === undefined ? "choice" : "other";
  if (type === "number" || type === "integer") return prop["x-money"] ? "money" : "number";
  if (type === "string" || type === undefined) {
    if (prop.format === "date") return "date";
    if (prop.format) return "other";
    return ui["ui:widget"] === "textarea" ? "textarea" : "text";
  }
  return "other";
}

function limits(kind) {
  if (kind === "number" || kind === "money") return ["minimum", "maximum"];
  if (kind === "text" || kind === "textarea") return ["minLength", "maxLength"];
  if (kind === "rows") return ["minItems", "maxItems"];
  return null;
}

// "required when": if <field> is <value> then this field is required (one if/then in allOf)
function conditionOf(entry) {
  if (!entry || typeof entry !== "object" || !entry.if || !entry.then) return null;
  const keys = Object.keys(entry);
  if (keys.some((k) => k !== "if" && k !== "then")) return null;
  const props = entry.if.properties || {};
  const names = Object.keys(props);
  const ifKeys = Object.keys(entry.if).filter((k) => k !== "properties" && k !== "required");
  if (names.length !== 1 || ifKeys.length || !("const" in props[names[0]]) || Object.keys(props[names[0]]).length !== 1) return null;
  const thenKeys = Object.keys(entry.then);
  if (thenKeys.length !== 1 || !Array.isArray(entry.then.required)) return null;
  return { field: names[0], value: props[names[0]].const, targets: entry.then.required };
}

/** {form: {...}, fields: [...]} from the schema and UI schema objects. */
export function fromSchema(schema, ui) {
  schema = clone(schema || {});
  ui = clone(ui || {});
  const props = schema.properties || {};
  const required = new Set(schema.required || []);
  const names = orderOf(Object.keys(props), ui["ui:order"]);
  const fields = names.map((id) => {
    const prop = props[id] || {};
    const fieldUi = ui[id] || {};
    const kind = kindOf(prop, fieldUi);
    const field = {
      id,
      type: kind,
      en: prop.title || "",
      zh: (prop["x-title"] || {}).zh_Hans || "",
      required: required.has(id),
      helpEn: fieldUi["ui:help"] || "",
      helpZh: fieldUi["ui:help_zh_Hans"] || "",
      choices: [],
      min: "",
      max: "",
      columns: "",
      dateAfter: "",
      requiredWhen: null,
      prop,
      ui: fieldUi,
    };
    const bounds = limits(kind);
    if (bounds) {
      field.min = bounds[0] in prop ? String(prop[bounds[0]]) : "";
      field.max = bounds[1] in prop ? String(prop[bounds[1]]) : "";
    }
    if (kind === "choice") {
      const titles = prop["x-enum-titles"] || {};
      field.choices = prop.enum.filter((v) => v !== null).map((value, i) => ({
        value: String(value),
        en: (titles.en || [])[i] || "",
        zh: (titles.zh_Hans || [])[i] || "",
      }));
    }
    if (kind === "rows") field.columns = Object.keys((prop.items || {}).properties || {}).join(", ");
    return field;
  });
  const byId = Object.fromEntries(fields.map((f) => [f.id, f]));
  const otherRules = [];
  (schema["x-rules"] || []).forEach((rule) => {
    const target = rule && byId[rule.field];
    const plain = rule && rule.rule === RULE_DATE_AFTER && Object.keys(rule).length === 3 && typeof rule.other === "string";
    if (plain && target && !target.dateAfter) target.dateAfter = rule.other;
    else otherRules.push(rule);
  });
  const otherAllOf = [];
  (schema.allOf || []).forEach((entry) => {
    const condition = conditionOf(entry);
    const targets = condition ? condition.targets.map((id) => byId[id]) : [];
    if (!condition || !targets.length || targets.some((f) => !f || f.requiredWhen)) {
      otherAllOf.push(entry);
      return;
    }
    targets.forEach((f) => { f.requiredWhen = { field: condition.field, value: condition.value }; });
    otherAllOf.push({ [CONDITION]: JSON.stringify([condition.field, condition.value]) }); // keeps its place
  });
  const form = { schema, ui, otherRules, otherAllOf, en: schema.title || "", zh: (schema["x-title"] || {}).zh_Hans || "" };
  return { form, fields };
}

function orderOf(names, order) {
  if (!Array.isArray(order) || !order.length) return names;
  const full = order.includes("*") ? order : [...order, "*"];
  const star = full.indexOf("*");
  const head = full.slice(0, star).filter((n) => names.includes(n));
  const tail = full.slice(star + 1).filter((n) => names.includes(n));
  return [...head, ...names.filter((n) => !head.includes(n) && !tail.includes(n)), ...tail];
}

function number(text) {
  const value = Number(String(text).trim());
  return String(text).trim() !== "" && Number.isFinite(value) ? value : undefined;
}

function setOrDrop(object, key, value) {
  if (value === undefined || value === "" || value === null) delete object[key];
  else object[key] = value;
}

function propOf(field) {
  const prop = clone(field.prop) || {};
  const kind = field.type;
  if (kind !== "other") {
    ["enum", "x-enum-titles", "format", "x-money", "items", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"]
      .forEach((key) => { if (kindOf(field.prop || {}, field.ui || {}) !== kind) delete prop[key]; });
    if (kind === "text" || kind === "textarea" || kind === "date" || kind === "choice") prop.type = "string";
    if (kind === "number") prop.type = prop.type === "integer" ? "integer" : "number";
    if (kind === "money") { prop.type = "number"; prop["x-money"] = "CNY"; }
    if (kind === "yesno") prop.type = "boolean";
    if (kind === "date") prop.format = "date";
    if (kind === "rows") {
      prop.type = "array";
      const items = prop.items && typeof prop.items === "object" ? prop.items : { type: "object" };
      items.type = "object";
      const old = items.properties || {};
      const ids = field.columns.split(",").map((c) => c.trim()).filter(Boolean);
      items.properties = Object.fromEntries(ids.map((id) => [id, old[id] || { type: "string", title: id }]));
      if (Array.isArray(items.required)) items.required = items.required.filter((id) => ids.includes(id));
      prop.items = items;
    }
    if (kind === "choice") {
      const choices = field.choices.filter((c) => c.value.trim());
      prop.enum = choices.map((c) => c.value.trim());
      prop["x-enum-titles"] = { en: choices.map((c) => c.en || c.value.trim()), zh_Hans: choices.map((c) => c.zh || c.en || c.value.trim()) };
    }
    const bounds = limits(kind);
    if (bounds) {
      setOrDrop(prop, bounds[0], number(field.min));
      setOrDrop(prop, bounds[1], number(field.max));
    }
  }
  setOrDrop(prop, "title", field.en.trim());
  const titles = { ...(prop["x-title"] || {}) };
  setOrDrop(titles, "zh_Hans", field.zh.trim());
  setOrDrop(prop, "x-title", Object.keys(titles).length ? titles : undefined);
  return prop;
}

function uiOf(field) {
  const ui = clone(field.ui) || {};
  if (field.type !== "other" && kindOf(field.prop || {}, field.ui || {}) !== field.type) {
    // a new type: the widget of the old one goes, long text and yes/no get theirs
    delete ui["ui:widget"];
    if (field.type === "textarea") ui["ui:widget"] = "textarea";
    if (field.type === "yesno") ui["ui:widget"] = "radio";
  }
  setOrDrop(ui, "ui:help", field.helpEn.trim());
  setOrDrop(ui, "ui:help_zh_Hans", field.helpZh.trim());
  return ui;
}

/** The schema and UI schema objects the fields stand for (ids that are empty are skipped). */
export function toSchema(form, fields) {
  const schema = clone(form.schema) || {};
  const ui = clone(form.ui) || {};
  const live = fields.filter((f) => f.id.trim());
  const oldIds = Object.keys(schema.properties || {});
  oldIds.forEach((id) => { delete ui[id]; });
  schema.type = schema.type || "object";
  setOrDrop(schema, "title", form.en.trim());
  const titles = { ...(schema["x-title"] || {}) };
  setOrDrop(titles, "zh_Hans", form.zh.trim());
  setOrDrop(schema, "x-title", Object.keys(titles).length ? titles : undefined);
  schema.properties = Object.fromEntries(live.map((f) => [f.id.trim(), propOf(f)]));
  schema.required = live.filter((f) => f.required).map((f) => f.id.trim());
  const rules = live.filter((f) => f.type === "date" && f.dateAfter)
    .map((f) => ({ rule: RULE_DATE_AFTER, field: f.id.trim(), other: f.dateAfter }));
  setOrDrop(schema, "x-rules", [...rules, ...form.otherRules].length ? [...rules, ...form.otherRules] : undefined);
  const groups = [];
  live.filter((f) => f.requiredWhen && f.requiredWhen.field).forEach((f) => {
    const { field, value } = f.requiredWhen;
    let group = groups.find((g) => g.field === field && JSON.stringify(g.value) === JSON.stringify(value));
    if (!group) {
      group = { field, value, targets: [] };
      groups.push(group);
    }
    group.targets.push(f.id.trim());
  });
  const condition = (g) => ({
    if: { properties: { [g.field]: { const: g.value } }, required: [g.field] },
    then: { required: g.targets },
  });
  const keyOf = (g) => JSON.stringify([g.field, g.value]);
  const placed = new Set();
  const allOf = form.otherAllOf.flatMap((entry) => {
    if (!(CONDITION in entry)) return [entry];
    const group = groups.find((g) => keyOf(g) === entry[CONDITION] && !placed.has(g));
    if (!group) return [];
    placed.add(group);
    return [condition(group)];
  });
  groups.filter((g) => !placed.has(g)).forEach((g) => allOf.push(condition(g)));
  setOrDrop(schema, "allOf", allOf.length ? allOf : undefined);
  live.forEach((f) => {
    const fieldUi = uiOf(f);
    if (Object.keys(fieldUi).length) ui[f.id.trim()] = fieldUi;
  });
  ui["ui:order"] = [...live.map((f) => f.id.trim()), "*"];
  return { schema, ui };
}

/** A condition value typed for the field it reads: yes/no as booleans, numbers as numbers. */
export function conditionValue(field, text) {
  if (field && field.type === "yesno") return text === "true";
  if (field && (field.type === "number" || field.type === "money")) {
    const value = number(text);
    return value === undefined ? text : value;
  }
  return text;
}

export function blankField(id) {
  return { id, type: "text", en: "", zh: "", required: false, helpEn: "", helpZh: "", choices: [], min: "", max: "",
    columns: "", dateAfter: "", requiredWhen: null, prop: {}, ui: {} };
}
