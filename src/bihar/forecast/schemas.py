"""Response models of the forecast API (they are the OpenAPI contract)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _with_offset(value: datetime) -> datetime:
    """Times are answered on the location's clock with their UTC offset
    (`2025-10-31T00:00:00-04:00`); a naive time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


LocalDatetime = Annotated[datetime, AfterValidator(_with_offset)]


def _as_utc(value: datetime) -> datetime:
    """The store keeps naive UTC; answers say so (RFC 3339 `...Z`)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class ErrorBody(BaseModel):
    detail: str = Field(examples=["no predictions for 2030-01-01 (boston)"])
    available: DateRange | None = Field(
        default=None, description="The days that do have predictions, when relevant."
    )


class DateRange(BaseModel):
    first: date
    last: date


class SlotPrediction(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    target_time: LocalDatetime = Field(
        description="Start of the 3-hour slot, local time with its UTC offset.",
        examples=["2025-10-31T00:00:00-04:00"],
    )
    horizon: int = Field(ge=1, le=8, description="1 for 00h … 8 for 21h local.")
    predicted_celsius: float = Field(description="Predicted 3-hour mean temperature (°C).")
    model_version: str = Field(examples=["temperature-3h-boston v1"])
    issue_time: LocalDatetime = Field(
        description="When the forecast was issued (local D 00:00), with its UTC offset."
    )


class DayPredictions(BaseModel):
    location: str = Field(examples=["boston"])
    timezone: str = Field(
        examples=["America/New_York"], description="IANA time zone of the location's days."
    )
    date: date  # the location's local day
    slots: list[SlotPrediction]


class ObservedSlot(SlotPrediction):
    observed_celsius: float | None = Field(
        description="Observed 3-hour mean (same aggregation as training); null if not yet known."
    )
    error_celsius: float | None = Field(description="predicted - observed; null when unknown.")


class ErrorSummary(BaseModel):
    count: int = Field(description="Slots with an observed value.")
    mae: float | None
    rmse: float | None
    bias: float | None = Field(description="Mean of predicted - observed (°C).")


class PredictionsWithObserved(BaseModel):
    location: str
    timezone: str = Field(examples=["America/New_York"])
    start: date
    end: date
    slots: list[ObservedSlot]
    summary: ErrorSummary


class BaselineSlot(BaseModel):
    target_time: LocalDatetime = Field(
        description="Start of the 3-hour slot, local time with its UTC offset.",
        examples=["2025-10-31T00:00:00-04:00"],
    )
    predicted_celsius: float | None = Field(
        description="The baseline's forecast: the observed value of the same slot one day "
        "earlier; null when that one is not known."
    )
    observed_celsius: float | None
    error_celsius: float | None = Field(description="predicted - observed; null when unknown.")


class BaselinePeriod(BaseModel):
    location: str
    timezone: str = Field(examples=["America/New_York"], description="IANA time zone of the days.")
    start: date
    end: date
    baseline: str = Field(examples=["seasonal_naive"])
    slots: list[BaselineSlot] = Field(description="The slots that have a stored prediction.")
    summary: ErrorSummary


class ModelInfo(BaseModel):
    name: str
    version: int
    stage: str = Field(examples=["production"])
    algorithm: str
    location: str | None
    timezone: str = Field(description="The clock of the days it was trained on.")
    train_start: LocalDatetime = Field(description="First training slot, on that clock.")
    train_end: LocalDatetime = Field(description="End of the training data, on that clock.")
    created_at: UtcDatetime
    code_version: str
    metrics: dict[str, Any] = Field(
        description="Backtest metrics (MAE, RMSE, bias, ratio to seasonal naive…)."
    )


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    database: str = Field(examples=["ok"])


ErrorBody.model_rebuild()
