"""The one typed settings object of the project, read from the environment (and `.env`).

Every script, notebook and the API read their configuration here, never from ad-hoc
`os.environ` look-ups. Paths default to folders of the repository checkout.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The database back-ends the project runs on (`postgres://` is read as PostgreSQL too).
DATABASE_BACKENDS = ("sqlite", "postgresql", "postgres")


def _find_root() -> Path:
    """The repository checkout: the folder holding `pyproject.toml` above this file, else cwd."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return Path.cwd()


ROOT = _find_root()


def _shared(folder: str) -> Path | None:
    """`../shared/<folder>` beside the checkout when it exists (offline data and weights)."""
    path = ROOT.parent / "shared" / folder
    return path if path.is_dir() else None


class Settings(BaseSettings):
    """Configuration of the whole project; each field names its environment variable."""

    model_config = SettingsConfigDict(
        env_prefix="BIHAR_", env_file=".env", extra="ignore", populate_by_name=True
    )

    root_dir: Path = Field(default=ROOT, description="Repository checkout (BIHAR_ROOT_DIR).")
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("DATABASE_URL", "BIHAR_DATABASE_URL"),
        description="SQLAlchemy URL; empty means the SQLite file <root_dir>/data/weather.db; "
        "postgresql+psycopg://… for PostgreSQL.",
    )
    data_dir: Path | None = Field(
        default_factory=lambda: _shared("datasets"),
        description="Folder of offline datasets (weather/, allocine/, cwfid/); "
        "../shared/datasets when it exists (BIHAR_DATA_DIR).",
    )
    models_dir: Path | None = Field(
        default_factory=lambda: _shared("models"),
        description="Folder of offline pretrained weights (BIHAR_MODELS_DIR).",
    )
    cache_dir: Path = Field(
        default=ROOT / ".cache",
        description="Derived, re-buildable artefacts kept out of git (BIHAR_CACHE_DIR).",
    )
    openmeteo_base_url: str = Field(
        default="https://archive-api.open-meteo.com/v1",
        validation_alias=AliasChoices("OPENMETEO_BASE_URL", "BIHAR_OPENMETEO_BASE_URL"),
    )
    geocoding_base_url: str = Field(
        default="https://geocoding-api.open-meteo.com/v1",
        validation_alias=AliasChoices("OPENMETEO_GEOCODING_URL", "BIHAR_GEOCODING_BASE_URL"),
        description="Open-Meteo's geocoding API (`/search`), used by `bihar locations add`.",
    )
    weather_source: Literal["auto", "offline", "live"] = Field(
        default="auto",
        description="auto: the offline snapshot when present, else the live API.",
    )
    default_location: str = "boston"
    log_level: str = Field(
        default="INFO", validation_alias=AliasChoices("LOG_LEVEL", "BIHAR_LOG_LEVEL")
    )
    app_version: str = Field(
        default="0.0.0",
        validation_alias=AliasChoices("APP_VERSION", "GIT_SHA", "BIHAR_APP_VERSION"),
        description="What GET /version answers: 0.0.0 locally, the commit id in CI-built images.",
    )
    mlflow_tracking_uri: str = Field(
        default="",
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "BIHAR_MLFLOW_TRACKING_URI"),
        description="MLflow store; empty means the SQLite file <root_dir>/mlflow.db (run "
        "artifacts go to <root_dir>/mlruns either way).",
    )
    forecast_config: Path | None = Field(
        default=None,
        description="The production model's configuration (BIHAR_FORECAST_CONFIG); "
        "default <root_dir>/model/config.json, written by the experiments notebook.",
    )
    vision_config: Path | None = Field(
        default=None,
        description="The field-image model's configuration (BIHAR_VISION_CONFIG); "
        "default <root_dir>/model/field_images.json, written by notebook 01.",
    )
    sentiment_config: Path | None = Field(
        default=None,
        description="The review classifier's configuration (BIHAR_SENTIMENT_CONFIG); "
        "default <root_dir>/model/review_sentiment.json, written by `bihar sentiment select`.",
    )
    allocine_hub: str = Field(
        default="tblard/allocine",
        description="Where the full Allociné dataset is read when the hub is used "
        "(BIHAR_ALLOCINE_HUB): a Hugging Face hub id, or a local folder in the hub's layout.",
    )
    api_cache_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How long the API reuses a serialized answer (BIHAR_API_CACHE_SECONDS); "
        "0 disables the cache.",
    )
    torch_device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto",
        description="Where PyTorch trains and predicts (BIHAR_TORCH_DEVICE): auto = CUDA when "
        "available, else the CPU.",
    )
    api_cache_megabytes: float = Field(
        default=64.0,
        gt=0,
        description="The most each of the API's two caches may hold (BIHAR_API_CACHE_MEGABYTES); "
        "the least recently used answers go first.",
    )
    chrome_path: str = Field(
        default="chromium",
        validation_alias=AliasChoices("CHROME_PATH", "BIHAR_CHROME_PATH"),
        description="The headless browser that renders the slide deck and runs the demo page's "
        "tests (CHROME_PATH, also read by Marp): Debian's chromium by default.",
    )
    seed: int = 42

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value:
            return value
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            backend = None
        if backend not in DATABASE_BACKENDS:
            raise ValueError(
                "not a SQLite or PostgreSQL URL; use sqlite:////path/to/weather.db or "
                "postgresql+psycopg://user@host:5432/database"
            )
        return value

    @model_validator(mode="after")
    def _defaults_under_root(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.root_dir / 'data' / 'weather.db'}"
        if not self.mlflow_tracking_uri:
            self.mlflow_tracking_uri = f"sqlite:///{self.root_dir / 'mlflow.db'}"
        return self

    @property
    def model_config_path(self) -> Path:
        return self.forecast_config or self.root_dir / "model" / "config.json"

    @property
    def vision_config_path(self) -> Path:
        return self.vision_config or self.root_dir / "model" / "field_images.json"

    @property
    def sentiment_config_path(self) -> Path:
        return self.sentiment_config or self.root_dir / "model" / "review_sentiment.json"

    @property
    def registry_dir(self) -> Path:
        return self.root_dir / "model" / "registry"

    @property
    def monitoring_dir(self) -> Path:
        return self.root_dir / "monitoring" / "output"

    @property
    def reports_dir(self) -> Path:
        return self.root_dir / "reports"

    @property
    def mlflow_artifacts_dir(self) -> Path:
        """Where MLflow runs store their artifacts (whatever folder a command runs from)."""
        return self.root_dir / "mlruns"


class ConfigurationError(ValueError):
    """The environment (or `.env`) sets a value the settings refuse; the message names the
    variable, the value and what is expected, in one line."""

    @classmethod
    def from_validation(cls, exc: ValidationError) -> ConfigurationError:
        problems = [
            f"{_variable(str(error['loc'][0]) if error['loc'] else '')}={error['input']!r}: "
            f"{error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        ]
        return cls(f"invalid configuration: {'; '.join(problems)}")


def _variable(field: str) -> str:
    """The environment variable that set `field` (a field name, or already a variable)."""
    info = Settings.model_fields.get(field)
    if info is None:
        return field
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        names = [str(choice) for choice in alias.choices]
        return next((name for name in names if name in os.environ), names[0])
    return f"BIHAR_{field.upper()}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call `get_settings.cache_clear()`);
    `ConfigurationError` when the environment sets an invalid value."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigurationError.from_validation(exc) from None
