"""Figures of the forecasting service: backtest summary and the monitoring plot."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from bihar.forecast.problem import HORIZONS


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def horizon_figure(comparison: pd.DataFrame, title: str) -> Figure:
    """MAE by horizon for every model of a backtest comparison."""
    figure, ax = plt.subplots(figsize=(8, 4.5))
    hours = [3 * (h - 1) for h in HORIZONS]
    for name, row in comparison.iterrows():
        ax.plot(hours, [row[f"mae_h{h}"] for h in HORIZONS], marker="o", label=str(name))
    ax.set_xticks(hours, [f"{h:02d}h (h{i})" for i, h in enumerate(hours, 1)], rotation=30)
    ax.set_xlabel("target slot of local day D, horizon")
    ax.set_ylabel("MAE (°C)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return figure


def backtest_figure(forecasts: pd.DataFrame, title: str) -> Figure:
    """Daily means of predicted and observed 3-hour temperatures over a backtest."""
    daily = forecasts.set_index("target_time")[["predicted", "observed"]].resample("D").mean()
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    top.plot(daily.index, daily["observed"], label="observed", color="black", lw=1)
    top.plot(daily.index, daily["predicted"], label="predicted (day ahead)", color="tab:red", lw=1)
    top.set_ylabel("daily mean of 3-hour values (°C)")
    top.set_title(title)
    top.legend()
    top.grid(alpha=0.3)
    error = (forecasts["predicted"] - forecasts["observed"]).abs()
    daily_mae = error.groupby(forecasts["target_time"].dt.normalize().to_numpy()).mean()
    bottom.bar(daily_mae.index, daily_mae.to_numpy(), width=1.0, color="tab:gray", label="MAE")
    bottom.set_ylabel("daily MAE (°C)")
    bottom.set_xlabel("local date")
    bottom.legend()
    return figure


def monitoring_figure(frame: pd.DataFrame, title: str, window_days: int = 7) -> Figure:
    """Predicted vs observed 3-hour values, their errors, and a rolling MAE against the
    seasonal-naive baseline. `frame`: target_time, predicted, observed, seasonal_naive."""
    frame = frame.sort_values("target_time")
    known = frame.dropna(subset=["observed"])
    mae = (known["predicted"] - known["observed"]).abs().mean()
    naive_mae = (known["seasonal_naive"] - known["observed"]).abs().mean()
    figure, (top, middle, bottom) = plt.subplots(
        3, 1, figsize=(12, 9), sharex=True, gridspec_kw={"height_ratios": [3, 1.3, 1.5]}
    )
    top.plot(frame["target_time"], frame["observed"], color="black", lw=1.2, label="observed")
    top.plot(frame["target_time"], frame["predicted"], color="tab:red", lw=1.2, label="predicted")
    top.set_ylabel("temperature, 3-hour mean (°C)")
    top.set_title(title)
    top.legend(loc="upper left")
    top.grid(alpha=0.3)
    top.text(
        0.99,
        0.97,
        f"MAE {mae:.2f} °C  (seasonal naive {naive_mae:.2f} °C)  n={len(known)}",
        transform=top.transAxes,
        ha="right",
        va="top",
        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
    )
    error = frame["predicted"] - frame["observed"]
    middle.bar(
        frame["target_time"], error, width=0.1, color="tab:red", label="predicted - observed"
    )
    middle.axhline(0, color="black", lw=0.8)
    middle.set_ylabel("error (°C)")
    middle.legend(loc="upper left")
    middle.grid(alpha=0.3)
    slots = max(1, window_days * 8)
    rolling = known.set_index("target_time")
    model_roll = (rolling["predicted"] - rolling["observed"]).abs().rolling(slots, min_periods=8)
    naive_roll = (
        (rolling["seasonal_naive"] - rolling["observed"]).abs().rolling(slots, min_periods=8)
    )
    bottom.plot(rolling.index, model_roll.mean(), color="tab:red", label="model")
    bottom.plot(rolling.index, naive_roll.mean(), color="tab:gray", ls="--", label="seasonal naive")
    bottom.set_ylabel(f"rolling {window_days}-day MAE (°C)")
    bottom.set_xlabel("target time (local clock)")
    bottom.legend(loc="upper left")
    bottom.grid(alpha=0.3)
    figure.autofmt_xdate()
    return figure
