#!/usr/bin/env python3
"""Re-lay out Tripflow BPMN files in place: pool, lanes, flow nodes, edges.

Usage (from the repository root):

    (cd tools/bpmn_layout && npm ci)          # once: installs bpmn-auto-layout
    .venv/bin/python tools/bpmn_layout/relayout.py bpmn/trip.bpmn [more.bpmn ...]

How it works:

1. ``node autolayout.mjs <file>`` runs the npm package bpmn-auto-layout, which
   places every flow node on a grid (columns left to right in flow order, rows
   for branches). Only the grid cell (column, row) of each node is kept.
2. This script throws away the file's old diagram (BPMN DI) and draws a new
   one: a pool (the collaboration's participant) holding one lane band per
   ``bpmn:lane`` (in laneSet order). Each node keeps its column, and goes into
   its lane's band; the rows a lane uses are compacted so the band is as low
   as it can be. Boundary events sit on the bottom edge of their host.
3. Sequence flows are re-routed orthogonally: vertical segments run in the
   free space between grid columns, horizontal ones along a node row or in
   the gaps between rows; every candidate route is checked against all
   shapes and the first route that crosses none is taken.

The semantic part of the file (process, lanes, extensions) is kept byte for
byte; only ``bpmndi:BPMNDiagram`` is replaced. The process must sit in a
collaboration with one participant (the pool); the script adds one if
missing.
"""

from __future__ import annotations

import os
import subprocess
import sys

from lxml import etree

from workflows.engine.xml import FLOW_NODES as FLOW_NODE_TAGS  # the project is installed in its venv

HERE = os.path.dirname(os.path.abspath(__file__))

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
B = "{%s}" % NS["bpmn"]
BDI = "{%s}" % NS["bpmndi"]
DC = "{%s}" % NS["dc"]
DI = "{%s}" % NS["di"]

# bpmn-auto-layout grid
AUTO_CELL_W = 150
AUTO_CELL_H = 140

# our drawing
CELL_W = 160  # column pitch (task 100 wide -> 60 px free between columns)
ROW_H = 130  # row pitch inside a lane (task 80 high -> 50 px free)
LANE_PAD_TOP = 20  # free band above the first row of a lane
LANE_PAD_BOTTOM = 20  # free band below the last row of a lane
POOL_X = 120
POOL_Y = 80
POOL_LABEL_W = 30
LANE_LABEL_W = 30
CONTENT_X = POOL_X + POOL_LABEL_W + LANE_LABEL_W + 20
RIGHT_MARGIN = 60


def local(el):
    return etree.QName(el).localname


def size_of(tag):
    if tag.endswith("Gateway"):
        return 50, 50
    if tag.endswith("Event"):
        return 36, 36
    return 100, 80


class Box:
    __slots__ = ("id", "x", "y", "w", "h", "tag", "col", "lane")

    def __init__(self, id_, tag, x, y, w, h, col=None, lane=None):
        self.id, self.tag, self.x, self.y, self.w, self.h = id_, tag, x, y, w, h
        self.col, self.lane = col, lane

    @property
    def cx(self):
        return self.x + self.w / 2

    @property
    def cy(self):
        return self.y + self.h / 2

    @property
    def right(self):
        return self.x + self.w

    @property
    def bottom(self):
        return self.y + self.h


def run_auto_layout(path):
    res = subprocess.run(
        ["node", os.path.join(HERE, "autolayout.mjs"), os.path.abspath(path)],
        cwd=HERE,
        capture_output=True,
        check=True,
    )
    return etree.fromstring(res.stdout)


def grid_positions(auto_root):
    """Element id -> (col, row) from bpmn-auto-layout's DI."""
    pos = {}
    for shape in auto_root.iter(BDI + "BPMNShape"):
        b = shape.find(DC + "Bounds")
        x, y = float(b.get("x")), float(b.get("y"))
        w, h = float(b.get("width")), float(b.get("height"))
        col = int(round((x + w / 2 - AUTO_CELL_W / 2) / AUTO_CELL_W))
        row = int(round((y + h / 2 - AUTO_CELL_H / 2) / AUTO_CELL_H))
        pos[shape.get("bpmnElement")] = (col, row)
    return pos


def seg_hits_box(p, q, box, pad=6):
    x1, y1 = p
    x2, y2 = q
    bx1, by1, bx2, by2 = box.x - pad, box.y - pad, box.right + pad, box.bottom + pad
    if x1 == x2:  # vertical
        lo, hi = sorted((y1, y2))
        return bx1 < x1 < bx2 and lo < by2 and hi > by1
    lo, hi = sorted((x1, x2))
    return by1 < y1 < by2 and lo < bx2 and hi > bx1


