"""Array programs in every format of the registry (render/formats.py dispatches here)."""

from __future__ import annotations

from ..errors import RenderError

_SCALAR_ONLY = {"hessian": "--hessian", "cost": "--cost", "paths": "--paths",
                "lint": "--lint", "step": "--step"}


def render_array(fmt, result, expand: bool = False, **options) -> bytes:
    """The bytes of one format for an array program; what arrays do not have yet is refused in one line."""
    if expand and fmt.name not in ("text", "ascii", "markdown", "latex", "json"):
        return render_array(fmt, result, **options)  # a diagram written beside an expanded derivation
    symbolic = options.pop("symbolic", False)
    if symbolic and fmt.name == "html":
        options["formulas"] = True  # the stepper shows them below its steps
    data = _render(fmt, result, **options)
    if symbolic and fmt.name != "html":
        from .symbolic import with_formulas

        data = with_formulas(fmt.name, result, data, wrt=options.get("wrt"), ascii=bool(options.get("ascii")))
    if not expand:
        return data
    from .expand import expansion_json, render_expansion

    if fmt.name == "json":
        return _with_expansion_json(data, expansion_json(result))
    text = render_expansion(result, ascii=fmt.name == "ascii" or bool(options.get("ascii")))
    if fmt.name == "markdown":
        text = "\n## Expanded to scalars\n\n```text" + text + "```\n"
    elif fmt.name == "latex":
        text = "\\section*{Expanded to scalars}\n\\begin{verbatim}" + text + "\\end{verbatim}\n"
    return data + text.encode("utf-8")


def _with_expansion_json(data: bytes, expansion: dict) -> bytes:
    import json

    document = json.loads(data)
    document["expanded"] = expansion
    return (json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _render(fmt, result, **options) -> bytes:
    for key, flag in _SCALAR_ONLY.items():
        if options.get(key):
            raise RenderError(f"{flag} is not available for array programs yet (docs/arrays.md)")
    if options.get("style") == "edges":
        raise RenderError("--style edges is not available for array programs yet (docs/arrays.md)")
    if options.get("mode", "reverse") != "reverse":
        raise RenderError("--mode forward is not available for array programs yet (docs/arrays.md)")
    gradient = options.pop("graph", "forward") == "gradient"
    from . import render

    name = fmt.name
    if gradient:
        return _gradient_graph(name, result, options)
    wrt = options.get("wrt")  # a steps.Focus: the node ids --wrt keeps
    if name in ("text", "ascii"):
        return render.render_text(result, ascii=name == "ascii" or bool(options.get("ascii")), wrt=wrt).encode("utf-8")
    if name == "markdown":
        return render.render_markdown(result, wrt=wrt).encode("utf-8")
    if name == "latex":
        return render.render_latex(result, standalone=bool(options.get("standalone")), wrt=wrt).encode("utf-8")
    if name == "json":
        return render.render_json(result).encode("utf-8")
    if name in ("dot", "png", "svg", "pdf"):
        from .dot import render_dot

        source = render_dot(result, rankdir=options.get("rankdir", "LR"), title=options.get("title"), wrt=wrt,
                            max_nodes=options.get("max_nodes"))
        if name == "dot":
            return source.encode("utf-8")
        from ..render.dot import run_dot

        return run_dot(source, name)
    if name == "gif":
        from .gif import render_gif

        return render_gif(result, rankdir=options.get("rankdir", "LR"), **({"frame_ms": options["frame_ms"]}
                                                                          if options.get("frame_ms") else {}))
    if name == "html":
        from .stepper import render_html

        return render_html(result, rankdir=options.get("rankdir", "LR"), title=options.get("title"),
                           formulas=bool(options.get("formulas"))).encode("utf-8")
    _refuse(f"the {name} format")


def _gradient_graph(name: str, result, options) -> bytes:
    """--graph gradient: the backward pass as array operations, drawn (DOT, PNG, SVG, PDF)."""
    if name not in ("dot", "png", "svg", "pdf"):
        raise RenderError(f"--graph gradient draws DOT, PNG, SVG or PDF for array programs, not {name} "
                          f"(docs/arrays.md)")
    from .gradient_dot import render_gradient_dot

    source = render_gradient_dot(result, rankdir=options.get("rankdir", "LR"), title=options.get("title"))
    if name == "dot":
        return source.encode("utf-8")
    from ..render.dot import run_dot

    return run_dot(source, name)


def _refuse(what: str):
    raise RenderError(f"{what} is not available for array programs yet: use text, markdown, latex, json, dot, png, "
                      f"svg, pdf, html or gif (docs/arrays.md)")
