"""The command line: argv → api → renderers. The only module that prints or exits.

Errors from the library (``BackpropError``) are rendered once, as ``Error: …`` on stderr
with a caret under the offending source, and exit with status 1. Ctrl-C exits 130 and a
closed stdout (``| head``) ends quietly; anything else reaching the top is a bug.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from . import __version__
from .errors import BackpropError, RenderError, format_error

DEFAULT_DIAGRAM = "backprop.png"
# Larger programs are refused before decoding (-f /dev/zero must not fill the memory).
MAX_PROGRAM_BYTES = 100_000_000
# Characters that make "-s…"/"-f…"/"-o…" an expression ("-sin(x)") rather than an option.
_EXPRESSION_CHARS = set("^*×·÷+()−- ")


def _looks_like_attached_value(rest: str) -> bool:
    """True for "" (a bare -o), "a=2" or "out.png"; False for "in(x)^2" or "2"."""
    if not rest:
        return True
    return not (set(rest) & _EXPRESSION_CHARS) and ("=" in rest or "." in rest or "/" in rest)


class _Command(click.Command):
    """A click command that lets programs start with '-' and renders every error as one line."""

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, self._protect_expressions(ctx, list(args)))

    def _protect_expressions(self, ctx, args: list[str]) -> list[str]:
        """Mark '-x^2' as a program, not an option: click would read it as the option -x."""
        params = self.get_params(ctx)
        known = {opt for param in params for opt in param.opts + param.secondary_opts}
        valued_short = {opt for param in params if isinstance(param, click.Option) and not param.is_flag
                        for opt in param.opts if len(opt) == 2}
        protected = []
        after_double_dash = False
        for arg in args:
            if after_double_dash or not arg.startswith("-") or arg in ("-", "--") or arg.split("=")[0] in known:
                after_double_dash = after_double_dash or arg == "--"
                protected.append(arg)
            elif arg[:2] in valued_short and _looks_like_attached_value(arg[2:]):
                protected.append(arg)  # -ofile.png, -sa=2: an option with its value attached
            elif arg.startswith("--") and arg[2:3].isalpha():
                # ignore_unknown_options (needed for "-x^2") would pass it on as a program: refuse it here.
                import difflib

                possibilities = difflib.get_close_matches(arg.split("=")[0], sorted(known), n=3)
                raise click.NoSuchOption(arg.split("=")[0], possibilities=possibilities)
            else:
                protected.append(" " + arg)  # the grammar ignores the space; click no longer sees '-'
        return protected

    def main(self, args=None, prog_name=None, **extra):
        extra.pop("standalone_mode", None)
        try:
            code = super().main(args=args, prog_name=prog_name or "backprop", standalone_mode=False, **extra)
        except click.exceptions.Abort:
            _stderr("Error: interrupted")
            sys.exit(130)
        except KeyboardInterrupt:
            _stderr("Error: interrupted")
            sys.exit(130)
        except click.UsageError as error:
            hint = " (see backprop --help)"
            _stderr(f"Error: {error.format_message()}{hint}")
            sys.exit(2)
        except click.ClickException as error:
            _stderr(f"Error: {error.format_message()}")
            sys.exit(error.exit_code)
        except BrokenPipeError:
            _quiet_broken_pipe()
            sys.exit(141)
        except OSError as error:  # stdout on a full disk (> /dev/full), an I/O error on the terminal
            _stderr(f"Error: can not write the output: {error.strerror or error}")
            sys.exit(1)
        sys.exit(code or 0)


def _stderr(message: str) -> None:
    try:
        click.echo(message, err=True)
    except (BrokenPipeError, UnicodeEncodeError):
        pass


def _quiet_broken_pipe() -> None:
    """stdout was closed early: point it at /dev/null so the exit flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


@click.command(cls=_Command, context_settings={"ignore_unknown_options": True,
                                               "help_option_names": ["-h", "--help"]})
@click.argument("expr_and_pairs", nargs=-1, metavar="EXPR [NAME=VALUE]...")
@click.option("--set", "-s", "assignments", multiple=True, metavar="NAME=VALUE",
              help="Give inputs values; several pairs may follow one --set, and --set may repeat. "
                   "A value may be a constant expression (x=pi/4).")
@click.option("-f", "--file", "program_file", type=click.Path(dir_okay=True, allow_dash=True),
              help="Read the program from a file ('-' for stdin); # comments are allowed.")
