"""Generate docs/operators.md from the operator registry (src/backprop/ops.py).

    python scripts/gen_docs.py          # rewrite docs/operators.md
    python scripts/gen_docs.py --check  # exit 1 if the committed file is out of date

tests/test_docs.py runs the check, so the table can never drift from the registry.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from backprop.ops import OPS, Op  # noqa: E402

TARGET = ROOT / "docs" / "operators.md"
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


def main(argv: list[str]) -> int:
    text = render_operators()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run python scripts/gen_docs.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
