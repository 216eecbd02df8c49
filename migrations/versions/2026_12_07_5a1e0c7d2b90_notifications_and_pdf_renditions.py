"""Notifications (bell, e-mail, group robots), channel choices per user, PDF copies of documents

Revision ID: 5a1e0c7d2b90
Revises: a11ce5500001
Create Date: 2026-12-07 02:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1e0c7d2b90'
down_revision = 'a11ce5500001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('role', sa.String(length=64), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('work_item_id', sa.Integer(), nullable=True),
    sa.Column('task_name', sa.String(length=255), nullable=True),
    sa.Column('customer_name', sa.String(length=200), nullable=True),
    sa.Column('destination', sa.String(length=200), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('in_app', sa.Boolean(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('email_status', sa.String(length=16), nullable=True),
    sa.Column('webhook_status', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user', ['username', 'id'], unique=False)
        batch_op.create_index('ix_notification_item', ['work_item_id', 'kind'], unique=False)
        batch_op.create_index('ix_notification_email', ['email_status'], unique=False)
        batch_op.create_index('ix_notification_webhook', ['webhook_status'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('notify_in_app', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('notify_email', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rendered_from', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_document_rendered_from_document'), 'document', ['rendered_from'], ['id']
        )


def downgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_document_rendered_from_document'), type_='foreignkey')
        batch_op.drop_column('rendered_from')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('notify_email')
        batch_op.drop_column('notify_in_app')
        batch_op.drop_column('email')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_webhook')
        batch_op.drop_index('ix_notification_email')
        batch_op.drop_index('ix_notification_item')
        batch_op.drop_index('ix_notification_user')

    op.drop_table('notification')
