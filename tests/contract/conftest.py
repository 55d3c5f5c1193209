"""Where the contract tests point: `--base-url URL` (e.g. the running container), or by default
a real uvicorn server started here on a store filled by the pipeline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from tests.api_server import api_server


@pytest.fixture(scope="session")
def base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    given = request.config.getoption("--base-url")
    if given:
        yield given.rstrip("/")
        return
    from bihar.forecast.monitoring import plot_monitoring  # the local server's store only

    store = request.getfixturevalue("sqlite_pipeline")
    plot_monitoring(
        store.engine, store.settings.monitoring_dir, "boston", date(2025, 10, 1), date(2025, 10, 31)
    )
    env = {
        **os.environ,
        "DATABASE_URL": store.settings.database_url,
        "BIHAR_ROOT_DIR": str(store.settings.root_dir),
    }
    with api_server(env) as url:
        yield url


@pytest.fixture(scope="session")
def api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def expected_version(request: pytest.FixtureRequest) -> str | None:
    return request.config.getoption("--expect-version")
