"""Result → Graphviz DOT, and DOT → PNG/SVG/PDF through the ``dot`` program.

Where ``dot`` is missing, graphviz-pure draws SVG (graphviz_program.py says which program runs).

One box per value (name, value in blue, gradient in vermillion: the Okabe–Ito pair, safe
for colour-blind readers) and one small circle per operation, as in CS231n's figures.
Inputs sit on the left and the output on the right (``rankdir`` TB for top-down).
Every label is escaped: no name or number can break the DOT.
"""

from __future__ import annotations

import html
import re
import subprocess
import time
from collections import deque

from ..errors import RenderError
from ..graph import CONST, INPUT, display_name
from ..numfmt import format_number
from ..ops import OPS

VALUE_COLOUR = "#0072B2"  # blue: forward values
GRAD_COLOUR = "#D55E00"  # vermillion: gradients
OP_FILL = "#F0F0F0"
FONT = "Helvetica,Arial,DejaVu Sans,sans-serif"
DEFAULT_MAX_NODES = 400
DEFAULT_TIMEOUT = 60.0
PROBE_TIMEOUT = 10.0  # seconds for each trial layout that chooses a drawing's direction
# A value with more uses than this is drawn from its box to its first use only, and from a small
# dashed copy of its name beside every other use. Dozens of long edges from one box make dot's
# ranking and positioning (network simplex) run for minutes (80 uses: 90 s) and draw a hairball.
FANOUT_LIMIT = 16
# --rankdir not given: LR, unless its drawing is both wider than a slide and more than TOO_WIDE
# times as wide as it is high (the two-layer network: 40 in by 4.4 in), and the top-down drawing
# keeps its text bigger once shrunk to fit a 16:9 slide (13.33 in by 7.5 in).
AUTO = "auto"
TOO_WIDE = 2.6
SLIDE_INCHES = (13.33, 7.5)
STYLES = ("boxes", "edges")
OPERAND_MARKS = ("①", "②")  # a − b: ① on a's edge, ② on b's
MAX_PNG_INCHES = 40.0  # 5760 px at 144 dpi
INSTALL_GRAPHVIZ = ("install it with 'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) "
                    "or from https://graphviz.org/download/")
OTHERWISE = " — or write DOT with -o graph.dot, or skip the picture with --no-diagram"
INSTALL_HOW = INSTALL_GRAPHVIZ + OTHERWISE
NEEDED = "Graphviz's 'dot' program is needed to lay out diagrams (PNG, SVG, PDF, the HTML stepper, GIF)"
INSTALL_HINT = f"{NEEDED}: {INSTALL_HOW}"


def _escape(text: str) -> str:
    """Text for an HTML-like DOT label: &, <, >, quotes escaped; control characters dropped."""
    text = "".join(c for c in text if c.isprintable())
    return html.escape(text, quote=True)


def _value_label(name: str, value: str, grad: str | None, out: str, bold: bool, penwidth: str,
                 colour: str = VALUE_COLOUR) -> str:
    name_cell = f"<B>{_escape(name)}</B>" if bold else _escape(name)
    cells = [name_cell, f'<FONT COLOR="{colour}">{_escape(value)}</FONT>']
    if grad is not None:
        cells.append(f'<FONT COLOR="{GRAD_COLOUR}">∂{_escape(out)}/∂{_escape(name)} = {_escape(grad)}</FONT>')
    row = "<VR/>".join(f"<TD>{cell}</TD>" for cell in cells)
    return (
        f'<<TABLE BORDER="{penwidth}" STYLE="rounded" CELLBORDER="0" CELLSPACING="0" CELLPADDING="6" '
        f'BGCOLOR="white" COLOR="#333333"><TR>{row}</TR></TABLE>>'
    )


