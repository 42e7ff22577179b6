"""The ``--mode forward``, ``--cost`` and ``--paths`` sections of the derivation, in every format.

The numbers come from ``modes.py`` (tangent sweeps, counts, paths); the equations are
expressions printed by the shared printer, so text, ASCII, Markdown, LaTeX and JSON say the
same thing. Tangents print as ȧ (a combining dot over the first letter) in text, ``\\dot{a}``
in LaTeX and Markdown, and ``a'`` in ASCII.
"""

from __future__ import annotations

from ..graph import CONST
from ..modes import MAX_SWEEPS_SHOWN, count_paths, forward_mode, path_uses, paths_of
from ..modes import cost as count_cost
from ..numfmt import count_words, json_count
from ..steps import depends_on_inputs
from .equations import Equations, _sum, print_stages
from .printer import printer

MAX_SEED_NAMES = 6  # the zero seeds named on a sweep's first line; the rest are "…"
MAX_STEPS_SHOWN = 40  # steps printed per sweep: the first ones and the output's
MAX_PATH_INPUTS = 10  # inputs whose paths a derivation lists (--wrt chooses others)
MAX_PATH_EDGES = 12  # a longer path prints as its ends and the value of its product
RATE = 1_000_000  # forward-mode edge visits a second, measured by benchmarks/forward_mode.py (rounded down)


def _ids(result, wrt) -> list[int]:
    """The inputs a view covers: all of them, or those of --wrt (a Focus of node ids, or names)."""
    graph = result.graph
    if wrt is None:
        return list(graph.inputs)
    if isinstance(wrt, (str, list, tuple)):
        return result._input_ids(wrt)
    return [i for i in graph.inputs if i in wrt]


def _check(style: str) -> str:
    return {"latex": r"\checkmark", "ascii": "ok"}.get(style, "✓")


# --- forward mode


def forward_sections(result, wrt=None, style: str = "text", mode=None) -> dict:
    """The forward-mode derivation as printed data: per sweep its seed, its steps' stages and its gradient."""
    show = printer(style)
    graph = result.graph
    equations = Equations(result)
    ids = _ids(result, wrt)
    mode = mode or forward_mode(graph, result.partials, ids)
    varies = depends_on_inputs(graph)
    output = equations.ref(graph.output)
    sweeps = []
    for sweep in mode.sweeps[:MAX_SWEEPS_SHOWN]:
        seed = sweep.input
        others = [i for i in graph.inputs if i != seed]
        zeros = [f"{show(('tangent', equations.ref(i)))} = 0" for i in others[:MAX_SEED_NAMES]]
        if len(others) > MAX_SEED_NAMES:
            zeros.append(f"… ({len(others) - MAX_SEED_NAMES} more inputs at 0)")
        seeds = [f"{show(('tangent', equations.ref(seed)))} = 1"] + zeros
        fed = [False] * len(graph.nodes)
        fed[seed] = True
        fed_ids = []
        for node in graph.nodes[seed + 1:]:
            if node.args and any(fed[arg] for arg in node.args):
                fed[node.id] = True
                fed_ids.append(node.id)
        left_out = max(0, len(fed_ids) - MAX_STEPS_SHOWN)
        if left_out:
            fed_ids = fed_ids[: MAX_STEPS_SHOWN - 1] + fed_ids[-1:]
        steps = []
        for node in (graph.nodes[k] for k in fed_ids):
            live = [(position, arg) for position, arg in enumerate(node.args)
                    if varies[arg] and graph.nodes[arg].op != CONST]
            tangents = sweep.tangents
            stages = [
                ("tangent", equations.ref(node.id)),
                _sum([("op", "mul", (("tangent", equations.ref(arg)), equations.local(node.id, p, False)))
                      for p, arg in live]),
                _sum([("op", "mul", (("num", tangents[arg]), equations.local(node.id, p, True))) for p, arg in live]),
                _sum([("op", "mul", (("num", tangents[arg]), ("num", result.partials[node.id][p])))
                      for p, arg in live]),
                ("num", tangents[node.id]),
            ]
            steps.append(print_stages(show, stages))
        value = sweep.tangents[graph.output]
        reverse = result.grads[seed]
        agrees = value == reverse or (value != value and reverse != reverse)
        gradient = show(("d", output, equations.ref(seed)))
        closing = (f"{gradient} = {show(('tangent', output))} = {show(('num', value))}",
                   f"reverse mode: {show(('num', reverse))} {_check(style) if agrees else '(differs)'}")
        sweeps.append({"input": graph.nodes[seed].name, "seeds": seeds, "steps": steps, "closing": closing,
                       "steps_left_out": left_out,
                       "value": value, "reverse": reverse})
    run = mode.run
    total = len(ids)
    note = None
    if total > len(sweeps):
        agree = all(g == result.grads[i] or g != g and result.grads[i] != result.grads[i]
                    for i, g in mode.gradients.items())
        same = "equal" if agree else "do NOT all equal"
        note = f"{total - len(sweeps):,} more sweeps not printed: at most {MAX_SWEEPS_SHOWN} are. "
        if mode.budget_hit:
            left = total - run
            edges = count_cost(graph, ids)["edges"]
            note += (f"{run:,} of the {total:,} sweeps were run ({mode.work:,} edge visits), and their tangents "
                     f"{same} reverse mode's gradients. A sweep visits every node its input feeds, up to all "
                     f"{edges:,} edges, so the other {left:,} would take up to {left * edges:,} more edge visits, "
                     f"past the budget of {_budget_words()}: up to {left * edges / RATE:,.0f} s more at the "
                     f"{RATE:,} visits a second measured by benchmarks/forward_mode.py. They were not run; "
                     f"reverse mode's one sweep has every gradient (Result.forward_mode(budget=None) runs them all)")
        else:
            note += f"All {run:,} sweeps were run, and their tangents {same} reverse mode's gradients"
    return {"output": show(output), "sweeps": sweeps, "total": total, "run": run, "note": note,
            "mode": mode}


