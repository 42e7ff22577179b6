"""Program text → AST (``syntax.Program``). The only module that knows Lark.

The LALR parser calls ``_AstBuilder`` as it reduces (no intermediate parse tree, no
recursion on the depth of the input). Lark's exceptions become ``ParseError`` with a span
and an "expected …" list in words; registry lookups (unknown functions, arity, reserved
names) happen here too, so their carets point at the user's text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from sys import intern

from .errors import ParseError, UnknownFunction, UnknownName
from .ops import CONSTANT_NAMES, CONSTANT_SYMBOLS, FUNCTION_NAMES, OPS, RESERVED_NAMES
from .reserved import JOB_NAMES, reserved_word_message
from .arrays.names import ARRAY_FUNCTIONS
from .syntax import Apply, ArrayLiteral, Assign, Index, Name, Number, Program, Slice

GRAMMAR_FILE = "backprop.lark"

# How each terminal is named in "expected …" messages.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "NUMBER": "a number",
    "RPAR": "')'",
    "LPAR": "'('",
    "_SEP": "';' (or a new line)",
    "ASSIGN": "'='",
    "MINUS": "'-'",
    "PLUS": "'+'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COLON": "':'",
    "TRANSPOSE": "'.T'",
    "$END": "the end of the program",
}
_AUGMENTED = {"+=": "add", "-=": "sub", "−=": "sub", "*=": "mul", "×=": "mul", "/=": "div", "÷=": "div"}


def grammar_text() -> str:
    """The grammar, from the installed package or, in a source checkout, from grammar/."""
    # A plain path beside this module, not importlib.resources: that import alone costs ~14 ms
    # of start-up, and the wheel is always installed unzipped.
    packaged = Path(__file__).with_name(GRAMMAR_FILE)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[2] / "grammar" / GRAMMAR_FILE
    return checkout.read_text(encoding="utf-8")


# Set when the text being parsed uses array syntax, so ``parse`` can send it down the array path
# without walking the tree again (a list, not a global statement per callback).
_ARRAY_SYNTAX = [False]
# The text being parsed. Parentheses make no AST node, so an operation finds the ones written around
# its operands here, to make its span cover them: a/(a-a), not a/(a-a without the last ')'.
_SOURCE = [""]
# What the grammar ignores between tokens inside parentheses (join_bracketed_lines blanks comments and new lines).
_BLANKS = " \t\f\r\n\u00a0\ufeff"


def _span(item) -> tuple[int, int]:
    if hasattr(item, "start_pos"):  # a lark Token
        return (item.start_pos, item.end_pos)
    return item.span


def _with_parentheses(start: int, end: int) -> tuple[int, int]:
    """An operand's span widened by the parentheses written around it: ((a-a)) for a-a.

    Peeling a '(' before and a ')' after in pairs stops at the operand's own parentheses: a left
    operand is followed by its operator, a right one preceded by it, so an enclosing group's
    parenthesis on the other side is never taken.
    """
    text = _SOURCE[0]
    length = len(text)
    while True:
        after = end
        while after < length and text[after] in _BLANKS:
            after += 1
        if after == length or text[after] != ")":
            return start, end
        before = start - 1
        while before >= 0 and text[before] in _BLANKS:
            before -= 1
        if before < 0 or text[before] != "(":
            return start, end
        start, end = before, after + 1


class _AstBuilder:
    """LALR callbacks: each method receives its rule's children and returns an AST node."""

    # --- atoms
    def number(self, children):
        (token,) = children
        value = float(token)
        if value == float("inf"):
            raise ParseError(f"the number {token} is too large for a 64-bit float", _span(token))
        # intern: a big program repeats a few literals (2, 0.5) and names (x0) thousands of times
        return Number(value, intern(str(token)), token.start_pos)

    def name(self, children):
        (token,) = children
        text = str(token)
        text = CONSTANT_SYMBOLS.get(text, text)  # π reads as pi
        if text in CONSTANT_NAMES:
            return Apply(text, (), token.start_pos, token.end_pos)
        if text in OPS and OPS[text].kind == "function" or text == "pow":
            raise UnknownName(f"'{text}' is a function: call it as {text}(…)", _span(token))
        if text in JOB_NAMES:
            raise UnknownName(reserved_word_message(text), _span(token))
        return Name(intern(text), token.start_pos)

    def call(self, children):
        name_token, arguments, rpar = children
        text = str(name_token)
        args = tuple(arguments) if arguments is not None else ()
        span = (name_token.start_pos, rpar.end_pos)
        if text in ARRAY_FUNCTIONS and text not in FUNCTION_NAMES:
            fewest, most = ARRAY_FUNCTIONS[text]
            if not fewest <= len(args) <= most:
                expected = (f"{fewest} or {most} arguments" if fewest != most
                            else f"{fewest} argument" + ("" if fewest == 1 else "s"))
                raise UnknownFunction(f"{text}() takes {expected}, got {len(args)}", span)
            _ARRAY_SYNTAX[0] = True
            return Apply(text, args, *span)
        if text not in FUNCTION_NAMES:
            hint = _suggest(text, FUNCTION_NAMES)
            raise UnknownFunction(f"unknown function '{text}'{hint}", _span(name_token))
        arity = OPS[text].arity
        if len(args) != arity:
            expected = f"{arity} argument" + ("" if arity == 1 else "s")
            raise UnknownFunction(f"{text}() takes {expected}, got {len(args)}", span)
        return Apply(intern(text), args, *span)

    def arguments(self, children):
        return children

    # --- arrays
    def array(self, children):
        lsqb, items, rsqb = children
        _ARRAY_SYNTAX[0] = True
        return ArrayLiteral(tuple(items) if items is not None else (), lsqb.start_pos, rsqb.end_pos)

    def index(self, children):
        target, _, subscripts, rsqb = children
        _ARRAY_SYNTAX[0] = True
        return Index(target, tuple(subscripts), _with_parentheses(target.start, target.end)[0], rsqb.end_pos)

    def subscripts(self, children):
        return children

    def slice(self, children):
        start, colon, stop = children
        span = (start.start if start is not None else colon.start_pos,
                stop.end if stop is not None else colon.end_pos)
        return Slice(start, stop, span)

    def transpose(self, children):
        target, token = children
        _ARRAY_SYNTAX[0] = True
        return Apply("transpose", (target,), _with_parentheses(target.start, target.end)[0], token.end_pos)

    def matmul(self, children):
        left, right = children[0], children[-1]
        _ARRAY_SYNTAX[0] = True
        return Apply("matmul", (left, right), _with_parentheses(left.start, left.end)[0],
                     _with_parentheses(right.start, right.end)[1])

    # --- operators
    def _binary(op):
        def build(self, children):
            left, right = children[0], children[-1]  # the middle child, if any, is the MINUS token
            return Apply(op, (left, right), _with_parentheses(left.start, left.end)[0],
                         _with_parentheses(right.start, right.end)[1])

        return build

    add = _binary("add")
    sub = _binary("sub")
    mul = _binary("mul")
    div = _binary("div")
    pow = _binary("pow")

    def neg(self, children):
        sign, operand = children
        return Apply("neg", (operand,), sign.start_pos, _with_parentheses(operand.start, operand.end)[1])

    def pos(self, children):
        return children[1]  # unary plus changes nothing

    # --- statements
    def assignment(self, children):
        name_token, assign, expr = children
        name = str(name_token)
        name_span = _span(name_token)
        if name in RESERVED_NAMES:
            kind = "constant" if name in CONSTANT_NAMES or name in CONSTANT_SYMBOLS else "function"
            raise UnknownName(f"'{name}' is a built-in {kind} and can not be assigned to", name_span)
        if name in JOB_NAMES:
            raise UnknownName(reserved_word_message(name), name_span)
        op = str(assign)
        if op != "=":
            # c += x  is  c = c + x
            expr = Apply(_AUGMENTED[op], (Name(name, name_span[0]), expr), name_span[0],
                         _with_parentheses(expr.start, expr.end)[1])
        return Assign(name, expr, name_span[0], expr.end)

    def statements(self, children):
        if len(children) == 1:  # the first statement
            return [children[0]]
        collected, statement = children
        collected.append(statement)
        return collected

    def program(self, children):
        statements = tuple(s for s in children[0] if s is not None)
        if not statements:
            raise ParseError("the program is empty: write an expression such as (a*b+c)*f", None)
        return statements