def render_dot(result, *, rankdir: str = AUTO, max_nodes: int = DEFAULT_MAX_NODES, title: str | None = None,
               wrt=None, style: str = "boxes", layout_timeout: float = PROBE_TIMEOUT) -> str:
    """The computational graph as DOT source: values and gradients on every node.

    A graph bigger than ``max_nodes`` boxes and circles is drawn in part (see ``nodes_to_draw``).

    ``wrt`` (input names, as for --wrt) shows gradients only on the paths to those inputs.
    ``rankdir`` is LR (inputs on the left), TB (top-down) or auto: LR unless its drawing is much
    wider than a slide and the top-down one fits a slide better (see ``choose_direction``, whose
    trial layouts each stop after ``layout_timeout`` seconds).
    ``style`` is "boxes" (a box per value) or "edges" (values on the edges, see ``edges_view``).
    """
    if style not in STYLES:
        raise ValueError(f"unknown diagram style {style!r} (one of: {', '.join(STYLES)})")
    direction = rankdir.upper()
    if direction not in ("LR", "TB"):
        return choose_direction(lambda chosen: render_dot(result, rankdir=chosen, max_nodes=max_nodes, title=title,
                                                          wrt=wrt, style=style), timeout=layout_timeout)
    if style == "edges":
        from .edges_view import render_edges

        return render_edges(result, rankdir=direction, max_nodes=max_nodes, title=title, wrt=wrt)
    from ..steps import restrict

    wrt = restrict(result.graph, wrt)
    graph = result.graph
    shown = nodes_to_draw(graph, max_nodes)
    copied = widely_used(graph, shown)
    out = display_name(result.output)
    lines = [
        "digraph backprop {",
        f'  graph [rankdir={direction}, bgcolor="white", fontname="{FONT}", '
        'nodesep=0.3, ranksep=0.45, pad=0.3, ordering=in];',
        f'  node [fontname="{FONT}", fontsize=14];',
        f'  edge [color="#555555", arrowsize=0.7, fontname="{FONT}", fontsize=10, fontcolor="#555555"];',
    ]
    # A gradient graph (symbolic.GradientGraph drawn through gradient_view) has no gradients of its
    # own, several outputs, and backward nodes whose values are gradients (drawn vermillion).
    grads_shown = getattr(result, "grads", None) is not None
    from ..steps import depends_on_inputs

    varies = depends_on_inputs(graph)
    spine = chain_links(graph)
    backward = getattr(result, "backward", set())
    outputs = {i for _, i in getattr(graph, "outputs", [])} | {graph.output}
    if backward:
        outputs = {i for i in outputs if i in backward}
    for node in graph.nodes:
        if shown is not None and node.id not in shown:
            continue
        key = f"v{node.id}"
        name = display_name(node.name)
        value = format_number(result.values[node.id])
        if node.op == CONST:
            label = _escape(name if node.named else value)
            if node.named:
                label = f"{label} = {_escape(value)}"
            lines.append(f'  {key} [id="{key}", shape=box, style="rounded", color="#999999", fontcolor="#555555", '
                         f'fontsize=12, width=0.3, height=0.3, margin="0.06,0.03", label="{label}"];')
            continue
        grad = format_number(result.grads[node.id]) if grads_shown and (wrt is None or node.id in wrt) \
            and varies[node.id] else None  # a node made of constants alone (1/3) has no gradient to show
        is_output = node.id in outputs
        penwidth = "3" if is_output else "1"
        colour = GRAD_COLOUR if node.id in backward else VALUE_COLOUR
        label = _value_label(name, value, grad, out, node.op == INPUT or is_output, penwidth, colour)
        lines.append(f'  {key} [id="{key}", shape=plain, label={label}];')
        if node.op != INPUT:
            op = OPS[node.op]
            lines.append(
                f'  o{node.id} [id="o{node.id}", shape=circle, style=filled, fillcolor="{OP_FILL}", color="#777777", '
                f'width=0.45, fixedsize={"true" if len(op.label) <= 4 else "false"}, margin=0.02, '
                f'fontsize={16 if len(op.label) == 1 else 10}, '
                f'label="{_escape(op.label)}"];'
            )
            ordered = op.kind == "infix" and node.op in ("sub", "div", "pow")
            for position, arg in enumerate(node.args):
                if shown is not None and arg not in shown:
                    lines.append(f'  hidden -> o{node.id} [style=dashed];')
                    continue
                tag = operand_tag(position) if ordered else ""
                tail = f"v{arg}"
                if (node.id, position) in copied.get(arg, ()):
                    tail = f"u{arg}_o{node.id}_{position}"
                    lines.append(_copy_node(tail, graph.nodes[arg]))
                # Edge ids name the operand position, so x*x draws two distinguishable edges (HTML stepper).
                pulled = _SPINE if position == 0 and spine.get(node.id) else ""
                lines.append(f'  {tail} -> o{node.id} [id="v{arg}_o{node.id}_{position}"{tag}{pulled}];')
            pulled = _SPINE if node.id in spine else ""
            lines.append(f'  o{node.id} -> {key} [id="o{node.id}_{key}"{pulled}];')
    if backward:  # a gradient graph: a gradient that is a forward node itself (∂L/∂c = f) gets its own box
        for gradient_name, node_id in graph.outputs:
            if node_id not in backward and (shown is None or node_id in shown):
                key = f"g{node_id}_{len(lines)}"
                label = _value_label(gradient_name, format_number(result.values[node_id]), None, out, True, "3",
                                     GRAD_COLOUR)
                lines.append(f'  {key} [id="{key}", shape=plain, label={label}];')
                lines.append(f'  v{node_id} -> {key} [style=dashed, arrowhead=none, label="="];')
    if shown is not None:
        lines += _hidden_region(graph, shown)
    caption = (
        f'<<FONT POINT-SIZE="11"><FONT COLOR="{VALUE_COLOUR}">blue: value (forward pass)</FONT>    '
        f'<FONT COLOR="{GRAD_COLOUR}">vermillion: gradient ∂{_escape(out)}/∂node (backward pass)</FONT></FONT>>'
    )
    if not grads_shown:
        caption = (
            f'<<FONT POINT-SIZE="11"><FONT COLOR="{VALUE_COLOUR}">blue: forward nodes</FONT>    '
            f'<FONT COLOR="{GRAD_COLOUR}">vermillion: backward nodes, as autograd builds them '
            f'(bold: ∂{_escape(getattr(result, "of", out))}/∂input)</FONT></FONT>>'
        )
    if copied:
        caption = f'<{_escape(_copies_note(graph, copied))}<BR/>{caption[1:-1]}>'
    if shown is not None:
        note = (f"Showing {shown_phrase(graph, shown)}, of {len(graph.nodes):,} (--max-nodes {max_nodes}); the "
                "dashed box stands for the rest.")
        caption = f'<{_escape(note)}<BR/>{caption[1:-1]}>'
    if title:
        caption = f'<{_escape(title)}<BR/>{caption[1:-1]}>'
    lines.append(f"  label={caption}; labelloc=b;")
    lines.append("}")
    return "\n".join(lines) + "\n"


