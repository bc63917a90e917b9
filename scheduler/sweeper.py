"""The outbox sweeper: nothing waits forever because a job was lost.

Pending rows that are due but have not been touched for a while (their job was lost: Redis restarted, the
enqueue after the commit failed) are queued again; rows stuck in `sending` (the worker was killed mid-send)
go back to pending first. Delivery is idempotent, so queuing a row twice is harmless.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update

from bot.config import get_settings
from bot.queue import enqueue_delivery
from bot.store.db import get_engine, rows_changed, session_scope
from bot.store.tables import Outbox

log = logging.getLogger("cadrebot.sweeper")

PENDING_GRACE = timedelta(seconds=60)
SENDING_GRACE = timedelta(minutes=5)
BATCH = 500


def sweep_outbox(now: datetime | None = None) -> dict[str, int]:
    settings = get_settings()
    now = now or datetime.now(UTC)
    engine = get_engine(settings.database_url)
    with session_scope(engine) as s:
        stuck = rows_changed(
            s,
            update(Outbox)
            .where(Outbox.status == "sending", Outbox.updated_at < now - SENDING_GRACE)
            .values(status="pending", updated_at=now - PENDING_GRACE - timedelta(seconds=1)),
        )
        due = list(
            s.execute(
                select(Outbox.id, Outbox.recipient)
                .where(
                    Outbox.status == "pending",
                    Outbox.updated_at < now - PENDING_GRACE,
                    or_(Outbox.not_before.is_(None), and_(Outbox.not_before <= now)),
                )
                .order_by(Outbox.id)
                .limit(BATCH)
            )
        )
        if due:
            # Touch them so the next sweep does not queue them again while their jobs wait.
            s.execute(update(Outbox).where(Outbox.id.in_([r.id for r in due])).values(updated_at=now))
    by_recipient: dict[str, list[int]] = {}
    for outbox_id, recipient in due:
        by_recipient.setdefault(recipient, []).append(outbox_id)
    for ids in by_recipient.values():
        enqueue_delivery(settings, ids)
    if stuck or due:
        log.info("outbox swept", extra={"requeued": len(due), "unstuck": stuck})
    return {"requeued": len(due), "unstuck": stuck}
