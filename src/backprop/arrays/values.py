"""Input values of array programs: literals (``[[1, 2], [3, 4]]``), files (``@data.csv``,
``@w.npy``), NumPy arrays and Python lists, numbers and constant expressions.

A literal is read by the language's own parser and evaluated as a constant array program
(never Python's eval). Every value is checked: finite, rectangular, within --max-elements.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from ..errors import BackpropError, BadAssignment
from .shapes import ShapeError, check_size, show_shape


def to_array(name: str, value: object, max_elements: int) -> np.ndarray:
    """One input's value as a float64 array; raise BadAssignment naming the input."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("@"):
            return load_file(name, text[1:], max_elements)
        if text.startswith("["):
            return _literal(name, text, max_elements)
        from ..assignments import evaluate_constant

        return np.asarray(evaluate_constant(text, f"the value of {name}"), dtype=float)
    if isinstance(value, (list, tuple)):
        try:
            array = np.array(value, dtype=float)
        except ValueError:
            raise BadAssignment(f"the value of {name} is a ragged list: every row must have the same length") from None
    elif isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise BadAssignment(f"the value of {name} must hold numbers, not {value.dtype}")
        array = value.astype(float)
    else:
        try:
            array = np.asarray(float(value))
        except (TypeError, ValueError):
            raise BadAssignment(f"the value of {name} must be a number or an array, not {type(value).__name__}") from None
    return _checked(name, array, max_elements)


def _checked(name: str, array: np.ndarray, max_elements: int, where: str = "") -> np.ndarray:
    try:
        check_size(array.shape, max_elements, f"the value of {name}")
    except ShapeError as error:
        raise BadAssignment(error.message) from None
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        at = tuple(int(i) for i in bad[0])
        what = f"element [{', '.join(str(i) for i in at)}]" if at else "the value"
        raise BadAssignment(f"the value of {name}{where}: {what} is {array[at]}; values must be finite numbers")
    return array


def _literal(name: str, text: str, max_elements: int) -> np.ndarray:
    from ..parse import parse
    from .graph import CONST, lower_arrays

    try:
        graph = lower_arrays(parse(text))
    except BackpropError as error:
        raise BadAssignment(f"--set {name}={text}: {error.message}") from None
    node = graph.nodes[graph.output]
    if graph.inputs or node.op != CONST or len(graph.statements) != 1:
        raise BadAssignment(f"--set {name}={text}: an array value holds numbers and constant expressions only, "
                            f"such as [[1, 2], [3, 4]] or [pi/4, -1]")
    return _checked(name, np.array(node.value, dtype=float), max_elements)


def load_file(name: str, path_text: str, max_elements: int) -> np.ndarray:
    """A value from a file: .npy (NumPy's format) or .csv (numbers; a header row is skipped)."""
    path = Path(path_text)
    if not path.is_file():
        raise BadAssignment(f"--set {name}=@{path_text}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            check_size(_npy_shape(path), max_elements, f"the value of {name} ({path_text})")
        except ShapeError as error:  # refused from the header, before reading the data
            raise BadAssignment(error.message) from None
        except (ValueError, OSError) as error:
            raise BadAssignment(f"--set {name}=@{path_text}: not a readable .npy file ({error})") from None
        try:
            array = np.load(path, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError) as error:
            raise BadAssignment(f"--set {name}=@{path_text}: not a readable .npy file ({error})") from None
        if array.dtype.kind not in "biuf":
            raise BadAssignment(f"--set {name}=@{path_text}: the array holds {array.dtype}, not numbers")
        return _checked(name, np.array(array, dtype=float), max_elements, f" ({path_text})")
    if suffix in (".csv", ".txt", ".tsv"):
        return _checked(name, _read_csv(name, path, max_elements), max_elements, f" ({path_text})")
    raise BadAssignment(f"--set {name}=@{path_text}: use a .csv or .npy file")


def _npy_shape(path: Path) -> tuple:
    """The shape a .npy file's header declares (read without loading the data)."""
    from numpy.lib import format as npy

    with open(path, "rb") as stream:
        version = npy.read_magic(stream)
        reader = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, _, _ = reader(stream)
    return tuple(shape)


def _read_csv(name: str, path: Path, max_elements: int) -> np.ndarray:
    """Rows of numbers; a first row of words is a header and is skipped. One column gives a vector."""
    where = f"--set {name}=@{path}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise BadAssignment(f"{where}: can not read the file ({error})") from None
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows = [row for row in csv.reader(text.splitlines(), delimiter=delimiter) if any(cell.strip() for cell in row)]
    if rows and all(_number(cell) is None for cell in rows[0]) and any(c.isalpha() for c in "".join(rows[0])):
        rows = rows[1:]  # a header: column names (words; "1;2" is a row of data with the wrong delimiter)
        first_line = 2
    else:
        first_line = 1
    if not rows:
        raise BadAssignment(f"{where}: the file has no rows of numbers")
    width = len(rows[0])
    if len(rows) * width > max_elements:
        check_size((len(rows), width), max_elements, f"the value of {name} ({path})")
    data = []
    for number, row in enumerate(rows):
        line = number + first_line
        if len(row) != width:
            raise BadAssignment(f"{where}: row {line} has {len(row)} cells but row {first_line} has {width}")
        values = []
        for column, cell in enumerate(row, start=1):
            value = _number(cell)
            if value is None:
                raise BadAssignment(f"{where}: row {line}, column {column}: '{cell.strip()}' is not a number")
            if not math.isfinite(value):
                raise BadAssignment(f"{where}: row {line}, column {column}: {cell.strip()} — values must be finite "
                                    f"numbers")
            values.append(value)
        data.append(values)
    array = np.array(data, dtype=float)
    return array[:, 0] if width == 1 else array


def _number(cell: str) -> float | None:
    try:
        return float(cell.strip())
    except ValueError:
        return None


def describe(array: np.ndarray) -> str:
    return f"shape {show_shape(array.shape)}"
