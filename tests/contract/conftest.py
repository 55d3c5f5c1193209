"""Where the contract tests point: `--base-url URL` (e.g. the running container), or by default
a real uvicorn server started here on a store filled by the pipeline."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": store.settings.database_url,
        "BIHAR_ROOT_DIR": str(store.settings.root_dir),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail("the API server did not become healthy")
        time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="session")
def api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def expected_version(request: pytest.FixtureRequest) -> str | None:
    return request.config.getoption("--expect-version")