@click.option("-o", "--output", "output", metavar="PATH",
              help="Where to write the diagram; the extension picks the format: .png .svg .pdf .dot .gv, "
                   ".html (an interactive step-by-step page), .gif (the steps as an animation) "
                   "(default: backprop.png).")
@click.option("--no-diagram", is_flag=True, help="Do not write a diagram.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "latex"]), default="text",
              show_default=True,
              help="What to print on stdout: the derivation (as text, Markdown with math, or LaTeX), "
                   "or one JSON object.")
@click.option("--standalone", is_flag=True, help="With --format latex: a complete document, ready for pdflatex.")
@click.option("--wrt", metavar="NAME,...",
              help="Show the backward pass (and the diagram's gradients) only on the paths to these inputs.")
@click.option("--check", "check", is_flag=True,
              help="Compare every gradient with a finite difference; exit 1 when one differs by more than --tol.")
@click.option("--tol", type=click.FloatRange(min=0, min_open=True), default=None, metavar="TOL",
              help="Largest relative error --check accepts (default 1e-5).")
@click.option("--ascii", "ascii_only", is_flag=True, help="Plain ASCII derivation (dL/da, *).")
@click.option("--rankdir", type=click.Choice(["LR", "TB"], case_sensitive=False), default="LR", show_default=True,
              help="Diagram direction: inputs left to right, or top to bottom.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=None,
              help="Largest diagram to draw, in boxes and circles (default 400); a bigger graph is drawn "
                   "as its part nearest the output plus its inputs, the rest summarised in one box.")
@click.option("--frame-ms", type=click.IntRange(min=50, max=60000), default=None, metavar="MS",
              help="With -o steps.gif: how long each frame shows, in milliseconds (default 2000).")
@click.option("--timings", is_flag=True, help="Print the wall time of each phase on stderr.")
@click.version_option(__version__, "--version", prog_name="backprop", message="%(prog)s %(version)s")
def command(expr_and_pairs, assignments, program_file, output, no_diagram, fmt, standalone, wrt, check, tol,
            ascii_only, rankdir, max_nodes, frame_ms, timings):
    """Evaluate an expression, backpropagate through it, and explain every step.

    Prints the forward pass, the backward pass (the chain rule, step by step) and the
    gradient of the output with respect to every input, and draws the computational graph.

    \b
    Examples:
      backprop "(a*b+c)*f" --set a=2 b=3 c=-10 f=5
      backprop "e = a*b; d = e + c; L = d*f" --set a=2 b=3 c=-10 f=5 -o graph.svg
      backprop "tanh(w1*x1 + w2*x2 + b)" -s w1=-3 x1=2 w2=1 x2=0 b=6.88 --format json
      backprop "-x^2" --set x=3 --no-diagram
      echo "sin(x)^2" | backprop - --set x=pi/4
      backprop "(a*b+c)*f" -s a=2 b=3 c=-10 f=5 --format latex --standalone > seed.tex
      backprop "tanh(w*x + b)" -s w=0.5 x=2 b=0.1 --check --wrt w,b
    """
    from .api import differentiate
    from .values import parse_assignments

    source = None
    started = time.perf_counter()
    if standalone and fmt != "latex":
        raise click.UsageError("--standalone only applies to --format latex")
    try:
        if output == "":
            raise RenderError("-o needs a file name, such as -o graph.svg")
        source, pairs = _read_program(expr_and_pairs, program_file)
        values = parse_assignments(list(assignments) + list(pairs))
        result = differentiate(source, values)
        for warning in result.warnings:
            _stderr(f"Warning: {warning}")
        ascii_text = ascii_only or not _stdout_takes_unicode()
        if wrt is not None:
            from .steps import restrict

            restrict(result.graph, wrt)  # an unknown name is an error in every format, JSON included
        render_started = time.perf_counter()
        report = None
        if check:
            from .check import DEFAULT_TOL, check_gradients, render_check

            report = check_gradients(source, values, tol or DEFAULT_TOL)
            click.echo(render_check(report, ascii=ascii_text), nl=False)
        elif fmt == "json":
            from .render.export import render_json

            _write_stdout_bytes(render_json(result).encode("utf-8"))
        elif fmt in ("markdown", "latex"):
            _write_stdout_bytes(result.derivation(fmt, wrt=wrt, standalone=standalone).encode("utf-8"))
        else:
            click.echo(result.derivation("ascii" if ascii_text else "text", wrt=wrt), nl=False)
        wants_diagram = output is not None or (fmt == "text" and not no_diagram and not check)
        if wants_diagram:
            _write_diagram(result, Path(output or DEFAULT_DIAGRAM), explicit=output is not None,
                           rankdir=rankdir.upper(), max_nodes=max_nodes, wrt=wrt,
                           **({"frame_ms": frame_ms} if frame_ms is not None else {}))
        result.timings["render"] = time.perf_counter() - render_started
        if timings:
            _report_timings(result.timings, time.perf_counter() - started)
        if report is not None and not report.passed:
            failed = ", ".join(c.name for c in report.failures)
            raise click.ClickException(f"gradient check failed for {failed}: the reverse-mode gradient and the "
                                       f"finite difference differ by more than {report.tol:g}")
    except BackpropError as error:
        raise click.ClickException(format_error(error, source)) from None