def _budget_words() -> str:
    from ..modes import WORK_BUDGET

    return f"{WORK_BUDGET:,} edge visits"


def cost_lines(result, wrt=None) -> tuple[list[str], dict]:
    """'forward mode: 4 sweeps, 24 multiplications, 12 additions' and the reverse-mode line."""
    counts = count_cost(result.graph, _ids(result, wrt))
    f, r = counts["forward"], counts["reverse"]
    n = counts["inputs"]
    return [
        f"forward mode: {_many(f['sweeps'], 'sweep')}, {_many(f['multiplications'], 'multiplication')}, "
        f"{_many(f['additions'], 'addition')}",
        f"reverse mode: 1 sweep, {_many(r['multiplications'], 'multiplication')}, "
        f"{_many(r['additions'], 'addition')}: one backward pass computes "
        + (f"all {n:,} gradients" if n > 1 else "the gradient" if n else "nothing: there are no inputs"),
    ], counts


def cost_header(counts: dict) -> str:
    return (f"Cost on this program (local-derivative products, counted from the graph: "
            f"{_many(counts['inputs'], 'input')}, {_many(counts['edges'], 'edge')})")


# --- paths


def path_sections(result, wrt=None, limit: int = 50, style: str = "text") -> tuple[list[dict], str | None]:
    """Per input: the count, each listed path with its product, the sum and reverse mode's factoring;
    and a note when inputs were left out (at most MAX_PATH_INPUTS are shown)."""
    show = printer(style)
    graph = result.graph
    equations = Equations(result)
    counted = count_paths(graph)
    output = equations.ref(graph.output)
    arrow = "->" if style == "ascii" else (r"\to" if style == "latex" else "→")
    cost = count_cost(graph)
    uses = [0] * len(graph.nodes)
    for node in graph.nodes:
        for arg in node.args:
            uses[arg] += 1
    shared = path_uses(graph, counted.counts)
    ids = _ids(result, wrt)
    note = None
    if len(ids) > MAX_PATH_INPUTS:
        note = (f"{_many(len(ids) - MAX_PATH_INPUTS, 'more input')} not shown: the paths of at most "
                f"{MAX_PATH_INPUTS} inputs are listed (choose them with --wrt)")
        ids = ids[:MAX_PATH_INPUTS]
    sections = []
    for i in ids:
        found = paths_of(graph, result.partials, i, limit, counted, shared)
        rows = []
        for path, product in zip(found.listed, found.products):
            if len(path) > MAX_PATH_EDGES:
                ends = [show(equations.ref(i))] + [show(equations.ref(c)) for c, _ in path[:4]]
                tail = [show(equations.ref(c)) for c, _ in path[-4:]]
                middle = "…" if style != "latex" else r"\ldots"
                route = f" {arrow} ".join(ends + [f"{middle} ({len(path) - 8} more)"] + tail)
                rows.append((route, print_stages(show, [("text", f"the product of its {len(path)} local "
                                                                  f"derivatives"), ("num", product)])))
                continue
            route = f" {arrow} ".join([show(equations.ref(i))] + [show(equations.ref(c)) for c, _ in path])
            below = [i] + [c for c, _ in path[:-1]]
            # ∂L/∂b reads as the total derivative when b has other uses: write ∂(a + x)/∂x, as backward does
            factors = [("d", equations.operation(c), equations.ref(b)) if c == graph.output and uses[b] > 1
                       else ("d", equations.ref(c), equations.ref(b)) for (c, _), b in zip(path, below)]
            stages = [_product(factors),
                      _product([equations.local(c, p, False) for c, p in path]),
                      _product([equations.local(c, p, True) for c, p in path]),
                      ("num", product)]
            rows.append((route, print_stages(show, stages)))
        gradient = show(("d", output, equations.ref(i)))
        listed_sum = sum(found.products) if found.products else 0.0
        word = r"\text{sum}" if style == "latex" else "sum"
        if not found.count:
            total = f"no path: {gradient} = 0"
        elif not found.left_out:
            terms = show(_sum([("num", p) for p in found.products]))
            stages = [terms, show(("num", listed_sum))]
            total = f"{word} = {' = '.join(dict.fromkeys(stages))} = {gradient} {_check(style)}" \
                if listed_sum == result.grads[i] else f"{word} = {' = '.join(dict.fromkeys(stages))}; " \
                f"{gradient} = {show(('num', result.grads[i]))} (rounding)"
        else:
            rest = "the rest of " if found.listed else ""
            total = (f"{_many(found.left_out, 'more path')} not listed (--max-paths {limit}): "
                     f"{'its product makes' if found.left_out == 1 else 'their products make'} up "
                     f"{rest}{gradient} = {show(('num', result.grads[i]))}")
        factoring = (f"reverse mode: {_many(cost['reverse']['multiplications'], 'edge multiplication')} "
                     f"(one sweep, every input) instead of {_many(found.count, 'path product')} "
                     f"({_many(found.multiplications, 'multiplication')} and "
                     f"{_many(max(0, found.count - 1), 'addition')} for this input alone)")
        sections.append({"input": graph.nodes[i].name, "gradient": gradient, "count": found.count, "rows": rows,
                         "total": total, "left_out": found.left_out, "factoring": factoring,
                         "products": found.products, "value": result.grads[i]})
    return sections, note


