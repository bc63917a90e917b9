"""outbox: which job claimed a row being sent, so that job — run again after its worker died — takes it back;
people.updated_at indexed (the roster's stamp reads its latest value for every message)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
    op.create_index("ix_people_updated_at", "people", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_people_updated_at", table_name="people")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
