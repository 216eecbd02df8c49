// bpmnlint, packed for the browser by hand: a few of bpmnlint's own rules plus Tripflow's.
// The server's deploy checks are the authority; these are the hints that need no round trip.
import conditionalFlows from "bpmnlint/rules/conditional-flows";
import endEventRequired from "bpmnlint/rules/end-event-required";
import noDisconnected from "bpmnlint/rules/no-disconnected";
import noDuplicateSequenceFlows from "bpmnlint/rules/no-duplicate-sequence-flows";
import noImplicitSplit from "bpmnlint/rules/no-implicit-split";
import startEventRequired from "bpmnlint/rules/start-event-required";
import superfluousGateway from "bpmnlint/rules/superfluous-gateway";

function is(node, type) {
  return node && node.$instanceOf && node.$instanceOf(type);
}

function extension(node, type) {
  const values = (node.extensionElements && node.extensionElements.values) || [];
  return values.find((value) => value.$type === type);
}

function rule(check) {
  return () => ({ check });
}

// Tripflow's rules: what the deploy step would refuse, said while drawing.
const tripflowRules = {
  "service-task-handler": rule((node, reporter) => {
    if (is(node, "bpmn:ServiceTask") && !extension(node, "spiffworkflow:ServiceTaskOperator")) {
      reporter.report(node.id, "Service task has no handler: choose one in the properties");
    }
  }),
  "python-expressions": rule((node, reporter) => {
    const text = node.body || "";
    // the deploy translates the common JUEL forms (workflows/deploy/juel.py); a method call it refuses
    const calls = text.replace(/execution\.getVariable\(/g, "(").replace(/\b(empty|not|and|or)\s*\(/g, "(");
    if (is(node, "bpmn:FormalExpression") && /[$#]\{[^}]*[A-Za-z_]\w*\s*[.(]/.test(calls)) {
      reporter.report(node.id || (node.$parent && node.$parent.id), "Camunda ${…} expression with a call: write it in Python");
    }
  }),
  "quoted-timers": rule((node, reporter) => {
    if (!is(node, "bpmn:TimerEventDefinition")) return;
    const owner = node.$parent;
    const expression = node.timeDate || node.timeDuration || node.timeCycle;
    if (!expression || !(expression.body || "").trim()) {
      reporter.report(owner.id, "Timer without a time");
    }
  }),
  "conditions-present": rule((node, reporter) => {
    if (is(node, "bpmn:SequenceFlow") && node.conditionExpression && !(node.conditionExpression.body || "").trim()) {
      reporter.report(node.id, "Condition is empty");
    }
  }),
  "no-data-store": rule((node, reporter) => {
    if (is(node, "bpmn:DataStoreReference")) reporter.report(node.id, "Data stores are not supported");
  }),
  "rule-task-decision": rule((node, reporter) => {
    if (is(node, "bpmn:BusinessRuleTask") && !extension(node, "spiffworkflow:CalledDecisionId")) {
      reporter.report(node.id, "Business rule task names no decision table");
    }
  }),
  // broken references: the same rules as workflows/deploy/reference_checks.py. bpmn-moddle drops a
  // reference it cannot resolve, so a missing end, attachment or default shows here as absent.
  "flow-ends": rule((node, reporter) => {
    if (is(node, "bpmn:SequenceFlow") && (!node.sourceRef || !node.targetRef)) {
      reporter.report(node.id, "Sequence flow comes from or goes to no element");
    }
  }),
  "incoming-outgoing": rule((node, reporter) => {
    if (!is(node, "bpmn:FlowNode") || !node.$parent || !node.$parent.flowElements) return;
    const flows = node.$parent.flowElements.filter((e) => is(e, "bpmn:SequenceFlow"));
    [["incoming", "targetRef"], ["outgoing", "sourceRef"]].forEach(([side, end]) => {
      const listed = (node[side] || []).filter((f) => is(f, "bpmn:SequenceFlow"));
      if (!listed.length) return;
      const wrong = listed.filter((f) => f[end] !== node);
      const missing = flows.filter((f) => f[end] === node && !listed.includes(f));
      if (wrong.length || missing.length) {
        reporter.report(node.id, `bpmn:${side} disagrees with the sequence flows`);
      }
    });
  }),
  "boundary-attached": rule((node, reporter) => {
    if (is(node, "bpmn:BoundaryEvent") && !node.attachedToRef) {
      reporter.report(node.id, "Boundary event is attached to nothing");
    }
  }),
  "default-flow": rule((node, reporter) => {
    if (node.default && (is(node, "bpmn:Gateway") || is(node, "bpmn:Activity")) && node.default.sourceRef !== node) {
      reporter.report(node.id, "Default flow is not one of its outgoing flows");
    }
  }),
  "call-activity-target": rule((node, reporter) => {
    if (is(node, "bpmn:CallActivity") && !node.calledElement) {
      reporter.report(node.id, "Call activity names no process to call");
    }
  }),
};

const bpmnlintRules = {
  "conditional-flows": conditionalFlows,
  "end-event-required": endEventRequired,
  "no-disconnected": noDisconnected,
  "no-duplicate-sequence-flows": noDuplicateSequenceFlows,
  "no-implicit-split": noImplicitSplit,
  "start-event-required": startEventRequired,
  "superfluous-gateway": superfluousGateway,
};

const config = { rules: {} };
Object.keys(bpmnlintRules).forEach((name) => { config.rules[name] = "warn"; });
Object.keys(tripflowRules).forEach((name) => { config.rules[`tripflow/${name}`] = "error"; });
config.rules["no-disconnected"] = "error";
config.rules["start-event-required"] = "error";

const resolver = {
  resolveRule(pkg, ruleName) {
    if (pkg === "bpmnlint") return bpmnlintRules[ruleName];
    if (pkg === "bpmnlint-plugin-tripflow") return tripflowRules[ruleName];
    return undefined;
  },
  resolveConfig() {
    return undefined;
  },
};

export default { config, resolver };
