"""Result → an animated GIF of the derivation: the graph at step 0, then one frame per step.

Each frame is the diagram of ``dot.render_dot`` with that step's state applied (values and
gradients not yet computed are blanked; the current node, its operation and the edges the
value or gradient flows along are coloured), laid out by Graphviz and captioned with the
step's text from ``trace.step_texts`` (the same words as the terminal and the JSON). Only
colours and placeholders change between frames (every value and gradient cell keeps one width,
and what is not yet known reads "?", as in the HTML stepper), so Graphviz lays every frame out
the same and nothing jumps. A graph too big to read at the GIF's width is shown whole at step 0
and at the end, and zoomed to the step's nodes in between (Graphviz's viewport: the text stays
sharp). Each frame shows for a time that grows with its text. Pillow composes the frames; it is
imported only when a GIF is asked for.
"""

from __future__ import annotations

import io
import math
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
UNKNOWN = "#57606A"  # the "?" of a value or gradient not yet computed (7:1 on white, like the stepper's text)
FONT_POINTS = 14  # the value boxes' font size (dot.render_dot)
# Reading time: a frame of up to READ_CHARS characters shows for --frame-ms; a longer one for
# proportionally longer (a five-line sum), a short one (∂L/∂L = 1) for a little less.
READ_CHARS = 50
SHORTEST, LONGEST = 0.75, 3.5  # times --frame-ms
LONG_GIF_SECONDS = 60  # past a minute, the CLI says how long the animation runs
# Zoom: the whole drawing is used when it fits VIEW_POINTS at READABLE_SCALE or more (its text
# then 10.5 pt or bigger); else the frames between the first and the last show the step's nodes.
VIEW_POINTS = (MAX_WIDTH / DPI * 72, MAX_WIDTH / DPI * 72 * 9 / 16)  # 800 × 450 pt: 1600 × 900 px
READABLE_SCALE = 0.75
ZOOM_MARGIN = 36.0  # points around the step's nodes
MAX_ZOOM = 0.8  # a step's few nodes are not blown up past this: their neighbours stay in view
_ID = re.compile(r'\[id="([^"]+)"')
# Every frame is a full picture held in memory (about 3 MB at 1600 px) and rendered by
# Graphviz: past a few hundred steps a GIF is neither quick to make nor to watch.
MAX_FRAMES = 301


def render_gif(result, *, frame_ms: int = DEFAULT_FRAME_MS, rankdir: str = "auto",
               max_nodes: int = DEFAULT_MAX_NODES) -> bytes:
    """The steps as an animated GIF: len(steps) + 1 frames, each captioned with its step text."""
    if frame_ms <= 0:
        raise ValueError("frame_ms must be positive")
    if len(result.steps) + 1 > MAX_FRAMES:
        raise RenderError(f"a GIF of this program would have {len(result.steps) + 1:,} frames, more than "
                          f"{MAX_FRAMES}: step through it with -o graph.html instead")
    base = render_dot(result, rankdir=rankdir, max_nodes=max_nodes)
    view = stepper_view(result)
    viewports = frame_viewports(result, base, view)
    sources = [frame_dot(result, base, k, view, viewport=viewports[k]) for k in range(len(result.steps) + 1)]
    return encode_gif(sources, _captions(result, view), frame_ms)


