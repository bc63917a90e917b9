"""Numbers as cadres write them: 5, ５, 五, 十二, 二十三, 两, 一百二十.

Conversion of a numeral span is cn2an's; deciding which spans are numbers is ours, because converting a
whole sentence turns 三会一课 into 3会1课 and 一起 into 1起. A Chinese numeral counts as a number only
when a counter or unit follows it (五户, 二十三人, 两处, 六组) or 第 precedes it (第三季度 stays a term).
"""

from __future__ import annotations

import re
from functools import lru_cache

import cn2an

CN_NUM = "零〇一二两三四五六七八九十百千万"
NUM = rf"(?:\d+|[{CN_NUM}]+)"

# Counters and units after which a Chinese numeral is a quantity. Time units (点, 号, 天 …) are left to
# the time parser, which reads Chinese numerals itself: 快一点 is not one o'clock.
COUNTERS = (
    "户|人|名|位|个|处|起|件|条|盏|根|棵|堆|辆|块|口|座|台|次|家|组|岁|元|块钱|公里|米|间|所|栋|亩|只|头|"
    "张|份|项|批|趟|场|队|支|层|排|袋|桶|吨|斤|箱|本|篇|页|届|轮|遍|戶"
)
_CN_QUANTITY = re.compile(rf"(?<![第{CN_NUM}])([{CN_NUM}]+)(?=(?:{COUNTERS}))")


@lru_cache(maxsize=4096)
def to_int(text: str) -> int | None:
    """'23' or '二十三' → 23; None if it is not a whole number."""
    text = text.strip()
    if not text or len(text) > 30:  # no whole number the bot reads is written in more than 30 characters
        return None
    if text.isdigit():
        # int() refuses "²" (a digit to isdigit) and runs of 4,300+ digits; no count or date needs 19
        return int(text) if text.isdecimal() and len(text) <= 18 else None
    if text in ("两", "俩"):
        return 2
    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    return int(value)


def quantities_to_digits(text: str, protected: tuple[str, ...] = ()) -> str:
    """Rewrite Chinese numeral quantities as digits (五户 → 5户), leaving protected terms alone."""
    if not any(ch in text for ch in CN_NUM):
        return text
    holes: dict[str, str] = {}
    for i, term in enumerate(protected):
        if term in text:
            key = f"\x00{i}\x00"
            holes[key] = term
            text = text.replace(term, key)

    def convert(m: re.Match[str]) -> str:
        span = m.group(1)
        value = to_int(span)
        return str(value) if value is not None else span

    text = _CN_QUANTITY.sub(convert, text)
    for key, term in holes.items():
        text = text.replace(key, term)
    return text
