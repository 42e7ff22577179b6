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
6. An option that takes a value is given once, except ``--set`` (it repeats) and ``--wrt`` and
   ``--params`` (they take a list of names, so ``--wrt a --wrt b`` is ``--wrt a,b``). Click
   would keep the last of two ``-o``, silently.
7. An option that takes a value needs one: at the end of the line, or before ``--`` or another
   option, it is an error naming the option (click would take the ``--`` this reordering adds).
"""

from __future__ import annotations

import difflib
import re

import click

_PAIR = re.compile(r"\s*[^\W\d]\w*\s*=")
_NAME_LISTS = ("wrt", "params")  # options whose value is a list of names: repeating one extends the list


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
    option_of = {opt: p for p in params if isinstance(p, click.Option) for opt in p.opts + p.secondary_opts}
    options: list[str] = []
    given: dict[str, tuple[str, int]] = {}  # an option given once: how it was typed, and where it is in options
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
            if takes_value[name] and not has_equals and (not queue or _is_option(queue[0], takes_value)):
                raise click.UsageError(f"{name} needs a value: {name} {_example(option_of[name])}")
            value = attached if has_equals else (queue.pop(0) if takes_value[name] else None)
            param = option_of[name]
            if value is not None and not param.multiple and param.name in given:
                first, at = given[param.name]
                if param.name in _NAME_LISTS:
                    options[at] += "," + value
                    continue
                hint = "a run writes one file: run backprop once per file" if param.name == "output" else "give it once"
                raise click.UsageError(f"{name} is given twice ({first} and {name} {value}): {hint}")
            if value is not None and not param.multiple:  # where its value lands, for rule 6
                given[param.name] = (f"{name} {value}", len(options) + (0 if name.startswith("--") else 1))
            if name in ("-f", "--file"):
                if program is not None:
                    raise click.UsageError(f"two programs: '{program}' and -f {value}; give one of them")
                program_file = value
            if value is None:
                options.append(name)
                continue
            options += [f"{name}={value}"] if name.startswith("--") else [name, value]
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


def _is_option(arg: str, takes_value: dict) -> bool:
    """True for an argument spelled as an option (rule 2), or for "--": neither can be an option's value."""
    return arg == "--" or arg in takes_value or (arg.startswith("--") and arg.partition("=")[0] in takes_value)


def _example(option: click.Option) -> str:
    """What the option takes, as its --help says it: NAME=VALUE, LR|TB, N, PATH."""
    if option.metavar:
        return option.metavar
    if isinstance(option.type, click.Choice):
        return "|".join(option.type.choices)
    if isinstance(option.type, click.types.IntParamType):
        return "N"
    return option.type.name.upper()


def _close_option(name: str, takes_value: dict) -> list[str]:
    return difflib.get_close_matches(name, sorted(o for o in takes_value if o.startswith("--")), n=3)
