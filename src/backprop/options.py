"""Which options combine: one row per view or modifier, checked before any work is done.

A run prints one document on stdout (``--format``, the derivation by default; a *view* such
as ``--check`` replaces the derivation) and may write one file (``-o``, or the default
diagram). A *modifier* (``--wrt``, ``--ascii``, ``--rankdir`` …) changes some formats: it is
refused when no output of the run is one of them, or when an output can not honour it. So
every pair of options either composes or is refused with one line naming both; nothing is
silently ignored. A new view or modifier is one row (tests/test_options_matrix.py walks
every pair through the command line).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import BackpropError
from .render.formats import FORMATS

TEXT = frozenset({"text", "ascii"})


def _taking(option: str) -> frozenset[str]:
    """The formats whose writer takes this option (the registry says), so a new format needs no row."""
    return frozenset(name for name, f in FORMATS.items() if option in f.options)


def _checked(formats) -> frozenset[str]:
    """The stdout kinds of --check printed in these formats."""
    return frozenset(f"check:{name}" for name in formats)


@dataclass(frozen=True)
class View:
    """An option that replaces the derivation on stdout with another document."""

    option: str
    formats: frozenset[str]  # the --format values it can print
    does: str


@dataclass(frozen=True)
class Modifier:
    """An option that changes some formats of output."""

    option: str
    applies_to: frozenset[str] | None  # output kinds it changes (None: the whole run)
    does: str
    refuses: frozenset[str] = frozenset()  # output kinds that can not honour it
    needs: str | None = None  # another option without which it has nothing to change


VIEWS = {v.option: v for v in [
    View("--check", TEXT | {"json"}, "compares every gradient with a finite difference"),
]}
MODIFIERS = {m.option: m for m in [
    # Every format shows every gradient unless its writer can restrict them.
    Modifier("--wrt", _taking("wrt") | _checked(VIEWS["--check"].formats),
             "restricts the derivation, the diagram or --check to some inputs",
             refuses=frozenset(FORMATS) - _taking("wrt")),
    Modifier("--ascii", _taking("ascii") | {"ascii"} | _checked(TEXT), "writes the text derivation in ASCII"),
    Modifier("--standalone", _taking("standalone"), "makes LaTeX a whole document"),
    Modifier("--tol", _checked(VIEWS["--check"].formats), "sets the tolerance of --check"),
    Modifier("--frame-ms", _taking("frame_ms"), "sets the frame time of a GIF"),
    Modifier("--rankdir", _taking("rankdir"), "sets the direction of a diagram"),
    Modifier("--style", _taking("style"), "chooses how a diagram writes its values (boxes, or on the edges)",
             refuses=frozenset({"html", "gif"})),
    Modifier("--max-nodes", _taking("max_nodes"), "limits the size of a diagram"),
    Modifier("--no-diagram", None, "skips the default diagram backprop.png (never a file -o names)"),
    Modifier("--symbolic", _taking("symbolic"), "adds each gradient as a formula"),
    Modifier("--hessian", _taking("hessian") | _checked(VIEWS["--check"].formats),
             "adds the matrix of second derivatives"),
    Modifier("--graph", _taking("graph"), "chooses what a diagram draws (the gradient graph: DOT, PNG, SVG, PDF)"),
    Modifier("--timings", None, "reports the time of each phase"),
    Modifier("--expand", _taking("expand"), "writes a tiny array program as its scalar graph, gradients compared"),
    Modifier("--max-elements", None, "limits the size of array values and results (a scalar program has none)"),
    Modifier("--mode", _taking("mode"), "chooses reverse mode or forward mode's tangent sweeps for the derivation"),
    Modifier("--cost", _taking("cost"), "adds the operation counts of forward and reverse mode"),
    Modifier("--paths", _taking("paths"), "adds each gradient as a sum over paths"),
    Modifier("--max-paths", _taking("max_paths"), "limits the paths --paths lists", needs="--paths"),
    Modifier("--lint", _taking("lint"), "adds the lint section (always, even when nothing is found)"),
    Modifier("--step", _taking("step"), "adds one step of gradient descent and what it does to the output"),
    Modifier("--params", _taking("params"), "chooses the inputs --step moves", needs="--step"),
]}


class OptionConflict(BackpropError):
    """Two options that do not combine, or an option with nothing to change."""


@dataclass(frozen=True)
class Output:
    """One output of a run: its kind (a format name, or check:FORMAT) and the options that chose it."""

    kind: str
    chosen_by: str  # "--format json", "-o g.png", DEFAULT_DIAGRAM


DEFAULT_DIAGRAM = "the default diagram"  # backprop.png, written when nothing else is asked for


def plan_outputs(given: dict[str, str], fmt: str, file_format: str | None) -> list[Output]:
    """The outputs of a run, from the options given (``{"--check": "--check", "-o": "-o g.png", …}``)."""
    views = [option for option in given if option in VIEWS]
    if given.get("-o") == "-o -":
        return [Output(file_format or fmt, f"-o - {given.get('--format', '')}".strip())]
    chosen_by = " ".join([*(given[v] for v in views), *([given["--format"]] if "--format" in given else [])])
    outputs = [Output(f"check:{fmt}" if views else fmt, chosen_by or "the text derivation (the default)")]
    if file_format is not None:
        outputs.append(Output(file_format, given["-o"]))
    elif fmt in TEXT and not views and "--no-diagram" not in given:
        outputs.append(Output("png", DEFAULT_DIAGRAM))
    return outputs


def refuse_conflicts(given: dict[str, str], fmt: str, file_format: str | None = None) -> list[Output]:
    """Raise OptionConflict for the first pair that does not combine; else the run's outputs."""
    if given.get("-o") == "-o -" and "--format" not in given:
        raise OptionConflict(f"-o - writes to standard output: name the format with --format ({', '.join(FORMATS)})")
    if given.get("-o") == "-o -":
        for view in VIEWS:
            if view in given:
                raise OptionConflict(f"{given[view]} prints its own document, and -o - sends another one to "
                                     f"standard output: use -o FILE")
    for view in VIEWS.values():
        if view.option in given and fmt not in view.formats:
            raise OptionConflict(f"{given[view.option]} {view.does}: it can not print --format {fmt} "
                                 f"(use one of: {', '.join(sorted(view.formats))})")
    outputs = plan_outputs(given, fmt, file_format)
    for modifier in MODIFIERS.values():
        if modifier.option not in given:
            continue
        if modifier.needs is not None and modifier.needs not in given:
            raise OptionConflict(f"{given[modifier.option]} {modifier.does}: add {modifier.needs}")
        refusing = [out for out in outputs if out.kind in modifier.refuses]
        if refusing:
            raise OptionConflict(f"{given[modifier.option]} does not combine with {refusing[0].chosen_by}: "
                                 f"{modifier.option} {modifier.does}, which {refusing[0].kind} can not show")
        if modifier.applies_to is not None and not any(out.kind in modifier.applies_to for out in outputs):
            draws = "png" in modifier.applies_to  # then the default diagram, or its absence, matters
            shaped_by = " and ".join(out.chosen_by for out in outputs if draws or out.kind != "png"
                                     or out.chosen_by != DEFAULT_DIAGRAM)
            without = " with --no-diagram" if draws and "--no-diagram" in given else ""
            raise OptionConflict(f"{given[modifier.option]} {modifier.does}; it does not apply to {shaped_by}"
                                 f"{without} ({_where(modifier)})")
    return outputs


def _where(modifier: Modifier) -> str:
    """Where the modifier does apply, in the user's words."""
    kinds = sorted(modifier.applies_to or ())
    formats = [k for k in kinds if not k.startswith("check:")]
    parts = []
    if formats:
        extensions = [e for name in formats for e in FORMATS[name].extensions]
        parts.append("--format " + "/".join(formats) + (" and -o FILE" + "/".join(extensions) if extensions else ""))
    if any(k.startswith("check:") for k in kinds):
        parts.append("--check")
    return "it applies to " + ", or ".join(parts)
