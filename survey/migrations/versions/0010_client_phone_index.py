"""clients: an index on the phone number, so that an SMS reply finds its clients without reading the file

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain CREATE INDEX (no batch): SQLite keeps the table and its triggers (migration 0006) as they are
    op.create_index(op.f('ix_clients_phone'), 'clients', ['phone'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_clients_phone'), table_name='clients')
