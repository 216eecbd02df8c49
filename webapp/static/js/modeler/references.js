// References to nothing, as bpmn-moddle reports them when a model is imported.
//
// bpmn-moddle drops a reference it cannot resolve (messageRef="Msg_gone", a lane's flowNodeRef to a
// step that is not there), so bpmnlint, which sees only the parsed model, never meets it; and the
// XML saved from the canvas would silently lose it. The import warnings still name each one: they
// become problems of the same panel, in the words of the deploy's check
// (workflows/deploy/reference_checks.py), until the element is fixed or removed.

// what the other lint rules already say (a flow or a boundary event that lost its end shows there)
const COVERED = new Set(["sourceRef", "targetRef", "attachedToRef", "default", "incoming", "outgoing"]);
const KINDS = { messageRef: "message", signalRef: "signal", errorRef: "error", escalationRef: "escalation" };

function localName(property) {
  return String(property || "").split(":").pop();
}

// the element on the canvas the problem belongs to: an event, not its event definition
function owner(element, registry) {
  for (let node = element; node; node = node.$parent) {
    if (node.id && registry.get(node.id)) return node;
  }
  return element;
}

function describe(node) {
  const type = (node.$type || "element").split(":").pop().replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return node.name ? `${type} "${node.name}" (${node.id})` : `${type} ${node.id || ""}`.trim();
}

function message(warning, shown) {
  const property = localName(warning.property);
  const kind = KINDS[property];
  const what = describe(shown);
  const text = kind
    ? `${what} refers to the ${kind} '${warning.value}', which the file does not define; add a bpmn:${kind} with that id`
    : property === "flowNodeRef"
      ? `${what} lists '${warning.value}', which is no step of the process`
      : `${what} refers with ${property} to '${warning.value}', which is no element of the file`;
  const dropped = " (opening the file dropped the reference: saving from here stores the model without it)";
  return text.charAt(0).toUpperCase() + text.slice(1) + dropped;
}

// The problems of one import's warnings: [{element_id, message, category, still()}]
export function referenceProblems(warnings, registry, file) {
  return (warnings || [])
    .filter((w) => w && w.element && w.property && /^unresolved reference/.test(w.message || ""))
    .filter((w) => !COVERED.has(localName(w.property)))
    .map((warning) => {
      const shown = owner(warning.element, registry);
      const property = localName(warning.property);
      return {
        element_id: shown.id,
        message: message(warning, shown),
        category: "error",
        source: "lint",
        rule: "tripflow/reference-to-nothing",
        file,
        // still broken while the element is on the canvas and the reference was not set anew
        still: () => Boolean(registry.get(shown.id)) && !(property in KINDS && warning.element.get(property)),
      };
    });
}
