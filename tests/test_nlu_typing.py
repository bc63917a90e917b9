"""Typing as phones type: same-pinyin slips, numerals, emoji and punctuation, and the roster as a gazetteer —
one table per kind of miss (handlers/nlu/homophones.py, normalize.py, gazetteer.py)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from handlers.nlu import understand
from handlers.nlu.chinese_time import TZ
from handlers.nlu.evaluate import Roster
from handlers.nlu.gazetteer import Gazetteer
from handlers.nlu.homophones import correct
from handlers.nlu.normalize import normalize

NOW = datetime(2024, 5, 15, 10, tzinfo=TZ)
ROSTER = Roster.read(Path(__file__).parents[1] / "bot/store/demo/roster.csv")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("党圆大会", "党员大会"),
        ("应到12人食到10人", "应到12人实到10人"),
        ("只部委员会", "支部委员会"),
        ("支部会仪", "支部会议"),
        ("党小足会", "党小组会"),
        ("组织生火会", "组织生活会"),
        ("应倒20 缺习3人", "应到20 缺席3人"),
        ("入护走访", "入户走访"),
        ("安全因患", "安全隐患"),
    ],
)
def test_same_pinyin_slips_of_the_bots_words_are_put_back(typed: str, meant: str) -> None:
    assert correct(typed) == meant


@pytest.mark.parametrize(
    "text",
    [
        "只部分党员到了",  # 部分 is a word: not 支部
        "小组会已开",  # 已 is a function character: not 会议
        "为放水灌田扯皮",  # a two-character event word (管田) is not a known term
        "他是到了的",  # 是 never stands for 实
        "实到十到十五人",  # numerals are never rewritten
        "巡察组来检查",  # 巡察 is itself a common word
        "请各支部按时上报",  # 假 is rarely read ge: 请各 is not 请假
    ],
)
def test_words_that_make_sense_are_left_alone(text: str) -> None:
    assert correct(text) == text


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("走访了廿三户", "走访了23户"),
        ("来了卅人", "来了30人"),
        ("走访了仨户", "走访了3户"),
        ("到了俩人", "到了2人"),
        ("走访了2十户", "走访了20户"),
        ("巡查２组，路灯坏了３盏", "巡查2组,路灯坏了3盏"),
        ("走访１２户✅", "走访12户"),
        ("无异常！！", "无异常!"),
        ("一切正常~~", "一切正常"),
        ("一人请假。。", "1人请假。"),
    ],
)
def test_numbers_and_decorations_as_phones_type_them(typed: str, normalized: str) -> None:
    assert normalize(typed) == normalized


@pytest.mark.parametrize(("text", "intent"), [("收到👍👍", "ack"), ("✅收到。。。", "ack"), ("👍", "ack")])
def test_emoji_acknowledgements_stay_acknowledgements(text: str, intent: str) -> None:
    assert understand(text, NOW).intent == intent


@pytest.mark.parametrize(
    ("sender", "text", "field", "value"),
    [
        ("周建国", "今天去李家存走访了7户", "village", "李家村"),  # a slip in the village
        ("吴海燕", "明天到柳数村走访5户", "village", "柳树村"),
        ("孙丽华", "今天下村去王家弯村走访了6户", "village", "王家湾村"),
        ("郑志强", "今天去王家湾走访了十户", "village", "王家湾村"),  # without its 村
        ("周建国", "昨天在李家走访了4户", "village", "李家村"),
        ("周建国", "今天去白鹤村走访了3户", "village", "白鹤村"),  # outside the roster: as written
        ("李明", "李桂蓝请假，在外地看孙子", "names", ["李桂兰"]),  # a slip in the name
        ("李明", "建华明天的党小组会请假", "names", ["李建华"]),  # the given name, unique in 李家村
        ("李明", "赵德胜请假 去县里办事", "names", ["赵德胜"]),  # a new person: as written
        ("李明", "今天开了支部党员大会，应到6人实到5人，陈钢请假", "absent", ["陈刚"]),
        ("王德福", "今天开了支委会 缺席：王建君", "absent", ["王建军"]),
    ],
)
def test_the_roster_is_a_gazetteer(sender: str, text: str, field: str, value: object) -> None:
    assert understand(text, NOW, ROSTER.for_sender(sender)).fields[field] == value


def test_a_name_two_roster_people_sound_like_is_left_as_written() -> None:
    gz = Gazetteer.build(places=[], people=["王丽", "汪莉"])
    assert gz.person("王莉") == "王莉"
    assert Gazetteer.build(places=[], people=["李建华", "张建华"]).person("建华") == "建华"


def test_without_a_roster_the_reading_is_unchanged() -> None:
    assert understand("今天去李家存走访了7户", NOW).fields.get("village") is None
    assert understand("李桂蓝请假", NOW).fields["names"] == ["李桂蓝"]


def test_two_villages_in_a_trip_leave_the_village_out() -> None:
    u = understand("今天去柳树走访8户，明天去李家村", NOW, ROSTER.for_sender("周建国"))
    assert "village" not in u.fields


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("今天开了支部大会应到十人实到八人张三李四请假", "absent", ["张三", "李四"]),
        ("昨天开党小组会实到五人王五因为生病没来", "absent", ["王五"]),
        ("今天开支委会应到五人实到四人李四出差", "absent", ["李四"]),
    ],
)
def test_voice_run_ons_keep_their_clauses(text: str, field: str, value: object) -> None:
    assert understand(text, NOW).fields[field] == value


def test_a_run_on_gets_breaks_only_where_a_clause_opens() -> None:
    assert normalize("昨天开党小组会实到五人王五因为生病没来") == "昨天开党小组会实到5人,王五因为生病没来"
    assert normalize("实到5人,王五没来") == "实到5人,王五没来"  # punctuated already: left as sent


def test_a_notice_to_an_audience_typed_with_a_slip_keeps_its_content_as_sent() -> None:
    u = understand("通知全体党圆：明天上午九点在村委会开会，党圆证带上", NOW)
    assert u.fields == {"audience": "全体党员", "content": "明天上午九点在村委会开会，党圆证带上"}


def test_a_hamlet_grid_typed_with_a_slip_gets_the_rosters_spelling() -> None:
    gz = Gazetteer.build(places=["张家湾", "李家村"], people=[])
    assert understand("今天巡查张家弯 一切正常", NOW, gz).fields["grid"] == "张家湾"
    assert understand("今天巡查刘家湾 一切正常", NOW, gz).fields["grid"] == "刘家湾"  # not in the roster
