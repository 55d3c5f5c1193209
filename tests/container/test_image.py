"""The API image built for real on a private dockerd: layer caching, contents, runtime
behaviour, compose, and the registry round trip with the contract tests (the GitHub
`api-test` job's script). Slow tests first need the session fixtures of conftest.py."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.container.runtime_requirements import canonical
from tests.container.conftest import IMAGE
from tests.container.test_static import pins
from tests.container.toolchain import (
    ROOT,
    Build,
    Docker,
    ToolchainError,
    free_port,
    wait_for,
)
from tests.databases import fresh_postgres_database

pytestmark = pytest.mark.container

DEPS_INSTALL = r"^\[deps \d+/\d+\] RUN .*pip .*install .*-r /tmp/runtime\.txt"
VENV_COPY = r"^\[runtime \d+/\d+\] COPY --from=deps /opt/venv /opt/venv"


def test_cold_build_installs_the_dependencies(cold_build: Build) -> None:
    assert cold_build.step(DEPS_INSTALL)[1] is False
    assert cold_build.step(VENV_COPY)[1] is False


def test_code_change_rebuild_reuses_the_dependency_layers(code_change_build: Build) -> None:
    assert code_change_build.step(DEPS_INSTALL)[1] is True
    assert code_change_build.step(VENV_COPY)[1] is True
    # ...and the edited code did go in: those steps ran again.
    assert code_change_build.step(r"^\[build \d+/\d+\] COPY src/ src/")[1] is False
    assert code_change_build.step(r"^\[runtime \d+/\d+\] COPY api/ api/")[1] is False


def test_image_holds_exactly_the_runtime_pins(docker: Docker, cold_build: Build) -> None:
    probe = (
        "import importlib.metadata as m, importlib.util as u, json; print(json.dumps(["
        "{d.metadata['Name']: d.version for d in m.distributions()},"
        "[n for n in ('torch', 'sklearn', 'lightgbm', 'mlflow', 'statsmodels') if u.find_spec(n)]"
        "]))"
    )
    installed, training = json.loads(docker.run("run", "--rm", IMAGE, "python", "-c", probe))
    expected = {**pins("requirements/runtime.txt"), "bihar": "0.0.0"}
    assert {canonical(name): version for name, version in installed.items()} == expected
    assert training == []


def test_image_runs_as_non_root_with_a_health_check(docker: Docker, cold_build: Build) -> None:
    config = json.loads(docker.run("image", "inspect", "--format", "{{json .Config}}", IMAGE))
    assert config["User"] == "app"
    assert "/health" in " ".join(config["Healthcheck"]["Test"])
    assert docker.run("run", "--rm", IMAGE, "id", "-u").strip() != "0"


def test_version_is_0_0_0_without_a_git_sha(
    docker: Docker, cold_build: Build, base_image: str, context: Path
) -> None:
    docker.build(context, "bihar-api:no-sha", {"BASE_IMAGE": base_image})
    port = free_port()
    container = docker.run("run", "-d", "-p", f"127.0.0.1:{port}:8000", "bihar-api:no-sha").strip()
    try:
        assert wait_for(f"http://127.0.0.1:{port}/version").json() == "0.0.0"
    finally:
        docker.run("rm", "-f", container)


def test_image_migrates_and_serves_postgresql(docker: Docker, cold_build: Build) -> None:
    """The image's own `bihar migrate` creates the schema; the API then reports it healthy."""
    with fresh_postgres_database() as url:
        env = ["--network", "host", "-e", f"DATABASE_URL={url}"]
        port = free_port()
        unmigrated = docker.run(
            "run", "-d", *env, IMAGE,
            "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port),
        ).strip()  # fmt: skip
        try:
            assert wait_for(f"http://127.0.0.1:{port}/health").status_code == 503
        finally:
            docker.run("rm", "-f", unmigrated)
        docker.run("run", "--rm", *env, IMAGE, "bihar", "migrate")
        port = free_port()
        container = docker.run(
            "run", "-d", *env, IMAGE,
            "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port),
        ).strip()  # fmt: skip
        try:
            answer = wait_for(f"http://127.0.0.1:{port}/health")
            assert answer.status_code == 200, (answer.text, docker.run("logs", container))
        finally:
            docker.run("rm", "-f", container)


