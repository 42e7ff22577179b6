"""The derivation's steps are made as they are read (docs/benchmark.md, "peak memory").

``result.steps`` is a sequence over flat arrays, not a list of records: these tests check
that it still reads exactly like the list every writer, the stepper, --wrt, lint and
practice index into, and that it keeps a few bytes per step instead of a record.
"""

from __future__ import annotations

import json
import tracemalloc

import pytest

from backprop import differentiate
from backprop.ops import OPS
from backprop.steps import BACKWARD, EAGER_TERMS, FORWARD, Step, Term, Terms


def reference_steps(result) -> list[Step]:
    """The steps written out the plain way (one pass, every record built): what Steps must equal."""
    graph, grads, partials = result.graph, result.grads, result.partials
    nodes = graph.nodes
    steps = [Step(FORWARD, node.id, result.values[node.id]) for node in nodes if node.args]
    uses = [[] for _ in nodes]
    for node in nodes:
        for position, arg in enumerate(node.args):
            uses[arg].append((node.id, position))
    varies = [False] * len(nodes)
    for node in nodes:
        varies[node.id] = node.op == "input" or any(varies[a] for a in node.args)
    reaches = [False] * len(nodes)
    reaches[graph.output] = True
    for node in reversed(nodes):
        if reaches[node.id]:
            for arg in node.args:
                reaches[arg] = True
    order = [graph.output] + [n.id for n in reversed(nodes) if n.args and n.id != graph.output and varies[n.id]]
    order += [i for i in graph.inputs if i != graph.output]
    for node_id in order:
        terms = []
        if node_id != graph.output:
            for consumer, position in uses[node_id]:
                upstream, local = grads[consumer], partials[consumer][position]
                terms.append(Term(consumer, position, upstream, local, upstream * local if upstream != 0.0 else 0.0,
                                  result.operand_notes.get((consumer, position)),
                                  OPS[nodes[consumer].op].gate or None))
        fork = "copy" if len(terms) > 1 and reaches[node_id] else None
        steps.append(Step(BACKWARD, node_id, grads[node_id], tuple(terms), reaches[node_id], fork))
    return steps


PROGRAMS = [
    ("(a*b+c)*f", {"a": 2, "b": 3, "c": -10, "f": 5}),
    ("x*y + x + relu(x - y) + max(x, y) + abs(y - y)", {"x": 2, "y": 2}),  # kinks: notes on terms
    ("e = a*b; d = e + c; u = d*d; L = d*f", {"a": 2, "b": 3, "c": -10, "f": 5}),  # u feeds nothing
    ("1/3 + x*2*3", {"x": 0.5}),  # constant-only operations: forward steps, no backward ones
    ("f = x^3 - 2*x - 5; x - f/grad(f, x)", {"x": 2}),
    ("x", {"x": 4}),  # the output is an input: no forward step
    (" + ".join(["x*y"] * 40 + ["x"] * 50), {"x": 1.5, "y": -2}),  # x has 90 uses: a lazy Terms
]


@pytest.mark.parametrize("source, values", PROGRAMS)
def test_steps_read_exactly_like_the_list_they_replace(source, values):
    result = differentiate(source, values)
    expected = reference_steps(result)
    steps = result.steps
    assert len(steps) == len(expected)
    assert list(steps) == expected  # iteration
    assert [steps[i] for i in range(len(steps))] == expected  # indexing
    assert steps[-1] == expected[-1] and steps[-len(expected)] == expected[0]
    assert steps[1:4] == expected[1:4] and steps[::-2] == expected[::-2]
    with pytest.raises(IndexError):
        steps[len(expected)]
    assert [s.node for s in steps if s.phase == BACKWARD][0] == result.graph.output


def test_a_node_with_many_uses_gets_terms_made_as_they_are_read():
    result = differentiate(" + ".join(["x"] * (EAGER_TERMS + 36)), {"x": 2})
    x = next(s for s in result.steps if s.phase == BACKWARD and s.node == 0)
    assert isinstance(x.terms, Terms) and len(x.terms) == EAGER_TERMS + 36
    # the first operation is x + x: x is its left and its right operand
    assert (x.terms[0].consumer, x.terms[0].position, x.terms[1].consumer, x.terms[1].position) == (1, 0, 1, 1)
    assert x.terms[-1].consumer == len(result.graph.nodes) - 1
    first = x.terms[:20]
    assert type(first) is tuple and len(first) == 20 and first == tuple(x.terms)[:20]
    assert sum(t.contribution for t in x.terms) == x.value == result.gradients["x"]
    assert x.terms == tuple(x.terms) and tuple(x.terms) == x.terms  # compares with a tuple either way
    assert x.gate == "copy" and all(t.gate == "add" for t in x.terms)
    with pytest.raises(IndexError):
        x.terms[len(x.terms)]
    few = differentiate("x*y + x", {"x": 2, "y": 3}).steps[-2]
    assert type(few.terms) is tuple  # a node with a few uses: a plain tuple, made once per step


