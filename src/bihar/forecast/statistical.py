"""ARIMA, SARIMA and SARIMAX day-ahead forecasters with the backtest's fit/predict interface.

The models are statsmodels `SARIMAX` state-space models of the 3-hour temperature:

- the daily season is the seasonal part of the model (period s = 8 slots);
- the yearly season, far too long for a seasonal ARIMA term (2,922 slots), enters as
  deterministic Fourier regressors of the day of the year (`fourier_k` harmonic pairs);
- SARIMAX adds exogenous variables, each **lagged by one day** (the same slot of the day
  before), so every regressor of a target in day D is known when D is issued at 00:00.
  Same-time exogenous values would be an oracle and are not offered.

Parameters are estimated once, on the last `window_days` of data before `train_end`. A
forecast issued at D 00:00 then uses those fixed parameters: the Kalman filter runs over the
observations up to D-1 21:00 (it is causal, so later observations never reach the state used),
and the eight slots of D are the 1…8-step-ahead predictions from that state. The whole test
period is filtered once and every issue's forecast is read from the filtered states, which is
what `results.extend(...)` + `forecast(8)` per day would give, without re-filtering per day.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bihar.forecast.aggregation import SLOTS_PER_DAY
from bihar.forecast.baselines import forecast_frame
from bihar.forecast.features import EXOGENOUS
from bihar.forecast.history import TARGET
from bihar.forecast.problem import HORIZONS, SLOT

log = logging.getLogger(__name__)

YEAR_DAYS = 365.25


class StatisticalModelError(ValueError):
    """A statistical model that cannot be fitted or asked for forecasts as configured."""


@dataclass(frozen=True)
class SarimaxSpec:
    """One statistical model: orders, yearly Fourier terms, lagged exogenous variables."""

    name: str
    order: tuple[int, int, int] = (2, 0, 1)
    seasonal_order: tuple[int, int, int] = (0, 0, 0)
    fourier_k: int = 2
    exogenous: tuple[str, ...] = ()
    window_days: int = 365
    maxiter: int = 60

    def __post_init__(self) -> None:
        unknown = set(self.exogenous) - set(EXOGENOUS)
        if unknown:
            raise StatisticalModelError(f"unknown exogenous variables {sorted(unknown)}")
        if self.window_days < 30:
            raise StatisticalModelError("window_days must be at least 30")
        if any(v < 0 for v in (*self.order, *self.seasonal_order)) or self.fourier_k < 0:
            raise StatisticalModelError(f"{self.name}: orders must be non-negative")

    @property
    def differenced(self) -> bool:
        return self.order[1] > 0 or self.seasonal_order[1] > 0

    @property
    def kind(self) -> str:
        if self.exogenous:
            return "SARIMAX"
        return "SARIMA" if any(self.seasonal_order) else "ARIMA"

    def describe(self) -> str:
        p, d, q = self.order
        text = f"({p},{d},{q})"
        if any(self.seasonal_order):
            sp, sd, sq = self.seasonal_order
            text += f"({sp},{sd},{sq})[{SLOTS_PER_DAY}]"
        text += f" + {self.fourier_k} yearly Fourier pairs"
        if self.exogenous:
            text += f" + {len(self.exogenous)} exogenous (lag 1 day)"
        return text

    def params(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "order": str(self.order),
            "seasonal_order": str((*self.seasonal_order, SLOTS_PER_DAY)),
            "fourier_k": self.fourier_k,
            "exogenous": ",".join(self.exogenous) or "none",
            "window_days": self.window_days,
        }


def fourier_terms(times: pd.DatetimeIndex, k: int) -> pd.DataFrame:
    """Yearly sine/cosine pairs 1…k of the (fractional) day of the year at `times`."""
    days = (times - pd.Timestamp("2000-01-01")) / pd.Timedelta(days=1)
    phase = 2 * np.pi * np.asarray(days, dtype=float) / YEAR_DAYS
    cols = {}
    for j in range(1, k + 1):
        cols[f"year_sin_{j}"] = np.sin(j * phase)
        cols[f"year_cos_{j}"] = np.cos(j * phase)
    return pd.DataFrame(cols, index=times)


def regressors(series: pd.DataFrame, times: pd.DatetimeIndex, spec: SarimaxSpec) -> pd.DataFrame:
    """The regressors of `spec` at `times`: constant, Fourier terms, exogenous values lagged by
    one day. Missing exogenous values are carried forward (only past values are used)."""
    parts = [fourier_terms(times, spec.fourier_k)]
    if not spec.differenced:
        parts.insert(0, pd.DataFrame({"const": np.ones(len(times))}, index=times))
    if spec.exogenous:
        missing = [name for name in spec.exogenous if name not in series.columns]
        if missing:
            raise StatisticalModelError(f"{spec.name}: the series lacks {missing}")
        lagged = series[list(spec.exogenous)].copy()
        lagged.index = lagged.index + pd.Timedelta(days=1)
        lagged = lagged.reindex(times).ffill()
        if lagged.isna().all().any():
            raise StatisticalModelError(f"{spec.name}: an exogenous variable has no values")
        # Only leading values can still be missing (the first day of the grid, long before any
        # issue time); they take the first known value.
        parts.append(lagged.bfill().add_suffix("_lag1d"))
    frame = pd.concat(parts, axis=1)
    return frame


def _grid(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq=SLOT, name="time")


@dataclass
class SarimaxForecaster:
    """A `SarimaxSpec` fitted once before `train_end`, then filtered forward with fixed params."""

    spec: SarimaxSpec
    results: Any = None
    fit_seconds: float = 0.0
    aic: float = float("nan")
    bic: float = float("nan")
    _train_start: pd.Timestamp | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    def _model(self, endog: pd.Series, exog: pd.DataFrame) -> Any:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        return SARIMAX(
            endog.to_numpy(dtype=float),
            exog=exog.to_numpy(dtype=float) if exog.shape[1] else None,
            order=self.spec.order,
            seasonal_order=(*self.spec.seasonal_order, SLOTS_PER_DAY)
            if any(self.spec.seasonal_order)
            else (0, 0, 0, 0),
            trend="n",
            enforce_stationarity=False,
            enforce_invertibility=False,
        )

    def fit(self, series: pd.DataFrame, train_end: pd.Timestamp) -> SarimaxForecaster:
        """Estimate the parameters on the last `window_days` before `train_end`."""
        start = train_end - pd.Timedelta(days=self.spec.window_days)
        history = series.loc[(series.index >= start) & (series.index < train_end)]
        if history[TARGET].notna().sum() < SLOTS_PER_DAY * 30:
            raise StatisticalModelError(
                f"{self.name}: fewer than 30 days of data before {train_end}"
            )
        times = _grid(history.index.min(), train_end - SLOT)
        endog = series[TARGET].reindex(times)
        exog = regressors(series, times, self.spec)
        began = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter of the optimiser
            self.results = self._model(endog, exog).fit(
                disp=False, maxiter=self.spec.maxiter, method="lbfgs"
            )
        self.fit_seconds = time.perf_counter() - began
        self.aic, self.bic = float(self.results.aic), float(self.results.bic)
        self._train_start = times[0]
        log.info(
            "%s %s fitted on %d slots in %.1f s (AIC %.0f)",
            self.name,
            self.spec.describe(),
            len(times),
            self.fit_seconds,
            self.aic,
        )
        return self

    def predict(self, series: pd.DataFrame, issues: pd.DatetimeIndex) -> pd.DataFrame:
        """Day-ahead forecasts issued at each of `issues` (00:00), horizons 1…8."""
        if self.results is None or self._train_start is None:
            raise RuntimeError("fit the model first")
        if len(issues) == 0:
            raise StatisticalModelError("no issue times")
        if issues.min() <= self._train_start:
            raise StatisticalModelError(f"{self.name}: issue times before the fitted window")
        last_target = issues.max() + SLOT * (len(HORIZONS) - 1)
        times = _grid(self._train_start, last_target)
        # Only values up to each issue's D-1 21:00 reach the state it forecasts from: the
        # filter is causal and the forecast below never reads a later observation.
        endog = series[TARGET].reindex(times)
        exog = regressors(series, times, self.spec)
        model = self._model(endog, exog)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            filtered = model.filter(self.results.params)
        return forecast_frame(issues, self._multi_step(filtered, times, issues))

    def _multi_step(
        self, filtered: Any, times: pd.DatetimeIndex, issues: pd.DatetimeIndex
    ) -> np.ndarray:
        ssm = filtered.model.ssm
        design = np.asarray(ssm["design"])
        transition = np.asarray(ssm["transition"])
        if design.ndim == 3 or transition.ndim == 3:
            raise StatisticalModelError("time-varying design/transition are not supported")
        design = design[0]
        # Intercepts are (dim, nobs) when time-varying (regressors), else (dim,).
        obs_intercept = np.asarray(ssm["obs_intercept"]).reshape(1, -1)
        state_intercept = np.asarray(ssm["state_intercept"])
        state_intercept = state_intercept.reshape(len(transition), -1)
        predicted = np.asarray(filtered.filter_results.predicted_state)  # (k, nobs + 1)
        positions = times.get_indexer(issues)
        if (positions < 0).any():
            raise StatisticalModelError("issue times are not 3-hour slots of the series")
        out = np.empty((len(issues), len(HORIZONS)))
        for row, i in enumerate(positions):
            state = predicted[:, i]  # E[state_i | y_0 … y_{i-1}]
            for h in range(len(HORIZONS)):
                j = i + h
                d = obs_intercept[0, j if obs_intercept.shape[1] > 1 else 0]
                out[row, h] = design @ state + d
                c = state_intercept[:, j if state_intercept.shape[1] > 1 else 0]
                state = transition @ state + c
        return out


def select_order(
    series: pd.DataFrame,
    train_end: pd.Timestamp,
    candidates: list[SarimaxSpec],
    criterion: str = "bic",
) -> pd.DataFrame:
    """Fit each candidate on the training window; one row per candidate with AIC, BIC, seconds.

    Sorted by `criterion`. Models with different differencing orders are not comparable by
    information criteria (different data), so compare within one differencing scheme.
    """
    if criterion not in {"aic", "bic"}:
        raise ValueError("criterion must be 'aic' or 'bic'")
    rows = []
    for spec in candidates:
        model = SarimaxForecaster(spec).fit(series, train_end)
        rows.append(
            {
                "name": spec.name,
                "model": spec.describe(),
                "differencing": f"d={spec.order[1]}, D={spec.seasonal_order[1]}",
                "aic": model.aic,
                "bic": model.bic,
                "fit_seconds": model.fit_seconds,
            }
        )
    return pd.DataFrame(rows).set_index("name").sort_values(criterion)
