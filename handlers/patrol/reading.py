"""Reading a patrol message: the evidence that it is one, and its fields (the day, the 组 or hamlet, how many
problems of which kind, whether they were handled)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from handlers.nlu import lexicon as lx
from handlers.nlu.evidence import Evidence
from handlers.nlu.lexicon import rx, words
from handlers.nlu.numbers import NUM, to_int
from handlers.nlu.readers import event_day

Fields = dict[str, Any]

# -- words (the kinds of problem are shared with the task evidence: handlers/nlu/lexicon.py) -------------

NOTHING_FOUND = rx(r"""无异常 未发现异常 (?<!不)(?<!不太)正常的 问题0个 0个问题 发现问题0 无问题 挺正常 都正常 均正常 很正常 一切(?i:ok) 都(?i:ok) 没毛病 一切都好 都挺好
    没有?发现(?:异常|问题|情况|隐患) 一切正常 情况正常 正常(?:$|[,.!，。\s]) 没啥事 没什么事 没事儿?(?:$|[,.!，。\s])
    无情况 没问题(?:$|[,.!，。\s]) 没有?(?:什么)?问题 没有(?:什么)?情况 平安无事 无事件 没有异常 无特殊情况 风平浪静
    未见异常 一切安好 无(?:安全隐患|矛盾纠纷|治安问题|隐患|问题|情况)(?:[、，,和及]无\S{2,4})*(?:$|[,，。]|特此)""")
HANDLED_ACTION = words("""说和 劝和 讲和 调和 说通 劝通 做通 找回 找到了 送去 送了 送到 劝改 打捞 捞干净 捞上来 领回 领回去 打熄 熄灭 灭掉 喊走 撵走 赶跑 劝散 撕干净 撕掉 撕了 挪开 挪了 搬开 移开 弄干净 打扫干净 清干净
    扫干净 拉开 清理 处理 处置 劝离 劝阻 劝止 劝走 劝回 赶走 制止 调解好 解决 修好 修复 整改 扑灭 办结 清除 清掉
    清走 清运 拆除 拆掉 恢复 疏通 化解 平息 收回 撤离 拉走 运走 搬走 接回 送回 送走 换了 更换 赔偿 收到 收起 关掉
    关了 灭了 扶正 加固 填平 盖上 盖好 挪走 移走 铲除""")
# what was done, said as a verb and its result (帮他们抬回去了, 让他们搬走了, 捞出来埋了, 劝回家了): a grammar of
# the actions a grid member takes on the spot, not a list of phrases; the 了 says it is done
DONE_VERB = "劝拉抬搬清扫拖修补填扶送赶拆撤挪移运捞扑灭关收撕铲擦扛背抱领接带撵喊叫哄拽推捡埋盖封锁劝"
DONE_RESULT = "走|回去|回家|回来|回|掉|好|完|干净|开|上来|出来|出去|过去|过来|下来|起来|住|灭|通|平|正|稳|散|跑"
DONE_SAID = rf"[{DONE_VERB}](?:{DONE_RESULT})(?:[{DONE_VERB}]|掉)?了"
RESOLVED_TRUE = re.compile(
    rf"{DONE_SAID}|已(?:经)?(?:全部|及时|当场|现场)?(?:{HANDLED_ACTION})"
    rf"|已(?:经)?(?:叫|让|喊|请|督促|劝|要求|帮|协调|安排|组织|联系|和|跟|同|与|带)[^,，。;；已]{{0,8}}?(?:{HANDLED_ACTION}|好了|完)"
    rf"|(?:{HANDLED_ACTION})(?:好|完)?了|"
    + words(r"""当场(?:处理|处置|解决|调解|清理) 现场(?:处理|处置|解决) 调解成功 已调解(?!.{0,6}(?:不|未|还|再)) 处理完 清理完
        清运完 已经好了 没事了 双方满意 双方同意 达成一致 握手言和 接回去了 我去调解好了""")
)
RESOLVED_FALSE = rx(r"""已.{0,4}上报 拍照上报 已经?报 上报了 已报 报了(?!名) 等.{1,8}来 报给 转给 交给 报到 报警 还要 还需
    再调解 暂时 不配合 还没动 没动 还没 尚未 未处理 没处理 没有处理 处理不了 解决不了 需要 需 请.{0,6}(?:处理|解决|协调|维修|来|派|帮)
    快派 尽快 派人 待处理 待解决 初步调解 不太稳定 再出面 还在 仍在 未解决 没解决 没修 未修 持续 正在处理 报告给 已通知
    通知了 联系了 打电话给 已.{0,4}报(?:给|到|镇|县|村|所|站|办) 建议 要求 移交 转交 上交 报送 反映给 后续跟踪 跟踪 已登记 登记了 等明天 等.{0,4}统一 明天再 改天再
    没调成 没调好 没成功 (?i:pls) 出面 告知户主 告知 还没改 没改完""")

# -- evidence --------------------------------------------------------------------------------------------

PATROL = re.compile(
    r"巡查|巡逻|巡河|巡山|巡林|巡了|巡一遍|巡完|巡检|网格员|网格巡|排查|发现|看到|隐患|报告[:：]|上报[:：]?"
)
OPENS = re.compile(r"巡查|巡逻|巡了")  # 今天巡查2组…: a new patrol, not an answer to the open form
GRID = re.compile(r"\d+组|[一二三四五六七八九十]+组|第[一二三四五六七八九十\d]+组|网格")


def evidence(text: str, ev: Evidence, future: bool = False) -> None:
    if m := PATROL.search(text):
        ev.add("patrol", 2.5 if m.group(0).startswith("巡") else 1.5, f"patrol word '{m.group(0)}'")
    if m := NOTHING_FOUND.search(text):
        ev.add("patrol", 2.0, f"nothing found '{m.group(0)}'")
    hits = lx.category_hits(text)
    for name, m, weight in hits:
        ev.add("patrol", min(weight, 1.5), f"{name} '{m.group(0)}'")
    if m := RESOLVED_TRUE.search(text):
        ev.add("patrol", 1.0 if hits else 0.8, f"handled '{m.group(0)}'")
    if hits and GRID.search(text):
        ev.add("patrol", 0.8, "in a grid")


def head_threshold(body: str, head: str, done: bool) -> float:
    return 3.0 if done else 4.5  # a patrol reported done needs less to stand before a question


# -- fields ----------------------------------------------------------------------------------------------

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


SURE_CATEGORY = 1.0  # below this, only a weak word (坏了 0.8, 报警 0.5) says the kind: not sure enough to file


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
    nothing = list(NOTHING_FOUND.finditer(text))
    if nothing:
        after = re.sub(r"(?:无|没有|未发现|没发现|不存在)[^,，。;；\s]{0,6}", "", text[nothing[-1].end() :])
        if not (
            re.search(
                r"(?:其他|其余|别的)(?:都|均|方面|地方)?(?:正常|没(?:有)?(?:什么|啥)?问题|没事|ok)|除了", text, re.I
            )
            or has_strong_problem(after)
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
    last_false = max((m.end() for m in RESOLVED_FALSE.finditer(text)), default=-1)
    last_true = max((m.end() for m in RESOLVED_TRUE.finditer(text)), default=-1)
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
        cat, scores = category(text)
        if cat and scores.get(cat, 0.0) >= SURE_CATEGORY:
            out["category"] = cat
        elif scores:  # two kinds as likely, or only a weak word (坏了, 报警): asked, this reading offered first
            out["tentative"] = {"category": cat or max(scores, key=lambda name: scores[name])}
        res = resolved(text)
        if res is not None:
            out["resolved"] = res
    return out
