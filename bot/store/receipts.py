"""Receipt numbers people can read out on the phone: XC-20260305-003 (prefix, local day, sequence).

The sequence is one row per prefix and day, bumped with a single UPDATE … RETURNING inside the caller's
transaction, so two workers filing at once get different numbers and a rolled-back filing leaves no gap.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.tables import Counter


def next_receipt(session: Session, prefix: str, day: date) -> str:
    name = f"{prefix}-{day:%Y%m%d}"
    for _ in range(3):
        value = session.scalar(
            update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value)
        )
        if value is not None:
            return f"{name}-{value:03d}"
        try:
            with session.begin_nested():
                session.add(Counter(name=name, value=1))
            return f"{name}-001"
        except IntegrityError:
            continue  # another worker created the day's row first; bump it instead
    raise RuntimeError(f"could not allocate a receipt number for {name}")


def last_number(session: Session, prefix: str, day: date) -> int:
    return session.scalar(select(Counter.value).where(Counter.name == f"{prefix}-{day:%Y%m%d}")) or 0
