"""tasks: 责任单位 and recurrence kept, a task may have no deadline (长期); plan sections keep both too

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 13:50:00

On SQLite, making tasks.deadline nullable rebuilds the table (batch mode): with foreign keys on, dropping the
old table would cascade to its reminders and progress history and clear interview notices' task, so those rows
are kept aside and put back.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_KEEP = ("reminders", "task_updates")


def _rebuild_tasks(alter: Callable[[BatchOperations], None]) -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        for table in _KEEP:
            bind.exec_driver_sql(f"CREATE TEMP TABLE _keep_{table} AS SELECT * FROM {table} WHERE task_id IS NOT NULL")
        bind.exec_driver_sql(
            "CREATE TEMP TABLE _keep_interviews AS SELECT id, task_id FROM interview_notices WHERE task_id IS NOT NULL"
        )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        alter(batch_op)
    if sqlite:
        for table in _KEEP:
            bind.exec_driver_sql(
                f"INSERT INTO {table} SELECT * FROM _keep_{table} WHERE id NOT IN (SELECT id FROM {table})"
                " AND task_id IN (SELECT id FROM tasks)"
            )
            bind.exec_driver_sql(f"DROP TABLE _keep_{table}")
        bind.exec_driver_sql(
            "UPDATE interview_notices SET task_id = (SELECT k.task_id FROM _keep_interviews k"
            " WHERE k.id = interview_notices.id) WHERE task_id IS NULL AND id IN (SELECT k.id FROM _keep_interviews k"
            " JOIN tasks t ON t.id = k.task_id)"
        )
        bind.exec_driver_sql("DROP TABLE _keep_interviews")


def upgrade() -> None:
    def alter(batch_op: BatchOperations) -> None:
        batch_op.add_column(sa.Column("owner_unit", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("recurrence", sa.String(length=16), nullable=True))
        batch_op.alter_column("deadline", existing_type=sa.Date(), nullable=True)

    _rebuild_tasks(alter)
    with op.batch_alter_table("plan_sections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("recurrence", sa.String(length=16), nullable=False, server_default=""))


def downgrade() -> None:
    # the old schema has no place for a task without a deadline: those rows (and their history) go
    undated = "SELECT id FROM tasks WHERE deadline IS NULL"
    op.execute(f"DELETE FROM reminders WHERE task_id IN ({undated})")
    op.execute(f"DELETE FROM task_updates WHERE task_id IN ({undated})")
    op.execute(f"UPDATE interview_notices SET task_id = NULL WHERE task_id IN ({undated})")
    op.execute("DELETE FROM tasks WHERE deadline IS NULL")
    with op.batch_alter_table("plan_sections", schema=None) as batch_op:
        batch_op.drop_column("recurrence")
        batch_op.drop_column("owner")

    def alter(batch_op: BatchOperations) -> None:
        batch_op.alter_column("deadline", existing_type=sa.Date(), nullable=False)
        batch_op.drop_column("recurrence")
        batch_op.drop_column("owner_unit")

    _rebuild_tasks(alter)
