"""Picking people's names out of short messages: 王五请假, 缺席：张三、李四, 李四 王麻子没来.

Names are 2–3 characters starting with a common surname (or 小/老 + surname: 小刘, 老张). Only the words
next to an absence or leave marker are looked at, which keeps places and titles out.
"""

from __future__ import annotations

import re

# The most common surnames (covering most of the rural population), and compound ones.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛"
    "邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝"
    "路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝傅阎萧詹钭喻滕裘揭鄢粟庹冼晏储"
    "练谌幸奚钮茅茹郜鄂羊盘蔺龙冉向兰符甘幸卿旷阙黎粟麻蓝伍扈糜禹邰荆酆苍蒯楚戈鲜"
)
COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐")
NOT_NAMES = {
    "书记",
    "主任",
    "支书",
    "委员",
    "组长",
    "队长",
    "村长",
    "镇长",
    "老师",
    "领导",
    "同志",
    "大家",
    "全体",
    "党员",
    "村民",
    "群众",
    "干部",
    "会议",
    "请假",
    "出差",
    "生病",
    "外出",
    "务工",
    "打工",
    "没来",
    "缺席",
    "未到",
    "其他",
    "其余",
    "剩下",
    "以上",
    "上次",
    "这次",
    "本次",
    "今天",
    "明天",
    "昨天",
    "由于",
    "因为",
    "原因",
    "另外",
    "还有",
    "以及",
    "所有",
    "全部",
    "没有",
    "没人",
    "无人",
    "个别",
    "部分",
    "有人",
    "没请",
    "也没",
    "没请假",
    "王家",
    "李家",
    "张家",
    "黄家",
    "石门",
    "金额",
    "高速",
    "方面",
    "白天",
    "和平",
    "江边",
    "马上",
    "毛病",
    "路上",
    "周末",
    "周日",
    "周一",
    "周二",
    "周三",
    "周四",
    "周五",
    "周六",
    "周天",
    "陈述",
    "程序",
    "雷雨",
    "钱款",
}
PLACE_END = re.compile(r"[湾村组镇庄屯寨坝沟岭乡街区县市队营院]$|^.家.$")
SEPARATORS = re.compile(r"还有[一1]个|[一1]个是|分别是|还有|以及|那个|这个|就是|[、,，和跟与及同\s/|;；]+")


TIME_WORDS = re.compile(r"明儿|今儿|昨儿|明天|今天|昨天|后天|前天|上午|下午|晚上|早上|周末")
COMMON_WORD_CHARS = set("的了是在有和我你他她它们这那个些都也就要会说去来把被给让与及或而但很太更最没不吗呢吧啊哦嗯")


def plausible_name(word: str) -> bool:
    """A word right before 请假/没来 that is shaped like a name even if its surname is rare (冉光荣, 龙文华)."""
    return (
        2 <= len(word) <= 3
        and re.fullmatch(r"[\u4e00-\u9fa5]+", word) is not None
        and word not in NOT_NAMES
        and not (set(word) & COMMON_WORD_CHARS)
        and not PLACE_END.search(word)
        and not TIME_WORDS.search(word)
        and not re.search(r"会|课|日|组|村|镇|事|因|病|假|差|外|工|学|天|月|号|员|部|长|记|任", word)
    )


def looks_like_name(word: str) -> bool:
    word = word.strip()
    if (
        not 2 <= len(word) <= 4
        or word in NOT_NAMES
        or TIME_WORDS.search(word)
        or not re.fullmatch(r"[\u4e00-\u9fa5]+", word)
    ):
        return False
    if PLACE_END.search(word) and len(word) == 3:
        return False
    if word[:2] in COMPOUND:
        return 3 <= len(word) <= 4
    if word[0] in "小老阿" and len(word) == 2:
        return word[1] in SURNAMES
    return word[0] in SURNAMES and len(word) <= 3


def split_names(chunk: str) -> list[str]:
    """'张三、李四' → ['张三', '李四']; '张三李四' → ['张三', '李四']; non-names are dropped."""
    names: list[str] = []
    for part in SEPARATORS.split(chunk):
        part = part.strip()
        if not part:
            continue
        if looks_like_name(part):
            names.append(part)
        elif len(part) == 4 and looks_like_name(part[:2]) and looks_like_name(part[2:]):
            names += [part[:2], part[2:]]
        elif len(part) in (5, 6) and looks_like_name(part[:3]) and looks_like_name(part[3:]):
            names += [part[:3], part[3:]]
    return names


