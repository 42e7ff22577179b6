"""The reference for tests/test_latex_fit.py: src/backprop/render/latex_fit.py as it was before its
width measure was made linear (commit c54f7a5), kept unchanged so that the rewrite is checked to break
every row exactly where this one did. Not used by the package.

Fitting LaTeX derivation rows to the page: ``align*`` rows never break by themselves.

A row longer than the line is broken between the stages of its equation (``&= stage`` on a
new row), a single stage too long for a line is broken before a top-level + or − (or ×), and
a "since" line is broken after its definition. Widths are estimated from the visible
characters (a fraction counts as its wider part), which is all a line break needs.
"""

from __future__ import annotations

import re
from operator import itemgetter

# About 360 pt of 11 pt math (article's text width) in visible characters, the aligned left side included.
LINE_CHARS = 50
TEXT_CHARS = 60  # prose after the \qquad of a row (roman letters are narrower than math)
_FRACTION = re.compile(r"\\frac\{((?:[^{}]|\{[^{}]*\})*)\}\{((?:[^{}]|\{[^{}]*\})*)\}")
_WRAPPER = re.compile(r"\\(?:text|mathit|mathrm|operatorname)\{([^{}]*)\}")
_FUNCTION = re.compile(r"\\(sin|cos|tan|tanh|sinh|cosh|exp|log|ln|max|min)\b")
_COMMAND = re.compile(r"\\[a-zA-Z]+ ?|\\[,;:! ]")
_SPACES = {r"\qquad": "    ", r"\quad": "  "}


_BINARY = re.compile(r"\\(?:times|cdot)\b")
_LEFT_RIGHT = re.compile(r"\\(left|right)")
_MARKUP = re.compile(r"[{}_^&]")
_BRACE = re.compile(r"[{}]")
_NOT_BRACE = re.compile(r"[^{}]+")
_GROUP = itemgetter(1)  # a match's first group, called from C (a "\\1" template is expanded in Python)
_MEASURED: dict[str, int] = {}  # widths already measured: a derivation repeats its fractions (∂L/∂x) and rows
_MEASURED_LIMIT = 1 << 16


def _fractions_measured(text: str) -> str:
    """Each fraction, leftmost first, replaced by its wider part and an "x" (its rule overhangs),
    until none is left. Replacing one can let an enclosing fraction match (its parts had braces
    two deep), so the search starts again from the start, unless no brace is open there: then
    nothing before it can enclose it, and the search goes on from where the replacement begins."""
    start = 0
    open_at, open_braces = 0, 0  # braces opened and not closed before position open_at (unchanged text)
    while True:
        found = _FRACTION.search(text, start)
        if found is None:
            return text
        begin = found.start()
        wider = max(found.group(1), found.group(2), key=visible_length)
        if begin < open_at:
            open_at, open_braces = 0, 0
        for brace in _BRACE.finditer(text, open_at, begin):
            if brace.group() == "{":
                open_braces += 1
            elif open_braces:
                open_braces -= 1
        open_at = begin
        text = text[:begin] + wider + "x" + text[found.end():]
        start = begin if open_braces == 0 else 0


def visible_length(tex: str) -> int:
    """About how many characters wide the math prints (operators count double, for their spacing)."""
    found = _MEASURED.get(tex)
    if found is None:
        found = _width(_measure(tex))
        if len(_MEASURED) >= _MEASURED_LIMIT:
            _MEASURED.clear()
        _MEASURED[tex] = found
    return found


def _measure(tex: str) -> tuple[str, int, bool, bool]:
    """(what is left of the text to count, its \\times and \\cdot, whether its braces balance, whether
    its end is not a command): what a row's width is counted from, and joined from (``_joined``)."""
    text = tex
    if "\\q" in text:
        for command, spaces in _SPACES.items():
            text = text.replace(command, spaces)
    if "\\frac" in text:
        text = _fractions_measured(text)
    binary = 0
    ends_clear = True
    if "\\" in text:
        binary = len(_BINARY.findall(text))  # spaced like + and =
        text = _WRAPPER.sub(_GROUP, text)
        text = _FUNCTION.sub(_GROUP, text)
        text = _LEFT_RIGHT.sub("", text)
        ends_clear = _COMMAND_AT_END.search(text) is None
        text = _COMMAND.sub("x", text)
    return _MARKUP.sub("", text), binary, _balanced(tex), ends_clear


def _width(measure: tuple) -> int:
    text, binary = measure[0], measure[1]
    operators = text.count("=") + text.count("+") + text.count(" - ")
    return len(text.replace(" ", "")) + operators + binary + text.count("    ") * 2


def _balanced(tex: str) -> bool:
    """Whether every brace closes one opened before it, and all are closed."""
    if "{" not in tex and "}" not in tex:
        return True
    braces = _NOT_BRACE.sub("", tex)
    while "{}" in braces:  # a balanced string empties when its innermost pairs go, level by level
        braces = braces.replace("{}", "")
    return not braces


def _joined(left: tuple, joiner: str, right: tuple, text: str) -> tuple:
    """The measure of ``text``, which is left's text + ``joiner`` (spaces and =) + right's.

    Every step of ``_measure`` acts on each side alone when both sides' braces balance (no
    fraction or \\text{} can reach across) and the left one does not end in a command (which
    would take the joiner's space): then the counted text is the two counted texts joined."""
    if left[2] and right[2] and left[3]:
        return left[0] + joiner + right[0], left[1] + right[1], True, right[3]
    return _measure(text)


