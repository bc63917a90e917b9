"""Which level answers for a piece of the plan (市, 县, 乡镇, 村), when the text says it. A few rules, in order:

1. a 责任单位 / 牵头单位 the plan names (县委组织部 → 县, 各乡镇 → 乡镇);
2. a jurisdiction the text acts across: 全市 / 我市 / 市级 → 市, 全县 / 县级 / 县乡 → 县 ("在全市开展一次…大排查");
3. the heading's subject: 乡镇… → 乡镇, 村党组织 / 村“两委” / 村级 / 村务 … → 村 ("完善村党组织设置");
4. the same cues in the body.

Where one rule finds several levels the highest wins: the level that organises a piece of work answers for the
levels under it ("健全完善乡镇党委、村党组织运行规则" → 乡镇). 乡村, 农村 and 跨村 name no level on their own.
Nothing found → None (the importer gives such tasks to the top of the roster)."""

from __future__ import annotations

import re

RANK = ("村", "乡镇", "县", "市")

_UNIT = re.compile(r"(?:责任单位|牵头单位|责任主体|责任部门)\s*[：:]\s*(?P<who>[^；;。）)]+)")
_JURISDICTION: dict[str, re.Pattern[str]] = {
    "市": re.compile(r"全市|我市|本市|市级|市直"),
    "县": re.compile(r"全县|我县|本县|县级|县乡|县直|县区|区县|县（市、区）|县\(市、区\)"),
}
_SUBJECT: dict[str, re.Pattern[str]] = {
    "乡镇": re.compile(r"乡镇|街道"),
    "村": re.compile(
        r"(?<![乡农跨])村(?:“两委”|两委|党组织|党支部|党总支|级|干部|常职干部|组干部|务|民|集体)"
        r"|合并村|撤并村|各村|每个村|社区"
    ),
}


def _highest(found: set[str]) -> str | None:
    return max(found, key=RANK.index) if found else None


def _cues(text: str, table: dict[str, re.Pattern[str]]) -> set[str]:
    return {level for level, pattern in table.items() if pattern.search(text)}


def _unit_levels(who: str) -> set[str]:
    """市民政局 → 市, 县委组织部 → 县, 各乡镇 → 乡镇, 各村 → 村."""
    found = set()
    for name in re.split(r"[、，,及和]", who):
        name = name.strip().removeprefix("各")
        if name.startswith(("市", "全市")):
            found.add("市")
        elif name.startswith(("县", "区", "全县")):
            found.add("县")
        elif "乡镇" in name or name.endswith(("镇", "乡", "街道")):
            found.add("乡镇")
        elif "村" in name or "社区" in name:
            found.add("村")
    return found


def level_of(title: str, text: str) -> str | None:
    unit = _UNIT.search(text)
    if unit is not None and (named := _unit_levels(unit.group("who"))):
        return _highest(named)
    for found in (_cues(title + "\n" + text, _JURISDICTION), _cues(title, _SUBJECT), _cues(text, _SUBJECT)):
        if found:
            return _highest(found)
    return None
