"""帮助: a card listing what the bot does, one button per topic; a tap sends that topic's how-to."""

from __future__ import annotations

from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
from handlers.context import Context
from handlers.registry import handles

TOPICS: dict[str, tuple[str, str]] = {
    "patrol": (
        "网格巡查",
        "网格巡查：直接发「今天巡查3组，河道垃圾一处，已清理」，我整理成确认卡片，"
        "您点「提交」即可登记。没有发现问题，发「今日巡查无异常」。"
        "提交后10分钟内发来的照片、位置会附在记录上；发「本周巡查情况」查看汇总，发「撤回」可撤回刚提交的记录。",
    ),
    "meeting": (
        "三会一课",
        "三会一课：会后发「今天上午开了支委会，应到5人实到5人」即可登记；请假发「张三请假，外出务工」。",
    ),
    "trip": (
        "下村走访",
        "下村走访：发「今天去李家村走访了5户，协调用水纠纷」。交通补助按规定计算，不要求上传照片或定位。",
    ),
    "ask": (
        "政策问答",
        "政策问答：直接提问，例如「超大支部怎么规范？」「6月底前要完成什么？」「交通补助怎么算？」，"
        "我会注明出处。也可以问自己的记录：「我这个月下村几次」「我们村还有哪些任务没完成」。",
    ),
}


def help_card() -> Card:
    topics = [{"key": key, "label": label} for key, (label, _) in TOPICS.items()]
    return build_card("help", flow="help", topics=topics)


@handles("help")
def show_help(ctx: Context) -> None:
    ctx.card(help_card())


@handles("card:help")
def help_tapped(ctx: Context) -> None:
    action = ctx.inbound.card_action
    assert action is not None
    topic = TOPICS.get(action.key.removeprefix("help:"))
    if topic is None:
        ctx.reply("这个按钮已失效，请发送「帮助」重新查看。")
        return
    label, text = topic
    ctx.reply(text)
    ctx.update_card(help_card().finished(phrase("sent", label=label)))
