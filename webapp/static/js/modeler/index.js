// The process owners' workbench: the BPMN modeler, its decision tables (dmn-js) and task forms
// (JSON Schema with a live preview rendered by the server), lint while drawing, and Save = deploy
// through POST /api/v1/processes with the session cookie and the CSRF token of the page.
import BpmnModeler from "bpmn-js/lib/Modeler";
import DmnModeler from "dmn-js/lib/Modeler";
import lintModule from "bpmn-js-bpmnlint";

import { FormBuilder } from "./formbuilder.js";
import lintConfig from "./lint.js";
import { referenceProblems } from "./references.js";
import { PropertiesPanel, h } from "./panel.js";
import spiffworkflow from "./spiffworkflow.json";
import { translateModule } from "./translate.js";
import zhHans from "./zh_Hans.js";

const $ = (selector, root) => (root || document).querySelector(selector);
const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));

function csrfToken() {
  const meta = $('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

function isUiSchema(name) {
  return /ui(schema)?\.json$/.test(name);
}

class Workbench {
  constructor(root, data) {
    this.root = root;
    this.data = data;
    this.t = data.text;
    this.files = {}; // name -> {kind, original, content, dirty}
    this.bpmnDirty = !data.version; // a new process is unsaved until deployed
    this.serverProblems = [];
    this.lintIssues = []; // bpmnlint's, on each change
    this.importProblems = []; // references to nothing, from the import's warnings (references.js)
    this.currentTable = null;
    this.currentForm = null;
    this.status = $("[data-status]", root);

    // the libraries' own words (palette, context pad, menus, decision tables) in the page's language
    const chinese = (document.documentElement.lang || "").toLowerCase().startsWith("zh");
    const words = chinese ? [translateModule(zhHans)] : [];
    this.modeler = new BpmnModeler({
      container: $("#canvas", root),
      moddleExtensions: { spiffworkflow },
      linting: { bpmnlint: lintConfig, active: true },
      additionalModules: [lintModule, ...words],
    });
    this.panel = new PropertiesPanel(this.modeler, $("#properties", root), {
      text: this.t,
      handlers: data.handlers,
      processes: data.processes.filter((key) => key !== data.key),
      forms: () => this.formNames(),
      decisions: () => this.decisionIds(),
      onOpenForm: (name) => { this.tab("forms"); this.openForm(name); },
      onOpenTable: (decision) => { this.tab("tables"); this.openTable(this.fileOfDecision(decision)); },
    });
    const dmnWords = { additionalModules: words }; // per view: dmn-js drops common.additionalModules
    this.dmn = new DmnModeler({
      container: $("#dmn", root),
      drd: dmnWords,
      decisionTable: dmnWords,
      literalExpression: dmnWords,
      boxedExpression: dmnWords,
    });
    this.decisions = {}; // decision id -> DMN file name

    const eventBus = this.modeler.get("eventBus");
    eventBus.on("commandStack.changed", () => {
      this.bpmnDirty = true;
      this.say("", "");
      this.markDirty();
      this.validateSoon();
    });
    eventBus.on("linting.completed", (event) => {
      this.lintIssues = [];
      Object.entries(event.issues || {}).forEach(([id, issues]) => {
        issues.forEach((issue) => this.lintIssues.push({ element_id: id, message: issue.message,
          category: issue.category, source: "lint", file: data.bpmnFile }));
      });
      this.renderProblems();
    });
    this.validateSoon = debounce(() => this.validate(false), 1500);
    this.previewSoon = debounce(() => this.preview(), 500);

    $$("[data-tab]", root).forEach((link) => link.addEventListener("click", (event) => {
      event.preventDefault();
      this.tab(link.dataset.tab);
    }));
    $('[data-action="save"]', root).addEventListener("click", () => this.save());
    $('[data-action="validate"]', root).addEventListener("click", () => this.validate(true));
    const open = $('[data-action="open-file"]', root);
    if (open) open.addEventListener("change", () => this.openFile(open));
    const run = $('[data-action="run-scenarios"]', root);
    if (run) run.addEventListener("click", () => this.runScenarios());
    window.addEventListener("beforeunload", (event) => {
      if (this.isDirty()) {
        event.preventDefault();
        event.returnValue = this.t.leave;
      }
    });
    document.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key === "s") {
        event.preventDefault();
        this.save();
      }
    });
    this.setupForms();
  }

  // --- loading -----------------------------------------------------------------------------

  async load() {
    const xml = this.data.bpmnUrl ? await this.fetchText(this.data.bpmnUrl) : this.data.template;
    await Promise.all(this.data.files.filter((f) => f.name !== this.data.bpmnFile && !f.generated)
      .map(async (file) => {
        const content = await this.fetchText(file.url);
        this.files[file.name] = { kind: file.kind, original: content, content, dirty: false };
      }));
    Object.entries(this.files).forEach(([name, file]) => {
      if (file.kind === "dmn") this.indexDecisions(name, file.content);
    });
    await this.importBpmn(xml);
    this.bpmnDirty = !this.data.version;
    this.markDirty();
    this.renderTableList();
    this.renderFormList();
    this.root.classList.add("ready");
    if (!this.data.version) this.validate(false);
  }

  // the diagram from XML; what the import could not resolve is kept as problems of the panel
  async importBpmn(xml) {
    const { warnings } = await this.modeler.importXML(xml);
    this.modeler.get("canvas").zoom("fit-viewport", "auto");
    this.importProblems = referenceProblems(warnings, this.modeler.get("elementRegistry"), this.data.bpmnFile);
    this.renderProblems();
  }

  // bpmnlint's issues and the import's references to nothing that are still there
  get lintProblems() {
    this.importProblems = this.importProblems.filter((p) => p.still());
    return [...this.importProblems, ...this.lintIssues];
  }

  // a .bpmn file from the owner's computer (a Camunda export, say) replaces the diagram, unsaved
  async openFile(input) {
    const file = input.files && input.files[0];
    if (!file) return;
    try {
      await this.importBpmn(await file.text());
    } catch (error) {
      this.say(`${file.name}: ${error.message}`, "error");
      return;
    } finally {
      input.value = "";
    }
    this.serverProblems = [];
    this.bpmnDirty = true;
    this.markDirty();
    this.say(this.t.opened.replace("{file}", file.name), "");
    this.renderProblems();
  }

  async fetchText(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    return response.text();
  }

  indexDecisions(name, xml) {
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    Array.from(doc.getElementsByTagNameNS("*", "decision")).forEach((d) => { this.decisions[d.getAttribute("id")] = name; });
  }

  decisionIds() {
    return Object.keys(this.decisions).sort();
  }

  fileOfDecision(decision) {
    return this.decisions[decision] || null;
  }

  formNames() {
    const local = Object.keys(this.files).filter((n) => this.files[n].kind === "form");
    return Array.from(new Set([...local, ...this.data.forms])).sort();
  }

  // --- tabs and state --------------------------------------------------------------------------

  tab(name) {
    $$("[data-tab]", this.root).forEach((link) => link.classList.toggle("active", link.dataset.tab === name));
    $$("[data-pane]", this.root).forEach((pane) => { pane.hidden = pane.dataset.pane !== name; });
    if (name === "tables" && !this.currentTable) {
      const first = Object.keys(this.files).find((n) => this.files[n].kind === "dmn");
      if (first) this.openTable(first);
    }
    if (name === "forms" && !this.currentForm) {
      const first = Object.keys(this.files).find((n) => this.files[n].kind === "form" && !isUiSchema(n));
      if (first) this.openForm(first);
    }
  }

  isDirty() {
    return this.bpmnDirty || Object.values(this.files).some((f) => f.dirty);
  }

  markDirty() {
    const flag = $("[data-dirty]", this.root);
    if (flag) flag.hidden = !this.isDirty();
    $$("[data-file]", this.root).forEach((item) => {
      const file = this.files[item.dataset.file];
      item.classList.toggle("dirty", Boolean(file && file.dirty));
    });
  }

  say(text, kind) {
    this.status.textContent = text;
    this.status.className = `save-status ${kind || ""}`;
  }

  // --- decision tables ---------------------------------------------------------------------

  renderTableList() {
    const names = Object.keys(this.files).filter((n) => this.files[n].kind === "dmn").sort();
    $('[data-count="tables"]', this.root).textContent = names.length;
    const list = $("#table-list", this.root);
    list.replaceChildren(...(names.length ? names.map((name) => h("button", {
      type: "button", class: `file-item${name === this.currentTable ? " active" : ""}`, "data-file": name,
      onclick: () => this.openTable(name) }, h("span", { class: "file-icon dmn" }, "DMN"), name))
      : [h("p", { class: "muted small" }, this.t.tableMissing)]));
    this.markDirty();
  }

  async openTable(name) {
    if (!name || !this.files[name]) return;
    await this.keepTable();
    this.currentTable = name;
    const file = this.files[name];
    await this.dmn.importXML(file.content);
    const table = this.dmn.getViews().find((view) => view.type === "decisionTable");
    if (table) await this.dmn.open(table);
    const viewer = this.dmn.getActiveViewer();
    if (viewer) {
      viewer.get("eventBus").on("elements.changed", () => {
        if (this.currentTable !== name) return;
        file.dirty = true;
        this.markDirty();
        this.validateSoon();
      });
    }
    this.renderTableList();
  }

  async keepTable() {
    if (!this.currentTable) return;
    const file = this.files[this.currentTable];
    if (file && file.dirty) {
      const { xml } = await this.dmn.saveXML({ format: true });
      file.content = xml;
    }
  }

  // --- forms --------------------------------------------------------------------------------

  setupForms() {
    this.schemaArea = $("#form-schema", this.root);
    this.uiArea = $("#form-ui", this.root);
    const onInput = (area, which) => () => {
      const name = which === "schema" ? this.currentForm : this.partnerOf(this.currentForm);
      const state = $(`[data-json-state="${which}"]`, this.root);
      try {
        if (area.value.trim()) JSON.parse(area.value);
        state.textContent = "";
        area.classList.remove("invalid");
      } catch (error) {
        state.textContent = `${this.t.invalidJson}: ${error.message}`;
        area.classList.add("invalid");
        return;
      }
      if (!name) return;
      if (!this.files[name]) this.files[name] = { kind: "form", original: "", content: "", dirty: false };
      this.files[name].content = area.value;
      this.files[name].dirty = this.files[name].content !== this.files[name].original;
      this.markDirty();
      this.previewSoon();
      this.validateSoon();
    };
    this.schemaArea.addEventListener("input", onInput(this.schemaArea, "schema"));
    this.uiArea.addEventListener("input", onInput(this.uiArea, "ui"));
    this.builder = new FormBuilder($("#form-builder", this.root), { schemaArea: this.schemaArea, uiArea: this.uiArea, text: this.t });
    this.formMode = "builder";
    $$("[data-form-mode]", this.root).forEach((button) => button.addEventListener("click", () => this.formView(button.dataset.formMode)));
  }

  // the builder and the JSON text show the same files: the builder writes the text as it goes,
  // and reads it again whenever it is shown
  formView(mode) {
    this.formMode = mode;
    $$("[data-form-mode]", this.root).forEach((b) => b.setAttribute("aria-selected", String(b.dataset.formMode === mode)));
    $$("[data-form-view]", this.root).forEach((view) => { view.hidden = view.dataset.formView !== mode; });
    if (mode === "builder" && this.currentForm) this.builder.load();
  }

  partnerOf(name) {
    if (!name) return null;
    return name.endsWith(".schema.json") ? name.replace(/\.schema\.json$/, ".uischema.json") : null;
  }

  renderFormList() {
    const names = Object.keys(this.files).filter((n) => this.files[n].kind === "form" && !isUiSchema(n)).sort();
    $('[data-count="forms"]', this.root).textContent = names.length;
    const list = $("#form-list", this.root);
    const input = h("input", { type: "text", placeholder: "visa.schema.json", "aria-label": this.t.newForm });
    const add = h("form", { class: "new-form", onsubmit: (event) => {
      event.preventDefault();
      let name = input.value.trim();
      if (!name) return;
      if (!name.endsWith(".json")) name += ".schema.json";
      if (!this.files[name]) {
        const skeleton = JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", title: name.replace(/\..*$/, ""),
          type: "object", properties: {}, required: [] }, null, 2);
        this.files[name] = { kind: "form", original: "", content: skeleton, dirty: true };
      }
      this.renderFormList();
      this.openForm(name);
    } }, input, h("button", { type: "submit", class: "btn btn-sm" }, this.t.add));
    list.replaceChildren(...names.map((name) => h("button", {
      type: "button", class: `file-item${name === this.currentForm ? " active" : ""}`, "data-file": name,
      onclick: () => this.openForm(name) }, h("span", { class: "file-icon form" }, "{ }"), name)),
    ...(names.length ? [] : [h("p", { class: "muted small" }, this.t.formMissing)]), add);
    this.markDirty();
  }

  async openForm(name) {
    if (!this.files[name]) {
      const known = this.data.files.find((f) => f.name === name);
      const url = known ? known.url : null;
      if (!url) return;
      const content = await this.fetchText(url);
      this.files[name] = { kind: "form", original: content, content, dirty: false };
    }
    this.currentForm = isUiSchema(name) ? name.replace(/\.uischema\.json$/, ".schema.json") : name;
    const partner = this.partnerOf(this.currentForm);
    this.schemaArea.value = (this.files[this.currentForm] || { content: "" }).content;
    this.uiArea.value = partner && this.files[partner] ? this.files[partner].content : "";
    this.renderFormList();
    if (this.formMode === "builder") this.builder.load();
    this.preview();
  }

  async preview() {
    const target = $("#form-preview", this.root);
    let schema;
    let ui = {};
    try {
      schema = JSON.parse(this.schemaArea.value || "{}");
      if (this.uiArea.value.trim()) ui = JSON.parse(this.uiArea.value);
    } catch (error) {
      return;
    }
    try {
      const response = await fetch(this.data.previewUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ schema, ui_schema: ui }),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      // the fragment is rendered by our own templates, with Jinja's escaping
      target.innerHTML = await response.text();
    } catch (error) {
      target.replaceChildren(h("p", { class: "field-error" }, this.t.previewFailed));
    }
  }

  // --- checks, saving ------------------------------------------------------------------------

  async uploadFiles(all) {
    await this.keepTable();
    const form = new FormData();
    let count = 0;
    if (this.bpmnDirty || all) {
      const { xml } = await this.modeler.saveXML({ format: true });
      form.append("file", new Blob([xml], { type: "application/xml" }), this.data.bpmnFile);
      count += 1;
    }
    Object.entries(this.files).forEach(([name, file]) => {
      if (file.dirty) {
        form.append("file", new Blob([file.content], { type: file.kind === "form" ? "application/json" : "application/xml" }), name);
        count += 1;
      }
    });
    return { form, count };
  }

  async post(url, form) {
    const response = await fetch(url, { method: "POST", body: form, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" } });
    let body = {};
    try {
      body = await response.json();
    } catch (error) {
      body = { message: `HTTP ${response.status}` };
    }
    return { status: response.status, body };
  }

  async validate(explicit) {
    const { form } = await this.uploadFiles(true);
    if (explicit) this.say(this.t.checking, "busy");
    const { status, body } = await this.post(this.data.validateUrl, form);
    this.serverProblems = status === 200 ? [] : (body.details && body.details.length ? body.details : [{ message: body.message }]);
    this.notes = (body.notes || []);
    this.renderProblems();
    if (explicit) this.say(status === 200 ? this.t.valid : this.t.failed, status === 200 ? "ok" : "error");
  }

  async save() {
    const { form, count } = await this.uploadFiles(false);
    if (!count) {
      this.say(this.t.noChanges, "");
      return;
    }
    this.say(this.t.saving, "busy");
    const url = this.forceNext ? `${this.data.deployUrl}?force=true` : this.data.deployUrl;
    this.forceNext = false;
    const { status, body } = await this.post(url, form);
    if (status === 409 && body.error === "conflict" && (body.details || []).some((d) => d.what)) {
      // the model's own scenarios fail: show them, and let a second click deploy anyway
      this.renderScenarioFailures(body.details);
      this.forceNext = true;
      this.say(this.t.scenariosFailDeploy, "error");
      return;
    }
    if (status === 200 || status === 201) {
      this.bpmnDirty = false;
      Object.values(this.files).forEach((file) => {
        file.original = file.content;
        file.dirty = false;
      });
      this.serverProblems = [];
      this.importProblems = []; // what was deployed is the diagram, without the dropped references
      this.notes = body.notes || [];
      this.markDirty();
      this.renderProblems();
      const mine = (body.items || []).find((item) => item.key === this.data.key) || body.items[0];
      const version = mine ? mine.version : this.data.version;
      // say exactly what got a new version: deploying one model versions no other
      let text = (status === 201 ? this.t.saved : mine && mine.layout_updated ? this.t.layoutKept : this.t.unchanged).replace("{n}", version);
      const created = (body.items || []).filter((item) => item.created);
      if (created.length) text += " " + this.t.newVersions.replace("{list}", created.map((item) => `${item.key} ${item.version}`).join(", "));
      this.status.replaceChildren(h("a", { href: `${this.data.showUrl}?version=${version}` }, text));
      this.status.className = "save-status ok";
      this.data.version = version;
      return;
    }
    this.serverProblems = body.details && body.details.length ? body.details : [{ message: body.message || `HTTP ${status}` }];
    this.renderProblems();
    this.say(this.t.failed, "error");
    const first = this.serverProblems.find((p) => p.element_id && p.file === this.data.bpmnFile);
    if (first) this.focus(first);
  }

  // --- scenarios: played against the model being edited, in a throwaway database ------------------

  async runScenarios() {
    const list = $("#scenario-results", this.root);
    const { form } = await this.uploadFiles(true);
    this.say(this.t.scenariosRunning, "busy");
    list.replaceChildren(h("li", { class: "muted small" }, this.t.scenariosRunning));
    const { status, body } = await this.post(this.data.scenariosUrl, form);
    if (status !== 200) {
      this.serverProblems = body.details && body.details.length ? body.details : [{ message: body.message }];
      this.renderProblems();
      list.replaceChildren(h("li", { class: "scenario failed" }, body.message || `HTTP ${status}`));
      this.say(this.t.failed, "error");
      return;
    }
    const results = body.scenarios || [];
    if (!results.length) list.replaceChildren(h("li", { class: "muted small" }, this.t.scenariosNone));
    else list.replaceChildren(...results.map((result) => this.scenarioItem(result)));
    this.paintCoverage(body.coverage);
    const failed = results.filter((r) => !r.passed).length;
    this.say(failed ? this.t.scenariosFailed.replace("{n}", failed) : this.t.scenariosPassed, failed ? "error" : "ok");
  }

  scenarioItem(result) {
    const children = [h("div", { class: "scenario-head" },
      h("span", { class: "scenario-verdict" }, result.passed ? this.t.passed : this.t.failedVerdict),
      h("strong", {}, result.name),
      h("code", { class: "muted small" }, result.scenario))];
    const failure = result.failure;
    if (failure) {
      children.push(h("div", { class: "scenario-step" },
        this.t.failingStep.replace("{n}", failure.step).replace("{action}", failure.action).replace("{file}", failure.file),
        ": ", h("strong", {}, failure.what), failure.message ? ` — ${failure.message}` : ""));
      children.push(h("div", { class: "scenario-values" },
        h("div", {}, h("span", { class: "muted small" }, this.t.expected), h("pre", { "data-expected": "" }, JSON.stringify(failure.expected, null, 1))),
        h("div", {}, h("span", { class: "muted small" }, this.t.actual), h("pre", { "data-actual": "" }, JSON.stringify(failure.actual, null, 1)))));
    }
    return h("li", { class: `scenario ${result.passed ? "passed" : "failed"}`, "data-scenario": result.scenario }, ...children);
  }

  renderScenarioFailures(details) {
    this.tab("scenarios");
    const list = $("#scenario-results", this.root);
    list.replaceChildren(...details.map((failure) => this.scenarioItem({
      scenario: failure.field, name: failure.field, passed: false, failure })));
  }

  paintCoverage(coverage) {
    const canvas = this.modeler.get("canvas");
    const registry = this.modeler.get("elementRegistry");
    registry.getAll().forEach((element) => {
      canvas.removeMarker(element, "tf-taken");
      canvas.removeMarker(element, "tf-missed");
    });
    const summary = $("#scenario-coverage", this.root);
    if (!coverage) {
      summary.textContent = "";
      return;
    }
    const mark = (ids, marker) => ids.forEach((id) => { if (registry.get(id)) canvas.addMarker(id, marker); });
    mark([...coverage.nodes.taken, ...coverage.flows.taken], "tf-taken");
    mark([...coverage.nodes.missed, ...coverage.flows.missed], "tf-missed");
    const nodes = coverage.nodes.taken.length + coverage.nodes.missed.length;
    const flows = coverage.flows.taken.length + coverage.flows.missed.length;
    summary.textContent = this.t.coverage
      .replace("{percent}", coverage.percent)
      .replace("{nodes}", `${coverage.nodes.taken.length}/${nodes}`)
      .replace("{flows}", `${coverage.flows.taken.length}/${flows}`);
    const missed = [...coverage.nodes.missed, ...coverage.flows.missed];
    const list = $("#scenario-missed", this.root);
    list.replaceChildren(...missed.map((id) => h("li", { "data-element": id, tabindex: 0 }, id)));
    $$("li", list).forEach((item) => item.addEventListener("click", () => this.focus({ element_id: item.dataset.element })));
  }

  // --- problems ------------------------------------------------------------------------------

  renderProblems() {
    const canvas = this.modeler.get("canvas");
    const registry = this.modeler.get("elementRegistry");
    registry.getAll().forEach((element) => canvas.removeMarker(element, "tf-problem"));
    const server = this.serverProblems.map((p) => ({ ...p, source: "server" }));
    const notes = (this.notes || []).map((p) => ({ ...p, source: "note" }));
    const all = [...server, ...this.lintProblems.filter((p) => p.category === "error"), ...notes,
      ...this.lintProblems.filter((p) => p.category !== "error")];
    const list = $("#problems", this.root);
    $("[data-problem-count]", this.root).textContent = server.length + this.lintProblems.length;
    server.forEach((problem) => {
      if (problem.element_id && problem.file === this.data.bpmnFile && registry.get(problem.element_id)) {
        canvas.addMarker(problem.element_id, "tf-problem");
      }
    });
    if (!all.length) {
      list.replaceChildren(h("li", { class: "problem ok" }, this.t.valid));
      return;
    }
    list.replaceChildren(...all.map((problem) => {
      const where = [problem.file, problem.line ? `:${problem.line}` : "", problem.element_id ? ` · ${problem.element_id}` : ""].join("");
      const kind = problem.source === "server" ? "error" : problem.source === "note" ? "note" : problem.category;
      return h("li", { class: `problem ${kind}`, "data-element": problem.element_id || "", tabindex: 0,
        onclick: () => this.focus(problem), onkeydown: (e) => { if (e.key === "Enter") this.focus(problem); } },
        h("span", { class: "problem-source" }, problem.source === "server" ? this.t.server : problem.source === "note" ? "i" : this.t.lint),
        h("span", { class: "problem-text" }, problem.message),
        where ? h("span", { class: "problem-where mono" }, where) : null);
    }));
  }

  focus(problem) {
    if (problem.file && this.files[problem.file]) {
      if (this.files[problem.file].kind === "dmn") {
        this.tab("tables");
        this.openTable(problem.file);
      } else {
        this.tab("forms");
        this.openForm(problem.file);
      }
      return;
    }
    const registry = this.modeler.get("elementRegistry");
    const element = problem.element_id && registry.get(problem.element_id);
    if (!element) return;
    this.tab("diagram");
    this.modeler.get("selection").select(element);
    const canvas = this.modeler.get("canvas");
    if (element.waypoints || element.width) canvas.scrollToElement(element);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("workbench");
  const blob = document.getElementById("workbench-data");
  if (!root || !blob) return;
  const workbench = new Workbench(root, JSON.parse(blob.textContent));
  window.tripflowWorkbench = workbench; // for the browser tests and the console
  workbench.load().catch((error) => {
    workbench.say(error.message, "error");
  });
});
