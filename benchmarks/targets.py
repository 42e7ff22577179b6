"""The seven targets of issue 5, each judged from one run: the measured figure and MET / NOT MET."""

from __future__ import annotations

from figures import BIG, FAMILIES, HUGE, PHASES, after_parse, ok, peers_of, seconds

DIAGRAM_LIMIT = 70.0  # seconds: the CLI's 60 s dot timeout, plus start-up and rendering


def targets_section(data: dict, judged: list | None = None) -> list[str]:
    """The Targets table (of ``judge(data)``, computed here unless given)."""
    out = ["## Targets (issue 5)", "", "| target | measured | verdict |", "|---|---|---|"]
    for title, (figure, met) in judged if judged is not None else judge(data):
        verdict = "n/a (not measured)" if met is None else ("**MET**" if met else "**NOT MET**")
        out.append(f"| {title} | {figure} | {verdict} |")
    return out + [""]


def judge(data: dict) -> list[tuple[str, tuple[str, bool | None]]]:
    """Each target's title ("N. …"), with its measured figure and whether it is met (None: not measured)."""
    results = data["results"]
    return [
        ("1. End to end at 10⁵: faster than every peer that completes, within 2× of CPython", _end_to_end(results)),
        ("2. After parsing, forward + backward ≥ 5× faster than the fastest peer's", _after_parsing(results)),
        ("3. Backward ≤ 2.5× forward at every size", _cheap_gradient(results)),
        ("4. Every phase time(10⁵) ÷ time(10⁴) ≤ 12, every family", _linear(results)),
        ("5. Peak memory at 10⁵ ≤ ⅓ of the leanest peer that completes", _memory(results)),
        ("6. Cold start within +50 ms of `python -c pass`; the PNG adds no more than `dot`'s own time",
         _cold_start(data.get("cli"))),
        ("7. Diagrams never hang: over the limit, collapsed or refused; dot has a hard timeout", _diagrams(data.get("cli"))),
    ]


def _s(value: float) -> str:
    return f"{value:.3g} s"


def _end_to_end(results: dict) -> tuple[str, bool | None]:
    parts, verdicts = [], []
    for family in FAMILIES:
        row = results.get(f"{family}-{HUGE}")
        if not row:
            continue
        if not ok(row.get("ours")):
            parts.append(f"{family}: ours did not complete")
            verdicts.append(False)
            continue
        ours = seconds(row["ours"])
        text = f"{family}: ours {_s(ours)}"
        done = [p for p in peers_of(row) if ok(row[p])]
        if done:
            fastest = min(done, key=lambda p: seconds(row[p]))
            peer = seconds(row[fastest])
            text += f" vs fastest peer {fastest} {_s(peer)} (×{peer / ours:.2g})"
            verdicts.append(ours < peer)
        else:
            text += ", no peer completes"
        cpython = row.get("cpython")
        if ok(cpython):
            floor = seconds(cpython)
            text += f"; CPython {_s(floor)} (ours is {ours / floor:.2g}× it)"
            verdicts.append(ours <= 2 * floor)
        else:
            why = f"{cpython['status']}: {cpython.get('message', '')}" if cpython else "not run"
            text += f"; CPython cannot read it ({why})"
        parts.append(text)
    if not parts:
        return "not measured (no 10⁵ workload in this run)", None
    return "; ".join(parts), (all(verdicts) if verdicts else None)


def _after_parsing(results: dict) -> tuple[str, bool | None]:
    worst: tuple[float, str, str] | None = None
    at_huge, short = [], []
    for name, row in results.items():
        if not ok(row.get("ours")):
            continue
        ours = seconds(row["ours"], "forward", "backward")
        done = [p for p in peers_of(row) if ok(row[p])]
        if not done:
            continue
        fastest = min(done, key=lambda p: after_parse(row[p]))
        speedup = after_parse(row[fastest]) / ours
        if worst is None or speedup < worst[0]:
            worst = (speedup, name, fastest)
        if speedup < 5:
            short.append(f"{name} {speedup:.2g}×")
        if name.endswith(f"-{HUGE}"):
            at_huge.append(f"{name} {speedup:.2g}× ({fastest})")
    if worst is None:
        return "no peer completed", None
    figure = f"worst {worst[0]:.2g}× on {worst[1]} (vs {worst[2]})"
    if at_huge:
        figure += "; at 10⁵: " + ", ".join(at_huge)
    if short:
        figure += "; under 5×: " + ", ".join(short)
    return figure, worst[0] >= 5


