"""Process version: the translation notes of its deploy (Camunda 7 import), kept with the version

Revision ID: c7a9e1d40016
Revises: d3e0a0c1d2f1
Create Date: 2026-12-07 05:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a9e1d40016'
down_revision = 'd3e0a0c1d2f1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translation_notes', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_column('translation_notes')
