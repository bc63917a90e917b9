"""The report intents (patrol, meeting, leave, trip, task progress) before their check-in flows exist:
say back what was understood, and ask for what is missing, one question at a time, with quick choices.

The check-in flows that file these reports replace the handlers here one by one.
"""

from __future__ import annotations

from typing import Any

from cards.model import Button, Card, Option, Selection
from handlers.context import Context
from handlers.describe import STATUS_LABELS, summary
from handlers.nlu import REQUIRED
from handlers.orgs import my_grids, my_villages
from handlers.registry import handles

CATEGORIES = ["矛盾纠纷", "安全隐患", "治安", "环境卫生", "公共设施", "民生服务", "重点人员", "其他"]
MEETING_TYPES = ["支部党员大会", "支部委员会", "党小组会", "党课", "主题党日", "组织生活会"]
TEXT_QUESTIONS = {
    "present": "请问这次会议应到多少人、实到多少人？",
    "audience": "请问通知发给谁？例如「通知全体网格员：……」",
    "content": "请问通知的内容是什么？请按「通知全体网格员：内容」发送。",
}


def missing(intent: str, fields: dict[str, Any]) -> list[str]:
    need = []
    for name in REQUIRED.get(intent, ()):
        if name == "category" and fields.get("issues") == 0:
            continue
        if name == "place":
            if "grid" not in fields:
                need.append("place")
        elif name not in fields:
            need.append(name)
    return need


def question_card(ctx: Context, intent: str, fields: dict[str, Any], name: str, text: str) -> Card | None:
    data = {"intent": intent, "fields": fields, "field": name, "text": text}
    if name == "category":
        return Card(
            flow="question",
            title="请选择问题类别",
            description=summary(intent, fields),
            data=data,
            selection=Selection(key="value", title="类别", options=[Option(id=c, text=c) for c in CATEGORIES]),
            buttons=[Button(key="choose", text="确定")],
        )
    if name == "meeting_type":
        return Card(
            flow="question",
            title="请选择会议类型",
            description=summary(intent, fields),
            data=data,
            selection=Selection(key="value", title="类型", options=[Option(id=t, text=t) for t in MEETING_TYPES]),
            buttons=[Button(key="choose", text="确定")],
        )
    if name == "status":
        return Card(
            flow="question",
            title="这项工作进展如何？",
            description=summary(intent, fields),
            data=data,
            buttons=[Button(key=f"pick:{k}", text=v) for k, v in STATUS_LABELS.items()],
        )
    if name in ("place", "village"):
        options = (
            my_grids(ctx.session, ctx.actor.org_id) if name == "place" else my_villages(ctx.session, ctx.actor.org_id)
        )
        if not options:
            return None
        title = "请问在哪个组？" if name == "place" else "请问去的是哪个村？"
        if len(options) <= 5:
            return Card(
                flow="question",
                title=title,
                description=summary(intent, fields),
                data=data,
                buttons=[Button(key=f"pick:{o}", text=o) for o in options],
            )
        return Card(
            flow="question",
            title=title,
            description=summary(intent, fields),
            data=data,
            selection=Selection(key="value", title="选择", options=[Option(id=o, text=o) for o in options[:10]]),
            buttons=[Button(key="choose", text="确定")],
        )
    return None


def respond(ctx: Context, intent: str, fields: dict[str, Any], text: str) -> None:
    """Say back the reading; ask the next missing field, or say the report is complete."""
    need = missing(intent, fields)
    if not need:
        ctx.reply(f"我理解为：{summary(intent, fields)}。信息已齐全，登记功能开通后一键即可提交。")
        return
    name = need[0]
    card = question_card(ctx, intent, fields, name, text)
    if card is not None:
        ctx.card(card)
    else:
        ctx.reply(f"我理解为：{summary(intent, fields)}。{TEXT_QUESTIONS.get(name, '请补充地点，例如「3组」。')}")


@handles("patrol", "meeting", "leave", "trip", "task_progress")
def report(ctx: Context) -> None:
    u = ctx.understood
    assert u is not None
    respond(ctx, u.intent, dict(u.fields), u.text)


@handles("card:question")
def answered(ctx: Context) -> None:
    from bot.store.tables import CardRecord

    action = ctx.inbound.card_action
    assert action is not None
    record = ctx.session.get(CardRecord, action.task_id)
    assert record is not None
    card = Card.model_validate(record.card)
    data = card.data
    if action.key.startswith("pick:"):
        value = action.key.removeprefix("pick:")
    else:
        chosen = action.selections.get("value") or []
        value = chosen[0] if chosen else (card.selection.selected if card.selection else None)
    if not value:
        ctx.reply("请先选择一项，再点「确定」。")
        return
    fields = dict(data.get("fields", {}))
    field_name = "grid" if data["field"] == "place" else data["field"]
    fields[field_name] = value
    label = STATUS_LABELS.get(value, value)
    ctx.update_card(card.finished(f"已选：{label}"))
    respond(ctx, data["intent"], fields, data.get("text", ""))
