"""The default job's argument and options (click decorators), and how the user spelled them."""

from __future__ import annotations

import click
from click.core import ParameterSource

from ..render.formats import FORMATS, SAVE_EXTENSIONS

OPTIONS = [
    click.argument("program", required=False, metavar="PROGRAM [NAME=VALUE]..."),
    click.option("--set", "-s", "assignments", multiple=True, metavar="NAME=VALUE",
                 help="Give inputs values; several pairs may follow one --set, and --set may repeat. "
                      "A value may be a constant expression (x=pi/4)."),
    click.option("-f", "--file", "program_file", type=click.Path(dir_okay=True, allow_dash=True),
                 help="Read the program from a file ('-' for stdin); # comments are allowed."),
    click.option("-o", "--output", "output", type=click.Path(allow_dash=True), metavar="PATH",
                 help="Also write a file, in the format its extension names (" + " ".join(SAVE_EXTENSIONS)
                      + "); '-' writes the --format document to stdout. Default: the diagram backprop.png."),
    click.option("--no-diagram", is_flag=True, help="Do not write the default diagram backprop.png."),
    click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="text", show_default=True,
                 help="What to print on stdout (see Formats above)."),
    click.option("--standalone", is_flag=True, help="LaTeX output (--format latex, -o FILE.tex) is a whole "
                                                    "document, ready for pdflatex."),
    click.option("--wrt", metavar="NAME,...", help="Show the backward pass, the diagram's gradients and --check "
                                                    "only for these inputs (and the paths to them)."),
    click.option("--check", is_flag=True, help="Print a table comparing every gradient with a finite difference "
                                              "(or JSON, with --format json); exit 1 when one differs by more "
                                              "than --tol."),
    click.option("--tol", type=click.FloatRange(min=0, min_open=True), default=None, metavar="TOL",
                 help="Largest relative error --check accepts (default 1e-5)."),
    click.option("--ascii", "ascii_only", is_flag=True, help="Plain ASCII derivation (dL/da, *), on stdout and "
                                                            "in -o FILE.txt."),
    click.option("--rankdir", type=click.Choice(["LR", "TB"], case_sensitive=False), default=None,
                 help="Diagram direction: inputs left to right, or top to bottom (default: LR, or TB when LR "
                      "would be too wide for a slide)."),
    click.option("--style", type=click.Choice(["boxes", "edges"]), default=None,
                 help="Diagram style: a box per value (default), or values on the edges as on CS231n's slides "
                      "(value above, gradient below; DOT, PNG, SVG, PDF)."),
    click.option("--max-nodes", type=click.IntRange(min=1), default=None,
                 help="Largest diagram to draw, in boxes and circles (default 400); a bigger graph is drawn "
                      "as its part nearest the output plus its inputs, the rest summarised in one box."),
    click.option("--frame-ms", type=click.IntRange(min=50, max=60000), default=None, metavar="MS",
                 help="With -o steps.gif: how long a one-line step shows, in milliseconds (default 2000; "
                      "a step with more text shows longer)."),
    click.option("--symbolic", is_flag=True, help="Also give each input's gradient as a simplified formula over "
                                                 "the inputs (∂L/∂a = b × f = 15), in every derivation format "
                                                 "and in JSON (key formulas)."),
    click.option("--hessian", is_flag=True, help="Also give the matrix of second derivatives over the inputs "
                                                "(with --symbolic: as formulas too; with --check: checked by "
                                                "finite differences of the gradient)."),
    click.option("--graph", "graph_kind", type=click.Choice(["forward", "gradient"]), default="forward",
                 show_default=True, help="What a diagram draws: the program's graph, or the gradient graph "
                                         "(the forward nodes plus the backward nodes autograd builds)."),
    click.option("--mode", type=click.Choice(["reverse", "forward"]), default="reverse", show_default=True,
                 help="The derivation's mode: reverse (the backward pass) or forward (one tangent sweep per input, "
                      "or per --wrt input, with the operation counts of both modes)."),
    click.option("--cost", is_flag=True, help="Also count the local-derivative multiplications and additions "
                                             "of forward and reverse mode on this program."),
    click.option("--paths", is_flag=True, help="Also write each gradient as the sum, over every path from the "
                                              "input to the output, of the product of its local derivatives "
                                              "(paths counted exactly, at most --max-paths listed)."),
    click.option("--max-paths", type=click.IntRange(min=0), default=None, metavar="N",
                 help="With --paths: the most paths listed per input (default 50)."),
    click.option("--lint", is_flag=True, help="Always end with the lint section (printed anyway when it finds "
                                              "something): saturated tanh/sigmoid, dead relu, vanishing or "
                                              "exploding products, exp overflow, zero gradients; JSON key lint."),
    click.option("--step", type=float, default=None, metavar="LR",
                 help="Also take one step of gradient descent (a ← a − LR × ∂L/∂a): the new output, and the "
                      "first-order prediction of the change beside the actual one (docs/training.md)."),
    click.option("--params", metavar="NAME,...", help="With --step: the inputs that move (default: every input)."),
    click.option("--max-elements", type=click.IntRange(min=1), default=None, metavar="N",
                 help="Array programs: refuse a value or result of more elements (default 10,000,000)."),
    click.option("--expand", is_flag=True, help="Array programs with tiny shapes: also write the program as its scalar "
                                               "graph and check its gradients equal the vectorised rules' (exit "
                                               "status 1 when they differ)."),
    click.option("--timings", is_flag=True, help="Print the wall time of each phase on stderr."),
]
_SPELLING = {"output": "-o", "fmt": "--format", "ascii_only": "--ascii", "assignments": "--set",
             "program_file": "-f", "graph_kind": "--graph"}


def add_options(function):
    """Decorate a click callback with the derivation's argument and options."""
    for decorator in reversed(OPTIONS):
        function = decorator(function)
    return function


def given_options(ctx: click.Context) -> dict[str, str]:
    """The options typed on the command line, as the user wrote them: {"--wrt": "--wrt a", …}."""
    given = {}
    for name, value in ctx.params.items():
        if name == "program" or ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE:
            continue
        flag = _SPELLING.get(name, "--" + name.replace("_", "-"))
        given[flag] = flag if value is True else f"{flag} {value}"
    return given
