"""The roster as a gazetteer: its org names (villages, grids, hamlets, branches, party groups) and people's
names, for the fields `village` (trip), `grid` (patrol), `absent` (meeting) and `names` (leave).

    gz = Gazetteer.build(places=["李家村", "王家湾村", "1组"], people=["李建华", "李桂兰"])
    understand("今天去李家存走访7户", now, gz).fields["village"]  → "李家村"

Matching is tolerant of same-pinyin slips (李家存 → 李家村, 李桂蓝 → 李桂兰) and of partial names
(去李家走访 → 李家村, 王家湾 → 王家湾村 in a trip; 建华 → 李建华 when only one person in the sender's scope
is called so). A name written exactly that is not in the roster (a new person, an outside village) is
returned as written, and so is one that matches two roster entries: never silently wrong.

`understand()` stays pure: the gazetteer is an optional argument, built by the caller (bot/respond.py
`gazetteer_for`, per org scope, cached until the roster changes; the evaluator from a roster CSV). Without one nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from handlers.nlu.homophones import PinyinIndex, readings

_GRID_NUMBER = re.compile(r"^\d+组$")
_GOING = re.compile(r"(?:去|到|赴|在|前往|下到|跑了)(?:了)?(?:趟|一趟)?$")
# what may follow a village named without its 村: not more of a name (李家岗村 is not 李家村)
_AFTER_STEM = re.compile(r"(?:[^\u4e00-\u9fa5]|$|走访|入户|看|调研|了解|开|转|串|检查|慰问|办|走|下|的|和|跟|与|、|了)")


def _pinyin(word: str) -> tuple[frozenset[str], ...]:
    return tuple(readings(ch) for ch in word)


def _same_sound(a: str, b: str) -> bool:
    """Same toneless pinyin, one character apart at most (a slip is one wrong pick on the keyboard)."""
    return (
        len(a) == len(b)
        and sum(x != y for x, y in zip(a, b, strict=True)) <= 1
        and all(x & y for x, y in zip(_pinyin(a), _pinyin(b), strict=True))
    )


@dataclass(frozen=True)
class Gazetteer:
    places: frozenset[str]
    people: frozenset[str]

    @classmethod
    def build(cls, places: Iterable[str], people: Iterable[str]) -> Gazetteer:
        return cls(frozenset(p for p in places if p), frozenset(p for p in people if p))

    @classmethod
    def from_paths(cls, org_paths: Iterable[str], people: Iterable[str]) -> Gazetteer:
        """Places from org paths (清河县/石桥镇/李家村/2组 → 李家村, 2组), below the township level."""
        places = {part for path in org_paths for part in path.split("/")[2:]}
        return cls.build(places, people)

    @classmethod
    def scoped(cls, members: Iterable[tuple[str, str]], org_path: str | None) -> Gazetteer:
        """A sender's scope of the roster's (name, org path) rows: the places of their township, the people of
        their village (a township cadre: of the township); the whole roster without a sender."""
        parts = org_path.split("/") if org_path else []
        town, home = "/".join(parts[:2]), "/".join(parts[:3])
        rows = list(members)
        places = [org for _, org in rows if not town or org == town or org.startswith(town + "/")]
        people = [name for name, org in rows if not home or org == home or org.startswith(home + "/")]
        return cls.from_paths(places, people)

    @cached_property
    def villages(self) -> tuple[str, ...]:
        return tuple(sorted(p for p in self.places if p.endswith("村") and len(p) >= 3))

    @cached_property
    def index(self) -> PinyinIndex:
        # whole place names only (three characters or more): a slip inside them is safe to put back
        return PinyinIndex(p for p in self.places if len(p) >= 3 and not _GRID_NUMBER.match(p))

    def correct(self, text: str) -> str:
        """Put back same-pinyin slips of the roster's place names: 李家存 → 李家村, 王家弯村 → 王家湾村."""
        return self.index.correct(text) if self.index.terms else text

    # -- fields -------------------------------------------------------------------------------------------

    def place(self, written: str) -> str:
        """The roster's spelling of a place written with a slip; as written when none or several match."""
        if written in self.places:
            return written
        if written + "村" in self.villages:  # 去王家湾走访: the village named without its 村
            return written + "村"
        matches = [p for p in self.places if _same_sound(p, written)]
        return matches[0] if len(matches) == 1 else written

    def person(self, written: str) -> str:
        """The roster's name for a name written with a slip or by the given name only; else as written."""
        if written in self.people:
            return written
        matches = {p for p in self.people if _same_sound(p, written)}
        if not matches and 2 <= len(written) <= 3:
            # a given name: 建华 → 李建华, 桂兰 → 李桂兰 (a slip in it too: 桂蓝)
            matches = {p for p in self.people if len(p) == len(written) + 1 and _same_sound(p[1:], written)}
        return next(iter(matches)) if len(matches) == 1 else written

    def village_in(self, text: str) -> str | None:
        """A roster village named without its 村 after a going word: 去李家走访 → 李家村; one only."""
        found = self.villages_without_suffix(text)
        return found.pop() if len(found) == 1 else None

    def villages_without_suffix(self, text: str) -> set[str]:
        found = set()
        for village in self.villages:
            stem = village[:-1]
            for m in re.finditer(re.escape(stem), text):
                if _GOING.search(text[: m.start()]) and _AFTER_STEM.match(text, m.end()):
                    found.add(village)
        return found

    def refine(self, intent: str, fields: dict[str, Any], text: str) -> dict[str, Any]:
        out = dict(fields)
        if intent == "trip":
            if "village" in out:
                out["village"] = self.place(out["village"])
                if self.villages_without_suffix(text) - {out["village"]}:  # 去柳树…明天去李家村: two villages
                    out.pop("village")
                    out.pop("households", None)
            elif (village := self.village_in(text)) and not _two_villages(text):
                out["village"] = village
        elif intent == "patrol" and isinstance(out.get("grid"), str) and not _GRID_NUMBER.match(out["grid"]):
            out["grid"] = self.place(out["grid"])
        for name in ("absent", "names"):
            if isinstance(out.get(name), list):
                out[name] = list(dict.fromkeys(self.person(n) for n in out[name]))
        return out


def _two_villages(text: str) -> bool:
    return len(set(re.findall(r"[\u4e00-\u9fa5]{2,4}村", text))) > 1
