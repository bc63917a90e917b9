"""The pieces of understanding: normalisation, numbers, names, places, and the parse command."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from handlers.nlu import understand
from handlers.nlu.chinese_time import TZ
from handlers.nlu.normalize import normalize
from handlers.nlu.numbers import quantities_to_digits, to_int
from handlers.nlu.people import absentees, leave_names
from handlers.patrol.reading import grid
from handlers.trips.reading import household_count, villages

NOW = datetime(2024, 5, 15, 10, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("网格圆李红报：５组王家湾有两户吵起来了", "网格员李红报:5组王家湾有2户吵起来了"),
        ("巡察发现路等坏了三盏", "巡查发现路灯坏了3盏"),
        ("支委回开完了 应到二十三人实到十八人", "支委会开完了 应到23人实到18人"),
        ("三会一棵台账", "三会一课台账"),
        ("三会一课 一户一档 两委 一起去", "三会一课 一户一档 两委 一起去"),
        ("走访了十二户，其中五户是低保户", "走访了12户,其中5户是低保户"),
        ("应到三十三 实到三十", "应到33 实到30"),
        ("today巡查4组 莫得啥子问题", "今天巡查4组 没有什么问题"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_numbers() -> None:
    assert [to_int(x) for x in ("23", "二十三", "两", "一百二十", "十", "零五", "abc")] == [23, 23, 2, 120, 10, 5, None]
    assert quantities_to_digits("快一点 一下 第三季度 两处 五户") == "快一点 一下 第三季度 2处 5户"


def test_names() -> None:
    assert absentees("应到27 实到24 蔡志华 贾宝山 丁桂兰请假") == ["蔡志华", "贾宝山", "丁桂兰"]
    assert absentees("实到8人,缺席2人:赵大勇(住院)、孙玉珍(外出)") == ["赵大勇", "孙玉珍"]
    assert absentees("应到7个实到6个林永福没来他去县里开会了") == ["林永福"]
    assert absentees("缺冉光荣(住院)") == ["冉光荣"]
    assert leave_names("张三请假 外出务工") == ["张三"]
    assert leave_names("明天的党员大会我去不了,请个假") == []
    assert leave_names("帮李四请个假") == ["李四"]


def test_places() -> None:
    assert villages("明天去李家村走访5户") == ["李家村"]
    assert villages("在石门村驻村两天") == ["石门村"]
    assert villages("今天没去下村") == []
    assert villages("去李家村和王家坝村") == ["李家村", "王家坝村"]
    assert grid("今天巡查3组,河道垃圾1处") == "3组"
    assert grid("上午巡了1、2、4组 路灯坏了3盏") is None
    assert grid("巡查第五组 没啥事") == "5组"
    assert grid("今早在张家湾发现2户吵架") == "张家湾"
    assert household_count("上午走了5户人家 下午又走了3户") == 8
    assert household_count("本周走访了17户,其中党员联系户9户") == 17


def test_understand_reports_confidence_ranking_and_reasons() -> None:
    u = understand("今天巡查3组，发现河道垃圾一处，已清理", NOW)
    assert u.intent == "patrol" and u.sure and u.ranking[0][0] == "patrol"
    assert any("巡查" in r for r in u.reasons)
    assert u.missing == []
    unsure = understand("3组那个事", NOW)
    assert unsure.intent in ("other", "patrol") and unsure.confidence < 0.9


def test_missing_fields_are_listed_in_asking_order() -> None:
    u = understand("河边有垃圾", NOW)
    assert u.intent == "patrol" and u.missing == ["place"]
    u = understand("开了个会", NOW)
    assert u.intent == "meeting" and u.missing == ["meeting_type", "present"]


runner = CliRunner()


def test_parse_command_reads_stdin_line_by_line() -> None:
    lines = "今天巡查3组，发现河道垃圾一处，已清理\n\n收到\n   \n通知全体网格员：明天上午9点到村委会开会\n"
    result = runner.invoke(app, ["parse", "--today", "2024-05-15"], input=lines)
    assert result.exit_code == 0
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert [o["intent"] for o in out] == ["patrol", "other", "ack", "other", "broadcast"]
    assert out[0]["fields"] == {
        "date": "2024-05-15",
        "issues": 1,
        "grid": "3组",
        "category": "环境卫生",
        "resolved": True,
    }
    assert out[1] == {"intent": "other", "fields": {}}
    assert out[4]["fields"] == {"audience": "全体网格员", "content": "明天上午9点到村委会开会"}


def test_parse_explain() -> None:
    result = runner.invoke(app, ["parse", "--today", "2024-05-15", "--explain", "张三请假 外出务工"])
    data = json.loads(result.stdout)
    assert data["intent"] == "leave" and data["explain"]["why"] and data["explain"]["ranking"][0]["intent"] == "leave"


def test_parse_rejects_a_bad_date() -> None:
    result = runner.invoke(app, ["parse", "--today", "15/05/2024"], input="收到\n")
    assert result.exit_code == 2


def test_parse_survives_invalid_utf8() -> None:
    result = runner.invoke(app, ["parse", "--today", "2024-05-15"], input=b"\xff\xfe\xfd\n\xe4\xb8\n")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_understand_never_raises(text: str) -> None:
    u = understand(text, NOW)
    assert u.intent in (
        "patrol",
        "meeting",
        "leave",
        "trip",
        "task_progress",
        "ask",
        "ack",
        "help",
        "cancel",
        "broadcast",
        "other",
    )
    json.dumps(u.contract(), ensure_ascii=False)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "巡查",
                "3组",
                "两处",
                "垃圾",
                "请假",
                "张三",
                "应到",
                "实到",
                "二十三",
                "人",
                "通知",
                "全体",
                "网格员",
                ":",
                "？",
                "明天",
                "下周三",
                "走访",
                "李家村",
                "五户",
                "已完成",
                "撤回",
                "收到",
                "👍",
                "，",
                " ",
                "的",
                "了",
                "吗",
            ]
        ),
        max_size=12,
    )
)
def test_understand_never_raises_on_domain_words_in_any_order(words: list[str]) -> None:
    understand("".join(words), NOW)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=120))
def test_parse_command_never_crashes(text: str) -> None:
    result = runner.invoke(app, ["parse", "--today", "2024-05-15"], input=text.replace("\r", "") + "\n")
    assert result.exit_code == 0
    for line in result.stdout.splitlines():
        assert set(json.loads(line)) == {"intent", "fields"}


def test_a_pasted_essay_is_read_only_at_its_start() -> None:
    from datetime import datetime

    from handlers.nlu import READ_CHARS, understand
    from handlers.nlu.chinese_time import TZ

    essay = "今日巡查无异常。" + "这是一段很长的说明文字，" * 2000
    got = understand(essay, datetime(2026, 3, 5, 10, tzinfo=TZ))
    assert got.text == essay and got.intent == "patrol" and len(essay) > READ_CHARS


def test_only_short_ascii_digits_are_selection_indexes() -> None:
    from handlers.taps import small_index

    assert small_index("0") and small_index("12")
    assert not small_index("²") and not small_index("١٢٣") and not small_index("9" * 50) and not small_index("")
