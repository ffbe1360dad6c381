"""calendar sync: sync state and push channel, reported calendar changes, invitation answers

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_sync",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("sync_token", sa.Text(), nullable=True),
        sa.Column("synced_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("full_syncs", sa.Integer(), nullable=False),
        sa.Column("requested_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("lease_holder", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column(
            "channel_resource_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column("channel_token", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("channel_expiration", storage.types.UTCDateTime(), nullable=True),
        sa.Column("channel_owner", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("interview_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("calendar_changes", sa.JSON(none_as_null=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_interview_session_calendar_event_id"),
            ["calendar_event_id"],
            unique=False,
        )
    with op.batch_alter_table("interviewer_request", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "calendar_response", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("interviewer_request", schema=None) as batch_op:
        batch_op.drop_column("calendar_response")
    with op.batch_alter_table("interview_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interview_session_calendar_event_id"))
        batch_op.drop_column("calendar_changes")
    op.drop_table("calendar_sync")
