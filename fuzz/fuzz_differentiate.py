"""Coverage-guided fuzzing of the library: program text (and one value) → differentiate → every writer.

Any exception other than BackpropError is a crash. Run:  python fuzz/fuzz_differentiate.py -max_total_time=30 fuzz/seeds/differentiate
"""

import json
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

with atheris.instrument_imports():
    from backprop.api import differentiate
    from backprop.errors import BackpropError, format_error

NAMES = ("a", "b", "x", "y", "θ")


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    value = provider.ConsumeFloatInRange(-4.0, 4.0)
    source = provider.ConsumeUnicodeNoSurrogates(provider.remaining_bytes())
    try:
        result = differentiate(source, {name: value for name in NAMES})
    except BackpropError as error:
        format_error(error, source)
        return
    json.loads(result.to_json(), parse_constant=_refuse)  # an array program's result writes its own JSON
    result.derivation("text")
    result.derivation("ascii")
    result.derivation("markdown")
    result.derivation("latex")
    result.to_dot(max_nodes=50)


def _refuse(constant):
    raise AssertionError(f"non-strict JSON: {constant}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
