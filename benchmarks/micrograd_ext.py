"""micrograd's ``Value``, extended with the functions the workloads use and it lacks.

Written in micrograd's own style (one closure ``_backward`` per result, accumulating with
``+=``) and attached to its class, so results of its own ``+`` and ``*`` have them too.
micrograd already has + - * / (as x * y**-1), ** by a number, and relu.
"""

from __future__ import annotations

import math

from micrograd.engine import Value


def tanh(self):
    t = math.tanh(self.data)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def sin(self):
    out = Value(math.sin(self.data), (self,), "sin")

    def _backward():
        self.grad += math.cos(self.data) * out.grad

    out._backward = _backward
    return out


def cos(self):
    out = Value(math.cos(self.data), (self,), "cos")

    def _backward():
        self.grad += -math.sin(self.data) * out.grad

    out._backward = _backward
    return out


def exp(self):
    out = Value(math.exp(self.data), (self,), "exp")

    def _backward():
        self.grad += out.data * out.grad

    out._backward = _backward
    return out


def log(self):
    out = Value(math.log(self.data), (self,), "log")

    def _backward():
        self.grad += (1 / self.data) * out.grad

    out._backward = _backward
    return out


def sigmoid(self):
    s = 1 / (1 + math.exp(-self.data))
    out = Value(s, (self,), "sigmoid")

    def _backward():
        self.grad += s * (1 - s) * out.grad

    out._backward = _backward
    return out


for _function in (tanh, sin, cos, exp, log, sigmoid):
    setattr(Value, _function.__name__, _function)

__all__ = ["Value"]