def _many(n: int, noun: str) -> str:
    return f"{count_words(n)} {noun}{'' if n == 1 else 's'}"


def _product(factors: list) -> tuple:
    if not factors:
        return ("num", 1.0)  # the empty path of an output that is an input: ∂x/∂x = 1
    total = factors[0]
    for factor in factors[1:]:
        total = ("op", "mul", (total, factor))
    return total


# --- layouts


def modes_text(result, *, wrt=None, mode: str = "reverse", cost: bool = False, paths: bool = False,
               max_paths: int = 50, ascii: bool = False) -> list[str]:
    """The text lines of the forward-mode, cost and paths sections (each only when asked for)."""
    style = "ascii" if ascii else "text"
    lines: list[str] = []
    if mode == "forward":
        data = forward_sections(result, wrt, style)
        lines += ["", f"Forward mode: one sweep per input, carrying each node's tangent (its derivative with "
                      f"respect to that input) from the inputs to {data['output']}; a node the input does not reach keeps "
                      f"the tangent 0 and is not printed"]
        for number, sweep in enumerate(data["sweeps"], start=1):
            lines.append(f"  Sweep {number} of {data['total']:,}, for {sweep['input']}: {', '.join(sweep['seeds'])}")
            printed = [f"    {' = '.join(stages)}" for stages in sweep["steps"]]
            if sweep["steps_left_out"]:
                printed.insert(-1, f"    … ({sweep['steps_left_out']:,} more steps of this sweep not printed)")
            lines += printed
            lines.append(f"    so {sweep['closing'][0]}   ({sweep['closing'][1]})")
        if data["note"]:
            lines.append(f"  ({data['note']})")
    if mode == "forward" or cost:
        lines_, counts = cost_lines(result, wrt)
        lines += ["", cost_header(counts)] + [f"  {line}" for line in lines_]
    if paths:
        lines += ["", "Sums over paths: each gradient is the sum, over every path from the input to the output, "
                      "of the product of the local derivatives on its edges"]
        sections, note = path_sections(result, wrt, max_paths, style)
        if not sections:
            lines.append("  (no inputs: nothing to differentiate)")
        if note:
            lines.append(f"  ({note})")
        for section in sections:
            lines.append(f"  {section['gradient']}: {_many(section['count'], 'path')}")
            lines += [f"    {route}: {' = '.join(stages)}" for route, stages in section["rows"]]
            lines.append(f"    {section['total']}")
            lines.append(f"    {section['factoring']}")
    if ascii:
        plain = str.maketrans({"∂": "d", "×": "*", "…": "...", "✓": "ok"})
        lines = [line.translate(plain) for line in lines]
    return lines


