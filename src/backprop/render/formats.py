"""The format registry: every way to write a result, by name and by file extension.

One ``Format`` entry per format: its name (``--format NAME``), its extensions (``-o FILE.EXT``),
its writer (imported only when used), the options the writer takes, the programs or
packages it needs, and the noun of the "… written to PATH" message. ``--format``, ``-o``,
``--help``, ``Result.save`` and docs/guide.md all read ``FORMATS``: a new format is one entry
here plus its writer. Files are written atomically.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..errors import RenderError

DIAGRAM_OPTIONS = frozenset({"rankdir", "max_nodes", "title"})
# sections the derivation and JSON can add
VIEW_OPTIONS = frozenset({"symbolic", "hessian", "mode", "cost", "paths", "max_paths", "lint", "expand"})  # expand: arrays
SYMBOLIC_OPTIONS = frozenset({"symbolic", "hessian"})  # what the HTML stepper shows beside its steps
NUDGE_OPTIONS = frozenset({"step", "params"})  # --step LR [--params a,b]: one step of gradient descent, after it


@dataclass(frozen=True)
class Format:
    """One output format: how it is named, written and reported."""

    name: str
    extensions: tuple[str, ...]  # the first is the one the docs show
    summary: str  # one line for --help and the docs
    noun: str  # "Diagram written to PATH"
    write: Callable[..., bytes]  # write(result, **options) -> bytes
    options: frozenset[str] = frozenset()  # the keyword options write() takes
    needs: tuple[str, ...] = ()  # "graphviz", "pillow"
    binary: bool = False
    diagram: bool = False  # draws the graph (so --rankdir and --max-nodes apply)
    chunks: Callable[..., Iterator[str]] | None = None  # the same text in pieces, as it is made (big documents)

    def render(self, result, **options) -> bytes:
        """The bytes of this format; options it does not take are left out."""
        expand = options.pop("expand", None)  # --expand: array programs only (docs/arrays.md)
        options = {k: v for k, v in options.items() if k in self.options and v is not None}
        if getattr(result, "is_array", False):  # an array program: its own writers (arrays/formats.py)
            from ..arrays.formats import render_array

            return render_array(self, result, expand=expand, **options)
        if expand:
            raise RenderError("--expand writes an array program as scalars: this program is already scalar")
        return self.write(result, **options)

    def render_chunks(self, result, **options) -> Iterator[bytes]:
        """``render``'s bytes in pieces, each as soon as it is made: a writer that streams never
        holds a big document whole, so memory stays bounded by the graph."""
        if self.chunks is None or options.get("expand") or getattr(result, "is_array", False):
            yield self.render(result, **options)  # array programs and --expand: render's own dispatch
            return
        chosen = {k: v for k, v in options.items() if k in self.options and k != "expand" and v is not None}
        for chunk in self.chunks(result, **chosen):
            yield chunk.encode("utf-8")


def _nudge(result, step, params):
    """The --step section's data, or None without --step (``params``: names, or "a,b" as typed)."""
    if step is None:
        return None
    from ..train.nudge import step_options, take_step

    return take_step(result, step, step_options(result, step, params))


def _text(result, *, wrt=None, ascii: bool = False, step=None, params=None, **views) -> bytes:
    from .trace import render_trace

    text = render_trace(result, ascii=ascii, wrt=wrt, **views)
    nudge = _nudge(result, step, params)
    if nudge is not None:
        from .nudge_views import nudge_text

        text += "\n".join(nudge_text(nudge, ascii)) + "\n"
    return text.encode("utf-8")


def _ascii(result, **options) -> bytes:
    return _text(result, ascii=True, **options)


def _text_chunks(result, *, wrt=None, ascii: bool = False, step=None, params=None, **views) -> Iterator[str]:
    from .trace import trace_chunks

    yield from trace_chunks(result, ascii=ascii, wrt=wrt, **views)
    nudge = _nudge(result, step, params)
    if nudge is not None:
        from .nudge_views import nudge_text

        yield "\n".join(nudge_text(nudge, ascii)) + "\n"


def _ascii_chunks(result, **options) -> Iterator[str]:
    return _text_chunks(result, ascii=True, **options)


def _json_chunks(result, *, step=None, params=None, **views) -> Iterator[str]:
    if step is not None:  # the step's section sits inside the object: written whole (one step is small)
        yield _json(result, step=step, params=params, **views).decode("utf-8")
        return
    from .export import json_chunks

    yield from json_chunks(result, **views)


def _markdown(result, *, wrt=None, step=None, params=None, **views) -> bytes:
    from .markdown import render_markdown

    text = render_markdown(result, wrt=wrt, **views)
    nudge = _nudge(result, step, params)
    if nudge is not None:
        from .nudge_views import nudge_markdown

        text += "\n".join(nudge_markdown(nudge)) + "\n"
    return text.encode("utf-8")