_SPINE = ", weight=20"  # dot keeps heavy edges short and straight


def chain_links(graph) -> dict[int, bool]:
    """The links of long chains of one operation (a + b + c + …, left-deep as parsed), to be drawn
    as a straight spine: without weights dot shifts each link sideways by its other operand, and an
    80-term sum became a diagonal staircase many times wider than a slide.

    Maps a node whose first operand continues the chain (the same operation, used only there) to
    True, and the chain's first node to False (its own value edge is pulled straight too).
    Chains shorter than ``_SPINE_LENGTH`` links are left to dot.
    """
    nodes = graph.nodes
    uses = [0] * len(nodes)
    for node in nodes:
        for arg in node.args:
            uses[arg] += 1
    follows = {}
    for node in nodes:
        if len(node.args) == 2:
            first = nodes[node.args[0]]
            if first.op == node.op and uses[first.id] == 1:
                follows[node.id] = first.id
    links: dict[int, bool] = {}
    ends = set(follows) - set(follows.values())  # the last link of each chain
    for end in ends:
        chain = [end]
        while chain[-1] in follows:  # iterative: a chain can be 10⁵ links long
            chain.append(follows[chain[-1]])
        if len(chain) > _SPINE_LENGTH:
            links.update(dict.fromkeys(chain[:-1], True))
            links[chain[-1]] = False
    return links


