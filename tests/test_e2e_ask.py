"""Questions in the chat, end to end through the simulator: the plan, the rules and the FAQ answered with the
source quoted; one's own records answered from the database; an off-topic question told so, politely."""

from __future__ import annotations

import pytest

from bot.store.db import get_engine, session_scope
from knowledge.plan.tasks_file import DEMO_TASKS, load

# every transcript here runs twice: people on WeCom, and the same people on DingTalk
pytestmark = [pytest.mark.dated, pytest.mark.db, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]


def test_a_plan_question(chat) -> None:
    chat.as_("liming").says("超大支部怎么规范？")
    answer = chat.expect_text("【完善村党组织设置】")
    assert "完成时限：2021年5月31日前" in answer and "出处：《加强乡村基层组织建设工作方案》" in answer


def test_a_bare_topic_is_answered_too(chat) -> None:
    chat.as_("liming").says("乡镇干部履职清单管理")
    chat.expect_text("【开展乡镇领导班子科学化建设试点】")


def test_what_is_due_by_the_end_of_june(chat) -> None:
    chat.as_("sunlihua").says("6月底前要完成什么？")
    answer = chat.expect_text("工作方案中6月底前到期的任务，共4项（2021年）")
    assert "· 建强村务监督委员会 — 4月30日前" in answer
    assert "巩固村“两委”换届成果" in answer and "抓好乡镇领导班子换届（完成乡镇党委换届）" in answer


def test_the_subsidy_rule_comes_from_the_rules_file(chat) -> None:
    chat.as_("zhoujianguo").says("下村交通补助一天多少钱？当天回来的也算吗")
    answer = chat.expect_text("【交通补助规则】")
    assert "每天30元" in answer and "偏远村（柳树村）每天50元" in answer and "每人每月最多300元" in answer


def test_a_faq_question(chat) -> None:
    chat.as_("liming").says("村务监督委员会主任能不能列席支委会？")
    answer = chat.expect_text("【村务监督委员会】")
    assert "由村党组织决定" in answer and "依据：《村民委员会组织法》第三十二条" in answer


def test_off_topic(chat) -> None:
    chat.as_("wangxh").says("明天股市会涨吗？")
    chat.expect_text("没有找到可靠的答案")


def test_own_trips_this_month(chat) -> None:
    chat.as_("zhoujianguo").says("我这个月下村几次")
    chat.expect_text("月还没有登记下村走访")
    chat.says("今天去李家村走访了5户，协调用水纠纷")
    chat.taps(chat.expect_card("请确认走访记录"), "提交")
    chat.new()
    chat.says("我这个月下村几次")
    answer = chat.expect_text("下村走访1次（1天，共5户）")
    assert "李家村 5户" in answer


def test_own_village_tasks(chat, server) -> None:
    with session_scope(get_engine(server.settings.database_url)) as s:
        load(s, DEMO_TASKS)
    chat.as_("liming").says("我们村还有哪些任务没完成")
    answer = chat.expect_text("项任务未完成")
    assert "活动阵地提升" in answer and "到期" in answer


def test_own_branch_meetings(chat) -> None:
    chat.as_("liming").says("我们支部这季度开党课了吗")
    chat.expect_text("还没有登记党课")
    chat.says("今天上午开了党课，应到8人实到7人，主题是学习工作方案")
    card = chat.expect_card("请确认")
    chat.taps(card, "提交")
    chat.new()
    chat.says("我们支部这季度开党课了吗")
    chat.expect_text("本季度开过党课1次")


def test_answers_follow_a_new_plan_import(chat, server) -> None:
    from datetime import date

    from knowledge.plan.parser import parse_plan
    from knowledge.plan.store import SHIPPED_PLAN, current_plan_key, current_plan_keyed
    from knowledge.plan.tasks import import_plan

    chat.as_("liming").says("超大支部怎么规范？")
    assert "2021年5月31日前" in chat.expect_text("【完善村党组织设置】")

    text = SHIPPED_PLAN.read_text(encoding="utf-8").replace("2021年5月底前", "2021年7月底前")
    with session_scope(get_engine(server.settings.database_url)) as s:
        import_plan(s, parse_plan(text), "方案.txt", text, date(2021, 3, 1))
    with session_scope(get_engine(server.settings.database_url)) as s:
        assert current_plan_key(s) == current_plan_keyed(s)[0]
    chat.says("超大支部怎么规范？")
    assert "2021年7月31日前" in chat.expect_text("【完善村党组织设置】")
