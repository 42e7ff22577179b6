"""The array derivation as an animated GIF: one frame per step (the JSON document's steps), the
step's node outlined in the diagram and the step's text below it. Frames are composed and
captioned by the scalar GIF's own helpers, so both look alike."""

from __future__ import annotations

import io
import json
import os
from concurrent.futures import ThreadPoolExecutor

from ..errors import RenderError
from ..render.dot import run_dot
from ..render.gif import DEFAULT_FRAME_MS, HOLD_LAST, MAX_FRAMES, _compose
from .dot import render_dot
from .render import render_json

_COLOURS = {"forward": "#1f4e9c", "backward": "#b3261e"}


def render_gif(result, *, frame_ms: int = DEFAULT_FRAME_MS, rankdir: str = "LR", **_) -> bytes:
    from PIL import Image

    steps = json.loads(render_json(result))["steps"]
    if len(steps) > MAX_FRAMES:
        raise RenderError(f"a GIF of this program would have {len(steps):,} frames, more than {MAX_FRAMES}: "
                          f"step through it with -o steps.html instead")
    sources = [render_dot(result, rankdir=rankdir, current=step["node"]) for step in steps]
    with ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1))) as pool:
        pngs = list(pool.map(lambda source: run_dot(source, "png"), sources))
    graphs = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    captions = [(_COLOURS[step["phase"]], f"Step {k} / {len(steps)} · {step['phase']} pass", step["text"])
                for k, step in enumerate(steps, start=1)]
    frames = _compose(graphs, captions)
    palette = frames[-1].quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    frames = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    durations = [frame_ms] * len(frames)
    durations[-1] = frame_ms * HOLD_LAST
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return out.getvalue()
