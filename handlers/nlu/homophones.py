"""Same-pinyin slips of pinyin keyboards and voice input, put back to the bot's own words.

党圆 → 党员, 食到 → 实到, 只部 → 支部, 会仪 → 会议, 柳数村 → 柳树村 (with the roster's names as known terms).

A window of the message is rewritten to a known term when its toneless pinyin equals the term's and its
characters differ — only where that is safe:
- the term has at least 2 characters, and the window differs from it in one character (two for terms of
  4 or more), none of them a numeral or a common function character (是, 的, 了 …);
- the window is not itself a common word, and no common word of the message runs across a changed character
  or, for a two-character term, across its edge (只部分党员 stays: 部分 is a word). "Common word" is jieba's dictionary (frequency ≥ 30).

The known terms are derived from the vocabularies the rules already use (handlers/nlu/lexicon.py: meeting
types, meeting words, event categories) plus the field cue words below; the pinyin index is built at first use
(pypinyin's character table is read then, not at import) and cached. The jieba dictionary is read only when a candidate shows up.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache

from handlers.nlu import lexicon as lx

# Words the readers key on that are not in a lexicon pattern as a plain word.
CUE_WORDS = """网格员 网格长 党员 预备党员 党支部 支部 支委 支部书记 村支书 会议 三会一课 实到 应到 到会 缺席 请假 事假 病假
    巡查 走访 入户 走访户 清理 处理 已处理 已清理 清运 调解 隐患 安全隐患 垃圾 垃圾桶 路灯 井盖 护栏 上报 报修 劝离
    主题党日 党小组 党小组会 组织生活会 支委会 支部委员会 党员大会 支部党员大会 党课 台账 村委会 村委 镇里 书记 主任
    低保 困难户 脱贫户 监测户 五保户 人居环境 整改 完成 推进 无异常 正常"""

_CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,6}$")
_FUNCTION_CHARS = set(
    "的了是在有和我你他她它们这那个些都也就要会说去来把被给让与及或而但很太更最没不吗呢吧啊哦嗯到已于以之其为又再才"
)
_NUMERALS = set("零〇一二两三四五六七八九十百千万廿卅仨俩")
MIN_COMMON_FREQ = 30


def _literal_words(patterns: Iterable[re.Pattern[str]]) -> set[str]:
    """The plain words among a vocabulary's alternatives: 'a|b(?:c)?|d' → {a, d}."""
    found: set[str] = set()
    for pattern in patterns:
        for piece in pattern.pattern.split("|"):
            if _CJK_WORD.match(piece):
                found.add(piece)
    return found


@cache
def bot_terms() -> frozenset[str]:
    meetings: list[re.Pattern[str]] = [p for p, _ in lx.MEETING_TYPES] + [lx.MEETING_WORD]
    events = [p for items in lx.CATEGORY_RES.values() for p, _ in items]
    # two-character event words are too close to everyday words (上放 → 上访, 灌田 → 管田): of them only the
    # three-character and longer ones are known terms; meeting words and the cue words stand at any length
    terms = _literal_words(meetings) | {w for w in _literal_words(events) if len(w) >= 3} | set(CUE_WORDS.split())
    return frozenset(terms | {canonical for _, canonical in lx.MEETING_TYPES})


@cache
def _pinyin_table() -> dict[str, str]:
    """pypinyin's character table (code point → "diào,tiáo"), read from its JSON without importing the package,
    whose phrase dictionary is most of its 0.4 s import and is not needed here."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or spec.origin is None:  # a declared dependency: never degrade silently without it
        raise ImportError("pypinyin is not installed: run `make install`")
    with open(os.path.join(os.path.dirname(spec.origin), "pinyin_dict.json"), encoding="utf-8") as f:
        table: dict[str, str] = json.load(f)
    return table


def _toneless(syllable: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", syllable.replace("ü", "v")) if not unicodedata.combining(c))


@lru_cache(maxsize=16384)
def all_readings(ch: str) -> tuple[str, ...]:
    """A character's toneless readings, the usual one first (调 → diao, tiao); empty for a non-Chinese one."""
    if not "\u4e00" <= ch <= "\u9fff":
        return ()
    listed = _pinyin_table().get(str(ord(ch)), "")
    return tuple(dict.fromkeys(_toneless(r) for r in listed.split(",") if r))


