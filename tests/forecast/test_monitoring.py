"""The monitoring figure over stored predictions."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from bihar.forecast.monitoring import NothingToMonitorError, monitoring_frame, plot_monitoring


def test_monitoring_frame_joins_observed_and_seasonal_naive(sqlite_pipeline):
    frame = monitoring_frame(
        sqlite_pipeline.engine, "boston", date(2025, 10, 20), date(2025, 10, 21)
    )
    assert len(frame) == 16
    day1, day2 = frame.iloc[:8], frame.iloc[8:]
    np.testing.assert_allclose(day2["seasonal_naive"], day1["observed"])
    np.testing.assert_allclose(frame["error"], frame["predicted"] - frame["observed"])


def test_plot_is_written(sqlite_pipeline, tmp_path):
    path = plot_monitoring(
        sqlite_pipeline.engine, tmp_path, "boston", date(2025, 10, 2), date(2025, 11, 1)
    )
    assert path.name == "boston_2025-10-02_2025-11-01.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "boston_latest.png").read_bytes() == path.read_bytes()


def test_nothing_to_monitor(sqlite_pipeline, tmp_path):
    with pytest.raises(NothingToMonitorError, match="2020-01-01"):
        plot_monitoring(
            sqlite_pipeline.engine, tmp_path, "boston", date(2020, 1, 1), date(2020, 1, 5)
        )
