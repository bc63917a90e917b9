"""发通知: the declaration of the broadcast intent (handled by handlers/broadcast.py) and its fields — whom
the notice is for and what it says, both kept as written (a same-pinyin slip in the audience put back:
通知全体党圆 is for 全体党员; the content stays exactly as sent)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from handlers.catalogue import Intent
from handlers.nlu.homophones import correct

Fields = dict[str, Any]

AUDIENCE_HEAD = (
    r"网格员|网格长|党员|书记|支书|支委|委员|干部|组长|村民|群众|代表|成员|同志|人员|两委|村委|班子|联系户|户主|大家|"
    r"各位|们|小组长|专干|监委会|队长|楼长|妇女|青年|老人|工作队|专班|队员|小组|主任|会计|文书|负责人|组员"
)
_HEAD = re.compile(rf"的?(?:全体|所有|各位?)?(?:{AUDIENCE_HEAD})")
BROADCAST = re.compile(
    rf"(?P<verb>通知|告诉|转告|提醒|告知|通告)(?:一下|下)?(?P<aud>[^:：,，。!！?？\s]{{0,10}}?(?:{AUDIENCE_HEAD}))(?:一下|下)?"
    rf"(?P<rest>.*)$",
    re.S,
)


def broadcast_fields(text: str, original: str, now: datetime) -> Fields:
    out: Fields = {}
    sent = original.strip()
    fixed = correct(sent)  # same length as sent: a slip is put back character for character
    m = BROADCAST.search(fixed)
    if not m:
        return out
    audience, at = m.group("aud"), m.start("rest")
    while extra := _HEAD.match(fixed, at):  # 全体党员干部: keep the whole noun phrase
        audience, at = audience + extra.group(0), extra.end()
    rest = sent[at:]
    out["audience"] = audience.removeprefix("一下").strip()
    colon = re.match(r"\s*(?:一下|下)?\s*[:：]\s*(?P<content>.+)$", rest, re.S)
    if colon:
        content = colon.group("content").strip()
        if content:
            out["content"] = content
    return out


def _describe(fields: Fields) -> list[str]:
    return [f"发给{fields['audience']}"] if fields.get("audience") else []


# Its classifier rule is one of the decisive ones (handlers/nlu/intents.py): a request to notify a group.
DECLARED = (
    Intent(
        name="broadcast",
        label="发通知",
        rank=100,
        fields=broadcast_fields,
        required=("audience", "content"),
        offered=True,
        describe=_describe,
    ),
)