def _latex(result, *, wrt=None, standalone: bool = False, step=None, params=None, **views) -> bytes:
    from .latex import render_latex

    text = render_latex(result, standalone=standalone, wrt=wrt, **views)
    nudge = _nudge(result, step, params)
    if nudge is not None:
        from .nudge_views import nudge_latex

        section = "\n".join(nudge_latex(nudge)) + "\n"
        end = "\\end{document}\n"
        text = text[: -len(end)] + section + end if text.endswith(end) else text + section
    return text.encode("utf-8")


def _markdown_chunks(result, *, wrt=None, step=None, params=None, **views) -> Iterator[str]:
    from .markdown import markdown_chunks

    yield from markdown_chunks(result, wrt=wrt, **views)
    nudge = _nudge(result, step, params)
    if nudge is not None:
        from .nudge_views import nudge_markdown

        yield "\n".join(nudge_markdown(nudge)) + "\n"


def _latex_chunks(result, *, wrt=None, standalone: bool = False, step=None, params=None, **views) -> Iterator[str]:
    from .latex import latex_chunks

    appendix = []
    nudge = _nudge(result, step, params)  # its section ends the body, before \end{document}
    if nudge is not None:
        from .nudge_views import nudge_latex

        appendix = nudge_latex(nudge)
    yield from latex_chunks(result, standalone, wrt=wrt, appendix=appendix, **views)


