"""Request context on events: trace context and request id, carried on to Kafka headers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = JSONB() if op.get_bind().dialect.name == "postgresql" else sa.JSON()
    # Operational metadata, not part of the event: never hashed, never shown as data.
    op.add_column("events", sa.Column("context", json, nullable=True))


def downgrade() -> None:
    op.drop_column("events", "context")
