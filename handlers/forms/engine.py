"""Running any declared form: ask what is missing, one question at a time with quick choices; show a
confirmation card; file on 提交; and handle 继续, edits, 取消 and taps on stale or expired cards."""

from __future__ import annotations

import logging
from typing import Any

from cards.content import card as build_card
from cards.content import phrase
from cards.model import Card
from handlers.catalogue import catalogue
from handlers.context import Context
from handlers.forms import commands
from handlers.forms.spec import SPECS, Choice, FieldSpec, FormSpec, Invalid
from handlers.forms.state import FormState
from handlers.nlu import understand

log = logging.getLogger("cadrebot.forms")

FLOW = "form"
BUTTON_CHOICES = 5  # more than this and the choices go into a drop-down
NOTHING_OPEN = "您目前没有未完成的登记。直接发消息即可开始，例如「今日巡查无异常」。"


def spec_of(form: FormState) -> FormSpec:
    return SPECS[form.kind]


# -- starting and moving on -------------------------------------------------------------------------


def begin(ctx: Context, kind: str, values: dict[str, Any], source_text: str) -> FormState:
    """Open a new draft from what the message already said, and ask for the rest."""
    spec = SPECS[kind]
    form = FormState(kind=kind, source_text=source_text[:500], started_at=ctx.now, updated_at=ctx.now)
    form.values = spec.start(ctx, dict(values))
    if values.get("tentative"):  # readings the bot is unsure of: asked, each offered as the first choice
        form.values["tentative"] = dict(values["tentative"])
    current = ctx.forms.current
    if current is not None and current.kind == kind and current.stage == "confirming":
        # a second message about the same thing before tapping 提交 is a correction: it replaces the draft
        ctx.retire_card(current.card_task_id, phrase("replaced"))
        ctx.forms.close(current)
        current = None
    held = ctx.forms.open(form)
    if held is not None:
        ctx.reply(f"您上一份{spec_of(held).title}还没提交，已为您保留，办完这份后发送「继续」即可接着办。")
    for dropped in ctx.forms.dropped:
        ctx.retire_card(dropped.card_task_id, phrase("expired"))
    ctx.forms.dropped.clear()
    advance(ctx, form)
    return form


def advance(ctx: Context, form: FormState) -> None:
    spec = spec_of(form)
    ctx.forms.touch(form, ctx.now)
    spec.derive(ctx, form.values)
    missing = spec.missing(form.values)
    if missing:
        ask(ctx, form, missing[0])
    else:
        confirm(ctx, form)


def summary_line(form: FormState) -> str:
    spec = spec_of(form)
    parts = [spec.title]
    for f in spec.fields:
        value = form.values.get(f.name)
        if value is not None and f.shown(form.values):
            parts.append(f.show(value))
    return " · ".join(parts)


def _send(ctx: Context, form: FormState, card: Card) -> None:
    ctx.retire_card(form.card_task_id, phrase("replaced"))
    sent = ctx.card(card)
    form.card_task_id = sent.task_id


def ask(ctx: Context, form: FormState, field: FieldSpec) -> None:
    form.stage = "filling"
    form.asking = field.name
    choices = field.choices(ctx, form.values) if field.choices else []
    if not choices:
        _send_text_question(ctx, form, field)
        return
    choices = tentative_first(choices, (form.values.get("tentative") or {}).get(field.name))
    card = build_card(
        "form_question",
        flow=FLOW,
        data={"form": form.id, "step": "ask", "field": field.name, "values": [c.value for c in choices]},
        question=field.question_for(ctx) if field.question_for else field.question,
        summary=summary_line(form),
        choices=[{"id": str(i), "text": c.text} for i, c in enumerate(choices)],
        dropdown=len(choices) > BUTTON_CHOICES,
    )
    _send(ctx, form, card)


def _send_text_question(ctx: Context, form: FormState, field: FieldSpec) -> None:
    ctx.retire_card(form.card_task_id, phrase("replaced"))
    form.card_task_id = None
    ctx.reply(f"{field.question_for(ctx) if field.question_for else field.question}{field.hint}")


