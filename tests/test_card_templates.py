"""Every card the bot sends, rendered for WeCom and held against WeCom's rules (task_id characters and
length, text lengths, button and option counts, unique keys) and against a golden copy, so a wording or
layout change is a reviewed diff. Regenerate the golden files with CADREBOT_REGENERATE_GOLDEN=1."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cards import wecom_limits
from cards.content import card as build_card
from cards.content import phrase
from cards.ids import new_task_id
from cards.model import Button, Card, CardField, Choices, Option, Selection
from cards.render import render

GOLDEN = Path(__file__).parent / "golden" / "cards"
LINK = "https://cadrebot.example.cn"
TASK = "form-20260305101500-0123456789ab"
LONG = "村里反映的情况比较复杂，涉及多户村民的宅基地边界和历史遗留问题，需要镇里协调" * 3

EVENT = {
    "receipt": "SJ-20260305-003",
    "category": "治安",
    "grid": "3组",
    "reporter": "王小红",
    "note": "河边有人电鱼，劝不走",
    "due": "3月6日 10:20",
    "assignee": "郭亮",
}
PEOPLE = [{"id": str(i), "name": n} for i, n in enumerate(["李明", "李秀英", "张伟", "刘芳", "王小红", "郭亮"], 7)]

TASK_VALUES: dict[str, Any] = {
    "title": "活动阵地提升",
    "org": "李家村",
    "deadline": "2026年11月20日",
    "days": -3,
    "status": "进行中",
    "clause": "实施“活动阵地提升计划”。开展《加强撤并村活动阵地管理使用指导意见》落实情况调研督导。",
    "note": "",
}
INTERVIEW_VALUES: dict[str, Any] = {
    "who": "李家村 李明",
    "reason": "李家村「活动阵地提升」已超过完成时限（11月20日）14天，经提示、催办、通报仍未完成。",
    "when": "12月8日 09:30",
    "place": "镇党委会议室",
    "interviewers": "镇党委组织委员",
    "materials": "任务推进情况说明、整改措施和完成时间表",
    "contact": "",
}

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "form_question_buttons": (
        "form_question",
        {
            "question": "请问巡查的是哪个组？",
            "summary": "巡查记录 · 3月5日 · 发现问题1处",
            "choices": [{"id": "0", "text": "1组"}, {"id": "1", "text": "2组"}, {"id": "2", "text": "3组"}],
            "dropdown": False,
        },
    ),
    "form_question_dropdown": (
        "form_question",
        {
            "question": "请选择问题类别",
            "summary": "巡查记录 · 3月5日 · 3组 · 发现问题1处",
            "choices": [
                {"id": str(i), "text": c}
                for i, c in enumerate(
                    ["矛盾纠纷", "安全隐患", "治安", "环境卫生", "公共设施", "民生服务", "重点人员", "其他"]
                )
            ],
            "dropdown": True,
        },
    ),
    "form_confirm": (
        "form_confirm",
        {
            "title": "巡查记录",
            "rows": [
                {"label": "日期", "value": "3月5日"},
                {"label": "网格", "value": "3组"},
                {"label": "情况", "value": "发现问题1处"},
                {"label": "类别", "value": "环境卫生"},
                {"label": "处理", "value": "已当场处理"},
                {"label": "说明", "value": "今天巡查3组，发现河道垃圾一处，已清理"},
            ],
            "photos": 2,
            "located": True,
        },
    ),
    "form_confirm_long_values": (
        "form_confirm",
        {
            "title": "巡查记录",
            "rows": [{"label": "说明", "value": LONG}, {"label": "网格", "value": "王家湾村第十三村民小组北片区"}],
            "photos": 0,
            "located": False,
        },
    ),
    "form_pick_field": (
        "form_pick_field",
        {
            "title": "巡查记录",
            "fields": [
                {"name": n, "label": label}
                for n, label in [
                    ("date", "日期"),
                    ("grid", "网格"),
                    ("issues", "情况"),
                    ("category", "类别"),
                    ("resolved", "处理"),
                ]
            ],
        },
    ),
    "event_handle_reported": ("event_handle", {**EVENT, "status": "reported", "people": PEOPLE}),
    "event_handle_accepted": ("event_handle", {**EVENT, "status": "accepted", "people": PEOPLE}),
    "event_assigned": ("event_assigned", {**EVENT, "status": "dispatched", "people": []}),
    "event_verify": ("event_verify", {**EVENT, "status": "handled", "people": []}),
    "withdraw_confirm": (
        "withdraw_confirm",
        {
            "title": "巡查记录",
            "note": "撤回后不计入台账，已上报的事件一并撤回。",
            "rows": [
                {"label": "编号", "value": "XC-20260305-003"},
                {"label": "日期", "value": "3月5日"},
                {"label": "网格", "value": "3组"},
                {"label": "情况", "value": "无异常"},
            ],
        },
    ),
    "help": (
        "help",
        {
            "topics": [
                {"key": k, "label": v}
                for k, v in [("patrol", "网格巡查"), ("meeting", "三会一课"), ("trip", "下村走访"), ("ask", "政策问答")]
            ]
        },
    ),
    "clarify": (
        "clarify",
        {
            "snippet": "下村巡查",
            "options": [{"intent": "patrol", "label": "网格巡查"}, {"intent": "trip", "label": "下村走访"}],
        },
    ),
    "task_card": ("task_card", TASK_VALUES),
    "task_reminder": ("task_reminder", {**TASK_VALUES, "left": 7}),
    "task_reminder_today": ("task_reminder", {**TASK_VALUES, "left": 0}),
    "task_overdue": ("task_overdue", {**TASK_VALUES, "left": -4, "step": "催办"}),
    "task_pick": (
        "task_pick",
        {"tasks": [{"id": "1", "title": "活动阵地提升"}, {"id": "2", "title": "乡村网格化管理"}]},
    ),
    "interview_approve": ("interview_approve", INTERVIEW_VALUES),
    "interview_notice": ("interview_notice", INTERVIEW_VALUES),
    "broadcast_preview": (
        "broadcast_preview",
        {
            "audience": "全体网格员",
            "where": "石桥镇",
            "count": 7,
            "content": "明天上午9点到镇党委会议室参加网格员培训",
            "names": "张伟、刘芳、王小红、杨帆、黄磊等",
            "later": "现在是休息时间，确认后将于11月28日08:00发出",
        },
    ),
    "broadcast_notice": (
        "broadcast_notice",
        {"sender": "孙丽华", "content": "明天上午9点到镇党委会议室参加网格员培训", "again": False},
    ),
    "broadcast_notice_again": ("broadcast_notice", {"sender": "孙丽华", "content": "明天上午9点培训", "again": True}),
    "attendance_preview": (
        "attendance_preview",
        {
            "kind": "支部党员大会",
            "who": "李家村党支部",
            "count": 8,
            "when": "3月6日 15:00",
            "content": "明天下午3点开支部党员大会",
        },
    ),
    "attendance_call": (
        "attendance_call",
        {
            "kind": "支部党员大会",
            "when": "3月6日 15:00",
            "content": "明天下午3点在村委会开支部党员大会，学习党章",
            "sender": "李明",
            "reasons": ["外出务工", "生病", "家中有事", "其他"],
        },
    ),
    "attendance_tally": (
        "attendance_tally",
        {
            "kind": "支部党员大会",
            "expected": 9,
            "attend": 6,
            "leave": ["张强（外出务工）", "陈刚（生病）", "李桂兰（家里有事）"],
        },
    ),
    "trip_approval": (
        "trip_approval",
        {
            "person": "周建国",
            "unit": "石桥镇",
            "day": "3月5日",
            "village": "李家村",
            "households": "5户",
            "amount": "30元",
            "note": "30元/天",
            "purpose": "协调用水纠纷",
            "reasons": ["信息不完整", "不符合补助条件", "与其他补助重复", "日期或村名有误"],
        },
    ),
    "trip_returned": (
        "trip_returned",
        {"day": "3月5日", "village": "李家村", "amount": "30元", "reason": "信息不完整", "approver": "孙丽华"},
    ),
}


def rendered(name: str) -> dict[str, Any]:
    template, values = CASES[name]
    card = build_card(template, flow="golden", **values).model_copy(update={"task_id": TASK})
    return render("wecom", card, link=LINK)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_card_keeps_to_wecoms_rules(name: str) -> None:
    assert wecom_limits.problems(rendered(name)) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_card_matches_its_golden_copy(name: str) -> None:
    path = GOLDEN / f"{name}.json"
    got = rendered(name)
    if os.environ.get("CADREBOT_REGENERATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n")
    assert got == json.loads(path.read_text()), f"{name} changed; regenerate with CADREBOT_REGENERATE_GOLDEN=1"


def test_every_content_template_has_a_golden_case() -> None:
    templates = {p.stem for p in (Path(__file__).parents[1] / "cards" / "templates" / "content").glob("*.j2")}
    templates -= {"phrases"}
    templates = {t for t in templates if not t.startswith("_")}
    assert templates <= {template for template, _ in CASES.values()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_finished_card_keeps_to_the_rules_too(name: str) -> None:
    template, values = CASES[name]
    card = build_card(template, flow="golden", **values).model_copy(update={"task_id": TASK})
    finished = render("wecom", card.finished(phrase("submitted", receipt="XC-20260305-003")), link=LINK)
    assert finished["replace_text"] == "已提交 · 编号 XC-20260305-003"
    assert wecom_limits.problems(finished) == []


def test_the_checker_catches_what_wecom_refuses() -> None:
    good = rendered("event_handle_reported")
    cases = {
        "task_id": {**good, "task_id": "has space"},
        "long task_id": {**good, "task_id": "a" * 129},
        "title": {**good, "main_title": {"title": "长" * 37}},
        "buttons": {**good, "button_list": [{"text": f"b{i}", "key": f"k{i}"} for i in range(7)]},
        "button text": {**good, "button_list": [{"text": "按钮的文字太长了超过十个字", "key": "k"}]},
        "duplicate keys": {**good, "button_list": [{"text": "a", "key": "k"}, {"text": "b", "key": "k"}]},
        "keyname": {**good, "horizontal_content_list": [{"keyname": "这个标签太长了", "value": "v"}]},
        "items": {**good, "horizontal_content_list": [{"keyname": "k", "value": "v"}] * 7},
    }
    for what, card in cases.items():
        assert wecom_limits.problems(card), f"{what} should be refused"


# -- whatever people type into a card, the rules hold --------------------------------------------------

text = st.text(min_size=1, max_size=300)


@settings(max_examples=150, deadline=None)
@given(
    title=text,
    description=st.one_of(st.none(), text),
    values=st.lists(st.tuples(text, text), max_size=9),
    buttons=st.integers(min_value=1, max_value=9),
    options=st.lists(text, min_size=1, max_size=14),
)
def test_any_text_renders_to_a_valid_card(
    title: str, description: str | None, values: list[tuple[str, str]], buttons: int, options: list[str]
) -> None:
    base = Card(
        flow="prop",
        title=title,
        description=description,
        fields=[CardField(label=k, value=v) for k, v in values],
        task_id=new_task_id("prop", datetime.now(UTC)),
    )
    opts = [Option(id=str(i), text=o) for i, o in enumerate(options)]
    shapes = [
        base,
        base.model_copy(
            update={
                "buttons": [Button(key=f"b{i}", text=title) for i in range(buttons)],
                "selection": Selection(key="value", title=title, options=opts),
            }
        ),
        base.model_copy(
            update={"choices": Choices(key="q", options=opts, multiple=True), "submit": Button(key="s", text=title)}
        ),
        base.model_copy(
            update={
                "selects": [Selection(key=f"q{i}", title=title, options=opts) for i in range(4)],
                "submit": Button(key="s", text=title),
            }
        ),
    ]
    for card in shapes:
        assert wecom_limits.problems(render("wecom", card, link=LINK)) == []


@given(flow=st.text(max_size=80))
def test_task_ids_keep_to_wecoms_charset_and_length(flow: str) -> None:
    task_id = new_task_id(flow, datetime.now(UTC))
    assert wecom_limits.TASK_ID.fullmatch(task_id) and len(task_id.encode()) <= 128


def test_task_ids_are_unique() -> None:
    now = datetime.now(UTC)
    assert len({new_task_id("form", now) for _ in range(10_000)}) == 10_000


def test_tick_and_drop_down_cards_golden() -> None:
    """The two shapes later flows use for attendance and multi-field answers (vote / multiple_interaction)."""
    options = [Option(id=str(i), text=n) for i, n in enumerate(["李建华", "李桂兰", "张强", "陈刚"])]
    ticks = Card(
        flow="golden",
        title="请勾选缺席的党员",
        description="支部党员大会 · 3月5日",
        choices=Choices(key="absent", options=options, multiple=True, checked=["2"]),
        submit=Button(key="submit", text="提交"),
        task_id=TASK,
    )
    drops = Card(
        flow="golden",
        title="请补充会议信息",
        selects=[
            Selection(
                key="type", title="会议类型", options=[Option(id="1", text="支部委员会"), Option(id="2", text="党课")]
            ),
            Selection(
                key="place", title="地点", options=[Option(id="a", text="村委会"), Option(id="b", text="党群服务中心")]
            ),
        ],
        submit=Button(key="submit", text="提交"),
        task_id=TASK,
    )
    for name, card in (("vote_interaction", ticks), ("multiple_interaction", drops)):
        got = render("wecom", card, link=LINK)
        assert got["card_type"] == name and wecom_limits.problems(got) == []
        path = GOLDEN / f"model_{name}.json"
        if os.environ.get("CADREBOT_REGENERATE_GOLDEN"):
            path.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n")
        assert got == json.loads(path.read_text())
