"""The one typed settings object of the project, read from the environment (and `.env`).

Every script, notebook and the API read their configuration here, never from ad-hoc
`os.environ` look-ups. Paths default to folders of the repository checkout.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
        default=f"sqlite:///{ROOT / 'mlflow.db'}",
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "BIHAR_MLFLOW_TRACKING_URI"),
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
    seed: int = 42

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return value

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.root_dir / 'data' / 'weather.db'}"
        return self

    @property
    def model_config_path(self) -> Path:
        return self.forecast_config or self.root_dir / "model" / "config.json"

    @property
    def vision_config_path(self) -> Path:
        return self.vision_config or self.root_dir / "model" / "field_images.json"

    @property
    def registry_dir(self) -> Path:
        return self.root_dir / "model" / "registry"

    @property
    def monitoring_dir(self) -> Path:
        return self.root_dir / "monitoring" / "output"

    @property
    def reports_dir(self) -> Path:
        return self.root_dir / "reports"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call `get_settings.cache_clear()`)."""
    return Settings()
