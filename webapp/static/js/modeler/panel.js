// The properties panel: only what Tripflow reads from a model, edited through bpmn-js's modeling
// commands so that undo and redo work. (bpmn-js-properties-panel would show every BPMN and Camunda
// attribute; this shows the dozen that matter here.)

const SPIFF_PROPS = "spiffworkflow:Properties";

export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([key, value]) => {
    if (value === undefined || value === null || value === false) return;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "value") node.value = value;
    else node.setAttribute(key, value === true ? "" : value);
  });
  children.flat().forEach((child) => {
    if (child === undefined || child === null || child === false) return;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  });
  return node;
}

function is(bo, type) {
  return bo && bo.$instanceOf && bo.$instanceOf(type);
}

const KINDS = {
  "bpmn:UserTask": "User task", "bpmn:ServiceTask": "Service task", "bpmn:ScriptTask": "Script task",
  "bpmn:BusinessRuleTask": "Business rule task", "bpmn:CallActivity": "Call activity",
  "bpmn:ManualTask": "Manual task", "bpmn:Task": "Task", "bpmn:SequenceFlow": "Sequence flow",
  "bpmn:ExclusiveGateway": "Exclusive gateway", "bpmn:ParallelGateway": "Parallel gateway",
  "bpmn:InclusiveGateway": "Inclusive gateway", "bpmn:EventBasedGateway": "Event-based gateway",
  "bpmn:StartEvent": "Start event", "bpmn:EndEvent": "End event", "bpmn:BoundaryEvent": "Boundary event",
  "bpmn:IntermediateCatchEvent": "Catch event", "bpmn:IntermediateThrowEvent": "Throw event",
  "bpmn:SubProcess": "Subprocess", "bpmn:Process": "Process", "bpmn:Lane": "Lane", "bpmn:Participant": "Pool",
};

export class PropertiesPanel {
  constructor(modeler, container, options) {
    this.modeler = modeler;
    this.container = container;
    this.options = options; // {text, handlers, processes, forms(), decisions(), onOpenForm, onOpenTable, processId}
    this.element = null;
    const eventBus = modeler.get("eventBus");
    eventBus.on("selection.changed", (event) => this.show(event.newSelection[0] || null));
    eventBus.on("elements.changed", (event) => {
      if (!this.element || this.container.contains(document.activeElement)) return;
      if (event.elements.some((e) => e.id === this.element.id)) this.show(this.element);
    });
    eventBus.on("import.done", () => this.show(null));
  }

  get t() {
    return this.options.text;
  }

  // --- model access -------------------------------------------------------------------------

  root() {
    return this.modeler.get("canvas").getRootElement();
  }

  extension(bo, type) {
    const values = (bo.extensionElements && bo.extensionElements.values) || [];
    return values.find((value) => value.$type === type);
  }

  ensureExtensionElements(element) {
    const bo = element.businessObject;
    if (!bo.extensionElements) {
      const extensionElements = this.modeler.get("moddle").create("bpmn:ExtensionElements", { values: [] });
      this.modeler.get("modeling").updateProperties(element, { extensionElements });
    }
    return bo.extensionElements;
  }

