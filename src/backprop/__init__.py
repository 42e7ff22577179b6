"""backprop: see how gradients flow through a computation.

    >>> from backprop import differentiate
    >>> result = differentiate("(a*b+c)*f", {"a": 2, "b": 3, "c": -10, "f": 5})
    >>> result.value, result.gradients
    (-20.0, {'a': 15.0, 'b': 10.0, 'c': 5.0, 'f': -4.0})
"""

__version__ = "0.1.0"

__all__ = ["differentiate", "Result", "BackpropError", "__version__"]


def __getattr__(name):
    # Lazy: `backprop --help` and `--version` should not pay for importing the pipeline.
    if name in ("differentiate", "Result"):
        from . import api

        return getattr(api, name)
    if name == "BackpropError":
        from .errors import BackpropError

        return BackpropError
    raise AttributeError(name)
