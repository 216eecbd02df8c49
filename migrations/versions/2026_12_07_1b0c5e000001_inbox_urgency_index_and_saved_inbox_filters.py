"""Inbox: an index for urgency and due order; saved filters know whether they are for the inbox

Revision ID: 1b0c5e000001
Revises: 5a1e0c7d2b90
Create Date: 2026-12-07 03:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "1b0c5e000001"
down_revision = "5a1e0c7d2b90"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("work_item", schema=None) as batch_op:
        batch_op.create_index("ix_work_item_lane_due", ["status", "lane", "sort_due", "id"], unique=False)
    with op.batch_alter_table("saved_filter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="cases"))


def downgrade():
    with op.batch_alter_table("saved_filter", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("work_item", schema=None) as batch_op:
        batch_op.drop_index("ix_work_item_lane_due")
