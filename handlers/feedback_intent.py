"""投诉建议, declared once (handlers/catalogue.py); handled by handlers/feedback.py. The classifier's rule is one
of the decisive ones (lx.FEEDBACK in handlers/nlu/intents.py): the sender's own label — 投诉建议：…, 我要投诉…,
提个建议，…, …，我要投诉. The fields are what the label says (kind) and the words after it (text), kept as written.

A complaint is filed by the sender like a report, so it is declared as one: when the label comes without the
words, the feedback form asks for them (handlers/feedback.py)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from handlers.catalogue import Intent
from handlers.nlu import lexicon as lx
from handlers.nlu.evidence import Evidence

Fields = dict[str, Any]
KIND_LABELS = {"complaint": "投诉", "suggestion": "建议"}

_ACK_PREFIX = re.compile(r"^\s*(?:@\S+\s+)?(?:(?:收到|好的|好|明白|嗯|ok)[\s,.!，。！]+)?", re.I)
# what may sit between the label and the words: separators, a particle (我要投诉呀 …, 提个建议哈 …), an emoji
_LEAD = re.compile(
    r"^(?:[\s:：,，.。!！~～、;；\-—]|[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F]|啊|哈|呀|嘛|吧|哦|呢|撒|哟|嘞)+"
)
_TAIL = re.compile(r"[\s:：,，、;；\-—]+$")
# 投诉建议在哪里提 / 我想提个建议，怎么提: a question about how, not the words to file
HOW_ONLY = re.compile(
    r"^(?:请问)?(?:在哪(?:里|儿)?|去哪(?:里|儿)?|哪里|怎么|如何|咋|怎样)(?:能|可以|才能)?(?:提|发|弄|反映|写|投诉|说|办)?"
    r"(?:呢|啊|呀)?[?？。.!！]*$"
)
_WORDS = re.compile(r"[\u4e00-\u9fa5A-Za-z0-9]")
# 我对补助的发放有意见: the label says what it is about
OBJECTS_TO = re.compile(r"对.+有意见")
# what a suggestion says (能不能…, 希望…, 最好…) when only the joint label 投诉建议 names it
SUGGESTING = re.compile(
    r"建议|希望|能不能|能否|可否|可不可以|是否可以|最好|不如|改成|改为|改到|增加|多(?:装|设|配|开|放)|早点|提前"
)


def kind_of_label(label: str) -> str | None:
    """投诉… and 有意见 (an objection) → complaint, 建议 / 提个意见 / 提议 → suggestion; the joint label and
    反映 / 反馈 / 吐槽 leave it to the words."""
    if re.search(lx.FEEDBACK_JOINT, label) or re.search(lx.KINDLESS, label):
        return None
    if re.search(lx.TOUSU, label) or "有意见" in label:  # 有意见 objects; 有个意见 offers one
        return "complaint"
    if re.search(lx.SUGGEST, label):
        return "suggestion"
    return None


def kind_of_words(text: str) -> str:
    """For a message whose label does not say: a suggestion if it reads as one, else a complaint."""
    return "suggestion" if SUGGESTING.search(text) else "complaint"


def words_of(text: str) -> str | None:
    """The words to file, as written; None when there are none (我要投诉) or they only ask how (怎么提)."""
    words = _TAIL.sub("", _LEAD.sub("", text.strip()))
    if len(_WORDS.findall(words)) < 2 or HOW_ONLY.match(words):
        return None
    return words


def feedback_fields(text: str, original: str, now: datetime) -> Fields:
    out: Fields = {}
    said = _ACK_PREFIX.sub("", original.strip(), count=1)
    m = lx.FEEDBACK.search(said)
    if m is None:  # the label only the normalised text shows (a full-width letter, an emoji in it)
        said = _ACK_PREFIX.sub("", text.strip(), count=1)
        m = lx.FEEDBACK.search(said)
    if m is None:  # read as feedback from the clarify card: the whole message is the words
        words = words_of(said)
        if words:
            out["text"] = words
        return out
    kind = kind_of_label(m.group(0))
    if kind:
        out["kind"] = kind
    words = words_of(said[m.end() :] if m.start() == 0 else said[: m.start()])
    if words is None and OBJECTS_TO.search(m.group(0)):
        words = words_of(said)  # 我对补助的发放有意见: what it is about is in the label itself
    if words:
        out["text"] = words
    return out


# 今天巡查2组无异常，另外我想提个建议…: the label inside a message, weighed with the rest (at its start or end the
# decisive rule has already taken it)
_INSIDE = re.compile(rf"(?:我|俺|咱)(?:要|想)(?:{lx.TOUSU}|提(?:个|点|一个|1个)?{lx.SUGGEST})")


def evidence(text: str, ev: Evidence, future: bool = False) -> None:
    if m := _INSIDE.search(text):
        ev.add("feedback", 2.0, f"the sender's own complaint or suggestion '{m.group(0)}'")


def describe(fields: Fields) -> list[str]:
    """投诉建议 · 投诉 · 村口路灯坏了…"""
    parts = []
    if fields.get("kind") in KIND_LABELS:
        parts.append(KIND_LABELS[fields["kind"]])
    text = str(fields.get("text") or "")
    if text:
        parts.append(text if len(text) <= 12 else text[:11] + "…")
    return parts


DECLARED = (
    Intent(
        name="feedback",
        label="投诉建议",
        rank=87,
        report=True,
        fields=feedback_fields,
        evidence=evidence,
        weighed=60,
        opens=lx.FEEDBACK,
        required=("text",),
        form="feedback",
        offered=True,
        describe=describe,
    ),
)
