"""The one number formatter shared by every renderer, so all outputs show the same numbers.

Six significant digits read well, but they can make a step false: ``1.0000001 − 1`` printed as
``1 − 1 = 1e-7``, or ``1024 + 0.001 = 1024``. ``equation_digits`` picks, per step, the fewest
digits (six or more) at which the printed equation checks out; ``shortest`` is the text that
reads back as exactly the same float, for numbers the user typed.
"""

from __future__ import annotations

import math
import operator
from array import array
from itertools import compress
from typing import Callable, Sequence

DIGITS = 6  # the default: enough for a derivation, short enough to read
_MAX_DIGITS = 17  # every float round-trips at 17 significant digits
_INF = math.inf


_SIX: dict[float, str] = {}  # format_number(x) at the default digits, for values printed again and again
_SIX_LIMIT = 1 << 16


def format_number(x: float, digits: int = DIGITS) -> str:
    """Short, exact-looking text for a float: 6, -4, 0.5, 0.333333, 1.5e-7, inf, nan."""
    if digits == DIGITS:
        text = _SIX.get(x)
        if text is None:
            text = _format(x, digits)
            if x == x:  # nan never finds itself (0.0 and -0.0 share a key and a text, "0")
                if len(_SIX) >= _SIX_LIMIT:
                    _SIX.clear()
                _SIX[x] = text
        return text
    return _format(x, digits)


def _format(x: float, digits: int) -> str:
    if x != x:
        return "nan"
    if x == 0:
        return "0"  # also for -0.0: a sign on zero only confuses a derivation
    if x.is_integer():  # never true of inf
        if -1e15 < x < 1e15:
            return str(int(x))
    elif x == _INF or x == -_INF:
        return "inf" if x > 0 else "-inf"
    text = "%.*g" % (digits, x)
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


# by decimal exponent: half a unit in the sixth significant digit (_claim's 0.5 * 10 ** (e - 5))
_HALF_UNIT = {e: 0.5 * 10.0 ** (e - DIGITS + 1) for e in range(-330, 310)}


class SixDigits:
    """A whole column of numbers (every node's value, or gradient) at six digits, made in one pass.

    ``texts[i]`` is ``format_number(xs[i])``; ``reads[i]`` that text read back and ``claims[i]``
    how far it claims to be from ``xs[i]`` (as ``_six``); ``exact[i]`` whether it reads back as
    exactly ``xs[i]``, ``finite[i]`` whether ``xs[i]`` is finite. Writers that print each number
    several times take them from here; it bypasses the per-number caches, which a column would churn.
    """

    __slots__ = ("texts", "reads", "claims", "exact", "finite")

    def __init__(self, xs):
        # Every number formatted by ONE %-format of the whole column (a C loop): per number in Python,
        # formatting, reading back and the claim cost 1.7 µs, a third of it the format call.
        count = len(xs)
        column = tuple(xs)
        texts = self.texts = ("%.6g\x00" * count % column).split("\x00") if count else [""]
        texts.pop()  # the empty text after the last separator
        # A text claims half a unit in its sixth digit (_claim) when it shows all six digits and has a
        # point or an exponent: exactly when the alternate form (%#.6g: trailing zeros and point kept)
        # prints the same text (0.333333 and 1.23457e+06 do; 0.5 → 0.500000, 123457 → 123457. do not).
        alternate = ("%#.6g\x00" * count % column).split("\x00") if count else [""]
        alternate.pop()
        claiming = bytearray(map(operator.eq, texts, alternate))
        self.finite = finite = bytearray(map(math.isfinite, xs))
        # where %.6g differs from _format: exponents (1e+06 → 1e6, or an integer below 10^15 in
        # full) and the sign of zero; nan, inf and -inf read the same
        if "-0" in texts or any("e" in text for text in texts):
            for i, text in enumerate(texts):
                if text == "-0":
                    texts[i] = "0"
                elif "e" in text:
                    x = xs[i]
                    if x.is_integer() and -1e15 < x < 1e15:
                        texts[i] = str(int(x))  # printed in full: it claims to be exact
                        claiming[i] = 0
                    else:
                        mantissa, exponent = text.split("e")
                        texts[i] = f"{mantissa}e{int(exponent)}"
        # reads and claims as arrays of doubles: 8 bytes a number, not a float object each
        self.reads = reads = array("d", map(float, texts))
        if not all(finite):  # nan and inf print as themselves (no point): they claim nothing
            claiming = bytearray(map(operator.and_, claiming, finite))
        # the half units by C loops over the claiming numbers only
        halves = map(_HALF_UNIT.__getitem__, map(math.floor, map(math.log10, map(abs, compress(reads, claiming)))))
        if all(claiming):
            self.claims = array("d", halves)
        else:
            following = halves.__next__
            self.claims = array("d", [following() if claims else 0.0 for claims in claiming])
        self.exact = bytearray(map(operator.eq, reads, xs))


