"""release authors, per-app timeouts, app.json data on slugs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("author", sa.String(200), nullable=False, server_default="admin"))
        batch.add_column(sa.Column("rollback_of", sa.Integer, nullable=True))
    with op.batch_alter_table("apps") as batch:
        batch.add_column(sa.Column("boot_timeout", sa.Integer, nullable=True))
        batch.add_column(sa.Column("stop_timeout", sa.Integer, nullable=True))
    with op.batch_alter_table("slugs") as batch:
        batch.add_column(sa.Column("app_json", sa.JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("slugs") as batch:
        batch.drop_column("app_json")
    with op.batch_alter_table("apps") as batch:
        batch.drop_column("stop_timeout")
        batch.drop_column("boot_timeout")
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("rollback_of")
        batch.drop_column("author")
