"""The handbook page as a standalone HTML document (stored when published) and its PDF, drawn with
WeasyPrint as the case documents are (``cases.renditions``), never inside the publishing step."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, select_autoescape

from workflows.cases.renditions import html_to_pdf

PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-size: 11pt; line-height: 1.5; } h1 { font-size: 18pt; } h2 { font-size: 13pt; margin-top: 14pt; }
.meta { color: #555; } .kind { font-size: 9pt; border: 1px solid #999; padding: 0 4pt; border-radius: 3pt; }
.lesson { background: #f4f6f8; padding: 6pt 8pt; border-left: 3pt solid #3a6; }
.en { color: #666; font-size: 9pt; }
</style></head><body>
<h1>{{ title }}</h1>
<p class="meta">服务案例手册 <span class="en">Service case handbook</span> · {{ month }} ·
  发布人 <span class="en">published by</span> {{ publisher }} · {{ published_at }}</p>
<p>共 {{ entries|length }} 个案例，供“情景模拟 + 复盘讨论”学习使用。
  <span class="en">{{ entries|length }} cases for role-play and review.</span></p>
{% for entry in entries %}
<h2>{{ loop.index }}. {{ "投诉" if entry.kind == "complaint" else "事件" }}
  <span class="en">{{ entry.kind }}</span> · 案件 <span class="en">case</span> #{{ entry.case_id }}</h2>
<p>{{ entry.summary }}</p>
<p class="lesson"><strong>经验教训 <span class="en">Lesson</span>：</strong>{{ entry.lesson }}</p>
{% endfor %}
</body></html>
"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def handbook_html(
    *, title: str, month: str, publisher: str, published_at: str, entries: list[dict[str, Any]]
) -> bytes:
    return (
        _env.from_string(PAGE)
        .render(title=title, month=month, publisher=publisher, published_at=published_at, entries=entries)
        .encode("utf-8")
    )


def handbook_pdf(html: bytes) -> bytes:
    return html_to_pdf(html)
