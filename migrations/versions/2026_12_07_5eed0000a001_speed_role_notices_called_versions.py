"""Speed: one notice per role with per-user read markers; a case's called versions in a column

Revision ID: 5eed0000a001
Revises: e17a0c000001
Create Date: 2026-12-07 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5eed0000a001'
down_revision = 'e17a0c000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_read',
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('notification_id', 'username', name=op.f('pk_notification_read'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_role', ['role', 'id'], unique=False)
    # NULL: not yet known (a case last stepped before this revision); its state is read instead
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('called_versions', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('called_versions')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_role')
    op.drop_table('notification_read')