ABSENCE = re.compile(
    r"请假|请事假|请病假|请了假|缺席|没来|未到|没到|未参加|没参加|没有参加|没有来|未出席|因事|因病|外出|出差|"
    r"住院|生病|病了|有事|在外|打工|务工|不在家|去县里|去市里|去外地"
)
ABSENT_LIST = re.compile(
    r"(?:请假|缺席|未到|缺)\d*\s*(?:人|名|位)?\s*[（(](?P<names5>[^)）]{2,40})[)）]"
    r"|缺(?:席)?(?P<names4>[\u4e00-\u9fa5]{2,3}(?:[、,，\s]+[\u4e00-\u9fa5]{2,3})*)(?=[(（。;；]|$)"
    r"|(?:\d+|[两三四五六七八九十]+)\s*个?(?:人|名)?(?:没来|没到|缺席)(?:的)?[,，\s]*(?P<names6>(?:[一1]个是|[一1]个|分别是|是)\S+)$"
    r"|(?:缺席|未到|请假|没来|缺)(?:的)?(?:\d+人)?(?:人员|同志|有|是|名单)?\s*[:：]\s*(?P<names>[^。;；\n]+)"
    r"|(?:缺席|未到|请假|缺|没来)(?:的)?(?:\d+\s*(?:个|人|名))?(?:人员|同志|有|是|名单|了)\s*(?P<names2>[^。;；\n:：]+)"
    r"|(?:缺席|未到|缺)(?:\d+人)?\s+(?P<names3>[\u4e00-\u9fa5]{2,4}(?:[\s、,，]+[\u4e00-\u9fa5]{2,4})*)\s*$"
)
BREAK_AFTER_NAME = set("身在去因出生住家有请没外不要说也和、,，.。 （(病到回上参")


def leading_name(clause: str) -> str | None:
    """The name a clause starts with: 吴小红身体不舒服 → 吴小红, 胡明在外打工 → 胡明."""
    clause = clause.strip()
    order = (2, 3) if len(clause) > 2 and clause[2] in BREAK_AFTER_NAME else (3, 2)
    for n in order:
        candidate = clause[:n]
        if looks_like_name(candidate) and (len(clause) == n or clause[n] in BREAK_AFTER_NAME):
            return candidate
    return None


def trailing_name(text: str) -> str | None:
    """The name a run ends with: 实到6个林永福 → 林永福."""
    for n in (3, 2):
        candidate = text[-n:]
        if (
            len(text) >= n
            and looks_like_name(candidate)
            and (
                len(text) == n
                or not re.match(r"[\u4e00-\u9fa5]", text[-n - 1])
                or text[-n - 1] in "个人名到了是有和跟与及"
            )
        ):
            return candidate
    return None


_TAIL = re.compile(r"(?:因|由于|因为|外出|出差|生病|有事|身体|住院|务工|打工|在外|\().*$")


def absentees(text: str) -> list[str]:
    """Everyone the message says did not come, in message order."""
    found: list[str] = []

    def keep(names: list[str]) -> None:
        for name in names:
            if name not in found:
                found.append(name)

    for m in ABSENT_LIST.finditer(text):
        listed = next(
            (m.group(g) for g in ("names", "names2", "names3", "names4", "names5", "names6") if m.group(g)), ""
        )
        for part in re.split(r"[、,，;；\s]+", listed):
            part = re.sub(r"[（(].*?[)）]", "", part)
            keep(
                split_names(part) or [n for n in [leading_name(part)] if n] or ([part] if plausible_name(part) else [])
            )
    for m in ABSENCE.finditer(text):
        if m.group(0) == "请假" and text[max(0, m.start() - 2) : m.start()].endswith(("未", "没", "没有")):
            continue  # 未请假缺席: the 缺席 after it is the marker
        clause_start = max(text.rfind(c, 0, m.start()) for c in ",，。;；:：!！?？") + 1
        before = text[clause_start : m.start()]
        before = re.sub(r"(?:未|没有?|无故)请假|无故|擅自", " ", before)
        before = re.sub(r"[（(][^)）]*[)）]", " ", before)
        before = re.sub(
            r"(?:\d+|[两三四五六七八九十])(?:个)?(?:人|名|位)(?:都|均)?$|等人?$|他们$|都$|均$|俩$", "", before
        )
        before = re.sub(r"(?:两|2)兄弟|兄弟(?:两|俩)|两口子|夫妻(?:两|俩)?|(?:两|2)姐妹|父子|母女", " ", before)
        keep(names_before(before))
    return found


