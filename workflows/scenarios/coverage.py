"""Which flow nodes and sequence flows of each model the scenarios took.

SpiffWorkflow 3.2 records tasks, not sequence flows, so a flow is inferred: when a task
completes, its nearest ancestor in the same (sub)workflow's task tree that stands for a BPMN
element is the element the token came from. The flow from that element to the completed one
is taken when the model has it. Elements SpiffWorkflow adds of its own (the hidden start, the
end join, the split in front of boundary events) carry no BPMN id and are stepped over. A node
counts as taken when it completed (a user task left open at the end of a scenario does not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from workflows.engine.xml import BPMN, FLOW_NODES


@dataclass
class Taken:
    """Per process id: BPMN ids of completed elements and (source, target) pairs the tokens took."""

    nodes: dict[str, set[str]] = field(default_factory=dict)
    pairs: dict[str, set[tuple[str, str]]] = field(default_factory=dict)

    def observe(self, task: Any) -> None:
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            return
        process = task.workflow.spec.name
        self.nodes.setdefault(process, set()).add(bpmn_id)
        previous = task.parent
        while previous is not None and not getattr(previous.task_spec, "bpmn_id", None):
            previous = previous.parent
        if previous is not None:
            self.pairs.setdefault(process, set()).add((previous.task_spec.bpmn_id, bpmn_id))

    def update(self, other: Taken) -> None:
        for process, ids in other.nodes.items():
            self.nodes.setdefault(process, set()).update(ids)
        for process, pairs in other.pairs.items():
            self.pairs.setdefault(process, set()).update(pairs)


@dataclass(frozen=True)
class ModelElements:
    """The flow nodes and sequence flows of one process, read from its BPMN."""

    process: str
    nodes: frozenset[str]
    flows: dict[str, tuple[str, str]]  # flow id -> (source, target)


def model_elements(bpmn: bytes | str, process: str | None = None) -> list[ModelElements]:
    """Every executable process in ``bpmn`` (or only ``process``), nested subprocesses included."""
    data = bpmn.encode("utf-8") if isinstance(bpmn, str) else bpmn
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(data, parser)
    found = []
    for element in root.iter(f"{BPMN}process"):
        key = element.get("id")
        if process is not None and key != process:
            continue
        nodes, flows = set(), {}
        for child in element.iter():
            if not isinstance(child.tag, str):
                continue
            local = etree.QName(child).localname
            if local in FLOW_NODES and child.get("id"):
                nodes.add(child.get("id"))
            elif local == "sequenceFlow" and child.get("id"):
                flows[child.get("id")] = (child.get("sourceRef"), child.get("targetRef"))
        found.append(ModelElements(key, frozenset(nodes), flows))
    return found


@dataclass(frozen=True)
class ModelCoverage:
    process: str
    nodes_taken: frozenset[str]
    nodes_missed: frozenset[str]
    flows_taken: frozenset[str]
    flows_missed: frozenset[str]

    @property
    def nodes_total(self) -> int:
        return len(self.nodes_taken) + len(self.nodes_missed)

    @property
    def flows_total(self) -> int:
        return len(self.flows_taken) + len(self.flows_missed)

    @property
    def percent(self) -> float:
        total = self.nodes_total + self.flows_total
        return 100.0 if total == 0 else 100.0 * (len(self.nodes_taken) + len(self.flows_taken)) / total

    def as_dict(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "nodes": {"taken": sorted(self.nodes_taken), "missed": sorted(self.nodes_missed)},
            "flows": {"taken": sorted(self.flows_taken), "missed": sorted(self.flows_missed)},
            "percent": round(self.percent, 1),
        }


def coverage_of(model: ModelElements, taken: Taken) -> ModelCoverage:
    nodes = taken.nodes.get(model.process, set())
    pairs = taken.pairs.get(model.process, set())
    flows = {flow_id for flow_id, pair in model.flows.items() if pair in pairs}
    return ModelCoverage(
        process=model.process,
        nodes_taken=frozenset(model.nodes & nodes),
        nodes_missed=frozenset(model.nodes - nodes),
        flows_taken=frozenset(flows),
        flows_missed=frozenset(set(model.flows) - flows),
    )


def table(rows: list[ModelCoverage]) -> str:
    """The coverage table ``make test`` prints: model, nodes, flows, percentage."""
    lines = [f"{'model':<24} {'nodes':>9} {'flows':>9} {'coverage':>9}"]
    for row in rows:
        nodes = f"{len(row.nodes_taken)}/{row.nodes_total}"
        flows = f"{len(row.flows_taken)}/{row.flows_total}"
        lines.append(f"{row.process:<24} {nodes:>9} {flows:>9} {row.percent:>8.1f}%")
    return "\n".join(lines)
