"""Packaging: a non-editable install into a fresh venv ships the grammar and the console script."""

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import ROOT, SEED_ARGS

pytestmark = pytest.mark.slow  # a fresh venv and a pip install: about 12 s


def test_wheel_install_in_fresh_venv_finds_the_grammar(tmp_path):
    venv.create(tmp_path / "venv", with_pip=True)
    python = tmp_path / "venv" / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", str(ROOT)], capture_output=True, text=True,
                             timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    # Run from an unrelated folder so nothing can come from the checkout.
    script = tmp_path / "venv" / "bin" / "backprop"
    completed = subprocess.run([str(script)] + SEED_ARGS + ["--format", "json"], capture_output=True, text=True,
                               cwd=tmp_path, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["gradients"] == {"a": 15, "b": 10, "c": 5, "f": -4}
    where = subprocess.run([str(python), "-c", "import backprop.parse as p, pathlib; "
                            "print(pathlib.Path(p.__file__).with_name('backprop.lark').is_file(), p.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path)
    found, module = where.stdout.split()
    assert found == "True"
    # The package comes from the fresh venv's site-packages, not from the checkout or pytest's venv.
    assert Path(module).is_relative_to(tmp_path / "venv") and not Path(module).is_relative_to(ROOT)
    assert not Path(module).is_relative_to(Path(sys.prefix))
