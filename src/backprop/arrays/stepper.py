"""The HTML stepper for array programs: one self-contained page with the diagram (shapes, small
values and gradients as tables) and the derivation's steps, one at a time (buttons or the arrow
keys), the current node outlined in the diagram. The steps are the JSON document's, so the page
says exactly what the text derivation says. Up to MAX_REVEAL_STEPS steps, the page holds one
drawing per step, revealed as the GIF reveals them ("?" for what is not computed yet); past that,
one drawing with every value, to keep the page small."""

from __future__ import annotations

import html
import json
import os
from concurrent.futures import ThreadPoolExecutor

from ..render.dot import run_dot
from ..render.stepper import script_json
from .dot import GRAD_COLOUR, VALUE_COLOUR, render_dot
from .gif import reveal_schedule
from .render import render_json

MAX_REVEAL_STEPS = 40  # one inline SVG per step up to here (about 25 kB each); past it, one drawing

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fff; }
header { padding: 12px 20px; border-bottom: 1px solid #ddd; display: flex; gap: 16px; align-items: center;
         flex-wrap: wrap; }
h1 { font-size: 17px; margin: 0; font-family: ui-monospace, monospace; font-weight: 600; }
button { font: inherit; padding: 4px 14px; border: 1px solid #999; border-radius: 6px; background: #f5f5f7;
         cursor: pointer; }
button:disabled { opacity: .4; cursor: default; }
#diagram { overflow: auto; padding: 10px 20px; }
#diagram svg { max-width: 100%; height: auto; }
#panel { padding: 8px 20px 24px; border-top: 1px solid #ddd; }
#phase { font-weight: 600; }
#text, #formulas pre { font: 14px/1.5 ui-monospace, monospace; white-space: pre-wrap; margin: 6px 0 0; }
#formulas { padding: 8px 20px 24px; border-top: 1px solid #ddd; }
#formulas h2 { font-size: 15px; margin: 0; }
.bp-single .bp-current > path { stroke: #e8590c !important; stroke-width: 4px; }
@media (prefers-color-scheme: dark) {
  body { background: #1c1c1e; color: #f2f2f7; } button { background: #2c2c2e; color: #f2f2f7; }
  #diagram svg { background: #fff; border-radius: 6px; }
}
"""

_SCRIPT = """
(function () {
  const data = JSON.parse(document.getElementById('bp-data').textContent);
  const steps = data.steps;
  const counter = document.getElementById('counter'), text = document.getElementById('text');
  const phase = document.getElementById('phase');
  const prev = document.getElementById('prev'), next = document.getElementById('next');
  // one drawing per step (revealed as computed), or one drawing for every step
  const frames = document.querySelectorAll('#diagram .bp-frame');
  let index = 0;
  function show() {
    const step = steps[index];
    const scope = frames.length > 1 ? frames[index] : document;
    frames.forEach(function (frame, k) { frame.hidden = frames.length > 1 && k !== index; });
    document.querySelectorAll('.bp-current').forEach(function (g) { g.classList.remove('bp-current'); });
    scope.querySelectorAll('g.node').forEach(function (g) {
      const title = g.querySelector('title');
      if (title && title.textContent === 'v' + step.node) g.classList.add('bp-current');
    });
    counter.textContent = 'Step ' + (index + 1) + ' of ' + steps.length;
    phase.textContent = step.phase === 'forward' ? 'Forward pass' : 'Backward pass';
    text.textContent = step.text;
    prev.disabled = index === 0;
    next.disabled = index === steps.length - 1;
  }
  prev.addEventListener('click', function () { if (index > 0) { index -= 1; show(); } });
  next.addEventListener('click', function () { if (index < steps.length - 1) { index += 1; show(); } });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'ArrowRight') next.click();
    if (event.key === 'ArrowLeft') prev.click();
  });
  show();
})();
"""


def render_html(result, *, rankdir: str = "LR", title: str | None = None, formulas: bool = False, **_) -> str:
    """The page, self-contained: inline SVG, style, script and the JSON document (docs/json.md);
    ``formulas`` (--symbolic) adds each gradient as a matrix formula below the steps."""
    document = json.loads(render_json(result))
    drawings = _drawings(result, document["steps"], rankdir)
    frames = "".join(f'<div class="bp-frame"{" hidden" if k else ""}>{svg}</div>' for k, svg in enumerate(drawings))
    single = ' class="bp-single"' if len(drawings) == 1 else ""
    program = "; ".join(text for _, _, text in result.graph.statements)
    heading = html.escape(title or program)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>backprop: {heading}</title><style>{_STYLE}</style></head><body>"
            f'<header><h1>{heading}</h1><button id="prev">◀ Previous</button><span id="counter"></span>'
            f'<button id="next">Next ▶</button></header>'
            f'<div id="diagram"{single}>{frames}</div>'
            f'<section id="panel"><div id="phase"></div><pre id="text"></pre></section>'
            f"{_formulas_section(result) if formulas else ''}"
            f'<script type="application/json" id="bp-data">{script_json(document)}</script>'
            f"<script>{_SCRIPT}</script></body></html>\n")


def _drawings(result, steps: list[dict], rankdir: str) -> list[str]:
    """The SVG of each step, what is not computed yet written "?" and the step's node outlined in its
    pass's colour; past MAX_REVEAL_STEPS, one SVG with every value (the script outlines the step's node)."""
    if len(steps) > MAX_REVEAL_STEPS or not steps:
        sources = [render_dot(result, rankdir=rankdir)]
    else:
        sources = [render_dot(result, rankdir=rankdir, reveal=known, current=step["node"],
                              current_colour=VALUE_COLOUR if step["phase"] == "forward" else GRAD_COLOUR)
                   for known, step in zip(reveal_schedule(result, steps)[1:], steps)]
    with ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1))) as pool:
        svgs = list(pool.map(lambda source: run_dot(source, "svg").decode("utf-8"), sources))
    return [svg[svg.index("<svg"):] for svg in svgs]  # the XML prologue and DOCTYPE do not belong inside HTML


def _formulas_section(result) -> str:
    """--symbolic: the formulas as the text derivation prints them (arrays/symbolic.py)."""
    from .symbolic import formulas_text

    heading, *lines = formulas_text(result).strip("\n").split("\n")
    body = "\n".join(line[2:] if line.startswith("  ") else line for line in lines)
    return f'<section id="formulas"><h2>{html.escape(heading)}</h2><pre>{html.escape(body)}</pre></section>'
