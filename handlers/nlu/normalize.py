"""Clean a message before reading it: full-width → half-width, typos and homophones of voice input and
pinyin keyboards (网格圆 → 网格员, 支委回 → 支委会, 路等 → 路灯), domain terms protected, Chinese numeral
quantities as digits (五户 → 5户, 二十三人 → 23人, 两处 → 2处).

Fields that must be kept "as written" (a leave reason, a notice's content) are read from the original
text, not from this one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from handlers.nlu import homophones
from handlers.nlu.lexicon import EMOJI
from handlers.nlu.numbers import COUNTERS, quantities_to_digits, to_int

_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff]")

# Typos seen in voice-to-text and pinyin input, with the context that keeps each one safe.
TYPOS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"网格[圆园猿源元]"), "网格员"),
    (re.compile(r"(?<!巡视)巡察"), "巡查"),
    (re.compile(r"巡[差茶插]|[寻循]查"), "巡查"),
    (re.compile(r"支委[回汇惠]"), "支委会"),
    (re.compile(r"支部大[回汇]"), "支部大会"),
    (re.compile(r"党员大[回汇惠]"), "党员大会"),
    (re.compile(r"党小组[回汇]"), "党小组会"),
    (re.compile(r"组织生活[回汇]"), "组织生活会"),
    (re.compile(r"三会一[棵颗刻科]"), "三会一课"),
    (re.compile(r"主题党[曰目]"), "主题党日"),
    (re.compile(r"挡员|党原"), "党员"),
    (re.compile(r"路[等登]"), "路灯"),
    (re.compile(r"垃[级鸡及]|拉[圾级]"), "垃圾"),
    (re.compile(r"走[方防仿]"), "走访"),
    (re.compile(r"请加(?=$|[\s,.!?，。！？了啊哈]|一天|两天|半天)"), "请假"),
    (re.compile(r"书[计纪](?!录)"), "书记"),
    (re.compile(r"开[回汇](?!来|去)"), "开会"),
    (re.compile(r"参[回汇](?!来)"), "参会"),
    (re.compile(r"隐[换患]患|因患"), "隐患"),
    (re.compile(r"调[节接](?=好|了|开|成)"), "调解"),
    (re.compile(r"[俩]户"), "两户"),
    (re.compile(r"请个?[价驾嫁]"), lambda m: m.group(0)[:-1] + "假"),
    (re.compile(r"支[为位围伟维]会"), "支委会"),
    (re.compile(r"巡[插叉]"), "巡查"),
    # dialect words that carry meaning for the rules (the original text is kept for "as written" fields)
    (re.compile(r"莫得|没得(?!了)"), "没有"),
    (re.compile(r"莫(?=来|去|到|有|法|办法|啥)"), "没"),
    (re.compile(r"啥子"), "什么"),
    (re.compile(r"咋个"), "怎么"),
    (re.compile(r"晓得"), "知道"),
    (re.compile(r"屋头|屋里头"), "家里"),
    (re.compile(r"停起(?:了|的)?"), "停了"),
    (re.compile(r"卡起(?:了|的)?"), "卡住了"),
    (re.compile(r"^\s*@\S+\s*"), ""),
    (re.compile(r"(?<![a-z])today(?![a-z])", re.I), "今天"),
    # pinyin initials typed in a hurry
    (re.compile(r"(?<![a-z])jt(?![a-z])", re.I), "今天"),
    (re.compile(r"(?<![a-z])zt(?![a-z])", re.I), "昨天"),
    (re.compile(r"(?<![a-z])mt(?![a-z])", re.I), "明天"),
    (re.compile(r"(?<![a-z])xc(?![a-z])", re.I), "巡查"),
    (re.compile(r"(?<![a-z])(?:sj|shuji)(?![a-z])", re.I), "书记"),
    (re.compile(r"(?<![a-z])tomorrow(?![a-z])", re.I), "明天"),
    (re.compile(r"(?<![a-z])yesterday(?![a-z])", re.I), "昨天"),
]

# Terms whose numerals are part of the name, never a count.
PROTECTED = (
    "一起",
    "一块儿",
    "一块去",
    "一块来",
    "两口子",
    "老两口",
    "一口气",
    "三会一课",
    "一户一档",
    "一人一档",
    "一户一策",
    "一村一策",
    "十户联防",
    "一人一岗",
    "两委",
    "四议两公开",
    "两学一做",
    "一肩挑",
    "三重一大",
    "一票否决",
    "五个好",
    "两不愁三保障",
    "一事一议",
    "三务公开",
)


def to_halfwidth(text: str) -> str:
    return _INVISIBLE.sub("", text.translate(_FULLWIDTH))


# Numbers after an attendance word are counts even without 人: 应到三十三 实到三十
_ATTENDANCE_NUMBER = re.compile(  # 应到那个三十二个: voice input puts fillers before the number
    r"(应到|实到|应参会|实参会|到会|出席|参会|到了|来了|只到|只来|共)((?:那个|这个|就是|嗯|啊|\s)*)([零一二两三四五六七八九十百]+)(?![组号月日点])"
)


# Numerals phones type: 廿三 = 23, 卅 = 30, 仨人 = 3人, 俩人 = 2人, 2十户 = 20户 (digits and numerals mixed)
_TWENTY_THIRTY = re.compile(r"[廿卅](?=[一二三四五六七八九]|(?:" + COUNTERS + r")|$|[\s,.!?，。！？])")
_SA_LIA = re.compile(r"[仨俩](?=(?:" + COUNTERS + r")|$|[\s,.!?，。！？])")
_MIXED = re.compile(r"(?<![\d.])(\d{1,3}[十百千万](?:\d|[一二三四五六七八九])?)(?=" + COUNTERS + r")")
# emoji and decoration: ✅ 👍 🙏 between words, 。。。 ！！ ~~ runs
_PUNCT_RUNS = [
    (re.compile(r"[.。…]{2,}"), "。"),
    (re.compile(r"!{2,}"), "!"),
    (re.compile(r"\?{2,}"), "?"),
    (re.compile(r",{2,}"), ","),
    (re.compile(r"(?<!\d)[~～]+|[~～]+(?!\d)"), " "),
]


def typed_numerals(text: str) -> str:
    text = _TWENTY_THIRTY.sub(lambda m: "二十" if m.group(0) == "廿" else "三十", text)
    text = _SA_LIA.sub(lambda m: "三" if m.group(0) == "仨" else "两", text)
    return _MIXED.sub(lambda m: str(to_int(m.group(1)) or m.group(1)), text)


def decorations_off(text: str) -> str:
    """Emoji and repeated punctuation out of a message that has words (an emoji-only message keeps them)."""
    if EMOJI.search(text) and re.search(r"[\u4e00-\u9fa5A-Za-z0-9]", text):
        text = EMOJI.sub(" ", text)
    for pattern, replacement in _PUNCT_RUNS:
        text = pattern.sub(replacement, text)
    return text


# Voice input says a whole report in one breath, without a stop: 实到8人张三李四请假. Clause-based readers
# (absentees, a problem's clause) need the breaks, so a long run with no punctuation at all gets them after an
# attendance count and before the words that open a new clause.
_RUN_ON_MIN = 14
_PUNCTUATION = re.compile(r"[\s,.!?;:，。！？；：、]")
_BREAKS = re.compile(
    r"((?:应到|实到|到会|到了|来了|缺席|出席)\d{1,3}(?:人|名|个|位))(?=[\u4e00-\u9fa5])"
    r"|(?<=[\u4e00-\u9fa5])(?=另外|然后|但是|不过|其余|其他的?(?:都|人|没|一切))"
)


def segment_run_on(text: str) -> str:
    if len(text) < _RUN_ON_MIN or _PUNCTUATION.search(text):
        return text
    return _BREAKS.sub(lambda m: (m.group(1) or "") + ",", text)


def normalize(text: str) -> str:
    text = decorations_off(to_halfwidth(text))
    text = re.sub(r"\s+", " ", text).strip()
    for pattern, replacement in TYPOS:
        text = pattern.sub(replacement, text)
    text = typed_numerals(homophones.correct(text))
    text = _ATTENDANCE_NUMBER.sub(lambda m: m.group(1) + m.group(2) + str(to_int(m.group(3)) or m.group(3)), text)
    return segment_run_on(quantities_to_digits(text, PROTECTED))
