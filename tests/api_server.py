"""The API as `make serve` runs it: a uvicorn process on a free local port, for tests that talk
to it over real HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def api_server(env: dict[str, str], timeout: float = 60) -> Iterator[str]:
    """Start `uvicorn api.main:app` with `env`, wait until `/health` answers 200, yield its base
    URL, and stop it afterwards. A server that exits or stays unhealthy fails the test with its
    error output (kept in a file, not a pipe, so a chatty server never blocks)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile(mode="w+") as errors:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
             "--port", str(port), "--no-access-log"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    server.wait(timeout=30)
                    errors.seek(0)
                    pytest.fail(f"the API server did not become healthy: {errors.read()[-2000:]}")
                time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)
