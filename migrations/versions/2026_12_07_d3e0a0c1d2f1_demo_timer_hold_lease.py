"""Demo: timer hold, a lease that keeps the timer worker off a simulated year

Revision ID: d3e0a0c1d2f1
Revises: 1b0c5e000001
Create Date: 2026-12-07 03:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd3e0a0c1d2f1'
down_revision = '1b0c5e000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('timer_hold',
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('until', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('holder', name=op.f('pk_timer_hold'))
    )


def downgrade():
    op.drop_table('timer_hold')
