"""Quorum arithmetic (DOMAIN.md §1.2), table-driven: strict "more than half" of the members with a vote for a
党员大会, of the 委员 for a 支委会; four fifths for an election (exactly four fifths tolerated); no rule for the
other meetings; a motion needs more than half of 应到, not of 实到."""

from __future__ import annotations

import pytest

from knowledge.quorum import check, meets, motion_passes, needed_for


@pytest.mark.parametrize(
    ("expected", "present", "ok", "needed"),
    [
        (23, 11, False, 12),  # the worked example: 22 is not more than 23
        (23, 12, True, 12),
        (1, 1, True, 1),
        (3, 1, False, 2),
        (3, 2, True, 2),
        (5, 3, True, 3),
        (7, 3, False, 4),
        (7, 4, True, 4),
        # even counts: exactly half is not "more than half"
        (2, 1, False, 2),
        (4, 2, False, 3),
        (8, 4, False, 5),
        (8, 5, True, 5),
        (10, 5, False, 6),
        (10, 6, True, 6),
        (50, 25, False, 26),
        (50, 26, True, 26),
    ],
)
def test_general_meeting_needs_more_than_half(expected: int, present: int, ok: bool, needed: int) -> None:
    q = check("支部党员大会", expected, present)
    assert (q.ok, q.needed) == (ok, needed)
    assert q.even_count == (expected % 2 == 0)
    assert ("可以表决" if ok else "不能表决") in q.text


@pytest.mark.parametrize(
    ("expected", "present", "ok", "needed"),
    [
        (5, 4, True, 4),  # exactly four fifths is tolerated
        (5, 3, False, 4),
        (10, 8, True, 8),
        (10, 7, False, 8),
        (23, 19, True, 19),  # 18.4 → 19
        (23, 18, False, 19),
        (25, 20, True, 20),
        (25, 19, False, 20),
        (7, 6, True, 6),  # 5.6 → 6
        (7, 5, False, 6),
    ],
)
def test_elections_need_four_fifths(expected: int, present: int, ok: bool, needed: int) -> None:
    q = check("支部党员大会", expected, present, election=True)
    assert (q.ok, q.needed) == (ok, needed)
    assert ("可以选举" if ok else "不能选举") in q.text and "五分之四" in q.text


@pytest.mark.parametrize(
    ("expected", "present", "ok"), [(3, 2, True), (3, 1, False), (5, 3, True), (4, 2, False), (6, 4, True)]
)
def test_committee_needs_more_than_half_of_its_members(expected: int, present: int, ok: bool) -> None:
    q = check("支部委员会", expected, present)
    assert q.ok is ok and "委员" in q.text


@pytest.mark.parametrize(
    ("expected", "present", "ok"), [(6, 3, False), (6, 4, True), (5, 3, False), (5, 4, True), (3, 2, True)]
)
def test_a_two_thirds_committee_rule_where_local_rules_say_so(expected: int, present: int, ok: bool) -> None:
    assert check("支部委员会", expected, present, committee="two_thirds").ok is ok


@pytest.mark.parametrize("kind", ["党小组会", "党课", "主题党日", "组织生活会"])
def test_other_meetings_have_no_quorum(kind: str) -> None:
    q = check(kind, 20, 2)
    assert not q.applies and q.ok is None and q.text == ""


def test_unknown_numbers_are_said_not_guessed() -> None:
    q = check("支部党员大会", None, 5)
    assert q.applies and q.ok is None and "无法核对" in q.text


@pytest.mark.parametrize(
    ("yes", "expected", "passes"), [(12, 23, True), (11, 23, False), (5, 10, False), (6, 10, True)]
)
def test_a_motion_needs_more_than_half_of_those_expected(yes: int, expected: int, passes: bool) -> None:
    assert motion_passes(yes, expected) is passes


@pytest.mark.parametrize("expected", range(1, 60))
def test_needed_is_the_smallest_count_that_meets_the_rule(expected: int) -> None:
    for reading in ("more_than_half", "two_thirds", "four_fifths"):
        need = needed_for(expected, reading)
        assert meets(need, expected, reading)
        assert need == 1 or not meets(need - 1, expected, reading)


def test_probationary_members_do_not_count_towards_the_quorum(chat, server) -> None:
    """李家村党支部: 9 members, 陈刚 预备. 应到9 实到5 with 陈刚 present → 4 of 8 with a vote: not more than half."""
    chat.as_("liming").says("今天开了支部党员大会，应到9人实到5人")
    fields = {f["keyname"]: f["value"] for f in chat.expect_card("请确认")["template_card"]["horizontal_content_list"]}
    assert fields["法定人数"] == "不足（需5人，到4人）"
    chat.says("缺席的改为张强、李建华、李桂兰、陈刚")  # 陈刚 was away after all: 5 of 8 with a vote came
    fields = {f["keyname"]: f["value"] for f in chat.expect_card("请确认")["template_card"]["horizontal_content_list"]}
    assert fields["法定人数"] == "符合（到5/应8）"