def _measured(tex: str) -> tuple:
    """``_measure``, remembered for pieces a derivation measures again (its stages)."""
    found = _PIECES.get(tex)
    if found is None:
        found = _measure(tex)
        if len(_PIECES) >= _MEASURED_LIMIT:
            _PIECES.clear()
        _PIECES[tex] = found
    return found


_PIECES: dict[str, tuple] = {}
_COMMAND_AT_END = re.compile(r"\\[a-zA-Z]*\Z")


def equation_rows(left: str, stages: list[str], remark: str = "") -> list[str]:
    """``left = stage = stage …`` as align* rows that fit the line (the first row holds ``left &=``).

    A row's width is joined from its pieces' measures (``_joined``), not measured again whole."""
    rows: list[str] = []
    head = f"{left} &=" if left else "&="
    current, measure = head + " ", None  # the measure of current, once it holds a piece
    left_measure = _measured(left)
    pieces_on_row = 0
    for stage in stages:
        for part, joiner in _stage_parts(stage, left, left_measure):
            part_measure = _measured(part)
            if not pieces_on_row:
                candidate = current + part
                measure = _joined(_measured(head), " ", part_measure, candidate)
                current = candidate
            else:
                candidate = current + joiner + part
                joined = _joined(measure, joiner, part_measure, candidate)
                if _width(joined) > LINE_CHARS:
                    rows.append(current)
                    start = "&=" if joiner == " = " else r"&\quad"
                    current = start + " " + part
                    measure = _joined(_measured(start), " ", part_measure, current)
                else:
                    current, measure = candidate, joined
            pieces_on_row += 1
    if remark:
        if visible_length(current + remark) > LINE_CHARS:
            rows.append(current)
            current = "&" + remark.lstrip()
        else:
            current += remark
    rows.append(current)
    return rows


def _stage_parts(stage: str, left: str, left_measure: tuple) -> list[tuple[str, str]]:
    """A stage as (piece, what joins it to the row before): the stage whole, or, when it is
    longer than a line, cut before its top-level + and − (or ×)."""
    if _width(_joined(left_measure, " = ", _measured(stage), f"{left} = {stage}")) <= LINE_CHARS:
        return [(stage, " = ")]
    pieces = split_top_level(stage)
    if any(visible_length(piece) > LINE_CHARS for piece in pieces):
        # Deep parentheses (the program as parsed): \left( and \right) must end on one row, so
        # they become plain ones, and the cuts go wherever no braces enclose them.
        pieces = split_top_level(_plain_parentheses(stage), parentheses=False)
    return [(pieces[0], " = ")] + [(piece, " ") for piece in pieces[1:]]


def _plain_parentheses(tex: str) -> str:
    return re.sub(r"\\(?:left|right)([()\[\]|.])", lambda m: "" if m.group(1) == "." else m.group(1), tex)


def split_top_level(tex: str, parentheses: bool = True) -> list[str]:
    """The math cut before each + or − outside braces and \\left…\\right (else before each ×);
    ``parentheses=False``: outside braces only (for math whose parentheses are plain)."""
    for operators in ((" + ", " - "), (r" \times ",)):
        cuts = []
        depth = 0
        index = 0
        while index < len(tex):
            if parentheses and tex.startswith(r"\left", index):
                depth += 1
                index += 5
                continue
            if parentheses and tex.startswith(r"\right", index):
                depth -= 1
                index += 6
                continue
            char = tex[index]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            elif depth == 0 and index and any(tex.startswith(op, index) for op in operators):
                cuts.append(index)
            index += 1
        if cuts:
            bounds = [0, *cuts, len(tex)]
            return [tex[a:b].strip() for a, b in zip(bounds, bounds[1:]) if tex[a:b].strip()]
    return [tex]


def since_rows(since: str) -> list[str]:
    """A "since" line (``definition,\\quad rule``) as one row, or two when it is too long; a gate
    phrase at its end (``\\quad\\text{(mul gate: …)}``) stays on the last row, shortened to the gate's name
    when the whole phrase does not fit."""
    gate = ""
    if since.endswith(")}") and r"\quad\text{(" in since:
        since, gate = since[:since.rindex(r"\quad\text{(")], since[since.rindex(r"\quad\text{(") + len(r"\quad"):]
    row = rf"&\qquad \text{{since }} {since}"
    if visible_length(row) <= LINE_CHARS or r",\quad " not in since:
        rows = [row]
    else:
        definition, rule = since.split(r",\quad ", 1)
        rows = [rf"&\qquad \text{{since }} {definition},", rf"&\qquad\quad {rule}"]
    if gate:
        # the whole phrase where it fits, else the gate's name alone ("(mul gate)"): a printed page is narrow
        short = gate[:gate.index(" gate:") + len(" gate")] + ")}" if " gate:" in gate else gate
        fitting = next((g for g in (gate, short) if visible_length(rows[-1] + r"\quad" + g) <= LINE_CHARS), None)
        if fitting:
            rows[-1] += r"\quad" + fitting
        else:
            rows.append(rf"&\qquad\quad {short}")
    return rows


def text_rows(text: str, lead: str = r"&\qquad ") -> list[str]:
    """Prose in an align* (\\text{} never breaks by itself): one row per line's worth of words."""
    rows: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if line and len(candidate) > TEXT_CHARS:
            rows.append(line)
            line = word
        else:
            line = candidate
    rows.append(line)
    return [rf"{lead}\text{{{row}}}" if i == 0 else rf"{lead}\quad\text{{{row}}}" for i, row in enumerate(rows)]
