"""The runners: backprop itself, CPython's floor, and each peer, on one workload.

Every runner takes a ``Workload`` and returns a ``Run``: seconds per phase, the value and
the gradient of every input. Phases share four names so the report can line them up:

- ``parse``     text → syntax (ours: Lark; everyone else: our syntax translated to Python,
                then ``ast.parse``, which is how a Python user would read such a program)
- ``build``     ours: lower (AST → graph IR); CPython: compile; SymPy: build the symbolic
                expression; JAX jit: trace + compile. Eager peers build their graph while
                computing values, so for them this is part of ``forward``.
- ``forward``   values (and, for eager peers, recording the graph). JAX jit: the compiled
                call, which computes the value and the gradients together.
- ``backward``  gradients of the output with respect to every input.

A program too deeply nested for CPython's parser (chain-D, D ≥ 1000: "too many nested
parentheses") cannot be read with ``ast``: CPython reports that failure, and the peers are
then built from our graph IR instead (their ``parse`` phase is then empty and marked so).
"""

from __future__ import annotations

import ast
import operator
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from workloads import MATH_FUNCTIONS, Workload, to_python

OUR_PHASE_RUNS = 3  # differentiate calls whose phase times run_ours reports (the median)

_INFIX = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_OPERATORS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "neg": operator.neg,
}


@dataclass
class Run:
    phases: dict[str, float] = field(default_factory=dict)  # seconds, in the order run
    value: float | None = None
    gradients: dict[str, float] = field(default_factory=dict)
    how: str = "text via ast"  # how the runner read the program
    ops: int | None = None  # operations in the program (ours counts them in its graph)
    peak_kib_before_render: int | None = None  # ours: the process's peak before rendering

    @contextmanager
    def phase(self, name: str):
        """Time one phase (a phase entered twice adds up); a failure inside is tagged with it."""
        started = time.perf_counter()
        try:
            yield
        except BaseException as error:
            error.phase = name
            raise
        self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - started


def status_kib(field: str) -> int | None:
    """A field of /proc/self/status in KiB (VmRSS, VmHWM: the peak), or None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


# --- reading the program: Python's ast, or our IR when ast cannot --------------------------


class Program:
    """A workload in a form any library can evaluate with its own functions."""

    def __init__(self, workload: Workload):
        self.workload = workload
        self.inputs = list(workload.values)
        self.module: ast.Module | None = None
        self.nodes: list[tuple[str, tuple[int, ...], object, str]] | None = None
        self.output = ""

    def read(self, run: Run) -> None:
        """Translate and ``ast.parse`` the text; past CPython's limits, take our IR."""
        try:
            with run.phase("parse"):
                python_source, self.output = to_python(self.workload.source)
                self.module = ast.parse(python_source)
        except (SyntaxError, RecursionError, MemoryError) as error:
            run.phases.pop("parse", None)
            run.how = f"our IR (ast.parse: {type(error).__name__}: {error.args[0] if error.args else ''})"
            self.nodes = _our_ir(self.workload)

    def evaluate(self, functions: dict[str, Callable], leaves: dict[str, object]) -> object:
        """The output, computed with ``functions`` from the leaf objects."""
        if self.module is not None:
            env = dict(leaves)
            for statement in self.module.body:
                env[statement.targets[0].id] = _evaluate_expression(statement.value, env, functions)
            return env[self.output]
        values: list[object] = []
        for op, args, constant, name in self.nodes:
            if op == "input":
                values.append(leaves[name])
            elif op == "const":
                values.append(constant)
            else:
                values.append(functions[op](*(values[arg] for arg in args)))
        return values[-1]


def _evaluate_expression(root: ast.expr, env: dict, functions: dict[str, Callable]) -> object:
    """Post-order walk with an explicit stack (no recursion on the expression's depth)."""
    results: list[object] = []
    stack: list[tuple[ast.expr, bool]] = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        if isinstance(node, ast.Name):
            results.append(env[node.id])
        elif isinstance(node, ast.Constant):
            results.append(node.value)
        elif not operands_done:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(_operands(node)))
        else:
            count = len(_operands(node))
            args = results[len(results) - count :]
            del results[len(results) - count :]
            results.append(functions[_op_name(node)](*args))
    return results[-1]


