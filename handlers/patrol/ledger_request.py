"""台账 in the chat: a supervisor, township cadre or 书记 gets a signed download link for a month's ledger
(巡查, 三会一课, 走访, 补助发放) of the area they manage; anyone else is told who can fetch it."""

from __future__ import annotations

import re
from datetime import date

from handlers.context import Context
from handlers.orgs import scope_of
from knowledge.calendar import add_months

MONTH = re.compile(r"(?:(?P<y>20\d\d)年)?(?P<m>1[0-2]|[1-9]|[一二三四五六七八九十]|十一|十二)月")
CN_MONTH = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "十一": 11,
    "十二": 12,
}


def month_of(text: str, today: date) -> str:
    if re.search(r"上个?月", text):
        y, m = add_months(today.year, today.month, -1)
        return f"{y:04d}-{m:02d}"
    found = MONTH.search(text)
    if found:
        raw = found.group("m")
        month = int(raw) if raw.isdigit() else CN_MONTH[raw]
        year = int(found.group("y")) if found.group("y") else today.year - (1 if month > today.month else 0)
        return f"{year:04d}-{month:02d}"
    return f"{today.year:04d}-{today.month:02d}"


KINDS = (  # what the words ask for → the ledger, and its name in the chat
    (re.compile(r"三会一课|会议|组织生活"), "meetings", "三会一课台账"),
    (re.compile(r"补助|发放"), "subsidy", "交通补助发放明细表"),
    (re.compile(r"走访|下村|下户"), "trips", "下村走访台账"),
    (re.compile(r""), "patrols", "巡查台账"),
)


def kind_of(text: str) -> tuple[str, str]:
    return next((kind, name) for pattern, kind, name in KINDS if pattern.search(text))


def send_ledger_link(ctx: Context, text: str) -> None:
    from handlers.ledgers_common import export_link

    kind, name = kind_of(text)
    scope = scope_of(ctx.session, ctx.actor.org_id, ctx.actor.roles)
    if scope is None:
        ctx.reply(
            f"{name}由村书记、网格长和镇、县督导导出。您可以发「本周巡查情况」「我这个月补助多少」查看自己的记录。"
        )
        return
    month = month_of(text, ctx.local_now.date())
    url = export_link(ctx.policy, kind, ctx.actor.person_id, scope.path, month, ctx.now)
    if url is None:
        ctx.reply("台账下载还没有配置好（缺少下载链接密钥或公网地址），请联系管理员。")
        return
    y, m = month.split("-")
    ctx.notice(
        f"{scope.name}{int(y)}年{int(m)}月{name}",
        f"点击下载 Excel {name}，可直接打印。链接{ctx.policy.link_hours}小时内有效，仅限本人使用。",
        url=url,
        button="下载",
    )
