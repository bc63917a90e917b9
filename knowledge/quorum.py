"""Quorum arithmetic, exactly as DOMAIN.md §1.2 reads the 支部工作条例 and the 选举工作暂行条例.

- 党员大会: only members with a vote count (正式党员 not under 留党察看, less those the branch has lawfully left
  out of 应到); a vote may be held when present_voting × 2 > expected_voting ("more than half", strict).
- 支委会: more than half of the 委员 (or two thirds where local rules say so).
- Elections: present × 5 ≥ expected × 4 (more than four fifths; exactly four fifths is tolerated).
- Other meetings (党小组会, 党课, 主题党日, 组织生活会) have no quorum: attendance is recorded as it is.
A motion passes when yes × 2 > expected_voting (the denominator is 应到, not 实到).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Reading = Literal["more_than_half", "two_thirds"]


@dataclass(frozen=True)
class Quorum:
    applies: bool  # False for meetings without a quorum rule
    ok: bool | None  # None when the numbers are not known
    needed: int | None  # the fewest present (with a vote) that would have made it
    text: str  # one plain sentence for the record and the reply
    even_count: bool = False  # an even 应到 under "more than half": worth a human look (§1.2)


def needed_for(expected: int, reading: Reading | Literal["four_fifths"]) -> int:
    if reading == "more_than_half":
        return expected // 2 + 1
    if reading == "two_thirds":
        return -(-expected * 2 // 3)  # at least two thirds
    return -(-expected * 4 // 5)  # four fifths, rounded up


def meets(present: int, expected: int, reading: Reading | Literal["four_fifths"]) -> bool:
    if reading == "more_than_half":
        return present * 2 > expected
    if reading == "two_thirds":
        return present * 3 >= expected * 2
    return present * 5 >= expected * 4


def check(
    meeting_type: str,
    expected_voting: int | None,
    present_voting: int | None,
    *,
    election: bool = False,
    general: Reading = "more_than_half",
    committee: Reading = "more_than_half",
) -> Quorum:
    if meeting_type == "支部党员大会":
        reading: Reading | Literal["four_fifths"] = "four_fifths" if election else general
        who = "有表决权的党员"
    elif meeting_type == "支部委员会":
        reading, who = committee, "委员"
    else:
        return Quorum(applies=False, ok=None, needed=None, text="")
    if expected_voting is None or present_voting is None or expected_voting <= 0:
        return Quorum(applies=True, ok=None, needed=None, text=f"应到、实到{who}人数不全，无法核对到会人数。")
    need = needed_for(expected_voting, reading)
    verb, share = {
        "more_than_half": ("超过", "半数"),
        "two_thirds": ("达到", "三分之二"),
        "four_fifths": ("达到", "五分之四"),
    }[reading]
    what = "选举" if election else "表决"
    ok = meets(present_voting, expected_voting, reading)
    if ok:
        text = f"到会{who}{present_voting}人，{verb}应到{expected_voting}人的{share}，可以{what}。"
    else:
        text = f"到会{who}{present_voting}人，未{verb}应到{expected_voting}人的{share}（至少需{need}人），不能{what}。"
    even = reading == "more_than_half" and expected_voting % 2 == 0
    return Quorum(applies=True, ok=ok, needed=need, text=text, even_count=even)


def motion_passes(yes: int, expected_voting: int) -> bool:
    return yes * 2 > expected_voting