@lru_cache(maxsize=16384)
def readings(ch: str) -> frozenset[str]:
    """The reading a keyboard offers a character under: its usual one (已 → yi, not its rare si)."""
    return frozenset(all_readings(ch)[:1])


class PinyinIndex:
    """Known terms by the toneless pinyin of their first character."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = frozenset(t for t in terms if _CJK_WORD.match(t))
        # a term's character by its two commonest readings (调解 is tiao jie, 调 first diao), not its rare ones
        # (假 is also read ge: 请各 is not 请假); each term is filed under the readings of its first character
        # filed under the readings of its first two characters: a window can only be a slip of a term whose
        # every character sounds alike, so nothing else need be looked at (most windows find an empty list)
        self.by_first: dict[tuple[str, str], list[tuple[str, tuple[frozenset[str], ...]]]] = {}
        for term in sorted(self.terms, key=len, reverse=True):  # longer terms first
            key = tuple(frozenset(all_readings(ch)[:2]) for ch in term)
            if len(key) < 2:
                continue
            for first in sorted(key[0]):
                for second in sorted(key[1]):
                    self.by_first.setdefault((first, second), []).append((term, key))

    def correct(self, text: str) -> str:
        """The text with every safe same-pinyin slip of a known term put back."""
        if not text:
            return text
        out = list(text)
        i = 0
        while i < len(text):
            fixed = self._at(text, i)
            if fixed is None:
                i += 1
                continue
            for k, ch in enumerate(fixed):
                out[i + k] = ch
            i += len(fixed)
        return "".join(out)

    def _at(self, text: str, i: int) -> str | None:
        first = readings(text[i])
        second = readings(text[i + 1]) if i + 1 < len(text) else frozenset()
        if not first or not second:
            return None
        for pair in ((a, b) for a in first for b in second):
            for term, key in self.by_first.get(pair, ()):
                window = text[i : i + len(term)]
                if len(window) < len(term) or window == term:
                    continue
                if self._safe(text, i, window, term, key):
                    return term
        return None

    def _safe(self, text: str, i: int, window: str, term: str, key: tuple[frozenset[str], ...]) -> bool:
        changed = [k for k, (a, b) in enumerate(zip(window, term, strict=True)) if a != b]
        if not changed or len(changed) > (1 if len(term) <= 3 else 2):
            return False
        if any(window[k] in _FUNCTION_CHARS or window[k] in _NUMERALS for k in changed):
            return False
        if any(not (key[k] & readings(ch)) for k, ch in enumerate(window)):
            return False
        if window in self.terms or common(window):
            return False
        # a common word of the message across a changed character (事到如今), and for a two-character term across
        # either edge (只部分: 部分 is a word); a longer term has enough letters right to stand on its own
        end = i + len(term)
        for a in range(max(0, i - 3), end):
            for b in range(max(a + 2, i + 1), min(len(text), a + 4) + 1):
                crosses = a < i or b > end
                if crosses and (len(term) == 2 or any(a <= i + k < b for k in changed)) and common(text[a:b]):
                    return False
        return True


@cache
def _common_words() -> frozenset[str]:
    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    with open(path, encoding="utf-8") as f:
        data = f.read()
    # words of 2–4 characters with frequency ≥ 30 (jieba's dict.txt lines are "word freq tag")
    return frozenset(re.findall(r"^(\S{2,4}) (?:[1-9]\d{2,}|[3-9]\d)\b", data, re.M))


def common(word: str) -> bool:
    return word in _common_words()


@cache
def bot_index() -> PinyinIndex:
    return PinyinIndex(bot_terms())


def correct(text: str) -> str:
    """Put back same-pinyin slips of the bot's own vocabulary (see the module doc)."""
    return bot_index().correct(text)
