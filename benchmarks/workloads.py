"""Deterministic benchmark workloads, written as program text in the backprop language.

Each workload is a ``Workload``: its program text, the input values, and the number of
operations it asks for. The same seed always gives the same text, so every subprocess of a
run (ours and each peer's) regenerates exactly the same program.

- ``seed``     the classic ``(a*b+c)*f``
- ``tree-N``   one random expression with N operations over 10 inputs, values kept bounded
- ``chain-D``  ``tanh(w*tanh(w*…+b)+b)`` nested D deep in one expression (3 operations a level)
- ``dag-N``    N bindings, each using the previous name and one or two earlier ones
"""

from __future__ import annotations

import math
import random
import re
import sys
from dataclasses import dataclass

SEED = 20240505
INPUTS = [f"x{i}" for i in range(10)]
BOUND = 8.0  # every sub-expression of a tree stays within [-BOUND, BOUND]

SIZES = {
    "tree": [10**2, 10**3, 10**4, 10**5],
    "chain": [10**3, 10**4, 10**5],
    "dag": [10**3, 10**4, 10**5],
}
QUICK_SIZES = {"tree": [10**2, 10**3], "chain": [10**3], "dag": [10**3]}


@dataclass(frozen=True)
class Workload:
    name: str  # "tree-1000"
    family: str  # "seed", "tree", "chain" or "dag"
    size: int  # N (tree, dag) or D (chain)
    source: str  # program text in our language
    values: dict[str, float]


def workload_names(quick: bool = False) -> list[str]:
    """Every workload of a run, smallest first within each family."""
    sizes = QUICK_SIZES if quick else SIZES
    return ["seed"] + [f"{family}-{n}" for family, ns in sizes.items() for n in ns]


def make(name: str) -> Workload:
    """Build the named workload ("seed", "tree-1000", "chain-100000", …)."""
    if name == "seed":
        return Workload("seed", "seed", 1, "(a*b+c)*f", {"a": 2.0, "b": 3.0, "c": -10.0, "f": 5.0})
    family, _, size_text = name.partition("-")
    size = int(size_text)
    rng = random.Random(f"{SEED}-{name}")
    builders = {"tree": _tree_program, "chain": _chain_program, "dag": _dag_program}
    source, values = builders[family](size, rng)
    return Workload(name, family, size, source, values)


def _input_values(rng: random.Random) -> dict[str, float]:
    return {name: round(rng.uniform(-1.5, 1.5), 3) for name in INPUTS}


# --- tree-N: one random expression ---------------------------------------------------------

# Shapes of a tree node: (shape, operations it costs itself, number of sub-expressions).
_SHAPES = [
    ("function", 1, 1),  # tanh sin cos sigmoid relu exp, or x^2, x^3
    ("log_sigmoid", 2, 1),  # log(sigmoid(x))
    ("log_square", 3, 1),  # log(2 + x^2): 2, not 1, so nested logs do not shrink to 0
    ("infix", 1, 2),  # x + y, x - y, x * y
    ("divide", 3, 2),  # x / (1 + y^2)
]
_SHAPE_WEIGHTS = [30, 5, 5, 50, 10]
_SQUASHING = ["tanh", "sin", "cos", "sigmoid", "relu"]


def _tree_program(n: int, rng: random.Random) -> tuple[str, dict[str, float]]:
    values = _input_values(rng)
    # The recursion follows the tree's depth, which is about 4·ln(n) for random splits.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    text, _ = _tree(n, rng, values)
    return text, values


def _tree(n: int, rng: random.Random, values: dict[str, float]) -> tuple[str, float]:
    """A random expression with exactly n operations, and its value."""
    if n == 0:
        name = rng.choice(INPUTS)
        return name, values[name]
    shapes = [s for s in _SHAPES if s[1] <= n]
    shape, cost, arity = rng.choices(shapes, weights=_SHAPE_WEIGHTS[: len(shapes)])[0]
    rest = n - cost
    if arity == 1:
        x, a = _tree(rest, rng, values)
        return _unary(shape, x, a, rng)
    split = rng.randint(0, rest)
    x, a = _tree(split, rng, values)
    y, b = _tree(rest - split, rng, values)
    if shape == "divide":
        return f"({x} / (1 + {y}^2))", a / (1 + b * b)
    candidates = [(op, v) for op, v in (("+", a + b), ("-", a - b), ("*", a * b)) if abs(v) <= BOUND]
    op, value = rng.choice(candidates)  # a + b or a - b is always within bounds
    return f"({x} {op} {y})", value


