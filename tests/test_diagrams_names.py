"""Generated names (lower._name_intermediates): they can not be read as the user's names or versions."""

import re

import pytest
from conftest import SEED

from backprop.errors import BackpropError
from backprop.graph import CONST, INPUT
from backprop.lower import lower
from backprop.parse import parse

TWO_LAYER = ("h1 = tanh(w11*x1 + w12*x2 + b1); h2 = tanh(w21*x1 + w22*x2 + b2); "
             "y = v1*h1 + v2*h2 + c; L = (y - t)^2")


def generated(source: str) -> list[str]:
    """The generated names of a program's operations, in the order they are computed."""
    graph = lower(parse(source))
    return [node.name for node in graph.nodes if node.op not in (INPUT, CONST) and not node.named]


def user_names(source: str) -> set[str]:
    graph = lower(parse(source))
    return {node.name for node in graph.nodes if node.op == INPUT or node.named}


def test_the_seed_keeps_its_e_and_d():
    graph = lower(parse(SEED))
    assert [str(graph.nodes[i].name) for i in range(4, 6)] == ["e", "d"]
    assert generated(SEED) == ["e", "d"]


def test_the_neuron_names_run_forward():
    names = generated("tanh(w1*x1 + w2*x2 + b)")
    assert names == sorted(names) and len(names) == 4
    assert "b" not in names and "w" not in names and "x" not in names


def test_no_generated_letter_starts_a_user_name():
    # h beside the user's h1 reads like a rebinding of h.
    names = generated(TWO_LAYER)
    initials = {name[0].lower() for name in user_names(TWO_LAYER)}
    assert len(names) == 12
    assert not any(name in initials for name in names), names
    assert "h" not in names


def test_big_graphs_get_bracketed_numbers_no_identifier_can_spell():
    source = " + ".join(f"x{i}*w{i}" for i in range(20))
    names = generated(source)
    assert names == [f"[{k}]" for k in range(1, len(names) + 1)]
    for name in names[:3]:  # the language refuses them as names: no program can clash with one
        with pytest.raises(BackpropError):
            parse(f"{name} = 1; x")


def test_generated_names_never_look_like_versions_or_numbered_user_names():
    for source in (TWO_LAYER, " + ".join(f"h{i}*x" for i in range(30)), "u = x*y; L = u*u + sin(u)"):
        taken = user_names(source)
        for name in generated(source):
            assert name not in taken
            assert not re.search("[₀-₉]", name)  # c₁ is a version of c
            assert not re.fullmatch(r"[A-Za-z]+\d+", name)  # h1 is how users number things


def test_a_version_does_not_switch_off_the_seed_style():
    # h and h₁ are one user name in two versions: the program is still written in single letters.
    names = generated("h = tanh(w*x); h = tanh(w*h); L = (1 - h)^2")
    assert names == ["c", "b", "a"]  # from the output backwards, as in the seed