_SPINE_LENGTH = 4


def operand_tag(position: int) -> str:
    """The mark on an operand's edge of a − b, a / b or a ^ b: ① for a, ② for b, at the operation's end.

    Circled digits cannot clash with a variable's name (the grammar refuses them in names), and
    beside the small circle, away from the boxes, they cross no border whichever way the graph runs.
    """
    return (f', headlabel="{OPERAND_MARKS[position]}", labeldistance=1.5, labelangle=-40, '
            f'labelfontsize=11, labelfontcolor="#333333"')


def fits_across(width: float, height: float) -> bool:
    """Whether a left-to-right drawing of this size (inches) stays left to right: it fits a slide's
    width, or is not much wider than high."""
    return width <= SLIDE_INCHES[0] or width <= TOO_WIDE * height


def choose_direction(render, *, timeout: float = PROBE_TIMEOUT, across_size: tuple[float, float] | None = None) -> str:
    """The DOT ``render(direction)`` makes for LR, or for TB when LR would be too wide for a slide.

    LR is laid out first (Graphviz -Tplain, no picture); only a drawing wider than a slide and
    than TOO_WIDE times its height is laid out top-down too, and the one whose text stays bigger
    on a 16:9 slide wins. Without Graphviz (writing DOT only) the DOT stays LR.
    """
    across = render("LR")
    if across_size is not None:  # laid out already (render_image draws a small graph's LR picture at once)
        width, height = across_size
    else:
        try:
            width, height = layout_size(across, timeout=timeout)
        except RenderError:
            return across
    if fits_across(width, height):
        return across
    down = render("TB")
    try:
        down_width, down_height = layout_size(down, timeout=timeout)
    except RenderError:
        return across
    return down if slide_scale(down_width, down_height) > slide_scale(width, height) else across


def slide_scale(width: float, height: float) -> float:
    """How much a drawing of this size (inches) is scaled to fit a 16:9 slide: bigger, larger text."""
    return min(SLIDE_INCHES[0] / max(width, 1e-9), SLIDE_INCHES[1] / max(height, 1e-9))


def layout_size(source: str, *, timeout: float = DEFAULT_TIMEOUT) -> tuple[float, float]:
    """The width and height (inches) Graphviz lays the DOT out at, before any size cap."""
    plain = run_dot(source, "plain", timeout=timeout).decode("utf-8", "replace")
    first = plain.split("\n", 1)[0].split()
    if len(first) < 4 or first[0] != "graph":
        raise RenderError("Graphviz's dot gave no layout")
    return float(first[2]), float(first[3])


def widely_used(graph, shown: set[int] | None = None) -> dict[int, set[tuple[int, int]]]:
    """The values used more than FANOUT_LIMIT times, each with the uses drawn from a copy.

    A use is (operation id, operand position); the first use stays an edge from the value's own
    box, so the box keeps its place in the flow.
    """
    uses: dict[int, list[tuple[int, int]]] = {}
    for node in graph.nodes:
        if shown is not None and node.id not in shown:
            continue
        for position, arg in enumerate(node.args):
            if shown is None or arg in shown:
                uses.setdefault(arg, []).append((node.id, position))
    return {arg: set(found[1:]) for arg, found in uses.items() if len(found) > FANOUT_LIMIT}