  /** Sets (or with '' removes) one extension element with a text body, such as spiffworkflow:preScript. */
  setBody(element, type, text) {
    const bo = element.businessObject;
    const modeling = this.modeler.get("modeling");
    const current = this.extension(bo, type);
    if (current) {
      const ext = bo.extensionElements;
      if (text) modeling.updateModdleProperties(element, current, { value: text });
      else modeling.updateModdleProperties(element, ext, { values: ext.values.filter((v) => v !== current) });
      return;
    }
    if (!text) return;
    const ext = this.ensureExtensionElements(element);
    const created = this.modeler.get("moddle").create(type, { value: text });
    created.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...ext.values, created] });
  }

  spiffProperty(bo, name) {
    const props = this.extension(bo, SPIFF_PROPS);
    const found = props && (props.properties || []).find((p) => p.name === name);
    return found ? found.value || "" : "";
  }

  setSpiffProperty(element, name, value) {
    const bo = element.businessObject;
    const modeling = this.modeler.get("modeling");
    const moddle = this.modeler.get("moddle");
    let props = this.extension(bo, SPIFF_PROPS);
    const existing = props && (props.properties || []).find((p) => p.name === name);
    if (existing) {
      if (value) modeling.updateModdleProperties(element, existing, { value });
      else modeling.updateModdleProperties(element, props, { properties: props.properties.filter((p) => p !== existing) });
      return;
    }
    if (!value) return;
    const ext = this.ensureExtensionElements(element);
    if (!props) {
      props = moddle.create(SPIFF_PROPS, { properties: [] });
      props.$parent = ext;
      modeling.updateModdleProperties(element, ext, { values: [...ext.values, props] });
    }
    const created = moddle.create("spiffworkflow:Property", { name, value });
    created.$parent = props;
    modeling.updateModdleProperties(element, props, { properties: [...(props.properties || []), created] });
  }

  setHandler(element, name) {
    const bo = element.businessObject;
    const modeling = this.modeler.get("modeling");
    const current = this.extension(bo, "spiffworkflow:ServiceTaskOperator");
    if (current) {
      if (name) modeling.updateModdleProperties(element, current, { id: name });
      else modeling.updateModdleProperties(element, bo.extensionElements, {
        values: bo.extensionElements.values.filter((v) => v !== current) });
      return;
    }
    if (!name) return;
    const ext = this.ensureExtensionElements(element);
    const created = this.modeler.get("moddle").create("spiffworkflow:ServiceTaskOperator", { id: name });
    created.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: [...ext.values, created] });
  }

  expression(text) {
    return text ? this.modeler.get("moddle").create("bpmn:FormalExpression", { body: text }) : undefined;
  }

  laneOf(element) {
    const registry = this.modeler.get("elementRegistry");
    const lane = registry.filter((e) => e.type === "bpmn:Lane").find((l) =>
      (l.businessObject.flowNodeRef || []).includes(element.businessObject));
    return lane ? lane.businessObject.name || lane.id : "";
  }

  // --- rendering ----------------------------------------------------------------------------

  field(label, control, hint) {
    const id = `pp-${Math.random().toString(36).slice(2, 9)}`;
    control.id = id;
    return h("div", { class: "pp-field" }, h("label", { for: id }, label), control,
      hint ? h("div", { class: "pp-hint" }, hint) : null);
  }

  text(value, onChange, attrs) {
    const input = h("input", { type: "text", value: value || "", autocomplete: "off", spellcheck: "false", ...attrs });
    input.addEventListener("change", () => onChange(input.value.trim()));
    return input;
  }

  area(value, onChange, rows) {
    const area = h("textarea", { rows: rows || 4, class: "code", spellcheck: "false" }, value || "");
    area.addEventListener("change", () => onChange(area.value));
    return area;
  }

  select(value, options, onChange, allowEmpty) {
    const known = options.includes(value) || !value;
    const select = h("select", {},
      allowEmpty !== false ? h("option", { value: "" }, this.t.none) : null,
      known ? null : h("option", { value, selected: true }, `${value} (?)`),
      options.map((option) => h("option", { value: option, selected: option === value }, option)));
    select.addEventListener("change", () => onChange(select.value));
    return select;
  }

  show(element) {
    this.element = element;
    const t = this.t;
    const target = element || this.root();
    if (!target || !target.businessObject) {
      this.render([h("p", { class: "pp-hint" }, t.nothingSelected)]);
      return;
    }
    const bo = target.businessObject;
    let processBo = is(bo, "bpmn:Participant") ? bo.processRef : bo;
    if (is(bo, "bpmn:Collaboration")) {
      const pool = (bo.participants || []).find((p) => p.processRef);
      processBo = pool ? pool.processRef : null;
    }
    const rows = [];
    const modeling = this.modeler.get("modeling");
    rows.push(h("div", { class: "side-head" }, h("h2", {}, t.properties),
      h("span", { class: "pp-kind" },
        KINDS[target.type] ? this.modeler.get("translate")(KINDS[target.type]) : String(target.type || "").replace("bpmn:", ""))));
    if (!element || is(bo, "bpmn:Process") || is(bo, "bpmn:Participant") || is(bo, "bpmn:Collaboration")) {
      rows.push(this.field(t.processId, h("input", { type: "text", value: processBo ? processBo.id : "", readonly: true })));
      rows.push(this.field(t.name, this.text(processBo && processBo.name, (v) => {
        if (processBo && processBo !== bo) modeling.updateModdleProperties(target, processBo, { name: v });
        else modeling.updateProperties(target, { name: v });
      })));
      rows.push(h("p", { class: "pp-hint" }, t.nothingSelected));
      this.render(rows);
      return;
    }
    rows.push(this.field(t.id, h("input", { type: "text", value: bo.id, readonly: true })));
    if (!is(bo, "bpmn:Lane")) {
      rows.push(this.field(t.name, this.text(bo.name, (v) => modeling.updateProperties(target, { name: v || undefined }))));
    }
    if (is(bo, "bpmn:UserTask") || is(bo, "bpmn:ManualTask")) this.userTask(target, bo, rows);
    if (is(bo, "bpmn:ServiceTask")) {
      const operator = this.extension(bo, "spiffworkflow:ServiceTaskOperator");
      rows.push(this.field(t.handler, this.select(operator ? operator.id : "", this.options.handlers,
        (v) => this.setHandler(target, v))));
    }
    if (is(bo, "bpmn:ScriptTask")) {
      rows.push(this.field(t.script, this.area(bo.script, (v) =>
        modeling.updateProperties(target, { script: v, scriptFormat: "python" }), 8)));
    }
    if (is(bo, "bpmn:BusinessRuleTask")) {
      const decision = this.extension(bo, "spiffworkflow:CalledDecisionId");
      const value = decision ? (decision.value || "").trim() : "";
      rows.push(this.field(t.decision, this.select(value, this.options.decisions(),
        (v) => this.setBody(target, "spiffworkflow:CalledDecisionId", v))));
      if (value) {
        rows.push(h("button", { type: "button", class: "btn btn-sm", onclick: () => this.options.onOpenTable(value) },
          t.openTable));
      }
    }
    if (is(bo, "bpmn:CallActivity")) {
      rows.push(this.field(t.called, this.select(bo.calledElement || "", this.options.processes,
        (v) => modeling.updateProperties(target, { calledElement: v || undefined }))));
    }
    if (is(bo, "bpmn:SequenceFlow")) {
      const source = bo.sourceRef;
      const conditional = source && (is(source, "bpmn:ExclusiveGateway") || is(source, "bpmn:InclusiveGateway"));
      if (conditional || bo.conditionExpression) {
        const isDefault = source && source.default === bo;
        rows.push(this.field(t.condition, this.area(bo.conditionExpression && bo.conditionExpression.body,
          (v) => modeling.updateProperties(target, { conditionExpression: this.expression(v.trim()) }), 2),
          isDefault ? "default" : "approved == True"));
      }
    }
    const timer = (bo.eventDefinitions || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
    if (timer) this.timer(target, timer, rows);
    if (is(bo, "bpmn:Activity") && !is(bo, "bpmn:SubProcess")) {
      const pre = this.extension(bo, "spiffworkflow:PreScript");
      const post = this.extension(bo, "spiffworkflow:PostScript");
      rows.push(h("details", { class: "pp-more", open: Boolean(pre || post) || undefined },
        h("summary", {}, `${t.preScript} / ${t.postScript}`),
        this.field(t.preScript, this.area(pre && pre.value, (v) => this.setBody(target, "spiffworkflow:PreScript", v.trim()), 3)),
        this.field(t.postScript, this.area(post && post.value, (v) => this.setBody(target, "spiffworkflow:PostScript", v.trim()), 3))));
    }
    this.render(rows);
  }

  userTask(target, bo, rows) {
    const t = this.t;
    const lane = this.laneOf(target);
    rows.push(this.field(t.lane, h("input", { type: "text", value: lane || "—", readonly: true }), t.laneHint));
    const forms = this.options.forms();
    const schemas = forms.filter((f) => !/ui(schema)?\.json$/.test(f));
    const uis = forms.filter((f) => /ui(schema)?\.json$/.test(f));
    const form = this.spiffProperty(bo, "formJsonSchemaFilename");
    rows.push(this.field(t.form, this.select(form, schemas, (v) => {
      this.setSpiffProperty(target, "formJsonSchemaFilename", v);
      const partner = v.replace(/\.schema\.json$/, ".uischema.json");
      if (v && partner !== v && uis.includes(partner) && !this.spiffProperty(bo, "formUiSchemaFilename")) {
        this.setSpiffProperty(target, "formUiSchemaFilename", partner);
      }
      this.show(target);
    })));
    rows.push(this.field(t.uiForm, this.select(this.spiffProperty(bo, "formUiSchemaFilename"), uis,
      (v) => this.setSpiffProperty(target, "formUiSchemaFilename", v))));
    if (form) {
      rows.push(h("button", { type: "button", class: "btn btn-sm", onclick: () => this.options.onOpenForm(form) }, t.editForm));
    }
    rows.push(this.field(t.dueIn, this.text(this.spiffProperty(bo, "dueIn"),
      (v) => this.setSpiffProperty(target, "dueIn", v), { placeholder: "PT24H" })));
    rows.push(this.field(t.dueAt, this.text(this.spiffProperty(bo, "dueAtVariable"),
      (v) => this.setSpiffProperty(target, "dueAtVariable", v), { placeholder: "escalate_at" })));
    rows.push(this.field(t.assignee, this.text(this.spiffProperty(bo, "assigneeVariable"),
      (v) => this.setSpiffProperty(target, "assigneeVariable", v), { placeholder: "advisor" })));
  }

  timer(target, definition, rows) {
    const t = this.t;
    const modeling = this.modeler.get("modeling");
    const kinds = ["timeDuration", "timeDate", "timeCycle"];
    const kind = kinds.find((k) => definition[k]) || "timeDuration";
    const value = definition[kind] ? definition[kind].body || "" : "";
    const chooser = h("select", {}, kinds.map((k) => h("option", { value: k, selected: k === kind }, t[k])));
    const input = this.text(value, () => {}, { placeholder: kind === "timeDate" ? "escalate_at" : '"PT2H"' });
    const apply = () => {
      const update = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
      update[chooser.value] = this.expression(input.value.trim());
      modeling.updateModdleProperties(target, definition, update);
    };
    chooser.addEventListener("change", apply);
    input.addEventListener("change", apply);
    rows.push(h("div", { class: "pp-field" }, h("label", {}, t.timer), chooser));
    rows.push(this.field("", input, 'Python: "PT2H" · add_hours(raised_at, 2)'));
  }

  render(rows) {
    this.container.replaceChildren(...rows);
  }
}
