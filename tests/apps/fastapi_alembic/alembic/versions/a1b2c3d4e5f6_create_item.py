"""create item

Revision ID: a1b2c3d4e5f6
Revises:
Create Date: 2026-11-22 01:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = "a1b2c3d4e5f6"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    item = op.create_table("item", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.Text))
    op.bulk_insert(item, [{"name": "from alembic"}])


def downgrade():
    op.drop_table("item")
