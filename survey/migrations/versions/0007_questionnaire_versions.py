"""questionnaire editor: drafts beside the published versions; who published a version and when

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('published_by', ID, nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_questionnaires_published_by_staff_users'), 'staff_users',
                                    ['published_by'], ['id'])
    op.create_table(
        'questionnaire_drafts',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('definition', sa.JSON(), nullable=False),
        sa.Column('based_on_id', ID, nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', ID, nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['based_on_id'], ['questionnaires.id'],
                                name=op.f('fk_questionnaire_drafts_based_on_id_questionnaires')),
        sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'],
                                name=op.f('fk_questionnaire_drafts_created_by_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_drafts')),
    )


def downgrade() -> None:
    op.drop_table('questionnaire_drafts')
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_questionnaires_published_by_staff_users'), type_='foreignkey')
        batch_op.drop_column('published_by')
        batch_op.drop_column('published_at')
