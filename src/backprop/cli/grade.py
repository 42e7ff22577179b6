"""``backprop grade PROGRAM --set … --answers FILE``: check a hand derivation, name the first mistake."""

from __future__ import annotations

import click

from ..errors import BackpropError, format_error
from .pairs import PairsCommand


@click.command("grade", short_help="check a learner's values and gradients; name the first mistake", cls=PairsCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("program", metavar="PROGRAM")
@click.option("--set", "-s", "assignments", multiple=True, metavar="NAME=VALUE",
              help="The inputs' values (several pairs may follow one --set).")
@click.option("--answers", "answers_file", type=click.Path(dir_okay=False, allow_dash=True), metavar="FILE",
              help="The learner's answers, one a line: NAME = NUMBER (∂L/∂NAME) or value(NAME) = NUMBER; "
                   "'-' reads standard input.")
@click.option("--answer", "answer_pairs", multiple=True, metavar="NAME=NUMBER",
              help="Answers on the command line (several may follow one --answer).")
@click.option("--tol", type=click.FloatRange(min=0, min_open=True, max=1), default=0.01, show_default=True,
              help="Relative tolerance of a right answer (absolute tol/10 near zero).")
@click.option("--partial", is_flag=True, help="Grade only the answers given (default: every node's gradient "
                                              "is required).")
@click.option("--template", is_flag=True, help="Print a blank answers file for the program (every node's value "
                                               "and gradient, to fill in) instead of grading.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="The report as text, or one JSON object for autograders.")
def command(program, assignments, answers_file, answer_pairs, tol, partial, template, fmt) -> None:
    """Grade a learner's values and gradients: each right or wrong, the first wrong one in
    backward order, and the mistake that reproduces it (recomputed, not guessed).
    Exit status 0 when every answer is right, 1 otherwise.

    \b
    Examples:
      backprop grade "(a*b+c)*f" --set a=2 b=3 c=-10 f=5 --answers answers.txt
      backprop grade "x*y + x" --set x=2 y=5 --answer x=5 y=2 a=1
      backprop grade "(a*b+c)*f" --set a=2 b=3 c=-10 f=5 --template > answers.txt
      backprop grade "(a*b+c)*f" -s a=2 b=3 c=-10 f=5 --answer d=5 e=5 a=15 b=10 c=5 f=-4 --format json
    """
    from ..api import differentiate_scalars as differentiate
    from ..assignments import parse_assignments
    from ..practice.answers import answers_template, parse_answers, read_answer_lines
    from ..practice.grade import grade, render_report, report_json
    from .source import read_source

    try:
        if template:
            if answers_file is not None or answer_pairs:
                raise click.UsageError("--template prints a blank answers file: it does not combine with answers")
            click.echo(answers_template(differentiate(program, parse_assignments(assignments))), nl=False)
            return
        if answers_file is None and not answer_pairs:
            raise click.UsageError("give the learner's answers with --answers FILE or --answer NAME=NUMBER …")
        result = differentiate(program, parse_assignments(assignments))
        entries = [(f"--answer {pair}", pair) for pair in answer_pairs]
        if answers_file is not None:
            where = "standard input" if answers_file == "-" else answers_file
            entries = read_answer_lines(read_source(answers_file), where) + entries
        report = grade(result, parse_answers(result, entries, partial=partial), tol)
    except BackpropError as error:
        raise click.ClickException(format_error(error, program)) from None
    if fmt == "json":
        import json

        click.echo(json.dumps(report_json(report), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        click.echo(render_report(result, report), nl=False)
    if not report.all_right:
        click.get_current_context().exit(1)
