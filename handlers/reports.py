"""The report intents (patrol, meeting, leave, trip, task progress) before their check-in flows exist:
say back what was understood, and ask for what is missing, one question at a time, with quick choices.

The check-in flows that file these reports replace the handlers here one by one.
"""

from __future__ import annotations

from typing import Any

from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
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
        question, label, options = "请选择问题类别", "类别", [(c, c) for c in CATEGORIES]
    elif name == "meeting_type":
        question, label, options = "请选择会议类型", "类型", [(t, t) for t in MEETING_TYPES]
    elif name == "status":
        question, label, options = "这项工作进展如何？", "进展", list(STATUS_LABELS.items())
    elif name in ("place", "village"):
        found = (
            my_grids(ctx.session, ctx.actor.org_id) if name == "place" else my_villages(ctx.session, ctx.actor.org_id)
        )
        if not found:
            return None
        question = "请问在哪个组？" if name == "place" else "请问去的是哪个村？"
        label, options = "选择", [(o, o) for o in found[:10]]
    else:
        return None
    return build_card(
        "report_question",
        flow="question",
        data=data,
        question=question,
        summary=summary(intent, fields),
        label=label,
        choices=[{"id": value, "text": shown} for value, shown in options],
        dropdown=len(options) > 5,
    )


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


@handles("task_progress")
def report(ctx: Context) -> None:
    u = ctx.understood
    assert u is not None
    respond(ctx, u.intent, dict(u.fields), u.text)


@handles("card:question")
def answered(ctx: Context) -> None:
    action, card = ctx.tap()
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
    ctx.update_card(card.finished(phrase("chosen", text=label)))
    respond(ctx, data["intent"], fields, data.get("text", ""))