def test_build_context_of_the_checkout_holds_only_what_the_image_needs(docker: Docker) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        dockerfile, out = Path(tmp) / "Dockerfile", Path(tmp) / "out"
        dockerfile.write_text("FROM scratch\nCOPY . /\n")
        output = f"type=local,dest={out}"
        docker.run("build", "-q", "-f", str(dockerfile), "--output", output, str(ROOT))
        sent = {str(path.relative_to(out)) for path in out.rglob("*") if path.is_file()}
    assert {"api/main.py", "src/bihar/settings.py", "requirements/runtime.txt"} <= sent
    tops = {path.split("/")[0] for path in sent}
    assert tops <= {"api", "src", "requirements", "pyproject.toml", "README.md", "data",
                    "monitoring", "model"}  # fmt: skip
    assert not [path for path in sent if "__pycache__" in path or path.endswith(".pyc")]


def test_compose_runs_the_sqlite_service(docker: Docker, cold_build: Build) -> None:
    port = free_port()
    env = {**docker.env, "BIHAR_IMAGE": IMAGE, "BIHAR_API_PORT": str(port)}
    compose = ["docker-compose", "-f", str(ROOT / "compose.yaml"), "-p", "bihar-suite"]

    def run(*args: str) -> str:
        done = subprocess.run([*compose, *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert run("--profile", "postgres", "config", "--services").split() == [
        "api", "postgres", "api-postgres"
    ]  # fmt: skip
    run("up", "-d", "--no-build", "api")
    try:
        assert wait_for(f"http://127.0.0.1:{port}/health").status_code == 200
    finally:
        run("down", "--volumes")


@pytest.fixture
def registry(docker: Docker) -> Iterator[str]:
    """Debian's docker-registry on 127.0.0.1 (port 5000 unless taken), stopped by PID after."""
    state = tempfile.mkdtemp(prefix="bihar-registry-")
    port = free_port(preferred=5000)
    docker.script("registry.sh", "start", state, str(port))
    try:
        yield f"127.0.0.1:{port}"
    finally:
        docker.script("registry.sh", "stop", state)
        shutil.rmtree(state, ignore_errors=True)


# Last in this file: it deletes the build cache to prove the pull really downloads the image.
def test_registry_round_trip_then_contract_tests(
    docker: Docker,
    code_change_build: Build,
    base_image: str,
    registry: str,
    sha: str,
    figures: dict,
) -> None:
    remote = f"{registry}/bihar/api:{sha}"
    docker.run("tag", IMAGE, remote)
    start = time.monotonic()
    pushed = docker.run("push", remote)
    figures["push_s"] = round(time.monotonic() - start, 1)
    digest = pushed.split("digest: ")[1].split()[0]

    # Delete every image but the base, and the build cache: the pull must download the layers.
    tags = docker.run("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").split()
    docker.run("rmi", *[tag for tag in tags if tag != base_image and not tag.endswith(":<none>")])
    docker.run("image", "prune", "--force")
    docker.run("builder", "prune", "--all", "--force")
    assert docker.run("image", "ls", "--format", "{{.Repository}}:{{.Tag}}").split() == [base_image]
    with pytest.raises(ToolchainError):
        docker.run("image", "inspect", remote)

    start = time.monotonic()
    docker.run("pull", remote)
    figures["pull_s"] = round(time.monotonic() - start, 1)
    figures["pushed_digest"] = digest
    assert f"{registry}/bihar/api@{digest}" in docker.run(
        "image", "inspect", "--format", "{{json .RepoDigests}}", remote
    )
    checked = docker.script("api-test.sh", remote, sha, str(free_port()))
    if (ROOT / "tests" / "contract").is_dir():
        summary = re.search(r"^=+ (.*\d+ passed.*) =+$", checked.stdout, re.MULTILINE)
        assert summary and "failed" not in summary[1], checked.stdout
        figures["contract_tests"] = summary[1]
    else:
        figures["contract_tests"] = "tests/contract missing: only /health and /version checked"
