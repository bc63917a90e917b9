"""WeCom's template_card rules (doc 90236 §template_card, 94888), as data and as a checker.

The renderer clips to these numbers; the checker is what the golden tests and the simulator apply to the
rendered JSON, so a card the real server would refuse (42014, 42038 …) never leaves the project.
Lengths are in characters, as WeCom counts them, except keys and ids, which are bytes.
"""

from __future__ import annotations

import re
from typing import Any

TASK_ID = re.compile(r"[0-9A-Za-z_\-@]{1,128}")
CARD_TYPES = ("text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction")
INTERACTIVE = ("button_interaction", "vote_interaction", "multiple_interaction")

TITLE = 36
DESC = 44
SUB_TITLE = 120
EMPHASIS_TITLE = 14
EMPHASIS_DESC = 22
KEYNAME = 5  # "建议不超过5个字": longer ones are cut on the phone
VALUE = 26
HORIZONTAL_ITEMS = 6
BUTTONS = 6
BUTTON_TEXT = 10
SELECTION_OPTIONS = 10
SELECTION_OPTION_TEXT = 16
SELECTION_TITLE = 10
CHECKBOX_OPTIONS = 20
CHECKBOX_OPTION_TEXT = 17
SELECT_LIST = 3
SUBMIT_TEXT = 10
REPLACE_TEXT = 32  # "已提交 · 编号 XC-20260305-003" must fit whole
KEY_BYTES = 1024
OPTION_ID_BYTES = 128


def problems(card: dict[str, Any]) -> list[str]:
    """Everything in a rendered template_card that WeCom would refuse or cut; [] when it is fine."""
    found: list[str] = []

    def need(condition: bool, message: str) -> None:
        if not condition:
            found.append(message)

    def text_at_most(value: Any, limit: int, where: str) -> None:
        need(isinstance(value, str) and 0 < len(value) <= limit, f"{where}: 1..{limit} characters, got {value!r}")

    def key_ok(value: Any, where: str) -> None:
        need(
            isinstance(value, str) and 0 < len(value.encode()) <= KEY_BYTES,
            f"{where}: key of 1..{KEY_BYTES} bytes, got {value!r}",
        )

    def option_ids(options: list[dict[str, Any]], where: str) -> None:
        ids = [o.get("id") for o in options]
        need(len(set(ids)) == len(ids), f"{where}: option ids must be unique")
        for i in ids:
            need(
                isinstance(i, str) and 0 < len(i.encode()) <= OPTION_ID_BYTES,
                f"{where}: option id of 1..{OPTION_ID_BYTES} bytes, got {i!r}",
            )

    kind = card.get("card_type")
    need(kind in CARD_TYPES, f"card_type {kind!r} is not one of {CARD_TYPES}")
    task_id = card.get("task_id")
    if kind in INTERACTIVE or task_id is not None:
        need(isinstance(task_id, str) and bool(TASK_ID.fullmatch(task_id)), f"task_id {task_id!r} breaks the rules")
    title = card.get("main_title") or {}
    need(bool(title.get("title") or card.get("sub_title_text")), "main_title.title or sub_title_text is required")
    if "title" in title:
        text_at_most(title["title"], TITLE, "main_title.title")
    if "desc" in title:
        text_at_most(title["desc"], DESC, "main_title.desc")
    if "sub_title_text" in card:
        text_at_most(card["sub_title_text"], SUB_TITLE, "sub_title_text")
    if "emphasis_content" in card:
        emphasis = card["emphasis_content"]
        text_at_most(emphasis.get("title"), EMPHASIS_TITLE, "emphasis_content.title")
        if "desc" in emphasis:
            text_at_most(emphasis["desc"], EMPHASIS_DESC, "emphasis_content.desc")
    if kind in ("text_notice", "news_notice"):
        need(bool((card.get("card_action") or {}).get("url")), "card_action with a url is required")
    horizontal = card.get("horizontal_content_list") or []
    need(len(horizontal) <= HORIZONTAL_ITEMS, f"horizontal_content_list: at most {HORIZONTAL_ITEMS} items")
    for i, item in enumerate(horizontal):
        text_at_most(item.get("keyname"), KEYNAME, f"horizontal_content_list[{i}].keyname")
        text_at_most(item.get("value"), VALUE, f"horizontal_content_list[{i}].value")
    keys: list[str] = []
    if kind == "button_interaction":
        buttons = card.get("button_list") or []
        need(1 <= len(buttons) <= BUTTONS, f"button_list: 1..{BUTTONS} buttons, got {len(buttons)}")
        for i, b in enumerate(buttons):
            text_at_most(b.get("text"), BUTTON_TEXT, f"button_list[{i}].text")
            need(b.get("style", 1) in (1, 2, 3, 4), f"button_list[{i}].style must be 1..4")
            if b.get("type", 0) == 0:
                key_ok(b.get("key"), f"button_list[{i}]")
                keys.append(b.get("key", ""))
        if "button_selection" in card:
            sel = card["button_selection"]
            key_ok(sel.get("question_key"), "button_selection")
            keys.append(sel.get("question_key", ""))
            text_at_most(sel.get("title"), SELECTION_TITLE, "button_selection.title")
            options = sel.get("option_list") or []
            need(1 <= len(options) <= SELECTION_OPTIONS, f"button_selection: 1..{SELECTION_OPTIONS} options")
            option_ids(options, "button_selection")
            for j, o in enumerate(options):
                text_at_most(o.get("text"), SELECTION_OPTION_TEXT, f"button_selection.option_list[{j}].text")
    if kind == "vote_interaction":
        box = card.get("checkbox") or {}
        key_ok(box.get("question_key"), "checkbox")
        keys.append(box.get("question_key", ""))
        options = box.get("option_list") or []
        need(1 <= len(options) <= CHECKBOX_OPTIONS, f"checkbox: 1..{CHECKBOX_OPTIONS} options")
        option_ids(options, "checkbox")
        for j, o in enumerate(options):
            text_at_most(o.get("text"), CHECKBOX_OPTION_TEXT, f"checkbox.option_list[{j}].text")
        need(box.get("mode", 0) in (0, 1), "checkbox.mode must be 0 or 1")
    if kind == "multiple_interaction":
        selects = card.get("select_list") or []
        need(1 <= len(selects) <= SELECT_LIST, f"select_list: 1..{SELECT_LIST} selectors")
        for i, sel in enumerate(selects):
            key_ok(sel.get("question_key"), f"select_list[{i}]")
            keys.append(sel.get("question_key", ""))
            if "title" in sel:
                text_at_most(sel["title"], SELECTION_TITLE, f"select_list[{i}].title")
            options = sel.get("option_list") or []
            need(1 <= len(options) <= SELECTION_OPTIONS, f"select_list[{i}]: 1..{SELECTION_OPTIONS} options")
            option_ids(options, f"select_list[{i}]")
            for j, o in enumerate(options):
                text_at_most(o.get("text"), SELECTION_OPTION_TEXT, f"select_list[{i}].option_list[{j}].text")
    if kind in ("vote_interaction", "multiple_interaction"):
        submit = card.get("submit_button") or {}
        text_at_most(submit.get("text"), SUBMIT_TEXT, "submit_button.text")
        key_ok(submit.get("key"), "submit_button")
        keys.append(submit.get("key", ""))
    need(len(set(keys)) == len(keys), f"keys must be unique within a card: {keys}")
    if "replace_text" in card:
        text_at_most(card["replace_text"], REPLACE_TEXT, "replace_text")
    return found