def names_before(run: str) -> list[str]:
    """The names a run of words ends with: '实到22人 罗春生、梁秀芳、宋金山' → the three names."""
    words = [w for w in re.split(r"[\s、,，和跟与及/]+", run) if w]
    while words and len(words[-1]) == 1:
        words.pop()  # a stray 会/都 left by the caller's clean-up
    names: list[str] = []
    for index, word in enumerate(reversed(words)):
        if looks_like_name(word):
            names.insert(0, word)
            continue
        pair = split_names(word)
        if pair and "".join(pair) == word:
            names[:0] = pair
            continue
        # the last word may carry the name at its start (胡明在外打工) or at its end (实到6个林永福)
        found = leading_name(word) if index == 0 else None
        found = found or trailing_name(word)
        if not found and plausible_name(word) and (index == 0 or names):
            found = word  # 冉光荣请假: an uncommon surname, but the shape of a name in a name's place
        if found:
            names.insert(0, found)
        if found == word:
            continue
        break
    return names


LEAVE_MARK = re.compile(
    r"请假|请个假|请.{0,3}天假|请半天假|告假|请病假|请事假|去不了|来不了|参加不了|不能参加|无法参加|没法参加"
)
SELF = re.compile(r"我|本人|俺|咱|自己")


def leave_names(text: str) -> list[str]:
    """Who asks leave: [] when the sender asks for themself. Several leave clauses add up:
    帮李桂花请个假 …赵德胜也请假 → both."""
    if items := re.search(r"请假(?:人员|名单)?[:：]\s*(?P<list>(?:\d[.、)]\s*\S+.*){2,})", text):
        names = [leading_name(part) or "" for part in re.split(r"\d[.、)]\s*", items.group("list")) if part.strip()]
        if all(names) and names:
            return names  # 请假：1. 孙丽 外出务工 2. 钱进 照顾病人
    found: list[str] = []
    clauses = [c for c in re.split(r"[,，。;；!！?？]|\s(?=\S*(?:请假|去不了|来不了))", text) if LEAVE_MARK.search(c)]
    for clause in clauses if len(clauses) > 1 else [text]:
        for name in _leave_names_in(clause):
            if name not in found:
                found.append(name)
    if len(clauses) > 1 and not found:
        return _leave_names_in(text)
    return found


KIN = re.compile(
    r"我(?:爸|妈|爷爷|奶奶|爹|娘|爱人|老婆|老公|媳妇|儿子|女儿|父亲|母亲|家)|他(?:爸|妈|家)|她(?:爸|妈|家)"
)


def _leave_names_in(text: str) -> list[str]:
    if listed := re.search(
        r"请假(?:人|人员)?[:：]\s*(?P<who>[\u4e00-\u9fa5、,，\s]{2,20}?)(?=[,，;；\s]*(?:事由|原因|时间|会议|$))", text
    ):
        names = [w for w in re.split(r"[、,，\s]+", listed.group("who")) if looks_like_name(w) or plausible_name(w)]
        if names:
            return names
    marks = list(LEAVE_MARK.finditer(text))
    if not marks:
        return []
    m = marks[-1] if len(marks) > 1 and not re.search(r"(?:帮|替|给|为)", text) else marks[0]
    if re.search(r"(?:帮|替|给|为)(?:他|她)(?:请|告)", text):  # 罗永福身体不好…帮他请个假
        first = leading_name(re.split(r"[,，。;；\s]", text.strip())[0])
        if first:
            return [first]
    clause_start = max(text.rfind(c, 0, m.start()) for c in ",，。;；!！?？") + 1
    before = text[clause_start : m.start()]
    for_whom = re.search(r"(?:帮|替|给|为)(?P<who>[^帮替给为]{2,12}?)(?:请|告)", text)
    if for_whom:
        names = split_names(KIN.sub(" ", for_whom.group("who")))
        if names:
            return names
    if SELF.search(before) and not split_names(re.sub(SELF, " ", before)):
        return []
    before = re.sub(
        r"(?:明天|后天|今天|今晚|明晚|这次|下次|本次|下周[一二三四五六日天]?|周[一二三四五六日天末]|的会|会上|的|支部党员大会|"
        r"党员大会|支部大会|支部委员会|支委会|党小组会|小组会|组织生活会|党课|主题党日|会议|开会|活动|要|想|需要|得|都|也|均)",
        " ",
        before,
    )
    before = re.sub(r"(?:\d+|[两三四五六七八九十])(?:个|人|名|位)+", " ", before.strip())
    before = re.sub(r"(?:两|2)兄弟|兄弟(?:两|俩)|两口子|夫妻(?:两|俩)?|(?:两|2)姐妹|父子|母女|两人|俩人", " ", before)
    return names_before(before.strip())
