"""Planning a reminder row once: the one write both the scheduler (tasks, the ladder, cadence) and the features
that plan their own follow-ups (a broadcast's summaries) share, so neither has to import the other."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.tables import Reminder


def add_reminder(session: Session, **values: object) -> bool:
    """Insert a reminder unless its key exists; True when it was new."""
    if session.scalar(select(Reminder.id).where(Reminder.key == values["key"])) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Reminder(**values))
        return True
    except IntegrityError:
        return False  # another planner got there first
