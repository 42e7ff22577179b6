"""backprop worksheet: a PDF worksheet and its answer key through pdflatex, LaTeX, and Moodle XML."""

import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from backprop.cli import command
from backprop.practice.moodle import tolerance
from backprop.practice.problems import generate

HAS_DOT = shutil.which("dot") is not None
HAS_PDFLATEX = shutil.which("pdflatex") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")


def run(args):
    return CliRunner().invoke(command, ["worksheet", *args])


@pytest.mark.slow
@needs_dot
@pytest.mark.skipif(not HAS_PDFLATEX, reason="pdflatex is not installed (sh scripts/setup.sh --test installs it)")
def test_a_level_2_worksheet_compiles_with_its_answer_key(tmp_path):
    sheet = tmp_path / "sheet.pdf"
    result = run(["--count", "8", "--level", "2", "--seed", "7", "-o", str(sheet)])
    assert result.exit_code == 0, result.output
    key = tmp_path / "sheet-answers.pdf"
    assert sheet.read_bytes().startswith(b"%PDF") and key.read_bytes().startswith(b"%PDF")
    assert "8 problems (level 2, seed 7) written to" in result.stderr
    if shutil.which("pdftotext"):  # the words on the pages, where poppler-utils is installed
        text = subprocess.run(["pdftotext", str(key), "-"], capture_output=True, text=True).stdout
        assert "answer key" in text and "Backward pass" in text


@needs_dot
def test_the_latex_has_the_problems_their_blank_graphs_and_the_key(tmp_path):
    sheet = tmp_path / "sheet.tex"
    result = run(["--count", "2", "--level", "1", "--seed", "3", "-o", str(sheet)])
    assert result.exit_code == 0, result.output
    text = sheet.read_text(encoding="utf-8")
    key = (tmp_path / "sheet-answers.tex").read_text(encoding="utf-8")
    problems = generate(1, 2, seed=3)
    assert text.count("\\subsection*{Problem") == 2 and "Problem 1: " + problems[0].family.split(":")[0] in text
    assert "sheet-graph-1-blank.pdf" in text and "sheet-graph-1-key.pdf" in key
    assert "Backward pass" not in text and "Backward pass" in key  # the derivation only in the key
    assert (tmp_path / "sheet-graph-2-blank.pdf").read_bytes().startswith(b"%PDF")
    # the key's table holds every gradient; the sheet's only the inputs' values and ∂L/∂L = 1
    result_0 = problems[0].result()
    some_grad = [g for g in result_0.grads if g not in (0.0, 1.0)][0]
    from backprop.render.latex import latex_number

    assert latex_number(some_grad) in key


@pytest.mark.slow
def test_moodle_xml_has_each_answer_and_its_tolerance(tmp_path):
    quiz = tmp_path / "quiz.xml"
    result = run(["--count", "3", "--level", "2", "--seed", "7", "-o", str(quiz), "--tol", "0.02"])
    assert result.exit_code == 0, result.output
    root = ET.parse(quiz).getroot()
    numerical = root.findall("question[@type='numerical']")
    problems = generate(2, 3, seed=7)
    expected = []
    for problem in problems:
        r = problem.result()
        expected.append(r.value)
        expected += [r.gradients[name] for name in r.inputs]
    assert len(numerical) == len(expected)
    for question, answer in zip(numerical, expected):
        element = question.find("answer")
        assert element.get("fraction") == "100"
        assert float(element.find("text").text) == pytest.approx(answer, rel=1e-12)
        assert float(element.find("tolerance").text) == pytest.approx(tolerance(answer, 0.02))
        assert float(element.find("tolerance").text) >= 0.002
    assert root.find("question[@type='category']/category/text").text == "$course$/top/backprop"


def test_moodle_questions_without_pictures_are_valid_xml():
    from backprop.practice.moodle import moodle_xml

    problems = generate(1, 2, seed=5)
    root = ET.fromstring(moodle_xml(problems, tol=0.05, pictures=False).encode("utf-8"))
    questions = root.findall("question[@type='numerical']")
    assert len(questions) == sum(1 + len(p.values) for p in problems)
    first = problems[0].result()
    assert float(questions[0].find("answer/text").text) == first.value
    assert float(questions[0].find("answer/tolerance").text) == pytest.approx(tolerance(first.value, 0.05))
    assert questions[0].find("questiontext/file") is None and "<img" not in questions[0].find("questiontext/text").text


@pytest.mark.parametrize("args, fragment, code", [
    (["-o", "sheet.doc"], "a worksheet is written as .pdf", 2),
    (["-o", "q.xml", "--count", "0"], "--count", 2),
    (["-o", "q.xml", "--level", "4"], "--level", 2),
    (["-o", "sheet.tex", "--tol", "0.1"], "needs -o FILE.xml", 2),
    (["-o", "/no/such/folder/q.xml"], "no such folder", 1),
])
def test_bad_input_is_one_line(args, fragment, code):
    result = run(args)
    assert result.exit_code == code
    assert result.stderr.startswith("Error") and fragment in result.stderr, result.stderr
    assert "Traceback" not in result.output
