"""consistency: calendar intents, job leases, loop attention reason, org company/candidate page

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_intent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loop_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("insert", "patch", "delete", name="intentkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "claimed",
                "done",
                "failed",
                "cancelled",
                name="intentstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("due_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("done_at", storage.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["loop_id"], ["loop.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["interview_session.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("calendar_intent", schema=None) as batch_op:
        batch_op.create_index("ix_calendar_intent_due", ["state", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_calendar_intent_loop_id"), ["loop_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_calendar_intent_session_id"), ["session_id"], unique=False
        )
    op.create_table(
        "job_lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("lease_until", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("loop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attention_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("org_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("company", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("candidate_page", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("org_settings", schema=None) as batch_op:
        batch_op.drop_column("candidate_page")
        batch_op.drop_column("company")
    with op.batch_alter_table("loop", schema=None) as batch_op:
        batch_op.drop_column("attention_reason")
    op.drop_table("job_lease")
    with op.batch_alter_table("calendar_intent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_intent_session_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_intent_loop_id"))
        batch_op.drop_index("ix_calendar_intent_due")
    op.drop_table("calendar_intent")