def _copy_node(key: str, node) -> str:
    """A small dashed box with a value's name, standing beside one of its uses."""
    name = _escape(display_name(node.name))
    if node.op == INPUT:
        name = f"<B>{name}</B>"
    return (f'  {key} [id="{key}", shape=box, style="rounded,dashed", color="#777777", fontcolor="#333333", '
            f'fontsize=12, width=0.3, height=0.3, margin="0.06,0.03", label=<{name}>];')


def _copies_note(graph, copied: dict[int, set[tuple[int, int]]], holder: str = "box") -> str:
    """The caption line that says which values are drawn as copies (``holder``: what the value is drawn in)."""
    names = [f"{display_name(graph.nodes[arg].name)} ({len(uses) + 1:,} uses)" for arg, uses in sorted(copied.items())]
    listed = ", ".join(names[:5]) + (f" and {len(names) - 5:,} more" if len(names) > 5 else "")
    return (f"Used many times: {listed}. A dashed copy of the name stands at each use after the first; "
            f"the value's own {holder} holds its value and its whole gradient.")


def drawn_size(graph) -> int:
    """How many boxes and circles the full diagram has: one per value, one more per operation."""
    return sum(1 if node.op in (INPUT, CONST) else 2 for node in graph.nodes)


def nodes_to_draw(graph, max_nodes: int | None) -> set[int] | None:
    """The nodes a diagram within the limit shows (None: all of them).

    Past the limit, the picture keeps what a reader learns most from: the operations nearest
    the output (breadth-first from it) and, when there are few, every input with its gradient.
    """
    if not max_nodes or drawn_size(graph) <= max_nodes:
        return None
    shown: set[int] = set()
    budget = max_nodes
    if len(graph.inputs) <= max_nodes // 4:
        shown.update(graph.inputs)
        budget -= len(graph.inputs)
    queue = deque([graph.output])
    while queue and budget > 0:
        node_id = queue.popleft()
        if node_id in shown and node_id != graph.output:
            continue
        node = graph.nodes[node_id]
        shown.add(node_id)
        budget -= 1 if node.op in (INPUT, CONST) else 2
        queue.extend(arg for arg in node.args if arg not in shown)
    return shown


def shown_phrase(graph, shown: set[int]) -> str:
    """What a diagram within --max-nodes shows, in words: "the 5 nodes nearest the output and the
    inputs" (the inputs only when all of them are drawn: with many, they are summarised too)."""
    count = len(shown)
    phrase = "the node nearest the output" if count == 1 else f"the {count:,} nodes nearest the output"
    if graph.inputs and all(i in shown for i in graph.inputs):
        phrase += " and the inputs"
    return phrase


def _hidden_region(graph, shown: set[int]) -> list[str]:
    """One dashed box for every node not drawn, with the inputs that feed it."""
    hidden_ops = sum(1 for node in graph.nodes if node.id not in shown and node.args)
    hidden_values = sum(1 for node in graph.nodes if node.id not in shown and not node.args)
    label = f"⋯ {hidden_ops:,} more operations"
    if hidden_values:
        label += f"\\nand {hidden_values:,} constants or inputs"
    lines = [f'  hidden [shape=box, style="dashed,rounded", color="#777777", fontcolor="#555555", '
             f'fontsize=12, label="{label}"];']
    feeding = set()
    for node in graph.nodes:
        if node.id not in shown and node.args:
            feeding.update(arg for arg in node.args if arg in shown)
    lines += [f"  v{arg} -> hidden [style=dashed];" for arg in sorted(feeding)]
    return lines


def to_graphviz(result, **options):
    """The diagram as a ``graphviz.Source`` (the graphviz package), to restyle and render in a notebook.

    The package is imported here only, so a plain run never loads it; ``save`` and the CLI
    keep calling dot themselves (run_dot), with the time limit the package lacks.
    """
    import graphviz

    return graphviz.Source(render_dot(result, **options))


