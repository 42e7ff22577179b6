"""docs/gallery/ is up to date with the code (pages and DOT; PNG bytes vary with Graphviz)."""

import importlib.util
import io
import sys
import shutil

import pytest

from conftest import ROOT


def load_gallery():
    spec = importlib.util.spec_from_file_location("gallery", ROOT / "scripts" / "gallery.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


gallery = load_gallery()


def test_there_are_enough_examples_for_a_course():
    assert len(gallery.EXAMPLES) >= 8


@pytest.mark.parametrize("name, text", sorted(gallery.all_texts().items()))
def test_committed_file_is_up_to_date(name, text):
    path = gallery.GALLERY / name
    assert path.exists(), f"missing {path}: run python scripts/gallery.py"
    assert path.read_text(encoding="utf-8") == text, f"docs/gallery/{name} is out of date: run python scripts/gallery.py"


@pytest.mark.parametrize("example", gallery.EXAMPLES, ids=lambda e: e.slug)
def test_every_example_has_its_picture_and_passes_the_gradient_check(example):
    png = gallery.GALLERY / f"{example.slug}.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    if example.arrays:  # every element against a finite difference
        from backprop import differentiate
        from backprop.arrays.check import check_array_gradients

        report = check_array_gradients(differentiate(example.source, example.values))
        assert report.passed and all(len(c.elements) == c.size for c in report.checks)
        return
    from backprop.check import check_gradients

    assert check_gradients(example.source, example.values).passed


@pytest.mark.parametrize("example", gallery.EXAMPLES, ids=lambda e: e.slug)
def test_committed_picture_is_drawn_from_the_committed_dot(example):
    # Not byte-equal across Graphviz versions and fonts, so scripts/gallery.py stamps each PNG
    # with the SHA-256 of the DOT it drew; a PNG left over from an older DOT has another stamp.
    from PIL import Image

    dot = (gallery.GALLERY / f"{example.slug}.dot").read_text(encoding="utf-8")
    with Image.open(gallery.GALLERY / f"{example.slug}.png") as picture:
        stamp = picture.text.get(gallery.DOT_DIGEST_KEY)
    assert stamp == gallery.dot_digest(dot), f"docs/gallery/{example.slug}.png is stale: run python scripts/gallery.py"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_stamped_png_is_still_a_png():
    from PIL import Image

    png = gallery.stamp_png(gallery.run_dot("digraph { a -> b }", "png"), "digraph { a -> b }")
    with Image.open(io.BytesIO(png)) as picture:
        picture.load()  # decodes every chunk, checking their CRCs
        assert picture.text[gallery.DOT_DIGEST_KEY] == gallery.dot_digest("digraph { a -> b }")


def test_the_tiny_mlp_reproduces_mazurs_published_numbers():
    from backprop import differentiate

    example = next(e for e in gallery.EXAMPLES if e.slug == "tiny-mlp")
    result = differentiate(example.source, example.values)
    assert result.value == pytest.approx(0.298371109, abs=1e-9)
    assert result.gradients["W2"][0][0] == pytest.approx(0.082167041, abs=1e-9)  # his ∂E/∂w5
    page = (gallery.GALLERY / "tiny-mlp.md").read_text(encoding="utf-8")
    assert "0.082167" in page  # and on the committed page
