"""Benchmark: the whole refresh (acquire 6 years of Boston → backtest and train the production
configuration → predict 31 days) on a fresh SQLite database. Writes reports/refresh.{json,md},
and the backtest of the trained model to reports/forecast_backtest.{json,md}.

    .venv/bin/python benchmarks/refresh.py [--date 2025-10-30]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from pathlib import Path

from report import machine, write_report

from bihar.forecast.db.engine import make_engine
from bihar.forecast.db.migrate import upgrade_head
from bihar.forecast.refresh import refresh
from bihar.forecast.training import load_config, write_backtest_report
from bihar.logs import configure_logging
from bihar.settings import Settings, get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--date", type=date.fromisoformat, default=date(2025, 10, 30))
    args = parser.parse_args()
    configure_logging("WARNING")
    repo = get_settings()
    conditions = machine()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(
            root_dir=root,
            database_url=f"sqlite:///{root / 'weather.db'}",
            mlflow_tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
            forecast_config=repo.model_config_path,
            weather_source="offline",
        )
        began = time.perf_counter()
        engine = make_engine(settings.database_url)
        upgrade_head(engine)
        result = refresh(engine, settings, args.date, "boston")
        wall = time.perf_counter() - began
        engine.dispose()
    report = {
        "benchmark": "refresh on a fresh SQLite database: acquire → train → predict → store",
        "command": "make bench-refresh",
        **conditions,
        "refresh_date": str(args.date),
        "wall_seconds": round(wall, 1),
        "steps_seconds": {
            "acquire": round(result.acquisition.seconds, 1),
            "train (backtest + fit + register + MLflow)": round(result.training.seconds, 1),
        },
        "hours_acquired": result.acquisition.hours,
        "predictions_stored": result.prediction.rows,
        "model_version": result.training.version.version,
        "mae_ratio_vs_seasonal_naive": round(
            result.training.version.metrics["mae_ratio_vs_seasonal_naive"], 4
        ),
    }
    write_report(
        "refresh",
        report,
        [
            "# Refresh benchmark",
            "",
            f"`{report['command']}` on {report['measured_on']} ({report['machine']}): the whole "
            f"refresh for {args.date} took **{report['wall_seconds']} s** "
            f"({result.acquisition.hours:,} hours acquired, {result.prediction.rows} predictions; "
            f"1-minute load average {report['load_average_1min_at_start']} when it started).",
        ],
    )
    training = result.training
    write_backtest_report(
        repo.reports_dir,
        training.comparison,
        load_config(repo.model_config_path).name,
        training.version,
        training.promoted,
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
