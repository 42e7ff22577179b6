"""docs/: generated parts match the registry, the JSON schema matches real output, nothing drifts."""

import importlib.util
import sys
import json
import re

import pytest

from backprop.api import differentiate
from backprop.cli import command
from backprop.ops import OPS

from conftest import ROOT, SEED, SEED_VALUES

DOCS = ROOT / "docs"


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_operators_md_is_generated_from_the_registry():
    generated = load_script("gen_docs").render_operators()
    assert (DOCS / "operators.md").read_text(encoding="utf-8") == generated, \
        "docs/operators.md disagrees with the registry: run python scripts/gen_docs.py"
    for op in OPS.values():
        assert f"| `{op.name}` |" in generated


def test_language_reference_names_every_function():
    text = (DOCS / "language.md").read_text(encoding="utf-8")
    for op in OPS.values():
        if op.kind in ("function", "constant"):
            assert f"`{op.name}" in text, op.name


def test_guide_covers_every_option():
    text = (DOCS / "guide.md").read_text(encoding="utf-8")
    for param in command.params:
        for opt in param.opts:
            if opt.startswith("--"):
                assert opt in text, f"docs/guide.md does not mention {opt}"


def test_docs_link_to_each_other():
    guide = (DOCS / "guide.md").read_text(encoding="utf-8")
    for target in ("language.md", "operators.md", "json.md", "api.md", "errors.md", "benchmark.md", "gallery/README.md"):
        assert f"({target}" in guide, target
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/guide.md" in readme and "docs/gallery" in readme


jsonschema = pytest.importorskip("jsonschema")


@pytest.mark.parametrize("source, values", [
    (SEED, SEED_VALUES),
    ("pow(x, y) + sqrt(z)", {"x": -2, "y": 2, "z": 0}),  # nan and inf as strings
    ("c = a + b; c += c; L = c*pi", {"a": 1, "b": 2}),  # versions and a constant
    ("2*3", {}),  # no inputs
])
def test_schema_validates_real_output(source, values):
    schema = json.loads((DOCS / "schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads(differentiate(source, values).to_json()), schema)
    # --symbolic and --hessian add their keys, and the schema describes them too
    jsonschema.validate(json.loads(differentiate(source, values).to_json(symbolic=True, hessian=True)), schema)
    # so are the keys of --mode forward, --cost, --paths, --lint and --step
    result = differentiate(source, values)
    jsonschema.validate(json.loads(result.to_json(mode="forward", cost=True, paths=True, lint=True)), schema)
    from backprop.render.formats import FORMATS

    jsonschema.validate(json.loads(FORMATS["json"].render(result, step=0.01)), schema)


def test_schema_and_json_md_name_every_key():
    schema = json.loads((DOCS / "schema.json").read_text(encoding="utf-8"))
    document = json.loads(differentiate(SEED, SEED_VALUES).to_json())
    optional = ["formulas", "hessian", "shapes", "forward_mode", "cost", "paths", "lint", "step",
                "expanded"]  # shapes and expanded: arrays only
    assert list(schema["properties"]) == list(document) + optional
    assert schema["required"] == list(document)  # the two added keys only when asked for
    text = (DOCS / "json.md").read_text(encoding="utf-8")
    for key in list(document) + list(document["nodes"][0]) + list(document["steps"][0]):
        assert f"`{key}`" in text, key


def test_console_examples_in_the_guide_are_current():
    """Blocks that start with `$ backprop … --no-diagram` (or a stdout-only format) show real output."""
    import shlex

    from click.testing import CliRunner

    text = (DOCS / "guide.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n\$ (backprop [^\n]*)\n(.*?)```", text, flags=re.S)
    checked = 0
    for line, expected in blocks:
        args = shlex.split(line)[1:]
        if "|" in line or ">" in line or "-o" in args or "--timings" in args:
            continue
        result = CliRunner().invoke(command, args)
        shown = result.stdout + (result.stderr if result.exit_code else "")
        assert shown == expected, f"docs/guide.md is out of date for: {line}"
        checked += 1
    assert checked >= 5
