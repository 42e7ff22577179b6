"""Generated practice problems, by level, reproducible from a seed.

Level 1 is arithmetic (the seed example's family, a shared node, a division), level 2 adds
the shapes of a network (a neuron, sigmoid with cross-entropy, a relu and its kink), level 3
is programs of bindings whose values fork to several uses. Every problem is evaluated before
it is handed out: one whose values hit a domain error (a division by zero, log of 0), a
kink (relu at exactly 0) or an unwieldy number is drawn again, never emitted.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Callable

from ..errors import BackpropError

LEVELS = (1, 2, 3)
MAX_COUNT = 100
_ATTEMPTS = 200  # draws per problem before a family is declared unusable (never reached in practice)


@dataclass(frozen=True)
class Problem:
    family: str  # what the problem practises, in words
    source: str
    values: dict[str, float]

    def result(self):
        """The problem differentiated (the answer key)."""
        from ..api import differentiate

        return differentiate(self.source, self.values)

    @property
    def set_args(self) -> str:
        """The values as --set arguments: a=2 b=3."""
        from ..numfmt import shortest

        return " ".join(f"{name}={shortest(value)}" for name, value in self.values.items())


def _ints(rng: random.Random, *names: str, low: int = -5, high: int = 5) -> dict[str, float]:
    return {name: float(rng.choice([n for n in range(low, high + 1) if n != 0])) for name in names}


def _tenths(rng: random.Random, *names: str) -> dict[str, float]:
    return {name: rng.choice([n for n in range(-20, 21) if n != 0]) / 10 for name in names}


def seed_family(rng):
    source = rng.choice(["(a*b+c)*f", "(a+b)*c - f", "a*b - c*f", "(a-b)*(c+f)"])
    return "the seed's family: products and sums", source, _ints(rng, "a", "b", "c", "f")


def shared_node(rng):
    shape = rng.choice(["x*y + x", "x*y - y", "(x + y)*x", "x*x + y"])
    return "a shared node: a value used twice", shape, _ints(rng, "x", "y")


def division(rng):
    shape = rng.choice(["(a + b)/c", "a/(b - c)", "a/b + c"])
    return "a division", shape, _ints(rng, "a", "b", "c")


def neuron(rng):
    source = "z = w1*x1 + w2*x2 + b; h = tanh(z)"
    return "a neuron: tanh(w·x + b)", source, _tenths(rng, "w1", "x1", "w2", "x2", "b")


def sigmoid_cross_entropy(rng):
    source = "z = w*x + b; p = sigmoid(z); L = -(y*log(p) + (1 - y)*log(1 - p))"
    values = _tenths(rng, "w", "x", "b")
    values["y"] = float(rng.choice([0, 1]))
    return "sigmoid with cross-entropy", source, values


def relu_kink(rng):
    source = rng.choice(["z = w*x + b; L = relu(z)*v", "z = w*x + b; L = relu(z) + relu(-z)*v"])
    return "a relu and its kink", source, _ints(rng, "w", "x", "b", "v", low=-4, high=4)


def forks(rng):
    source = rng.choice([
        "u = a*b; v = u + a; L = u*v",
        "h = tanh(w*x + b); L = h*h + c*h",
        "s = sigmoid(a*x); t = s*x; L = t*s + a",
        "p = x*y; q = p - x; r = q*p; L = r + q*y",
    ])
    names = sorted({c for c in source if c in "abcwxy"})
    values = _tenths(rng, *names) if "tanh" in source or "sigmoid" in source else _ints(rng, *names, low=-3, high=3)
    return "bindings with several forks", source, values


FAMILIES: dict[int, list[Callable]] = {
    1: [seed_family, shared_node, division],
    2: [seed_family, shared_node, division, neuron, sigmoid_cross_entropy, relu_kink],
    3: [neuron, sigmoid_cross_entropy, relu_kink, forks, forks],
}


def generate(level: int = 1, count: int = 1, seed: int | None = None) -> list[Problem]:
    """``count`` problems of a level (1–3); the same seed gives the same problems."""
    if level not in LEVELS:
        raise ValueError(f"level must be 1, 2 or 3, not {level}")
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"count must be between 1 and {MAX_COUNT}, not {count}")
    rng = random.Random(seed if seed is not None else random.SystemRandom().randrange(2**32))
    families = FAMILIES[level]
    order = []
    while len(order) < count:
        batch = list(families)
        rng.shuffle(batch)
        order += batch
    return [_draw(rng, family) for family in order[:count]]


def _draw(rng: random.Random, family: Callable) -> Problem:
    for _ in range(_ATTEMPTS):
        what, source, values = family(rng)
        problem = Problem(what, source, values)
        if usable(problem):
            return problem
    raise RuntimeError(f"no usable values for {family.__name__} in {_ATTEMPTS} draws")  # a bug in a family


def usable(problem: Problem) -> bool:
    """Whether a problem can be handed out: it evaluates, every number is finite and of a sane
    size, and no step sits on a kink or a convention."""
    try:
        result = problem.result()
    except BackpropError:
        return False
    numbers = list(result.values) + list(result.grads)
    if not all(math.isfinite(n) and abs(n) < 1e4 for n in numbers):
        return False
    return not result.notes and not result.warnings
