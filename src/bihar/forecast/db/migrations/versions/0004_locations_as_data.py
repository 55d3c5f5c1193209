"""Locations as data: each has a source (`seed`, `geocoded`, `manual`) and a real IANA time
zone, and model versions record the clock of the days they were trained on.

Boston and Paris are seeded (inserted when absent; stores that already hold them keep their
rows, ids and data, and get their time zones instead of GMT). Model versions trained before
this revision were trained on UTC days (`GMT`). Served days are derived data: they are deleted
here and remade after the migration on the locations' local days
(`bihar.forecast.db.migrate.upgrade_head`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEEDS = (
    {"name": "boston", "latitude": 42.3601, "longitude": -71.0588, "timezone": "America/New_York"},
    {"name": "paris", "latitude": 48.8566, "longitude": 2.3522, "timezone": "Europe/Paris"},
)


def upgrade() -> None:
    with op.batch_alter_table("locations") as batch:
        batch.add_column(
            sa.Column("source", sa.String(length=32), nullable=False, server_default="seed")
        )
    with op.batch_alter_table("model_versions") as batch:
        batch.add_column(
            sa.Column("timezone", sa.String(length=64), nullable=False, server_default="GMT")
        )
    locations = sa.table(
        "locations",
        sa.column("name", sa.String),
        sa.column("latitude", sa.Float),
        sa.column("longitude", sa.Float),
        sa.column("timezone", sa.String),
        sa.column("source", sa.String),
    )
    connection = op.get_bind()
    for seed in SEEDS:
        found = connection.execute(
            sa.select(locations.c.timezone).where(locations.c.name == seed["name"])
        ).first()
        if found is None:
            connection.execute(sa.insert(locations).values(**seed, source="seed"))
        elif found.timezone == "GMT":
            connection.execute(
                sa.update(locations)
                .where(locations.c.name == seed["name"])
                .values(timezone=seed["timezone"])
            )
    op.execute("DELETE FROM served_days")


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN on both back-ends (SQLite ≥ 3.35): a SQLite table copy would
    # drop `locations`, which the other tables reference
    with op.batch_alter_table("model_versions", recreate="never") as batch:
        batch.drop_column("timezone")
    with op.batch_alter_table("locations", recreate="never") as batch:
        batch.drop_column("source")
