"""Problems → Moodle XML: numerical questions a course imports into its question bank.

Each problem gives one question for the output's value and one per input gradient, each
with its numeric answer and an absolute tolerance (``tol`` relative to the answer, as
``backprop grade`` accepts, never less than tol/10), and the program, the inputs and, when
Graphviz is there, the blank graph as an embedded picture.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

from ..graph import display_name
from ..numfmt import format_number, shortest


def moodle_xml(problems, *, tol: float = 0.01, category: str = "backprop", pictures: bool = True) -> str:
    """The questions as a Moodle XML document."""
    quiz = ET.Element("quiz")
    head = ET.SubElement(quiz, "question", type="category")
    _text(ET.SubElement(head, "category"), f"$course$/top/{category}")
    for number, problem in enumerate(problems, start=1):
        result = problem.result()
        graph = result.graph
        out = display_name(result.output)
        program = "; ".join(graph.echo())
        given = ", ".join(f"{name} = {format_number(v)}" for name, v in result.inputs.items())
        picture = _blank_graph_png(result) if pictures else None
        asked = [(f"the value of {out}", result.value, "value")]
        asked += [(f"∂{out}/∂{display_name(graph.nodes[i].name)}", result.grads[i], "gradient") for i in graph.inputs]
        for what, answer, kind in asked:
            question = ET.SubElement(quiz, "question", type="numerical")
            _text(ET.SubElement(question, "name"), f"Problem {number}: {what} ({problem.family})")
            body = (f"<p>{_html(program)}</p><p>with {_html(given)}.</p>"
                    f"<p>Compute {_html(what)}{' by backpropagation' if kind == 'gradient' else ''}.</p>")
            if picture is not None:
                body += f'<p><img src="@@PLUGINFILE@@/problem-{number}.png" alt="The graph of problem {number}"></p>'
            text_element = ET.SubElement(question, "questiontext", format="html")
            _text(text_element, body)
            if picture is not None:
                file = ET.SubElement(text_element, "file", name=f"problem-{number}.png", path="/", encoding="base64")
                file.text = base64.b64encode(picture).decode("ascii")
            _text(ET.SubElement(question, "generalfeedback", format="html"),
                  f"<pre>{_html(_derivation(result))}</pre>")
            ET.SubElement(question, "defaultgrade").text = "1"
            ET.SubElement(question, "penalty").text = "0.3333333"
            ET.SubElement(question, "hidden").text = "0"
            right = ET.SubElement(question, "answer", fraction="100", format="moodle_auto_format")
            _text(right, shortest(answer))
            ET.SubElement(right, "tolerance").text = shortest(tolerance(answer, tol))
            _text(ET.SubElement(right, "feedback", format="html"), "<p>Right.</p>")
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


def tolerance(answer: float, tol: float) -> float:
    """The absolute tolerance Moodle checks: tol relative to the answer, at least tol/10 (as grade's)."""
    return float(f"{tol * max(abs(answer), 0.1):.3g}")


def _text(parent, text: str) -> None:
    ET.SubElement(parent, "text").text = text


def _html(text: str) -> str:
    import html

    return html.escape(text, quote=False)


def _derivation(result) -> str:
    return result.derivation("text")


def _blank_graph_png(result) -> bytes | None:
    from ..errors import RenderError
    from ..render.dot import render_dot, run_dot
    from ..render.gif import frame_dot

    try:
        return run_dot(frame_dot(result, render_dot(result, rankdir="TB"), 0), "png")  # fits a page's width
    except RenderError:  # no Graphviz: the questions stand without their picture
        return None
