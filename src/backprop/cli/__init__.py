"""The command line: argv → a job → the library. The only package that prints or exits.

``backprop PROGRAM …`` differentiates a program (the default job, ``derive.py``);
``backprop JOB …`` runs a job, each in its own module, only when JOB is exactly a job's
name (the names are reserved words of the language, ``backprop.reserved``). Errors are
rendered here, once: ``Error: …`` on stderr (with a caret under the offending source)
and exit status 1 (2 for a misused option). Ctrl-C exits 130 and a closed stdout
(``| head``) ends quietly; anything else reaching the top is a bug.
"""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from . import argv, derive


class BackpropGroup(click.Group):
    """A group whose default job is the derivation, and whose errors are one line each."""

    # The jobs that ship, by module: imported only when one runs (or --help lists them), so a
    # derivation starts no slower for them.
    lazy_jobs = {"quiz": "quiz", "grade": "grade", "worksheet": "worksheet", "train": "train"}

    def get_command(self, ctx: click.Context, name: str):
        if name not in self.commands and name in self.lazy_jobs:
            import importlib

            self.add_command(importlib.import_module(f".{self.lazy_jobs[name]}", __package__).command)
        return super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy_jobs))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and (args[0] in self.commands or args[0] in self.lazy_jobs):  # rule 1: a job only when exactly its name
            ctx._protected_args, ctx.args = args[:1], args[1:]
            return ctx.args
        try:
            shaped = argv.shape(list(args), self.get_params(ctx))
        except click.UsageError:
            if not ctx.resilient_parsing:  # shell completion parses unfinished lines: let them be
                raise
            shaped = []
        return click.Command.parse_args(self, ctx, shaped)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "PROGRAM [NAME=VALUE]... [OPTIONS]")
        if self.list_commands(ctx):
            formatter.write_usage(ctx.command_path, "JOB [ARGS]...", prefix="       ")

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help_text(ctx, formatter)
        from ..reserved import JOB_NAMES
        from ..render.formats import FORMATS

        jobs = [("PROGRAM (the default)", "differentiate a program and explain every step, as below")]
        jobs += [(name, command.get_short_help_str(60)) for name, command in self.list_commands_with(ctx)]
        with formatter.section("Jobs"):
            formatter.write_dl(jobs)
            formatter.write_paragraph()
            formatter.write_text(f"The words {', '.join(JOB_NAMES)} are reserved for jobs: a program can not use "
                                 f"them as names. Shell completion: eval \"$(_BACKPROP_COMPLETE=bash_source "
                                 f"backprop)\" (zsh_source, fish_source for zsh and fish; docs/guide.md).")
        with formatter.section("Formats (--format NAME on stdout, -o FILE.EXT to a file)"):
            formatter.write_dl([(f"{f.name} {' '.join(f.extensions)}".strip(),
                                 f.summary + (f" (needs {', '.join(f.needs)})" if f.needs else ""))
                                for f in FORMATS.values()])

    def list_commands_with(self, ctx: click.Context):
        return [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The jobs are listed once, in the Jobs section above the options."""

    def main(self, args=None, prog_name=None, **extra):
        extra.pop("standalone_mode", None)
        try:
            code = super().main(args=args, prog_name=prog_name or "backprop", standalone_mode=False, **extra)
        except (click.exceptions.Abort, KeyboardInterrupt):
            _stderr("Error: interrupted")
            sys.exit(130)
        except click.UsageError as error:
            _stderr(f"Error: {error.format_message()} (see backprop --help)")
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


@click.group("backprop", cls=BackpropGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@derive.add_options
@click.version_option(__version__, "--version", prog_name="backprop", message="%(prog)s %(version)s")
@click.pass_context
def command(ctx: click.Context, **options) -> None:
    """Evaluate a program, backpropagate through it, and explain every step.

    Prints the forward pass, the backward pass (the chain rule, step by step) and the
    gradient of the output with respect to every input, and draws the computational graph.
    A program may start with a minus ("-x^2"); after -- nothing is an option.

    \b
    Examples:
      backprop "(a*b+c)*f" --set a=2 b=3 c=-10 f=5
      backprop "e = a*b; d = e + c; L = d*f" --set a=2 b=3 c=-10 f=5 -o graph.svg
      backprop "tanh(w1*x1 + w2*x2 + b)" -s w1=-3 x1=2 w2=1 x2=0 b=6.88 --format json
      backprop "-x^2" --set x=3 --no-diagram
      echo "sin(x)^2" | backprop - --set x=pi/4
      backprop "(a*b+c)*f" -s a=2 b=3 c=-10 f=5 --format latex --standalone > seed.tex
      backprop "tanh(w*x + b)" -s w=0.5 x=2 b=0.1 --check --wrt w,b
      backprop "(a*b+c)*f" -s a=2 b=3 c=-10 f=5 --symbolic --graph gradient -o grad.png
      backprop "f = x^3 - 2*x - 5; x - f/grad(f, x)" --set x=2 --hessian --check
    """
    if ctx.invoked_subcommand is None:
        derive.run(ctx, **options)


def main() -> None:
    """Entry point of the ``backprop`` console script."""
    command.main(prog_name="backprop")

