"""sms: each client's preferred channel and language from the client file; a log of text messages with
the gateway's id, delivery status and the attempt each records

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_channel', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))
    op.create_table(
        'sms_messages',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('invitation_id', ID, nullable=False),
        sa.Column('client_id', ID, nullable=False),
        sa.Column('attempt_id', ID, nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('recipient', sa.String(length=32), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('encoding', sa.String(length=16), nullable=False),
        sa.Column('segments', sa.Integer(), nullable=False),
        sa.Column('transport', sa.String(length=16), nullable=False),
        sa.Column('gateway_id', sa.String(length=128), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=255), nullable=True),
        sa.Column('link_hash', sa.String(length=64), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['attempt_id'], ['contact_attempts.id'],
                                name=op.f('fk_sms_messages_attempt_id_contact_attempts'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_sms_messages_client_id_clients')),
        sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'],
                                name=op.f('fk_sms_messages_invitation_id_invitations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_messages')),
        sa.UniqueConstraint('gateway_id', name=op.f('uq_sms_messages_gateway_id')),
    )
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_messages_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_messages_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_messages_recipient'), ['recipient'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_messages_link_hash'), ['link_hash'], unique=False)


def downgrade() -> None:
    op.drop_table('sms_messages')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('language')
        batch_op.drop_column('preferred_channel')
