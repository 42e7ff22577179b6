"""Gradient → parameter update: plain gradient descent, momentum and Adam.

A parameter is a float, or a NumPy array for array programs: the same arithmetic updates it
elementwise. Each optimizer keeps its own state (velocities, moment estimates) and turns one gradient into
one step per parameter; the run subtracts nothing itself, so the update printed is the update made.
"""

from __future__ import annotations

OPTIMIZERS = ("sgd", "momentum", "adam")
DESCRIPTIONS = {
    "sgd": "gradient descent: p ← p − lr·∂loss/∂p",
    "momentum": "momentum (β = 0.9): v ← β·v + ∂loss/∂p, p ← p − lr·v",
    "adam": "Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8): p ← p − lr·m̂/(√v̂ + ε)",
}


class Optimizer:
    """Turns a gradient into the change of each parameter."""

    def __init__(self, lr: float, size: int):
        self.lr = lr
        self.size = size

    def deltas(self, gradient: list[float]) -> list[float]:
        raise NotImplementedError


class SGD(Optimizer):
    def deltas(self, gradient: list[float]) -> list[float]:
        return [-self.lr * g for g in gradient]


class Momentum(Optimizer):
    beta = 0.9

    def __init__(self, lr: float, size: int):
        super().__init__(lr, size)
        self.velocity = [0.0] * size

    def deltas(self, gradient: list[float]) -> list[float]:
        self.velocity = [self.beta * v + g for v, g in zip(self.velocity, gradient)]
        return [-self.lr * v for v in self.velocity]


class Adam(Optimizer):
    beta1, beta2, epsilon = 0.9, 0.999, 1e-8

    def __init__(self, lr: float, size: int):
        super().__init__(lr, size)
        self.m = [0.0] * size
        self.v = [0.0] * size
        self.t = 0

    def deltas(self, gradient: list[float]) -> list[float]:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        self.m = [b1 * m + (1 - b1) * g for m, g in zip(self.m, gradient)]
        self.v = [b2 * v + (1 - b2) * g * g for v, g in zip(self.v, gradient)]
        correction1, correction2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        # ** 0.5, not math.sqrt: a parameter may be a NumPy array (array programs), updated elementwise
        return [-self.lr * (m / correction1) / ((v / correction2) ** 0.5 + self.epsilon)
                for m, v in zip(self.m, self.v)]


def make_optimizer(name: str, lr: float, size: int) -> Optimizer:
    """The optimizer called ``name`` (one of OPTIMIZERS)."""
    return {"sgd": SGD, "momentum": Momentum, "adam": Adam}[name](lr, size)