def _json(result, *, step=None, params=None, **views) -> bytes:
    from .export import render_json

    nudge = _nudge(result, step, params)
    if nudge is None:
        return render_json(result, **views).encode("utf-8")
    import json

    from .export import INDENT_LIMIT, json_document
    from .nudge_views import nudge_json

    document = json_document(result, **views)
    document["step"] = nudge_json(nudge)
    indent = None if len(result.graph.nodes) > INDENT_LIMIT else 2
    return (json.dumps(document, indent=indent, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _drawn(result, options: dict):
    """What a diagram draws: the result's graph, or (graph="gradient") the gradient graph."""
    if options.pop("graph", "forward") == "gradient":
        options.pop("wrt", None)
        return result.gradient_graph()
    return result


def _dot(result, **options) -> bytes:
    from .dot import render_dot

    return render_dot(_drawn(result, options), **options).encode("utf-8")


def _image(fmt: str):
    def write(result, **options) -> bytes:
        from .dot import render_image

        return render_image(_drawn(result, options), fmt, **options)

    return write


def _html(result, **options) -> bytes:
    from .stepper import render_html

    return render_html(result, **options).encode("utf-8")


def _gif(result, **options) -> bytes:
    from .gif import render_gif

    return render_gif(result, **options)


_IMAGE = DIAGRAM_OPTIONS | {"wrt", "timeout", "graph", "style"}  # style: the stepper and GIF restyle boxes only
FORMATS: dict[str, Format] = {f.name: f for f in [
    Format("text", (".txt",), "the derivation, step by step", "Derivation", _text,
           frozenset({"wrt", "ascii"}) | VIEW_OPTIONS | NUDGE_OPTIONS, chunks=_text_chunks),
    Format("ascii", (), "the derivation in plain ASCII (dL/da, *)", "Derivation", _ascii,
           frozenset({"wrt"}) | VIEW_OPTIONS | NUDGE_OPTIONS, chunks=_ascii_chunks),
    Format("markdown", (".md",), "the derivation as Markdown with $math$", "Derivation", _markdown,
           frozenset({"wrt"}) | VIEW_OPTIONS | NUDGE_OPTIONS, chunks=_markdown_chunks),
    Format("latex", (".tex",), "the derivation as LaTeX (--standalone: a whole document)", "Derivation", _latex,
           frozenset({"wrt", "standalone"}) | VIEW_OPTIONS | NUDGE_OPTIONS, chunks=_latex_chunks),
    Format("json", (".json",), "one strict JSON object (docs/json.md)", "JSON", _json,
           VIEW_OPTIONS | NUDGE_OPTIONS, chunks=_json_chunks),
    Format("dot", (".dot", ".gv"), "the diagram as Graphviz DOT source", "Diagram", _dot,
           DIAGRAM_OPTIONS | {"wrt", "graph", "style"}, diagram=True),
    Format("png", (".png",), "the diagram as a PNG image", "Diagram", _image("png"), _IMAGE, ("graphviz",),
           binary=True, diagram=True),
    Format("svg", (".svg",), "the diagram as an SVG image", "Diagram", _image("svg"), _IMAGE, ("graphviz",),
           diagram=True),
    Format("pdf", (".pdf",), "the diagram as a PDF page", "Diagram", _image("pdf"), _IMAGE, ("graphviz",),
           binary=True, diagram=True),
    Format("html", (".html", ".htm"), "the interactive stepper, one self-contained page", "Stepper", _html,
           DIAGRAM_OPTIONS | SYMBOLIC_OPTIONS | {"mode", "cost", "paths", "max_paths", "lint"}, ("graphviz",), diagram=True),
    Format("gif", (".gif",), "the steps as an animation (--frame-ms per frame)", "Animation", _gif,
           frozenset({"rankdir", "max_nodes", "frame_ms"}), ("graphviz", "pillow"), binary=True, diagram=True),
]}
BY_EXTENSION = {extension: f for f in FORMATS.values() for extension in f.extensions}
SAVE_EXTENSIONS = list(BY_EXTENSION)
DERIVATION_FORMATS = ("text", "ascii", "markdown", "latex")
NEEDS = {  # what each need is, and how to check for it without importing it
    "graphviz": "Graphviz's 'dot' program",
    "pillow": "the Python package Pillow",
}


def format_for_path(path: Path) -> Format:
    """The format a file name asks for, by its extension."""
    found = BY_EXTENSION.get(Path(path).suffix.lower())
    if found is None and Path(path).is_dir():  # -o results/: a folder has no format to tell
        raise RenderError(f"can not write {path}: it is a folder (name a file in it, such as "
                          f"{Path(path) / 'graph.png'})")
    if found is None:
        known = " ".join(SAVE_EXTENSIONS)
        raise RenderError(f"can not tell the output format from '{Path(path).name}': "
                          f"use one of these extensions: {known}")
    return found


def missing_needs(fmt: Format) -> list[str]:
    """The needs of a format this machine lacks (checked cheaply, before any work)."""
    import importlib.util

    def graphviz() -> bool:
        from .graphviz_program import can_draw  # only for a format that draws

        return can_draw(drawn_as(fmt))

    present = {"graphviz": graphviz,
               "pillow": lambda: importlib.util.find_spec("PIL") is not None}
    return [NEEDS[need] for need in fmt.needs if not present[need]()]


def drawn_as(fmt: Format) -> str:
    """The picture Graphviz draws for a format: the HTML stepper inlines SVG, a GIF's frames are PNG."""
    return {"html": "svg", "gif": "png"}.get(fmt.name, fmt.name)


def render_derivation(result, fmt: str = "text", *, wrt=None, standalone: bool = False, symbolic: bool = False,
                      hessian: bool = False, **views) -> str:
    """The derivation in one of: text, ascii, markdown, latex (``standalone``: a whole document).

    ``wrt`` (input names) restricts the backward pass to the paths that reach them.
    """
    if fmt == "unicode":
        fmt = "text"
    if fmt not in DERIVATION_FORMATS:
        raise ValueError(f"unknown derivation format {fmt!r}: use one of {', '.join(DERIVATION_FORMATS)}")
    return FORMATS[fmt].render(result, wrt=wrt, standalone=standalone, symbolic=symbolic,
                               hessian=hessian, **views).decode("utf-8")


def render_file(result, path: Path, **options) -> bytes:
    """The bytes of the file a path asks for, by its extension."""
    return format_for_path(path).render(result, **options)


class Saved(type(Path())):
    """The path ``save`` wrote, which also knows what to tell the user about it."""

    @property
    def format(self) -> Format:
        return format_for_path(self)

    @property
    def message(self) -> str:
        """"Diagram written to graph.svg", "Stepper written to steps.html", …"""
        return f"{self.format.noun} written to {self}"


def save(result, path: Path, **options) -> Saved:
    """Render and write a file atomically; an existing file is replaced only on success.

    Returns the path, whose ``message`` is what the command line prints about it. A streaming
    format is written into the temporary file as it is produced.
    """
    write_atomically(path, format_for_path(path).render_chunks(result, **options))
    return Saved(path)


def write_atomically(path: Path, data) -> None:
    """Write to a temporary file beside the target, then rename it over the target.

    ``data`` is bytes, or an iterable of bytes written piece by piece (a failure half-way, even
    Ctrl-C, leaves the target as it was)."""
    import tempfile  # here, not at the top: start-up time matters for text-only runs

    check_writable(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise RenderError(f"can not write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(data, (bytes, bytearray)):
                stream.write(data)
            else:
                for chunk in data:
                    stream.write(chunk)
        if path.exists():
            try:
                os.chmod(temporary, path.stat().st_mode & 0o777)
            except OSError:
                pass
        else:
            os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(error, OSError):
            raise RenderError(f"can not write {path}: {error.strerror or error}") from None
        raise


def check_writable(path: Path) -> None:
    """Raise RenderError now if ``path`` can not be written: its folder is missing, or it is a folder."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        problem = "is a file, not a folder" if folder.exists() else "does not exist"
        raise RenderError(f"can not write {path}: the folder {folder} {problem}")
    if path.is_dir():
        raise RenderError(f"can not write {path}: it is a folder")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
