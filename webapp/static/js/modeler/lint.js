// bpmnlint, packed for the browser by hand: a few of bpmnlint's own rules plus Tripflow's.
// The server's deploy checks are the authority; these are the hints that need no round trip.
import conditionalFlows from "bpmnlint/rules/conditional-flows";
import endEventRequired from "bpmnlint/rules/end-event-required";
import noDisconnected from "bpmnlint/rules/no-disconnected";
import noDuplicateSequenceFlows from "bpmnlint/rules/no-duplicate-sequence-flows";
import noImplicitSplit from "bpmnlint/rules/no-implicit-split";
import startEventRequired from "bpmnlint/rules/start-event-required";
import superfluousGateway from "bpmnlint/rules/superfluous-gateway";

const ISO = /^\s*(R\d*\/)?(P(\d|T)[\dYMWDTHS.]*|\d{4}-\d{2}-\d{2}T[\d:.+\-Z]*)\s*$/;

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
    if (is(node, "bpmn:FormalExpression") && /[$#]\{/.test(text)) {
      reporter.report(node.id || (node.$parent && node.$parent.id), "Camunda ${…} expression: write it in Python");
    }
  }),
  "quoted-timers": rule((node, reporter) => {
    if (!is(node, "bpmn:TimerEventDefinition")) return;
    const owner = node.$parent;
    const expression = node.timeDate || node.timeDuration || node.timeCycle;
    if (!expression || !(expression.body || "").trim()) {
      reporter.report(owner.id, "Timer without a time");
    } else if (ISO.test(expression.body)) {
      reporter.report(owner.id, `Timer expression must be quoted: "${expression.body.trim()}"`);
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
