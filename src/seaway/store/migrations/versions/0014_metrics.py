"""router and dyno metrics per minute, kept 24 hours

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "router_metrics",
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("minute", sa.Integer, primary_key=True, index=True),
        sa.Column("requests", sa.JSON, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("service", sa.JSON, nullable=False),
        sa.Column("p50", sa.Float, nullable=True),
        sa.Column("p95", sa.Float, nullable=True),
        sa.Column("p99", sa.Float, nullable=True),
    )
    op.create_table(
        "dyno_metrics",
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("minute", sa.Integer, primary_key=True, index=True),
        sa.Column("dyno", sa.String(70), primary_key=True),
        sa.Column("memory_mb", sa.Float, nullable=True),
        sa.Column("cpu_percent", sa.Float, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("dyno_metrics")
    op.drop_table("router_metrics")
