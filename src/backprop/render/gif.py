"""Result → an animated GIF of the derivation: the graph at step 0, then one frame per step.

Each frame is the diagram of ``dot.render_dot`` with that step's state applied (values and
gradients not yet computed are blanked; the current node, its operation and the edges the
value or gradient flows along are coloured), laid out by Graphviz and captioned with the
step's text from ``trace.step_texts`` (the same words as the terminal and the JSON). Only
colours change between frames, so Graphviz lays every frame out the same and nothing jumps.
Pillow composes the frames; it is imported only when a GIF is asked for.
"""

from __future__ import annotations

import io
import os
import re
from concurrent.futures import ThreadPoolExecutor

from ..errors import RenderError
from ..graph import CONST
from ..steps import FORWARD
from .dot import DEFAULT_MAX_NODES, GRAD_COLOUR, VALUE_COLOUR, render_dot, run_dot
from .stepper import stepper_view
from .trace import step_texts

DEFAULT_FRAME_MS = 2000
HOLD_LAST = 3  # the finished graph stays up three times as long before the loop restarts
MAX_WIDTH = 1600  # pixels; Graphviz draws wider diagrams smaller, to fit a slide or a README
DPI = 144  # what run_dot asks of Graphviz for PNG
FORWARD_FILL = "#DCEFFF"
BACKWARD_FILL = "#FFE6D5"
HIDDEN = "#FFFFFF00"  # fully transparent: the text keeps its room, so the layout never changes
_ID = re.compile(r'\[id="([^"]+)"')
# Every frame is a full picture held in memory (about 3 MB at 1600 px) and rendered by
# Graphviz: past a few hundred steps a GIF is neither quick to make nor to watch.
MAX_FRAMES = 301