def confirm(ctx: Context, form: FormState) -> None:
    spec = spec_of(form)
    form.stage = "confirming"
    form.asking = None
    if spec.rows is not None:
        rows = [{"label": label, "value": value} for label, value in spec.rows(ctx, form.values)]
    else:
        rows = [
            {"label": f.label, "value": f.show(form.values[f.name])}
            for f in spec.fields
            if form.values.get(f.name) is not None and f.shown(form.values)
        ]
    photos = sum(1 for a in form.attachments if a.get("kind") == "image")
    places = sum(1 for a in form.attachments if a.get("kind") == "location")
    card = build_card(
        "form_confirm",
        flow=FLOW,
        data={"form": form.id, "step": "confirm"},
        title=spec.title,
        rows=rows,
        photos=photos,
        located=bool(places),
    )
    _send(ctx, form, card)


# -- what the person types --------------------------------------------------------------------------


def intercept(ctx: Context) -> bool:
    """Give the open form the first look at a text message. True when the form dealt with it."""
    text = (ctx.inbound.text or "").strip()
    form = ctx.forms.current
    if commands.is_continue(text):
        resume(ctx)
        return True
    if form is None:
        return False
    if commands.is_cancel(text) or commands.is_withdraw(text):
        cancel(ctx, form)
        return True
    edit = commands.read_edit(text)
    if edit is not None and apply_edit(ctx, form, edit):
        return True
    if form.stage == "filling" and form.asking:
        u = ctx.understood = understand(text, ctx.local_now)
        # a new report (今天巡查2组…), not an answer (公共设施，路灯坏了): its handler opens a new draft and puts
        # this one on hold
        opens = catalogue().opens_report(text)
        report = u.sure and u.intent in catalogue().reports and (u.intent != form.kind or opens)
        if report and (opens or not spec_of(form).free_text):
            return False
        if take_answer(ctx, form, text):
            return True
        if u.sure and u.intent not in ("other", "ack"):
            return False  # a question, help, … goes through; the draft waits
        field = spec_of(form).field(form.asking)
        hint = field.hint if field else ""
        ctx.reply(f"抱歉，没能看懂这个回答。{hint}，或点上面卡片的选项。发送「取消」可放弃本次登记。")
        return True
    return False


def take_answer(ctx: Context, form: FormState, text: str) -> bool:
    field = spec_of(form).field(form.asking or "")
    if field is None:
        return False
    try:
        value = field.parse(text, ctx)
    except Invalid as exc:
        ctx.reply(f"{exc}{field.hint}。")
        return True
    if value is None:
        return False
    form.values[field.name] = value
    advance(ctx, form)
    return True


def apply_edit(ctx: Context, form: FormState, edit: commands.Edit) -> bool:
    spec = spec_of(form)
    if edit.field:
        field = spec.named(edit.field)
        if field is None:
            if not edit.explicit:
                return False  # "今天是…": not an edit of this form
            names = "、".join(f.label for f in spec.fields if f.editable)
            ctx.reply(f"{spec.title}里没有「{edit.field}」这一项，可以修改的有：{names}。")
            return True
        candidates = [field]
    else:  # 改成5组: whichever field takes the value, the one being asked first
        candidates = sorted((f for f in spec.fields if f.editable), key=lambda f: f.name != (form.asking or ""))
    for field in candidates:
        try:
            value = field.parse(edit.value, ctx)
        except Invalid as exc:
            if edit.field:
                ctx.reply(f"{exc}{field.hint}。")
                return True
            continue
        if value is None:
            continue
        form.values[field.name] = value
        ctx.reply(f"好的，{field.label}改为「{field.show(value)}」。")
        advance(ctx, form)
        return True
    if edit.field:
        ctx.reply(f"没能看懂新的{candidates[0].label}。{candidates[0].hint}。")
        return True
    return False


def resume(ctx: Context) -> None:
    form = ctx.forms.current
    if form is None:
        ctx.reply(NOTHING_OPEN)
        return
    ctx.reply(f"接着办您的{spec_of(form).title}：")
    advance(ctx, form)


def cancel(ctx: Context, form: FormState) -> None:
    spec = spec_of(form)
    ctx.retire_card(form.card_task_id, phrase("cancelled"))
    waiting = ctx.forms.close(form)
    ctx.reply(f"已取消，这份{spec.title}没有保存。")
    if waiting is not None:
        ctx.reply(f"您还有一份未提交的{spec_of(waiting).title}，发送「继续」接着办。")


def attach(ctx: Context, item: dict[str, Any]) -> FormState | None:
    """Keep a photo or location sent while a draft is open; it is filed with the report."""
    form = ctx.forms.current
    if form is None:
        return None
    form.attachments.append(item)
    ctx.forms.touch(form, ctx.now)
    field = spec_of(form).field(form.asking or "")
    if field is not None and field.filled_by_attachment:
        form.values[field.name] = str(item.get("kind"))
        advance(ctx, form)
    return form


