"""The fields of each intent, as NLU-CONTRACT.md defines them, read from one message.

Only what the message determines is returned: no grid when two are named, no category when the problems
differ, no date unless a day is named. Fields kept "as written" (a leave reason, a notice's audience and
content) are read from the original text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from handlers.nlu import lexicon as lx
from handlers.nlu.chinese_time import Prefer, extract
from handlers.nlu.numbers import NUM, to_int
from handlers.nlu.people import absentees, leave_names, looks_like_name

Fields = dict[str, Any]


# -- shared ---------------------------------------------------------------------------------------------


HOLIDAY_REFERENCE = re.compile(r"^(?:过后|以后|之后|后|过了)")


def event_day(text: str, now: datetime, prefer: Prefer, action: re.Pattern[str] | None = None) -> date | None:
    """The day something happens on, if the message names one (not a deadline, not a week or month).

    With several, the one nearest before the action word wins: 上周五到这周一连着下雨 今天才巡查 → 今天;
    明天元旦值班 后天去白鹤村走访 → 后天.
    """
    days = []
    for span in extract(text, now, prefer):
        if span.deadline or HOLIDAY_REFERENCE.match(text[span.pos[1] :]):
            continue  # 元旦后1月3日: the holiday is only the reference point
        if span.grain in ("minute", "hour", "part", "day") or (
            span.grain == "range" and span.start.date() < span.end.date()
        ):
            days.append(span)
    if not days:
        return None
    act = action.search(text) if action else None
    if act and len(days) > 1:
        before = [s for s in days if s.pos[1] <= act.start()]
        if before:
            pick = len(before) - 1
            while pick > 0 and re.fullmatch(
                r"\s*(?:和|与|及|、|,|，|至|到|-|~)\s*", text[before[pick - 1].pos[1] : before[pick].pos[0]]
            ):
                pick -= 1  # 4月25日和4月26日两天: the first day of the pair
            return before[pick].date
    return days[0].date


def meeting_type(text: str) -> str | None:
    mentions = sorted((m.start(), canonical) for pattern, canonical in lx.MEETING_TYPES for m in pattern.finditer(text))
    kinds = list(dict.fromkeys(canonical for _, canonical in mentions))
    if len(kinds) == 1:
        return kinds[0]
    if len(kinds) > 1:
        first, second = mentions[0], next(m for m in mentions if m[1] != mentions[0][1])
        between = text[first[0] : second[0]]
        if re.search(r"加|和|及|暨|与|\+|结合|合并|同时|一起", between) and len(between) < 10:
            return None  # 主题党日加党课: a combined meeting has no single type
        return first[1]  # the meeting reported; later ones are its topics (研究主题党日安排)
    return None


# -- patrol ----------------------------------------------------------------------------------------------

GRID_RE = re.compile(rf"(?:第)?(?P<n>{NUM})\s*(?:组|小组|网格)(?![长员织])")
HAMLET_SUFFIX = "湾塆坝庄屯寨岭沟坪洼塘冲垸台院坳场营堡铺"
STRONG_SUFFIX = "湾塆坝屯寨岭沟坪洼垸坳冲"  # 院/场/台 end too many ordinary words (院墙, 操场) to stand alone
NOT_IN_NAME = "在巡查了到去上下为有是的和把被给让从往向与跟就都也还又很太区"
HAMLET_RE = re.compile(
    rf"(?P<h>[\u4e00-\u9fa5]家[{HAMLET_SUFFIX}]"
    rf"|(?<![{NOT_IN_NAME}])[^\W\d_{NOT_IN_NAME}][^\W\d_{NOT_IN_NAME}][{STRONG_SUFFIX}](?![边上里头子口]))"
    rf"|(?:^|(?<=[\s,，。:：]))(?P<h1>[^\W\d_{NOT_IN_NAME.replace('上', '').replace('下', '')}][{STRONG_SUFFIX}])(?=[\s,，。]|有|发现|那|进行|巡|的)"
)
COUNTED = re.compile(r"(?P<n>\d+)\s*(?:处|个|起|件|盏|根|棵|堆|辆|块|口|座|台|条|袋|桶|车|片|间|户|张|幅)")
VAGUE = re.compile(
    r"好几(?:处|个|堆|起|件|家|户|根|盏|条)|若干|一些|几处|多处|不少(?:处|地方)|很多(?:处|地方)|好多(?:处|地方)|一堆堆|到处"
)
DAMAGED = re.compile(r"坏了|损坏|破损|倾斜|漏雨|漏水|堵了|堵塞|断了|不亮|塌了|裂了|烧着|在烧|正在|还在")


PATROLLED_PLACE = re.compile(
    r"(?:巡查|巡了|巡逻|巡完|巡|走了|转了)(?:了|完|到)?(?:一?下|一遍|一圈|一趟)?(?P<p>[\u4e00-\u9fa5]{2,4}?)(?=[\s,，。:：]|发现|那边|附近|一带|时|有)"
)
NOT_PLACE = re.compile(
    r"^(?:发现|一下|一遍|一圈|过程|途中|中|时|路上|村口|河边|路边|山上|集镇|学校|村部|村里|街上|公路|全村|各组|"
    r"辖区|网格|片区|重点|情况|一趟|下午|上午|晚上|早上|今天|昨天|检查|工作|完毕|结束|回来|过了|的时候|区域|范围|日志)$|组|村|网格|"
    r"巡|查|发现|人|户|家里"
)


TIME_WORDS = re.compile(r"晚上|早上|上午|下午|昨晚|今早|中午|今天|昨天|前天|今儿个?|昨儿|辖区|区域|范围")


def grid(text: str) -> str | None:
    """One 组 (3组, 第五组 → 5组) or one named hamlet (王家湾) the patrol covered; None for several."""
    numbers = []
    for m in GRID_RE.finditer(text):
        value = to_int(m.group("n"))
        if value is not None and 0 < value < 100 and value not in numbers:
            numbers.append(value)
    listed = re.search(rf"{NUM}\s*[、,，和及与]\s*{NUM}\s*组", text)  # 1、2、4组
    if len(numbers) == 1 and not listed:
        return f"{numbers[0]}组"
    if numbers:
        return None
    hamlets = []
    for m in PATROLLED_PLACE.finditer(text):
        place = m.group("p")
        if not NOT_PLACE.search(place) and place not in hamlets:
            hamlets.append(place)
    for m in re.finditer(
        rf"(?:在|到|去)(?P<p>[\u4e00-\u9fa5]{{1,3}}[{HAMLET_SUFFIX}])(?=[\s,，。]|巡|有|发现|那|附近|一带)", text
    ):
        if m.group("p") not in hamlets and not any(m.group("p") in h or h in m.group("p") for h in hamlets):
            hamlets.append(m.group("p"))
    time_lead = re.compile(r"^(?:晚上|早上|上午|下午|昨晚|今早|中午|今天|昨天|前天)")
    hamlets = [time_lead.sub("", h) for h in hamlets]
    for m in HAMLET_RE.finditer(re.sub(TIME_WORDS, lambda t: " " * len(t.group(0)), text)):
        place = m.group("h") or m.group("h1")
        if place not in hamlets and not any(place in h or h in place for h in hamlets):
            hamlets.append(place)
    return hamlets[0] if len(hamlets) == 1 else None


PLACE_AFTER = re.compile(r"边|旁|上|下|里|口|附近|那边|一带|门口|周边")  # 水渠边, 电线杆上: where, not what


INSTITUTIONS = re.compile(
    r"卫生室|卫生院|卫生所|派出所|供电所|电力所|水厂|城建办|应急办|民政办|残联|司法所|综治中心|村部|村委会"
)


def category(text: str) -> tuple[str | None, dict[str, float]]:
    text = INSTITUTIONS.sub("", text)
    if m := re.search(r"(?:有|存在|属于|是)(安全隐患|治安隐患|矛盾纠纷|环境卫生问题|公共设施问题)", text):
        named = {
            "安全隐患": "安全隐患",
            "治安隐患": "治安",
            "矛盾纠纷": "矛盾纠纷",
            "环境卫生问题": "环境卫生",
            "公共设施问题": "公共设施",
        }[m.group(1)]
        return named, {named: 9.0}
    if re.search(r"(?:报|算|归|属于?|选|填)其他|其他类|类别.{0,3}其他", text):
        return "其他", {"其他": 9.0}
    scores: dict[str, float] = {}
    for name, patterns in lx.CATEGORY_RES.items():
        for pattern, weight in patterns:
            hits = [m for m in pattern.finditer(text) if not PLACE_AFTER.match(text, m.end())]
            if hits:
                scores[name] = scores.get(name, 0.0) + weight + 0.2 * (len(hits) - 1)
    if not scores:
        return None, scores
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[1][1] >= 2.0 and ranked[0][1] - ranked[1][1] < 0.6:
        return None, scores  # two different kinds of problem
    return ranked[0][0], scores


PEOPLE_AFTER = re.compile(r"[^,，。\s]{0,6}?(?:人|小孩|孩子|老人|村民|学生|男子|女子|兄弟|夫妻|姐妹)")
PARTIES = re.compile(r"吵|纠纷|矛盾|打架|争执|扯皮")
BREAKDOWN = re.compile(r"\s*(?:在|已|还|也|是|位于|都)")
HANDLED_COUNT = re.compile(r"(?:已|清理|处理|解决|修好|拆除|另外?|其中|其余)\S{0,2}$")
REMAINING = re.compile(r"(?:还有|剩下?|还剩)\S{0,2}$")
ENUMERATED = re.compile(r"(?:^|[\s:：,，;；])(?:\d|[一二三四五六七八九])[.、)）](?!\d)")
GENERIC_TOTAL = re.compile(r"(?P<n>\d+)(?:处|个|项|条|件)(?:问题|隐患|情况|事)")
MORE_DISPUTES = re.compile(r"(?:还有|另外|另有|此外)\d+户\S{0,4}(?:打架|吵|闹|纠纷|矛盾|扯皮)")  # 还有2户打架: one more
PROBLEM_WORDS = re.compile(
    r"坏|破|漏|堵|塌|倒|乱|满|裂|松动|没人管|不亮|断|烂|脏|臭|火|烧|偷|打|吵|闹|煤炉|烟囱|没装|横流|溢|在.{1,8}(?:充电|晾|晒|玩|游泳|堆|放|烧|倒)"
)


def has_problem(clause: str) -> bool:
    return any(p.search(clause) for patterns in lx.CATEGORY_RES.values() for p, _ in patterns) or bool(
        PROBLEM_WORDS.search(clause)
    )


def _clause_at(text: str, start: int) -> str:
    end = re.search(r"[,，。;；]|\s(?=已|都|均)", text[start:])
    return text[start : start + end.start()] if end else text[start:]


def more_problems(text: str) -> int:
    """还有/另外 + another problem: 电动车在楼道充电…另外村东头路灯不亮 → one more."""
    extra = 0
    for m in re.finditer(r"还有|另外|另有|此外", text):
        if not has_problem(NORMAL.sub("", text[: m.start()])):
            continue  # 2组正常 还有个事 …: the first problem, not another one
        if MORE_DISPUTES.match(text, m.start()):
            extra += 1
            continue
        if re.match(r"\s*(?:\d|一|两|另|其)", text[m.end() :]):
            continue  # 另外2户还没动: the ones already counted
        if has_problem(_clause_at(text, m.end())):
            extra += 1
    return extra


NORMAL = re.compile(r"[^,，。;；\s]{0,8}(?:正常|没问题|无异常)")


def _clause_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(c, 0, start) for c in ",，。;；、 ") + 1
    right = re.search(r"[,，。;；、\s]", text[end:])
    return text[left : end + right.start()] if right else text[left:]


def issue_count(text: str) -> int | None:
    """How many distinct problems: 三盏 → 3, one incident without a number → 1, 无异常 → 0, 好几处 → unknown."""
    nothing = list(lx.NOTHING_FOUND.finditer(text))
    if nothing:
        after = re.sub(r"(?:无|没有|未发现|没发现|不存在)[^,，。;；\s]{0,6}", "", text[nothing[-1].end() :])
        if not (
            re.search(r"(?:其他|其余|别的)(?:都|均)?(?:正常|没问题|ok)|除了", text, re.I) or has_strong_problem(after)
        ):
            return 0  # 8组正常，9组有户人家吵架: a problem after "正常" is still a problem
    outside = re.sub(r"[(（][^)）]*[)）]", "", text)  # 三盏（2组两盏 4组一盏）: the breakdown is not more lamps
    if stated := GENERIC_TOTAL.search(outside):
        return int(stated.group("n"))  # 发现两处问题：1…… 2……; 两件事都已上报
    items = ENUMERATED.findall(outside)
    if len(items) >= 2:
        return len(items)  # 1. 垃圾桶满了 2. 沟渠里有死鸡 3. 乱倒建筑垃圾
    counts: list[tuple[int, str]] = []
    first_count_at = None
    breaking_down = False
    for m in COUNTED.finditer(outside):
        n = int(m.group("n"))
        if not 0 < n < 100 or PEOPLE_AFTER.match(outside, m.end()):
            continue
        if m.group(0).endswith("户") and PARTIES.search(outside):
            continue  # 两户吵架: one dispute between two households
        unit = m.group(0)[-1]
        before = outside[: m.start()]
        same_again = (
            bool(counts)
            and unit == counts[0][1]
            and n <= counts[0][0]
            and not has_problem(_clause_around(outside, m.start(), m.end()))
        )
        if counts and (
            BREAKDOWN.match(outside, m.end())
            or HANDLED_COUNT.search(before)
            or (breaking_down and REMAINING.search(before))
            or same_again
        ):
            breaking_down = True
            continue  # 两处…1处在学校门口 / 3处…已清理2处 还有1处明天弄 / 1处户主不在家: the same ones again
        counts.append((n, unit))
        first_count_at = m.start() if first_count_at is None else first_count_at
    if counts:
        total = sum(n for n, _ in counts)
        if first_count_at is not None and re.search(r"还有|另外|另有|此外", outside[:first_count_at]):
            total += 1  # 垃圾池满了 还有1处污水: the first problem had no number
        return total + more_problems(outside[first_count_at or 0 :] if first_count_at else outside)
    if VAGUE.search(text):
        return None
    return 1 + more_problems(outside)


def has_strong_problem(text: str) -> bool:
    return any(p.search(text) for patterns in lx.CATEGORY_RES.values() for p, w in patterns if w >= 2.0)


def resolved(text: str) -> bool | None:
    """Handled on the spot? With both kinds of words, the last one says how things stand now:
    暂时劝回去了 还要再调解 → not yet; 已通知他家里人 领回去了 → handled."""
    last_false = max((m.end() for m in lx.RESOLVED_FALSE.finditer(text)), default=-1)
    last_true = max((m.end() for m in lx.RESOLVED_TRUE.finditer(text)), default=-1)
    if last_false < 0 and last_true < 0:
        return False if DAMAGED.search(text) else None
    return last_true > last_false


PATROL_ACT = re.compile(r"巡查|巡了|巡逻|巡到|巡完|巡|转了")


def patrol_fields(text: str, original: str, now: datetime) -> Fields:
    out: Fields = {}
    day = event_day(text, now, "past", PATROL_ACT)
    if day:
        out["date"] = day.isoformat()
    issues = issue_count(text)
    if issues is not None:
        out["issues"] = issues
    g = grid(text)
    if g:
        out["grid"] = g
    if issues != 0:
        cat, _ = category(text)
        if cat:
            out["category"] = cat
        res = resolved(text)
        if res is not None:
            out["resolved"] = res
    return out


# -- meeting ---------------------------------------------------------------------------------------------

FILLER = r"(?:那个|这个|就是|嗯|啊|呃|\s)*"
EXPECTED = re.compile(
    rf"应(?:到|参会|出席|参加)(?:会)?(?:人数)?(?:党员|委员|人员)?[:：]?{FILLER}(?P<n>\d+)"
    r"|(?P<n3>\d+)个(?:委员|支委|党员|人)(?=.{0,3}(?:到了|来了|只到|只来))"
)
PRESENT = re.compile(
    rf"(?:实(?:到|际到会|参会|出席|际参加)|(?<!应)到会|(?<!应)出席|(?<!应)参会|参加人数|出席人数)(?:人数)?(?:党员|委员|人员)?[:：]?{FILLER}(?P<n>\d+)"
    r"|(?P<n2>\d+)\s*(?:人|名)(?:党员)?(?:参加|参会|到会|出席|到场)|(?:到了|来了|只到|只来)(?P<n4>\d+)"
)
TOTAL = re.compile(
    r"(?:共|一共|总共|全体)(?P<n>\d+)\s*(?:人|名)|(?P<n2>\d+)\s*(?:个|名|位)?(?:人|委员|党员|支委)?(?:都|全|全部|均)"
    r"|(?:都在|全在|到齐了?|全到了?)[\s,，]*(?P<n3>\d+)\s*(?:个|人|名)"
)
BOTH_NUMBERS = re.compile(r"应到(?:和)?实到(?:都是|均为|都|均)?(?P<n>\d+)")
AFTER_ALL = re.compile(r"(?:到齐了?|全到了?|都到了|都来了)[\s,，]*(?:共|一共)?(?P<n>\d+)\s*(?:个|人|名)")
ABSENT_COUNT = re.compile(r"缺(?:席)?(?P<n>\d+)\s*(?:人|名|个)|(?P<n2>\d+)\s*个?(?:人|名)?(?:没来|没到|缺席|请假)")
ALL_CAME = re.compile(
    r"全体\S{0,3}(?:到会|到齐|参加|出席)|缺席[:：]?\s*无|无人缺席|都在|全在|全到|都到了|都来了|全部到会|全部参加|全员参加|全员到会|到齐|一个不少|无缺席|没有缺席|无人缺席|全部出席|全体参加|都参加了"
)


def meeting_fields(text: str, original: str, now: datetime) -> Fields:
    out: Fields = {}
    kind = meeting_type(text)
    if kind:
        out["meeting_type"] = kind
    day = event_day(text, now, "past")
    if day:
        out["date"] = day.isoformat()
    expected = EXPECTED.search(text)
    present = PRESENT.search(text)
    if both := BOTH_NUMBERS.search(text):
        out["expected"] = out["present"] = int(both.group("n"))
        expected = present = None
    if expected:
        out["expected"] = int(expected.group("n") or expected.group("n3"))
    if present:
        out["present"] = int(present.group("n") or present.group("n2") or present.group("n4"))
    names = absentees(text)
    everyone = ALL_CAME.search(text)
    if names:
        out["absent"] = names
    elif everyone:
        out["absent"] = []
        total = TOTAL.search(text)
        after = AFTER_ALL.search(text)
        if after and "expected" not in out:
            out["expected"] = int(after.group("n"))
        elif total and "expected" not in out:
            out["expected"] = int(total.group("n") or total.group("n2") or total.group("n3"))
        if "expected" in out and "present" not in out:
            out["present"] = out["expected"]
        elif "present" in out and "expected" not in out:
            out["expected"] = out["present"]
    missing_count = ABSENT_COUNT.search(text)
    if "expected" not in out and "present" in out and (names or missing_count):
        out["expected"] = out["present"] + (
            int(missing_count.group("n") or missing_count.group("n2")) if missing_count else len(names)
        )
    if not names and "absent" not in out and "expected" in out and out.get("present") == out["expected"]:
        out["absent"] = []  # 应到5人 实到5人: nobody missing
    return out


# -- leave -----------------------------------------------------------------------------------------------

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
    r"了|嗯|啊|(?:两个?人|他们|她们|俩人?|2个?人)(?:都)?是?|sorry)+",
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


# -- trip ------------------------------------------------------------------------------------------------

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
    return found


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
    planned = (lx.PLANNED.search(text) or due_later) and not done
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


# -- the rest --------------------------------------------------------------------------------------------


def task_fields(text: str, original: str, now: datetime) -> Fields:
    if lx.STATUS_BLOCKED.search(text) and not re.search(r"没有?(?:什么)?困难|不困难|无困难", text):
        return {"status": "blocked"}
    partial = re.search(
        r"(?<!100)%|基本|大部分|还差|剩下|剩余|一半|过半|部分|快要|即将|差不多|正在|在做|在弄|在搞|在整|在办|进行|"
        r"还没|未完成|其他.{0,3}(?:在|还|没)|其余.{0,3}(?:在|还|没)|还有\d+\S{0,3}(?:待|没|未)|待(?:发|办|完成|落实)|还剩|正在",
        text,
    )
    if lx.STATUS_DONE.search(text) and not partial:
        return {"status": "done"}
    return {"status": "in_progress"}


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
    m = BROADCAST.search(original.strip())
    if not m:
        return out
    audience, rest = m.group("aud"), m.group("rest")
    while extra := _HEAD.match(rest):  # 全体党员干部: keep the whole noun phrase
        audience, rest = audience + extra.group(0), rest[extra.end() :]
    out["audience"] = audience.removeprefix("一下").strip()
    colon = re.match(r"\s*(?:一下|下)?\s*[:：]\s*(?P<content>.+)$", rest, re.S)
    if colon:
        content = colon.group("content").strip()
        if content:
            out["content"] = content
    return out


EXTRACTORS: dict[str, Callable[[str, str, datetime], Fields]] = {
    "patrol": patrol_fields,
    "meeting": meeting_fields,
    "leave": leave_fields,
    "trip": trip_fields,
    "task_progress": task_fields,
    "broadcast": broadcast_fields,
}


def fields_for(intent: str, text: str, original: str, now: datetime) -> Fields:
    extractor = EXTRACTORS.get(intent)
    return extractor(text, original, now) if extractor else {}
