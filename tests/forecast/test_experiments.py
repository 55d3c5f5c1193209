"""The experiments' helpers: data loading, split, backtests, error tables, the config writer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bihar.forecast.baselines import forecast_frame
from bihar.forecast.experiments import (
    ExperimentDataError,
    ModelConfigError,
    baseline_candidates,
    chronological_split,
    comparison_table,
    error_by,
    largest_misses,
    load_series,
    paired_difference,
    residual_diagnostics,
    run_backtests,
    save_model_config,
    write_report,
)
from bihar.forecast.history import TARGET
from bihar.forecast.models import ModelConfig
from bihar.forecast.openmeteo import ArchiveFormatError
from bihar.forecast.sources import SourceUnavailableError
from bihar.forecast.training import load_config
from bihar.settings import Settings
from tests.forecast.places import BOSTON


def daily_cycle(days: int) -> pd.DataFrame:
    index = pd.date_range("2021-01-01", periods=days * 8, freq="3h", name="time")
    rng = np.random.default_rng(0)
    values = 5 * np.sin(2 * np.pi * index.hour.to_numpy() / 24) + rng.normal(0, 1, len(index))
    return pd.DataFrame({TARGET: values}, index=index)


def test_save_model_config_round_trips_through_the_training_pipeline(tmp_path: Path):
    config = ModelConfig(
        name="direct-ridge", algorithm="ridge", hyperparameters={"alpha": 3.0}, target="level"
    )
    path = save_model_config(config, tmp_path / "model" / "config.json")
    assert load_config(path) == config
    assert [p.name for p in path.parent.iterdir()] == ["config.json"]  # no temporary left


def test_an_invalid_config_leaves_the_existing_file_untouched(tmp_path: Path):
    path = save_model_config(ModelConfig(target="level"), tmp_path / "config.json")
    before = path.read_bytes()
    bad = {"name": "x", "algorithm": "xgboost"}
    with pytest.raises(ModelConfigError, match=r"config\.json"):
        save_model_config(bad, path)
    inconsistent = {"target": "seasonal_diff", "features": {"seasonal_lag_days": [7]}}
    with pytest.raises(ModelConfigError):
        save_model_config(inconsistent, path)
    assert path.read_bytes() == before
    assert len(list(tmp_path.iterdir())) == 1


def test_split_is_chronological_and_the_test_year_is_the_pipelines():
    series = daily_cycle(3 * 365)
    split = chronological_split(series, test_days=100, validation_days=50)
    assert split.train_start < split.train_end == split.validation[0]
    assert split.validation[-1] + pd.Timedelta(days=1) == split.test[0]
    assert len(split.test) == 100 and split.test[-1] == series.index.max().normalize()
    with pytest.raises(ExperimentDataError, match="training days"):
        chronological_split(daily_cycle(400), test_days=100, validation_days=100)


def test_error_tables_by_horizon_and_season():
    issues = pd.DatetimeIndex(["2024-01-10", "2024-07-10"], name="issue_time")
    frame = forecast_frame(issues, np.ones((2, 8)))
    frame["observed"] = 0.0
    frame.loc[(issues[1], slice(None)), "observed"] = 3.0  # July: error -2
    by_season = error_by(frame, "season")
    assert by_season.loc["DJF", "bias"] == pytest.approx(1.0)
    assert by_season.loc["JJA", "mae"] == pytest.approx(2.0)
    assert list(by_season.index) == ["DJF", "JJA"]
    by_horizon = error_by(frame, "horizon")
    assert by_horizon["mae"].tolist() == pytest.approx([1.5] * 8)
    assert largest_misses(frame, n=1).index[0] == issues[1]
    with pytest.raises(ValueError, match="cannot group"):
        error_by(frame, "weekday")


def test_ljung_box_separates_white_noise_from_autocorrelated_residuals():
    rng = np.random.default_rng(0)
    issues = pd.date_range("2024-01-01", periods=200, freq="D", name="issue_time")
    white = forecast_frame(issues, np.zeros((200, 8)))
    white["observed"] = rng.normal(0, 1, len(white))
    ar = white.copy().sort_values("target_time")
    ar["observed"] = np.convolve(rng.normal(0, 1, len(ar)), np.ones(6) / 6, mode="same")
    assert residual_diagnostics(white).ljung_box["lb_pvalue"].min() > 0.01
    assert residual_diagnostics(ar).ljung_box["lb_pvalue"].max() < 1e-6


def test_baselines_run_through_the_shared_backtest_and_comparison():
    series = daily_cycle(60)
    days = pd.date_range("2021-02-10", periods=10, freq="D", name="issue_time")
    candidates = baseline_candidates()
    forecasts, seconds = run_backtests(candidates, series, days, stage="test", track=False)
    table = comparison_table(forecasts, {c.name: c.family for c in candidates})
    assert set(table.index) == {"persistence", "seasonal_naive", "climatology"}
    assert table.loc["seasonal_naive", "mae_ratio"] == 1.0
    assert {"family", "mae_DJF", "mae_h8"} <= set(table.columns)
    assert table.loc["seasonal_naive", "mae"] < table.loc["persistence", "mae"]
    assert set(seconds) == set(forecasts)


def test_report_is_plain_json(tmp_path: Path):
    path = write_report(
        {"ratio": np.float64(0.654321), "n": np.int64(3), "table": pd.DataFrame({"a": [1.23456]})},
        tmp_path / "r.json",
    )
    assert json.loads(path.read_text()) == {"ratio": 0.6543, "n": 3, "table": {"0": {"a": 1.2346}}}


def test_load_series_reads_the_snapshot_and_names_its_source(
    boston_snapshot_path: Path, tmp_path: Path
):
    settings = Settings(
        data_dir=boston_snapshot_path.parents[1], database_url=f"sqlite:///{tmp_path / 'w.db'}"
    )
    loaded = load_series("boston", settings, kind="offline")  # the store's Boston
    assert loaded.source == f"snapshot:{boston_snapshot_path.name}"
    assert loaded.timezone == "America/New_York"
    assert set(loaded.series.index.hour) == {0, 3, 6, 9, 12, 15, 18, 21}
    # Boston's local slots, without the partial ones at the edges of the snapshot's UTC days
    assert loaded.series.index[0] == pd.Timestamp("2019-12-21 21:00")
    assert loaded.series.index[-1] == pd.Timestamp("2025-10-31 15:00")
    assert loaded.series["temperature_2m"].notna().all()
    assert "surface_pressure" in loaded.variables and len(loaded.series) > 6 * 365 * 8 * 0.9


def test_load_series_errors_name_the_problem(tmp_path: Path):
    with pytest.raises(SourceUnavailableError, match="no offline snapshot"):
        load_series(BOSTON, Settings(data_dir=tmp_path), kind="offline")
    with pytest.raises(SourceUnavailableError, match=r"no data folder.*set BIHAR_DATA_DIR"):
        load_series(BOSTON, Settings(data_dir=None), kind="offline")
    (tmp_path / "weather").mkdir()
    bad = tmp_path / "weather" / "boston_archive_2020-01-01_2020-01-02.json"
    bad.write_text("{not json")
    with pytest.raises(ArchiveFormatError, match=bad.name):
        load_series(BOSTON, Settings(data_dir=tmp_path), kind="offline")


def test_paired_difference_detects_a_real_gain_and_not_noise():
    rng = np.random.default_rng(1)
    issues = pd.date_range("2024-01-01", periods=300, freq="D", name="issue_time")
    base = forecast_frame(issues, np.zeros((300, 8)))
    base["observed"] = rng.normal(0, 2, len(base))
    better = base.assign(predicted=base["observed"] * 0.5)  # halves every error
    same = base.assign(predicted=rng.normal(0, 0.01, len(base)))
    gain = paired_difference(better, base)
    assert gain.significant and gain.high < 0 and gain.days == 300
    assert not paired_difference(same, base).significant
