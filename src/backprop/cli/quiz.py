"""``backprop quiz``: generated problems (or your own program) asked one node at a time,
in the terminal with click's prompts, or as a practice page in the browser (``-o page.html``)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import BackpropError, format_error
from .pairs import PairsCommand


@click.command("quiz", short_help="practise one node at a time (in the terminal, or -o page.html)", cls=PairsCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("program", required=False, metavar="[PROGRAM]")
@click.option("--set", "-s", "assignments", multiple=True, metavar="NAME=VALUE",
              help="The values of your own program's inputs (several pairs may follow one --set).")
@click.option("--level", type=click.IntRange(1, 3), default=1, show_default=True,
              help="Generated problems: 1 arithmetic, 2 neurons and losses, 3 bindings with forks.")
@click.option("--seed", type=int, default=None, help="Make the generated problems reproducible.")
@click.option("--count", type=click.IntRange(1, 100), default=3, show_default=True,
              help="How many generated problems.")
@click.option("--tol", type=click.FloatRange(min=0, min_open=True, max=1), default=0.01, show_default=True,
              help="Relative tolerance of a right answer (absolute tol/10 near zero).")
@click.option("-o", "--output", metavar="PAGE.html", type=click.Path(dir_okay=False),
              help="Write the practice page for the browser instead of asking here (one problem).")
@click.pass_context
def command(ctx, program, assignments, level, seed, count, tol, output) -> None:
    """Practise backprop: compute each value, then each gradient, one node at a time. A wrong
    answer gets a hint naming the likely mistake; a second one shows the step. Ctrl-C or
    Ctrl-D ends the quiz with the score so far.

    \b
    Examples:
      backprop quiz --level 2 --seed 7 --count 3
      backprop quiz "(a*b+c)*f" --set a=2 b=3 c=-10 f=5
      backprop quiz "(a*b+c)*f" --set a=2 b=3 c=-10 f=5 -o practice.html
      backprop quiz --level 3 --seed 1 --count 1 -o practice.html
    """
    from ..practice.problems import Problem, generate

    given = {name for name in ("level", "seed", "count")
             if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE}
    if program is not None and given:
        raise click.UsageError(f"--{sorted(given)[0]} chooses generated problems: it does not combine with a "
                               f"program of your own")
    if program is None and assignments:
        raise click.UsageError("--set gives the values of your own program: write the program first")
    if output is not None and not output.lower().endswith((".html", ".htm")):
        raise click.UsageError(f"-o {output}: a practice page is HTML: name it PAGE.html")
    try:
        if program is not None:
            from ..api import differentiate_scalars as differentiate
            from ..assignments import parse_assignments

            results = [("Your program", differentiate(program, parse_assignments(assignments)))]
        else:
            if output is not None and "count" not in given:
                count = 1
            results = [(f"Problem {n} of {count} (level {level}: {p.family})", p.result())
                       for n, p in enumerate(generate(level, count, seed), start=1)]
        if output is not None:
            if len(results) > 1:
                raise click.UsageError("a practice page holds one problem: use --count 1")
            from ..render.formats import write_atomically
            from ..render.practice_page import render_practice_page

            write_atomically(Path(output), render_practice_page(results[0][1], tol=tol).encode("utf-8"))
            click.echo(f"Practice page written to {output}", err=True)
            return
    except BackpropError as error:
        raise click.ClickException(format_error(error, program)) from None
    _ask_in_terminal(results, tol)


def _ask_in_terminal(results, tol: float) -> None:
    from ..practice.quiz import Quiz

    quiz = Quiz(tol)
    ask = lambda prompt: click.prompt(prompt, prompt_suffix=" = ", type=str)  # noqa: E731
    try:
        for heading, result in results:
            quiz.run_problem(result, ask, click.echo, heading)
            click.echo()
    except click.exceptions.Abort:  # Ctrl-C or end of input: the score so far
        click.echo("\nQuiz ended early.")
    click.echo(quiz.score.summary())
