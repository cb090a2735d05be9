"""per-app HTTPS policy: redirect HTTP to HTTPS, HSTS

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("apps") as batch:
        batch.add_column(sa.Column("force_https", sa.Integer, nullable=True))
        batch.add_column(sa.Column("hsts", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("apps") as batch:
        batch.drop_column("hsts")
        batch.drop_column("force_https")
