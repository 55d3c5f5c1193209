"""The production forecaster: a direct multi-horizon regression on features known at issue time.

One pooled regressor serves the eight horizons (the horizon and the target's calendar are
features). The target can be the temperature itself or its difference from the same slot a day
earlier (`seasonal_diff`), which removes most of the daily cycle the regressor must learn.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from bihar.forecast.baselines import Climatology
from bihar.forecast.features import FeatureConfig, FeatureFrame, build_features
from bihar.forecast.history import TARGET
from bihar.forecast.problem import SLOT

Algorithm = Literal["lightgbm", "ridge", "random_forest", "hist_gradient_boosting", "knn", "mlp"]


class Forecaster(Protocol):
    """Anything the backtest can fit before a date and ask for day-ahead forecasts."""

    name: str

    def fit(self, series: pd.DataFrame, train_end: pd.Timestamp) -> Forecaster: ...

    def predict(self, series: pd.DataFrame, issues: pd.DatetimeIndex) -> pd.DataFrame: ...


class ModelConfig(BaseModel):
    """What the training pipeline builds: algorithm, hyper-parameters, features, target."""

    name: str = "direct-lightgbm"
    algorithm: Algorithm = "lightgbm"
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    features: FeatureConfig = Field(default_factory=FeatureConfig)
    target: Literal["level", "seasonal_diff"] = "seasonal_diff"
    seed: int = 42

    def model_post_init(self, _context: object) -> None:
        if self.target == "seasonal_diff" and 1 not in self.features.seasonal_lag_days:
            raise ValueError("target 'seasonal_diff' needs the feature seasonal_lag_days=[1, …]")


def make_regressor(algorithm: Algorithm, hyperparameters: dict[str, Any], seed: int) -> Any:
    """A fresh scikit-learn-compatible regressor (with imputation where it cannot take NaN)."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    hp = dict(hyperparameters)
    if algorithm == "lightgbm":
        from lightgbm import LGBMRegressor

        hp.setdefault("verbose", -1)
        # One thread: OpenMP threads spin-wait, and on a busy 2-core machine two of them
        # were measured 7x slower than one (20.8 s vs 2.8 s for 500 trees).
        hp.setdefault("n_jobs", 1)
        return LGBMRegressor(random_state=seed, deterministic=True, **hp)
    if algorithm == "hist_gradient_boosting":
        from sklearn.ensemble import HistGradientBoostingRegressor

        return HistGradientBoostingRegressor(random_state=seed, **hp)
    if algorithm == "random_forest":
        from sklearn.ensemble import RandomForestRegressor

        hp.setdefault("n_jobs", 2)
        return RandomForestRegressor(random_state=seed, **hp)
    if algorithm == "ridge":
        from sklearn.linear_model import Ridge

        return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), Ridge(**hp))
    if algorithm == "knn":
        from sklearn.neighbors import KNeighborsRegressor

        return make_pipeline(
            SimpleImputer(strategy="median"), StandardScaler(), KNeighborsRegressor(**hp)
        )
    if algorithm == "mlp":
        from sklearn.neural_network import MLPRegressor

        hp.setdefault("early_stopping", True)
        return make_pipeline(
            SimpleImputer(strategy="median"),
            StandardScaler(),
            MLPRegressor(random_state=seed, **hp),
        )
    raise ValueError(f"unknown algorithm {algorithm!r}")


class DirectForecaster:
    """Fits `config.algorithm` on every (issue day, horizon) row before `train_end`."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self.name = config.name
        self.regressor: Any = None
        self.climatology: Climatology | None = None
        self.feature_names: list[str] = []
        self.train_start: pd.Timestamp | None = None
        self.train_end: pd.Timestamp | None = None

    def __getstate__(self) -> dict[str, Any]:
        # The configuration travels as its JSON form: a pydantic model pickles the set of the
        # fields it was given, whose order (hence the file's bytes) changes with PYTHONHASHSEED.
        return {**self.__dict__, "config": self.config.model_dump(mode="json")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, config=ModelConfig.model_validate(state["config"]))

    def features(self, series: pd.DataFrame, issues: pd.DatetimeIndex) -> FeatureFrame:
        return build_features(series, issues, self.config.features, self.climatology)

    def fit(self, series: pd.DataFrame, train_end: pd.Timestamp) -> DirectForecaster:
        """Train on the issue days whose eight targets all lie before `train_end`."""
        history = series.loc[series.index < train_end]
        if history[TARGET].notna().sum() == 0:
            raise ValueError(f"no training data before {train_end}")
        if self.config.features.climatology:
            self.climatology = Climatology.fit(history[TARGET])
        first = history.index.min().normalize() + pd.Timedelta(days=8)
        last = (train_end - SLOT * 8).normalize()
        issues = pd.date_range(first, last, freq="D", name="issue_time")
        frame = self.features(history, issues)
        target = self._to_model_target(frame)
        keep = target.notna().to_numpy()
        self.feature_names = list(frame.X.columns)
        self.regressor = make_regressor(
            self.config.algorithm, self.config.hyperparameters, self.config.seed
        )
        self.regressor.fit(frame.X[keep], target[keep].to_numpy())
        self.train_start, self.train_end = history.index.min(), train_end
        return self

    def predict(self, series: pd.DataFrame, issues: pd.DatetimeIndex) -> pd.DataFrame:
        frame = self.features(series, issues)
        return self.predict_frame(frame)

    def predict_frame(self, frame: FeatureFrame) -> pd.DataFrame:
        """Forecast rows (issue_time, horizon) → target_time, predicted for built features."""
        if self.regressor is None:
            raise RuntimeError("fit the model first")
        raw = self.regressor.predict(frame.X[self.feature_names])
        predicted = self._from_model_target(frame, np.asarray(raw, dtype=float))
        return pd.DataFrame(
            {"target_time": frame.target_time.to_numpy(), "predicted": predicted},
            index=frame.X.index,
        )

    def _to_model_target(self, frame: FeatureFrame) -> pd.Series:
        if self.config.target == "seasonal_diff":
            return frame.y - frame.X["same_slot_1d"]
        return frame.y

    def _from_model_target(self, frame: FeatureFrame, raw: np.ndarray) -> np.ndarray:
        if self.config.target == "seasonal_diff":
            return raw + frame.X["same_slot_1d"].to_numpy()
        return raw
