"""Fitting LaTeX derivation rows to the page: ``align*`` rows never break by themselves.

A row longer than the line is broken between the stages of its equation (``&= stage`` on a
new row), a single stage too long for a line is broken before a top-level + or − (or ×), and
a "since" line is broken after its definition. Widths are estimated from the visible
characters (a fraction counts as its wider part), which is all a line break needs.

The measure costs about the same per operation at any size (docs/benchmark.md, "LaTeX writer: a
linear width measure"): a row's width is joined from its pieces' measures, a stage's from its
pieces between " = " and " \\times " (remembered: a derivation repeats ∂L/∂x, formulas and values),
a long expression's fractions are reduced in one scan, and cuts are found without a per-character
loop. tests/test_latex_fit.py checks every row against the module as it was before.
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
_BRACE = re.compile(r"[{}]")
_NOT_BRACE = re.compile(r"[^{}]+")
_GROUP = itemgetter(1)  # a match's first group, called from C (a "\\1" template is expanded in Python)
_MEASURED: dict[str, int] = {}  # widths already measured: a derivation repeats its fractions (∂L/∂x) and rows
_MEASURED_LIMIT = 1 << 16


def _fractions_measured(text: str) -> str:
    """Each fraction whose parts hold braces at most one deep (once their own fractions are
    measured) replaced by its wider part and an "x" (its rule overhangs), innermost first.

    Short text is searched with a regex (a fraction found, replaced, searched again); long text
    (a whole program's expression, thousands of fractions) in one left-to-right scan of its
    braces with a stack (``_fractions_scanned``): the regex search would copy the text once per
    fraction and start again from the beginning inside braces."""
    if len(text) > _SCAN_FROM:
        scanned = _fractions_scanned(text)
        if scanned is not None:
            return scanned
    # First every fraction the regex finds in one pass (a derivation repeats them: ∂L/∂x is
    # replaced from a table), then the search for those the pass uncovered (fractions in fractions)
    if _SPELLS_FRACTION.search(text):  # a part could spell \frac{ with what precedes it: the search alone
        return _fractions_searched(text)
    text = _FRACTION.sub(_replaced_fraction, text)
    return _fractions_searched(text) if "\\frac{" in text else text


_SPELLS_FRACTION = re.compile(r"\\(?:f(?:r(?:ac?)?)?)?\\frac\{")


def _replaced_fraction(found: re.Match) -> str:
    whole = found.group()
    replaced = _REPLACED.get(whole)
    if replaced is None:
        top, bottom = found.group(1), found.group(2)
        top_name, bottom_name = _PARTIAL.match(top), _PARTIAL.match(bottom)
        if top_name and bottom_name:  # ∂a/∂b, the commonest: "∂" and a plain name, one character each
            wider = top if len(top_name.group(1) or top_name.group(2)) >= len(
                bottom_name.group(1) or bottom_name.group(2)) else bottom
        else:
            wider = max(top, bottom, key=visible_length)
        replaced = wider + "x"
        if len(_REPLACED) >= _MEASURED_LIMIT:
            _REPLACED.clear()
        _REPLACED[whole] = replaced
    return replaced


_REPLACED: dict[str, str] = {}  # a fraction → its wider part and "x"
# "\\partial x" or "\\partial \\mathit{name}" with no space, operator or markup in the name: as wide
# as the name and one (the "\\partial " command counts as one character)
_PARTIAL = re.compile(r"\\partial (?:\\mathit\{((?:[^\W_]|[\[\].,()'])+)\}|([A-Za-z]))\Z")


_SCAN_FROM = 600  # characters: below, the regex search (in C) beats the scan's Python loop


def _fractions_searched(text: str) -> str:
    """The leftmost fraction whose parts hold braces at most one deep replaced, until none is
    left. Replacing one can let an enclosing fraction match (its parts had braces two deep), so
    the search starts again from the start, unless no brace is open there: then nothing before
    it can enclose it, and the search goes on from where the replacement begins."""
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


def _fractions_scanned(text: str) -> str | None:
    """``_fractions_searched``'s text in one scan: each brace group is reduced when it closes (its
    pieces joined once), and a fraction whose two reduced parts are at most one brace deep becomes
    its wider part and "x". None (the caller searches instead) for unbalanced braces or a
    replacement that would spell a new ``\\frac{`` with the text before it."""
    # A frame per open group: [pieces, depth of its reduced content, kind, the numerator (a fraction's
    # denominator frame) and its depth]; kinds: "group", "numerator", "denominator".
    top: list = [[], 0, "top", None, 0]
    stack = [top]
    position = 0
    numerator_closed = None  # a numerator just closed and its depth: the "{" right after opens its denominator
    for token in _FRACTION_TOKEN.finditer(text):
        index = token.start()
        frame = stack[-1]
        if index > position:
            frame[0].append(text[position:index])
        position = token.end()
        kind = token.group()
        if numerator_closed is not None:  # kind is that "{"
            stack.append([[], 0, "denominator", *numerator_closed])
            numerator_closed = None
        elif kind == "}":
            if len(stack) == 1:
                return None
            closed = stack.pop()
            content = "".join(closed[0])
            if closed[2] == "group":
                frame = stack[-1]
                frame[0].append("{" + content + "}")
                frame[1] = max(frame[1], closed[1] + 1)
            elif closed[2] == "numerator":
                if text.startswith("{", position):
                    numerator_closed = (content, closed[1])
                else:  # \frac{…} and no denominator: left as written
                    frame = stack[-1]
                    frame[0].append("\\frac{" + content + "}")
                    frame[1] = max(frame[1], closed[1] + 1)
            elif not _fraction_done(stack[-1], closed[3], closed[4], content, closed[1]):
                return None
        elif kind == "{":
            stack.append([[], 0, "group", None, 0])
        else:
            stack.append([[], 0, "numerator", None, 0])
    if len(stack) > 1 or numerator_closed is not None:
        return None
    top[0].append(text[position:])
    return "".join(top[0])


_FRACTION_TOKEN = re.compile(r"\\frac\{|[{}]")


def _fraction_done(frame: list, numerator: str, numerator_depth: int, denominator: str, depth: int) -> bool:
    """A fraction's reduced text added to its enclosing frame; False if it would spell a new ``\\frac{``."""
    if numerator_depth > 1 or depth > 1:  # the regex would never match it: left as written
        frame[0].append("\\frac{" + numerator + "}{" + denominator + "}")
        frame[1] = max(frame[1], numerator_depth + 1, depth + 1)
        return True
    wider, depth = max((numerator, numerator_depth), (denominator, depth), key=_visible_part)
    if "\\frac{" in _tail(frame[0]) + wider[:5]:
        return False
    frame[0].append(wider + "x")
    frame[1] = max(frame[1], depth)
    return True


def _visible_part(part: tuple) -> int:
    return visible_length(part[0])


def _tail(pieces: list) -> str:
    """The last five characters of the joined pieces."""
    tail = ""
    for piece in reversed(pieces):
        tail = piece + tail
        if len(tail) >= 5:
            break
    return tail[-5:]


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
    its end is not a command): what a row's width is counted from, and joined from (``_joined``).

    A text with " = " or " \\times " is measured as its pieces between them, joined: a derivation
    repeats its pieces (∂L/∂x, an operation's formula, a value), so most are measured once."""
    if " = " in tex or " \\times " in tex:
        pieces = _SEPARATOR.split(tex)
        if len(pieces) > 2:
            texts = []
            binary = 0
            clear = True
            for piece in pieces:
                measure = _PIECES.get(piece)
                if measure is None:
                    measure = _measure_whole(piece)
                    _remember(piece, measure)
                if not (clear and measure[2]):  # a piece open across a separator, or a command before one
                    return _measure_whole(tex)
                texts.append(measure[0])
                binary += measure[1]
                clear = measure[3]
            return "".join(texts), binary, True, clear
    return _measure_whole(tex)


_SEPARATOR = re.compile(r"( = | \\times )")


def _measure_whole(tex: str) -> tuple[str, int, bool, bool]:
    """``_measure`` of the text as one piece.

    Each rewrite runs only when the text holds what it rewrites (a regex pass costs about a
    microsecond even on a short stage, and a derivation measures a few stages per operation)."""
    text = tex
    if "\\q" in text:
        for command, spaces in _SPACES.items():
            text = text.replace(command, spaces)
    if "\\frac" in text:
        text = _fractions_measured(text)
    binary = 0
    ends_clear = True
    if "\\" in text:
        if "\\times" in text or "\\cdot" in text:
            binary = len(_BINARY.findall(text))  # spaced like + and =
        if "{" in text and ("\\text{" in text or "\\math" in text or "\\operatorname{" in text):
            text = _WRAPPER.sub(_GROUP, text)
        text = _FUNCTION.sub(_GROUP, text)
        if "\\left" in text or "\\right" in text:
            text = _LEFT_RIGHT.sub("", text)
        ends_clear = _ends_clear(text)
        text = _COMMAND.sub("x", text)
    for markup in _MARKUP_CHARACTERS:
        if markup in text:
            text = text.replace(markup, "")
    return text, binary, _balanced(tex), ends_clear


_MARKUP_CHARACTERS = "{}_^&"  # dropped from the counted text


def _ends_clear(text: str) -> bool:
    """Whether the text does not end in a command (``\\`` and letters, to the end): the last
    backslash is the only one that can start it."""
    last = text.rfind("\\")
    if last < 0:
        return True
    tail = text[last + 1:]
    return bool(tail) and not (tail.isascii() and tail.isalpha())


def _width(measure: tuple) -> int:
    text, binary = measure[0], measure[1]
    operators = text.count("=") + text.count("+") + text.count(" - ")
    return len(text.replace(" ", "")) + operators + binary + text.count("    ") * 2


_TWO_DEEP = re.compile(r"[^{}]*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}[^{}]*)*")  # balanced, braces two deep at most


def _balanced(tex: str) -> bool:
    """Whether every brace closes one opened before it, and all are closed."""
    if _TWO_DEEP.fullmatch(tex):  # one regex pass decides the common case: braces at most two deep
        return True
    if tex.count("{") != tex.count("}"):
        return False
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
        _remember(tex, found)
    return found


def _remember(tex: str, measure: tuple) -> None:
    if len(_PIECES) >= _MEASURED_LIMIT:
        _PIECES.clear()
    _PIECES[tex] = measure


_PIECES: dict[str, tuple] = {}


def equation_rows(left: str, stages: list[str], remark: str = "") -> list[str]:
    """``left = stage = stage …`` as align* rows that fit the line (the first row holds ``left &=``).

    A row's width is joined from its pieces' measures (``_joined``), not measured again whole."""
    rows: list[str] = []
    head = f"{left} &=" if left else "&="
    current, measure = head + " ", None  # the measure of current, once it holds a piece
    left_measure = _measured(left)
    # left + " &=": joined, not measured again (left is measured for every stage's first test)
    head_measure = _joined(left_measure, " ", _measured("&="), head) if left else _measured(head)
    pieces_on_row = 0
    for stage in stages:
        for part, joiner in _stage_parts(stage, left, left_measure):
            part_measure = _measured(part)
            if not pieces_on_row:
                candidate = current + part
                measure = _joined(head_measure, " ", part_measure, candidate)
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
        with_remark = current + remark
        if (visible_length(with_remark) if measure is None
                else _width(_joined(measure, "", _measured(remark), with_remark))) > LINE_CHARS:
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
    if any(_width(_measured(piece)) > LINE_CHARS for piece in pieces):  # measured once: the rows join them
        # Deep parentheses (the program as parsed): \left( and \right) must end on one row, so
        # they become plain ones, and the cuts go wherever no braces enclose them.
        pieces = split_top_level(_plain_parentheses(stage), parentheses=False)
    return [(pieces[0], " = ")] + [(piece, " ") for piece in pieces[1:]]


def _plain_parentheses(tex: str) -> str:
    return re.sub(r"\\(?:left|right)([()\[\]|.])", lambda m: "" if m.group(1) == "." else m.group(1), tex)


def split_top_level(tex: str, parentheses: bool = True) -> list[str]:
    """The math cut before each + or − outside braces and \\left…\\right (else before each ×);
    ``parentheses=False``: outside braces only (for math whose parentheses are plain).

    The operators are found by one regex scan; the depth at each is counted (in C) from the
    braces and \\left/\\right between it and the one before, so a cut costs no per-character loop."""
    for operators in (_PLUS_MINUS, _TIMES):
        cuts = []
        depth = 0
        before = 0
        for found in operators.finditer(tex, 1):
            index = found.start()
            depth += tex.count("{", before, index) - tex.count("}", before, index)
            if parentheses:
                depth += tex.count("\\left", before, index) - tex.count("\\right", before, index)
            before = index
            if depth == 0:
                cuts.append(index)
        if cuts:
            bounds = [0, *cuts, len(tex)]
            return [tex[a:b].strip() for a, b in zip(bounds, bounds[1:]) if tex[a:b].strip()]
    return [tex]


# Where a cut may go: every start of " + " or " - " (a lookahead, so that " - - " gives both), else of " \times ".
_PLUS_MINUS = re.compile(r"(?= [+-] )")
_TIMES = re.compile(r"(?= \\times )")


def since_rows(since: str) -> list[str]:
    """A "since" line (``definition,\\quad rule``) as one row, or two when it is too long; a gate
    phrase at its end (``\\quad\\text{(mul gate: …)}``) stays on the last row, shortened to the gate's name
    when the whole phrase does not fit."""
    gate = ""
    if since.endswith(")}") and r"\quad\text{(" in since:
        since, gate = since[:since.rindex(r"\quad\text{(")], since[since.rindex(r"\quad\text{(") + len(r"\quad"):]
    row_measure = _prefixed(r"&\qquad \text{since }", " ", since)
    if _width(row_measure) <= LINE_CHARS or r",\quad " not in since:
        rows = [rf"&\qquad \text{{since }} {since}"]
    else:
        definition, rule = since.split(r",\quad ", 1)
        rows = [rf"&\qquad \text{{since }} {definition},", rf"&\qquad\quad {rule}"]
        row_measure = _prefixed(r"&\qquad\quad", " ", rule)
    if gate:
        # the whole phrase where it fits, else the gate's name alone ("(mul gate)"): a printed page is narrow
        short = gate[:gate.index(" gate:") + len(" gate")] + ")}" if " gate:" in gate else gate
        fitting = next((g for g in (gate, short) if _width(_joined(row_measure, "", _measured(r"\quad" + g),
                                                                   rows[-1] + r"\quad" + g)) <= LINE_CHARS), None)
        if fitting:
            rows[-1] += r"\quad" + fitting
        else:
            rows.append(rf"&\qquad\quad {short}")
    return rows


def _prefixed(prefix: str, joiner: str, text: str) -> tuple:
    """The measure of prefix + joiner + text, joined from the two (a row's lead is measured once)."""
    return _joined(_measured(prefix), joiner, _measured(text), prefix + joiner + text)


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
