"""Rewrite the console blocks of docs/guide.md (or the docs pages named) with real output (the
tests in tests/test_docs.py check them): blocks that start with `$ backprop …` and print to stdout only.

    python scripts/update_guide.py [docs/lint.md ...]
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from click.testing import CliRunner  # noqa: E402

from backprop.cli import command  # noqa: E402

GUIDE = ROOT / "docs" / "guide.md"


def refresh(match: re.Match) -> str:
    line = match.group(1)
    try:
        args = shlex.split(line)[1:]
    except ValueError:  # a command continued on the next lines: left as written
        return match.group(0)
    if "|" in line or ">" in line or "-o" in args or "--timings" in args:
        return match.group(0)
    result = CliRunner().invoke(command, args)
    shown = result.stdout + (result.stderr if result.exit_code else "")
    return f"```console\n$ {line}\n{shown}```"


def main(argv: list[str]) -> int:
    for page in [Path(p).resolve() for p in argv] or [GUIDE]:
        text = page.read_text(encoding="utf-8")
        updated = re.sub(r"```console\n\$ (backprop [^\n]*)\n(.*?)```", refresh, text, flags=re.S)
        page.write_text(updated, encoding="utf-8")
        print(page.relative_to(ROOT), "updated" if updated != text else "unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
