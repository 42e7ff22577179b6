"""Problems → a worksheet to fill in and its answer key, as LaTeX and as PDF (pdflatex).

Each problem shows the program as parsed, the inputs, its graph with every computed value
and gradient blank (the GIF's step-0 frame: ``gif.frame_dot``), and a table to fill in.
The answer key has the full graph, the filled table and the whole derivation, written by
the LaTeX writer (``render/latex.py``) that ``--format latex`` uses.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import RenderError
from ..graph import CONST
from ..render.formats import write_atomically
from ..steps import depends_on_inputs

PDFLATEX_TIMEOUT = 180  # seconds, for the whole document

_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath}
\usepackage{graphicx}
\usepackage{array}
\usepackage[margin=2cm]{geometry}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.4em}
\renewcommand{\arraystretch}{1.6}
\begin{document}
"""


def answer_key_path(path: Path) -> Path:
    """sheet.pdf → sheet-answers.pdf."""
    return path.with_name(f"{path.stem}-answers{path.suffix}")


def graph_pdfs(result, stem: str, folder: Path) -> tuple[str, str]:
    """The problem's graph drawn blank (to fill in) and complete (the key), as PDF files in ``folder``."""
    from ..render.dot import render_dot, run_dot
    from ..render.gif import frame_dot

    base = render_dot(result, rankdir="TB")  # a page is taller than it is wide
    blank, full = f"{stem}-blank.pdf", f"{stem}-key.pdf"
    write_atomically(folder / blank, run_dot(frame_dot(result, base, 0), "pdf"))
    write_atomically(folder / full, run_dot(base, "pdf"))
    return blank, full


def worksheet_tex(problems, results, graphs: list[tuple[str, str]], *, answers: bool, title: str) -> str:
    """The worksheet (or, with ``answers``, its key) as a LaTeX document."""
    from ..render.latex import LatexWriter, latex_number, latex_text, render_latex

    parts = [_PREAMBLE, f"\\section*{{{latex_text(title)}{' — answer key' if answers else ''}}}\n"]
    if not answers:
        parts.append("For each problem, compute every node's value (forward pass), then the gradient of the "
                     "output with respect to every node (backward pass), and fill in the graph and the table.\n\n")
    for number, (problem, result, (blank, full)) in enumerate(zip(problems, results, graphs), start=1):
        writer = LatexWriter(result)
        graph = result.graph
        parts.append(f"\\subsection*{{Problem {number}: {latex_text(problem.family)}}}\n")
        parts.append("\\begin{align*}\n" + " \\\\\n".join(_echo_rows(writer)) + "\n\\end{align*}\n")
        given = ", ".join(f"${writer.name(i)} = {latex_number(result.values[i])}$" for i in graph.inputs)
        parts.append(f"Inputs: {given}.\n\n")
        parts.append("\\begin{center}\\includegraphics[width=\\linewidth,height=0.6\\textheight,keepaspectratio]"
                     f"{{{full if answers else blank}}}\\end{{center}}\n")
        parts.append(_table(result, writer, answers))
        if answers:
            parts.append(render_latex(result))
        parts.append("\\clearpage\n")
    parts.append("\\end{document}\n")
    return "".join(parts)


def _echo_rows(writer) -> list[str]:
    return [f"{name} &= {expression}" if name != expression else f"&{expression}"
            for name, expression in writer.echo()]


def _table(result, writer, answers: bool) -> str:
    from ..render.latex import latex_number

    graph = result.graph
    varies = depends_on_inputs(graph)
    out = writer.out
    rows = []
    for node in graph.nodes:
        if node.op == CONST or not varies[node.id]:
            continue
        known_value = answers or node.op == "input"
        value = f"${latex_number(result.values[node.id])}$" if known_value else ""
        grad = f"${latex_number(result.grads[node.id])}$" if answers or node.id == graph.output else ""
        what = writer.name(node.id) if not node.args else f"{writer.name(node.id)} = {writer.operation(node.id)}"
        rows.append(f"${what}$ & {value} & {grad} \\\\ \\hline")
    header = f"node & value & $\\dfrac{{\\partial {out}}}{{\\partial\\,\\text{{node}}}}$ \\\\ \\hline"
    return ("\\begin{center}\\begin{tabular}{|l|"
            ">{\\centering\\arraybackslash}p{3.5cm}|>{\\centering\\arraybackslash}p{3.5cm}|}\\hline\n"
            + header + "\n" + "\n".join(rows) + "\n\\end{tabular}\\end{center}\n")


def write_worksheet(problems, path: Path, *, title: str) -> list[Path]:
    """Write the worksheet and its key as PDF (``.pdf``, compiled by pdflatex) or LaTeX (``.tex``,
    with the graphs beside it); returns the files written."""
    results = [p.result() for p in problems]
    key = answer_key_path(path)
    if path.suffix.lower() == ".tex":
        folder = path.parent
        graphs = [graph_pdfs(r, f"{path.stem}-graph-{n}", folder) for n, r in enumerate(results, start=1)]
        for target, answers in ((path, False), (key, True)):
            write_atomically(target, worksheet_tex(problems, results, graphs, answers=answers, title=title).encode())
        return [path, key] + [folder / name for pair in graphs for name in pair]
    if shutil.which("pdflatex") is None:
        raise RenderError("a PDF worksheet needs pdflatex (Debian: apt-get install texlive-latex-base); "
                          "-o sheet.tex writes the LaTeX instead")
    with tempfile.TemporaryDirectory(prefix="backprop-sheet-") as tmp:
        folder = Path(tmp)
        graphs = [graph_pdfs(r, f"graph-{n}", folder) for n, r in enumerate(results, start=1)]
        for name, answers, target in (("sheet", False, path), ("answers", True, key)):
            (folder / f"{name}.tex").write_text(worksheet_tex(problems, results, graphs, answers=answers,
                                                              title=title), encoding="utf-8")
            _pdflatex(folder, name)
            write_atomically(target, (folder / f"{name}.pdf").read_bytes())
    return [path, key]


def _pdflatex(folder: Path, name: str) -> None:
    command = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", f"{name}.tex"]
    try:
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, errors="replace",
                              timeout=PDFLATEX_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise RenderError(f"pdflatex took longer than {PDFLATEX_TIMEOUT} s on the worksheet") from None
    if done.returncode != 0 or not (folder / f"{name}.pdf").exists():
        errors = [line for line in done.stdout.splitlines() if line.startswith("!")]
        raise RenderError(f"pdflatex failed on the worksheet: {errors[0] if errors else 'see its log'}")
