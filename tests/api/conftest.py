"""The API in process (TestClient) over a store filled by the project's own pipeline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import app
from bihar.settings import get_settings
from tests.pipeline import PipelineStore


def use_store(monkeypatch: pytest.MonkeyPatch, store: PipelineStore, **env: str) -> None:
    monkeypatch.setenv("DATABASE_URL", store.settings.database_url)
    monkeypatch.setenv("BIHAR_ROOT_DIR", str(store.settings.root_dir))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


@pytest.fixture
def client(pipeline: PipelineStore, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The API on the pipeline's store (SQLite, then PostgreSQL)."""
    use_store(monkeypatch, pipeline)
    with TestClient(app) as test_client:
        yield test_client
