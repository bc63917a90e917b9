"""Text helpers shared by the platforms."""

from __future__ import annotations


def split_utf8(text: str, limit: int) -> list[str]:
    """Split into chunks of at most `limit` UTF-8 bytes, never inside a character, preferring line
    breaks, then sentence ends. Empty chunks are never produced (WeCom rejects them with 44004)."""
    if limit < 4:
        raise ValueError("limit must allow at least one character")
    chunks: list[str] = []
    rest = text
    while rest:
        if len(rest.encode()) <= limit:
            chunks.append(rest)
            break
        # the longest prefix that fits, by characters
        lo, hi = 0, len(rest)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if len(rest[:mid].encode()) <= limit:
                lo = mid
            else:
                hi = mid - 1
        cut = lo
        window = rest[:cut]
        for marks in ("\n", "。！？!?；;", "，,、 "):
            pos = max(window.rfind(m) for m in marks)
            if pos >= cut // 2:  # do not make tiny chunks just to end on a mark
                cut = pos + 1
                break
        piece, rest = rest[:cut], rest[cut:]
        if piece.strip():
            chunks.append(piece.rstrip("\n"))
        rest = rest.lstrip("\n")
    return [c for c in chunks if c.strip()]
