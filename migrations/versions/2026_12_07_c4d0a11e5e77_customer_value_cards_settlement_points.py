"""Customer value: structured profile card, trip settlement, points ledger

Revision ID: c4d0a11e5e77
Revises: 7a1f00c0ffee
Create Date: 2026-12-07 05:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d0a11e5e77'
down_revision = '7a1f00c0ffee'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('customer_profile',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('preferences', sa.JSON(), nullable=False),
    sa.Column('special_needs', sa.JSON(), nullable=False),
    sa.Column('family', sa.Text(), nullable=True),
    sa.Column('occasions', sa.Text(), nullable=True),
    sa.Column('offer_next', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('updated_in_case', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_profile_customer_id_customer')),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customer_profile'))
    )
    op.create_table('trip_settlement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('trip_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('amount_paid', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('supplier_costs', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('margin', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('settled_at', sa.DateTime(), nullable=False),
    sa.Column('settled_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_trip_settlement_case_id_case')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_trip_settlement_customer_id_customer')),
    sa.ForeignKeyConstraint(['trip_id'], ['trip.id'], name=op.f('fk_trip_settlement_trip_id_trip')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trip_settlement')),
    sa.UniqueConstraint('case_id', name=op.f('uq_trip_settlement_case_id'))
    )
    with op.batch_alter_table('trip_settlement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trip_settlement_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_trip_settlement_trip_id'), ['trip_id'], unique=False)
    op.create_table('points_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_points_entry_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_entry')),
    sa.UniqueConstraint('lot_id', name=op.f('uq_points_entry_lot_id'))
    )
    with op.batch_alter_table('points_entry', schema=None) as batch_op:
        batch_op.create_index('ix_points_entry_customer', ['customer_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entry_expires_at'), ['expires_at'], unique=False)


def downgrade():
    op.drop_table('points_entry')
    op.drop_table('trip_settlement')
    op.drop_table('customer_profile')
