"""The sections --lint, --step, --mode forward and --cost add to an array derivation, in each
derivation format (text, ASCII, Markdown, LaTeX, JSON), in the scalar derivation's order: the
forward-mode sweeps, then the cost, the lint findings and the step of gradient descent."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import RenderError


@dataclass
class Sections:
    result: object
    lint: bool
    nudge: object  # ArrayNudge or None
    forward: object  # ArrayForwardMode or None
    cost: dict | None
    ascii: bool = False  # the text derivation is in ASCII (--ascii, --format ascii)


def refuse_scalar_views(options: dict) -> None:
    """--paths and --hessian belong to the scalar graph: without --expand, say how to get them."""
    if options.get("paths"):
        raise RenderError("--paths lists each gradient as a sum over the paths of the scalar graph: add --expand "
                          "(tiny shapes) to list them on the program's scalar graph")
    if options.get("hessian"):
        raise RenderError("--hessian gives one second derivative per pair of scalar inputs: add --expand (tiny "
                          "shapes) to get it for every pair of input elements, on the program's scalar graph")


def _scalar_result(result):
    from ..api import differentiate
    from .expand import scalar_program

    program, inputs = scalar_program(result)
    if not inputs:
        raise RenderError("--paths and --hessian need an input: this program has none")
    return differentiate(program, inputs)


def scalar_views_text(result, *, paths: bool = False, hessian: bool = False, max_paths: int = 50,
                      ascii: bool = False) -> str:
    """--paths and --hessian on the expanded scalar graph, written by the scalar sections' own printers."""
    scalar = _scalar_result(result)
    lines: list[str] = []
    if hessian:
        from ..render.symbolic_views import hessian_text

        lines += hessian_text(scalar, False, ascii)
    if paths:
        from ..render.modes_views import modes_text

        lines += modes_text(scalar, paths=True, max_paths=max_paths, ascii=ascii)
    return "\n".join(lines) + "\n"


def scalar_views_json(result, *, paths: bool = False, hessian: bool = False, max_paths: int = 50) -> dict:
    """The ``hessian`` and ``paths`` keys of the JSON's ``expanded`` object (the scalar document's)."""
    scalar = _scalar_result(result)
    document = {}
    if hessian:
        from ..render.symbolic_views import hessian_json

        document["hessian"] = hessian_json(scalar)
    if paths:
        from ..render.modes_views import modes_json

        document.update(modes_json(scalar, paths=True, max_paths=max_paths))
    return document


def compute(result, *, lint: bool, step, params, forward: bool, cost: bool, ascii: bool = False, wrt=None) -> Sections:
    """The sections' data; ``wrt`` (a steps.Focus) limits forward mode's sweeps and the cost to the chosen inputs."""
    nudge = None
    if step is not None:
        from .step import take_array_step

        nudge = take_array_step(result, step, params)
    mode = None
    if forward:
        from .modes import forward_mode

        mode = forward_mode(result, wrt=wrt)
    counted = None
    if cost:
        from .modes import array_cost

        counted = array_cost(result, wrt)
    return Sections(result, lint, nudge, mode, counted, ascii)


def _section_lines(result, sections: Sections, style: str) -> list[str]:
    """The added sections' lines in one style: "text", "markdown" or "latex" (each view has a writer per style)."""
    from . import modes_views

    def titled(lines: list[str], title: str) -> list[str]:
        return lines if style == "text" else getattr(modes_views, f"{style}_section")(lines, title)

    lines: list[str] = []
    if sections.forward is not None:
        lines += titled(modes_views.forward_lines(result, sections.forward), "Forward mode")
    if sections.cost is not None:
        lines += titled(modes_views.cost_lines(result, sections.cost), "Cost of each mode")
    if sections.lint:
        from . import lint

        lines += getattr(lint, f"lint_{style}")(result)
    if sections.nudge is not None:
        from . import step

        lines += getattr(step, f"step_{style}")(sections.nudge)
    return lines


def add_sections(name: str, data: bytes, sections: Sections) -> bytes:
    """The derivation's bytes with the sections added: at the end of the text, Markdown and LaTeX
    (before a standalone document's end), as keys of the JSON object."""
    result = sections.result
    if name == "json":
        return _json(data, sections)
    text = data.decode("utf-8")
    if name in ("text", "ascii"):
        added = "\n".join(_section_lines(result, sections, "text")) + "\n"
        return (text + (to_ascii_section(added) if sections.ascii else added)).encode("utf-8")
    if name == "markdown":
        return (text + "\n".join(_section_lines(result, sections, "markdown")) + "\n").encode("utf-8")
    section = "\n".join(_section_lines(result, sections, "latex")) + "\n"
    end = "\\end{document}\n"
    text = text[: -len(end)] + section + end if text.endswith(end) else text + section
    return text.encode("utf-8")


def to_ascii_section(text: str) -> str:
    from .render import to_ascii

    plain = str.maketrans({"←": "<-", "‖": "|", "²": "^2", "∇": "grad ", "≤": "<=", "✓": "ok", "✗": "X",
                           "\u0307": "'", "–": "-"})
    return to_ascii(text.translate(plain))



def _json(data: bytes, sections: Sections) -> bytes:
    result = sections.result
    document = json.loads(data)
    if sections.forward is not None:
        from .modes_views import forward_json

        document["forward_mode"] = forward_json(result, sections.forward)
    if sections.cost is not None:
        document["cost"] = sections.cost
    if sections.lint:
        from .lint import lint_json

        document["lint"] = lint_json(result)
    if sections.nudge is not None:
        from .step import step_json

        document["step"] = step_json(sections.nudge)
    return (json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
