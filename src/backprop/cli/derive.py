"""The default job: differentiate one program and print its derivation (and draw its graph)."""

from __future__ import annotations

import time

import click

from ..errors import BackpropError, format_error
from ..options import OptionConflict
from ..render.formats import FORMATS
from . import output as out
from .derive_options import add_options, given_options  # noqa: F401  (the click group decorates with add_options)


def run(ctx: click.Context, *, program, assignments, program_file, output, no_diagram, fmt, standalone, wrt,
        check, tol, ascii_only, rankdir, style, max_nodes, frame_ms, symbolic, hessian, graph_kind, mode, cost, paths,
        max_paths, lint, step, params, max_elements, expand, timings) -> None:
    """Differentiate the program and write what the options ask for."""
    started = time.perf_counter()
    source = None
    try:
        plan = out.plan(given_options(ctx), fmt, output, program_file)
        from ..api import differentiate
        from ..assignments import parse_assignments
        from .source import read_program

        source = read_program(program, program_file, had_values=bool(assignments))
        result = differentiate(source, parse_assignments(assignments), max_elements=max_elements)
        focus = None
        if wrt is not None:
            from ..steps import restrict

            focus = restrict(result.graph, wrt)  # resolved once; every writer takes the node ids
        for warning in result.warnings:
            out.stderr(f"Warning: {warning}")
        render_started = time.perf_counter()
        options = {"wrt": focus, "standalone": standalone, "rankdir": (rankdir or "auto").upper(), "style": style,
                   "max_nodes": max_nodes,
                   "frame_ms": frame_ms, "symbolic": symbolic, "hessian": hessian, "graph": graph_kind,
                   "mode": mode, "cost": cost, "paths": paths, "max_paths": 50 if max_paths is None else max_paths,
                   "lint": lint, "step": step, "params": params or wrt, "expand": expand}
        ascii_text = ascii_only or fmt == "ascii" or not out.stdout_takes_unicode()
        # Validate first: a file -o names that would be refused is refused before stdout gets a byte.
        prepared = _prepare_file(result, plan, dict(options, ascii=ascii_only))
        report = None
        if check and getattr(result, "is_array", False):
            from ..arrays.check import run_check
            report = run_check(result, tol, fmt == "json", ascii_text, out.write_stdout, focus)
        elif check:
            from ..check import DEFAULT_TOL, check_gradients, render_check
            from ..render.export import render_check_json

            report = check_gradients(result, tol=tol or DEFAULT_TOL, wrt=focus, hessian=hessian)
            text = render_check_json(report) if fmt == "json" else render_check(report, ascii=ascii_text)
            out.write_stdout(text.encode("utf-8"))
        else:
            stdout = FORMATS["ascii"] if plan.stdout.name == "text" and ascii_text else plan.stdout
            out.write_stdout(stdout.render_chunks(result, **options))
        if plan.file is not None or plan.default_diagram:
            out.write_file(result, plan.file or out.DEFAULT_DIAGRAM_PATH, default=plan.file is None,
                           ascii=ascii_only, data=prepared, **options)
        result.timings["render"] = time.perf_counter() - render_started
        if timings:
            for phase in ("parse", "lower", "forward", "backward", "render"):
                out.stderr(f"{phase:>9}: {result.timings[phase] * 1000:9.3f} ms")
            out.stderr(f"{'total':>9}: {(time.perf_counter() - started) * 1000:9.3f} ms")
        if report is not None and not report.passed:
            failed = ", ".join(c.name for c in report.failures)
            raise click.ClickException(f"gradient check failed for {failed}: the reverse-mode gradient and the "
                                       f"finite difference differ by more than {report.tol:g}")
        if expand and getattr(result, "is_array", False):  # like --check: a DIFFER verdict is a failed run
            from ..arrays.expand import disagreement

            differ = disagreement(result)
            if differ is not None:
                raise click.ClickException(differ)
    except OptionConflict as error:  # a misuse of the command line, like click's own: exit status 2
        raise click.UsageError(error.message) from None
    except BackpropError as error:
        raise click.ClickException(format_error(error, source)) from None


def _prepare_file(result, plan, options: dict):
    """The bytes of the file -o names when they must exist before stdout is written, else None.

    An array program's file is rendered first, whole (array documents are bounded by
    --max-elements and the GIF's frame limit), so any refusal of its writer comes before the
    derivation. A scalar program's file streams after stdout as before; its refusals that
    depend on the program (a GIF's frame limit, --step's parameters, --hessian's size) are
    checked here instead, cheaply."""
    if plan.file is None:
        return None
    from ..render.formats import format_for_path

    file_format = format_for_path(plan.file)
    if getattr(result, "is_array", False):
        from ..render.dot import DEFAULT_MAX_NODES

        return file_format.render(result, max_nodes=options.get("max_nodes") or DEFAULT_MAX_NODES,
                                  **{k: v for k, v in options.items() if k != "max_nodes"})
    if file_format.name == "gif":
        from ..errors import RenderError
        from ..render.gif import MAX_FRAMES

        if len(result.steps) + 1 > MAX_FRAMES:
            raise RenderError(f"a GIF of this program would have {len(result.steps) + 1:,} frames, more than "
                              f"{MAX_FRAMES}: step through it with -o graph.html instead")
    if options.get("step") is not None and "step" in file_format.options:
        from ..train.nudge import step_options

        step_options(result, options["step"], options.get("params"))
    if options.get("hessian") and "hessian" in file_format.options:
        from ..symbolic import MAX_HESSIAN_INPUTS

        if len(result.graph.inputs) > MAX_HESSIAN_INPUTS:
            result.hessian()  # raises the one-line refusal naming the limit
    return None
