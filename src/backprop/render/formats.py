"""Choosing a writer: derivation formats by name, saved files by extension, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import RenderError

IMAGE_EXTENSIONS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
TEXT_EXTENSIONS = {".dot": "dot", ".gv": "dot", ".json": "json", ".txt": "text", ".md": "markdown",
                   ".tex": "latex"}
STEPPER_EXTENSIONS = {".html": "html", ".htm": "html", ".gif": "gif"}  # the steps, replayed
SAVE_EXTENSIONS = sorted(IMAGE_EXTENSIONS) + sorted(TEXT_EXTENSIONS) + sorted(STEPPER_EXTENSIONS)


DERIVATION_FORMATS = ("text", "ascii", "markdown", "latex")


def render_derivation(result, fmt: str = "text", *, wrt=None, standalone: bool = False, symbolic: bool = False,
                      hessian: bool = False) -> str:
    """The derivation in one of: text, ascii, markdown, latex (``standalone``: a whole document).

    ``wrt`` (input names) restricts the backward pass to the paths that reach them.
    """
    if fmt in ("text", "unicode", "ascii"):
        from .trace import render_trace

        return render_trace(result, ascii=fmt == "ascii", wrt=wrt, symbolic=symbolic, hessian=hessian)
    if fmt == "markdown":
        from .markdown import render_markdown

        return render_markdown(result, wrt=wrt, symbolic=symbolic, hessian=hessian)
    if fmt == "latex":
        from .latex import render_latex

        return render_latex(result, standalone=standalone, wrt=wrt, symbolic=symbolic, hessian=hessian)
    raise ValueError(f"unknown derivation format {fmt!r}: use one of {', '.join(DERIVATION_FORMATS)}")


def render_file(result, path: Path, **options) -> bytes:
    """The bytes of the file a path asks for, by its extension."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        from .dot import render_image

        return render_image(result, IMAGE_EXTENSIONS[suffix],
                            **_only(options, "rankdir", "max_nodes", "title", "timeout", "wrt"))
    if STEPPER_EXTENSIONS.get(suffix) == "html":
        from .stepper import render_html

        return render_html(result, **_only(options, "rankdir", "max_nodes", "title")).encode("utf-8")
    if STEPPER_EXTENSIONS.get(suffix) == "gif":
        from .gif import render_gif

        return render_gif(result, **_only(options, "rankdir", "max_nodes", "frame_ms"))
    kind = TEXT_EXTENSIONS.get(suffix)
    if kind == "dot":
        from .dot import render_dot

        return render_dot(result, **_only(options, "rankdir", "max_nodes", "wrt")).encode("utf-8")
    if kind == "json":
        from .export import render_json

        return render_json(result).encode("utf-8")
    if kind in ("text", "markdown", "latex"):
        return render_derivation(result, kind, **_only(options, "wrt", "standalone")).encode("utf-8")
    known = " ".join(SAVE_EXTENSIONS)
    raise RenderError(f"can not tell the output format from '{path.name}': use one of these extensions: {known}")


def _only(options: dict, *keys: str) -> dict:
    return {k: v for k, v in options.items() if k in keys}


def save(result, path: Path, **options) -> Path:
    """Render and write a file atomically; an existing file is replaced only on success."""
    data = render_file(result, path, **options)
    write_atomically(path, data)
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside the target, then rename it over the target."""
    import tempfile  # here, not at the top: start-up time matters for text-only runs

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        problem = "is a file, not a folder" if folder.exists() else "does not exist"
        raise RenderError(f"can not write {path}: the folder {folder} {problem}")
    if path.is_dir():
        raise RenderError(f"can not write {path}: it is a folder")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise RenderError(f"can not write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
