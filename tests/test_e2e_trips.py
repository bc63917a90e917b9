"""下村下户 end to end through the simulator: a trip and its 交通补助 from the rules file (30元/天, 柳树村 50元,
300元 a month, one claim a day, none with a unit car), approved or sent back and re-submitted by the
township's supervisor (孙丽华), and 我这个月补助多少 with the lines behind the sum.

The transcripts of handlers and forms that need no wire run in process: tests/test_inproc_trips.py."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.store.tables import AuditLog, Trip
from knowledge.rules import write_rules

from conftest import chat_on
from transcript import fields_of, rows

TZ = ZoneInfo("Asia/Shanghai")
# every transcript here runs twice: people on WeCom, and the same people on DingTalk
pytestmark = [pytest.mark.dated, pytest.mark.parametrize("platform", ["wecom", "dingtalk"])]


def test_a_trip_approved(chat, server) -> None:
    chat.as_("zhoujianguo").says("今天去李家村走访了5户，协调用水纠纷")
    card = chat.expect_card("请确认走访记录")
    got = fields_of(card)
    assert (got["走访村"], got["户数"], got["事由"], got["用车"]) == ("李家村", "5户", "协调用水纠纷", "自行前往")
    assert got["补助"] == "30元（提交后待审批）"
    chat.taps(card, "提交")
    chat.expect(text="交通补助30元（30元/天）已提交孙丽华审批", card_update="已提交 · 编号 ZF-")

    approval = chat.as_("sunlihua").expect_card("交通补助待审批")
    assert fields_of(approval)["申请人"] == "周建国（石桥镇）" and fields_of(approval)["金额"] == "30元"
    chat.taps(approval, "通过")
    chat.expect(card_update="已通过 · 孙丽华")
    chat.as_("zhoujianguo").expect_text("交通补助30元已审批通过（孙丽华）")
    [trip] = rows(server, Trip)
    assert (trip.status, trip.amount, trip.households) == ("approved", Decimal("30.00"), 5)
    assert [a.action for a in rows(server, AuditLog, AuditLog.action.like("trip.%"))] == [
        "trip.claimed",
        "trip.approved",
    ]
    chat.as_("zhaomin").expect_nothing()  # the county supervisor is not the nearest approver


def test_evidence_is_asked_once_only_when_the_rules_require_it(
    server_with, factory, tmp_path: Path, platform: str
) -> None:
    path = write_rules(
        tmp_path / "rules.yaml",
        {"subsidy.evidence": "photo_or_location", "subsidy.evidence_basis": "《石桥镇下村交通补助办法》第五条"},
    )
    live = server_with(RULES_FILE=str(path))
    chat = chat_on(live, factory, platform)
    chat.as_("zhoujianguo").says("今天去李家村走访了5户")
    ask = chat.expect_card("交通补助需要一张照片或位置")
    assert ask["template_card"]["main_title"]["title"].startswith("按《石桥镇下村交通补助办法》第五条")
    chat.sends_photo("trip-photo-1")
    got = chat.expect(card="请确认走访记录")
    chat.taps(chat.expect_card("请确认", got), "提交")
    chat.expect(text="已提交孙丽华审批")

    chat.says("今天下午去王家湾村走访了2户")  # the same day: no claim, so no evidence asked either
    assert "同日已申报" in fields_of(chat.expect_card("请确认走访记录"))["补助"]
    chat.says("取消")
    chat.as_("wuhaiyan").says("今天去李家村走访了2户")
    chat.taps(chat.expect_card("交通补助需要"), "不申请补助")
    card = chat.expect_card("请确认走访记录")
    assert fields_of(card)["补助"] == "不计：本次不申请补助"


def test_the_subsidy_statement_and_the_other_ledgers_from_the_chat(server_with, factory, platform: str) -> None:
    from io import BytesIO

    import httpx
    from openpyxl import load_workbook

    live = server_with(LINK_SECRET="trip-ledger-secret")
    chat = chat_on(live, factory, platform)
    chat.as_("zhoujianguo").says("今天去李家村走访了5户")
    chat.taps(chat.expect_card("请确认"), "提交")
    chat.as_("sunlihua").taps(chat.expect_card("交通补助待审批"), "通过")
    for words, kind, sheet_word in (
        ("导出本月补助发放表", "subsidy", "周建国"),
        ("导出本月走访台账", "trips", "李家村"),
        ("导出三会一课台账", "meetings", "三会一课台账"),
    ):
        chat.says(words)
        [notice] = [e for e in chat.new() if e.get("msgtype") == "textcard"]
        assert f"/exports/{kind}.xlsx?token=" in notice["textcard"]["url"]
        response = httpx.get(notice["textcard"]["url"], timeout=10)
        assert response.status_code == 200
        book = load_workbook(BytesIO(response.content))
        cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value}
        assert any(sheet_word in c for c in cells), (kind, sorted(cells)[:20])
