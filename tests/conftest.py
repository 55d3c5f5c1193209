"""Fixtures shared by every layer's tests: databases (SQLite file, real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine

from bihar.forecast.db.engine import make_engine
from bihar.forecast.db.migrate import upgrade_head
from bihar.settings import get_settings
from tests.databases import fresh_postgres_database

if TYPE_CHECKING:  # the pipeline needs the training stack; the contract runner does not
    from tests.pipeline import PipelineStore


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "API contract tests (tests/contract)")
    group.addoption("--base-url", default=None, help="run the contract tests against this API")
    group.addoption("--expect-version", default=None, help="what GET /version must answer")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on the configured server, dropped afterwards."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineStore]:
    """A SQLite store filled by the project's refresh (acquire → train → predict), once."""
    from tests.pipeline import build_store

    root = tmp_path_factory.mktemp("pipeline-sqlite")
    store = build_store(root, f"sqlite:///{root / 'weather.db'}")
    yield store
    store.engine.dispose()


@pytest.fixture(scope="session")
def postgresql_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PipelineStore]:
    """The same store on the real PostgreSQL server, once per session."""
    from tests.pipeline import build_store

    with fresh_postgres_database() as url:
        store = build_store(tmp_path_factory.mktemp("pipeline-postgres"), url)
        yield store
        store.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def pipeline(request: pytest.FixtureRequest) -> PipelineStore:
    """A store filled by the real pipeline: SQLite, then PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_pipeline")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An empty database: a SQLite file, then the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'weather.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the newest schema."""
    eng = make_engine(database_url)
    upgrade_head(eng)
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are cached per process; tests that set environment variables get fresh ones."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
