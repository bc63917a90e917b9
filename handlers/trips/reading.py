"""Reading a trip to a village (下村走访): the evidence that a message reports or plans one, and its fields
(the day, the village, how many households, done or planned)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from handlers.nlu.chinese_time import Prefer, extract
from handlers.nlu.evidence import Evidence
from handlers.nlu.lexicon import rx
from handlers.nlu.readers import event_day

Fields = dict[str, Any]

# -- words -----------------------------------------------------------------------------------------------

TRIP_WORDS = rx(
    r"下村 进村 入户 走访 驻村 包村 下乡 到村 去村 下组 家访 回访 院坝会 屋场会 走村 村里走 看望 慰问 看了\d+户 去了趟"
)
NO_TRIP = rx("(?:没|没有|未|不|没能)(?:去)?(?:下村|进村|下乡|去村|出去|走访) 下村取消 走访取消 取消了?(?:下村|走访)")
PLANNED = rx(r"""明天 明日 明儿 后天 大后天 下周 下个?星期 下个?礼拜 下个月 下月 计划 准备 打算 拟 将要 将于 要去 预计
    安排(?:去|在) 想去 回头去 过两天 改天 待会 一会儿?去 等会 ^\s*去""")

# -- evidence --------------------------------------------------------------------------------------------

OPENS = re.compile(r"走访|下村")  # 今天去李家村走访…: a new trip, not an answer to the open form


def evidence(text: str, ev: Evidence, future: bool = False) -> None:
    if m := TRIP_WORDS.search(text):
        ev.add("trip", 2.5, f"trip word '{m.group(0)}'")
        if re.search(r"走访.{0,8}\d+户|\d+户", text):
            ev.add("trip", 1.0, "households")
    if (m := re.search(r"(?:去|到|赴|在|前往|跑了)(?:了)?(?:趟|一趟)?[\u4e00-\u9fa5]{1,4}村", text)) and villages(text):
        ev.add("trip", 2.0, f"to a village '{m.group(0)}'")
    if m := PLACE_VISITED.search(text):  # 去石门坝看看: a trip to a place named as settlements are
        ev.add("trip", 2.0, f"to a place '{m.group(0)}'")
    if (m := NO_TRIP.search(text)) and not villages(text):
        ev.add("trip", -6.0, f"no trip '{m.group(0)}'")
        ev.add("other", 3.0, "says no trip happened")


def head_threshold(body: str, head: str, done: bool) -> float:
    return 3.0 if done else 4.5  # a trip reported done needs less to stand before a question


# -- fields ----------------------------------------------------------------------------------------------

NOT_VILLAGE = {
    "下村",
    "进村",
    "驻村",
    "包村",
    "到村",
    "去村",
    "本村",
    "全村",
    "各村",
    "该村",
    "此村",
    "邻村",
    "外村",
    "老村",
    "合并村",
    "行政村",
    "自然村",
    "农村",
    "乡村",
    "村村",
    "回村",
    "出村",
    "在村",
    "整村",
    "每村",
    "两村",
    "三村",
    "几个村",
    "贫困村",
    "示范村",
    "重点村",
    "试点村",
    "新村",
    "这个村",
    "那个村",
    "个村",
    "联系村",
    "挂钩村",
    "帮扶村",
    "走村",
    "入村",
    "返村",
    "离村",
    "两个村",
    "他村",
    "别的村",
    "周边村",
    "附近村",
    "兄弟村",
    "后进村",
    "软弱村",
    "涣散村",
    "先进村",
    "空壳村",
    "薄弱村",
    "集体村",
    "本镇村",
    "全镇村",
}
VERB_BEFORE_VILLAGE = set("下进驻包到去回出入走返离全本各该此邻外每整乡农过")
LEAD_CHARS = set("去到在赴往进至从和与跟回了的是于访驻包下来人个们天后前里都也再又先把给就还及并同趟")
NOT_NAME_TAIL = re.compile(
    r"村(?:委|民|务|级|里|部|组|干|口|头|庄|支部|党支部|小学|卫生室|书记|主任|长|两委|医|广场|道|集体|规|容|貌|情|落|会计|文书|监委)"
)


def villages(text: str) -> list[str]:
    """Village names (X村, or 屯/寨 where that is how villages are named) in order: 去李家村 → 李家村."""
    found = _places(text, "村")
    if not found:
        found = [p for p in _places(text, "屯") + _places(text, "寨") + _places(text, "嘎查") if len(p) >= 3]
    if not found:
        found = list(dict.fromkeys(m.group("p") for m in PLACE_VISITED.finditer(text)))
    return found


# Where the sentence says a place was gone to and visited (去马家坪走访, 到石板坝入户, 下到十里店): a name
# ending as settlements are named, read from the grammar around it, as no lexicon holds every hamlet.
SETTLEMENT = "坪坝岗冲垸洼店湾塆庄铺堡营塘岭沟屯寨峪坳圩堰集"
PLACE_VISITED = re.compile(
    rf"(?:去了?|到了?|赴|前往|下到|来到|跑了?一?趟)(?P<p>[\u4e00-\u9fa5]{{1,4}}?[{SETTLEMENT}])"
    r"(?=走访|入户|看了|看看|看一?下|看望|慰问|了解|走了|调研|检查|开展|[,，\s。]|\d|[一二三四五六七八九十两]+户)"
)


def _places(text: str, suffix: str) -> list[str]:
    found: list[str] = []
    for m in re.finditer(suffix, text):
        end = m.end()
        if suffix == "村" and NOT_NAME_TAIL.match(text, m.start()):
            continue
        if suffix != "村" and re.match(r"[子口头里上边]", text[m.end() : m.end() + 1]):
            continue  # 寨子口: a place in a village, not its name
        window = text[max(0, m.start() - 5) : m.start()]
        window = re.split(r"[^\u4e00-\u9fa5]", window)[-1]
        if not window:
            continue
        name = window[-4:]
        for cut in range(len(name) - 1, 0, -1):  # the rightmost verb or preposition that leaves a 2-char name
            if name[cut - 1] in LEAD_CHARS and len(name) - cut >= 2:
                name = name[cut:]
                break
        else:
            if name[0] in LEAD_CHARS and len(name) >= 3:
                name = name[1:]
        village = name + suffix
        if name[-1] in VERB_BEFORE_VILLAGE:
            continue  # 没下村, 去驻村: a verb, not a name
        if village in NOT_VILLAGE or any(village.endswith(w) and len(w) == len(village) for w in NOT_VILLAGE):
            continue
        if len(name) < 1 or (text[end - 2 : end] in ("下村", "驻村", "包村", "进村") and len(name) < 2):
            continue
        if village not in found:
            found.append(village)
    return found


HOUSEHOLDS = re.compile(
    r"(?:走访|入户|访|看望|慰问|上门|联系|跑了|去了|走了|到)[^,，。;；]{0,10}?(?P<n>\d+)\s*户|(?P<n2>\d+)\s*户"
)


TOTAL_HOUSEHOLDS = re.compile(
    r"(?:共|一共|总共|合计|累计|加起来|总计|共计)(?:走访|入户|看望|慰问|联系)?\S{0,4}?(?P<n>\d+)\s*户"
)
VISITED = re.compile(r"(?:走访|入户|访|看望|慰问|上门|走了|看了|去了|跑了)[^,，。;；\d]{0,8}?(?P<n>\d+)\s*户")


def household_count(text: str) -> int | None:
    """走访5户 → 5; 上午走了5户…下午又走了3户 → 8; 共走访12户 → 12; a subset after 其中 does not count."""
    text = re.sub(r"其中.*$", "", text)
    if total := TOTAL_HOUSEHOLDS.search(text):
        return int(total.group("n"))
    visits = [int(m.group("n")) for m in VISITED.finditer(text)]
    if len(visits) > 1 and re.search(r"又|再|还|另外|下午|晚上", text):
        return sum(visits)
    if visits:
        return visits[0]
    plain = HOUSEHOLDS.search(text)
    return int(plain.group("n") or plain.group("n2")) if plain else None


TRIP_ACT = re.compile(r"去|到|走访|下村|入户|驻村|进村")


def trip_fields(text: str, original: str, now: datetime) -> Fields:
    out: Fields = {}
    done = re.search(r"了(?!解)|已|完|过(?![年节来去后])|刚|回来|打卡|补报|补录|共|收集|开展了", text)
    due_later = any(s.deadline and s.end > now for s in extract(text, now, "future"))  # 本月内去刘庄村
    planned = (PLANNED.search(text) or due_later) and not done
    prefer: Prefer = "past" if done else "future" if planned else None
    day = event_day(text, now, prefer, TRIP_ACT)
    if day is None and re.search(r"打卡|现在在|正在|刚到|到了", text):
        day = now.date()  # 下村打卡: a check-in on the spot
    if day:
        out["date"] = day.isoformat()
    names = villages(text)
    if len(names) == 1:
        out["village"] = names[0]
    households = household_count(text)
    if len(names) <= 1 and households is not None:
        out["households"] = households
    today = now.date()
    if day and day > today:
        out["planned"] = True
    elif day and day < today:
        out["planned"] = False
    else:
        out["planned"] = bool(planned)
    return out