def _suggest(word: str, choices) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


@lru_cache(maxsize=1)
def _parser():
    """The LALR parser with our builder as its callbacks; built once, grammar analysis cached."""
    from lark import Lark

    return Lark(grammar_text(), parser="lalr", lexer="basic", start="program", maybe_placeholders=True,
                cache=True, transformer=_AstBuilder())


def token_patterns(lark) -> tuple[str, str]:
    """The lexer as two regexes: ignorable text (spaces, comments), and one named group per terminal.

    Terminals are ordered as Lark's basic lexer orders them: priority, then the longest
    fixed width first ("**" before "*", "+=" before "+").
    """
    terminals = sorted(lark.terminals, key=lambda t: (-t.priority, -t.pattern.max_width,
                                                      -len(t.pattern.value), t.name))
    ignored = set(lark.lexer_conf.ignore)
    skip = "|".join(t.pattern.to_regexp() for t in terminals if t.name in ignored)
    tokens = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals if t.name not in ignored)
    return skip, tokens


class _Inlined(list):
    """The children of a rule Lark inlines into its parent (``__arguments_star_0``)."""


class _TableDriver:
    """Lark's LALR tables for our grammar, driven by a tight loop and a one-regex lexer.

    Lark's general machinery (building the parser, lexer states, token objects, a wrapper
    call per unit rule) costs about half of parsing a large program and ~80 ms of start-up.
    This loop runs the very tables Lark computed from grammar/backprop.lark (saved by
    scripts/gen_parser.py into ``_parser_tables``) and shapes each rule's children exactly
    as Lark's tree builder does, so it accepts the same language and builds the same AST.
    On any syntax error it returns None and ``parse`` asks Lark itself for the explanation.
    """

    # Only these tokens reach our callbacks (the rest are punctuation that Lark filters out),
    # so only these become token objects.
    KEPT = frozenset({"NAME", "NUMBER", "ASSIGN", "MINUS", "RPAR", "LSQB", "RSQB", "COLON", "TRANSPOSE"})

    def __init__(self, tables):
        builder = _AstBuilder()
        self.start_state, self.end_state = tables.START_STATE, tables.END_STATE
        self.actions = tables.ACTIONS
        # A reduction: (size, non-terminal, kept children or None, Nones after, unwrap, method).
        # Unit rules that Lark would only unwrap (?sum: product) are marked None: no call at all.
        self.rules = [
            None if (include is None and unwrap and size == 1) else
            (size, origin, include, append_none, unwrap, getattr(builder, method) if method else None)
            for size, origin, include, append_none, unwrap, method in tables.RULES
        ]
        self.origins = [rule[1] for rule in tables.RULES]
        # The lookahead-then-backreference makes skipping atomic: without it, a comment that ends
        # the text could give back characters ("# only a comment" → a comment, then the name "t").
        self.scanner = re.compile(f"(?=(?P<_skip>(?:{tables.SKIP})*))(?P=_skip)(?:{tables.TOKENS})").match
        self.skip = re.compile(f"(?:{tables.SKIP})*").match

    def parse(self, source: str):
        """The program's statements, or None if the source is not in the language."""
        scan, actions, rules, origins, kept = self.scanner, self.actions, self.rules, self.origins, self.KEPT
        _SOURCE[0] = source
        state_stack = [self.start_state]
        value_stack: list = []
        pos, length = 0, len(source)
        while True:
            match = scan(source, pos) if pos < length else None
            if match is not None:
                kind = match.lastgroup
                pos = match.end()
                token = _Token(kind, match.group(kind), match.start(kind), pos) if kind in kept else kind
            elif self.skip(source, pos).end() == length:  # only spaces and comments remain
                kind, token = "$END", None
            else:
                return None
            while True:
                entry = actions[state_stack[-1]].get(kind)
                if entry is None:
                    return None
                if entry >= 0:  # shift
                    state_stack.append(entry)
                    value_stack.append(token)
                    break
                rule = rules[-1 - entry]
                if rule is None:  # a unit rule: the value stays, only the state changes
                    state_stack[-1] = actions[state_stack[-2]][origins[-1 - entry]]
                    continue
                value = self._reduce(rule, state_stack, value_stack)
                state_stack.append(actions[state_stack[-1]][rule[1]])
                value_stack.append(value)
                if token is None and state_stack[-1] == self.end_state:
                    return value

    @staticmethod
    def _reduce(rule, state_stack, value_stack):
        """Pop a rule's children, shape them as Lark's tree builder would, and build its value."""
        size, _, include, append_none, unwrap, method = rule
        if size:
            children = value_stack[-size:]
            del value_stack[-size:]
            del state_stack[-size:]
        else:
            children = []
        if include is not None:
            kept = []
            for index, splice, nones in include:
                if nones:
                    kept += [None] * nones
                if splice:
                    kept += children[index]
                else:
                    kept.append(children[index])
            if append_none:
                kept += [None] * append_none
            children = kept
        if unwrap and len(children) == 1:
            return children[0]
        if method is not None:
            return method(children)
        return _Inlined(children)


