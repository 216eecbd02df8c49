"""Customer value: win-back attempts per half-year, route/topic complaint alerts per quarter, monthly case handbooks

Revision ID: f18a0b5c3e21
Revises: c4d0a11e5e77
Create Date: 2026-12-07 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f18a0b5c3e21'
down_revision = 'c4d0a11e5e77'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('win_back',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('half_year', sa.String(length=8), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('listed_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_win_back_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_win_back')),
    sa.UniqueConstraint('customer_id', 'half_year', name=op.f('uq_win_back_customer_id'))
    )
    with op.batch_alter_table('win_back', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_win_back_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_win_back_case_id'), ['case_id'], unique=False)

    op.create_table('route_topic_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('route', sa.String(length=200), nullable=False),
    sa.Column('topic', sa.String(length=40), nullable=False),
    sa.Column('quarter', sa.String(length=8), nullable=False),
    sa.Column('share', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('improvement_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_topic_alert')),
    sa.UniqueConstraint('route', 'topic', 'quarter', name=op.f('uq_route_topic_alert_route'))
    )

    op.create_table('case_handbook',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by', sa.String(length=64), nullable=False),
    sa.Column('html', sa.LargeBinary(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_handbook')),
    sa.UniqueConstraint('month', name=op.f('uq_case_handbook_month'))
    )
    op.create_table('case_handbook_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handbook_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('lesson', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['handbook_id'], ['case_handbook.id'], name=op.f('fk_case_handbook_entry_handbook_id_case_handbook')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_handbook_entry'))
    )
    with op.batch_alter_table('case_handbook_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_handbook_entry_handbook_id'), ['handbook_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_handbook_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_handbook_entry_handbook_id'))
    op.drop_table('case_handbook_entry')
    op.drop_table('case_handbook')
    op.drop_table('route_topic_alert')
    with op.batch_alter_table('win_back', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_win_back_case_id'))
        batch_op.drop_index(batch_op.f('ix_win_back_customer_id'))
    op.drop_table('win_back')
