"""Properties of generated array programs: succeed or raise BackpropError, strict JSON, every
format renders, and the gradients agree with central finite differences."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from backprop.api import differentiate

from backprop.errors import BackpropError
from test_properties import SETTINGS, VALUES, VARIABLES, _grammar, run_or_user_error, strict_json

ARRAY_FUNCTIONS = ["sum", "mean", "softmax", "log_softmax", "logsumexp", "transpose", "tanh", "exp", "sigmoid"]


def array_programs():
    """Sentences of the grammar that may use [..], @, x[i], .T; calls name array functions (most fail: shapes)."""
    return _grammar("program", tuple(VARIABLES + ARRAY_FUNCTIONS), arrays=True)


@SETTINGS
@given(array_programs(), VALUES)
def test_array_programs_succeed_or_raise_backprop_error_and_render_everywhere(source, values):
    result = run_or_user_error(source, values)
    if result is None:
        return
    document = strict_json(result.to_json())
    assert set(document) >= {"output", "value", "inputs", "gradients", "nodes", "steps"}
    for fmt in ("text", "ascii", "markdown", "latex"):
        assert result.derivation(fmt)
    assert result.to_dot().startswith("digraph")


LAYERS = ["W @ x + b", "(x @ transpose(W)) * b", "softmax(W @ x) - b", "mean(W * x, 1) + b",
          "log_softmax(W @ x + b)", "W.T.T @ (x[0:1][0] * x) + b[-1]"]
ACTIVATIONS = ["tanh", "sigmoid", "exp", "sin", "softplus", "atan"]
LOSSES = ["sum({f}(h))", "mean({f}(h) * h)", "logsumexp(h)", "cross_entropy(h, {k})", "sum(h^2) / 2",
          "sum({f}(h)[0:1])", "h[0] * h[-1]", "cross_entropy([h, {f}(h)], [{k}, 0])"]


@st.composite
def layer_programs(draw):
    """A layer and a loss, shape-correct by construction, with random sizes and values."""
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    layer = draw(st.sampled_from(LAYERS))
    loss = draw(st.sampled_from(LOSSES)).format(f=draw(st.sampled_from(ACTIVATIONS)), k=draw(st.integers(0, m - 1)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = {"W": rng.normal(size=(m, n)), "x": rng.normal(size=n), "b": rng.normal(size=m)}
    return f"h = {layer}; L = {loss}", values


@SETTINGS
@given(layer_programs())
def test_array_gradients_agree_with_finite_differences_on_every_element(case):
    from test_arrays import finite_differences

    source, values = case
    result = differentiate(source, values)
    numeric = finite_differences(result)
    for name, grad in result.gradients.items():
        np.testing.assert_allclose(grad, numeric[name], rtol=1e-5, atol=1e-6, err_msg=f"{source}: {name}")
