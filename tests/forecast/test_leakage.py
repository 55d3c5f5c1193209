"""Nothing at or after the issue time may move a forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bihar.forecast.baselines import ClimatologyForecaster, Persistence, SeasonalNaive
from bihar.forecast.history import load_history
from bihar.forecast.models import DirectForecaster, ModelConfig
from tests.pipeline import FAST_CONFIG

ISSUES = pd.DatetimeIndex(["2024-02-10", "2024-07-04", "2024-12-31"], name="issue_time")


@pytest.fixture(scope="module")
def boston(sqlite_pipeline) -> pd.DataFrame:
    with sqlite_pipeline.engine.connect() as conn:
        return load_history(conn, "boston")


def tampered(series: pd.DataFrame, issue: pd.Timestamp) -> pd.DataFrame:
    """Every observation at or after `issue` changed beyond recognition."""
    out = series.copy()
    after = out.index >= issue
    out.loc[after] = out.loc[after] * -3 + 40
    out.loc[after & (out.index.hour == 12)] = np.nan
    return out


FORECASTERS = {
    "persistence": Persistence,
    "seasonal_naive": SeasonalNaive,
    "climatology": ClimatologyForecaster,
    "lightgbm": lambda: DirectForecaster(FAST_CONFIG),
    "ridge_seasonal_diff": lambda: DirectForecaster(
        ModelConfig(name="ridge", algorithm="ridge", target="seasonal_diff")
    ),
}


@pytest.mark.parametrize("name", FORECASTERS)
def test_changing_the_future_does_not_move_the_forecast(boston, name):
    for issue in ISSUES:
        one = pd.DatetimeIndex([issue], name="issue_time")
        honest = FORECASTERS[name]().fit(boston, issue)
        before = honest.predict(boston, one)["predicted"]
        changed = tampered(boston, issue)
        after_same_model = honest.predict(changed, one)["predicted"]
        refitted = FORECASTERS[name]().fit(changed, issue).predict(changed, one)["predicted"]
        pd.testing.assert_series_equal(before, after_same_model)
        pd.testing.assert_series_equal(before, refitted)


def test_changing_the_last_known_slot_does_move_it(boston):
    """The control: the test above would catch a forecast that ignores nothing."""
    issue = ISSUES[0]
    one = pd.DatetimeIndex([issue], name="issue_time")
    model = DirectForecaster(FAST_CONFIG).fit(boston, issue)
    changed = boston.copy()
    changed.loc[issue - pd.Timedelta(hours=3), "temperature_2m"] += 15
    assert not np.allclose(
        model.predict(boston, one)["predicted"], model.predict(changed, one)["predicted"]
    )
    assert (
        Persistence().predict(changed, one)["predicted"]
        != Persistence().predict(boston, one)["predicted"]
    ).all()
