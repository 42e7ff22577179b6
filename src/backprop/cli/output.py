"""Output planning: what --format and -o ask for, checked before any work; then stdout and files written."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from ..errors import RenderError
from ..options import DEFAULT_DIAGRAM, refuse_conflicts
from ..render.formats import FORMATS, Format, check_writable, format_for_path, missing_needs

DEFAULT_DIAGRAM_PATH = "backprop.png"


@dataclass(frozen=True)
class Plan:
    """Where each document of a run goes."""

    stdout: Format  # the derivation (or -o -'s document) printed on stdout
    file: Path | None  # -o FILE
    default_diagram: bool  # backprop.png: a bonus, so a failure is only a warning


def plan(given: dict[str, str], fmt: str, output: str | None, program_file: str | None) -> Plan:
    """Check -o, --format and their pairs before the program is even read."""
    if output == "":
        raise RenderError("-o needs a file name, such as -o graph.svg")
    target = Path(output) if output not in (None, "-") else None
    file_format = format_for_path(target) if target is not None else None
    outputs = refuse_conflicts(given, fmt, file_format.name if file_format else None)
    if target is not None:
        check_writable(target)
        if program_file not in (None, "-") and _same_file(target, Path(program_file)):
            raise RenderError(f"-o {output} would overwrite the program it reads (-f {program_file}): "
                              f"choose another output file")
    for chosen, by in ((file_format, f"-o {output}"), (FORMATS[fmt], f"--format {fmt}")):
        missing = missing_needs(chosen) if chosen is not None else []
        if missing:
            from ..render.formats import drawn_as
            from ..render.graphviz_program import missing_hint

            hint = f": {missing_hint(drawn_as(chosen))}" if "Graphviz" in missing[0] else ": install it with pip install pillow"
            raise RenderError(f"{missing[0]} is needed for {by} ({chosen.summary}){hint}")
    stdout = FORMATS[fmt]
    if stdout.binary and "--check" not in given and _is_terminal():
        raise RenderError(f"--format {fmt} is binary and stdout is a terminal: use -o FILE.{fmt}, or redirect stdout")
    return Plan(stdout, target, any(out.chosen_by == DEFAULT_DIAGRAM for out in outputs))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def stdout_takes_unicode() -> bool:
    """False for an ASCII-only stdout, and for the C or POSIX locale even in Python's UTF-8 mode.

    Python turns UTF-8 mode on by itself under LANG=C (PEP 538, 540), so the stream's
    encoding says utf-8 while the terminal may not be: the locale the user chose decides.
    """
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "∂×·₁−".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    chose_utf8 = os.environ.get("PYTHONIOENCODING") or os.environ.get("PYTHONUTF8") == "1" \
        or "utf8" in getattr(sys, "_xoptions", {})
    if sys.flags.utf8_mode and not chose_utf8 and sys.stdout is sys.__stdout__:
        locale = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
        return "utf-8" in locale.lower() or "utf8" in locale.lower()
    return True


def write_stdout(data) -> None:
    """Bytes on stdout, unchanged (the derivation is UTF-8; images are binary).

    ``data`` is bytes, or an iterable of bytes (a streaming writer's pieces), each written as it
    comes, so a big derivation starts to appear at once and is never held whole."""
    pieces = (data,) if isinstance(data, (bytes, bytearray)) else data
    stream = getattr(sys.stdout, "buffer", None)
    for piece in pieces:
        if stream is None:
            click.echo(piece.decode("utf-8", "replace"), nl=False)
        else:
            stream.write(piece)
    if stream is not None:
        stream.flush()


def stderr(message: str) -> None:
    try:
        click.echo(message, err=True)
    except (BrokenPipeError, UnicodeEncodeError):
        pass


def write_file(result, path: Path, *, default: bool, data: bytes | None = None, **options) -> None:
    """Save one file and say so on stderr; for the default diagram a failure is a warning.
    ``data``: the file's bytes when they were rendered already (to refuse before stdout)."""
    from ..render.dot import DEFAULT_MAX_NODES, drawn_size, nodes_to_draw, shown_phrase
    from ..render.formats import Saved, write_atomically

    options["max_nodes"] = options.get("max_nodes") or DEFAULT_MAX_NODES
    try:
        if data is not None:
            write_atomically(path, data)
            saved = Saved(path)
        else:
            saved = result.save(path, **options)
    except RenderError as error:
        if not default:
            raise
        stderr(f"Warning: no diagram written: {error.message}")
        return
    shown = nodes_to_draw(result.graph, options["max_nodes"])
    if shown is not None and saved.format.diagram:
        stderr(f"Note: the graph has {drawn_size(result.graph):,} boxes and circles, more than --max-nodes "
               f"{options['max_nodes']}: the diagram shows {shown_phrase(result.graph, shown)} (of "
               f"{len(result.graph.nodes):,} nodes), and summarises the rest")
    if saved.format.name == "gif" and not getattr(result, "is_array", False):
        _note_long_animation(result, options.get("frame_ms"))
    stderr(saved.message)


def _note_long_animation(result, frame_ms) -> None:
    """Say how long a GIF runs when it runs more than a minute (a class will not sit through it)."""
    from ..render.gif import DEFAULT_FRAME_MS, LONG_GIF_SECONDS, gif_seconds

    seconds = gif_seconds(result, frame_ms or DEFAULT_FRAME_MS)
    if seconds > LONG_GIF_SECONDS:
        minutes, rest = divmod(round(seconds), 60)
        stderr(f"Note: the animation runs {minutes} min {rest} s ({len(result.steps) + 1:,} frames, each shown for "
               f"a time that grows with its text); --frame-ms 500 shortens it, and -o steps.html lets a reader "
               f"step at their own pace")
