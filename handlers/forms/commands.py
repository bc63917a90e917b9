"""The few words that steer a form rather than answer it: 继续, 取消, 撤回, and edits such as
改一下地点为王家湾 / 类别改成治安 / 把日期改为昨天."""

from __future__ import annotations

import re
from dataclasses import dataclass

CONTINUE = re.compile(
    r"^(?:继续|接着|继续(?:登记|填写|上报|办理|填|报)|接着(?:办|填|报|来)|还没(?:报|填)完)[。.!！~]*$"
)
CANCEL = re.compile(
    r"^(?:取消|不报了|不要了|不用了|算了|放弃|不填了|取消(?:登记|上报|填写|这条|这个|本次))(?:吧|了)?[。.!！~]*$"
)
WITHDRAW = re.compile(
    r"^(?:撤回|撤销|撤掉|删掉|删除)(?:刚才|上一条|那条|这条|刚刚|刚发)?(?:的|那条|这条)?(?:\S{0,6})?[。.!！~]*$"
)
EDIT = re.compile(
    r"^(?:请|麻烦)?(?:帮我)?(?:改一下|改下|修改一下|修改|更改|更正|改|把)?\s*"
    r"(?P<field>[\u4e00-\u9fa5]{1,5}?)\s*"
    r"(?:改成|改为|改到|换成|换为|应该是|应为|更正为|修改为|更改为|是|为|[:：])\s*"
    r"(?P<value>.{1,60}?)[。.!！]*$"
)
EDIT_VERB = re.compile(r"改|换|更正|应该是|应为")
EDIT_BARE = re.compile(r"^(?:改成|改为|换成|应该是|更正为)\s*(?P<value>.{1,60}?)[。.!！]*$")


@dataclass(frozen=True)
class Edit:
    field: str
    value: str
    explicit: bool  # said with an edit verb (改/换/更正), not just "地点是…"


def read_edit(text: str) -> Edit | None:
    bare = EDIT_BARE.match(text.strip())
    if bare:
        return Edit("", bare.group("value").strip(), True)
    m = EDIT.match(text.strip())
    if not m:
        return None
    return Edit(m.group("field"), m.group("value").strip(), bool(EDIT_VERB.search(text)))


def is_continue(text: str) -> bool:
    return bool(CONTINUE.match(text.strip()))


def is_cancel(text: str) -> bool:
    return bool(CANCEL.match(text.strip()))


def is_withdraw(text: str) -> bool:
    return bool(WITHDRAW.match(text.strip()))
