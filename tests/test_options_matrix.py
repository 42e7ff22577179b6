"""Every pair of views, formats and modifiers either works (and honours both) or is refused in one line.

Rows are settings of today's options (each --format value, each kind of -o, each view and
modifier). For each pair of rows of different options the command runs on the seed example;
it must exit 0 with output that shows both options' effects, or exit non-zero with one line
``Error: …`` naming both options; or else one of the two is refused alone, with the very
message it gets alone (``--standalone`` with no LaTeX output, say). Nothing is silently ignored.

GIF frames take Graphviz a second each, so the GIF writer is replaced here by one that records
its options (tests/test_gif.py draws real GIFs).
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop.cli import command
from backprop.options import MODIFIERS, VIEWS
from backprop.render.formats import FORMATS

from conftest import SEED_ARGS

HAS_DOT = shutil.which("dot") is not None
MAGIC = {"text": b"Program", "ascii": b"Program", "markdown": b"**Program", "latex": (b"%", b"\\documentclass"),
         "json": b"{",
         "dot": b"digraph", "png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF", "html": b"<!DOCTYPE html",
         "gif": b"GIF89a"}
TEXT_FORMATS = ("text", "ascii", "markdown", "latex", "json", "dot", "svg", "html")
NOT_FOR_B = ("∂L/∂b", "dL/db", "{\\partial b}", '"input": "b"')  # what --wrt a must hide


class Run:
    """One finished run: its stdout, stderr and the files it wrote."""

    def __init__(self, result, folder: Path, gif_options: list):
        self.stdout, self.stderr = result.stdout_bytes, result.stderr
        self.folder, self.gif_options = folder, gif_options

    def texts(self) -> list[str]:
        """Every textual output: stdout (unless binary) and each text file written."""
        found = []
        if not self.stdout.startswith((MAGIC["png"], MAGIC["pdf"], MAGIC["gif"])):
            found.append(self.stdout.decode("utf-8"))
        for path in self.folder.iterdir():
            if path.suffix in (".txt", ".md", ".tex", ".json", ".dot", ".svg", ".html"):
                found.append(path.read_text(encoding="utf-8"))
        return found

    def stdout_is_derivation_text(self) -> bool:
        return self.stdout.startswith((b"Program", b"Gradient check"))


def _stdout_is(fmt):
    def honours(run: Run) -> None:
        if run.stdout.startswith(b"Gradient check"):  # --check prints its table in this format
            assert fmt in ("text", "ascii")
        elif run.stdout.startswith(b"{") and b'"checks"' in run.stdout:
            assert fmt == "json"
        else:  # a format added to the registry after this test was written: it must print something
            assert run.stdout.startswith(MAGIC.get(fmt, b"")) and run.stdout, run.stdout[:40]
        if fmt == "ascii":
            assert run.stdout.isascii()
    return honours


def _file_is(name, fmt):
    def honours(run: Run) -> None:
        assert (run.folder / name).read_bytes().startswith(MAGIC.get(fmt, b""))
        assert f"written to {name}" in run.stderr
    return honours


def _check(run: Run) -> None:
    assert run.stdout.startswith(b"Gradient check") or b'"checks"' in run.stdout


def _wrt(run: Run) -> None:
    for text in run.texts():
        assert not any(hidden in text for hidden in NOT_FOR_B), text[:300]


def _standalone(run: Run) -> None:
    assert any("\\documentclass" in text for text in run.texts())


def _ascii(run: Run) -> None:
    assert run.stdout_is_derivation_text() or (run.folder / "d.txt").exists()
    if run.stdout_is_derivation_text():
        assert run.stdout.isascii()
    if (run.folder / "d.txt").exists():
        assert (run.folder / "d.txt").read_bytes().isascii()


def _tol(run: Run) -> None:
    assert b"tolerance 0.5" in run.stdout or json.loads(run.stdout)["tol"] == 0.5


def _frame_ms(run: Run) -> None:
    assert [options["frame_ms"] for options in run.gif_options] == [100]


def _rankdir(run: Run) -> None:
    dots = [text for text in run.texts() if text.startswith("digraph")]
    assert all("rankdir=TB" in text for text in dots)
    assert dots or run.gif_options or any(p.suffix in (".png", ".svg", ".pdf", ".html") for p in run.folder.iterdir()) \
        or run.stdout.startswith((MAGIC["png"], MAGIC["pdf"], b"<?xml", b"<!DOCTYPE"))
    assert all(options["rankdir"] == "TB" for options in run.gif_options)


def _style(run: Run) -> None:
    dots = [text for text in run.texts() if text.startswith("digraph")]
    assert all("tailport=" in text for text in dots)  # values on the edges, the line running through them
    assert dots or any(p.suffix in (".png", ".svg", ".pdf") for p in run.folder.iterdir()) \
        or run.stdout.startswith((MAGIC["png"], MAGIC["pdf"], b"<?xml"))
    assert not run.gif_options


def _max_nodes(run: Run) -> None:
    dots = [text for text in run.texts() if text.startswith("digraph")]
    assert all("more operations" in text for text in dots)
    assert "more than --max-nodes 3" in run.stderr or dots or run.gif_options or run.stdout[:4] in (
        MAGIC["png"][:4], MAGIC["pdf"][:4], b"<?xm", b"<!DO")
    assert all(options["max_nodes"] == 3 for options in run.gif_options)


def _no_diagram(run: Run) -> None:
    assert not (run.folder / "backprop.png").exists()


def _timings(run: Run) -> None:
    assert "total:" in run.stderr


def _expand(run: Run) -> None:
    assert any("Expanded to scalars" in text or '"expanded"' in text for text in run.texts())


def _max_elements(run: Run) -> None:
    assert run.stdout or run.texts()  # a scalar program runs as before: the limit is about arrays


def _symbolic(run: Run) -> None:
    assert any(f in text for text in run.texts() for f in ("b × f", "b * f", "b \\times f", '"formulas"'))


def _hessian(run: Run) -> None:
    assert any(h in text for text in run.texts() for h in ("Hessian", "bmatrix", '"hessian"', "Second derivatives"))


def _gradient_graph(run: Run) -> None:
    drawn = [text for text in run.texts() if text.startswith(("digraph", "<?xml"))]
    assert all("backward nodes" in text for text in drawn)
    assert drawn or any(p.suffix in (".png", ".pdf") for p in run.folder.iterdir()) \
        or run.stdout.startswith((MAGIC["png"], MAGIC["pdf"]))


def _forward_mode(run: Run) -> None:
    marks = ("Forward mode", "Forward mode:", '"forward_mode"', "sweeps")
    assert any(any(m in text for m in marks) for text in run.texts()), [t[:200] for t in run.texts()]
    for text in run.texts():
        if text.startswith(("Program", "**Program", "%")):
            assert "Sweep 1 of" in text and "Backward pass" not in text


def _cost(run: Run) -> None:
    assert any("reverse mode: 1 sweep" in text or '"cost"' in text for text in run.texts())


def _paths(run: Run) -> None:
    assert any("Sums over paths" in text or '"paths"' in text for text in run.texts())


def _max_paths(run: Run) -> None:
    documents = [text for text in run.texts() if "Sums over paths" in text or '"paths"' in text]
    assert documents  # only with --paths: alone it is refused
    for text in documents:  # the seed has one path per input: with --max-paths 0 each is left out, and said so
        assert "more path" in text and "--max-paths 0" in text or '"left_out": 1' in text, text[-600:]


def _lint(run: Run) -> None:
    marks = ("Lint: nothing found", "**Lint**: nothing found", "textbf{Lint:} nothing found", '"lint"')
    assert any(m in text for text in run.texts() for m in marks), [t[-300:] for t in run.texts()]


def _step(run: Run) -> None:
    marks = ("One step of gradient descent", '"predicted_change"')
    assert any(any(m in text for m in marks) for text in run.texts()), [t[-300:] for t in run.texts()]


def _params(run: Run) -> None:
    documents = [text for text in run.texts() if "One step of gradient descent" in text or '"predicted_change"' in text]
    assert documents  # only with --step: alone it is refused
    for text in documents:  # --params a moves a alone
        assert "a ← a" in text or "a <- a" in text or "a \\leftarrow a" in text or '"name": "a"' in text
        assert "b ← b" not in text and "b <- b" not in text and "b \\leftarrow" not in text \
            and '"name": "b"' not in text


# (option, args, what must be true of a run that succeeds)
ROWS = [("--format", ["--format", name], _stdout_is(name)) for name in FORMATS]
ROWS += [("-o", ["-o", f"out{f.extensions[0]}"], _file_is(f"out{f.extensions[0]}", f.name))
         for f in FORMATS.values() if f.extensions and f.name != "text"]
ROWS += [("-o", ["-o", "d.txt"], _file_is("d.txt", "text")), ("-o", ["-o", "-"], lambda run: None)]
ROWS += [
    ("--check", ["--check"], _check),
    ("--wrt", ["--wrt", "a"], _wrt),
    ("--standalone", ["--standalone"], _standalone),
    ("--ascii", ["--ascii"], _ascii),
    ("--tol", ["--tol", "0.5"], _tol),
    ("--frame-ms", ["--frame-ms", "100"], _frame_ms),
    ("--rankdir", ["--rankdir", "TB"], _rankdir),
    ("--style", ["--style", "edges"], _style),
    ("--max-nodes", ["--max-nodes", "3"], _max_nodes),
    ("--no-diagram", ["--no-diagram"], _no_diagram),
    ("--timings", ["--timings"], _timings),
    ("--max-elements", ["--max-elements", "1000"], _max_elements),
    ("--expand", ["--expand"], _expand),
    ("--symbolic", ["--symbolic"], _symbolic),
    ("--hessian", ["--hessian"], _hessian),
    ("--graph", ["--graph", "gradient"], _gradient_graph),
    ("--mode", ["--mode", "forward"], _forward_mode),
    ("--cost", ["--cost"], _cost),
    ("--paths", ["--paths"], _paths),
    ("--max-paths", ["--max-paths", "0"], _max_paths),
    ("--lint", ["--lint"], _lint),
    ("--step", ["--step", "0.01"], _step),
    ("--params", ["--params", "a"], _params),
]
PAIRS = [(a, b) for a, b in itertools.combinations(ROWS, 2) if a[0] != b[0]]


def test_the_rows_cover_every_view_modifier_and_format():
    options = {row[0] for row in ROWS}
    assert set(VIEWS) | set(MODIFIERS) <= options
    assert {row[1][1] for row in ROWS if row[0] == "--format"} == set(FORMATS)
    assert {Path(row[1][1]).suffix or row[1][1] for row in ROWS if row[0] == "-o"} == \
        {f.extensions[0] for f in FORMATS.values() if f.extensions} | {"-"}


def invoke(args, folder: Path, monkeypatch) -> tuple:
    gif_options = []

    def fake_gif(result, **options):
        gif_options.append(options)
        return b"GIF89a" + repr(sorted(options)).encode()

    monkeypatch.setattr("backprop.render.gif.render_gif", fake_gif)
    folder.mkdir(exist_ok=True)
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(command, SEED_ARGS + args)
    return result, Run(result, folder, gif_options)


def refusal(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output + result.stderr, result.stderr
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


@pytest.mark.parametrize("a, b", PAIRS, ids=[f"{' '.join(a[1])} + {' '.join(b[1])}" for a, b in PAIRS])
def test_every_pair_works_or_is_refused_naming_both(a, b, tmp_path, monkeypatch):
    if not HAS_DOT and any(arg.endswith((".png", ".svg", ".pdf", ".html", ".gif")) or arg in
                           ("png", "svg", "pdf", "html", "gif") for arg in a[1] + b[1]):
        pytest.skip("Graphviz is not installed")
    result, run = invoke(a[1] + b[1], tmp_path / "both", monkeypatch)
    if result.exit_code == 0:
        a[2](run)
        b[2](run)
        return
    message = refusal(result)
    if a[0] in message and b[0] in message:
        return
    alone = [refusal(r) for r, _ in (invoke(row[1], tmp_path / row[0].strip("-"), monkeypatch) for row in (a, b))
             if r.exit_code != 0]
    assert message in alone, f"{message!r} names neither both options nor one refused alone"


@pytest.mark.parametrize("args, fragment", [
    (["--standalone"], "--standalone makes LaTeX a whole document; it does not apply to the text derivation"),
    (["--tol", "0.1"], "--tol 0.1 sets the tolerance of --check"),
    (["--frame-ms", "100", "-o", "g.svg"], "--frame-ms 100 sets the frame time of a GIF; it does not apply to "
                                           "the text derivation (the default) and -o g.svg"),
    (["-o", "-"], "-o - writes to standard output: name the format with --format"),
    (["--check", "--format", "markdown"], "--check compares every gradient with a finite difference: it can "
                                          "not print --format markdown"),
    (["--wrt", "a", "--format", "json"], "--wrt a does not combine with --format json"),
    (["--wrt", "a", "-o", "g.html"], "--wrt a does not combine with -o g.html"),
    (["--ascii", "--format", "latex"], "--ascii writes the text derivation in ASCII; it does not apply to "
                                       "--format latex"),
    (["--rankdir", "TB", "--no-diagram"], "--rankdir TB sets the direction of a diagram; it does not apply to "
                                          "the text derivation (the default)"),
    (["--check", "-o", "-", "--format", "json"], "--check prints its own document, and -o - sends another"),
])
def test_refusals_are_one_line_naming_the_options(args, fragment, tmp_path, monkeypatch):
    result, _ = invoke(args, tmp_path, monkeypatch)
    assert fragment in refusal(result)
    assert not list(tmp_path.iterdir())  # refused before any work: nothing written