def six_digits_hold(compute: Callable[..., float], operands: Sequence[float], reads: Sequence[float],
                    value: float, read: float, claimed: float, exact: bool) -> bool | None:
    """``equation_digits``' first tests from numbers already read back (``SixDigits``): True when six
    digits check out by them, None when only ``equation_digits`` itself can tell. Every number finite.

    ``exact``: the value and every operand read back as themselves.
    """
    try:
        if exact and compute(*operands) == value:
            return True
        recomputed = compute(*reads)
        if not math.isfinite(recomputed):
            return True
        biggest = abs(read)
        for x in reads:
            if abs(x) > biggest:
                biggest = abs(x)
        if abs(recomputed - read) <= claimed + 1e-12 * biggest:
            return True
    except (ArithmeticError, ValueError):
        return True
    return None


_EXACT_COUNT_BELOW = 10 ** 30  # a count of paths up to 30 digits is printed whole


def count_words(count: int) -> str:
    """A count of paths, which doubles with each diamond of a graph: 1,234 exactly, or about 1.2e4321
    (Python will not print an int of over 4,300 digits, and nobody reads one of 30)."""
    if count < _EXACT_COUNT_BELOW:
        return f"{count:,}"
    exponent = int(count.bit_length() * 0.30102999566398120) - 1
    while count >= 10 ** (exponent + 1):
        exponent += 1
    return f"about {count / 10 ** exponent:.2g}e{exponent}"


def json_count(count: int) -> int | str:
    """A count for a JSON document: the integer, or ``count_words``' "about 4e6020" from 10^30 on
    (most JSON readers turn a longer integer into an inexact float, or refuse it)."""
    return count if count < _EXACT_COUNT_BELOW else count_words(count)


def format_operand(x: float, digits: int = DIGITS) -> str:
    """A number inside a larger expression: negatives in parentheses, as in 6 + (-10)."""
    text = format_number(x, digits)
    return f"({text})" if text.startswith("-") else text


def exact_digits(x: float) -> int:
    """The fewest significant digits whose text reads back as exactly x (as ``repr`` finds them)."""
    if not math.isfinite(x):
        return DIGITS
    for digits in range(1, _MAX_DIGITS):
        if float(format_number(x, digits)) == x:
            return digits
    return _MAX_DIGITS


def shortest(x: float) -> str:
    """The shortest text that reads back as exactly x, in our style: 1.0000001, 123456.7, 1e-7."""
    return format_number(x, exact_digits(x))


def format_input(x: float, typed: str | None = None) -> str:
    """An input's value as the user gave it: their number as typed, a constant expression with its value.

    ``--set x=123456.7`` echoes ``123456.7`` (not 123457), ``x=pi/4`` echoes ``pi/4 = 0.785398``;
    a value given from Python echoes its shortest exact text.
    """
    if typed is not None:
        typed = typed.strip()
        try:
            if float(typed) == x:
                return typed
        except ValueError:  # a constant expression such as pi/4
            return f"{typed} = {format_number(x)}"
    return shortest(x)


# A printed step is redone by its reader on the printed numbers. Where the operands' rounding is all
# that makes it check out, it must still come out within 0.1 % of the printed result: otherwise a
# cancellation reads as false (1.23457e6 − 1234567 = 0.5, when 1234570 − 1234567 = 3; log(1.00004)
# = 3.63134e-5, when log(1.00004) = 3.99992e-5), and the step is printed with more digits
# (1234567.5 − 1234567 = 0.5; log(1.0000363) = 3.631337e-5).
REDONE_WITHIN = 1e-3


