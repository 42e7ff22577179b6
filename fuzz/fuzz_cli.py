"""Coverage-guided fuzzing of the command line: argv → click → library, through command.main.

The arguments are split from the fuzz input on NUL bytes; a diagram is never drawn (-o is
forced to a .dot file in a temporary folder, or --no-diagram). Exit codes 0, 1, 2 and 130
are the contract; any other exception is a crash.
Run:  python fuzz/fuzz_cli.py -max_total_time=30 fuzz/seeds/cli
"""

import os
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

with atheris.instrument_imports():
    from click.testing import CliRunner

    from backprop.cli import command

WORK = tempfile.mkdtemp(prefix="backprop-fuzz-")
OPTIONS = [b"--set", b"-s", b"-o", b"--format", b"json", b"markdown", b"latex", b"--ascii", b"--wrt",
           b"--check", b"--tol", b"--max-nodes", b"--rankdir", b"--standalone", b"--timings", b"-f", b"-"]


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    extra = [OPTIONS[i % len(OPTIONS)].decode() for i in provider.ConsumeIntListInRange(3, 0, 255)]
    text = provider.ConsumeUnicodeNoSurrogates(provider.remaining_bytes())
    args = [part for part in text.split("\x00")][:8] + extra
    # Never touch files outside the scratch folder: a path argument is replaced by one inside it.
    args = [a if "/" not in a and not a.startswith("-f") else "x" for a in args]
    if "-o" in args or "--output" in args:
        args += ["-o", os.path.join(WORK, "out.dot")]
    else:
        args.append("--no-diagram")
    result = CliRunner().invoke(command, args, input="x*y\n")
    if result.exit_code not in (0, 1, 2, 130):
        raise RuntimeError(f"exit {result.exit_code} for {args!r}: {result.output!r}")
    if isinstance(result.exception, SystemExit) or result.exception is None:
        if result.exit_code != 0:
            assert result.stderr.startswith("Error"), (args, result.stderr)
        return
    raise result.exception


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
