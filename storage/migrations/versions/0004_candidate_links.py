"""candidate links

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 03:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "candidate_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("loop_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("active", "revoked", name="candidatelinkstate", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("opened_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("candidate_action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("action_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(["loop_id"], ["loop.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("candidate_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidate_link_loop_id"), ["loop_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_candidate_link_public_id"), ["public_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("candidate_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_link_public_id"))
        batch_op.drop_index(batch_op.f("ix_candidate_link_loop_id"))
    op.drop_table("candidate_link")
