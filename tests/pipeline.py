"""A real forecasting store built by the project's own pipeline (acquire → train → predict),
shared by the pipeline, monitoring and API tests."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from bihar.forecast.db.engine import make_engine
from bihar.forecast.db.migrate import upgrade_head
from bihar.forecast.models import ModelConfig
from bihar.forecast.refresh import RefreshResult, refresh
from bihar.settings import Settings

#: The refresh date of the test stores: the last full local day of the Boston snapshot.
REFRESH_DAY = date(2025, 10, 30)
#: A small, fast LightGBM: the tests check the plumbing, the backtest report checks accuracy.
FAST_CONFIG = ModelConfig(
    name="direct-lightgbm-fast",
    algorithm="lightgbm",
    target="level",
    hyperparameters={"n_estimators": 60, "learning_rate": 0.1, "num_leaves": 15},
)


#: One MLflow store per test process: creating one costs seconds and is not what is tested.
MLFLOW_URI = f"sqlite:///{Path(tempfile.gettempdir()) / f'bihar-tests-mlflow-{os.getpid()}.db'}"


@dataclass(frozen=True)
class PipelineStore:
    settings: Settings
    engine: Engine
    result: RefreshResult


def settings_under(root: Path, database_url: str) -> Settings:
    """Settings whose every output (registry, reports, MLflow, figures) lives under `root`."""
    (root / "model").mkdir(parents=True, exist_ok=True)
    config = root / "model" / "config.json"
    config.write_text(FAST_CONFIG.model_dump_json(indent=2))
    return Settings(
        root_dir=root,
        database_url=database_url,
        mlflow_tracking_uri=MLFLOW_URI,
        weather_source="offline",
        forecast_config=config,
    )


def build_store(root: Path, database_url: str) -> PipelineStore:
    settings = settings_under(root, database_url)
    engine = make_engine(database_url)
    upgrade_head(engine)
    result = refresh(engine, settings, REFRESH_DAY, "boston")
    return PipelineStore(settings, engine, result)