def render_image(result, fmt: str, *, timeout: float = DEFAULT_TIMEOUT, **options) -> bytes:
    """The diagram as PNG, SVG or PDF bytes, laid out by Graphviz's dot (with a time limit).

    SVG loses Graphviz's <title> elements (browsers show them as tooltips such as "v0->o4");
    PDF has no margin beyond the drawing's own padding, so it drops onto a slide as it is.
    """
    started = time.monotonic()
    # One limit for the whole drawing: rankdir auto lays the drawing out once or twice first, and
    # those trials count against it (each at most a third), so an over-big graph is stopped after
    # ``timeout`` seconds in all, not 10 or 20 s later.
    probe = min(PROBE_TIMEOUT, timeout / 3)
    image = source = None
    if str(options.get("rankdir", AUTO)).upper() not in ("LR", "TB") and drawn_size(result.graph) <= SMALL_DRAWING:
        # A small graph is drawn left to right at once, its trial layout written by the same dot run:
        # one process where there were two, and a wasted picture (a small one) only when LR loses.
        chosen = {k: v for k, v in options.items() if k != "rankdir"}
        across = render_dot(result, rankdir="LR", **chosen)
        size = None
        if graphviz_program_name(fmt) == "dot":
            image, size = run_dot_sized(across, fmt, timeout=timeout)
        if size is None or not fits_across(*size):
            source = choose_direction(lambda direction: render_dot(result, rankdir=direction, **chosen),
                                      timeout=probe, across_size=size)
            if source == across and image is not None:
                source = None  # LR won after all: its picture is drawn already
            else:
                image = None
    if image is None:
        if source is None:
            source = render_dot(result, layout_timeout=probe, **options)
        left = max(timeout - (time.monotonic() - started), timeout / 3)
        image = run_dot(source, fmt, timeout=left, stated=timeout)
    if fmt == "svg":
        image = without_titles(image)
    return image


_SVG_TITLE = re.compile(rb"[ \t]*<title>[^<]*</title>\r?\n?")


def without_titles(svg: bytes) -> bytes:
    """Graphviz's SVG without the <title> of the graph, its nodes and its edges (internal ids)."""
    return _SVG_TITLE.sub(b"", svg)


SMALL_DRAWING = 60  # boxes and circles: up to this, rankdir auto draws the LR picture with its trial layout


def graphviz_program_name(fmt: str) -> str | None:
    """Which program would draw ``fmt`` (graphviz_program.DOT or PURE), or None."""
    from . import graphviz_program

    try:
        chosen = graphviz_program.program(fmt)
    except RenderError:
        return None
    return chosen[0] if chosen else None


def run_dot_sized(source: str, fmt: str, *, timeout: float) -> tuple[bytes, tuple[float, float] | None]:
    """One dot run that draws ``fmt`` and also writes the layout's size (-Tplain into a temporary
    file): (image, (width, height) in inches, or None when the size could not be read). A dot
    that fails or runs past ``timeout`` raises RenderError, as ``run_dot``."""
    import os
    import tempfile

    descriptor, plain_path = tempfile.mkstemp(suffix=".plain")
    os.close(descriptor)
    try:
        image = run_dot(source, fmt, timeout=timeout, extra=["-Tplain", f"-o{plain_path}"])
        with open(plain_path, encoding="utf-8", errors="replace") as plain:
            first = plain.readline().split()
        return image, (float(first[2]), float(first[3])) if len(first) >= 4 and first[0] == "graph" else None
    except (ValueError, OSError):
        return image, None
    finally:
        os.unlink(plain_path)


