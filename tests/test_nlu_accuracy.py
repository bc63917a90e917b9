"""Message understanding against every labelled set in tests/data (NLU-CONTRACT.md format): the shared 40
examples and our own sets, written fresh. Prints the per-intent and per-field report."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.catalogue import catalogue
from handlers.nlu.evaluate import Roster, evaluate, load

DATA = Path(__file__).parent / "data"
SETS = sorted(DATA.glob("nlu-*.jsonl"))
# rows that name a `sender` are labelled against the demo roster (its villages and people as a gazetteer)
DEMO_ROSTER = Roster.read(Path(__file__).parents[1] / "bot" / "store" / "demo" / "roster.csv")


def roster_for(rows: list[dict[str, object]]) -> Roster | None:
    return DEMO_ROSTER if any("sender" in r for r in rows) else None


def test_there_are_enough_labelled_messages() -> None:
    rows = load(SETS)
    own = [r for path in SETS if "shared" not in path.name for r in load([path])]
    assert len(own) >= 200 and len(rows) >= 240
    assert {r["intent"] for r in own} == set(catalogue().names)  # every declared intent is labelled


def test_accuracy_over_everything(capsys: pytest.CaptureFixture[str]) -> None:
    rows = load(SETS)
    report = evaluate(rows, roster_for(rows))
    with capsys.disabled():
        print("\n" + report.text())
    assert report.intent_accuracy >= 0.97, report.text()
    assert report.field_accuracy >= 0.93, report.text()


# an `untouched` split is a measurement, never tuned on: it counts in the total above, and its score is
# reported (docs), not held to the tuned sets' bar
@pytest.mark.parametrize("path", [p for p in SETS if "untouched" not in p.name], ids=lambda p: p.name)
def test_accuracy_per_set(path: Path) -> None:
    rows = load([path])
    report = evaluate(rows, roster_for(rows))
    assert report.intent_accuracy >= 0.97, report.text()
    assert report.field_accuracy >= 0.93, report.text()
