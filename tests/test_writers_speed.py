"""The writers at scale: a node used many times is summarised, big documents stream (issue 15).

Behaviour only; how fast the writers are is measured by benchmarks/writers.py, not here.
"""

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop.api import differentiate
from backprop.errors import RenderError
from backprop.render.equations import SHOWN_TERMS
from backprop.render.export import json_chunks, render_json
from backprop.render.formats import FORMATS, write_atomically
from backprop.render.trace import render_trace, trace_chunks

DOCS = Path(__file__).resolve().parent.parent / "docs"


def long_sum(uses: int):
    """x*y three times, then x alone, so that x is used ``uses`` times."""
    return differentiate(" + ".join(["x*y"] * 3 + ["x"] * (uses - 3)), {"x": 2, "y": 3})


def x_step(text: str) -> str:
    """The lines of x's backward step in a terminal derivation."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "∂L/∂x =" in line or "dL/dx =" in line)
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("      "))
    return "\n".join(lines[start:end])


def test_twenty_uses_are_written_out_in_full():
    step = x_step(render_trace(long_sum(SHOWN_TERMS)))
    assert "more" not in step
    assert step.count("since ") == SHOWN_TERMS
    assert "x is used 20 times (by " in step and step.count(": its gradient is the sum of the 20 paths (copy gate") == 1


def test_past_twenty_uses_the_step_shows_the_first_the_count_left_out_and_the_sum():
    result = long_sum(25)
    step = x_step(render_trace(result))
    equation, uses, *reasons = step.splitlines()
    # every stage of the sum: the first 20 terms, then how many are left out; then the true total
    stages = equation.split(" = ")
    assert len(stages) >= 5 and all(stage.endswith(" + … and 5 more") for stage in stages[1:-1])
    assert equation.endswith(f"+ … and 5 more = {result.gradients['x']:g}")
    assert equation.split(" = ")[-2] == "3 + 3 + 3 + " + " + ".join(["1"] * 17) + " + … and 5 more"
    assert "x is used 25 times" in uses and "… and 5 more): its gradient is the sum of the 25 paths, the first 20 shown" \
        in uses
    assert sum(line.strip().startswith("since ") for line in reasons) == SHOWN_TERMS
    assert reasons[-1].strip() == "note: the other 5 uses are left out here; --format json lists every contribution"


def test_a_thousand_uses_read_as_thousands_separated_counts():
    result = differentiate(" + ".join(["x"] * 1000), {"x": 1.5})
    step = x_step(render_trace(result))
    assert "… and 980 more = 1000" in step.splitlines()[0]
    assert "x is used 1,000 times" in step


def test_ascii_markdown_and_latex_summarise_the_same_way():
    result = long_sum(30)
    ascii_step = x_step(render_trace(result, ascii=True))
    assert ascii_step.isascii() and "... and 10 more" in ascii_step and "\\u2026" not in ascii_step
    markdown = result.derivation("markdown")
    assert r"\ldots\ \text{and 10 more}" in markdown
    assert "note: the other 10 uses are left out here" in markdown
    latex = result.derivation("latex")
    assert r"\ldots\ \text{and 10 more}" in latex


def test_json_keeps_every_contribution_in_compact_lists():
    result = long_sum(25)
    document = json.loads(render_json(result))
    x = result.graph.inputs[0]
    (step,) = [s for s in document["steps"] if "contributions" in s]
    assert step["phase"] == "backward" and step["node"] == x
    assert len(step["consumers"]) == len(step["contributions"]) == 25
    assert math.fsum(step["contributions"]) == pytest.approx(document["gradients"]["x"])
    assert all(x in document["nodes"][c]["args"] for c in step["consumers"])
    # steps with 20 uses or fewer have no lists (only the gate patterns may join the three keys)
    assert all(set(s) - {"gates"} == {"phase", "node", "text"} for s in document["steps"] if s is not step)


def test_the_schema_describes_the_contribution_lists():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((DOCS / "schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(render_json(long_sum(25))), schema)


def test_the_schema_describes_the_streamed_document(big):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((DOCS / "schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(render_json(big)), schema)


@pytest.fixture
def big(monkeypatch):
    """A graph over INDENT_LIMIT (lowered, so the test stays quick): the JSON is the compact,
    streamed document, and the pieces are small enough that there are several."""
    from backprop.render import export, trace

    monkeypatch.setattr(export, "INDENT_LIMIT", 20)
    monkeypatch.setattr(export, "_BATCH", 7)
    monkeypatch.setattr(trace, "_CHUNK_LINES", 10)
    result = differentiate(" + ".join(f"sin(x*{k})" for k in range(1, 30)) + " + " + " + ".join(["x"] * 25),
                           {"x": 0.5})
    assert len(result.graph.nodes) > export.INDENT_LIMIT
    return result


def test_big_json_streams_in_pieces_that_make_the_json_dumps_document(big):
    from backprop.render.export import json_document

    pieces = list(json_chunks(big))
    assert len(pieces) > 2
    text = "".join(pieces)
    assert text == json.dumps(json_document(big), ensure_ascii=False, allow_nan=False) + "\n"
    views = {"cost": True, "paths": True, "max_paths": 2}
    assert "".join(json_chunks(big, **views)) == \
        json.dumps(json_document(big, **views), ensure_ascii=False, allow_nan=False) + "\n"


def test_big_text_streams_in_whole_lines(big):
    pieces = list(trace_chunks(big))
    assert len(pieces) > 1 and all(piece.endswith("\n") for piece in pieces)
    assert "".join(pieces) == render_trace(big)
    assert "".join(trace_chunks(big, ascii=True)) == render_trace(big, ascii=True)


@pytest.mark.parametrize("fmt", ["text", "ascii", "json", "markdown", "dot"])
def test_render_chunks_add_up_to_render(big, fmt):
    chosen = FORMATS[fmt]
    assert b"".join(chosen.render_chunks(big)) == chosen.render(big)


@pytest.mark.parametrize("fmt, module", [("markdown", "markdown"), ("latex", "latex")])
@pytest.mark.parametrize("options", [{}, {"wrt": ["x"], "step": 0.1}, {"standalone": True, "lint": True}])
def test_markdown_and_latex_stream_in_whole_lines_the_same_document(big, monkeypatch, fmt, module, options):
    """Streamed in pieces of 10 lines, the document is the one written as a single piece."""
    import importlib

    writer = importlib.import_module(f"backprop.render.{module}")
    monkeypatch.setattr(writer, "_CHUNK_LINES", 10 ** 9)
    whole = list(FORMATS[fmt].render_chunks(big, **options))
    monkeypatch.setattr(writer, "_CHUNK_LINES", 10)
    pieces = list(FORMATS[fmt].render_chunks(big, **options))
    assert len(pieces) > 5 and all(piece.endswith(b"\n") for piece in pieces)
    assert b"".join(pieces) == b"".join(whole)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.booleans()), max_size=12), st.booleans())
def test_latex_rows_streamed_end_as_rows_written_whole(steps, always):
    """latex._RowStream (rows written as they come) against latex._rows (rows known in advance):
    a step of n rows, then a gap when it says so."""
    from backprop.render.latex import _rows, _RowStream

    lines: list[str] = []
    stream = _RowStream(lines, always=always)
    rows, gaps = [], set()
    for count, spaced in steps:
        for _ in range(count):
            row = f"r{len(rows)}"
            rows.append(row)
            stream.add(row)
        if spaced:
            stream.gap()
            if rows:
                gaps.add(len(rows) - 1)
    opened = stream.end()
    assert opened == bool(rows or always)
    expected = [r"\begin{align*}", *_rows(rows, gaps), r"\end{align*}"] if opened else []
    assert lines == expected


def test_a_stream_that_fails_half_way_leaves_the_old_file(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")

    def pieces():
        yield b'{"output": '
        raise RenderError("the writer failed")

    with pytest.raises(RenderError):
        write_atomically(target, pieces())
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temporary file left behind


def test_save_streams_into_the_file(big, tmp_path):
    saved = big.save(tmp_path / "big.json")
    assert saved.read_text(encoding="utf-8") == render_json(big)
    saved = big.save(tmp_path / "big.txt")
    assert saved.read_text(encoding="utf-8") == render_trace(big)