def _operands(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    return node.args  # a Call


def _op_name(node: ast.expr) -> str:
    if isinstance(node, ast.BinOp):
        return _INFIX[type(node.op)]
    if isinstance(node, ast.UnaryOp):
        return "neg"
    return node.func.id


def _our_ir(workload: Workload) -> list[tuple[str, tuple[int, ...], object, str]]:
    """Our graph as (op, args, constant, name) rows, for programs ``ast`` cannot read."""
    from backprop.lower import lower
    from backprop.parse import parse

    graph = lower(parse(workload.source))
    rows = []
    for node in graph.nodes:
        constant = node.value
        if constant is not None and float(constant).is_integer():
            constant = int(constant)  # x^2, not x^2.0 (SymPy keeps the float otherwise)
        rows.append((node.op, tuple(node.args), constant, node.name))
    return rows[: graph.output + 1]


# --- the runners ------------------------------------------------------------------------


def run_ours(workload: Workload) -> Run:
    """backprop: differentiate() with its own phase timings, then the JSON and trace text."""
    from backprop import differentiate
    from backprop.render.export import render_json
    from backprop.render.trace import render_trace

    run = Run(how="text via our parser")
    started = time.perf_counter()
    result = differentiate(workload.source, workload.values)
    run.phases["end_to_end"] = time.perf_counter() - started  # one run, as every peer's at 10⁵
    run.peak_kib_before_render = status_kib("VmHWM")
    # Each phase: the median of OUR_PHASE_RUNS calls. With the writers timed too, one call of ours
    # fills the worker's repeat budget from 10⁴ up, and a 4 ms forward pass timed once is mostly
    # noise: target 4 compares these phases between 10⁴ and 10⁵.
    timings = [result.timings]
    for _ in range(OUR_PHASE_RUNS - 1):
        del result  # not two graphs at once: the peak above is one call's
        result = differentiate(workload.source, workload.values)
        timings.append(result.timings)
    for name in timings[0]:
        run.phases["build" if name == "lower" else name] = statistics.median(t[name] for t in timings)
    with run.phase("render_json"):
        render_json(result)
    with run.phase("render_trace"):
        render_trace(result)
    run.value = result.value
    run.gradients = dict(result.gradients)
    run.ops = sum(1 for node in result.graph.nodes if node.args or node.op not in ("input", "const"))
    return run


def run_cpython(workload: Workload) -> Run:
    """The floor for reading text: ast.parse + compile + eval of the same program, no gradient."""
    run = Run()
    with run.phase("parse"):
        python_source, output = to_python(workload.source)
        module = ast.parse(python_source)
    with run.phase("build"):
        code = compile(module, "<workload>", "exec")
    env = dict(workload.values)
    with run.phase("forward"):
        exec(code, dict(MATH_FUNCTIONS), env)
    run.value = env[output]
    return run


def _run_eager(workload: Workload, functions: dict, make_leaf: Callable, backward: Callable,
               to_float: Callable) -> Run:
    """An eager peer: the forward pass records the graph, ``backward`` returns the gradients."""
    run = Run()
    program = Program(workload)
    program.read(run)
    with run.phase("forward"):
        leaves = {name: make_leaf(value) for name, value in workload.values.items()}
        out = program.evaluate(functions, leaves)
    with run.phase("backward"):
        gradients = backward(out, leaves)
    run.value = to_float(out)
    run.gradients = {name: to_float(g) for name, g in gradients.items()}
    return run


def run_micrograd(workload: Workload) -> Run:
    from micrograd_ext import Value

    functions = dict(_OPERATORS)
    functions.update({f: getattr(Value, f) for f in ("tanh", "sin", "cos", "exp", "log", "sigmoid", "relu")})

    def backward(out, leaves):
        out.backward()
        return {name: leaf.grad for name, leaf in leaves.items()}

    return _run_eager(workload, functions, Value, backward, lambda v: float(v.data if isinstance(v, Value) else v))


def run_torch(workload: Workload) -> Run:
    import torch

    functions = dict(_OPERATORS)
    functions.update({f: getattr(torch, f) for f in ("tanh", "sin", "cos", "exp", "log", "sigmoid", "relu")})

    def make_leaf(value):
        return torch.tensor(value, dtype=torch.float64, requires_grad=True)

    def backward(out, leaves):
        out.backward()
        return {name: leaf.grad if leaf.grad is not None else 0.0 for name, leaf in leaves.items()}

    def to_float(x):
        return x.item() if isinstance(x, torch.Tensor) else float(x)

    return _run_eager(workload, functions, make_leaf, backward, to_float)


def run_autograd(workload: Workload) -> Run:
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import expit

    functions = dict(_OPERATORS)
    functions.update({f: getattr(anp, f) for f in ("tanh", "sin", "cos", "exp", "log")})
    functions.update(sigmoid=expit, relu=lambda x: anp.maximum(x, 0.0))
    run = Run()
    program = Program(workload)
    program.read(run)
    with run.phase("forward"):
        vjp, out = autograd.make_vjp(lambda leaves: program.evaluate(functions, leaves))(dict(workload.values))
    with run.phase("backward"):
        gradients = vjp(1.0)
    run.value = float(out)
    run.gradients = {name: float(g) for name, g in gradients.items()}
    return run


def _jax_functions():
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    functions = dict(_OPERATORS)
    functions.update({f: getattr(jnp, f) for f in ("tanh", "sin", "cos", "exp", "log")})
    functions.update(sigmoid=jax.nn.sigmoid, relu=jax.nn.relu)
    return jax, jnp, functions


def run_jax_eager(workload: Workload) -> Run:
    jax, jnp, functions = _jax_functions()
    run = Run()
    program = Program(workload)
    program.read(run)
    with run.phase("forward"):
        leaves = {name: jnp.asarray(value, dtype=jnp.float64) for name, value in workload.values.items()}
        out, vjp = jax.vjp(lambda xs: program.evaluate(functions, xs), leaves)
    with run.phase("backward"):
        (gradients,) = vjp(jnp.ones((), dtype=jnp.float64))
        gradients = jax.block_until_ready(gradients)
    run.value = float(out)
    run.gradients = {name: float(g) for name, g in gradients.items()}
    return run


def run_jax_jit(workload: Workload) -> Run:
    jax, jnp, functions = _jax_functions()
    run = Run()
    program = Program(workload)
    program.read(run)
    leaves = {name: jnp.asarray(value, dtype=jnp.float64) for name, value in workload.values.items()}
    with run.phase("build"):
        value_and_grad = jax.jit(jax.value_and_grad(lambda xs: program.evaluate(functions, xs)))
        compiled = value_and_grad.lower(leaves).compile()
    with run.phase("forward"):  # the compiled call: value and gradients together
        out, gradients = jax.block_until_ready(compiled(leaves))
    run.value = float(out)
    run.gradients = {name: float(g) for name, g in gradients.items()}
    return run


def run_sympy(workload: Workload) -> Run:
    """Symbolic: build the expression, evaluate it, differentiate it by each input and evaluate."""
    import sympy

    functions = dict(_OPERATORS)
    functions.update({f: getattr(sympy, f) for f in ("tanh", "sin", "cos", "exp", "log")})
    functions.update(sigmoid=lambda x: 1 / (1 + sympy.exp(-x)), relu=lambda x: sympy.Max(x, 0))
    run = Run()
    program = Program(workload)
    program.read(run)
    symbols = {name: sympy.Symbol(name) for name in workload.values}
    at = {symbols[name]: sympy.Float(value) for name, value in workload.values.items()}
    with run.phase("build"):
        expression = program.evaluate(functions, symbols)
    # xreplace with Floats evaluates numerically as it rebuilds: much faster than evalf(subs=…)
    with run.phase("forward"):
        run.value = float(expression.xreplace(at))
    with run.phase("backward"):
        run.gradients = {name: float(expression.diff(s).xreplace(at)) for name, s in symbols.items()}
    return run


RUNNERS: dict[str, Callable[[Workload], Run]] = {
    "ours": run_ours,
    "cpython": run_cpython,
    "micrograd": run_micrograd,
    "torch": run_torch,
    "autograd": run_autograd,
    "jax-eager": run_jax_eager,
    "jax-jit": run_jax_jit,
    "sympy": run_sympy,
}
# The module each peer needs; a missing one is reported, not fatal.
REQUIRES = {"micrograd": "micrograd", "torch": "torch", "autograd": "autograd", "jax-eager": "jax",
            "jax-jit": "jax", "sympy": "sympy"}