def encode_gif(sources: list[str], captions: list[tuple[str, str, str]], frame_ms: int) -> bytes:
    """One DOT source per frame, drawn by dot (in parallel), under its (colour, heading, text)
    caption → the GIF's bytes."""
    from PIL import Image

    workers = max(1, min(8, os.cpu_count() or 1, len(sources)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pngs = list(pool.map(lambda source: run_dot(source, "png"), sources))
    graphs = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    frames = _compose(graphs, captions)
    # One palette for every frame, taken from the last (it has every colour), and no dithering:
    # flat colours stay flat, so consecutive frames differ only where the step changed something.
    palette = frames[-1].quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    _keep_white(palette)
    frames = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    durations = frame_durations([text for _, _, text in captions], frame_ms)
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return out.getvalue()


def _keep_white(palette) -> None:
    """Make the palette's near-whites pure white: median cut averages the white page with the
    anti-aliased pixels around the text (and Pillow's colour lookup may pick any near-white),
    and a grey page looks dirty on a white slide."""
    colours = palette.getpalette()
    for start in range(0, len(colours), 3):
        if min(colours[start:start + 3]) >= 246:
            colours[start:start + 3] = [255, 255, 255]
    palette.putpalette(colours)


def frame_durations(texts: list[str], frame_ms: int = DEFAULT_FRAME_MS) -> list[int]:
    """Milliseconds for each frame, from the length of its caption; the last frame is held longer."""
    # GIF stores hundredths of a second
    durations = [10 * round(frame_ms * min(LONGEST, max(SHORTEST, len(text) / READ_CHARS)) / 10) for text in texts]
    if durations:
        durations[-1] = max(durations[-1], frame_ms * HOLD_LAST)
    return durations


def gif_seconds(result, frame_ms: int = DEFAULT_FRAME_MS) -> float:
    """How long one loop of the GIF of this result runs, in seconds (without drawing it)."""
    texts = [stepper_view(result)["start"], *step_texts(result)]
    return sum(frame_durations(texts, frame_ms)) / 1000


def node_boxes(base: str) -> tuple[tuple[float, float], dict[str, tuple[float, float, float, float]]]:
    """The drawing's size and every node's box (centre x, y, width, height), in points, from one layout."""
    plain = run_dot(base, "plain").decode("utf-8", "replace")
    size = (0.0, 0.0)
    boxes = {}
    for line in plain.splitlines():
        if line.startswith("graph "):
            parts = line.split()
            size = (float(parts[2]) * 72, float(parts[3]) * 72)
        elif line.startswith("node "):
            parts = line.split(None, 6)
            boxes[parts[1].strip('"')] = tuple(float(x) * 72 for x in parts[2:6])
    return size, boxes


def frame_viewports(result, base: str, view: dict) -> list[str | None]:
    """Graphviz viewports for every frame: None when the whole drawing is readable at the GIF's width.

    Otherwise the first and last frames show the whole graph and each step frame its own nodes
    (the node, its operation and operands, or the consumers its gradient comes from), as large
    as they fit, up to MAX_ZOOM.
    """
    frames = len(result.steps) + 1
    # The layout every frame shares (their cells have fixed widths, the base's do not).
    (width, height), boxes = node_boxes(frame_dot(result, base, 0, view))
    view_w, view_h = VIEW_POINTS
    whole = min(view_w / max(width, 1.0), view_h / max(height, 1.0))
    if min(1.0, view_w / max(width, 1.0)) >= READABLE_SCALE or not boxes:
        return [None] * frames
    overview = _viewport(width / 2, height / 2, whole)
    viewports = [overview]
    for k in range(1, frames):
        step = result.steps[k - 1]
        extra = view["steps"][k - 1]
        keys = [f"v{step.node}", extra["op"], *extra["operands"], *(path["from"] for path in extra["paths"])]
        found = [boxes[key] for key in keys if key in boxes]
        if not found:
            viewports.append(overview)
            continue
        left = min(x - w / 2 for x, _, w, _ in found) - ZOOM_MARGIN
        right = max(x + w / 2 for x, _, w, _ in found) + ZOOM_MARGIN
        bottom = min(y - h / 2 for _, y, _, h in found) - ZOOM_MARGIN
        top = max(y + h / 2 for _, y, _, h in found) + ZOOM_MARGIN
        zoom = max(whole, min(MAX_ZOOM, view_w / (right - left), view_h / (top - bottom)))
        viewports.append(_viewport(_clamp((left + right) / 2, width, view_w / zoom),
                                   _clamp((bottom + top) / 2, height, view_h / zoom), zoom))
    viewports[-1] = overview
    return viewports


def _clamp(centre: float, extent: float, window: float) -> float:
    """A window's centre moved so the window stays on the drawing (centred when it is bigger)."""
    if window >= extent:
        return extent / 2
    return min(max(centre, window / 2), extent - window / 2)


def _viewport(x: float, y: float, zoom: float) -> str:
    return f"{VIEW_POINTS[0]:.0f},{VIEW_POINTS[1]:.0f},{zoom:.4f},{x:.1f},{y:.1f}"


def frame_dot(result, base: str, k: int, view: dict | None = None, *, viewport: str | None = None) -> str:
    """The DOT of step k: ``base`` (from render_dot) with the state after k steps coloured in.

    ``viewport`` (from frame_viewports) shows part of the drawing, zoomed; else the whole
    drawing is drawn at most MAX_WIDTH pixels wide.
    """
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
        value_known = node["value_step"] is not None and k >= node["value_step"]
        grad_known = node["grad_step"] is not None and k >= node["grad_step"]
        edit(node["key"], lambda line: _steady_cells(line, value_known, grad_known))
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
    if viewport is not None:
        lines.insert(1, f'  graph [viewport="{viewport}"];')
    else:
        # Graphviz scales a wider drawing down itself, so the text stays sharp (a resize would blur it).
        lines.insert(1, f'  graph [size="{MAX_WIDTH / DPI:.3f},1000"];')
    return "\n".join(lines)


_VALUE_CELL = re.compile(r'<TD><FONT COLOR="(#[0-9A-Fa-f]{6})">([^<]*)</FONT></TD>')


def _cell_points(text: str) -> int:
    """A cell width (points, padding included) that holds the text at the boxes' font size, whatever
    the font: a little more than the widest glyphs need, so "?" and the number get the same cell."""
    return math.ceil(len(text) * FONT_POINTS * 0.62 + 14)


def _steady_cells(line: str, value_known: bool, grad_known: bool) -> str:
    """Give a box's value and gradient cells fixed widths, and "?" for what is not yet known.

    The cells are as wide in every frame, so the layout never moves; the gradient's cell keeps
    its '∂L/∂e = ' and aligns left, so only the number changes.
    """
    cells = list(_VALUE_CELL.finditer(line))
    if not cells:
        return line
    out = []
    last = 0
    for cell in cells:
        colour, text = cell.group(1), cell.group(2)
        width = _cell_points(html_unescape(text))
        if colour.upper() == GRAD_COLOUR and " = " in text:
            prefix, _, number = text.rpartition(" = ")
            shown = number if grad_known else f'<FONT COLOR="{UNKNOWN}">?</FONT>'
            replaced = f'<TD WIDTH="{width}" ALIGN="LEFT"><FONT COLOR="{colour}">{prefix} = {shown}</FONT></TD>'
        else:
            known = value_known or colour.upper() == GRAD_COLOUR
            shown = text if known else f'<FONT COLOR="{UNKNOWN}">?</FONT>'
            replaced = f'<TD WIDTH="{width}"><FONT COLOR="{colour}">{shown}</FONT></TD>'
        out.append(line[last:cell.start()])
        out.append(replaced)
        last = cell.end()
    out.append(line[last:])
    return "".join(out)


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


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


__all__ = ["render_gif", "frame_dot", "frame_durations", "gif_seconds", "DEFAULT_FRAME_MS"]
