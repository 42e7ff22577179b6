"""Array programs in every format of the registry (render/formats.py dispatches here)."""

from __future__ import annotations

from ..errors import RenderError



def render_array(fmt, result, expand: bool = False, **options) -> bytes:
    """The bytes of one format for an array program; what arrays do not have yet is refused in one line."""
    if expand and fmt.name not in _DERIVATIONS:
        if fmt.name == "html":  # the stepper, like the scalar one, would be the place for them: say it is not
            asked = [flag for flag, key in (("--paths", "paths"), ("--hessian", "hessian")) if options.get(key)]
            if asked:
                _not_in_page(asked[0], fmt.name)
        # a diagram written beside an expanded derivation, which shows --paths and --hessian
        return render_array(fmt, result, **{k: v for k, v in options.items() if k not in ("paths", "hessian")})
    # --paths and --hessian are the scalar graph's: with --expand they are computed on it
    on_scalars = {key: options.pop(key) for key in ("paths", "hessian") if expand and options.get(key)}
    max_paths = options.get("max_paths", 50)
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
        document = expansion_json(result)
        if on_scalars:
            from .views import scalar_views_json

            document.update(scalar_views_json(result, max_paths=max_paths, **on_scalars))
        return _with_expansion_json(data, document)
    text = render_expansion(result, ascii=fmt.name == "ascii" or bool(options.get("ascii")))
    if on_scalars:
        from .views import scalar_views_text

        plain = fmt.name in ("ascii", "latex") or bool(options.get("ascii"))  # LaTeX's verbatim: ASCII
        text += scalar_views_text(result, max_paths=max_paths, ascii=plain, **on_scalars)
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
    sections = _take_views(fmt.name, result, options)  # --lint, --step, --mode forward, --cost
    if sections is not None:
        from .views import add_sections

        return add_sections(fmt.name, _render(fmt, result, **options), sections)
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
        from .edges import render_edges

        draw = render_edges if options.get("style") == "edges" else render_dot
        source = draw(result, rankdir=options.get("rankdir", "LR"), title=options.get("title"), wrt=wrt,
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


_DERIVATIONS = ("text", "ascii", "markdown", "latex", "json")


def _take_views(name: str, result, options: dict):
    """Take the array views out of ``options``: the sections (lint, step, forward mode, cost) to add to a derivation,
    or None when none is asked for; refuse --paths and --hessian with what to do instead."""
    from . import views

    views.refuse_scalar_views(options)
    asked = {key: options.pop(key, None) for key in ("lint", "step", "params", "cost")}
    mode = options.pop("mode", "reverse") or "reverse"
    options.pop("max_paths", None)
    if not (asked["lint"] or asked["step"] is not None or asked["cost"] or mode != "reverse"):
        return None
    if name not in _DERIVATIONS:
        flag = "--lint" if asked["lint"] else "--mode forward" if mode != "reverse" else "--cost" if asked["cost"] \
            else "--step"
        _not_in_page(flag, name)
    return views.compute(result, lint=bool(asked["lint"]), step=asked["step"], params=asked["params"],
                         forward=mode == "forward", cost=bool(asked["cost"]),
                         ascii=name == "ascii" or bool(options.get("ascii")), wrt=options.get("wrt"))


def _not_in_page(flag: str, name: str):
    raise RenderError(f"{flag} is written in an array program's derivation (text, markdown, latex, json), not "
                      f"in its {name} output yet: leave -o for the diagram, or print the derivation")


def _refuse(what: str):
    raise RenderError(f"{what} is not available for array programs yet: use text, markdown, latex, json, dot, png, "
                      f"svg, pdf, html or gif (docs/arrays.md)")
