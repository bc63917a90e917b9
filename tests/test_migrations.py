"""The migrations build exactly the schema the code declares, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.store.db import get_engine
from bot.store.migrate import current
from bot.store.tables import Base


def test_no_drift_between_migrations_and_models(db_url: str) -> None:
    engine = get_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == []


def test_head_revision_and_tables(db_url: str) -> None:
    assert current(db_url) is not None
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert {"orgs", "people", "person_roles", "inbound_log", "outbox", "cards", "audit_log"} <= tables