class _Token(str):
    """The few fields of a Lark token that our callbacks read, without Lark's construction cost."""

    def __new__(cls, kind: str, text: str, start: int, end: int):
        token = str.__new__(cls, text)
        token.type = kind
        token.start_pos = start
        token.end_pos = end
        return token


@lru_cache(maxsize=1)
def _driver() -> _TableDriver | None:
    """The fast parser, if the generated tables match the grammar (else Lark does all parsing)."""
    from . import _parser_tables

    # The tables carry the grammar they were made from: comparing texts needs no hashlib import.
    return _TableDriver(_parser_tables) if grammar_text() == _parser_tables.GRAMMAR else None


def parse(source: str) -> Program:
    """Parse program text into an AST; raise ParseError (or a name error) with a span."""
    text = join_bracketed_lines(source)
    driver = _driver()
    _ARRAY_SYNTAX[0] = False
    statements = driver.parse(text) if driver is not None else None
    if statements is None:
        _ARRAY_SYNTAX[0] = False
        statements = _parse_with_lark(text)
    return Program(statements, source, _ARRAY_SYNTAX[0])


def join_bracketed_lines(source: str) -> str:
    """The source with each new line inside parentheses (and a comment before it) blanked out.

    A statement continues over new lines while a bracket is open, ``L = (w*x +⏎ b)``, as in
    Python. Each character becomes one space, so every offset (and every caret) stays where it
    was. The grammar can not say this itself: an LALR lexer does not count brackets. Counting
    per line (not per character) keeps this cheap on 100,000-line programs; an unbalanced ')'
    is a syntax error whichever way it is counted.
    """
    if "\n" not in source or "(" not in source and "[" not in source:
        return source
    lines = source.split("\n")
    ends = ["\n"] * (len(lines) - 1) + [""]  # what follows each line
    depth = 0
    changed = False
    for index in range(len(lines) - 1):  # the last line has no new line after it
        line = lines[index]
        code = line.split("#", 1)[0] if "#" in line else line
        depth = max(0, depth + code.count("(") - code.count(")") + code.count("[") - code.count("]"))
        if depth:  # the new line after this one is inside brackets: blank it, and a comment before it
            lines[index] = code + " " * (len(line) - len(code))
            ends[index] = " "
            changed = True
    if not changed:
        return source
    return "".join(line + end for line, end in zip(lines, ends))


