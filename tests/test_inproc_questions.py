"""Questions as cadres type them, in process on both platforms: a deadline list in other words, the first
task to fall due, how the plan arranges something, and a question no source speaks of — declined, with what
the bot can answer. The shipped plan is of 2021, so its months are meant whatever day the clock is pinned to."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.in_process, pytest.mark.dated, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]


def test_a_deadline_list_in_other_words(chat) -> None:
    chat.as_("sunlihua").says("九月底前得交的有哪些")
    answer = chat.expect_text(contains="工作方案中九月底前到期的任务，共7项（2021年）")
    lines = answer.splitlines()
    assert lines[1] == "· 建强村务监督委员会 — 4月30日前"  # by date, the earliest first
    assert lines[-2] == "· 加强“一肩挑”后全方位管理监督 — 9月30日前"
    assert "12月31日" not in answer


def test_the_last_quarter_and_the_first_to_fall_due(chat) -> None:
    chat.as_("liming").says("最后一个季度要干完的都列出来")
    answer = chat.expect_text(contains="工作方案中最后一个季度到期的任务，共12项")
    assert all(line.endswith("12月31日前") for line in answer.splitlines()[1:-1])
    chat.says("哪项最先到期")
    first = chat.expect_text(contains="最先到期的任务")
    assert "· 建强村务监督委员会 — 4月30日前" in first and first.count("· ") == 1


def test_how_the_plan_arranges_something(chat) -> None:
    chat.as_("liming").says("按照方案村监委要干啥")
    answer = chat.expect_text(contains="【建强村务监督委员会】")
    assert "出处：《加强乡村基层组织建设工作方案》" in answer and "2021年4月30日前" in answer


def test_a_question_outside_what_the_bot_knows_is_declined(chat) -> None:
    chat.as_("zhangwei").says("低保申请要啥材料")
    answer = chat.expect_text(contains="抱歉，「低保」方面的问题不在我能回答的范围内。")
    assert "三会一课、交通补助、网格巡查" in answer and "「6月底前要完成什么？」" in answer
