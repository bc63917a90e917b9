"""Splitting long replies for WeCom's 2048-byte limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.text import split_utf8


def test_short_text_is_one_chunk() -> None:
    assert split_utf8("收到", 2048) == ["收到"]


def test_chinese_text_splits_on_sentence_ends_within_the_limit() -> None:
    text = "村级活动阵地提升已经完成。" * 300  # 13 characters, 39 bytes each
    chunks = split_utf8(text, 2048)
    assert len(chunks) > 1
    assert all(len(c.encode()) <= 2048 for c in chunks)
    assert all(c.endswith("。") for c in chunks)
    assert "".join(chunks) == text


def test_prefers_line_breaks() -> None:
    text = ("第一段" * 200) + "\n" + ("第二段" * 200)
    chunks = split_utf8(text, 2048)
    assert chunks == ["第一段" * 200, "第二段" * 200]


def test_no_empty_chunks() -> None:
    assert split_utf8("\n\n\n", 2048) == []
    assert all(c.strip() for c in split_utf8("a\n\n\n" * 1000, 64))


@given(st.text(min_size=1, max_size=3000), st.integers(min_value=4, max_value=300))
def test_every_chunk_fits_and_nothing_is_lost(text: str, limit: int) -> None:
    chunks = split_utf8(text, limit)
    assert all(0 < len(c.encode()) <= limit for c in chunks)
    # only white space at the cut points (and blank chunks) may disappear
    assert "".join("".join(chunks).split()) == "".join(text.split())