def modes_latex(result, *, wrt=None, mode: str = "reverse", cost: bool = False, paths: bool = False,
                max_paths: int = 50, markdown: bool = False) -> list[str]:
    """The same sections in LaTeX (align*) or, with ``markdown``, as Markdown with $…$ maths."""
    from .latex import latex_text
    from .markdown import markdown_text

    prose = markdown_text if markdown else latex_text
    bold = (lambda t: f"**{t}**") if markdown else (lambda t: rf"\noindent\textbf{{{t}}}")
    lines: list[str] = []

    def maths(rows: list[str]) -> list[str]:
        if markdown:
            return [f"- ${row.replace('&', '')}$" for row in rows]
        return [r"\begin{align*}"] + [row + (r" \\" if k < len(rows) - 1 else "") for k, row in enumerate(rows)] \
            + [r"\end{align*}"]

    if mode == "forward":
        data = forward_sections(result, wrt, "latex")
        lines += ["", bold("Forward mode:") + " " + prose("one sweep per input, carrying each node's tangent "
                                                          "(its derivative with respect to that input) from the "
                                                          "inputs to the output; a node the input does not reach "
                                                          "keeps the tangent 0 and is not printed."), ""]
        for number, sweep in enumerate(data["sweeps"], start=1):
            seeds = ", ".join(s for s in sweep["seeds"] if "…" not in s)
            if any("…" in s for s in sweep["seeds"]):
                seeds += r", \ldots"
            lines.append(prose(f"Sweep {number} of {data['total']:,}, for {sweep['input']}:") + f" ${seeds}$")
            lines.append("")
            rows = [f"{stages[0]} &= {' = '.join(stages[1:])}" for stages in sweep["steps"]]
            if sweep["steps_left_out"]:
                rows.insert(-1, rf"&\vdots \quad \text{{({sweep['steps_left_out']:,} more steps not printed)}}")
            rows.append(rf"{sweep['closing'][0].replace(' = ', ' &= ', 1)} \quad \text{{(reverse mode: }}"
                        + sweep["closing"][1].split(": ", 1)[1] + r"\text{)}")
            lines += maths(rows) + [""]
        if data["note"]:
            lines += [prose(f"({data['note']})"), ""]
    if mode == "forward" or cost:
        cost_, counts = cost_lines(result, wrt)
        lines += ["", bold(prose(cost_header(counts)) + ":"), ""]
        lines += [f"- {prose(line)}" for line in cost_] if markdown else \
            [r"\begin{itemize}"] + [rf"\item {prose(line)}" for line in cost_] + [r"\end{itemize}"]
    if paths:
        lines += ["", bold("Sums over paths:") + " " + prose("each gradient is the sum, over every path from the "
                                                             "input to the output, of the product of the local "
                                                             "derivatives on its edges."), ""]
        sections, note = path_sections(result, wrt, max_paths, "latex")
        if note:
            lines += [prose(f"({note})"), ""]
        for section in sections:
            lines.append(f"${section['gradient']}$" + prose(f": {_many(section['count'], 'path')}"))
            lines.append("")
            rows = [rf"{route} &: {' = '.join(stages)}" for route, stages in section["rows"]]
            if rows:
                lines += maths(rows)
            total = section["total"]
            lines += ["", f"${total}$" if not section["left_out"] and section["count"] else prose(total), "",
                      prose(section["factoring"]), ""]
    return lines


def modes_json(result, *, wrt=None, mode: str = "reverse", cost: bool = False, paths: bool = False,
               max_paths: int = 50) -> dict:
    """The keys forward_mode, cost and paths of the JSON document (each only when asked for)."""
    from .export import json_number

    document: dict = {}
    if mode == "forward":
        data = forward_sections(result, wrt, "text")
        latex = forward_sections(result, wrt, "latex", data["mode"])
        document["forward_mode"] = {
            "sweeps": [{"input": s["input"], "seed": s["seeds"][0], "tangent": json_number(s["value"]),
                        "reverse": json_number(s["reverse"]),
                        "steps": [{"text": " = ".join(t), "latex": " = ".join(lt)}
                                  for t, lt in zip(s["steps"], ls["steps"])]}
                       for s, ls in zip(data["sweeps"], latex["sweeps"])],
            "gradients": {result.graph.nodes[i].name: json_number(g) for i, g in data["mode"].gradients.items()},
            "sweeps_total": data["total"], "sweeps_run": data["run"], "note": data["note"],
            "steps_left_out": {s["input"]: s["steps_left_out"] for s in data["sweeps"] if s["steps_left_out"]},
        }
    if mode == "forward" or cost:
        _, counts = cost_lines(result, wrt)
        document["cost"] = counts
    if paths:
        document["paths"] = {
            s["input"]: {"count": json_count(s["count"]), "left_out": json_count(s["left_out"]), "gradient": json_number(s["value"]),
                         "paths": [{"route": route, "text": " = ".join(stages), "product": json_number(p)}
                                   for (route, stages), p in zip(s["rows"], s["products"])],
                         "factoring": s["factoring"]}
            for s in path_sections(result, wrt, max_paths, "text")[0]}
    return document
