"""The user's argv → an argv click parses without guessing: options, then ``--``, then the program.

Click would read a program such as ``-x^2`` as options, and pairs after one ``--set`` as
programs. These rules (docs/guide.md, "How the command line reads its arguments") decide instead:

1. The first argument is a job only when it is exactly a job's name (``backprop.reserved``).
2. An argument spelled exactly as an option is that option (``-h``, ``-f``, ``--format=json``).
3. In the program's place (no program yet, no ``-f``), an argument that starts with ``-``
   and is a valid program is the program: ``-x^2``, ``-f/2``, ``-o+x``, ``--x``.
4. After ``--set`` (``-s``), arguments that look like NAME=VALUE are values, so
   ``--set a=1 b=2 "a*b"`` works; a NAME=VALUE argument after the program is a value too.
5. After ``--``, nothing is an option: ``backprop -- -h --set h=2`` differentiates ``-h``.
"""

from __future__ import annotations

import difflib
import re

import click

_PAIR = re.compile(r"\s*[^\W\d]\w*\s*=")


def looks_like_pair(arg: str) -> bool:
    """True for "a=2" and "x = pi/4"; False for programs with several statements ("e = a*b; e")."""
    return bool(_PAIR.match(arg)) and not any(c in arg for c in ";\n")


def _is_program(arg: str) -> bool:
    from ..errors import BackpropError
    from ..parse import parse

    try:
        parse(arg)
    except BackpropError:
        return False
    return True


def shape(args: list[str], params: list[click.Parameter]) -> list[str]:
    """Options first (each --set pair as --set=PAIR), then "--" and the program, if any."""
    takes_value = {opt: not (isinstance(p, click.Option) and p.is_flag)
                   for p in params if isinstance(p, click.Option) for opt in p.opts + p.secondary_opts}
    options: list[str] = []
    program: str | None = None
    program_file: str | None = None
    queue = list(args)

    def take_program(arg: str) -> None:
        nonlocal program
        if program_file is not None or program is not None:
            where = f"-f {program_file}" if program_file is not None else f"'{program}'"
            raise click.UsageError(f"unexpected argument '{arg}': the program is {where}; "
                                   f"give values as --set NAME=VALUE")
        program = arg

    while queue:
        arg = queue.pop(0)
        name, has_equals, attached = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if arg == "--":
            rest = [a for a in queue if not looks_like_pair(a)]
            options += [f"--set={a}" for a in queue if looks_like_pair(a)]
            for a in rest:
                take_program(a)
            break
        if name in takes_value and arg.startswith("--") or arg in takes_value:
            value = attached if has_equals else (queue.pop(0) if takes_value[name] and queue else None)
            if name in ("-f", "--file"):
                if program is not None:
                    raise click.UsageError(f"two programs: '{program}' and -f {value}; give one of them")
                program_file = value
            if value is None:
                options.append(name)
                continue
            options.append(f"{name}={value}" if name.startswith("--") else name)
            if not name.startswith("--"):
                options.append(value)
            if name in ("-s", "--set"):
                while queue and looks_like_pair(queue[0]):
                    options.append(f"--set={queue.pop(0)}")
        elif arg.startswith("-") and arg != "-":
            program_slot = program is None and program_file is None
            if program_slot and not (arg.startswith("--") and _close_option(name, takes_value)) and _is_program(arg):
                take_program(arg)
            elif arg[:2] in takes_value and takes_value[arg[:2]]:  # -ofile.png, -sa=2: a value attached
                queue[:0] = [arg[:2], arg[2:]]
            elif arg.startswith("--") and arg[2:3].isalpha():
                raise click.NoSuchOption(name, possibilities=_close_option(name, takes_value))
            else:
                take_program(arg)  # "-x^": the parser will point at the mistake
        elif looks_like_pair(arg) and (program is not None or program_file is not None):
            options.append(f"--set={arg}")
        else:
            take_program(arg)
    return options + (["--", program] if program is not None else [])


def _close_option(name: str, takes_value: dict) -> list[str]:
    return difflib.get_close_matches(name, sorted(o for o in takes_value if o.startswith("--")), n=3)