# -- taps -------------------------------------------------------------------------------------------


def tapped(ctx: Context, card: Card) -> None:
    action = ctx.inbound.card_action
    assert action is not None
    form = ctx.forms.find(str(card.data.get("form", "")))
    if form is None:
        ctx.update_card(card.finished(phrase("expired")))
        ctx.reply("这份登记已过期或已处理。如需登记，请重新发送消息。")
        return
    if form.card_task_id != card.task_id:
        ctx.update_card(card.finished(phrase("replaced")))
        ctx.reply("这张卡片已被新的卡片代替，请在最新的卡片上操作，或发送「继续」。")
        return
    ctx.forms.touch(form, ctx.now)
    step = card.data.get("step")
    key = action.key
    if key == "cancel":
        form.card_task_id = None
        ctx.update_card(card.finished(phrase("cancelled")))
        cancel(ctx, form)
    elif step == "ask":
        value = _picked(card, action.key, action.selections)
        if value is _NOTHING:
            ctx.reply("请先选择一项，再点「确定」。")
            return
        field = spec_of(form).field(str(card.data.get("field")))
        if field is None:
            return
        form.values[field.name] = value
        form.card_task_id = None
        ctx.update_card(card.finished(phrase("chosen", text=field.show(value))))
        advance(ctx, form)
    elif step == "confirm" and key == "submit":
        submit(ctx, form, card)
    elif step == "confirm" and key == "edit":
        form.card_task_id = None
        ctx.update_card(card.finished(phrase("editing")))
        pick_field(ctx, form)
    elif step == "pick_field" and key.startswith("field:"):
        field = spec_of(form).field(key.removeprefix("field:"))
        form.card_task_id = None
        ctx.update_card(card.finished(phrase("chosen", text=field.label if field else "")))
        if field is None:
            advance(ctx, form)
        else:
            ask(ctx, form, field)
    else:
        form.card_task_id = None
        ctx.update_card(card.finished(phrase("chosen", text="返回")))
        advance(ctx, form)


_NOTHING = object()


def _picked(card: Card, key: str, selections: dict[str, list[str]]) -> Any:
    values = card.data.get("values") or []
    index: str | None = None
    if key.startswith("pick:"):
        index = key.removeprefix("pick:")
    else:
        chosen = selections.get("value") or []
        index = chosen[0] if chosen else (card.selection.selected if card.selection else None)
    if index is None or not index.isdigit() or int(index) >= len(values):
        return _NOTHING
    return values[int(index)]


def pick_field(ctx: Context, form: FormState) -> None:
    spec = spec_of(form)
    fields = [f for f in spec.fields if f.editable and f.shown(form.values)][:5]
    card = build_card(
        "form_pick_field",
        flow=FLOW,
        data={"form": form.id, "step": "pick_field"},
        title=spec.title,
        fields=[{"name": f.name, "label": f.label} for f in fields],
    )
    _send(ctx, form, card)
    ctx.reply("也可以直接发「改一下地点为王家湾」这样的话来修改。")


def submit(ctx: Context, form: FormState, card: Card) -> None:
    spec = spec_of(form)
    missing = spec.missing(form.values)
    if missing:
        form.card_task_id = None
        ctx.update_card(card.finished(phrase("chosen", text="待补充")))
        ask(ctx, form, missing[0])
        return
    try:
        filed = spec.file(ctx, form)
    except Invalid as exc:
        ctx.reply(str(exc))
        return
    ctx.update_card(card.finished(phrase("submitted", receipt=filed.receipt)))
    ctx.reply(filed.message)
    waiting = ctx.forms.close(form)
    if waiting is not None:
        ctx.reply(f"您还有一份未提交的{spec_of(waiting).title}，发送「继续」接着办。")


def tentative_first(choices: list[Choice], reading: Any) -> list[Choice]:
    """The reading the bot has but is not sure of (the message's `tentative` fields) as the first quick choice,
    so one tap confirms it."""
    if reading is None:
        return choices
    ahead = [c for c in choices if c.value == reading]
    return ahead + [c for c in choices if c.value != reading]


def choices_from(options: list[tuple[Any, str]]) -> list[Choice]:
    return [Choice(value, text) for value, text in options]