def render_gif(result, *, frame_ms: int = DEFAULT_FRAME_MS, rankdir: str = "auto",
               max_nodes: int = DEFAULT_MAX_NODES) -> bytes:
    """The steps as an animated GIF: len(steps) + 1 frames, each captioned with its step text."""
    from PIL import Image

    if frame_ms <= 0:
        raise ValueError("frame_ms must be positive")
    if len(result.steps) + 1 > MAX_FRAMES:
        raise RenderError(f"a GIF of this program would have {len(result.steps) + 1:,} frames, more than "
                          f"{MAX_FRAMES}: step through it with -o graph.html instead")
    base = render_dot(result, rankdir=rankdir, max_nodes=max_nodes)
    view = stepper_view(result)
    sources = [frame_dot(result, base, k, view) for k in range(len(result.steps) + 1)]
    workers = max(1, min(8, os.cpu_count() or 1, len(sources)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pngs = list(pool.map(lambda source: run_dot(source, "png"), sources))
    graphs = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    frames = _compose(graphs, _captions(result, view))
    # One palette for every frame, taken from the last (it has every colour), and no dithering:
    # flat colours stay flat, so consecutive frames differ only where the step changed something.
    palette = frames[-1].quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    frames = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    durations = [frame_ms] * len(frames)
    durations[-1] = frame_ms * HOLD_LAST
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return out.getvalue()


def frame_dot(result, base: str, k: int, view: dict | None = None) -> str:
    """The DOT of step k: ``base`` (from render_dot) with the state after k steps coloured in."""
    view = view or stepper_view(result)
    lines = base.split("\n")
    where = {}
    for index, line in enumerate(lines):
        match = _ID.search(line)
        if match:
            where[match.group(1)] = index

    def edit(key: str, change) -> None:
        if key in where:
            lines[where[key]] = change(lines[where[key]])

    for node in view["nodes"]:
        if node["kind"] == CONST:
            continue
        if node["value_step"] is None or k < node["value_step"]:
            edit(node["key"], _hide_value)
        known = node["grad_step"] is not None and k >= node["grad_step"]
        edit(node["key"], lambda line: _grad_cell(line, known))
    if k > 0:
        step = result.steps[k - 1]
        extra = view["steps"][k - 1]
        colour, fill = (VALUE_COLOUR, FORWARD_FILL) if step.phase == FORWARD else (GRAD_COLOUR, BACKWARD_FILL)
        edit(f"v{step.node}", lambda line: _highlight_box(line, colour, fill))
        if step.phase == FORWARD:
            edit(extra["op"], lambda line: _fill_op(line, colour))
            for operand in extra["operands"]:
                edit(operand, lambda line: _highlight_box(line, colour, None))
            for edge in extra["edges"]:
                edit(edge, lambda line: _colour_edge(line, colour, dashed=False))
        else:
            for path in extra["paths"]:
                edit(path["from"], lambda line: _highlight_box(line, colour, None))
                for edge in path["edges"]:
                    edit(edge, lambda line: _colour_edge(line, colour, dashed=True))
    # Graphviz scales a wider drawing down itself, so the text stays sharp (a resize would blur it).
    lines.insert(1, f'  graph [size="{MAX_WIDTH / DPI:.3f},1000"];')
    return "\n".join(lines)


def _hide_value(line: str) -> str:
    return line.replace(f'<FONT COLOR="{VALUE_COLOUR}">', f'<FONT COLOR="{HIDDEN}">', 1)


def _grad_cell(line: str, known: bool) -> str:
    """Split '∂L/∂e = 5' into two spans in every frame (so its width never changes); until the
    gradient is known, the '∂L/∂e = ' part is faint and the number is blank."""
    opening = f'<FONT COLOR="{GRAD_COLOUR}">'
    start = line.find(opening)
    if start < 0:
        return line
    end = line.find("</FONT>", start)
    prefix, _, number = line[start + len(opening):end].rpartition(" = ")
    if not prefix:
        return line
    outer, inner = (GRAD_COLOUR, GRAD_COLOUR) if known else ("#E8B8A0", HIDDEN)
    replaced = f'<FONT COLOR="{outer}">{prefix} = <FONT COLOR="{inner}">{number}</FONT></FONT>'
    return line[:start] + replaced + line[end + len("</FONT>"):]


def _highlight_box(line: str, colour: str, fill: str | None) -> str:
    line = line.replace('COLOR="#333333">', f'COLOR="{colour}">', 1)
    if fill:
        line = line.replace('BGCOLOR="white"', f'BGCOLOR="{fill}"', 1)
    return line


def _fill_op(line: str, colour: str) -> str:
    return re.sub(r'fillcolor="[^"]*", color="[^"]*"', f'fillcolor="{colour}", color="{colour}", fontcolor="white"',
                  line, count=1)


def _colour_edge(line: str, colour: str, *, dashed: bool) -> str:
    style = ', style="dashed"' if dashed else ""
    return _ID.sub(lambda m: f'{m.group(0)}, color="{colour}", penwidth=3{style}', line, count=1)


def _captions(result, view: dict) -> list[tuple[str, str, str]]:
    """(colour, heading, text) for every frame: step 0 shows the inputs, then each step's own text."""
    texts = step_texts(result)
    total = len(texts)
    captions = [("#1F2328", f"Step 0 / {total} · the graph and its inputs", view["start"])]
    counts = {"forward": 0, "backward": 0}
    sizes = {phase: sum(1 for s in result.steps if s.phase == phase) for phase in counts}
    for number, (step, text) in enumerate(zip(result.steps, texts), start=1):
        counts[step.phase] += 1
        phase, colour = ("Forward pass", VALUE_COLOUR) if step.phase == FORWARD else ("Backward pass", GRAD_COLOUR)
        heading = f"Step {number} / {total} · {phase} {counts[step.phase]} of {sizes[step.phase]}"
        captions.append((colour, heading, text))
    return captions


def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    names = ["DejaVuSans-Bold.ttf", "Arial Bold.ttf", "arialbd.ttf"] if bold else []
    names += ["DejaVuSans.ttf", "Arial Unicode.ttf", "Arial.ttf", "arial.ttf"]
    for name in names:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _wrap(draw, text: str, font, width: int) -> list[str]:
    """Lines of at most ``width`` pixels, broken at spaces (a long word gets a line of its own)."""
    lines = []
    for paragraph in text.split("\n"):
        indent = "    " if lines else ""
        words = paragraph.split(" ")
        line = ""
        for word in words:
            candidate = f"{line} {word}" if line else word
            if line and draw.textlength(indent + candidate, font=font) > width:
                lines.append(indent + line)
                line = word
                indent = "        " if lines else ""
            else:
                line = candidate
        lines.append(indent + line)
    return lines


def _compose(graphs, captions) -> list:
    """Scale the diagrams to one width and write each caption below its diagram."""
    from PIL import Image, ImageDraw

    width = max(max(graph.width for graph in graphs), 640)
    graph_height = max(graph.height for graph in graphs)
    size = max(18, width // 56)  # the caption grows with the diagram, for slides
    heading_font, text_font = _font(size + 2, bold=True), _font(size)
    margin, line_height = size + 6, round(size * 1.45)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    wrapped = [_wrap(measure, text, text_font, width - 2 * margin) for _, _, text in captions]
    panel = margin + round(size * 1.9) + line_height * max(len(lines) for lines in wrapped) + margin
    frames = []
    for graph, (colour, heading, _), lines in zip(graphs, captions, wrapped):
        frame = Image.new("RGB", (width, graph_height + panel), "white")
        frame.paste(graph, ((width - graph.width) // 2, 0))
        draw = ImageDraw.Draw(frame)
        top = graph_height
        draw.line([(margin, top), (width - margin, top)], fill="#D0D7DE", width=2)
        draw.text((margin, top + margin // 2), heading, font=heading_font, fill=colour)
        for index, line in enumerate(lines):
            draw.text((margin, top + margin // 2 + round(size * 1.9) + index * line_height), line, font=text_font,
                      fill="#1F2328")
        frames.append(frame)
    return frames


__all__ = ["render_gif", "frame_dot", "DEFAULT_FRAME_MS"]
