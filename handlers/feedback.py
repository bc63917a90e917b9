"""投诉建议: a cadre's complaint or suggestion for the administrators, from the chat (「投诉建议：…」, 「我要投诉…」,
「提个建议，…」) or the 工作台's form. Filed at once with a receipt number when the words come with the label; the
label alone opens a one-question form that asks for them. An administrator answers it in the 工作台 — the answer
reaches the sender in the chat — and closes it. The words are kept as written; pages mask the numbers in them."""

from __future__ import annotations

from typing import Any

from bot.store.receipts import next_receipt
from bot.store.tables import AuditLog, Feedback, Person
from cards.content import phrase
from handlers.context import Context
from handlers.feedback_intent import KIND_LABELS, kind_of_words, words_of
from handlers.forms import engine
from handlers.forms.spec import Choice, FieldSpec, Filed, FormSpec, Invalid, register
from handlers.forms.state import FormState
from handlers.nlu import lexicon as lx
from handlers.registry import handles

FORM = "feedback"
PREFIX = {"complaint": "TS", "suggestion": "JY"}  # TS-20261203-001: 投诉, JY-…: 建议
STATUS_LABELS = {"open": "待答复", "answered": "已答复", "closed": "已办结"}
MAX_TEXT = 1000
MAX_ANSWER = 1000
QUESTION = "请问您要反映什么？我会转交管理员，答复也会发到这里。"
HINT = "请直接回复具体内容，例如「投诉：村口路灯坏了半个月没人修」"


class Refused(Exception):
    """What cannot be done to an item (answering a closed one); the message is polite Chinese for the page."""


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, "投诉建议")


def record(ctx: Context, kind: str, text: str, via: str) -> Feedback:
    """The complaint or suggestion of the person `ctx` speaks for, with its receipt number."""
    text = text.strip()
    if not text:
        raise Refused("请写下您要反映的内容。")
    if len(text) > MAX_TEXT:
        raise Refused(f"内容请控制在{MAX_TEXT}字以内，可以分几次提交。")
    if kind not in KIND_LABELS:
        raise Refused("请选择「投诉」或「建议」。")
    item = Feedback(
        receipt_no=next_receipt(ctx.session, PREFIX[kind], ctx.local_now.date()),
        person_id=ctx.actor.person_id,
        org_id=ctx.actor.org_id,
        kind=kind,
        text=text,
        via=via,
        status="open",
        created_at=ctx.now,
    )
    ctx.session.add(item)
    ctx.session.flush()
    return item


def receipt_line(item: Feedback) -> str:
    return (
        f"已收到您的{kind_label(item.kind)}，编号 {item.receipt_no}。"
        "我们会转交管理员处理，答复会在这里发给您。感谢您的反映！"
    )


def reachable(ctx: Context, item: Feedback) -> Person | None:
    """The sender, while the roster still has them: the chat reaches no one else."""
    sender = ctx.session.get(Person, item.person_id) if item.person_id is not None else None
    return sender if sender is not None and sender.active else None


def answer(ctx: Context, item: Feedback, text: str) -> None:
    """An administrator's answer: kept on the item and sent to the sender in the chat."""
    text = text.strip()
    if item.status == "closed":
        raise Refused("这条已办结，不能再答复。")
    if not text:
        raise Refused("请写下答复内容。")
    if len(text) > MAX_ANSWER:
        raise Refused(f"答复请控制在{MAX_ANSWER}字以内。")
    again = item.answer is not None
    item.answer, item.answered_by, item.answered_at, item.status = text, ctx.actor.person_id, ctx.now, "answered"
    sender = reachable(ctx, item)
    if sender is None:
        ctx.reply("答复已保存。提交人已不在名册中或已停用，无法发送给本人。")
        return
    head = "补充答复" if again else "答复"
    ctx.tell(
        sender.id,
        f"您反映的{kind_label(item.kind)}（编号 {item.receipt_no}）有了{head}：\n{text}\n——{ctx.actor.name}",
    )
    ctx.reply(answered_line(sender.name, again))


