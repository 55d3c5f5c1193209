"""At most one production version per model name, enforced by a partial unique index.

Stores written before this revision may hold two production versions of one name (two
promotions that ran at once): the newest stays in production, the others are archived, then
the index is created. Version numbers are already unique per name (`uq_model_version_name_version`).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_model_versions_one_production"
PRODUCTION = sa.text("stage = 'production'")


def upgrade() -> None:
    op.execute(
        """
        UPDATE model_versions SET stage = 'archived'
        WHERE stage = 'production'
          AND version < (
            SELECT max(newest.version) FROM model_versions AS newest
            WHERE newest.name = model_versions.name AND newest.stage = 'production'
          )
        """
    )
    op.create_index(
        INDEX,
        "model_versions",
        ["name"],
        unique=True,
        sqlite_where=PRODUCTION,
        postgresql_where=PRODUCTION,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="model_versions")
