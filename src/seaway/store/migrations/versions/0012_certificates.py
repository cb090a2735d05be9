"""certificates (own and ACME), ACME per app and per domain

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("names", sa.JSON, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("issuer", sa.Text, nullable=False),
        sa.Column("not_before", sa.DateTime, nullable=False),
        sa.Column("not_after", sa.DateTime, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("staple", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    with op.batch_alter_table("apps") as batch:
        batch.add_column(sa.Column("acm", sa.Integer, nullable=True))
    with op.batch_alter_table("domains") as batch:
        batch.add_column(sa.Column("acme_status", sa.String(20), nullable=True))
        batch.add_column(sa.Column("acme_error", sa.Text, nullable=True))
        batch.add_column(sa.Column("acme_failures", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("acme_retry_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("domains") as batch:
        for column in ("acme_retry_at", "acme_failures", "acme_error", "acme_status"):
            batch.drop_column(column)
    with op.batch_alter_table("apps") as batch:
        batch.drop_column("acm")
    op.drop_table("certificates")
