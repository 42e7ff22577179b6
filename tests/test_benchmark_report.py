"""benchmarks/run.py's report of the big CLI runs (issue 15): the figures it prints and its verdict."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import run  # noqa: E402


def _run(fmt: str, mib: float, exit_code: int = 0) -> dict:
    return {"workload": "sum-1000000", "format": fmt, "seconds": 75.04, "max_rss_mib": mib, "exit": exit_code,
            "error": "" if exit_code == 0 else "Error: out of memory"}


def test_big_runs_under_a_gigabyte_meet_the_target():
    section = run.big_runs_section([_run("json", 722.4), _run("text", 718.0)])
    assert "| sum-1000000 | json | 75.0 | 722 | ok |" in section
    assert section.rstrip().endswith("met.**") and "not met" not in section


@pytest.mark.parametrize("runs", [[_run("json", 1100.0)], [_run("text", 300.0, exit_code=1)]])
def test_a_big_run_over_a_gigabyte_or_failing_misses_the_target(runs):
    section = run.big_runs_section(runs)
    assert "not met.**" in section


@pytest.mark.slow
def test_quick_big_runs_run_the_cli_for_real():
    runs = run.measure_big_runs(quick=True)
    assert [r["format"] for r in runs] == ["json", "text", "markdown", "latex"]
    assert all(r["exit"] == 0 and r["max_rss_mib"] > 10 and r["seconds"] > 0 for r in runs), runs


def test_the_report_explains_only_the_targets_this_run_missed():
    import report

    notes = "\n".join(report._why_unmet(["5"]))
    assert notes.startswith("## Why some targets are not met") and "**5 (a third" in notes
    assert "**4 (linear" not in notes and "**2 (5×" not in notes
    assert report._why_unmet([]) == []  # every target met: no section
    assert report._why_unmet(["1"]) == []  # no note written for it: no empty section either
