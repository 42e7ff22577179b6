"""A CSV file of data points → named columns of floats, checked cell by cell.

The first line names the columns; each later line is one data point. A column whose name is
an input of the program gives that input its value on each row. Every problem is reported in
one line naming the file, the row (as the line number an editor shows) and the column.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BackpropError


class DataError(BackpropError):
    """A data file that can not be used: missing, empty, ragged or with a non-numeric cell."""


@dataclass
class Dataset:
    """Named columns of numbers read from one file."""

    path: str
    columns: dict[str, list[float]]
    lines: list[int] = field(default_factory=list)  # the file's line number of each row

    @property
    def rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def line_of(self, row: int) -> int:
        return self.lines[row] if row < len(self.lines) else row + 2


def read_csv(path: str | Path) -> Dataset:
    """Read a CSV file with a header line of names; raise DataError with the row and column of a bad cell."""
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"--data {shown}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"--data {shown}: is a folder, not a CSV file") from None
    except UnicodeDecodeError:
        raise DataError(f"--data {shown}: not a text file (expected CSV in UTF-8)") from None
    except OSError as error:
        raise DataError(f"--data {shown}: can not read it ({error.strerror or error})") from None
    records = [(number, row) for number, row in enumerate(csv.reader(text.splitlines()), start=1)
               if any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#")]
    if not records:
        raise DataError(f"--data {shown} is empty: write a header line of names (x,y) and one line per data point")
    header_line, header = records[0]
    names = [cell.strip() for cell in header]
    for position, name in enumerate(names):
        if not name:
            raise DataError(f"--data {shown}: column {position + 1} of the header line has no name")
        if _is_number(name):
            raise DataError(f"--data {shown}: the first line must name the columns (x,y), but it starts with the "
                            f"number {name}")
        if names.index(name) != position:
            raise DataError(f"--data {shown}: two columns are named '{name}'")
    if len(records) == 1:
        raise DataError(f"--data {shown} has a header line but no data points")
    columns: dict[str, list[float]] = {name: [] for name in names}
    lines = []
    for number, row in records[1:]:
        if len(row) != len(names):
            raise DataError(f"--data {shown}, line {number}: {len(row)} cells where the header names {len(names)} "
                            f"columns ({', '.join(names)})")
        for name, cell in zip(names, row):
            columns[name].append(_number(cell, shown, number, name))
        lines.append(number)
    return Dataset(shown, columns, lines)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number(cell: str, path: str, line: int, column: str) -> float:
    text = cell.strip()
    if not text:
        raise DataError(f"--data {path}, line {line}, column '{column}': the cell is empty")
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"--data {path}, line {line}, column '{column}': '{text[:40]}' is not a number") from None
    if not math.isfinite(value):
        raise DataError(f"--data {path}, line {line}, column '{column}': {text} is not a finite number")
    return value
