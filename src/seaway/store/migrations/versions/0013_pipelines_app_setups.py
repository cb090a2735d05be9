"""pipelines and their apps, promoted releases, app setups from app.json

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipelines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(30), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "pipeline_couplings",
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("pipeline_id", sa.Integer, sa.ForeignKey("pipelines.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "app_setups",
        sa.Column("app_id", sa.Integer, sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("postdeploy", sa.Text, nullable=False),
        sa.Column("postdeploy_status", sa.String(20), nullable=False),
        sa.Column("postdeploy_release", sa.Integer, nullable=True),
        sa.Column("postdeploy_exit", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("promoted_from", sa.String(30), nullable=True))
        batch.add_column(sa.Column("promoted_version", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("promoted_version")
        batch.drop_column("promoted_from")
    op.drop_table("app_setups")
    op.drop_table("pipeline_couplings")
    op.drop_table("pipelines")
