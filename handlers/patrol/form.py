"""The 网格巡查 form: the fields of a patrol record (DOMAIN.md §2.4, trimmed to what a phone message
carries), how each is asked, read and shown. "今日巡查无异常" fills every field at once, so the sender
sees the confirmation card straight away: one message and one tap."""

from __future__ import annotations

import re
from typing import Any

from bot.roles import OrgKind
from bot.store.tables import Org
from handlers.context import Context
from handlers.forms.dates import past_day, show_date
from handlers.forms.spec import Choice, FieldSpec, FormSpec, Invalid, register
from handlers.nlu.normalize import normalize
from handlers.orgs import ancestor, my_grids
from handlers.patrol.filing import file_patrol
from handlers.patrol.reading import category as read_category
from handlers.patrol.reading import grid as read_grid
from handlers.patrol.reading import issue_count
from handlers.patrol.reading import resolved as read_resolved

CATEGORIES = ["矛盾纠纷", "安全隐患", "治安", "环境卫生", "公共设施", "民生服务", "重点人员", "其他"]
MAX_AGE_DAYS = 30
parse_date = past_day(MAX_AGE_DAYS, future="巡查日期不能晚于今天。", too_old=f"只能登记近{MAX_AGE_DAYS}天的巡查。")
NOTHING_FOUND = re.compile(
    r"^(?:无|没有|没|无异常|正常|一切正常|没问题|没有问题|没发现问题|未发现问题|没啥事|没事)[。.!！]*$"
)
SOMETHING_FOUND = re.compile(r"^(?:有|有问题|发现问题|有情况|发现了)[。.!！]*$")
DONE_WORDS = re.compile(
    r"^(?:已|已经)?(?:当场)?(?:处理|解决|清理|劝离|调解|整改|修好)(?:了|好了|完了)?[。.!！]*$|^处理了|^解决了"
)
NOT_DONE_WORDS = re.compile(
    r"^(?:没|未|还没|需要|需|要)(?:有)?(?:处理|解决|村里|上报|报)|处理不了|解决不了|需村里|转村里|上报"
)


def _issues_ok(values: dict[str, Any]) -> bool:
    return bool(values.get("issues"))


def parse_grid(text: str, ctx: Context) -> str | None:
    text = text.strip()
    known = my_grids(ctx.session, ctx.actor.org_id)
    found = read_grid(normalize(text))
    if found:
        return found
    for name in known:
        if name in text or (len(text) >= 2 and text in name):
            return name
    if (
        2 <= len(text) <= 12
        and re.fullmatch(r"[\u4e00-\u9fa5\d]+", text)
        and re.search(r"[村组湾庄屯寨坝沟岭片]$", text)
    ):
        return text  # a named hamlet as written (王家湾), as the contract keeps it
    return None


def grid_choices(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(g, g) for g in my_grids(ctx.session, ctx.actor.org_id)]


def parse_issues(text: str, _ctx: Context) -> int | None:
    text = text.strip()
    if NOTHING_FOUND.match(text):
        return 0
    if SOMETHING_FOUND.match(text):
        return 1
    n = issue_count(normalize(text))
    if n is not None:
        return n
    digits = re.fullmatch(r"(\d{1,3})\s*(?:处|个|件|起)?", normalize(text))
    return int(digits.group(1)) if digits else None


def show_issues(value: int) -> str:
    return "无异常" if value == 0 else f"发现问题{value}处"


def parse_category(text: str, _ctx: Context) -> str | None:
    text = text.strip()
    for name in CATEGORIES:
        if name in text:
            return name
    found, _ = read_category(normalize(text))
    return found


def parse_resolved(text: str, _ctx: Context) -> bool | None:
    text = text.strip()
    if NOT_DONE_WORDS.search(text):
        return False
    if DONE_WORDS.search(text):
        return True
    return read_resolved(normalize(text))


def show_resolved(value: bool) -> str:
    return "已当场处理" if value else "需村里处理"


def parse_note(text: str, _ctx: Context) -> str | None:
    text = text.strip()
    if not text:
        return None
    if len(text) > 200:
        raise Invalid("说明请控制在200字以内。")
    return text


def show_note(value: str) -> str:
    return value


def start(ctx: Context, values: dict[str, Any]) -> dict[str, Any]:
    """What the message said, plus what the sender's place in the roster says (their own grid)."""
    out: dict[str, Any] = {"date": values.get("date") or ctx.local_now.date().isoformat()}
    grid = values.get("grid")
    if grid is None:
        own = ctx.session.get(Org, ctx.actor.org_id)
        if own is not None and own.kind == OrgKind.GRID.value:
            grid = own.name
    out["grid"] = grid
    out["issues"] = values.get("issues")
    if values.get("issues"):
        out["category"] = values.get("category")
        out["resolved"] = values.get("resolved")
        out["note"] = values.get("note")
    try:
        if out["date"] and parse_date(out["date"], ctx) is None:
            out["date"] = None
    except Invalid:
        out["date"] = None  # a date that cannot be filed is asked again
    return out


def may_patrol(ctx: Context) -> bool:
    return ancestor(ctx.session, ctx.actor.org_id, OrgKind.VILLAGE) is not None


PATROL = register(
    FormSpec(
        kind="patrol",
        title="巡查记录",
        fields=(
            FieldSpec(
                name="date",
                label="日期",
                question="请问是哪天巡查的？",
                hint="例如「今天」「昨天」「3月5日」",
                parse=parse_date,
                show=show_date,
                aliases=("时间", "巡查日期", "哪天"),
            ),
            FieldSpec(
                name="grid",
                label="网格",
                question="请问巡查的是哪个组？",
                hint="请回复组名，例如「3组」",
                parse=parse_grid,
                choices=grid_choices,
                aliases=("地点", "位置", "组", "地方", "网格", "片区"),
            ),
            FieldSpec(
                name="issues",
                label="情况",
                question="这次巡查发现问题了吗？",
                hint="请回复「无异常」或「发现2处问题」",
                parse=parse_issues,
                show=show_issues,
                choices=lambda _ctx, _v: [Choice(0, "无异常"), Choice(1, "发现问题")],
                aliases=("问题", "问题数", "数量", "几处", "巡查情况"),
            ),
            FieldSpec(
                name="category",
                label="类别",
                question="请选择问题类别",
                hint="请回复类别，例如「环境卫生」「安全隐患」",
                parse=parse_category,
                choices=lambda _ctx, _v: [Choice(c, c) for c in CATEGORIES],
                needed=_issues_ok,
                shown=_issues_ok,
                aliases=("类型", "问题类别", "种类", "分类"),
            ),
            FieldSpec(
                name="resolved",
                label="处理",
                question="问题当场处理了吗？",
                hint="请回复「已处理」或「需村里处理」",
                parse=parse_resolved,
                show=show_resolved,
                choices=lambda _ctx, _v: [Choice(True, "已当场处理"), Choice(False, "需村里处理")],
                needed=_issues_ok,
                shown=_issues_ok,
                aliases=("处理情况", "是否处理", "处置"),
            ),
            FieldSpec(
                name="note",
                label="说明",
                question="请简单说明问题情况",
                hint="例如「河道有垃圾一处」",
                parse=parse_note,
                show=show_note,
                needed=lambda _v: False,
                shown=_issues_ok,
                aliases=("描述", "内容", "具体情况", "情况说明", "备注"),
            ),
        ),
        file=file_patrol,
        start=start,
        attachments=True,
    )
)
