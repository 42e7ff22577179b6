"""Which program lays out a diagram: Graphviz's ``dot``, or graphviz-pure where dot is missing.

graphviz-pure (``pip install 'backprop[graphviz-pure]'``) is a Rust port of Graphviz 16.1 on
PyPI: one static program, with HTML-like labels, SVG and ``plain`` output. It stands in for
``dot`` for SVG and the HTML stepper only: its PNG has no glyph for the operand marks ① ②
(its built-in fonts lack them) and it writes no PDF. docs/benchmark.md ("Graphviz without
Graphviz") has the comparison, and why the WebAssembly build of Graphviz was not taken.

BACKPROP_GRAPHVIZ=dot or BACKPROP_GRAPHVIZ=graphviz-pure picks one of them; unset, dot wins.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
from pathlib import Path

from ..errors import RenderError

DOT = "dot"
PURE = "graphviz-pure"
PURE_FORMATS = ("svg", "plain")  # what graphviz-pure draws as well as dot does
ENVIRONMENT = "BACKPROP_GRAPHVIZ"
PURE_INSTALL = "pip install 'backprop[graphviz-pure]'"
# Without Cairo and Pango, graphviz-pure sizes text from Graphviz's built-in tables of font
# widths, which know one family per name, not our list "Helvetica,Arial,DejaVu Sans,sans-serif"
# (it falls back to the narrower Times, and the numbers overflow their boxes). It lays out with
# DejaVu Sans, the widest of the list, so the text fits whichever of them a viewer draws it in.
METRICS_FONT = "DejaVu Sans"


def choice() -> str | None:
    """BACKPROP_GRAPHVIZ: "dot", "graphviz-pure", or None when unset (dot if installed)."""
    value = os.environ.get(ENVIRONMENT, "").strip()
    if not value:
        return None
    if value not in (DOT, PURE):
        raise RenderError(f"{ENVIRONMENT}={value}: use {DOT} or {PURE} (or leave it unset)")
    return value


def find_pure() -> str | None:
    """The graphviz-pure program: on PATH, or beside this Python (a virtual environment not activated)."""
    found = shutil.which(PURE)
    if found is None:
        scripts = Path(sysconfig.get_path("scripts")) / (PURE + (".exe" if os.name == "nt" else ""))
        if scripts.is_file() and os.access(scripts, os.X_OK):
            found = str(scripts)
    return found


def program(fmt: str) -> tuple[str, str] | None:
    """(name, path) of the program that draws ``fmt``: dot first, graphviz-pure for SVG and plain."""
    wanted = choice()
    if wanted in (None, DOT):
        found = shutil.which(DOT)
        if found is not None:
            return DOT, found
        if wanted == DOT:
            return None
    if fmt not in PURE_FORMATS:
        return None
    found = find_pure()
    return (PURE, found) if found else None


def can_draw(fmt: str) -> bool:
    """Whether this machine can draw ``fmt`` (svg, png, pdf, plain) now; checked without running anything."""
    try:
        return program(fmt) is not None
    except RenderError:
        return False


def missing_hint(fmt: str) -> str:
    """How to get what draws ``fmt`` (the end of a one-line error that names what is missing)."""
    from .dot import INSTALL_GRAPHVIZ, INSTALL_HOW, OTHERWISE

    wanted = choice()
    if wanted == PURE and fmt in PURE_FORMATS:
        return f"{ENVIRONMENT}=graphviz-pure asks for graphviz-pure, which is not installed: {PURE_INSTALL}"
    if wanted == DOT:
        return f"{ENVIRONMENT}=dot asks for it: {INSTALL_HOW}"
    if fmt in PURE_FORMATS:
        return f"{INSTALL_GRAPHVIZ}; or, for SVG and the HTML stepper only, {PURE_INSTALL}{OTHERWISE}"
    if wanted == PURE or find_pure():
        return f"graphviz-pure draws SVG and the HTML stepper only (-o graph.svg, -o steps.html); {INSTALL_HOW}"
    return INSTALL_HOW


def missing_message(fmt: str) -> str:
    """The one-line error when nothing here draws ``fmt``."""
    from .dot import NEEDED

    if fmt not in PURE_FORMATS and (choice() == PURE or find_pure()):
        return f"Graphviz's 'dot' program is needed to draw {fmt.upper()}: {missing_hint(fmt)}"
    return f"{NEEDED}: {missing_hint(fmt)}"


def for_layout(name: str, source: str) -> tuple[str, str | None]:
    """The DOT as the program should read it, and the font name to give back to its SVG.

    graphviz-pure measures text in METRICS_FONT instead of the font our DOT names: the scalar
    diagrams' list, or the array diagrams' Helvetica (src/backprop/arrays/dot.py), which a
    browser without Helvetica draws in a wider font too.
    """
    if name != PURE:
        return source, None
    from .dot import FONT

    for font in (FONT, "Helvetica"):
        if f'fontname="{font}"' in source:
            return source.replace(f'fontname="{font}"', f'fontname="{METRICS_FONT}"'), font
    return source, None


def from_layout(fmt: str, output: bytes, font: str | None) -> bytes:
    """The program's SVG with our font back, so a viewer draws it in the font dot's SVG names."""
    if font is None or fmt != "svg":
        return output
    return output.replace(f'font-family="{METRICS_FONT}"'.encode(), f'font-family="{font}"'.encode())
