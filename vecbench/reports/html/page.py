"""The page around the sections: one HTML file with inline CSS, inline SVG and one small script.

Jinja2 autoescapes every value; sections arrive as ``Markup`` built by escaping helpers. A
Content-Security-Policy allows nothing from the network and only this page's own style and script
(by hash), so even a string that escaped escaping could neither run nor load anything.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime, timezone

import jinja2
from markupsafe import Markup

from vecbench.reports.html.sections import Section

CSS = """
:root { --ink: #1f2328; --muted: #656d76; --line: #d8dee4; --accent: #1d4e89; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: #f3f4f6; }
header { background: #15253a; color: #fff; padding: 10px 28px 9px; }
header h1 { margin: 0; font-size: 21px; font-weight: 650; }
header p { margin: 4px 0 0; color: #c9d3df; }
nav { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line);
  padding: 6px 28px; display: flex; flex-wrap: wrap; gap: 4px 16px; }
nav a { color: var(--accent); text-decoration: none; font-size: 13px; }
nav a:hover { text-decoration: underline; }
main { max-width: 1500px; margin: 0 auto; padding: 4px 24px 40px; }
section { scroll-margin-top: 64px; background: #fff; border: 1px solid var(--line); border-radius: 8px; margin: 14px 0;
  padding: 12px 18px 16px; }
section h2 { margin: 2px 0 6px; font-size: 17px; }
section h3 { margin: 14px 0 6px; font-size: 14px; color: var(--muted); font-weight: 600; }
.note { color: var(--muted); margin: 4px 0 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(250px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-left: 4px solid #8a99ab; border-radius: 6px;
  padding: 6px 12px; min-width: 0; }
.card.good { border-left-color: #2a9d4b; }
.card.warn { border-left-color: #c83b3b; }
.card-kind { font-size: 11px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.card-main { font-size: 15px; font-weight: 600; overflow-wrap: anywhere; }
.card-detail { color: var(--muted); font-size: 12.5px; overflow-wrap: anywhere; }
.plots { display: flex; flex-wrap: wrap; gap: 10px; align-items: flex-start; }
figure.plot-box { margin: 0; border: 1px solid var(--line); border-radius: 6px; overflow: hidden;
  max-width: 100%; width: fit-content; }
svg.plot { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 12.5px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #eaeef2; text-align: left; vertical-align: top; }
td[data-v] { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
thead th { background: #eef2f6; position: sticky; top: 0; white-space: nowrap; }
table.sortable thead th { cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
.scroll td:first-child { min-width: 220px; }
.scroll { max-height: 640px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
td.better { background: #dcf3e0; }
td.worse { background: #fbdcdc; }
td.error, td.worse-text { color: #b42318; }
td.ok { color: #1a7f37; }
td.changed { background: #fff4c2; }
td.worst { color: #b42318; font-weight: 600; }
span.delta { display: block; font-size: 11px; color: var(--muted); }
.warn-text { color: #b42318; }
td.scope-all { font-weight: 600; }
.muted { color: var(--muted); }
.side { flex: 1 1 360px; min-width: 360px; max-width: 640px; overflow-x: auto; }
.below { margin-top: 10px; overflow-x: auto; }
.below h4, .side h4 { margin: 0 0 4px; font-size: 13px; color: var(--muted); }
.side td:first-child { white-space: nowrap; }
.compare { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.compare > div { min-width: 0; overflow-x: auto; }
.compare h4 { margin: 0 0 6px; font-size: 13px; color: var(--accent); }
code { background: #eef2f6; padding: 0 4px; border-radius: 4px; }
"""

SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.querySelectorAll("thead th");
  heads.forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = a.cells[col], y = b.cells[col], result;
        var xv = x && x.hasAttribute("data-v") ? parseFloat(x.getAttribute("data-v")) : null;
        var yv = y && y.hasAttribute("data-v") ? parseFloat(y.getAttribute("data-v")) : null;
        if (xv !== null && yv !== null) { result = xv - yv; }
        else if (xv !== null) { result = -1; }
        else if (yv !== null) { result = 1; }
        else { result = (x ? x.textContent : "").localeCompare(y ? y.textContent : ""); }
        return ascending ? result : -result;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<link rel="icon" href="data:,">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<p>{{ subtitle }}</p>
</header>
<nav>{% for section in sections %}<a href="#{{ section.id }}">{{ section.title }}</a>{% endfor %}</nav>
<main>
{% for section in sections %}<section id="{{ section.id }}" class="report-section">
<h2>{{ section.title }}</h2>
{{ section.body }}
</section>
{% endfor %}</main>
<script>{{ script }}</script>
</body>
</html>
"""


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def content_security_policy() -> str:
    return (
        f"default-src 'none'; img-src data:; style-src '{_sha256(CSS)}'; "
        f"script-src '{_sha256(SCRIPT)}'; base-uri 'none'; form-action 'none'"
    )


def render_page(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """The whole HTML document as text."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(TEMPLATE)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return template.render(
        title=title,
        subtitle=f"{subtitle} · report written {stamp}",
        sections=sections,
        css=Markup(CSS),
        script=Markup(SCRIPT),
        csp=content_security_policy(),
    )
