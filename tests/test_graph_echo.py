"""The program echo's fast path (``Graph._expression_plain``) prints exactly what the general one does.

``Graph.expression`` prints a graph without aliases through an inlined loop; the general loop over
``_layout`` stays for graphs with aliases, and is the reference here, on random programs of the
grammar, on names with "/" (grad()) and Greek letters, in Unicode and ASCII, with and without the root inlined.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from backprop.errors import BackpropError
from backprop.lower import lower
from backprop.parse import parse
from test_properties import programs


def _both(graph):
    for node in graph.nodes:
        for ascii in (False, True):
            for inline_root in (False, True):
                if inline_root and node.op == "const":
                    continue  # a number at the root is format_number's, before either loop
                fast = graph._expression_plain(node.id, ascii, inline_root)
                assert fast == graph._expression_general(node.id, ascii, inline_root), (node, ascii, inline_root)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs())
def test_fast_echo_matches_the_general_one_on_random_programs(source):
    try:
        graph = lower(parse(source))
    except BackpropError:
        return
    _both(graph)


@pytest.mark.parametrize("source", [
    "L = -(a*b) + -c^2 - (a - b) - (a - -b) / (2^-x)",
    "g = grad(x*x*y, x)\nL = g*y + g",
    "θ = 2*α\nL = tanh(θ - β) + pi*max(θ, 1) + min(α, β) - exp(-θ)",
    "e = a*b\nd = e + c\nL = d*f",
    "L = max(y, x) + sigmoid(-(x + y)) * (x*y)^2 + softplus(x)",
])
def test_fast_echo_matches_the_general_one(source):
    graph = lower(parse(source))
    assert not graph.alias_uses
    _both(graph)
    assert graph.echo() and graph.echo(ascii=True)