def test_the_json_lists_every_use_of_a_node_used_many_times():
    result = differentiate(" + ".join(["x"] * 150), {"x": 2})
    document = json.loads(result.to_json())
    x = next(s for s in document["steps"] if s["phase"] == "backward" and s["node"] == 0)
    assert x["consumers"] == [1] + list(range(1, 150))
    assert x["contributions"] == [1.0] * 150


def test_writers_that_index_steps_agree_with_the_sequence():
    result = differentiate(" + ".join(["x*y"] * 40 + ["x"] * 50), {"x": 1.5, "y": -2})
    document = json.loads(result.to_json())
    assert [(s["phase"], s["node"]) for s in document["steps"]] == [(s.phase, s.node) for s in result.steps]
    restricted = result.derivation("text", wrt="y")
    assert "Backward pass" in restricted and "--wrt" in restricted


@pytest.mark.slow  # tracemalloc over a 10⁵-step program: about a second
def test_the_steps_keep_a_few_bytes_per_step_not_a_record():
    result = differentiate(" + ".join(["x*y"] * 10_000), {"x": 1.5, "y": -2})
    tracemalloc.start()
    try:
        steps = result.steps
        count = sum(1 for _ in steps)  # read them all, as a writer does
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 19_999 + 19_999 + 2  # forward: the 19,999 operations; backward: them and the 2 inputs
    # flat arrays (4-byte ids, 1-byte flags) and a bounded cache of recent steps; a list of
    # Step and Term records kept about 250 bytes per step
    assert kept / count < 60, f"{kept / count:.0f} bytes per step"


LOWERED = [
    "(a*b+c)*f",
    "e = a*b; d = e + c; L = d*f",
    "f = x^2; g = f; L = g*3",  # an alias: the echo shows g = f
    "h = x*2; L = h",  # the last binding renames the node it repeats
    "c = x + 1; c = c * c; c = c - x; L = c / 2",  # versions c, c₁, c₂
    "f = x^3 - 2*x - 5; x - f/grad(f, x)",
    "pi * r^2",
    "y = 3; x*y + 1/3",
]


@pytest.mark.parametrize("source", LOWERED)
def test_lowering_that_frees_the_tree_makes_the_same_graph(source):
    from backprop.lower import lower
    from backprop.parse import parse

    kept, consumed = parse(source), parse(source)
    graph, same = lower(kept), lower(consumed, consume=True)
    assert str(same) == str(graph) and same.echo() == graph.echo()
    assert [(n.name, n.span, n.named) for n in same.nodes] == [(n.name, n.span, n.named) for n in graph.nodes]
    assert (same.output, same.statements, same.alias_statements, same.alias_uses) == \
        (graph.output, graph.statements, graph.alias_statements, graph.alias_uses)
    assert consumed.statements == ()  # the pipeline's program is emptied as it is lowered
    assert str(lower(kept)) == str(graph)  # without consume=True the program can be lowered again


@pytest.mark.slow  # tracemalloc over a big program: over a second
def test_differentiate_peaks_below_the_tree_plus_the_graph():
    """The syntax tree is freed while it is lowered: differentiate's peak is well under the
    parse tree and the finished graph together (they used to coexist at the end of lowering)."""
    from backprop.lower import lower
    from backprop.parse import parse

    source = " + ".join(f"x{i % 50} * y{i % 7}" for i in range(5_000))
    tracemalloc.start()
    try:
        program = parse(source)
        tree, _ = tracemalloc.get_traced_memory()
        graph = lower(program)  # not consumed: tree and graph both alive
        both, _ = tracemalloc.get_traced_memory()
        del program, graph
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        result = differentiate(source, {**{f"x{i}": 1.0 for i in range(50)}, **{f"y{i}": 2.0 for i in range(7)}})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.gradients["x0"] == 2.0 * 100
    assert peak - start < 0.85 * both, (peak - start, tree, both)