def equation_digits(compute: Callable[..., float], operands: Sequence[float], value: float) -> int:
    """Significant digits at which ``op(operands) = value`` checks out as printed (6 or more).

    Printed in full (``0.333333``), a number stands for itself to half a unit in its last digit;
    printed shorter because its trailing zeros were dropped (``1024``, ``0.5``), it claims to be
    exact. The step checks out when ``compute`` (the op's forward rule) applied to the printed
    operands gives the printed value within those claims (3 × 0.333333 = 1 does, 1024 + 0.001 =
    1024 does not), and within 0.1 % of it whatever the operands' claims (``REDONE_WITHIN``:
    1.23457e6 − 1234567 = 0.5 does not). Six digits usually do; a step needs more when its numbers
    differ beyond the sixth digit (1.0000001 − 1, 1024 + 0.001) or cancel (1234567.5 − 1234567).
    """
    isfinite = math.isfinite
    if not isfinite(value):
        return DIGITS
    # Six digits, decided from each number's six-digit text read back (kept per number): the
    # same test as _checks_out, without formatting or parsing anything again.
    get = _SIX_READ.get
    shown, claimed = get(value) or _six(value)
    exact = shown == value
    biggest = abs(shown)
    read, printed = [], []
    for x in operands:
        if not isfinite(x):
            return DIGITS
        read_back = get(x) or _six(x)
        read.append(read_back)
        read_back = read_back[0]
        printed.append(read_back)
        if read_back != x:
            exact = False
        if abs(read_back) > biggest:
            biggest = abs(read_back)
    try:
        if exact and compute(*operands) == value:
            # Printed as themselves (3 + 1.5 = 4.5): the step checks out iff the arithmetic is exact.
            return DIGITS
        recomputed = compute(*printed)
        if not isfinite(recomputed):
            return DIGITS
        gap = abs(recomputed - shown)
        allowed = claimed + 1e-12 * biggest
        if gap <= allowed:
            return DIGITS
        for i, (_, half_unit) in enumerate(read):
            if half_unit:
                nudged = printed[:i] + [printed[i] + half_unit] + printed[i + 1:]
                allowed += abs(compute(*nudged) - recomputed)
    except (ArithmeticError, ValueError):
        return DIGITS  # as _checks_out: printed operands outside the domain compare to nothing
    if not (gap > allowed * (1 + 1e-9) or gap > REDONE_WITHIN * abs(shown)):
        return DIGITS
    return _search_digits(compute, operands, value, DIGITS + 1)


def _search_digits(compute: Callable[..., float], operands: Sequence[float], value: float, start: int = DIGITS) -> int:
    """The fewest digits from ``start`` up at which the printed step checks out (``_checks_out``)."""
    for digits in range(start, _MAX_DIGITS + 1):
        texts = [format_number(x, digits) for x in operands]
        if _checks_out(compute, texts, format_number(value, digits), digits):
            return digits
    return _MAX_DIGITS


_SIX_READ: dict[float, tuple[float, float]] = {}


def six_read(x: float) -> tuple[float, float]:
    """A finite x's six-digit text read back, and the half-unit that text claims (kept per number)."""
    return _SIX_READ.get(x) or _six(x)


def _six(x: float) -> tuple[float, float]:
    """A finite x's six-digit text read back as a float, and how far that text claims to be from x."""
    found = _SIX_READ.get(x)
    if found is None:
        text = format_number(x)
        read = float(text)
        found = (read, _claim(text, read))
        if len(_SIX_READ) >= _SIX_LIMIT:
            _SIX_READ.clear()
        _SIX_READ[x] = found
    return found


def _claim(text: str, read: float) -> float:
    """``_claimed(text, DIGITS)`` from the number already read back; the significant digits counted
    as ``_significant_digits`` counts them (the mantissa without sign, point, leading zeros)."""
    if "." not in text and "e" not in text:
        return 0.0
    mantissa = text.partition("e")[0].lstrip("-0.")
    if len(mantissa) - ("." in mantissa) == DIGITS:
        return 0.5 * 10.0 ** (math.floor(math.log10(abs(read))) - DIGITS + 1)
    return 0.0


def _checks_out(compute: Callable[..., float], texts: list[str], shown: str, digits: int) -> bool:
    """Whether the printed value lies within what the printed operands allow, to first order."""
    operands = [float(t) for t in texts]
    printed = float(shown)
    try:
        recomputed = compute(*operands)
        if not math.isfinite(recomputed):
            return True
        gap = abs(recomputed - printed)
        allowed = _claimed(shown, digits) + 1e-12 * max([abs(printed)] + [abs(x) for x in operands])
        if gap <= allowed:
            return True  # the common case: no need to ask how far rounded operands could move it
        for i, text in enumerate(texts):
            half_unit = _claimed(text, digits)
            if half_unit:
                nudged = operands[:i] + [operands[i] + half_unit] + operands[i + 1:]
                allowed += abs(compute(*nudged) - recomputed)
    except (ArithmeticError, ValueError):
        return True  # the printed operands leave the domain (an edge): nothing to compare
    # a nan spread (an overflow nearby) does not fail the step; a printed result more than 0.1 % from
    # the arithmetic on the printed operands does, whatever their rounding allows (see REDONE_WITHIN)
    return not (gap > allowed * (1 + 1e-9) or gap > REDONE_WITHIN * abs(printed))


def _claimed(text: str, digits: int) -> float:
    """How far a printed number may be from what it stands for: half a unit in its last digit, or 0.

    A number printed with all its digits (0.333333, 1.23457e6) was rounded; one printed shorter
    because its trailing zeros were dropped (0.5, 1e-7), or printed as an integer (123457: no reader
    takes it for 123456.7), claims to be exact.
    """
    if _significant_digits(text) != digits or not any(c in text for c in ".e"):
        return 0.0
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(float(text)))) - digits + 1)


def _significant_digits(text: str) -> int:
    mantissa = text.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa) if mantissa else 1
