"""Missing hours: short gaps filled by linear interpolation and flagged; long gaps reported.

A gap is a run of consecutive missing hours of one variable (an absent hour or a `null`).
A gap of at most `max_hours` with known values on both sides is filled linearly; a longer one,
or one at an edge of the period, is left missing and reported, never invented.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_FILLED_GAP_HOURS = 6


@dataclass(frozen=True)
class Gap:
    variable: str
    start: pd.Timestamp
    end: pd.Timestamp
    hours: int
    filled: bool

    def describe(self) -> str:
        state = "filled" if self.filled else "left missing"
        return f"{self.variable}: {self.hours} h from {self.start} to {self.end} ({state})"


@dataclass(frozen=True)
class FilledHours:
    """Every hour of the period, short gaps filled; `interpolated` flags filled rows."""

    frame: pd.DataFrame
    interpolated: pd.Series
    gaps: list[Gap]

    @property
    def long_gaps(self) -> list[Gap]:
        return [g for g in self.gaps if not g.filled]


def fill_short_gaps(
    frame: pd.DataFrame,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    max_hours: int = MAX_FILLED_GAP_HOURS,
) -> FilledHours:
    """Reindex `frame` to every hour of `start`…`end` and fill the short inside gaps."""
    start = frame.index[0] if start is None else start
    end = frame.index[-1] if end is None else end
    hours = pd.date_range(start, end, freq="h", name=frame.index.name or "time")
    full = frame.reindex(hours)
    filled = full.copy()
    flags = np.zeros(len(full), dtype=bool)
    gaps: list[Gap] = []
    for column in full.columns:
        values = full[column].to_numpy(dtype=float)
        if np.isnan(values).all():
            continue  # a variable this location does not have
        linear = full[column].interpolate(method="linear", limit_area="inside").to_numpy()
        for lo, hi in _nan_runs(values):
            inside = lo > 0 and hi < len(values)
            short = inside and hi - lo <= max_hours
            if short:
                filled.iloc[lo:hi, filled.columns.get_loc(column)] = np.round(linear[lo:hi], 2)
                flags[lo:hi] = True
            gaps.append(Gap(column, hours[lo], hours[hi - 1], hi - lo, short))
    return FilledHours(filled, pd.Series(flags, index=hours, name="interpolated"), gaps)


def _nan_runs(values: np.ndarray) -> list[tuple[int, int]]:
    """Half-open [lo, hi) index ranges of consecutive NaN."""
    isnan = np.concatenate(([False], np.isnan(values), [False]))
    edges = np.flatnonzero(np.diff(isnan.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
