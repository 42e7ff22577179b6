"""The graph keeps spans and generated names in columns (docs/benchmark.md, "Targets 4 and 5").

``Node.span`` and ``Node.name`` are looked up in the graph's ``NodeTable`` instead of being
stored per node; these tests check that every reader still gets exactly what a node used to
hold, that renumbering and renaming keep them, and that the graph stays small.
"""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from backprop import differentiate
from backprop.graph import Node, NodeTable
from backprop.lower import lower
from backprop.parse import parse
from backprop.syntax import Apply, Name


def test_every_node_span_points_at_its_own_text():
    source = "h = tanh(w1*x + b)\nL = h*h + 0.5*w1^2 - y"
    graph = differentiate(source, {"w1": 0.5, "x": 2, "b": 0.1, "y": 1}).graph
    written = {node.name: source[slice(*node.span)] for node in graph.nodes}
    assert written["w1"] == "w1" and written["x"] == "x" and written["y"] == "y"
    assert written["h"] == "tanh(w1*x + b)"
    assert written["L"] == "h*h + 0.5*w1^2 - y"
    assert written["0.5"] == "0.5"
    unnamed = {source[slice(*node.span)] for node in graph.nodes if not node.named and node.op != "const"}
    assert unnamed == {"w1*x", "w1*x + b", "h*h", "w1^2", "0.5*w1^2", "h*h + 0.5*w1^2"}


def test_an_input_span_is_its_first_use():
    source = "x*y + y*x"
    graph = lower(parse(source))
    assert [(node.name, node.span) for node in graph.nodes if node.op == "input"] == [("x", (0, 1)), ("y", (2, 3))]


def test_generated_names_are_numbered_in_the_order_they_are_computed():
    source = " + ".join(f"sin(x{i})" for i in range(8))  # 15 operations: too many for letters
    graph = lower(parse(source))
    generated = [node for node in graph.nodes if node.op != "input" and not node.named]
    assert [node.name for node in generated] == [f"[{n}]" for n in range(1, len(generated) + 1)]
    assert all(node.label is None for node in generated)  # no string kept per node
    assert graph.operation(graph.output) == "[13] + [14]"  # L = the last add, of the last two


def test_the_echo_and_steps_name_intermediates_as_before():
    result = differentiate("(a*b+c)*f", {"a": 2, "b": 3, "c": -10, "f": 5})  # the seed page
    assert [node.name for node in result.graph.nodes] == ["a", "b", "c", "f", "e", "d", "L"]
    assert result.graph.echo() == ["L = ((a × b) + c) × f"]


def test_renumbering_and_renaming_keep_span_and_name():
    graph = lower(parse(" + ".join(f"exp(t{i})" for i in range(9))))  # 16 unnamed: numbered names
    node = next(node for node in graph.nodes if node.op == "exp" and node.id > 8)
    assert node.label is None and node.name.startswith("[")
    moved = node._replace(id=0, args=(0,))
    assert (moved.name, moved.span, moved.op) == (node.name, node.span, node.op)
    renamed = node._replace(name="z", named=True)
    assert (renamed.name, renamed.named, renamed.span) == ("z", True, node.span)
    respanned = node._replace(span=(1, 2))
    assert (respanned.span, respanned.name) == ((1, 2), node.name)
    made = Node(3, "input", (), "q", (4, 5), None, True)  # made by hand, as transform.py does
    assert (made.name, made.span) == ("q", (4, 5))


def test_gradient_graphs_keep_the_forward_names_and_spans():
    source = "e = a*b; L = tanh(e) + a"
    result = differentiate(source, {"a": 2, "b": 3})
    gradient = result.gradient_graph()
    forward = {node.name: node.span for node in result.graph.nodes}
    kept = {node.name: node.span for node in gradient.graph.nodes if node.name in forward}
    assert kept and all(forward[name] == span for name, span in kept.items())


def test_a_domain_error_caret_still_lands_under_the_operation():
    from backprop.errors import DomainError, format_error

    source = "x = 2\nL = log(x - 2) + x"
    with pytest.raises(DomainError) as caught:
        differentiate(source, {})
    assert format_error(caught.value, source).splitlines()[1:] == ["  L = log(x - 2) + x", "      ^^^^^^^^^^"]


def test_the_syntax_tree_keeps_two_ints_per_node_not_a_tuple():
    program = parse("L = tanh(w*x) + w")
    expr = program.statements[0].expr
    assert type(expr) is Apply and expr.span == (4, 17) and (expr.start, expr.end) == (4, 17)
    assert "span" not in Apply.__slots__ and "span" not in Name.__slots__
    left = expr.args[0].args[0].args[0]
    assert type(left) is Name and left.span == (9, 10)
    again = parse("w*x + w*x").statements[0]
    assert again.args[0].args[0].name is again.args[1].args[0].name  # names interned: one string


def _graph_bytes_per_node(source: str) -> tuple[float, int]:
    lower(parse("a*b"))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        graph = lower(parse(source), consume=True)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return kept / len(graph.nodes), len(graph.nodes)


def test_a_big_graph_keeps_under_280_bytes_a_node():
    # 3 operations a term over 7 inputs: about 223 bytes a node on CPython 3.11; before the
    # columns 357 (a span tuple and its ints, a generated name string each). The bound leaves
    # room for other Python versions' object sizes.
    source = " + ".join(f"tanh(w{i % 4}*x{i % 3})" for i in range(4000))
    per_node, nodes = _graph_bytes_per_node(source)
    assert nodes > 10_000
    assert per_node < 280, f"{per_node:.0f} bytes per node"


def test_the_table_reads_back_what_was_appended():
    table = NodeTable()
    table.append((3, 9))
    table.append(None)
    assert (table.span(0), table.span(1), len(table)) == ((3, 9), None, 2)
