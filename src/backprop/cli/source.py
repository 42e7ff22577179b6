"""Where the program comes from: the argument, a file (-f) or standard input ("-")."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import ParseError, RenderError

# Larger programs are refused before decoding (-f /dev/zero must not fill the memory).
MAX_PROGRAM_BYTES = 100_000_000


def read_program(program: str | None, program_file: str | None, *, had_values: bool) -> str:
    """The program text, from the argument, -f FILE, or - (standard input)."""
    if program_file is not None:
        return read_source(program_file)
    if program is None:
        hint = (" (every argument after --set looked like NAME=VALUE: put the program first, or after --)"
                if had_values else "")
        raise ParseError("no program given: write one, e.g. backprop \"(a*b+c)*f\" --set a=2 b=3 c=-10 f=5 "
                         "(or -f FILE, or - for stdin)" + hint)
    return read_source("-") if program == "-" else program


def read_source(path: str) -> str:
    """The text of a program file, or of standard input for "-"; size-limited and UTF-8."""
    if path == "-":
        if sys.stdin is None:  # started with stdin closed (<&-)
            raise RenderError("can not read the program from standard input: it is closed")
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read(MAX_PROGRAM_BYTES + 1) if stream else sys.stdin.read().encode("utf-8")
        where = "standard input"
    else:
        target = Path(path)
        if target.is_dir():
            raise RenderError(f"can not read the program from {path}: it is a folder")
        try:
            with target.open("rb") as stream:
                data = stream.read(MAX_PROGRAM_BYTES + 1)
        except FileNotFoundError:
            raise RenderError(f"can not read the program from {path}: no such file") from None
        except OSError as error:
            raise RenderError(f"can not read the program from {path}: {error.strerror or error}") from None
        where = path
    if len(data) > MAX_PROGRAM_BYTES:
        raise RenderError(f"can not read the program from {where}: it is larger than {MAX_PROGRAM_BYTES:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ParseError(f"{where} is not valid UTF-8 text (byte {error.start + 1} is 0x{data[error.start]:02x})") \
            from None
