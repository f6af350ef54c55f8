"""clients: an optional address from the client file (地址), shown on visit cases

Revision ID: 0004_client_address
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004_client_address'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('address')
