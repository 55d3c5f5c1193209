"""Typed SQLAlchemy 2.0 models of the forecasting service.

Times are naive UTC (`DateTime` without time zone) in every table, on SQLite and PostgreSQL;
each location's time zone says how its days are cut (`problem`), and `served_days.day` is a
local day.
The schema itself is created by the Alembic migrations, never by `create_all`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: An auto-incrementing big integer key (SQLite only auto-increments INTEGER PRIMARY KEY).
BigId = BigInteger().with_variant(Integer, "sqlite")
#: JSON that is JSONB on PostgreSQL.
Json = JSON().with_variant(JSONB, "postgresql")


def utcnow() -> datetime:
    """Now, as the naive UTC timestamp the tables store."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class LocationRow(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    elevation: Mapped[float | None] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32), default="manual")


class Observation(Base):
    """One hour of weather at one location (values of the hour starting at `time`)."""

    __tablename__ = "weather_observations"
    __table_args__ = (UniqueConstraint("location_id", "time", name="uq_observation_location_time"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    time: Mapped[datetime] = mapped_column(DateTime)
    temperature_2m: Mapped[float] = mapped_column(Float)
    relative_humidity_2m: Mapped[float | None] = mapped_column(Float)
    surface_pressure: Mapped[float | None] = mapped_column(Float)
    wind_speed_10m: Mapped[float | None] = mapped_column(Float)
    precipitation: Mapped[float | None] = mapped_column(Float)
    interpolated: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(128))
    ingested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ModelVersion(Base):
    """Registry metadata of one immutable trained model version."""

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_model_version_name_version"),
        # At most one served version per name.
        Index(
            "uq_model_versions_one_production",
            "name",
            unique=True,
            sqlite_where=text("stage = 'production'"),
            postgresql_where=text("stage = 'production'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    algorithm: Mapped[str] = mapped_column(String(128))
    hyperparameters: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    features: Mapped[list[str]] = mapped_column(Json, default=list)
    train_start: Mapped[datetime] = mapped_column(DateTime)
    train_end: Mapped[datetime] = mapped_column(DateTime)
    metrics: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    artifact_path: Mapped[str] = mapped_column(String(512))
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    code_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    stage: Mapped[str] = mapped_column(String(32), default="candidate")
    #: The clock of the days it was trained on (the location's IANA time zone then).
    timezone: Mapped[str] = mapped_column(String(64), default="GMT")

    location: Mapped[LocationRow | None] = relationship()


class Prediction(Base):
    """One forecast value: a model's prediction of `target_time`, issued at `issue_time`."""

    __tablename__ = "predictions"
    __table_args__ = (
        UniqueConstraint(
            "model_version_id",
            "location_id",
            "target_time",
            "issue_time",
            name="uq_prediction_model_location_target_issue",
        ),
        Index("ix_predictions_location_target", "location_id", "target_time"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    issue_time: Mapped[datetime] = mapped_column(DateTime)
    target_time: Mapped[datetime] = mapped_column(DateTime)
    horizon: Mapped[int] = mapped_column(Integer)
    predicted: Mapped[float] = mapped_column(Float)
    features: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class IngestionRun(Base):
    """One acquisition: what was asked, what changed, how it ended."""

    __tablename__ = "ingestion_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    source: Mapped[str] = mapped_column(String(128))
    requested_start: Mapped[date] = mapped_column(Date)
    requested_end: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rows_interpolated: Mapped[int] = mapped_column(Integer, default=0)
    long_gaps: Mapped[list[str]] = mapped_column(Json, default=list)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)


class ServedDay(Base):
    """What the API answers for one day of one location, remade whenever the day's predictions
    or observations change (`bihar.forecast.served`): the day's slots as JSON arrays, as
    `/predictions` and as `/predictions/observed` show them, and the sums of its known errors."""

    __tablename__ = "served_days"

    location_id: Mapped[int] = mapped_column(
        ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    slots: Mapped[str] = mapped_column(Text)
    observed_slots: Mapped[str] = mapped_column(Text)
    errors: Mapped[int] = mapped_column(Integer)
    absolute_error_sum: Mapped[float] = mapped_column(Float)
    squared_error_sum: Mapped[float] = mapped_column(Float)
    error_sum: Mapped[float] = mapped_column(Float)
