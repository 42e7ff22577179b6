"""Result → a self-contained practice page: the stepper's graph, with a question before each step.

Before a step is revealed the learner types the node's value (forward) or gradient
(backward). Every number the page compares with, every hint and every step text comes from
Python: the answers and the wrong numbers each mistake model gives (``practice.quiz``, the
same questions as ``backprop quiz``), the local rules, and the stepper's own view of which
SVG parts each step lights up (``stepper.stepper_view``, ``stepper.annotate_svg``). The
script only compares the typed number with them, within the tolerance, and shows or hides.
"""

from __future__ import annotations

import html
import re
from importlib import resources

from ..practice.quiz import questions
from .dot import render_image
from .stepper import annotate_svg, script_json, stepper_view
from .trace import step_texts


def render_practice_page(result, *, tol: float = 0.01, rankdir: str = "LR") -> str:
    """The practice page of one evaluated program, as HTML text."""
    svg = annotate_svg(render_image(result, "svg", rankdir=rankdir).decode("utf-8"))
    view = stepper_view(result)
    asked = {q.step: q for q in questions(result)}
    steps = []
    for index, (step, text) in enumerate(zip(result.steps, step_texts(result))):
        question = asked.get(index)
        entry = {"phase": step.phase, "node": step.node, "text": text, "question": None}
        if question is not None:
            entry["question"] = {"prompt": question.prompt, "label": question.label, "answer": question.answer,
                                 "rule": question.rule,
                                 "mistakes": [{"value": v, "text": t} for v, t in question.mistakes]}
        steps.append(entry)
    data = {"view": view, "steps": steps, "tol": tol, "output": view["output"]}
    echo = result.graph.echo()
    heading = "; ".join(echo)
    replacements = {
        "TITLE": _escape(f"backprop practice: {heading}"),
        "ECHO": "\n".join(_escape(line) for line in echo),
        "START": _escape(view["start"]),
        "OUTPUT": _escape(view["output"]),
        "STEP_COUNT": str(len(steps)),
        "STEP_DIGITS": str(len(str(len(steps)))),
        "TOL": _escape(f"{tol * 100:g}% (or {tol / 10:g} near zero)"),
        "SVG": svg,
        "STYLE": _asset("practice.css"),
        "DATA": script_json(data),
        "SCRIPT": _asset("practice.js"),
    }
    return re.sub(r"@@([A-Z_]+)@@", lambda m: replacements[m.group(1)], _asset("practice.html"))


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("practice_assets", name).read_text(encoding="utf-8")
