#!/usr/bin/env python3
"""Render BPMN files to PNG with the bpmn-js viewer in headless Chromium.

Usage: python tools/bpmn_layout/render.py bpmn/trip.bpmn [out.png] [--width 1800 --height 1000]
Writes <name>.png into /tmp unless an output path is given. Needs
`npm ci` here (bpmn-js) and /usr/bin/chromium.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def render(src, out, width, height):
    xml = open(src, encoding="utf-8").read()
    m = re.findall(r'<dc:Bounds x="(-?\d+)" y="(-?\d+)" width="(\d+)" height="(\d+)"', xml)
    maxx = max(int(a) + int(c) for a, b, c, d in m) + 60 if m else width
    maxy = max(int(b) + int(d) for a, b, c, d in m) + 60 if m else height
    width, height = max(width, maxx), max(height, maxy)
    viewer = os.path.join(HERE, "node_modules", "bpmn-js", "dist", "bpmn-viewer.production.min.js")
    tmp = tempfile.mkdtemp()
    html = os.path.join(tmp, "view.html")
    with open(html, "w", encoding="utf-8") as f:
        f.write(f"""<!doctype html><html><head><meta charset="utf-8">
<style>html,body,#c{{margin:0;width:{width}px;height:{height}px;background:#fff}}</style>
<script src="file://{viewer}"></script></head><body><div id="c"></div><script>
const v = new BpmnJS({{container: '#c'}});
v.importXML({json.dumps(xml)}).then(r => {{
  if (r.warnings.length) document.title = 'WARN ' + r.warnings.map(w => w.message).join(' | ');
}}).catch(e => {{ document.title = 'ERROR ' + e.message; }});
</script></body></html>""")
    chrome = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
    base = [
        chrome,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp}/profile",
        "--allow-file-access-from-files",
        "--virtual-time-budget=3000",
        f"--window-size={width},{height}",
    ]
    subprocess.run(base + [f"--screenshot={out}", f"file://{html}"], check=True, capture_output=True)
    # a second pass reads what bpmn-js said while importing (page title = WARN ... / ERROR ...)
    dom = subprocess.run(base + ["--dump-dom", f"file://{html}"], capture_output=True, text=True).stdout
    shutil.rmtree(tmp, ignore_errors=True)
    m = re.search(r"<title>(.*?)</title>", dom or "", re.S)
    problems = m.group(1) if m else ""
    if problems.strip():
        print(f"{src}: bpmn-js import problems: {problems.strip()}", file=sys.stderr)
    return out


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--height", type=int, default=600)
    a = ap.parse_args()
    out = a.out or os.path.join("/tmp", os.path.splitext(os.path.basename(a.src))[0] + ".png")
    print(render(a.src, out, a.width, a.height))