def simplify(points):
    pts = []
    for p in points:
        p = (round(p[0]), round(p[1]))
        if pts and pts[-1] == p:
            continue
        pts.append(p)
    # drop collinear middle points
    out = []
    for p in pts:
        while len(out) >= 2 and ((out[-2][0] == out[-1][0] == p[0]) or (out[-2][1] == out[-1][1] == p[1])):
            out.pop()
        out.append(p)
    return out


class Layout:
    def __init__(self, path):
        self.path = path
        parser = etree.XMLParser(remove_blank_text=False)
        self.tree = etree.parse(path, parser)
        self.root = self.tree.getroot()
        self.process = self.root.find(B + "process")
        if self.process is None:
            raise SystemExit(f"{path}: no bpmn:process")
        self.pid = self.process.get("id")

    # ------------------------------------------------------------------ model
    def ensure_collaboration(self):
        collab = self.root.find(B + "collaboration")
        if collab is None:
            collab = etree.Element(B + "collaboration", id=f"collab_{self.pid}")
            collab.tail = "\n  "
            self.root.insert(0, collab)
        part = collab.find(B + "participant")
        if part is None:
            part = etree.SubElement(
                collab,
                B + "participant",
                id=f"pool_{self.pid}",
                name=self.process.get("name") or self.pid,
                processRef=self.pid,
            )
            etree.indent(collab, space="  ", level=1)
        self.collab, self.participant = collab, part

    def read_model(self):
        self.nodes = {}  # id -> element
        self.flows = []  # (id, source, target, name)
        for el in self.process:
            if not isinstance(el.tag, str):
                continue
            name = local(el)
            if name in FLOW_NODE_TAGS:
                self.nodes[el.get("id")] = el
            elif name == "sequenceFlow":
                self.flows.append((el.get("id"), el.get("sourceRef"), el.get("targetRef"), el.get("name")))
        self.lanes = []  # (lane id, [node ids])
        lane_of = {}
        for lane in self.process.iter(B + "lane"):
            refs = [r.text.strip() for r in lane.findall(B + "flowNodeRef")]
            self.lanes.append((lane.get("id"), refs))
            for r in refs:
                lane_of[r] = lane.get("id")
        if not self.lanes:
            self.lanes.append((None, list(self.nodes)))
            lane_of = {n: None for n in self.nodes}
        for nid, el in self.nodes.items():
            if nid not in lane_of:
                attached = el.get("attachedToRef")
                if attached and attached in lane_of:
                    lane_of[nid] = lane_of[attached]
                else:
                    raise SystemExit(f"{self.path}: flow node {nid} is in no lane")
        self.lane_of = lane_of

    # ----------------------------------------------------------------- layout
    def place(self, grid):
        boxes = {}
        main = [n for n, el in self.nodes.items() if el.get("attachedToRef") is None]
        # compact columns: keep only columns that hold a node
        cols = sorted({grid[n][0] for n in main})
        col_index = {c: i for i, c in enumerate(cols)}
        self.ncols = len(cols)
        # rows per lane
        self.lane_bands = []
        y = POOL_Y
        row_y = {}
        for lane_id, refs in self.lanes:
            members = [n for n in main if self.lane_of[n] == lane_id]
            rows = sorted({grid[n][1] for n in members})
            nrows = max(1, len(rows))
            height = LANE_PAD_TOP + nrows * ROW_H + LANE_PAD_BOTTOM
            for i, r in enumerate(rows):
                row_y[(lane_id, r)] = y + LANE_PAD_TOP + i * ROW_H + ROW_H / 2
            self.lane_bands.append((lane_id, y, height, nrows))
            y += height
        self.pool_height = y - POOL_Y
        for n in main:
            tag = local(self.nodes[n])
            w, h = size_of(tag)
            col = col_index[grid[n][0]]
            cx = CONTENT_X + col * CELL_W + CELL_W / 2
            cy = row_y[(self.lane_of[n], grid[n][1])]
            boxes[n] = Box(n, tag, cx - w / 2, cy - h / 2, w, h, col, self.lane_of[n])
        # boundary events on the bottom edge of their host, from the right
        per_host = {}
        for n, el in self.nodes.items():
            host = el.get("attachedToRef")
            if host is None:
                continue
            k = per_host.get(host, 0)
            per_host[host] = k + 1
            hb = boxes[host]
            bx = hb.right - 28 - k * 40
            boxes[n] = Box(n, local(el), bx - 18, hb.bottom - 18, 36, 36, hb.col, hb.lane)
        self.boxes = boxes
        self.pool_width = (CONTENT_X - POOL_X) + self.ncols * CELL_W + RIGHT_MARGIN
        # horizontal channels (free y lines) and vertical channels (free x lines)
        chans = []
        for lane_id, top, height, nrows in self.lane_bands:
            chans.append(top + LANE_PAD_TOP / 2 + 2)
            for i in range(1, nrows):
                chans.append(top + LANE_PAD_TOP + i * ROW_H)
            chans.append(top + height - LANE_PAD_BOTTOM / 2 - 2)
        self.hchannels = sorted(set(chans))
        self.used_h = []  # (y, x1, x2) segments already drawn in channels
        self.ports_out, self.ports_in = {}, {}
        self.segments = []

    def col_left(self, col):
        return CONTENT_X + col * CELL_W

    def free(self, points, ignore):
        for p, q in zip(points, points[1:]):
            for b in self.boxes.values():
                if b.id in ignore:
                    continue
                if seg_hits_box(p, q, b):
                    return False
        return True

    def channel_clash(self, points):
        """Number of horizontal segments lying on top of already drawn ones."""
        n = 0
        for p, q in zip(points, points[1:]):
            if p[1] != q[1]:
                continue
            lo, hi = sorted((p[0], q[0]))
            for y, a, b in self.used_h:
                if abs(y - p[1]) < 4 and lo < b and hi > a:
                    n += 1
        return n

    def remember(self, points):
        for p, q in zip(points, points[1:]):
            if p[1] == q[1]:
                lo, hi = sorted((p[0], q[0]))
                self.used_h.append((p[1], lo, hi))

    def candidates(self, s, t):
        sb = self.nodes[s.id].get("attachedToRef") is not None
        is_gw = s.tag.endswith("Gateway")
        cands = []
        chans_near = sorted(self.hchannels, key=lambda c: min(abs(c - s.cy), abs(c - t.cy)))
        if sb:
            # leave a boundary event downwards
            p0 = (s.cx, s.bottom)
            if t.x > s.right:
                vx = self.col_left(t.col) if t.col > s.col else t.x - 20
                if t.cy > s.bottom:
                    cands.append([p0, (s.cx, t.cy), (t.x, t.cy)])
                for gy in [c for c in self.hchannels if c > s.bottom]:
                    cands.append([p0, (s.cx, gy), (vx, gy), (vx, t.cy), (t.x, t.cy)])
            else:
                for gy in [c for c in self.hchannels if c > max(s.bottom, t.bottom)]:
                    cands.append([p0, (s.cx, gy), (t.cx, gy), (t.cx, t.bottom)])
            return cands
        if t.col > s.col:
            vx_t = self.col_left(t.col)
            vx_s = self.col_left(s.col + 1)
            if abs(s.cy - t.cy) < 1:
                cands.append([(s.right, s.cy), (t.x, t.cy)])
            if is_gw and abs(s.cy - t.cy) >= 1:
                py = s.y if t.cy < s.cy else s.bottom
                cands.append([(s.cx, py), (s.cx, t.cy), (t.x, t.cy)])
            for vx in (vx_t, vx_s):
                cands.append([(s.right, s.cy), (vx, s.cy), (vx, t.cy), (t.x, t.cy)])
            if abs(s.cy - t.cy) >= 1:
                py = t.y if s.cy < t.cy else t.bottom
                cands.append([(s.right, s.cy), (t.cx, s.cy), (t.cx, py)])
            for gy in chans_near:
                cands.append(
                    [(s.right, s.cy), (vx_s, s.cy), (vx_s, gy), (vx_t, gy), (vx_t, t.cy), (t.x, t.cy)]
                )
                if is_gw:
                    py = s.y if gy < s.cy else s.bottom
                    cands.append([(s.cx, py), (s.cx, gy), (vx_t, gy), (vx_t, t.cy), (t.x, t.cy)])
        else:
            # backwards (loop) edge: over the top or under the bottom
            for gy in chans_near:
                if gy < min(s.y, t.y):
                    cands.append([(s.cx, s.y), (s.cx, gy), (t.cx, gy), (t.cx, t.y)])
                if gy > max(s.bottom, t.bottom):
                    cands.append([(s.cx, s.bottom), (s.cx, gy), (t.cx, gy), (t.cx, t.bottom)])
                if gy < s.y and gy > t.bottom:
                    cands.append([(s.cx, s.y), (s.cx, gy), (t.cx, gy), (t.cx, t.bottom)])
                if gy > s.bottom and gy < t.y:
                    cands.append([(s.cx, s.bottom), (s.cx, gy), (t.cx, gy), (t.cx, t.y)])
                vx_t = self.col_left(t.col)
                if gy < s.y:
                    cands.append([(s.cx, s.y), (s.cx, gy), (vx_t, gy), (vx_t, t.cy), (t.x, t.cy)])
                if gy > s.bottom:
                    cands.append([(s.cx, s.bottom), (s.cx, gy), (vx_t, gy), (vx_t, t.cy), (t.x, t.cy)])
        return cands

    @staticmethod
    def port(box, pt):
        x, y = pt
        if abs(y - box.y) < 1:
            return "top"
        if abs(y - box.bottom) < 1:
            return "bottom"
        if abs(x - box.right) < 1:
            return "right"
        return "left"

    def score(self, c, s, t):
        bends = len(c) - 2
        length = sum(abs(p[0] - q[0]) + abs(p[1] - q[1]) for p, q in zip(c, c[1:]))
        sp = self.port(s, c[0])
        tp = self.port(t, c[-1])
        port_clash = 0
        if sp in self.ports_out.get(s.id, ()) or sp in self.ports_in.get(s.id, ()):
            port_clash += 1
        if tp in self.ports_out.get(t.id, ()):
            port_clash += 1
        in_clash = 1 if tp in self.ports_in.get(t.id, ()) else 0
        side_entry = 0
        if t.col > s.col and tp in ("top", "bottom") and not t.tag.endswith("Gateway"):
            side_entry = 1
        return (
            1000 * port_clash
            + 300 * in_clash
            + 200 * self.channel_clash(c)
            + 150 * self.crossings(c)
            + 30 * side_entry
            + 20 * bends
            + length / 50
        )

    def crossings(self, c):
        n = 0
        for p, q in zip(c, c[1:]):
            for a, b in self.segments:
                if p[0] == q[0] and a[1] == b[1]:  # vertical vs horizontal
                    x, (y1, y2) = p[0], sorted((p[1], q[1]))
                    y, (x1, x2) = a[1], sorted((a[0], b[0]))
                elif p[1] == q[1] and a[0] == b[0]:  # horizontal vs vertical
                    y, (x1, x2) = p[1], sorted((p[0], q[0]))
                    x, (y1, y2) = a[0], sorted((a[1], b[1]))
                else:
                    continue
                if x1 < x < x2 and y1 < y < y2:
                    n += 1
        return n

    def route(self, s, t):
        ignore = {s.id, t.id}
        cands = [simplify(c) for c in self.candidates(s, t)]
        ok = [
            c
            for c in cands
            if len(c) >= 2
            and self.free(c, ignore)
            and all(p[0] == q[0] or p[1] == q[1] for p, q in zip(c, c[1:]))
        ]
        if ok:
            best = min(ok, key=lambda c: self.score(c, s, t))
        else:
            best = cands[0] if cands else simplify([(s.right, s.cy), (t.x, t.cy)])
        if self.channel_clash(best):
            for off in (10, -10, 20, -20):
                shifted = (
                    [best[0]]
                    + [(x, y + off) if y not in (s.cy, t.cy) else (x, y) for (x, y) in best[1:-1]]
                    + [best[-1]]
                )
                shifted = simplify(shifted)
                if (
                    self.free(shifted, ignore)
                    and not self.channel_clash(shifted)
                    and all(p[0] == q[0] or p[1] == q[1] for p, q in zip(shifted, shifted[1:]))
                ):
                    best = shifted
                    break
        self.remember(best)
        self.segments.extend(zip(best, best[1:]))
        self.ports_out.setdefault(s.id, set()).add(self.port(s, best[0]))
        self.ports_in.setdefault(t.id, set()).add(self.port(t, best[-1]))
        return best

    # -------------------------------------------------------------------- DI
    def write_di(self):
        for old in self.root.findall(BDI + "BPMNDiagram"):
            self.root.remove(old)
        # keep a tidy tail on the element before the diagram
        last = self.root[-1]
        last.tail = "\n  "
        diagram = etree.SubElement(self.root, BDI + "BPMNDiagram", id=f"diagram_{self.pid}")
        diagram.tail = "\n"
        plane = etree.SubElement(
            diagram, BDI + "BPMNPlane", id=f"plane_{self.pid}", bpmnElement=self.collab.get("id")
        )

        def bounds(parent, x, y, w, h):
            etree.SubElement(parent, DC + "Bounds", x=fmt(x), y=fmt(y), width=fmt(w), height=fmt(h))

        def label(parent, x, y, w, h):
            lab = etree.SubElement(parent, BDI + "BPMNLabel")
            bounds(lab, x, y, w, h)

        pool = etree.SubElement(
            plane,
            BDI + "BPMNShape",
            id=f"{self.participant.get('id')}_di",
            bpmnElement=self.participant.get("id"),
            isHorizontal="true",
        )
        bounds(pool, POOL_X, POOL_Y, self.pool_width, self.pool_height)
        for lane_id, top, height, _ in self.lane_bands:
            if lane_id is None:
                continue
            sh = etree.SubElement(
                plane, BDI + "BPMNShape", id=f"{lane_id}_di", bpmnElement=lane_id, isHorizontal="true"
            )
            bounds(sh, POOL_X + POOL_LABEL_W, top, self.pool_width - POOL_LABEL_W, height)
        # edges: forward ones first so that loops route around them
        flows = sorted(
            self.flows, key=lambda f: (self.boxes[f[2]].col <= self.boxes[f[1]].col, self.boxes[f[1]].col)
        )
        edges = {}
        for fid, src, tgt, name in flows:
            pts = self.route(self.boxes[src], self.boxes[tgt])
            edges[fid] = (pts, name)
        order = [n for n in self.nodes if self.nodes[n].get("attachedToRef") is None] + [
            n for n in self.nodes if self.nodes[n].get("attachedToRef") is not None
        ]
        for n in order:
            b = self.boxes[n]
            attrs = {"id": f"{n}_di", "bpmnElement": n}
            if b.tag == "exclusiveGateway":
                attrs["isMarkerVisible"] = "true"
            sh = etree.SubElement(plane, BDI + "BPMNShape", **attrs)
            bounds(sh, b.x, b.y, b.w, b.h)
            name = self.nodes[n].get("name")
            if name and (b.tag.endswith("Event") or b.tag.endswith("Gateway")):
                w = min(120, max(40, 6.2 * len(name)))
                lines = max(1, int(6.2 * len(name) // 110) + 1)
                h = 14 * lines
                used = self.ports_out.get(n, set()) | self.ports_in.get(n, set())
                if b.tag.endswith("Gateway"):
                    if "top" not in used:
                        label(sh, b.cx - w / 2, b.y - 8 - h, w, h)
                    elif "bottom" not in used:
                        label(sh, b.cx - w / 2, b.bottom + 6, w, h)
                    else:
                        label(sh, b.x - w - 4 + 18, b.y - h - 2, w, h)
                elif b.tag == "boundaryEvent":
                    label(sh, b.right + 2, b.bottom - 4, w, h)
                elif "bottom" not in used:
                    label(sh, b.cx - w / 2, b.bottom + 5, w, h)
                else:
                    label(sh, b.cx - w / 2, b.y - 5 - h, w, h)
        for fid, src, tgt, name in self.flows:
            pts, name = edges[fid]
            e = etree.SubElement(plane, BDI + "BPMNEdge", id=f"{fid}_di", bpmnElement=fid)
            for x, y in pts:
                etree.SubElement(e, DI + "waypoint", x=fmt(x), y=fmt(y))
            if name:
                w = min(110, max(30, 6.2 * len(name)))
                h = 14 * (1 + int(6.2 * len(name) // 110))
                (x1, y1), (x2, y2) = pts[0], pts[1]
                if x1 == x2:  # leaves vertically: label right of the first segment
                    ly = y1 + 6 if y2 > y1 else y1 - h - 6
                    label(e, x1 + 6, ly, w, h)
                else:  # leaves horizontally: label above the first segment
                    label(e, x1 + 6, y1 - h - 4, w, h)
        etree.indent(diagram, space="  ", level=1)
        diagram.tail = "\n"

    def save(self):
        xml = etree.tostring(self.tree, xml_declaration=True, encoding="UTF-8").decode()
        xml = xml.replace("<?xml version='1.0' encoding='UTF-8'?>", '<?xml version="1.0" encoding="UTF-8"?>')
        if not xml.endswith("\n"):
            xml += "\n"
        with open(self.path, "w", encoding="utf-8") as f:
            f.write(xml)


def fmt(v):
    v = round(v)
    return str(int(v))


def relayout(path):
    lay = Layout(path)
    lay.ensure_collaboration()
    lay.read_model()
    grid = grid_positions(run_auto_layout(path))
    missing = [n for n in lay.nodes if n not in grid and lay.nodes[n].get("attachedToRef") is None]
    if missing:
        raise SystemExit(f"{path}: bpmn-auto-layout did not place {missing}")
    lay.place(grid)
    lay.write_di()
    lay.save()


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    for p in argv:
        relayout(p)
        print(f"laid out {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
