"""``backprop worksheet``: generated problems for a class, as a PDF (and its answer key), LaTeX, or Moodle XML."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import BackpropError, format_error
from .pairs import JobCommand

KINDS = {".pdf": "a PDF worksheet and its answer key (pdflatex)",
         ".tex": "the LaTeX of both, with the graphs beside them",
         ".xml": "Moodle XML questions, each with its numeric answer and tolerance"}


@click.command("worksheet", cls=JobCommand, short_help="problems for a class: PDF and answer key, or Moodle XML", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--level", type=click.IntRange(1, 3), default=1, show_default=True,
              help="1 arithmetic, 2 neurons and losses, 3 bindings with forks.")
@click.option("--count", type=click.IntRange(1, 100), default=8, show_default=True, help="How many problems.")
@click.option("--seed", type=int, default=None, help="Make the problems reproducible (the same seed, the same sheet).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), metavar="PATH",
              help="sheet.pdf (and sheet-answers.pdf), sheet.tex (and sheet-answers.tex), or quiz.xml (Moodle).")
@click.option("--title", default="Backpropagation worksheet", show_default=True, help="The sheet's heading.")
@click.option("--tol", type=click.FloatRange(min=0, min_open=True, max=1), default=0.01, show_default=True,
              help="Moodle XML: each answer's tolerance, relative (absolute tol/10 near zero).")
@click.pass_context
def command(ctx, level, count, seed, output, title, tol) -> None:
    """Generate practice problems for a class: each with its graph to fill in, and a separate
    answer key with the full derivation; or Moodle XML questions to import.

    \b
    Examples:
      backprop worksheet --count 8 --level 2 --seed 7 -o sheet.pdf    # and sheet-answers.pdf
      backprop worksheet --count 4 --level 1 --seed 3 -o sheet.tex
      backprop worksheet --count 10 --level 2 --seed 7 -o quiz.xml
    """
    from ..practice.problems import generate

    path = Path(output)
    suffix = path.suffix.lower()
    if suffix not in KINDS:
        raise click.UsageError(f"-o {output}: a worksheet is written as " +
                               "; ".join(f"{ext} ({what})" for ext, what in KINDS.items()))
    if ctx.get_parameter_source("tol") is click.core.ParameterSource.COMMANDLINE and suffix != ".xml":
        raise click.UsageError("--tol sets the tolerance of Moodle XML answers: it needs -o FILE.xml")
    if not path.parent.is_dir():
        raise click.ClickException(f"can not write {output}: no such folder {path.parent}")
    problems = generate(level, count, seed)
    try:
        if suffix == ".xml":
            from ..practice.moodle import moodle_xml
            from ..render.formats import write_atomically

            write_atomically(path, moodle_xml(problems, tol=tol).encode("utf-8"))
            written = [path]
        else:
            from ..practice.worksheet import write_worksheet

            written = write_worksheet(problems, path, title=title)
    except BackpropError as error:
        raise click.ClickException(format_error(error)) from None
    noun = "problem" if count == 1 else "problems"
    click.echo(f"{count} {noun} (level {level}{f', seed {seed}' if seed is not None else ''}) written to "
               f"{', '.join(str(p) for p in written[:2])}", err=True)
