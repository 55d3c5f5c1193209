"""Session fixtures of the container suite: one private dockerd, the debootstrap base image, a
cold build and a rebuild after a code change. The figures go to `container.{json,md}` in the
folder named by BIHAR_CONTAINER_REPORTS, which only `make bench-container` sets (to reports/):
the tests themselves never rewrite a committed report.

Tests marked `container` run only under `make container-test` (BIHAR_CONTAINER=1), which
`make test` calls when CI=true; there they never skip: a daemon that cannot start fails them.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.container.report import write_report
from tests.container.toolchain import ROOT, SCRIPTS, Build, Docker, git_sha, stage_context

IMAGE = "bihar-api:test"
# Dockerfile instructions of a stage (not BuildKit's [internal] steps nor the FROM lines).
STAGE_STEP = re.compile(r"^\[\w+ \d+/\d+\] (?!FROM )")
CACHE = Path(os.environ.get("BIHAR_CONTAINER_CACHE", Path.home() / ".cache" / "bihar"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("container") and os.environ.get("BIHAR_CONTAINER") != "1":
        pytest.skip("container suite: run by `make container-test` (`make test` when CI=true)")


@pytest.fixture(scope="session")
def figures() -> Iterator[dict[str, object]]:
    """Measurements gathered by the fixtures and tests; written at the end when asked."""
    measured: dict[str, object] = {
        "command": "make bench-container",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
    }
    yield measured
    folder = os.environ.get("BIHAR_CONTAINER_REPORTS")
    if folder and "cold_build_s" in measured and "rebuild_after_code_change_s" in measured:
        write_report(measured, ROOT / folder)


@pytest.fixture(scope="session")
def docker(figures: dict[str, object]) -> Iterator[Docker]:
    """A private dockerd in a temporary folder, stopped by its PID at the end of the session."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "dockerd.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one private daemon at a time on this machine
        state = Path(tempfile.mkdtemp(prefix="bihar-dockerd-"))
        try:
            subprocess.run([str(SCRIPTS / "dockerd.sh"), "start", str(state)], check=True)
            client = Docker(host=f"unix://{state}/docker.sock")
            figures["docker_version"] = client.run(
                "version", "--format", "{{.Server.Version}}"
            ).strip()
            yield client
            leftovers = client.run("ps", "-aq").split()
            if leftovers:
                client.run("rm", "-f", *leftovers)
        finally:
            subprocess.run([str(SCRIPTS / "dockerd.sh"), "stop", str(state)], check=False)
            shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="session")
def base_image(docker: Docker, figures: dict[str, object]) -> str:
    """The debootstrap-made stand-in for python:3.12-slim, imported from the cached root fs."""
    start = time.monotonic()
    made = docker.script("base-image.sh")
    tag = made.stdout.strip().splitlines()[-1]
    figures["base_image"] = tag
    figures["base_image_ready_s"] = round(time.monotonic() - start, 1)
    figures["base_image_from_cache"] = "debootstrap --variant" not in made.stderr
    if took := re.search(r"debootstrap took (\d+) s", made.stderr):
        figures["debootstrap_s"] = int(took[1])
    figures["base_image_size_mb"] = round(
        int(docker.run("image", "inspect", "--format", "{{.Size}}", tag)) / 1e6, 1
    )
    return tag


@pytest.fixture(scope="session")
def sha() -> str:
    return git_sha()


@pytest.fixture(scope="session")
def context(tmp_path_factory: pytest.TempPathFactory, figures: dict[str, object]) -> Path:
    """A copy of the checkout (as a clean clone has it, plus the demo state) to build from;
    the rebuild test edits code there, never in the checkout."""
    path = tmp_path_factory.mktemp("context")
    figures["baked_database"] = stage_context(path)
    return path


@pytest.fixture(scope="session")
def cold_build(
    docker: Docker, base_image: str, context: Path, sha: str, figures: dict[str, object]
) -> Build:
    """The first build on a fresh daemon: no build cache, only the base image."""
    build = docker.build(context, IMAGE, {"BASE_IMAGE": base_image, "GIT_SHA": sha})
    figures["cold_build_s"] = round(build.seconds, 1)
    figures["image_size_mb"] = round(
        int(docker.run("image", "inspect", "--format", "{{.Size}}", IMAGE)) / 1e6, 1
    )
    figures["image_layers"] = int(
        docker.run("image", "inspect", "--format", "{{len .RootFS.Layers}}", IMAGE)
    )
    return build


@pytest.fixture(scope="session")
def code_change_build(
    docker: Docker, cold_build: Build, base_image: str, context: Path, sha: str,
    figures: dict[str, object],
) -> Build:  # fmt: skip
    """A rebuild after editing only application code (api/ and src/bihar/)."""
    for relative in ("api/main.py", "src/bihar/__init__.py"):
        with (context / relative).open("a") as source:
            source.write("\n# edited by the container suite's rebuild test\n")
    build = docker.build(context, IMAGE, {"BASE_IMAGE": base_image, "GIT_SHA": sha})
    figures["rebuild_after_code_change_s"] = round(build.seconds, 1)
    steps = {t: cached for t, cached in build.steps.items() if STAGE_STEP.match(t)}
    figures["rebuild_cached_steps"] = sorted(t for t, cached in steps.items() if cached)
    figures["rebuild_rerun_steps"] = sorted(t for t, cached in steps.items() if not cached)
    return build
