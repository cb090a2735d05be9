"""the git commit a release's code came from (sha and subject)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.add_column(sa.Column("commit", sa.String(40), nullable=True))
        batch.add_column(sa.Column("commit_subject", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("releases") as batch:
        batch.drop_column("commit_subject")
        batch.drop_column("commit")
