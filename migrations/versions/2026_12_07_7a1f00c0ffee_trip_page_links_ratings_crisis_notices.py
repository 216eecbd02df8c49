"""Customer trip page: links, ratings; crisis notices and their affected trips

Revision ID: 7a1f00c0ffee
Revises: be7e0f170001
Create Date: 2026-12-07 05:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a1f00c0ffee'
down_revision = 'be7e0f170001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('trip_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_trip_link_case_id_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trip_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_trip_link_token_hash'))
    )
    op.create_index(op.f('ix_trip_link_case_id'), 'trip_link', ['case_id'], unique=False)
    op.create_table('trip_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('rated_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_trip_rating_case_id_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trip_rating'))
    )
    op.create_index(op.f('ix_trip_rating_case_id'), 'trip_rating', ['case_id'], unique=False)
    op.create_table('crisis_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('destination', sa.String(length=200), nullable=False),
    sa.Column('date_from', sa.Date(), nullable=False),
    sa.Column('date_to', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('sent_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_notice'))
    )
    op.create_table('crisis_notice_trip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('follow_up_case_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.String(length=32), nullable=True),
    sa.Column('answer_notes', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answered_by', sa.String(length=64), nullable=True),
    sa.Column('change_case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_crisis_notice_trip_case_id_case')),
    sa.ForeignKeyConstraint(['notice_id'], ['crisis_notice.id'], name=op.f('fk_crisis_notice_trip_notice_id_crisis_notice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crisis_notice_trip')),
    sa.UniqueConstraint('notice_id', 'case_id', name=op.f('uq_crisis_notice_trip_notice_id'))
    )
    op.create_index(op.f('ix_crisis_notice_trip_case_id'), 'crisis_notice_trip', ['case_id'], unique=False)
    op.create_index(op.f('ix_crisis_notice_trip_notice_id'), 'crisis_notice_trip', ['notice_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_crisis_notice_trip_notice_id'), table_name='crisis_notice_trip')
    op.drop_index(op.f('ix_crisis_notice_trip_case_id'), table_name='crisis_notice_trip')
    op.drop_table('crisis_notice_trip')
    op.drop_table('crisis_notice')
    op.drop_index(op.f('ix_trip_rating_case_id'), table_name='trip_rating')
    op.drop_table('trip_rating')
    op.drop_index(op.f('ix_trip_link_case_id'), table_name='trip_link')
    op.drop_table('trip_link')
