"""During the trip: the emergency resource pool (partners per destination)

Revision ID: e17a0c000001
Revises: f18a0b5c3e21
Create Date: 2026-12-07 05:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e17a0c000001'
down_revision = 'f18a0b5c3e21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('emergency_partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('destination', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('hours', sa.String(length=120), server_default='', nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_partner'))
    )
    op.create_index(op.f('ix_emergency_partner_destination'), 'emergency_partner', ['destination'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_emergency_partner_destination'), table_name='emergency_partner')
    op.drop_table('emergency_partner')
