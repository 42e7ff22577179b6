"""``NAME=VALUE`` pairs (from --set) → a dict of input values: parses and evaluates assignments.

A value may be a constant expression (``x=pi/4``, ``y=-2^3``): it is parsed and evaluated
with the same pipeline as programs, never with Python's eval.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Mapping

from .errors import BackpropError, BadAssignment
from .ops import RESERVED_NAMES
from .reserved import JOB_NAMES, reserved_word_message

_NAME = re.compile(r"[^\W\d]\w*\Z")


class TypedValue(float):
    """A value as a float, with the text the user typed for it (echoed as typed: 123456.7, pi/4)."""

    text: str

    def __new__(cls, value: float, text: str) -> "TypedValue":
        typed = super().__new__(cls, value)
        typed.text = text
        return typed


def parse_assignments(pairs: Iterable[str]) -> dict[str, float]:
    """Turn ``["a=2", "b=pi/4"]`` into ``{"a": 2.0, "b": 0.785…}``; raise BadAssignment.

    Each value is a ``TypedValue``: a float that remembers its text.
    """
    values: dict[str, float] = {}
    for pair in pairs:
        name, value = _split(pair)
        if name in values:
            raise BadAssignment(f"--set {name} is given twice ({name}={getattr(values[name], 'text', values[name])} and {pair})")
        if value[:1] in ("[", "@"):  # an array (a literal or a file): read on the array path (arrays/values.py)
            values[name] = value
            continue
        values[name] = TypedValue(evaluate_constant(value, f"--set {pair}"), value)
    return values


def typed_texts(values: Mapping[str, object]) -> dict[str, str]:
    """The text each value was typed as: a ``TypedValue``'s text, or a string given from Python."""
    return {name: value.text if isinstance(value, TypedValue) else value
            for name, value in values.items() if isinstance(value, (TypedValue, str))}


def _split(pair: str) -> tuple[str, str]:
    if "=" not in pair:
        raise BadAssignment(f"--set expects NAME=VALUE, got '{pair}' (for example --set a=2 b=3)")
    name, _, value = pair.partition("=")
    name, value = name.strip(), value.strip()
    if not name:
        raise BadAssignment(f"--set '{pair}' has no name before '=' (write NAME=VALUE, such as a=2)")
    if not _NAME.match(name):
        raise BadAssignment(f"--set '{pair}': '{name}' is not a valid name (letters, digits and _, not starting with a digit)")
    if name in RESERVED_NAMES:
        raise BadAssignment(f"--set '{pair}': '{name}' is a built-in name and can not be set")
    if name in JOB_NAMES:
        raise BadAssignment(f"--set '{pair}': {reserved_word_message(name)}")
    if not value:
        raise BadAssignment(f"--set '{pair}' has no value after '=' (write NAME=VALUE, such as {name}=2)")
    if "=" in value:
        raise BadAssignment(f"--set '{pair}' has more than one '=' (write one NAME=VALUE per pair)")
    return name, value


def evaluate_constant(text: str, where: str) -> float:
    """The value of a constant expression such as ``-2^3`` or ``pi/4``."""
    from .forward import forward
    from .lower import lower
    from .parse import parse

    if text.strip().lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
        raise BadAssignment(f"{where}: values must be finite numbers")
    if re.fullmatch(r"\s*[-+]?\d+,\d+\s*", text):
        raise BadAssignment(f"{where}: write a decimal point, not a comma ({text.strip().replace(',', '.')})")
    graph = None
    try:
        program = parse(text)
        _refuse_statements(program, where)
        graph = lower(program)
        if graph.inputs:
            names = ", ".join(graph.nodes[i].name for i in graph.inputs)
            raise BadAssignment(f"{where}: the value must be a number or a constant expression such as pi/4, "
                                f"not a name ({names})")
        value = forward(graph, {})[graph.output]
    except BadAssignment:
        raise
    except BackpropError as error:
        raise BadAssignment(f"{where}: {_about_a_value(error.message, graph)}") from None
    if not math.isfinite(value):  # unreachable: forward rejects non-finite results
        raise BadAssignment(f"{where}: values must be finite numbers")
    return value


def _refuse_statements(program, where: str) -> None:
    """A value is one expression: "15;7" or "x=3" would otherwise be read as a program and give its last value."""
    from .syntax import Assign

    statements = program.statements
    after_first = program.source[statements[0].end:statements[1].start if len(statements) > 1 else None]
    code_after = "\n".join(line.split("#", 1)[0] for line in after_first.split("\n"))  # a # comment may say ';'
    found = ("';'" if ";" in code_after else "a new line" if len(statements) > 1
             else "'='" if isinstance(statements[0], Assign) else None)
    if found is not None:
        raise BadAssignment(f"{where}: a value is one expression (a number, or a constant expression such as "
                            f"pi/4), found {found}")


def _about_a_value(message: str, graph) -> str:
    """A message about a program, reworded for a value: it has no end of program and no output L."""
    message = message.replace(", ';' (or a new line) or the end of the program", " or the end of the value")
    message = message.replace("end of the program", "end of the value")
    message = message.replace("the program is empty: write an expression such as (a*b+c)*f", "the value is empty")
    if graph is not None:  # a domain error names the node it could not compute: here, the value itself
        message = message.replace(f"cannot compute {graph.output_name} = ", "cannot compute ", 1)
    return message


def unused_warnings(values: Mapping[str, float], graph) -> list[str]:
    """A warning for each name given a value that the program does not read."""
    inputs = {graph.nodes[i].name for i in graph.inputs}
    bound = {graph.nodes[root].name for _, root in graph.statements} | {name for name, _ in graph.statements}
    return [
        f"'{name}' is given a value, but the program computes {name} itself: the value is not used" if name in bound
        else f"'{name}' is given a value but the program does not use it"
        for name in unused_names(values, inputs)
    ]


def as_value(name: str, value: object) -> float:
    """An input's value from Python: a number, or a constant expression as text ("pi/4"); raise BadAssignment."""
    if isinstance(value, str):
        return evaluate_constant(value, f"the value of {name}")
    try:
        number = float(value)
    except OverflowError:
        raise BadAssignment(f"the value of {name} is too large for a 64-bit float") from None
    except (TypeError, ValueError):
        raise BadAssignment(f"the value of {name} must be a number or a constant expression such as 'pi/4', "
                            f"not {type(value).__name__}") from None
    return number


def unused_names(values: Mapping[str, float], used: Iterable[str]) -> list[str]:
    """Names given a value that the program never uses (worth a warning, not an error)."""
    used = set(used)
    return [name for name in values if name not in used]


def _show(value: float) -> str:
    from .numfmt import format_number

    return format_number(value)