def _cheap_gradient(results: dict) -> tuple[str, bool | None]:
    ratios = [(r["ours"]["phases"]["backward"] / r["ours"]["phases"]["forward"], name)
              for name, r in results.items() if ok(r.get("ours")) and r["ours"]["phases"].get("forward")]
    if not ratios:
        return "not measured", None
    worst, where = max(ratios)
    best, best_where = min(ratios)
    over = [f"{where} {ratio:.3g}" for ratio, where in sorted(ratios, reverse=True) if ratio > 2.5]
    figure = f"backward ÷ forward from {best:.3g} ({best_where}) to {worst:.3g} ({where})"
    if over:
        figure += "; over 2.5: " + ", ".join(over)
    return figure, worst <= 2.5


def _linear(results: dict) -> tuple[str, bool | None]:
    ratios = []
    for family in FAMILIES:
        small, large = results.get(f"{family}-{BIG}"), results.get(f"{family}-{HUGE}")
        if not (small and large and ok(small.get("ours")) and ok(large.get("ours"))):
            continue
        for phase in PHASES:
            a, b = small["ours"]["phases"].get(phase), large["ours"]["phases"].get(phase)
            if a and b:
                ratios.append((b / a, f"{family} {'lower' if phase == 'build' else phase}"))
    if not ratios:
        return "not measured (needs 10⁴ and 10⁵)", None
    over = [f"{where} {ratio:.3g}" for ratio, where in sorted(ratios, reverse=True) if ratio > 12]
    worst, where = max(ratios)
    figure = f"worst {worst:.3g} ({where})"
    if over:
        figure += "; over 12: " + ", ".join(over)
    return figure, worst <= 12


def _memory(results: dict) -> tuple[str, bool | None]:
    parts, verdicts = [], []
    for family in FAMILIES:
        row = results.get(f"{family}-{HUGE}")
        if not row or not ok(row.get("ours")):
            continue
        ours = row["ours"].get("added_mib_before_render", row["ours"]["added_mib"])  # renders aside
        done = [p for p in peers_of(row) if ok(row[p]) and row[p].get("added_mib") is not None]
        if not done:
            parts.append(f"{family}: ours {ours:,.0f} MiB, no peer completes")
            continue
        lean = min(done, key=lambda p: row[p]["added_mib"])
        theirs = row[lean]["added_mib"]
        parts.append(f"{family}: ours {ours:,.0f} MiB vs {lean} {theirs:,.0f} MiB ({ours / theirs:.2g}×)")
        verdicts.append(ours <= theirs / 3)
    if not parts:
        return "not measured", None
    return "; ".join(parts), (all(verdicts) if verdicts else None)


def _cold_start(cli: dict | None) -> tuple[str, bool | None]:
    if not cli:
        return "not measured", None
    m = cli["medians"]
    start = m["seed derivation (--no-diagram)"] - m["python -c pass"]
    png = m["seed derivation + PNG"] - m["seed derivation (--no-diagram)"]
    dot = m["dot -Tpng seed.dot"]
    figure = (f"+{start * 1e3:.0f} ms over `python -c pass` ({m['python -c pass'] * 1e3:.0f} ms); "
              f"PNG adds {png * 1e3:.0f} ms vs `dot -Tpng` {dot * 1e3:.0f} ms")
    return figure, start <= 0.050 and png <= dot


def _diagrams(cli: dict | None) -> tuple[str, bool | None]:
    if not cli:
        return "not measured", None
    cases = cli["diagrams"]
    parts, verdicts = [], []
    for case in cases:
        label = f"{case['workload']}{' ' + case['options'] if case['options'] else ''}"
        parts.append(f"{label}: {case['status']} in {case['seconds']:.1f} s")
        clear = case["status"] == "png" or case["message"].startswith("Error")
        verdicts.append(case["status"] != "HANG" and case["seconds"] <= DIAGRAM_LIMIT and clear)
    return "; ".join(parts), all(verdicts)
