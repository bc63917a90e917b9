"""Reading a leave (请假): the evidence that a message asks for one, and its fields (who, why, for which
meeting and day)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from handlers.nlu import lexicon as lx
from handlers.nlu.evidence import Evidence
from handlers.nlu.people import leave_names, looks_like_name
from handlers.nlu.readers import event_day, meeting_type

Fields = dict[str, Any]

# -- evidence --------------------------------------------------------------------------------------------

OPENS = re.compile(r"请假")  # 张三请假…: a new leave, not an answer to the open form
LEAVE = re.compile(r"请假|请个假|请一?天假|请.{1,3}天假|请半天假|告假|假条|请病假|请事假|销假")
CANT_ATTEND = re.compile(
    r"去不了|来不了|参加不了|不能参加|无法参加|没法参加|参加不成|不参加了|到不了|赶不回|回不来|来不成|"
    r"去不成|请不了|出席不了|(?<!不得)(?<!不要)(?<!严禁)(?<!禁止)(?<!无故)(?<!不能)缺席|不能到会|不能出席|不能去|没法去|去不成"
)
NOT_A_LEAVE = re.compile(
    r"(?:没|没有|未|不)请假|请假.{0,3}(?:吗|么|呢|\?|？|怎么|找谁|要(?:找|怎么|咋|写|交|提前|多|几|什么|啥))"
    r"|怎么请假|请假(?:条|制度|规定|流程|手续)"  # 请假要找谁 asks; 请假 要去县里培训 gives the reason
)


def evidence(text: str, ev: Evidence, future: bool = False) -> None:
    if (m := LEAVE.search(text)) and not NOT_A_LEAVE.search(text):
        ev.add("leave", 3.5, f"'{m.group(0)}'")
    if m := CANT_ATTEND.search(text):
        ev.add("leave", 2.5 if lx.MEETING_WORD.search(text) else 1.5, f"cannot attend '{m.group(0)}'")


def head_threshold(body: str, head: str, done: bool) -> float:
    """孙红请假，去新疆摘棉花。出去半年要办活动证吗？: the leave stands, the question follows."""
    if re.search(r"[。!！]", body) and not re.search(r"上次|之前|以前|没请|未请", head):
        return 3.0
    return 4.5


# -- fields ----------------------------------------------------------------------------------------------

REASON_HINT = re.compile(
    r"外出|务工|打工|出差|生病|病了|病|住院|复查|看病|就医|体检|手术|身体|不舒服|发烧|感冒|医院|输液|挂水|打针|"
    r"家里|家中|孩子|老人|老婆|爱人|媳妇|母亲|父亲|老娘|老爹|婚|丧|葬|满月|学习|培训|考试|开会|值班|加班|"
    r"上班|办事|有事|在外|外地|城里|县里|市里|省里|探亲|走亲戚|农忙|收割|秋收|抢收|收稻|收麦|种地|插秧|赶集|"
    r"陪|接送|照顾|护理|出门|回老家|去.{1,6}(?:看|办|开)|生孩子|坐月子|年纪|腿脚|不方便|走不开|脱不开|忙"
)
LEAVE_WORD = re.compile(
    r"请(?:个|一天|两天|半天|\d+天)?(?:病|事)?假|告假|假条|去不了|来不了|参加不了|不能参加|无法参加|没法参加|到不了|缺席"
)
ADDRESS = re.compile(r"^(?:书记|支书|主任|组长|领导|老师|村长|镇长|各位|大家好|您好|你好|麻烦|不好意思|抱歉)+$")
FILLER_START = re.compile(
    r"^(?:因为|由于|因|是因为|主要是|原因是|理由是|事由|我要|我得|我|本人|要|得|需要|准备|打算|说|是|就|又|所以|那天|那个|就是|"
    r"了|嗯|啊|(?:两个?人|他们|她们|他|她|俩人?|2个?人)(?:都)?是?|sorry)+",
    re.I,
)
FILLER_END = re.compile(r"(?:了|的|啊|呢|哈|吧|哦|呀|嘛|所以|去不了|来不了|参加不了|请个假|请假|一下|谢谢|谢谢书记)+$")
MEETING_OR_TIME = re.compile(
    r"^(?:明天|明儿|后天|今天|今儿个?|今晚|明早|下周.|周.|星期.|礼拜.|\d+号|\d+月\d+[日号]?|这次|下次|本次|上午|"
    r"下午|晚上|的|党员大会|支部大会|支委会|党小组会|小组会|党课|主题党日|组织生活会|会议|会|活动|学习)+$"
)
SKIP_CLAUSE = re.compile(
    r"^(?:收到|好的|好|嗯|喂|那个|sorry|不好意思|抱歉|谢谢|麻烦了)$|党员大会|支部大会|支委会|党小组会|党课|主题党日|"
    r"组织生活会|支部委员会",
    re.I,
)


def leave_reason(original: str) -> str | None:
    text = original.strip()
    candidates: list[str] = []
    for inner in re.findall(r"[（(]([^)）]{2,20})[)）]", text):
        candidates.append(inner)
    text = re.sub(r"[（(][^)）]*[)）]", " ", text)
    for clause in re.split(r"[,，。.;；!！?？:：\s]+", text):
        clause = clause.strip()
        if not clause or ADDRESS.match(clause):
            continue
        if m := LEAVE_WORD.search(clause):
            rest_after = clause[m.end() :]
            rest_before = clause[: m.start()]
            for part in (
                rest_after,
                re.split(r"因为|由于|因", rest_before)[-1] if re.search(r"因为|由于|因", rest_before) else "",
            ):
                if part.strip():
                    candidates.append(part)
            continue
        candidates.append(clause)
    cleaned = []
    for c in candidates:
        c = FILLER_START.sub("", c.strip())
        c = FILLER_END.sub("", c).strip()
        if len(c) < 2 or MEETING_OR_TIME.match(c) or ADDRESS.match(c) or SKIP_CLAUSE.search(c):
            continue
        if looks_like_name(c) and not REASON_HINT.search(c):
            continue  # a bare name, not a reason
        cleaned.append(c)
    cleaned = [_without_leading_name(c) for c in cleaned]
    hinted = [c for c in cleaned if REASON_HINT.search(c)]
    pick = hinted or cleaned
    return pick[0] if pick else None


def _without_leading_name(clause: str) -> str:
    """罗永福身体不好 → 身体不好: the reason, not who has it."""
    from handlers.nlu.people import leading_name

    name = leading_name(clause)
    rest = clause[len(name) :] if name else clause
    return rest if name and len(rest) >= 2 and REASON_HINT.search(rest) else clause


def leave_fields(text: str, original: str, now: datetime) -> Fields:
    out: Fields = {"names": leave_names(text)}
    reason = leave_reason(original)
    if reason:
        out["reason"] = reason
    kind = meeting_type(text)
    if kind:
        out["meeting_type"] = kind
    day = event_day(text, now, "future")
    if day:
        out["date"] = day.isoformat()
    return out
