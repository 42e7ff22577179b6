"""Generate docs/operators.md from the operator registry (src/backprop/ops.py), and docs/formats.md
from the format registry (src/backprop/render/formats.py) and the options table (src/backprop/options.py).

    python scripts/gen_docs.py          # rewrite both
    python scripts/gen_docs.py --check  # exit 1 if a committed file is out of date

tests/test_docs.py and tests/test_cli_shape.py run the check, so the tables never drift from the registries.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from backprop.ops import OPS, Op  # noqa: E402

TARGET = ROOT / "docs" / "operators.md"
FORMATS_TARGET = ROOT / "docs" / "formats.md"
KINDS = {"infix": "operators", "prefix": "operators", "function": "functions", "constant": "constants",
         "transform": "transforms"}


def _written(op: Op) -> str:
    """How the user writes the operation."""
    if op.kind == "infix":
        forms = [f"x {op.ascii_symbol or op.symbol} y"]
        if op.name == "pow":
            forms.append("pow(x, y)")
        return ", ".join(f"`{form}`" for form in forms)
    if op.kind == "prefix":
        return f"`{op.symbol}x`"
    if op.kind == "constant":
        return f"`{op.name}`"
    operands = ", ".join(["x", "y"][: op.arity])
    return f"`{op.name}({operands})`"


def _rule(op: Op, position: int, style: str) -> str:
    """One rule printed as the derivation prints it, with out written as the operation itself."""
    from backprop.render.printer import printer
    from backprop.rules import rule_exprs, substitute

    slots = {"out": ("op", op.name, tuple(("name", v) for v in ("x", "y")[: op.arity]))}
    return printer(style)(substitute(rule_exprs(op)[position], slots))


def _derivatives(op: Op) -> str:
    if op.kind == "transform":
        return "—"
    return "<br>".join(f"∂/∂{var} = `{_rule(op, i, 'text')}`" for i, var in enumerate("xy"[: op.arity])) or "—"


def _latex(op: Op) -> str:
    if op.kind == "transform":
        return "—"
    return "<br>".join(
        f"$\\frac{{\\partial}}{{\\partial {var}}} = {_rule(op, i, 'latex')}$" for i, var in enumerate("xy"[: op.arity])
    ) or "—"


def _registered(op: Op) -> str:
    """The rule exactly as the registry states it (over x, y and out), once per operand."""
    if op.kind == "transform":
        return "rewritten into ordinary operations before evaluation: differentiating through it gives second derivatives"
    return "<br>".join(f"`{rule}`" for rule in op.grads) or "a constant"


def render_operators() -> str:
    """The whole docs/operators.md, from the registry."""
    lines = [
        "# Operators and functions",
        "",
        "<!-- Generated from src/backprop/ops.py by `python scripts/gen_docs.py`: do not edit by hand. -->",
        "",
        "Every operation backprop knows, straight from its operator registry: how you write it, what it",
        "computes, its local derivatives as the derivation prints them and in LaTeX, and the rule as the",
        "registry states it, once, over the operands `x`, `y` and the node's own value `out`: the numeric",
        "partials, the derivation's \"since\" lines, these columns and the gradient graph all come from",
        "it. Precedence, associativity and the rest of the syntax are in [language.md](language.md).",
        "",
    ]
    for kind in ("operators", "functions", "constants", "transforms"):
        ops = [op for op in OPS.values() if KINDS[op.kind] == kind]
        lines += [f"## {kind.capitalize()}", ""]
        lines.append("| name | written | meaning | local derivatives | in LaTeX | rule as registered |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for op in ops:
            cells = [f"`{op.name}`", _written(op), op.doc.replace("|", "\\|"), _derivatives(op), _latex(op), _registered(op)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += [
        "Kinks follow PyTorch: relu'(0) = 0, abs'(0) = 0, and max/min split the gradient evenly at a tie.",
        "The rules state these conventions through three flat primitives, which are also functions you may",
        "call: `gt(x, y)` and `eq(x, y)` (printed as the Iverson brackets [x > y] and [x = y]) and `sign(x)`.",
        "When a run meets one, the derivation adds a `note:` line, and `--check` reports the input as a",
        "kink rather than a failure.",
    ]
    return "\n".join(lines) + "\n"


def render_formats() -> str:
    """The whole docs/formats.md, from the format registry and the options table."""
    from backprop.options import MODIFIERS, VIEWS
    from backprop.render.formats import FORMATS

    def kinds(names) -> str:
        return ", ".join(f"`{name}`" for name in sorted(names)) if names is not None else "every run"

    lines = [
        "# Output formats and which options combine",
        "",
        "<!-- Generated from src/backprop/render/formats.py and src/backprop/options.py by",
        "     `python scripts/gen_docs.py`: do not edit by hand. -->",
        "",
        "`--format NAME` picks what stdout shows; `-o FILE.EXT` writes a file, its format named by the",
        "extension (`-o -` writes the `--format` document to stdout instead). Both read one registry, so",
        "this table, `backprop --help` and the command line always agree. \"needs\" is checked before any",
        "work is done: `-o g.html` without Graphviz is refused at once, with how to install it.",
        "",
        "| format | extensions | what it is | options it takes | needs | the command line says |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in FORMATS.values():
        options = ", ".join(f"`{o}`" for o in sorted(f.options)) or "—"
        cells = [f"`{f.name}`", " ".join(f"`{e}`" for e in f.extensions) or "—", f.summary.replace("|", "\\|"),
                 options, ", ".join(f.needs) or "—", f"{f.noun} written to PATH"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Views and modifiers",
        "",
        "A *view* replaces the derivation on stdout; it prints only some formats. A *modifier* changes",
        "some outputs (a `check:FORMAT` output is the table or JSON of `--check`); it is refused when no",
        "output of the run is one of them, or when an output can not show it. Every pair of options",
        "either works or is refused with one `Error:` line naming both (tests/test_options_matrix.py",
        "runs them all). A new view or modifier is one row in `src/backprop/options.py`.",
        "",
        "| option | kind | what it does | applies to | refused with |",
        "| --- | --- | --- | --- | --- |",
    ]
    for view in VIEWS.values():
        lines.append(f"| `{view.option}` | view | {view.does} | `--format` {kinds(view.formats)} "
                     f"| other formats, `-o -` |")
    for modifier in MODIFIERS.values():
        refused = kinds(modifier.refuses) if modifier.refuses else "—"
        lines.append(f"| `{modifier.option}` | modifier | {modifier.does} | {kinds(modifier.applies_to)} | {refused} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    status = 0
    for target, text in ((TARGET, render_operators()), (FORMATS_TARGET, render_formats())):
        if "--check" in argv:
            current = target.read_text(encoding="utf-8") if target.exists() else ""
            if current != text:
                print(f"{target.relative_to(ROOT)} is out of date: run python scripts/gen_docs.py", file=sys.stderr)
                status = 1
            continue
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
