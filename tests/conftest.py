"""Shared fixtures: golden files (``pytest --update-golden`` rewrites them) and the seed example."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # run against the checkout even without an install

GOLDEN = Path(__file__).parent / "golden"
SEED = "(a*b+c)*f"
SEED_VALUES = {"a": 2, "b": 3, "c": -10, "f": 5}
SEED_ARGS = [SEED, "--set", "a=2", "b=3", "c=-10", "f=5"]


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from current output")


# The quick loop (pytest -m "not slow") runs every property with a tenth of its examples; the
# whole suite (CI) runs the full counts. --hypothesis-profile picks one explicitly.
settings.register_profile("quick", max_examples=10)


def pytest_configure(config):
    if "not slow" in (config.getoption("markexpr") or "") and not config.getoption("hypothesis_profile", None):
        settings.load_profile("quick")


@pytest.fixture
def golden(request):
    """Compare text with tests/golden/NAME byte for byte (or rewrite it with --update-golden)."""

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if request.config.getoption("--update-golden"):
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"missing golden file {path}; run pytest --update-golden and review the diff"
        assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"

    return check


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (never its own download); skipped where either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("chromium is not installed (scripts/setup.sh --test installs it)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield chromium
        chromium.close()


def pytest_collection_modifyitems(config, items):
    """A test that drives Chromium (it asks for the browser fixture, directly or through another)
    is slow by definition: the quick loop leaves it to the whole suite."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
