"""create note (version 2 of the app copies this into migrations/versions)

Revision ID: 9c4e2f7a1b3d
Revises: 5d31038af84e
"""
from alembic import op
import sqlalchemy as sa

revision = '9c4e2f7a1b3d'
down_revision = '5d31038af84e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('note', sa.Column('id', sa.Integer(), nullable=False), sa.PrimaryKeyConstraint('id'))


def downgrade():
    op.drop_table('note')