def run_dot(source: str, fmt: str, *, timeout: float = DEFAULT_TIMEOUT, stated: float | None = None,
            extra: list[str] = ()) -> bytes:
    """DOT source → image bytes; a missing, failing or slow dot raises RenderError.

    ``stated``: the limit the message names when ``timeout`` is what is left of it.

    Where dot is missing, graphviz-pure draws SVG and plain (see graphviz_program), through
    the same subprocess call and time limit.
    """
    from . import graphviz_program

    chosen = graphviz_program.program(fmt)
    if chosen is None:
        raise RenderError(graphviz_program.missing_message(fmt))
    name, executable = chosen
    who = "Graphviz's dot" if name == graphviz_program.DOT else name
    command = [executable, *extra, f"-T{fmt}"]  # extra: an output written to a file first (-Tplain -oFILE)
    if fmt == "png":
        # Sharp on slides and high-density screens; a drawing wider or taller than 40 inches
        # (5760 px) is scaled down to fit, or a summarised 10,000-node graph makes a
        # 240-megapixel image that takes Graphviz seconds to paint. -G overrides the size the
        # DOT sets itself, so a smaller one (the GIF frames' width) is kept within the cap.
        command += ["-Gdpi=144", f"-Gsize={_capped_size(graph_size(source))}"]
    elif fmt == "pdf":
        command.append("-Gmargin=0")  # Graphviz's default half inch around a PDF page
    source, font = graphviz_program.for_layout(name, source)
    try:
        completed = subprocess.run(command, input=source.encode("utf-8"), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{who} took longer than {stated or timeout:g} s and was stopped; "
                          f"write DOT with -o graph.dot, or lower --max-nodes") from None
    except OSError as error:
        raise RenderError(f"could not run {who}: {error.strerror or error}") from None
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = message[-1] if message else f"exit status {completed.returncode}"
        raise RenderError(f"{who} failed: {detail}")
    return graphviz_program.from_layout(fmt, completed.stdout, font)


# The parts of DOT that matter for finding the root graph's size. Strings and HTML labels (whose
# text may say anything, "size = 3" included) are matched whole, so nothing inside them is read
# as syntax; an HTML label's brackets nest two deep at most (the label, then flat tags).
_DOT_PART = re.compile(r"""
    (?<![\w."])(?P<size>size|"size")\s*=\s*(?P<value>"[^"\\]*(?:\\.[^"\\]*)*"|[\w.,!]+)
  | "[^"\\]*(?:\\.[^"\\]*)*"
  | <[^<>]*(?:<[^<>]*>[^<>]*)*>
  | //[^\n]*|/\*.*?\*/|^\#[^\n]*
  | (?P<open_graph>\bgraph\s*\[)
  | (?P<bracket>[\[\]{}])
""", re.VERBOSE | re.DOTALL | re.MULTILINE)


def graph_size(source: str) -> str | None:
    """The ``size`` the DOT gives its root graph (``size=…`` or ``graph [size=…]``), else None.

    Node and edge attribute lists, subgraphs, labels and names are skipped: a node named
    ``size`` or a label that says "size = 3" sets nothing.
    """
    found = None
    braces = 0
    brackets: list[bool] = []  # for each open '[': is it the graph's own attribute list?
    for part in _DOT_PART.finditer(source):
        if part.group("open_graph"):
            brackets.append(True)
        elif part.group("bracket"):
            bracket = part.group("bracket")
            if bracket == "[":
                brackets.append(False)
            elif bracket == "]" and brackets:
                brackets.pop()
            elif bracket == "{":
                braces += 1
            elif bracket == "}":
                braces -= 1
        elif part.group("size") and braces == 1 and all(brackets) and len(brackets) <= 1:
            found = part.group("value").strip('"')
    return found


def _capped_size(size: str | None) -> str:
    """Graphviz's size attribute, within MAX_PNG_INCHES each way (a trailing '!' is kept)."""
    cap = MAX_PNG_INCHES
    if size is None:
        return f"{cap:g},{cap:g}"
    fill = size.rstrip().endswith("!")
    try:
        numbers = [float(part) for part in size.rstrip().rstrip("!").split(",")]
    except ValueError:
        return f"{cap:g},{cap:g}"
    width, height = (numbers + numbers)[:2] if len(numbers) in (1, 2) else (cap, cap)
    return f"{min(width, cap):g},{min(height, cap):g}" + ("!" if fill else "")
