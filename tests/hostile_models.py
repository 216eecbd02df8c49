"""BPMN models that run a hostile script, condition or timer expression, for the isolation tests.

Each attack here passes the deploy-time checks and then works inside a single C call, where no
deadline check of the sandbox runs: only a separate process with OS limits can stop it.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

ATTACK_SCRIPTS = {
    # grows a list in C until memory runs out
    "append to itself": "x = [1]\nok = any(map(x.append, x))",
    # 10**12 list comparisons in C, without growing memory
    "count of a copy": "x = list(range(10**6))\ny = [x for i in range(10**6)]\nn = y.count(list(x))",
    # the same, built small enough to reach its C loop well within the limit on a loaded machine
    "count, at once": "x = list(range(10**5))\ny = [x for i in range(10**5)]\nn = y.count(list(x))",
}
ATTACK_EXPRESSIONS = {
    "append to itself": "any(map(items.append, items))",  # items = [1] in the start data
    "count of a copy": (
        "[y.count(list(y[0])) for y in [[x for i in range(10**6)] for x in [list(range(10**6))]]]"
    ),
    "count, at once": (
        "[y.count(list(y[0])) for y in [[x for i in range(10**5)] for x in [list(range(10**5))]]]"
    ),
}
START_DATA = {"items": [1]}

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs_{key}" targetNamespace="http://tripflow.test">
  <bpmn:process id="{key}" name="Hostile {key}" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="process_owner" name="process_owner">{refs}</bpmn:lane>
    </bpmn:laneSet>
"""
_TAIL = """  </bpmn:process>
</bpmn:definitions>
"""


def _model(key: str, nodes: list[str], body: str) -> bytes:
    refs = "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>" for node in nodes)
    return (_HEAD.format(key=key, refs=refs) + body + _TAIL).encode()


def _flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'    <bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>\n'
    return (
        f'    <bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>\n"
    )


def _timer(element: str, kind: str, expression: str) -> str:
    return (
        f'    <bpmn:intermediateCatchEvent id="{element}"><bpmn:timerEventDefinition>'
        f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression">{escape(expression)}</bpmn:{kind}>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>\n"
    )


def script_model(key: str, script: str) -> bytes:
    """start → script task ``attack`` → user task ``look`` → end."""
    body = (
        '    <bpmn:startEvent id="start"/>\n'
        f'    <bpmn:scriptTask id="attack" scriptFormat="python"><bpmn:script>{escape(script)}'
        "</bpmn:script></bpmn:scriptTask>\n"
        '    <bpmn:userTask id="look" name="Look"/>\n'
        '    <bpmn:endEvent id="end"/>\n'
        + _flow("f1", "start", "attack")
        + _flow("f2", "attack", "look")
        + _flow("f3", "look", "end")
    )
    return _model(key, ["start", "attack", "look", "end"], body)


def gateway_model(key: str, condition: str) -> bytes:
    """start → exclusive gateway ``choose``: flow ``f_attack`` if ``condition``, else ``look`` → end."""
    body = (
        '    <bpmn:startEvent id="start"/>\n'
        '    <bpmn:exclusiveGateway id="choose" default="f_plain"/>\n'
        '    <bpmn:userTask id="look" name="Look"/>\n'
        '    <bpmn:userTask id="look_again" name="Look again"/>\n'
        '    <bpmn:endEvent id="end"/>\n'
        '    <bpmn:endEvent id="end_again"/>\n'
        + _flow("f1", "start", "choose")
        + _flow("f_attack", "choose", "look_again", condition)
        + _flow("f_plain", "choose", "look")
        + _flow("f3", "look", "end")
        + _flow("f4", "look_again", "end_again")
    )
    return _model(key, ["start", "choose", "look", "look_again", "end", "end_again"], body)


def timer_model(key: str, expression: str) -> bytes:
    """start → timer ``wait_first`` (1 s) → timer ``wait_attack`` (``expression``) → ``look`` → end."""
    body = (
        '    <bpmn:startEvent id="start"/>\n'
        + _timer("wait_first", "timeDuration", '"PT1S"')
        + _timer("wait_attack", "timeDate", expression)
        + '    <bpmn:userTask id="look" name="Look"/>\n'
        '    <bpmn:endEvent id="end"/>\n'
        + _flow("f1", "start", "wait_first")
        + _flow("f2", "wait_first", "wait_attack")
        + _flow("f3", "wait_attack", "look")
        + _flow("f4", "look", "end")
    )
    return _model(key, ["start", "wait_first", "wait_attack", "look", "end"], body)


# one turn of the endless loop: fast (a loop that reaches the step's element limit at once), or
# slow enough (tens of milliseconds a turn) that the limit is minutes away and only a watchdog ends it
FAST_TURN = "n = len([i for i in range(3)])"
SLOW_TURN = "n = 3 + 0 * len(list(range(10**6)))"


def endless_loop_model(key: str, turn: str = SLOW_TURN) -> bytes:
    """start → timer ``wait_first`` (1 s) → script ``spin`` ⇄ gateway ``again``: a step that never ends."""
    body = (
        '    <bpmn:startEvent id="start"/>\n'
        + _timer("wait_first", "timeDuration", '"PT1S"')
        + '    <bpmn:scriptTask id="spin" scriptFormat="python">'
        f"<bpmn:script>{turn}</bpmn:script></bpmn:scriptTask>\n"
        '    <bpmn:exclusiveGateway id="again" default="f_out"/>\n'
        '    <bpmn:userTask id="look" name="Look"/>\n'
        '    <bpmn:endEvent id="end"/>\n'
        + _flow("f1", "start", "wait_first")
        + _flow("f2", "wait_first", "spin")
        + _flow("f3", "spin", "again")
        + _flow("f_again", "again", "spin", "n == 3")
        + _flow("f_out", "again", "look")
        + _flow("f4", "look", "end")
    )
    return _model(key, ["start", "wait_first", "spin", "again", "look", "end"], body)


def plain_timer_model(key: str) -> bytes:
    """start → timer ``wait_first`` (1 s) → ``look`` → end: a timer that fires normally."""
    body = (
        '    <bpmn:startEvent id="start"/>\n'
        + _timer("wait_first", "timeDuration", '"PT1S"')
        + '    <bpmn:userTask id="look" name="Look"/>\n'
        '    <bpmn:endEvent id="end"/>\n'
        + _flow("f1", "start", "wait_first")
        + _flow("f2", "wait_first", "look")
        + _flow("f3", "look", "end")
    )
    return _model(key, ["start", "wait_first", "look", "end"], body)
