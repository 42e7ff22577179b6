"""Array programs in every format of the registry (render/formats.py dispatches here)."""

from __future__ import annotations

from ..errors import RenderError

_SCALAR_ONLY = {"symbolic": "--symbolic", "hessian": "--hessian", "cost": "--cost", "paths": "--paths",
                "wrt": "--wrt"}


def render_array(fmt, result, **options) -> bytes:
    """The bytes of one format for an array program; what arrays do not have yet is refused in one line."""
    for key, flag in _SCALAR_ONLY.items():
        if options.get(key):
            raise RenderError(f"{flag} is not available for array programs yet (docs/arrays.md)")
    if options.get("mode", "reverse") != "reverse":
        raise RenderError("--mode forward is not available for array programs yet (docs/arrays.md)")
    options.pop("graph", None) if options.get("graph", "forward") == "forward" else _refuse("--graph gradient")
    from . import render

    name = fmt.name
    if name in ("text", "ascii"):
        return render.render_text(result, ascii=name == "ascii" or bool(options.get("ascii"))).encode("utf-8")
    if name == "markdown":
        return render.render_markdown(result).encode("utf-8")
    if name == "latex":
        return render.render_latex(result, standalone=bool(options.get("standalone"))).encode("utf-8")
    if name == "json":
        return render.render_json(result).encode("utf-8")
    if name in ("dot", "png", "svg", "pdf"):
        from .dot import render_dot

        source = render_dot(result, rankdir=options.get("rankdir", "LR"), title=options.get("title"))
        if name == "dot":
            return source.encode("utf-8")
        from ..render.dot import run_dot

        return run_dot(source, name)
    _refuse(f"the {name} format")


def _refuse(what: str):
    raise RenderError(f"{what} is not available for array programs yet: use text, markdown, latex, json, dot, png, "
                      f"svg or pdf (docs/arrays.md)")
