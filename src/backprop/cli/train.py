"""The job ``backprop train``: gradient descent on a program's output, a table of steps, the files asked for."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..errors import BackpropError, format_error


class TrainCommand(click.Command):
    """The job's usage line names it plainly (not after the default job's PROGRAM argument)."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage("backprop train", "PROGRAM [NAME=VALUE]... [OPTIONS]")


@click.command("train", cls=TrainCommand,
               short_help="gradient descent on a program: a table of steps, a loss curve, a replay page",
               context_settings={"ignore_unknown_options": True, "help_option_names": ["-h", "--help"],
                                 "max_content_width": 100})
@click.argument("program", required=False)
@click.argument("pairs", nargs=-1)
@click.option("--set", "-s", "assignments", multiple=True, metavar="NAME=VALUE",
              help="Fixed inputs, and the starting value of parameters (several pairs may follow one --set); "
                   "arrays too: w=\"[0, 0]\", X=@features.csv.")
@click.option("-f", "--file", "program_file", type=click.Path(allow_dash=True), help="Read the program from a file.")
@click.option("--data", type=click.Path(), metavar="FILE.csv",
              help="Data points: a header line of names, one line per point; a column named like an input gives it "
                   "its value on each row, and the loss is the mean of the program's output over the rows.")
@click.option("--params", metavar="NAME,...", help="The inputs that move (default: every input not in --data).")
@click.option("--lr", type=float, default=0.1, show_default=True, help="The learning rate.")
@click.option("--steps", type=int, default=100, show_default=True, help="How many steps to take (Ctrl-C stops early "
                                                                          "and keeps what was done).")
@click.option("--optimizer", type=click.Choice(["sgd", "momentum", "adam"]), default="sgd", show_default=True,
              help="Plain gradient descent, momentum (β = 0.9) or Adam (β₁ = 0.9, β₂ = 0.999).")
@click.option("--batch", type=int, default=None, help="Minibatches of this many rows, in a shuffled order (--seed).")
@click.option("--seed", type=int, default=None, help="Seed of every random choice (minibatch order, --init random).")
@click.option("--init", type=click.Choice(["zeros", "random"]), default="zeros", show_default=True,
              help="Starting value of parameters not given with --set (random: uniform in [-1, 1]; an array "
                   "parameter's --set value then gives only its shape).")
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(), metavar="PATH",
              help="Write the loss curve (.png, .svg; needs matplotlib), the training page (.html: the curve and "
                   "the graph at any recorded step and data point), or the history (.json, .csv). May repeat.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="What to print on stdout: the table of steps, or the whole history as JSON.")
@click.option("--ascii", "ascii_only", is_flag=True, help="Plain ASCII text.")
def command(program, pairs, assignments, program_file, data, params, lr, steps, optimizer, batch, seed, init,
            outputs, fmt, ascii_only):
    """Train the inputs of a program by gradient descent on its output.

    The loss is the program's output, or with --data its mean over the rows. Prints the setup, a
    table of steps (every step of a short run, a sample of a long one) and the final parameters.

    \b
    Examples:
      backprop train "(w*x + b - y)^2" --data points.csv --params w,b --lr 0.05 --steps 300 -o curve.png
      backprop train "(x - 3)^2 + (y + 1)^2" --set x=0 y=0 --lr 0.1 --steps 50
      backprop train "tanh(w*x + b)" --set w=0.5 b=0 x=1 --params w,b --optimizer adam -o training.html
      backprop train "sum((X @ w - y)^2)" --set X=@features.csv w="[0, 0]" y="[1, 2, 3, 4]" --params w
    """
    source = None
    try:
        from ..train.outputs import check_outputs, refuse_pages_of_arrays, wants_snapshots, write_output

        targets = check_outputs(outputs)
        from ..assignments import parse_assignments
        from ..train import prepare_run, read_csv
        from ..train.run import run_training
        from .source import read_program

        if program_file is not None and program is not None:
            pairs = (program, *pairs)  # with -f, every argument is a NAME=VALUE pair
            program = None
        stray = [pair for pair in pairs if "=" not in pair]
        if stray:
            raise click.UsageError(f"unexpected argument '{stray[0]}': give one program, then NAME=VALUE pairs")
        if program is None and program_file is None:
            raise click.UsageError('no program given: write one, e.g. backprop train "(w*x + b - y)^2" '
                                   '--data points.csv --params w,b (or -f FILE, or - for stdin)')
        source = read_program(program, program_file, had_values=bool(assignments))
        setup = prepare_run(source, data=read_csv(data) if data is not None else None,
                            values=parse_assignments([*assignments, *pairs]),
                            params=params, lr=lr, steps=steps, optimizer=optimizer, batch=batch, seed=seed, init=init)
        refuse_pages_of_arrays(setup, targets)
        for note in setup.notes:
            click.echo(f"Note: {note}", err=True)
        progress = _Progress(steps)
        training = run_training(setup, record=wants_snapshots(targets), progress=progress)
        progress.close()
        if progress.shown:  # a run long enough to watch: say how long it took
            click.echo(f"Trained for {training.seconds:.1f} s", err=True)
        _print(training, fmt, ascii_only)
        for target in targets:
            click.echo(write_output(training, target), err=True)
        if training.warning:
            click.echo(f"Warning: {training.warning}", err=True)
        if training.stopped == "interrupted":
            click.echo(f"Error: {training.message}", err=True)
            sys.exit(130)
        if training.stopped is not None:
            raise click.ClickException(training.message)
    except BackpropError as error:
        raise click.ClickException(format_error(error, source)) from None


def _print(training, fmt: str, ascii_only: bool) -> None:
    from ..train.report import render_json, render_report
    from .output import stdout_takes_unicode

    text = render_json(training) if fmt == "json" else render_report(
        training, ascii=ascii_only or not stdout_takes_unicode())
    click.echo(text, nl=False)


class _Progress:
    """A progress bar on stderr, shown only on a terminal and only once the run has taken a second."""

    def __init__(self, steps: int):
        self.steps = steps
        self.started = time.perf_counter()
        self.shown = False
        self.terminal = sys.stderr.isatty()
        self.next_draw = 0.0

    def __call__(self, step: int, loss: float) -> None:
        if not self.terminal:
            return
        now = time.perf_counter() - self.started
        if now < 1.0 or now < self.next_draw:
            return
        self.next_draw = now + 0.1
        bar = "#" * int(30 * step / self.steps)
        sys.stderr.write(f"\r  step {step}/{self.steps} [{bar:<30}] loss {loss:.6g}")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        """Erase the bar, so the table and messages that follow start on a clean line."""
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