def answered_line(sender: str, again: bool = False) -> str:
    return f"{'补充答复' if again else '答复'}已发给{sender}。"


def close(ctx: Context, item: Feedback) -> None:
    """办结. A sender who never had an answer is told it is closed; one who had it needs no second message."""
    if item.status == "closed":
        raise Refused("这条已经办结了。")
    item.status, item.closed_at = "closed", ctx.now
    sender = reachable(ctx, item)
    if item.answer is None and sender is not None:
        ctx.tell(sender.id, f"您反映的{kind_label(item.kind)}（编号 {item.receipt_no}）已办结，感谢您的反映！")
    ctx.reply(closed_line(item))


def closed_line(item: Feedback) -> str:
    return f"编号 {item.receipt_no} 已办结。"


def audit_chat(ctx: Context, item: Feedback) -> None:
    ctx.session.add(
        AuditLog(
            at=ctx.now,
            actor_person_id=ctx.actor.person_id,
            actor=ctx.actor.name,
            action="feedback.submitted",
            target=item.receipt_no,
            detail={"via": "chat", "kind": item.kind},
        )
    )


# -- the chat -------------------------------------------------------------------------------------


@handles("feedback")
def feedback(ctx: Context) -> None:
    u = ctx.understood
    assert u is not None
    text, kind = u.fields.get("text"), u.fields.get("kind")
    if not text:
        engine.begin(ctx, FORM, {"kind": kind}, u.text)
        return
    draft = ctx.forms.current
    try:
        item = record(ctx, kind or kind_of_words(str(text)), str(text), "chat")
    except Refused as exc:
        ctx.reply(str(exc))
        return
    if draft is not None and draft.kind == FORM:  # the words came with a label after all: that draft is done
        ctx.retire_card(draft.card_task_id, phrase("replaced"))
        ctx.forms.close(draft)
    audit_chat(ctx, item)
    ctx.reply(receipt_line(item))


def parse_text(text: str, _ctx: Context) -> str | None:
    """The words a person sends when asked; None for 好的 / 嗯 (not an answer)."""
    found = lx.FEEDBACK.search(text)
    words = words_of(text[found.end() :] if found and found.start() == 0 else text)
    if words is None or lx.is_ack(words):
        return None
    if len(words) > MAX_TEXT:
        raise Invalid(f"内容请控制在{MAX_TEXT}字以内，可以分几次发送")
    return words


def parse_kind(text: str, _ctx: Context) -> str | None:
    if "投诉" in text:
        return "complaint"
    if "建议" in text or "意见" in text:
        return "suggestion"
    return None


def derive(_ctx: Context, values: dict[str, Any]) -> None:
    if values.get("text") and not values.get("kind"):
        values["kind"] = kind_of_words(str(values["text"]))


def file_feedback(ctx: Context, form: FormState) -> Filed:
    values = form.values
    try:
        item = record(ctx, str(values.get("kind") or kind_of_words(str(values["text"]))), str(values["text"]), "chat")
    except Refused as exc:
        raise Invalid(str(exc)) from None
    audit_chat(ctx, item)
    return Filed(receipt=item.receipt_no, message=receipt_line(item))


register(
    FormSpec(
        kind=FORM,
        title="投诉建议",
        fields=(
            FieldSpec(
                name="kind",
                label="类别",
                question="这是投诉还是建议？",
                hint="请回复「投诉」或「建议」",
                parse=parse_kind,
                show=kind_label,
                choices=lambda _c, _v: [Choice("complaint", "投诉"), Choice("suggestion", "建议")],
                needed=lambda _v: False,  # read from the label or the words (derive)
                aliases=("类型", "种类"),
            ),
            FieldSpec(
                name="text",
                label="内容",
                question=QUESTION,
                hint=HINT,
                parse=parse_text,
                aliases=("问题", "意见", "建议"),
            ),
        ),
        file=file_feedback,
        derive=derive,
        free_text=True,
    )
)
