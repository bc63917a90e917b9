"""Message understanding against every labelled set in tests/data (NLU-CONTRACT.md format): the shared 40
examples and our own sets, written fresh. Prints the per-intent and per-field report."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.catalogue import catalogue
from handlers.nlu.evaluate import evaluate, load

DATA = Path(__file__).parent / "data"
SETS = sorted(DATA.glob("nlu-*.jsonl"))


def test_there_are_enough_labelled_messages() -> None:
    rows = load(SETS)
    own = [r for path in SETS if "shared" not in path.name for r in load([path])]
    assert len(own) >= 200 and len(rows) >= 240
    assert {r["intent"] for r in own} == set(catalogue().names)  # every declared intent is labelled


def test_accuracy_over_everything(capsys: pytest.CaptureFixture[str]) -> None:
    report = evaluate(load(SETS))
    with capsys.disabled():
        print("\n" + report.text())
    assert report.intent_accuracy >= 0.97, report.text()
    assert report.field_accuracy >= 0.93, report.text()


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_accuracy_per_set(path: Path) -> None:
    report = evaluate(load([path]))
    assert report.intent_accuracy >= 0.97, report.text()
    assert report.field_accuracy >= 0.93, report.text()
