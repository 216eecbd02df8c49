"""Tier benefits: departures and their bookings, campaigns with deliveries and opt-outs, member events

Revision ID: be7e0f170001
Revises: c7a9e1d40016
Create Date: 2026-12-07 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'be7e0f170001'
down_revision = 'c7a9e1d40016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('departure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('route_name', sa.String(length=200), nullable=False),
    sa.Column('destination', sa.String(length=200), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('peak_season', sa.Boolean(), nullable=False),
    sa.Column('release_on', sa.Date(), nullable=False),
    sa.Column('itinerary', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departure'))
    )
    op.create_table('departure_booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('departure_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('travellers', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('member_tier', sa.String(length=8), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('booked_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_departure_booking_customer_id_customer')),
    sa.ForeignKeyConstraint(['departure_id'], ['departure.id'], name=op.f('fk_departure_booking_departure_id_departure')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departure_booking'))
    )
    op.create_index('ix_departure_booking_queue', 'departure_booking', ['departure_id', 'status', 'rank', 'requested_at'], unique=False)
    op.create_index(op.f('ix_departure_booking_customer_id'), 'departure_booking', ['customer_id'], unique=False)
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('min_tier', sa.String(length=1), nullable=False),
    sa.Column('interest', sa.String(length=100), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    op.create_table('campaign_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('email_status', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaign_delivery_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_campaign_delivery_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_delivery')),
    sa.UniqueConstraint('campaign_id', 'customer_id', name=op.f('uq_campaign_delivery_campaign_id'))
    )
    op.create_index(op.f('ix_campaign_delivery_campaign_id'), 'campaign_delivery', ['campaign_id'], unique=False)
    op.create_index(op.f('ix_campaign_delivery_customer_id'), 'campaign_delivery', ['customer_id'], unique=False)
    op.create_table('promotion_opt_out',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_promotion_opt_out_customer_id_customer')),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_promotion_opt_out'))
    )
    op.create_table('member_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=True),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('invitations_from', sa.Date(), nullable=False),
    sa.Column('invited_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_event'))
    )
    op.create_table('event_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.Column('email_status', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_event_invitation_customer_id_customer')),
    sa.ForeignKeyConstraint(['event_id'], ['member_event.id'], name=op.f('fk_event_invitation_event_id_member_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_invitation')),
    sa.UniqueConstraint('event_id', 'customer_id', name=op.f('uq_event_invitation_event_id'))
    )
    op.create_index(op.f('ix_event_invitation_event_id'), 'event_invitation', ['event_id'], unique=False)
    op.create_index(op.f('ix_event_invitation_customer_id'), 'event_invitation', ['customer_id'], unique=False)


def downgrade():
    op.drop_table('event_invitation')
    op.drop_table('member_event')
    op.drop_table('promotion_opt_out')
    op.drop_table('campaign_delivery')
    op.drop_table('campaign')
    op.drop_index('ix_departure_booking_queue', table_name='departure_booking')
    op.drop_table('departure_booking')
    op.drop_table('departure')
