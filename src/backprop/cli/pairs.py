"""A subcommand whose options take several NAME=VALUE pairs after one flag (--set a=2 b=3).

Click gives an option one value; this reshapes the arguments first, as the default job does
(``argv.py``): after ``--set`` or ``--answer``, each following argument with an ``=`` (and
no ``;``) is one more pair. The first other argument is the program.
"""

from __future__ import annotations

import click


class JobCommand(click.Command):
    """A job's command: its usage line is ``backprop JOB …`` (click would put the default job's
    PROGRAM [NAME=VALUE]... between the two words)."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(f"backprop {self.name}", " ".join(self.collect_usage_pieces(ctx)))


class PairsCommand(JobCommand):
    """A command whose pair options (``pair_options``) accept several pairs after one flag."""

    pair_options = ("--set", "-s", "--answer")

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, reshape(list(args), self.pair_options))


def _is_pair(arg: str) -> bool:
    return "=" in arg and not arg.startswith("-") and not any(c in arg for c in ";\n")


def reshape(args: list[str], pair_options) -> list[str]:
    """--set a=2 b=3 → --set=a=2 --set=b=3; the rest unchanged."""
    shaped: list[str] = []
    current: str | None = None
    while args:
        arg = args.pop(0)
        if arg == "--":
            shaped += [arg, *args]
            break
        if arg in pair_options and args:
            current = "--set" if arg == "-s" else arg
            shaped.append(f"{current}={args.pop(0)}")
            continue
        if current is not None and _is_pair(arg):
            shaped.append(f"{current}={arg}")
            continue
        current = None
        shaped.append(arg)
    return shaped