def _read_program(expr_and_pairs: tuple[str, ...], program_file: str | None) -> tuple[str, list[str]]:
    """The program text and the NAME=VALUE pairs that followed a --set as plain arguments."""
    from .errors import ParseError

    args = list(expr_and_pairs)
    if program_file is not None:
        return _read_source(program_file), args
    if not args:
        raise ParseError("no program given: write one, e.g. backprop \"(a*b+c)*f\" --set a=2 b=3 c=-10 f=5 "
                         "(or -f FILE, or - for stdin)")
    expr, pairs = args[0], args[1:]
    if expr == "-":
        return _read_source("-"), pairs
    return (expr[1:] if expr.startswith(" -") else expr), pairs


def _read_source(path: str) -> str:
    if path == "-":
        if sys.stdin is None:  # started with stdin closed (<&-)
            raise RenderError("can not read the program from standard input: it is closed")
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read(MAX_PROGRAM_BYTES + 1) if stream else sys.stdin.read().encode("utf-8")
        where = "standard input"
    else:
        target = Path(path)
        if target.is_dir():
            raise RenderError(f"can not read the program from {path}: it is a folder")
        try:
            with target.open("rb") as stream:
                data = stream.read(MAX_PROGRAM_BYTES + 1)
        except FileNotFoundError:
            raise RenderError(f"can not read the program from {path}: no such file") from None
        except OSError as error:
            raise RenderError(f"can not read the program from {path}: {error.strerror or error}") from None
        where = path
    if len(data) > MAX_PROGRAM_BYTES:
        raise RenderError(f"can not read the program from {where}: it is larger than {MAX_PROGRAM_BYTES:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        from .errors import ParseError

        raise ParseError(f"{where} is not valid UTF-8 text (byte {error.start + 1} is 0x{data[error.start]:02x})") \
            from None


def _stdout_takes_unicode() -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "∂×·₁−".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _write_stdout_bytes(data: bytes) -> None:
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        stream.write(data)
        stream.flush()


def _write_diagram(result, path: Path, *, explicit: bool, **options) -> None:
    from .render.dot import DEFAULT_MAX_NODES, drawn_size, nodes_to_draw

    if options.get("max_nodes") is None:
        options["max_nodes"] = DEFAULT_MAX_NODES
    try:
        result.save(path, **options)
    except RenderError as error:
        if explicit:
            raise
        _stderr(f"Warning: no diagram written: {error.message}")
        return
    shown = nodes_to_draw(result.graph, options["max_nodes"])
    if shown is not None and path.suffix.lower() not in (".json", ".txt", ".md", ".tex"):
        _stderr(f"Note: the graph has {drawn_size(result.graph):,} boxes and circles, more than --max-nodes "
                f"{options['max_nodes']}: the diagram shows the {len(shown):,} nodes nearest the output and the "
                f"inputs, and summarises the rest")
    _stderr(f"Diagram written to {path}")


def _report_timings(timings: dict[str, float], total: float) -> None:
    for phase in ("parse", "lower", "forward", "backward", "render"):
        if phase in timings:
            _stderr(f"{phase:>9}: {timings[phase] * 1000:9.3f} ms")
    _stderr(f"{'total':>9}: {total * 1000:9.3f} ms")


def main() -> None:
    """Entry point of the ``backprop`` console script."""
    command.main(prog_name="backprop")
