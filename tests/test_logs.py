"""Logs never carry a phone number, an ID number or a credential in clear."""

from __future__ import annotations

import json
import logging

from bot.logs import JsonFormatter, TextFormatter, mask


def test_mask_phone_id_and_tokens() -> None:
    line = "张三 13812345678 身份证 11010119900307123X url ?access_token=abcDEF123&corpsecret=s3cr3t&x=1"
    masked = mask(line)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "11010119900307123X" not in masked and "1101**********123X" in masked
    assert "abcDEF123" not in masked and "s3cr3t" not in masked
    assert "access_token=***" in masked and "&x=1" in masked


def test_mask_leaves_other_numbers() -> None:
    assert mask("应到23人实到18人，编号 XC-20260305-003，MsgId 7459035031717794886") == (
        "应到23人实到18人，编号 XC-20260305-003，MsgId 7459035031717794886"
    )


def test_formatters_mask_arguments_extras_and_exceptions() -> None:
    logger = logging.getLogger("cadrebot.test")
    try:
        raise ValueError("bad mobile 13900001105")
    except ValueError:
        import sys

        record = logger.makeRecord(
            "cadrebot.test",
            logging.ERROR,
            __file__,
            1,
            "user %s",
            ("13900001105",),
            sys.exc_info(),
            extra={"mobile": "13900001105"},
        )
    data = json.loads(JsonFormatter().format(record))
    assert "13900001105" not in json.dumps(data, ensure_ascii=False)
    assert data["msg"] == "user 139****1105" and data["mobile"] == "139****1105"
    assert "13900001105" not in TextFormatter().format(record)
