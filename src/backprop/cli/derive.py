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
                           ascii=ascii_only, **options)
        result.timings["render"] = time.perf_counter() - render_started
        if timings:
            for phase in ("parse", "lower", "forward", "backward", "render"):
                out.stderr(f"{phase:>9}: {result.timings[phase] * 1000:9.3f} ms")
            out.stderr(f"{'total':>9}: {(time.perf_counter() - started) * 1000:9.3f} ms")
        if report is not None and not report.passed:
            failed = ", ".join(c.name for c in report.failures)
            raise click.ClickException(f"gradient check failed for {failed}: the reverse-mode gradient and the "
                                       f"finite difference differ by more than {report.tol:g}")
    except OptionConflict as error:  # a misuse of the command line, like click's own: exit status 2
        raise click.UsageError(error.message) from None
    except BackpropError as error:
        raise click.ClickException(format_error(error, source)) from None

