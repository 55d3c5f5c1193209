"""Served days: the API's answers, made when the data changes instead of at every request.

For each local day of a location that has predictions, `served_days` holds the day's slots as the
API shows them (the shown prediction of each slot, joined in SQL with the observed 3-hour
value, see `queries`), serialised by the response models, and the sums of the day's known
errors. A request then reads a few rows by primary key and concatenates them.

The rows are remade in the transaction that changes their inputs: an acquisition (observed
values, and late revisions of them) and a batch of predictions; and, after a migration, all of
them (`remake_all_served_days`). Writers of one location take turns (`lock_until_commit`), so
each remakes the days from what the other committed.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from itertools import groupby

from pydantic import TypeAdapter
from sqlalchemy import Connection, func, select

from bihar.forecast.db.locks import lock_until_commit
from bihar.forecast.db.models import LocationRow, Prediction, ServedDay
from bihar.forecast.db.portable import upsert
from bihar.forecast.queries import StoredPrediction, stored_predictions
from bihar.forecast.schemas import ObservedSlot, SlotPrediction

log = logging.getLogger(__name__)

_SLOTS = TypeAdapter(list[SlotPrediction])
_OBSERVED_SLOTS = TypeAdapter(list[ObservedSlot])


def remake_served_days(conn: Connection, location: str, start: date, end: date) -> int:
    """Remake the served days `start` … `end` of `location` from what is stored (in the caller's
    transaction); the number of days that have predictions."""
    lock_until_commit(conn, f"served:{location}")
    rows = stored_predictions(conn, location, start, end)
    if not rows:
        return 0
    location_id = conn.execute(select(LocationRow.id).where(LocationRow.name == location)).scalar()
    days = [
        _served_day(location_id, day, list(slots))
        for day, slots in groupby(rows, key=lambda row: row.target_time.date())
    ]
    statement = upsert(conn.dialect.name, ServedDay.__table__)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["location_id", "day"],
            set_={
                column: statement.excluded[column]
                for column in (
                    "slots",
                    "observed_slots",
                    "errors",
                    "absolute_error_sum",
                    "squared_error_sum",
                    "error_sum",
                )
            },
        ),
        days,
    )
    return len(days)


def remake_all_served_days(conn: Connection) -> None:
    """Remake every served day of every location that has predictions."""
    spans = conn.execute(
        select(LocationRow.name, func.min(Prediction.target_time), func.max(Prediction.target_time))
        .join(Prediction, Prediction.location_id == LocationRow.id)
        .group_by(LocationRow.name)
    ).all()
    for name, first, last in spans:  # UTC instants: local days may start a day either side
        days = remake_served_days(
            conn, name, first.date() - timedelta(days=1), last.date() + timedelta(days=1)
        )
        log.info("served days of %s remade: %d", name, days)


def _served_day(location_id: int, day: date, rows: list[StoredPrediction]) -> dict[str, object]:
    slots = [
        SlotPrediction(
            target_time=row.target_time,
            horizon=row.horizon,
            predicted_celsius=row.predicted,
            model_version=f"{row.model} v{row.model_version}",
            issue_time=row.issue_time,
        )
        for row in rows
    ]
    errors = [row.predicted - row.observed for row in rows if row.observed is not None]
    observed = [
        ObservedSlot(
            **slot.model_dump(),
            observed_celsius=None if row.observed is None else round(row.observed, 3),
            error_celsius=None if row.observed is None else round(row.predicted - row.observed, 3),
        )
        for slot, row in zip(slots, rows, strict=True)
    ]
    return {
        "location_id": location_id,
        "day": day,
        "slots": _SLOTS.dump_json(slots).decode(),
        "observed_slots": _OBSERVED_SLOTS.dump_json(observed).decode(),
        "errors": len(errors),
        "absolute_error_sum": sum(abs(e) for e in errors),
        "squared_error_sum": sum(e * e for e in errors),
        "error_sum": sum(errors),
    }