def _parse_with_lark(source: str):
    """Lark's own parse: the reference path, and the one that explains syntax errors."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

    parser = _parser()
    _SOURCE[0] = source
    try:
        return parser.parse(source)
    except UnexpectedCharacters as error:
        raise _character_error(source, error.pos_in_stream) from None
    except UnexpectedToken as error:
        raise _token_error(parser, source, error) from None
    except UnexpectedInput as error:  # any other lark input error
        pos = getattr(error, "pos_in_stream", None) or 0
        raise ParseError("invalid syntax", (pos, pos + 1)) from None


# Characters that text copied from web pages, PDFs and word processors brings, and what to write instead.
_LOOKALIKES = {
    "…": "the language has no '…': write every term out (a generated program is fine)",
    "–": "write - for minus", "—": "write - for minus", "‒": "write - for minus", "﹣": "write - for minus",
    "－": "write - for minus", "∗": "write * for times", "⋅": "write * for times", "∙": "write * for times",
    "＊": "write * for times", "＋": "write + for plus", "∕": "write / for division", "⁄": "write / for division",
    "／": "write / for division", "（": "write ( instead", "）": "write ) instead", "√": "write sqrt(x)",
    "²": "write x^2 for a square", "³": "write x^3 for a cube", "%": "there is no '%': write x/100 or x*0.01",
    "!": "there is no factorial or 'not'", "<": "there are no comparisons", ">": "there are no comparisons",
    "{": "only round brackets ( ) group", "}": "only round brackets ( ) group",
}
_SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉"


def _character_error(source: str, pos: int) -> ParseError:
    char = source[pos]
    name_before = _NAME_BEFORE.search(source, max(0, pos - 200), pos)  # x in x₁ or a in a.b
    if char in "'\"‘’“”":
        message = "strings are not part of the language: only numbers, names and operators"
    elif "\udc80" <= char <= "\udcff":  # a byte that is not UTF-8, from the command line
        message = f"unexpected byte 0x{ord(char) - 0xDC00:02x}: the program is not valid UTF-8 text"
    elif char in _SUBSCRIPT_DIGITS:
        base = name_before.group() if name_before else "x"
        digits = "".join(str(_SUBSCRIPT_DIGITS.index(c)) for c in re.match(f"[{_SUBSCRIPT_DIGITS}]+", source[pos:]).group())
        message = (f"unexpected subscript '{char}': write {base}_{digits} (LaTeX shows it subscripted) or {base}{digits}; "
                   f"subscripts mark the versions of a name that is bound again")
    elif char in _LOOKALIKES:
        message = f"unexpected character '{char}' ({unicodedata.name(char).lower()}): {_LOOKALIKES[char]}"
    elif unicodedata.category(char)[0] in "CZ" or not char.isprintable():
        message = f"unexpected invisible character U+{ord(char):04X} ({unicodedata.name(char, 'control character')})"
    elif char == "." and name_before:
        message = (f"unexpected '.' after the name {name_before.group()}: names have no attributes or methods (only .T, "
                   "the transpose of an array, follows a name)")
    elif char == ".":
        message = "unexpected '.': a number has at most one decimal point (write 1.5, not 1.2.3)"
    else:
        label = unicodedata.name(char, "")
        extra = f" ({label.lower()})" if label and not char.isascii() else ""
        message = f"unexpected character '{char}'{extra}"
    return ParseError(message, (pos, pos + 1))


# the name that ends where an error is (searched in the 200 characters before it: a long text stays linear)
_NAME_BEFORE = re.compile(r"(?<!\w)[^\W\d]\w*\Z")


def _token_error(parser, source: str, error) -> ParseError:
    token = error.token
    expected = _expected_words(parser, error.expected)
    if token.type == "$END":
        pos = len(source.rstrip())
        return ParseError(f"unexpected end of the program: expected {expected}", (pos, pos + 1))
    start, end = token.start_pos, token.end_pos
    if token.type == "_SEP" and str(token) == "\n":
        return ParseError(f"unexpected end of line: expected {expected}", (start, start + 1))
    before = source[:start]
    previous = before.rstrip()
    text = str(token)
    if token.type == "NAME" and previous and previous[-1].isdigit() and len(previous) == len(before):
        number = previous.split()[-1]
        if text[0] == "_" and text.strip("_").isdigit():
            digits = number + text.replace("_", "")
            message = f"'_' can not group digits ({number}{text}): write {digits}"
        elif text[0] in "eE" and number[-1].isdigit():
            message = f"malformed number '{number}{text}': an exponent needs digits, as in 1e3 or 2.5e-4"
        else:
            message = f"a number directly followed by the name '{text}': write {number}*{text} for a product"
        return ParseError(message, (start, end))
    if token.type == "NUMBER" and text.startswith(".") and previous and previous[-1].isdigit():
        return ParseError("malformed number: a number has at most one decimal point", (start, end))
    if token.type in ("NAME", "NUMBER") or text == "(":
        return ParseError(f"unexpected {_describe(token)}: is an operator missing before it? Expected {expected}",
                          (start, end))
    return ParseError(f"unexpected {_describe(token)}: expected {expected}", (start, end))


def _describe(token) -> str:
    text = str(token) if len(token) <= 40 else str(token)[:37] + "…"  # a generated 1 MB name stays one line
    if token.type == "NAME":
        return f"name '{text}'"
    if token.type == "NUMBER":
        return f"number {text}"
    return f"'{text}'"


_OPERATOR_TEXTS = {"+", "-", "−", "*", "×", "·", "/", "÷", "^", "**", "@"}


def _expected_words(parser, expected) -> str:
    """Lark's expected terminals in words; the many operator tokens collapse to one phrase."""
    words = []
    operators = 0
    for terminal in sorted(expected):
        if terminal in _TERMINAL_WORDS:
            word = _TERMINAL_WORDS[terminal]
        else:
            try:
                pattern = parser.get_terminal(terminal).pattern
            except KeyError:
                continue
            word = f"'{pattern.value}'" if pattern.type == "str" else terminal.lower()
        if word.strip("'") in _OPERATOR_TEXTS:
            operators += 1
            continue
        if word not in words:
            words.append(word)
    if operators:
        words.append("a sign" if "a number" in words else "an operator")
    if "'('" in words and "'['" in words:  # an array literal may start wherever '(' may: naming '(' is enough
        words.remove("'['")
    order = ["')'", "a number", "a name", "'('", "a sign", "an operator", "','", "'='"]
    words.sort(key=lambda w: (order.index(w) if w in order else len(order), w))
    if not words:
        return "something else"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]