def _unary(shape: str, x: str, a: float, rng: random.Random) -> tuple[str, float]:
    if shape == "log_sigmoid":
        return f"log(sigmoid({x}))", math.log(_sigmoid(a))
    if shape == "log_square":
        return f"log(2 + {x}^2)", math.log(2 + a * a)
    candidates = [(f"{f}({x})", _MATH[f](a)) for f in _SQUASHING]
    if a <= math.log(BOUND):
        candidates.append((f"exp({x})", math.exp(a)))
    if a * a <= BOUND:
        candidates.append((f"({x}^2)", a * a))
    if abs(a) ** 3 <= BOUND:
        candidates.append((f"({x}^3)", a**3))
    return rng.choice(candidates)


# --- chain-D: one deeply nested expression -------------------------------------------------


def _chain_program(depth: int, rng: random.Random) -> tuple[str, dict[str, float]]:
    source = "tanh(w*" * depth + "x" + "+b)" * depth
    return source, {"w": 0.9, "b": 0.1, "x": 0.5}


# --- dag-N: bindings sharing earlier nodes -------------------------------------------------

# {p} is the previous binding, {a} and {b} earlier names. Every template's value is bounded by
# the largest input (1.5), and its partials are mostly below 1, so gradients neither overflow
# nor vanish over 10⁵ bindings.
_DAG_TEMPLATES = [
    "tanh({p} * {a} + {b})",
    "sigmoid({p} - {a}) * {b}",
    "sin({p} + {a} * {b})",
    "cos({p}) * {a}",
    "{p} / (1 + {a}^2)",
    "tanh(relu({p}) - {a}^2)",
    "tanh(log(1 + {p}^2) - {a})",
    "exp(-relu({p})) * {a}",
    "tanh(log(sigmoid({p})) + {a})",
]
_RECENT = 16  # half the earlier names come from the last 16, half from anywhere before


def _dag_program(n: int, rng: random.Random) -> tuple[str, dict[str, float]]:
    values = _input_values(rng)
    names = list(INPUTS)
    lines = []
    for k in range(1, n + 1):
        a, b = (_pick_earlier(names, rng) for _ in range(2))
        template = rng.choice(_DAG_TEMPLATES)
        lines.append(f"t{k} = " + template.format(p=names[-1], a=a, b=b))
        names.append(f"t{k}")
    return "\n".join(lines), values


def _pick_earlier(names: list[str], rng: random.Random) -> str:
    """A name before the last one: half the time a recent one, else any."""
    before = len(names) - 1
    low = max(0, before - _RECENT) if rng.random() < 0.5 else 0
    return names[rng.randrange(low, before)]


# --- the same program as Python -------------------------------------------------------------


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


_MATH = {
    "tanh": math.tanh,
    "sin": math.sin,
    "cos": math.cos,
    "exp": math.exp,
    "log": math.log,
    "sigmoid": _sigmoid,
    "relu": lambda x: x if x > 0 else 0.0,
}
FUNCTIONS = sorted(_MATH)  # every function a workload uses
MATH_FUNCTIONS = dict(_MATH)  # for CPython's eval of the translated program

_POWER = re.compile(r"\^")


def to_python(source: str) -> tuple[str, str]:
    """Our program as Python statements, and the name of its output variable.

    Our ^ is Python's ** (both right-associative, both tighter than unary minus); the
    workloads use no other syntax Python lacks. A last statement that is not a binding
    becomes ``L = …``, as our language names it.
    """
    statements = [s for s in re.split(r"[;\n]", _POWER.sub("**", source)) if s.strip()]
    last = statements[-1]
    match = re.match(r"\s*([^\W\d]\w*)\s*=(?!=)", last)
    if match:
        return "\n".join(statements), match.group(1)
    return "\n".join(statements[:-1] + [f"L = {last}"]), "L"
