"""The time parser on the project's own labelled expressions (handlers/nlu/evaluate_time.py): the tuned set
read in full, and the set written before tuning (never tuned on) kept at its score — with no more than one
wrong day returned where nothing should be."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.nlu.evaluate_time import main, read_lines, score

DATA = Path(__file__).parent / "data"


def test_the_tuned_set_is_read_in_full() -> None:
    report = score(read_lines([DATA / "time-tuned.jsonl"]))
    assert report.total >= 150
    assert report.misses == []


def test_the_untouched_set_keeps_its_score() -> None:
    report = score(read_lines([DATA / "time-untouched.jsonl"]))
    assert report.total >= 80
    assert report.dates >= 0.98
    assert report.times >= 0.95
    assert report.wrong <= 1


def test_the_command_prints_the_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DATA / "time-tuned.jsonl"), "--misses"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("expressions 153   dates 100.0%   times 100.0%")
    assert "wrong instead of none 0" in out
